-- The drill-down's indexes: its pages read items newest first by (received_at, id), and a
-- theme's items are found from the theme's links alone (the old theme_id index is a prefix of
-- the new one, so it goes).
CREATE INDEX feedback_received ON feedback (received_at, id);
CREATE INDEX feedback_themes_theme_items ON feedback_themes (theme_id, origin, feedback_id);
DROP INDEX feedback_themes_theme;
