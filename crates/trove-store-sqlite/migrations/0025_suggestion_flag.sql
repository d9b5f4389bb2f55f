-- Whether an item's text is a suggestion (a clause asks the company to do more or less:
-- "please add", "more compassion"), read with its sentiment on import and by `trove tag --all`.
-- Items stored before read as not suggestions until they are re-tagged.
ALTER TABLE feedback ADD COLUMN suggestion INTEGER NOT NULL DEFAULT 0;
