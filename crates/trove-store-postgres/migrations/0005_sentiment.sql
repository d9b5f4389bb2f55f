-- The tone of each item's text (-1..1, NULL when not scored) and of the sentence carrying each
-- rule tag's match: the analysis counts unscored negative items, the room shows the words.
ALTER TABLE feedback ADD COLUMN sentiment REAL;
ALTER TABLE feedback_themes ADD COLUMN sentiment REAL;
