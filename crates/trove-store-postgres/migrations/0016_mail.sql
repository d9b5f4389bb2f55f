-- E-mail that is really sent: the SMTP settings (one row), every address written to with the
-- secret of its opt-out link, the cadence of department streams, each recipient's delivery of
-- each message (the unique key that keeps a rerun from sending twice), and the log of sendings.

CREATE TABLE mail_settings (
    id            SMALLINT PRIMARY KEY CHECK (id = 1),
    smtp_url      TEXT NOT NULL,      -- smtp://[user@]host[:port] or smtps://...; no password
    password      TEXT,               -- the SMTP password, when the server wants one
    from_address  TEXT NOT NULL,      -- "Trove <cx@example.com>"
    public_url    TEXT NOT NULL,      -- where `trove serve` is reached, for opt-out links
    set_at        BIGINT NOT NULL,   -- unix seconds
    set_by        TEXT NOT NULL
);

CREATE TABLE mail_addresses (
    address       TEXT PRIMARY KEY,   -- lowercase
    token         TEXT NOT NULL UNIQUE, -- the opt-out link's secret: random, 128 bits, hex
    opted_out_at  BIGINT             -- set once: never mailed again
);

CREATE TABLE mail_streams (
    department    TEXT PRIMARY KEY,
    cadence       TEXT NOT NULL       -- weekly, monthly or off
);

CREATE TABLE mail_sendings (
    id            BIGSERIAL PRIMARY KEY,
    message       TEXT NOT NULL,      -- announcement:3, report:3, stream:billing:2026-W45
    subject       TEXT NOT NULL,
    triggered_by  TEXT NOT NULL,      -- a person's e-mail, or "scheduler"
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    recipients    BIGINT NOT NULL DEFAULT 0, -- addressed by this run
    sent          BIGINT NOT NULL DEFAULT 0,
    failed        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mail_sendings_message ON mail_sendings (message);

CREATE TABLE mail_deliveries (
    message       TEXT NOT NULL,
    address       TEXT NOT NULL,
    status        TEXT NOT NULL,      -- sending (claimed), sent or failed
    attempts      BIGINT NOT NULL,
    error         TEXT,               -- the server's answer when it failed
    sending       BIGINT NOT NULL,   -- the sending of the last attempt
    at            BIGINT NOT NULL,   -- unix seconds of the last change
    PRIMARY KEY (message, address)
);
