-- Discovery runs: the groups `trove discover` found, kept so a group can be listed and
-- promoted later without clustering again.

CREATE TABLE discovery_runs (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at BIGINT NOT NULL,   -- unix seconds
    params     TEXT NOT NULL,     -- JSON: filter, clusters asked, seed, sample size
    clusters   BIGINT NOT NULL,   -- groups found
    items      BIGINT NOT NULL,   -- items clustered
    result     TEXT NOT NULL      -- JSON: every group with its name, terms and member ids
);
