-- Survey samples: each wave of invitations (so later draws leave recent invitees alone and
-- answers can be linked back to it), customers who asked not to be surveyed, and the
-- programme's maturity self-assessment (one answer set per person and month).

CREATE TABLE sample_waves (
    id                 BIGSERIAL PRIMARY KEY,
    drawn_at           BIGINT NOT NULL,   -- unix seconds
    drawn_by           TEXT,               -- e-mail of who drew it
    seed               TEXT NOT NULL,      -- a u64, as text
    quarantine_days    BIGINT NOT NULL,
    answer_window_days BIGINT NOT NULL,
    allocation         TEXT NOT NULL       -- JSON: method, strata, per-stratum table
);

CREATE TABLE sample_invitations (
    wave_id     BIGINT NOT NULL REFERENCES sample_waves (id),
    customer_id TEXT NOT NULL,
    stratum     TEXT NOT NULL,
    weight      DOUBLE PRECISION NOT NULL,             -- design weight N_h / n_h
    PRIMARY KEY (wave_id, customer_id)
);
CREATE INDEX sample_invitations_customer ON sample_invitations (customer_id);

CREATE TABLE survey_opt_outs (
    customer_id TEXT PRIMARY KEY,
    at          BIGINT NOT NULL           -- unix seconds
);

CREATE TABLE assessment_answers (
    person      TEXT NOT NULL,             -- e-mail, lowercase
    month       TEXT NOT NULL,             -- YYYY-MM
    question    TEXT NOT NULL,
    area        TEXT NOT NULL,
    answer      SMALLINT NOT NULL CHECK (answer BETWEEN 1 AND 5),
    answered_at BIGINT NOT NULL,          -- unix seconds
    PRIMARY KEY (person, month, question)
);
