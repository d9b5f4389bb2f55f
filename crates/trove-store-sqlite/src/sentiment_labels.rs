//! Sentiment labels from the labelling page.

use rusqlite::params;
use trove_store::{LabelCandidate, LabelStore, LabelledItem, SentimentLabel, StoreResult};

use crate::SqliteStore;
use crate::decode::db_error;

impl LabelStore for SqliteStore {
    fn set_sentiment_label(&self, label: &SentimentLabel) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO sentiment_labels (feedback_id, label, labelled_by, labelled_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (feedback_id) DO UPDATE SET label = excluded.label,
                     labelled_by = excluded.labelled_by, labelled_at = excluded.labelled_at",
                params![
                    label.feedback_id,
                    label.label,
                    label.labelled_by,
                    label.labelled_at
                ],
            )
            .map_err(|e| db_error("storing a sentiment label", e))?;
        Ok(())
    }

    fn labelled_items(&self) -> StoreResult<Vec<LabelledItem>> {
        let context = "reading the sentiment labels";
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT l.feedback_id, l.label, l.labelled_by, l.labelled_at, f.source, f.text
                 FROM sentiment_labels l JOIN feedback f ON f.id = l.feedback_id
                 ORDER BY l.feedback_id",
            )
            .map_err(|e| db_error(context, e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(LabelledItem {
                    label: SentimentLabel {
                        feedback_id: row.get(0)?,
                        label: row.get(1)?,
                        labelled_by: row.get(2)?,
                        labelled_at: row.get(3)?,
                    },
                    source: row.get(4)?,
                    text: row.get(5)?,
                })
            })
            .map_err(|e| db_error(context, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_error(context, e))
    }

    fn label_candidates(&self, per_source: usize) -> StoreResult<Vec<LabelCandidate>> {
        let context = "choosing items to label";
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT id, source, text FROM (
                     SELECT f.id, f.source, f.text, ROW_NUMBER() OVER (
                         PARTITION BY f.source
                         ORDER BY ((f.id % 1000003) * 999983) % 1000003, f.id) AS n
                     FROM feedback f
                     WHERE trim(f.text) <> ''
                       AND NOT EXISTS (SELECT 1 FROM sentiment_labels l WHERE l.feedback_id = f.id)
                 ) ranked WHERE n <= ?1 ORDER BY source, n",
            )
            .map_err(|e| db_error(context, e))?;
        let limit = i64::try_from(per_source).unwrap_or(i64::MAX);
        let rows = statement
            .query_map([limit], |row| {
                Ok(LabelCandidate {
                    feedback_id: row.get(0)?,
                    source: row.get(1)?,
                    text: row.get(2)?,
                })
            })
            .map_err(|e| db_error(context, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_error(context, e))
    }
}
