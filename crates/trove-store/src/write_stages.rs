//! Where a backend's feedback writes spend their time, for `trove bench import`.

use std::ops::AddAssign;
use std::time::{Duration, Instant};

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
    /// The most connections that wrote side by side (a PostgreSQL batch is written in two
    /// halves at once): each part sums their times, so the parts can add up to more than the
    /// wall time.
    pub side_by_side: u32,
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
            side_by_side: self.side_by_side,
        }
    }

    /// The sum of the parts.
    #[must_use]
    pub fn total(&self) -> Duration {
        self.feedback + self.tags + self.facts + self.totals + self.indexes + self.commit
    }
}

impl AddAssign<&WriteStages> for WriteStages {
    /// Adds another write's time (`side_by_side` keeps the larger of the two).
    fn add_assign(&mut self, spent: &WriteStages) {
        self.feedback += spent.feedback;
        self.tags += spent.tags;
        self.facts += spent.facts;
        self.totals += spent.totals;
        self.indexes += spent.indexes;
        self.commit += spent.commit;
        self.batches += spent.batches;
        self.side_by_side = self.side_by_side.max(spent.side_by_side);
    }
}

/// Times consecutive parts of a write: each [`Laps::lap`] is the time since the last one.
#[derive(Debug)]
pub struct Laps(Instant);

impl Laps {
    /// Starts the first lap now.
    #[must_use]
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// The time since the last lap (or the start), and starts the next one.
    pub fn lap(&mut self) -> Duration {
        let now = Instant::now();
        let lap = now - self.0;
        self.0 = now;
        lap
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
            side_by_side: 1,
        };
        let after = WriteStages {
            feedback: ms(25),
            tags: ms(9),
            facts: ms(3),
            totals: ms(3),
            indexes: ms(7),
            commit: ms(4),
            batches: 5,
            side_by_side: 2,
        };
        let spent = after.since(&before);
        assert_eq!(spent.feedback, ms(15));
        assert_eq!(spent.batches, 3);
        assert_eq!(spent.total(), ms(15 + 4 + 1 + 2 + 7 + 3));
        assert_eq!(spent.side_by_side, 2);
    }

    #[test]
    fn adding_a_write_sums_its_parts_and_keeps_the_most_writers_side_by_side() {
        let ms = Duration::from_millis;
        let mut stages = WriteStages {
            feedback: ms(10),
            commit: ms(2),
            batches: 1,
            side_by_side: 2,
            ..WriteStages::default()
        };
        stages += &WriteStages {
            feedback: ms(5),
            tags: ms(3),
            indexes: ms(4),
            batches: 1,
            side_by_side: 1,
            ..WriteStages::default()
        };
        assert_eq!(stages.feedback, ms(15));
        assert_eq!(stages.tags, ms(3));
        assert_eq!(stages.indexes, ms(4));
        assert_eq!(stages.commit, ms(2));
        assert_eq!(stages.batches, 2);
        assert_eq!(stages.side_by_side, 2);
        assert_eq!(stages.total(), ms(24));
    }
}
