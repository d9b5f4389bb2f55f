-- Public feedback forms (`/f/{id}`), and the import run of each form's answers of a day.

CREATE TABLE feedback_forms (
    id            TEXT COLLATE "C" PRIMARY KEY,  -- unguessable, in the public path
    secret        TEXT NOT NULL,     -- signs the page's time stamps (hex); never shown
    title         TEXT NOT NULL,
    question      TEXT NOT NULL,
    source        TEXT NOT NULL,
    touchpoint    TEXT NOT NULL,
    business_unit TEXT,
    scale         TEXT NOT NULL,     -- nps, csat, ces or none
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,   -- unix seconds
    closed_at     BIGINT             -- unix seconds; closed forms take no answers
);

CREATE TABLE feedback_form_runs (
    form_id       TEXT NOT NULL REFERENCES feedback_forms (id),
    day           TEXT NOT NULL,     -- YYYY-MM-DD, UTC
    import_run_id BIGINT NOT NULL REFERENCES import_runs (id),
    PRIMARY KEY (form_id, day)
);
