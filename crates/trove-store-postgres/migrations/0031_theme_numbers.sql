-- Tags keyed by a theme's number instead of its text id, as on SQLite (its migration 0031).
--
-- Each tag is an entry in the tags' primary key and one in the drill-down's theme index. With
-- the text id first, the theme index compared text on every step down the tree, and every
-- column after a variable-width one is read the slow way; it was most of the cost of a tag.
-- Measured on 1,500,000 tags (40 themes) loaded by COPY into a table with both indexes: 17.9-
-- 21.3 s with the text id and the index (theme, origin, item), 10.9-11.6 s with the number and
-- the index (theme, item, origin). The item before the origin also means that a theme's new
-- tags go to one place in the index (items are numbered in order) instead of one per origin.
--
-- `feedback_themes` stays as a view with the same columns, so every reader is unchanged;
-- writers write `feedback_tags` with the number from `theme_numbers`.

-- Every theme's number, given once when the theme is made and never changed. The key is
-- called `id` so that the per-statement key check of migration 0030 serves it as it serves
-- every other parent. Deleting a theme deletes its number, which its tags refuse as they
-- refused the theme's delete before.
CREATE TABLE theme_numbers (
    id       INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    theme_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES themes (id) ON DELETE CASCADE
);
INSERT INTO theme_numbers (theme_id) SELECT id FROM themes ORDER BY id;

CREATE FUNCTION trove_number_themes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO theme_numbers (theme_id) SELECT id FROM new_rows ORDER BY id
        ON CONFLICT (theme_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER themes_numbered AFTER INSERT ON themes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_number_themes();
CREATE TRIGGER theme_numbers_fixed BEFORE UPDATE ON theme_numbers
    FOR EACH ROW EXECUTE FUNCTION trove_key_is_fixed();

-- The rows first and the indexes after: building an index once is cheaper than growing it.
CREATE TABLE feedback_tags (
    feedback_id      BIGINT NOT NULL,
    theme            INTEGER NOT NULL,
    origin           TEXT NOT NULL,
    phrase           TEXT,
    start_offset     BIGINT,
    end_offset       BIGINT,
    taxonomy_version BIGINT,
    model_version    BIGINT,
    sentiment        REAL
);
INSERT INTO feedback_tags (feedback_id, theme, origin, phrase, start_offset, end_offset,
    taxonomy_version, model_version, sentiment)
SELECT ft.feedback_id, n.id, ft.origin, ft.phrase, ft.start_offset, ft.end_offset,
    ft.taxonomy_version, ft.model_version, ft.sentiment
FROM feedback_themes ft JOIN theme_numbers n ON n.theme_id = ft.theme_id
ORDER BY ft.feedback_id, n.id, ft.origin;
ALTER TABLE feedback_tags ADD PRIMARY KEY (feedback_id, theme, origin);
CREATE INDEX feedback_tags_theme_items ON feedback_tags (theme, feedback_id, origin);

-- The old table's own key checks go with it; its parents' delete checks move to the new one.
DROP TRIGGER feedback_tags_deleted ON feedback;
DROP TRIGGER themes_tags_deleted ON themes;
DROP TABLE feedback_themes;

CREATE VIEW feedback_themes AS
SELECT ft.feedback_id, n.theme_id, ft.origin, ft.phrase, ft.start_offset, ft.end_offset,
    ft.taxonomy_version, ft.model_version, ft.sentiment
FROM feedback_tags ft JOIN theme_numbers n ON n.id = ft.theme;

CREATE TRIGGER feedback_tags_item_inserted AFTER INSERT ON feedback_tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('feedback_id', 'feedback');
CREATE TRIGGER feedback_tags_item_updated AFTER UPDATE ON feedback_tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('feedback_id', 'feedback');
CREATE TRIGGER feedback_tags_theme_inserted AFTER INSERT ON feedback_tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('theme', 'theme_numbers');
CREATE TRIGGER feedback_tags_theme_updated AFTER UPDATE ON feedback_tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('theme', 'theme_numbers');
CREATE TRIGGER feedback_tags_deleted AFTER DELETE ON feedback
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_children('feedback_tags', 'feedback_id');
-- A theme's delete deletes its number (the cascade runs as a DELETE, which fires this).
CREATE TRIGGER theme_numbers_tags_deleted AFTER DELETE ON theme_numbers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_children('feedback_tags', 'theme');
