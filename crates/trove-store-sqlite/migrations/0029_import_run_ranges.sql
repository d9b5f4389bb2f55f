-- Which items an import added, as ranges of item ids instead of an index entry per item: an
-- import writes one range per batch (or widens the last one) where it wrote one entry in
-- feedback_import_run per row. A range may also cover items of other runs (items stored
-- without a run, ids used again after a delete), so readers take the items in a run's ranges
-- whose import_run_id is the run: the column stays the truth, the ranges only find it fast.
CREATE TABLE import_run_ranges (
    run_id   INTEGER NOT NULL REFERENCES import_runs (id),
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL,
    PRIMARY KEY (run_id, first_id)
) WITHOUT ROWID;

-- The items stored before: each run's runs of consecutive ids (among the items with a run).
INSERT INTO import_run_ranges (run_id, first_id, last_id)
SELECT import_run_id, min(id), max(id)
FROM (
    SELECT id, import_run_id,
        row_number() OVER (ORDER BY id)
            - row_number() OVER (PARTITION BY import_run_id ORDER BY id) AS island
    FROM feedback WHERE import_run_id IS NOT NULL
)
GROUP BY import_run_id, island;

DROP INDEX IF EXISTS feedback_import_run;
