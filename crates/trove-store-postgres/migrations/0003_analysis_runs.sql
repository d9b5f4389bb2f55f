-- Analysis runs: which data, which taxonomy version, when, which parameters, and the result.

CREATE TABLE analysis_runs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at       BIGINT NOT NULL,   -- unix seconds
    taxonomy_version BIGINT,            -- the current taxonomy version then; NULL: none loaded
    filter           TEXT NOT NULL,     -- JSON: the feedback filter and theme origin
    params           TEXT NOT NULL,     -- JSON: the analysis parameters
    items            BIGINT NOT NULL,   -- items in the window
    chronic          BIGINT NOT NULL,   -- chronic themes found
    result           TEXT NOT NULL      -- JSON: the whole analysis, byte for byte as saved
);
