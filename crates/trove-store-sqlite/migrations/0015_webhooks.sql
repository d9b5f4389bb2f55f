-- Webhooks: subscriptions, the outbox of events, one delivery per event and subscription,
-- the log of every attempt, and where the watch of the workflow log stands.

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,     -- event types, space-separated
    secret     TEXT NOT NULL,     -- whsec_...: signing needs it as is; never shown again
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,  -- unix seconds
    removed_at INTEGER            -- removed subscriptions are sent nothing more
);

CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY,
    event_key   TEXT NOT NULL UNIQUE,  -- what happened: found again, it is not stored again
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,         -- the JSON sent
    occurred_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id),
    status          TEXT NOT NULL,     -- pending, delivered or failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,           -- pending only
    last_status     INTEGER,
    last_error      TEXT,
    last_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempt         INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    status_code     INTEGER,
    duration_ms     INTEGER NOT NULL,
    error           TEXT,
    outcome         TEXT NOT NULL,
    next_attempt_at INTEGER
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

CREATE TABLE webhook_watch (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    started_at   INTEGER NOT NULL,
    workflow_seq INTEGER NOT NULL
);
