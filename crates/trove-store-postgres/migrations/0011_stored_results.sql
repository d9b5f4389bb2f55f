-- The data version and the results computed on it. Every write that changes what an analysis
-- reads (feedback imported, replaced or deleted, tags and labels, taxonomy, themes, customers,
-- journey) adds one to the version in its own transaction; a stored result computed on an
-- older version is stale and computed again on the next read.

CREATE TABLE data_version (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),  -- one row
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 1);

CREATE TABLE stored_results (
    key          TEXT PRIMARY KEY,   -- a hash of the request
    request      TEXT NOT NULL,      -- JSON: what was asked (enough to compute it again)
    data_version BIGINT  NOT NULL,   -- the data version it was computed on
    computed_at  BIGINT  NOT NULL,   -- unix seconds
    result       TEXT NOT NULL       -- JSON: the result, byte for byte as saved
);
CREATE INDEX stored_results_by_time ON stored_results (computed_at);
