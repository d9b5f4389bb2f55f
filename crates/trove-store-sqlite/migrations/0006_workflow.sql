-- The workflow's records as an append-only log of events (numbered 1, 2, ... without gaps,
-- never updated or deleted), and the daily values of the metrics that plans watch.

CREATE TABLE workflow_events (
    seq     INTEGER PRIMARY KEY,  -- 1, 2, ...: the position in the log
    at      INTEGER NOT NULL,     -- unix seconds
    actor   TEXT NOT NULL,        -- a user's e-mail, or 'trove'
    kind    TEXT NOT NULL,        -- 'issue.opened', 'action.replanned', ...
    payload TEXT NOT NULL         -- JSON, kept as written
);

CREATE TABLE metric_points (
    metric TEXT NOT NULL,  -- the metric's slug
    day    TEXT NOT NULL,  -- YYYY-MM-DD
    value  REAL NOT NULL,
    PRIMARY KEY (metric, day)
);
