-- The workflow's records as an append-only log of events (numbered 1, 2, ... without gaps,
-- never updated or deleted), and the daily values of the metrics that plans watch.

CREATE TABLE workflow_events (
    seq     BIGINT PRIMARY KEY,  -- 1, 2, ...: the position in the log (set by the store, no identity: no gaps)
    at      BIGINT NOT NULL,     -- unix seconds
    actor   TEXT NOT NULL,       -- a user's e-mail, or 'trove'
    kind    TEXT NOT NULL,       -- 'issue.opened', 'action.replanned', ...
    payload TEXT NOT NULL        -- JSON as text, not JSONB: the bytes read back exactly as written
);

CREATE TABLE metric_points (
    metric TEXT NOT NULL,              -- the metric's slug
    day    TEXT NOT NULL,              -- YYYY-MM-DD (text, as on SQLite; sorts as dates)
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (metric, day)
);
