//! Where a backend's feedback writes spend their time, for `trove bench import`.

use std::time::Duration;

/// The time a store spent writing feedback since it was opened, by part of the work. Read
/// before and after an import, the difference is the import's. Counted per batch (a few
/// clock reads per transaction), so keeping them costs nothing measurable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStages {
    /// Inserting the feedback rows (their unique key and secondary indexes included).
    pub feedback: Duration,
    /// Storing the per-tag details (rule tags and source-coded themes).
    pub tags: Duration,
    /// Writing the compact facts rows.
    pub facts: Duration,
    /// Keeping the running totals (`fact_totals`).
    pub totals: Duration,
    /// Dropping and re-creating secondary indexes around a bulk load.
    pub indexes: Duration,
    /// Committing the transactions.
    pub commit: Duration,
    /// The transactions committed.
    pub batches: u64,
}

impl WriteStages {
    /// The time spent since `before` (read earlier from the same store).
    #[must_use]
    pub fn since(&self, before: &Self) -> Self {
        Self {
            feedback: self.feedback.saturating_sub(before.feedback),
            tags: self.tags.saturating_sub(before.tags),
            facts: self.facts.saturating_sub(before.facts),
            totals: self.totals.saturating_sub(before.totals),
            indexes: self.indexes.saturating_sub(before.indexes),
            commit: self.commit.saturating_sub(before.commit),
            batches: self.batches.saturating_sub(before.batches),
        }
    }

    /// The sum of the parts.
    #[must_use]
    pub fn total(&self) -> Duration {
        self.feedback + self.tags + self.facts + self.totals + self.indexes + self.commit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_since_an_earlier_reading_is_the_difference_of_each_part() {
        let ms = Duration::from_millis;
        let before = WriteStages {
            feedback: ms(10),
            tags: ms(5),
            facts: ms(2),
            totals: ms(1),
            indexes: ms(0),
            commit: ms(1),
            batches: 2,
        };
        let after = WriteStages {
            feedback: ms(25),
            tags: ms(9),
            facts: ms(3),
            totals: ms(3),
            indexes: ms(7),
            commit: ms(4),
            batches: 5,
        };
        let spent = after.since(&before);
        assert_eq!(spent.feedback, ms(15));
        assert_eq!(spent.batches, 3);
        assert_eq!(spent.total(), ms(15 + 4 + 1 + 2 + 7 + 3));
    }
}
