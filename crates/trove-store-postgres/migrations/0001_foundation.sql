-- Feedback, customers, the journey, themes and import runs (the PostgreSQL twin of the SQLite
-- backend's 0001_foundation.sql: same tables, columns and meaning).
-- Times are unix seconds (UTC) with the source's offset kept beside them.
-- Keys and ids use the "C" collation: byte order, the order Rust sorts strings in, so keyset
-- pagination and "sorted by id" agree with the SQLite backend whatever the database's locale.

CREATE TABLE import_runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    file        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    status      TEXT NOT NULL DEFAULT 'running',
    rows_read   BIGINT NOT NULL DEFAULT 0,
    imported    BIGINT NOT NULL DEFAULT 0,
    duplicates  BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE feedback (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          TEXT COLLATE "C" NOT NULL,
    external_id     TEXT COLLATE "C" NOT NULL,
    channel         TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    received_offset INTEGER NOT NULL,
    customer_id     TEXT COLLATE "C",
    account         TEXT,
    business_unit   TEXT,
    product         TEXT,
    region          TEXT,
    touchpoint      TEXT,
    journey_stage   TEXT,
    text            TEXT NOT NULL,
    nps             SMALLINT,
    csat            SMALLINT,
    ces             SMALLINT,
    language        TEXT,
    attributes      JSONB,           -- object of strings, NULL when empty
    import_run_id   BIGINT REFERENCES import_runs (id),
    UNIQUE (source, external_id)
);

CREATE TABLE themes (
    id        TEXT COLLATE "C" PRIMARY KEY,
    name      TEXT NOT NULL,
    parent_id TEXT COLLATE "C"
);

-- Which themes an item carries, and who said so ('source': coded by the source system).
CREATE TABLE feedback_themes (
    feedback_id BIGINT NOT NULL REFERENCES feedback (id),
    theme_id    TEXT COLLATE "C" NOT NULL REFERENCES themes (id),
    origin      TEXT NOT NULL,
    PRIMARY KEY (feedback_id, theme_id, origin)
);
CREATE INDEX feedback_themes_theme ON feedback_themes (theme_id);

CREATE TABLE customers (
    id            TEXT COLLATE "C" PRIMARY KEY,
    name          TEXT,
    email         TEXT,
    segment       TEXT,
    business_unit TEXT,
    region        TEXT,
    value_minor   BIGINT,
    currency      TEXT,
    first_seen    DATE,
    churned       BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE departments (
    id       TEXT COLLATE "C" PRIMARY KEY,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE stages (
    id       TEXT COLLATE "C" PRIMARY KEY,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE touchpoints (
    id              TEXT COLLATE "C" PRIMARY KEY,
    stage_id        TEXT COLLATE "C" NOT NULL REFERENCES stages (id),
    name            TEXT NOT NULL,
    moment_of_truth BOOLEAN NOT NULL,
    position        INTEGER NOT NULL
);

CREATE TABLE touchpoint_departments (
    touchpoint_id TEXT COLLATE "C" NOT NULL REFERENCES touchpoints (id),
    department_id TEXT COLLATE "C" NOT NULL REFERENCES departments (id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (touchpoint_id, department_id)
);
