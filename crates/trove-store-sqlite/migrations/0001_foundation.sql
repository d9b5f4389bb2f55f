-- Feedback, customers, the journey, themes and import runs.
-- Times are unix seconds (UTC) with the source's offset kept beside them.

CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    file        TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL DEFAULT 'running',
    rows_read   INTEGER NOT NULL DEFAULT 0,
    imported    INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE feedback (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    channel         TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    received_offset INTEGER NOT NULL,
    customer_id     TEXT,
    account         TEXT,
    business_unit   TEXT,
    product         TEXT,
    region          TEXT,
    touchpoint      TEXT,
    journey_stage   TEXT,
    text            TEXT NOT NULL,
    nps             INTEGER,
    csat            INTEGER,
    ces             INTEGER,
    language        TEXT,
    attributes      TEXT,            -- JSON object, NULL when empty
    import_run_id   INTEGER REFERENCES import_runs (id),
    UNIQUE (source, external_id)
);

CREATE TABLE themes (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    parent_id TEXT
);

-- Which themes an item carries, and who said so ('source': coded by the source system).
CREATE TABLE feedback_themes (
    feedback_id INTEGER NOT NULL REFERENCES feedback (id),
    theme_id    TEXT NOT NULL REFERENCES themes (id),
    origin      TEXT NOT NULL,
    PRIMARY KEY (feedback_id, theme_id, origin)
);
CREATE INDEX feedback_themes_theme ON feedback_themes (theme_id);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    name          TEXT,
    email         TEXT,
    segment       TEXT,
    business_unit TEXT,
    region        TEXT,
    value_minor   INTEGER,
    currency      TEXT,
    first_seen    TEXT,              -- YYYY-MM-DD
    churned       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE departments (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE stages (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE touchpoints (
    id              TEXT PRIMARY KEY,
    stage_id        TEXT NOT NULL REFERENCES stages (id),
    name            TEXT NOT NULL,
    moment_of_truth INTEGER NOT NULL,
    position        INTEGER NOT NULL
);

CREATE TABLE touchpoint_departments (
    touchpoint_id TEXT NOT NULL REFERENCES touchpoints (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (touchpoint_id, department_id)
);
