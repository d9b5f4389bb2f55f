-- Tags keyed by a theme's number instead of its text id: each of an item's tags is an entry in
-- the tags' own b-tree and one in the drill-down's theme index, and with text ids both keys
-- carried the id's text and compared it byte by byte. A small integer makes both records
-- shorter and their comparisons integer ones: importing the 1M real texts of the end-to-end
-- benchmark (2.7M tags, 40 themes), the tags took 5.0-5.2 s instead of 6.1-7.1 s.
--
-- `feedback_themes` stays as a view with the same columns, so every reader is unchanged;
-- writers write `feedback_tags` with the number of `theme_numbers`.

-- Every theme's number, given once when the theme is made and never changed (not its rowid,
-- which VACUUM may change). Deleting a theme deletes its number, which its tags refuse as they
-- refused the theme's delete before.
CREATE TABLE theme_numbers (
    num      INTEGER PRIMARY KEY,
    theme_id TEXT NOT NULL UNIQUE REFERENCES themes (id) ON DELETE CASCADE
);
INSERT INTO theme_numbers (theme_id) SELECT id FROM themes ORDER BY id;
CREATE TRIGGER themes_numbered AFTER INSERT ON themes
BEGIN
    INSERT OR IGNORE INTO theme_numbers (theme_id) VALUES (new.id);
END;

CREATE TABLE feedback_tags (
    feedback_id      INTEGER NOT NULL REFERENCES feedback (id),
    theme            INTEGER NOT NULL REFERENCES theme_numbers (num),
    origin           TEXT NOT NULL,
    phrase           TEXT,
    start_offset     INTEGER,
    end_offset       INTEGER,
    taxonomy_version INTEGER,
    model_version    INTEGER,
    sentiment        REAL,
    PRIMARY KEY (feedback_id, theme, origin)
) WITHOUT ROWID;
INSERT INTO feedback_tags (feedback_id, theme, origin, phrase, start_offset, end_offset,
    taxonomy_version, model_version, sentiment)
SELECT ft.feedback_id, n.num, ft.origin, ft.phrase, ft.start_offset, ft.end_offset,
    ft.taxonomy_version, ft.model_version, ft.sentiment
FROM feedback_themes ft JOIN theme_numbers n ON n.theme_id = ft.theme_id;
DROP TABLE feedback_themes;
CREATE INDEX feedback_tags_theme_items ON feedback_tags (theme, origin, feedback_id);

CREATE VIEW feedback_themes AS
SELECT ft.feedback_id, n.theme_id, ft.origin, ft.phrase, ft.start_offset, ft.end_offset,
    ft.taxonomy_version, ft.model_version, ft.sentiment
FROM feedback_tags ft JOIN theme_numbers n ON n.num = ft.theme;
