-- Classifiers trained from labelled feedback: a version per name, training metrics, the bytes.

CREATE TABLE models (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    version     BIGINT NOT NULL,   -- 1, 2, ... per name
    created_at  BIGINT NOT NULL,   -- unix seconds
    labels_file TEXT NOT NULL,     -- the labelled file it was trained on
    metrics     TEXT NOT NULL,     -- JSON: held-out accuracy, macro-F1, training time, classes
    model       BYTEA NOT NULL,    -- the serialised classifier
    UNIQUE (name, version)
);

-- Classifier tags ('model'): no phrase or offsets, the version of the model that predicted them.
ALTER TABLE feedback_themes ADD COLUMN model_version BIGINT;
