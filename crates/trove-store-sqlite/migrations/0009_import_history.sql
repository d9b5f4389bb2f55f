-- Import history that tells the truth: each item's run is indexed (an interrupted run's
-- stored items are counted, a run's items deleted), and a run records why it ended, how many
-- stored items it overwrote, and when its items were deleted.

CREATE INDEX feedback_import_run ON feedback (import_run_id);

ALTER TABLE import_runs ADD COLUMN replaced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_runs ADD COLUMN reason TEXT;
ALTER TABLE import_runs ADD COLUMN deleted_at INTEGER;     -- unix seconds
ALTER TABLE import_runs ADD COLUMN deleted_items INTEGER;
