-- The question each source's text answers (a mapping's `question` and `question_kind`), which
-- changes how its answers' sentiment is read: "nothing" to "what could we improve?" is praise.
-- Learned sentiment models live in `models` (names `sentiment` and `sentiment@<source>`).

CREATE TABLE source_questions (
    source     TEXT PRIMARY KEY,
    question   TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('improve', 'praise', 'open')),
    updated_at BIGINT NOT NULL   -- unix seconds
);
