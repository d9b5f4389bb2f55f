-- Analysis runs: which data, which taxonomy version, when, which parameters, and the result.

CREATE TABLE analysis_runs (
    id               INTEGER PRIMARY KEY,
    created_at       INTEGER NOT NULL,  -- unix seconds
    taxonomy_version INTEGER,           -- the current taxonomy version then; NULL: none loaded
    filter           TEXT NOT NULL,     -- JSON: the feedback filter and theme origin
    params           TEXT NOT NULL,     -- JSON: the analysis parameters
    items            INTEGER NOT NULL,  -- items in the window
    chronic          INTEGER NOT NULL,  -- chronic themes found
    result           TEXT NOT NULL      -- JSON: the whole analysis, byte for byte as saved
);
