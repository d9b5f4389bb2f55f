//! Sentiment labels from the labelling page.

use trove_store::{LabelCandidate, LabelStore, LabelledItem, SentimentLabel, StoreResult};

use crate::PostgresStore;
use crate::decode::{db_error, get};

impl LabelStore for PostgresStore {
    fn set_sentiment_label(&self, label: &SentimentLabel) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "INSERT INTO sentiment_labels (feedback_id, label, labelled_by, labelled_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (feedback_id) DO UPDATE SET label = excluded.label,
                     labelled_by = excluded.labelled_by, labelled_at = excluded.labelled_at",
                &[
                    &label.feedback_id,
                    &label.label,
                    &label.labelled_by,
                    &label.labelled_at,
                ],
            )
            .map_err(|e| db_error("storing a sentiment label", e))?;
        Ok(())
    }

    fn labelled_items(&self) -> StoreResult<Vec<LabelledItem>> {
        let context = "reading the sentiment labels";
        self.pool
            .get()?
            .query(
                "SELECT l.feedback_id, l.label, l.labelled_by, l.labelled_at, f.source, f.text
                 FROM sentiment_labels l JOIN feedback f ON f.id = l.feedback_id
                 ORDER BY l.feedback_id",
                &[],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| {
                Ok(LabelledItem {
                    label: SentimentLabel {
                        feedback_id: get(row, 0, context)?,
                        label: get(row, 1, context)?,
                        labelled_by: get(row, 2, context)?,
                        labelled_at: get(row, 3, context)?,
                    },
                    source: get(row, 4, context)?,
                    text: get(row, 5, context)?,
                })
            })
            .collect()
    }

    fn label_candidates(&self, per_source: usize) -> StoreResult<Vec<LabelCandidate>> {
        let context = "choosing items to label";
        let limit = i64::try_from(per_source).unwrap_or(i64::MAX);
        self.pool
            .get()?
            .query(
                "SELECT id, source, text FROM (
                     SELECT f.id, f.source, f.text, ROW_NUMBER() OVER (
                         PARTITION BY f.source
                         ORDER BY ((f.id % 1000003) * 999983) % 1000003, f.id) AS n
                     FROM feedback f
                     WHERE trim(f.text) <> ''
                       AND NOT EXISTS (SELECT 1 FROM sentiment_labels l WHERE l.feedback_id = f.id)
                 ) ranked WHERE n <= $1 ORDER BY source, n",
                &[&limit],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| {
                Ok(LabelCandidate {
                    feedback_id: get(row, 0, context)?,
                    source: get(row, 1, context)?,
                    text: get(row, 2, context)?,
                })
            })
            .collect()
    }
}
