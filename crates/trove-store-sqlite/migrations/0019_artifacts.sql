-- Artifacts: files attached to a touchpoint or to one feedback item, bytes included.

CREATE TABLE artifacts (
    id           INTEGER PRIMARY KEY,
    touchpoint   TEXT,              -- a journey touchpoint's id, or
    feedback_id  INTEGER,           -- a feedback item's id (exactly one of the two)
    name         TEXT NOT NULL,
    media_type   TEXT NOT NULL,     -- detected from the content, never taken from the uploader
    note         TEXT,
    content_hash TEXT NOT NULL,     -- BLAKE3, hex
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     INTEGER NOT NULL,  -- unix seconds
    CHECK ((touchpoint IS NULL) <> (feedback_id IS NULL))
);

CREATE INDEX artifacts_by_touchpoint ON artifacts (touchpoint) WHERE touchpoint IS NOT NULL;
CREATE INDEX artifacts_by_item ON artifacts (feedback_id) WHERE feedback_id IS NOT NULL;
