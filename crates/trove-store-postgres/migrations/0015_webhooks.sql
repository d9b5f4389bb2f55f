-- Webhooks: subscriptions, the outbox of events, one delivery per event and subscription,
-- the log of every attempt, and where the watch of the workflow log stands.

CREATE TABLE webhooks (
    id         BIGSERIAL PRIMARY KEY,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,     -- event types, space-separated
    secret     TEXT NOT NULL,     -- whsec_...: signing needs it as is; never shown again
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,  -- unix seconds
    removed_at BIGINT            -- removed subscriptions are sent nothing more
);

CREATE TABLE webhook_events (
    id          BIGSERIAL PRIMARY KEY,
    event_key   TEXT COLLATE "C" NOT NULL UNIQUE,  -- what happened: found again, it is not stored again
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,         -- the JSON sent
    occurred_at BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id),
    event_id        BIGINT NOT NULL REFERENCES webhook_events (id),
    status          TEXT NOT NULL,     -- pending, delivered or failed
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,           -- pending only
    last_status     BIGINT,
    last_error      TEXT,
    last_attempt_at BIGINT,
    created_at      BIGINT NOT NULL,
    UNIQUE (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id              BIGSERIAL PRIMARY KEY,
    delivery_id     BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempt         BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    status_code     BIGINT,
    duration_ms     BIGINT NOT NULL,
    error           TEXT,
    outcome         TEXT NOT NULL,
    next_attempt_at BIGINT
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

CREATE TABLE webhook_watch (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    started_at   BIGINT NOT NULL,
    workflow_seq BIGINT NOT NULL
);
