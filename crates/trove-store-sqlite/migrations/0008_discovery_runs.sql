-- Discovery runs: the groups `trove discover` found, kept so a group can be listed and
-- promoted later without clustering again.

CREATE TABLE discovery_runs (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,  -- unix seconds
    params     TEXT NOT NULL,     -- JSON: filter, clusters asked, seed, sample size
    clusters   INTEGER NOT NULL,  -- groups found
    items      INTEGER NOT NULL,  -- items clustered
    result     TEXT NOT NULL      -- JSON: every group with its name, terms and member ids
);
