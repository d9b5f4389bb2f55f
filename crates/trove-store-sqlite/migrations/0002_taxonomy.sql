-- The taxonomy: its versions, richer theme records, and rule tags with what matched and where.

CREATE TABLE taxonomy_versions (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    toml       TEXT NOT NULL,
    diff       TEXT NOT NULL     -- JSON: {"added": [...], "removed": [...], "changed": [...]}
);

ALTER TABLE themes ADD COLUMN description TEXT;
ALTER TABLE themes ADD COLUMN stage_id TEXT;            -- the theme's stage, or its nearest ancestor's
ALTER TABLE themes ADD COLUMN departments TEXT;         -- JSON array of department ids, NULL when none
ALTER TABLE themes ADD COLUMN taxonomy_version INTEGER; -- last version defining it; NULL: source-coded only
ALTER TABLE themes ADD COLUMN retired_in INTEGER;       -- the version that removed it

-- Rule tags ('rule'): the phrase that matched, its byte offsets, the version that tagged.
ALTER TABLE feedback_themes ADD COLUMN phrase TEXT;
ALTER TABLE feedback_themes ADD COLUMN start_offset INTEGER;
ALTER TABLE feedback_themes ADD COLUMN end_offset INTEGER;
ALTER TABLE feedback_themes ADD COLUMN taxonomy_version INTEGER;
