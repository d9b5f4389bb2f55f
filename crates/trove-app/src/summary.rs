//! What is stored, counted by the main dimensions, with the overall scores.

use serde::{Deserialize, Serialize};
use trove_analytics::scores::{self, Estimate};
use trove_domain::ScoreTally;
use trove_store::{Dimension, FeedbackFilter, GroupTally, StoreResult};

use crate::App;
use crate::kept::{Kept, KeptRequest};

/// Counts and scores of the stored feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Feedback items.
    pub feedback: u64,
    /// Customers.
    pub customers: u64,
    /// Themes.
    pub themes: u64,
    /// Journey stages loaded.
    pub stages: u64,
    /// Overall tallies.
    pub tally: ScoreTally,
    /// Overall NPS, when there are answers.
    pub nps: Option<Estimate>,
    /// Overall CSAT (top-two-box %), when there are answers.
    pub csat: Option<Estimate>,
    /// Overall CES (% answering 5-7), when there are answers.
    pub ces: Option<Estimate>,
    /// Overall mean CES answer (1-7) with its t interval, with two answers or more.
    pub ces_mean: Option<Estimate>,
    /// Tallies by dimension, in the order asked.
    pub by: Vec<DimensionTally>,
}

/// The groups of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionTally {
    /// The dimension.
    pub dimension: Dimension,
    /// Its groups, sorted by key (items without a value first).
    pub groups: Vec<GroupTally>,
}

impl App {
    /// [`App::summary`] on the data as it is now, computed once per version of the data and
    /// kept (see [`App::current_analysis`]).
    pub fn current_summary(
        &self,
        filter: &FeedbackFilter,
        dimensions: &[Dimension],
    ) -> StoreResult<Kept<Summary>> {
        let request = KeptRequest::Summary {
            filter: filter.clone(),
            dimensions: dimensions.to_vec(),
        };
        self.kept(&request, |_| self.summary(filter, dimensions))
    }

    /// The score tallies of the items matching `filter` grouped by `dimension`, on the data as
    /// it is now, computed once per version of the data and kept.
    pub fn current_tallies(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Kept<Vec<GroupTally>>> {
        let request = KeptRequest::Tallies {
            dimension,
            filter: filter.clone(),
        };
        self.kept(&request, |_| self.tally_by(dimension, filter))
    }

    /// Counts everything matching `filter` by each of `dimensions` (computed in the database).
    pub fn summary(
        &self,
        filter: &FeedbackFilter,
        dimensions: &[Dimension],
    ) -> StoreResult<Summary> {
        let store = self.store();
        let by = dimensions
            .iter()
            .map(|&dimension| {
                Ok(DimensionTally {
                    dimension,
                    groups: self.tally_by(dimension, filter)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // The overall tally is the sum of any dimension's groups: one grouped scan fewer.
        let overall = match by.first() {
            Some(first) => first.groups.clone(),
            None => self.tally_by(Dimension::Channel, filter)?,
        };
        let mut tally = ScoreTally::default();
        for group in &overall {
            tally.merge(&group.tally);
        }
        Ok(Summary {
            feedback: tally.items,
            customers: store.count_customers()?,
            themes: store.themes()?.len() as u64,
            stages: store.journey()?.map_or(0, |j| j.stages().len() as u64),
            nps: scores::nps(&tally),
            csat: scores::csat(&tally),
            ces: scores::ces_share(&tally),
            ces_mean: scores::ces_mean(&tally),
            tally,
            by,
        })
    }
}

/// Calendar periods longer than a month, whose tallies are the sums of their months'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongPeriod {
    /// Calendar quarters, labelled "2025-Q2".
    Quarter,
    /// Calendar years, labelled "2025".
    Year,
}

impl LongPeriod {
    /// The label of the period holding the month `YYYY-MM`; `None` for another key.
    fn label_of_month(self, month: &str) -> Option<String> {
        let (year, month) = month.split_once('-')?;
        let month: u32 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
        Some(match self {
            Self::Quarter => format!("{year}-Q{}", (month - 1) / 3 + 1),
            Self::Year => year.to_owned(),
        })
    }
}

/// Month groups (keys `YYYY-MM`, in order, as [`Dimension::Month`] gives them) added up into
/// quarters or years. A key that is not a month stays its own group.
pub fn roll_up_months(months: &[GroupTally], period: LongPeriod) -> Vec<GroupTally> {
    let mut groups: Vec<GroupTally> = Vec::new();
    for month in months {
        let key = month
            .key
            .as_deref()
            .and_then(|m| period.label_of_month(m))
            .or_else(|| month.key.clone());
        match groups.last_mut() {
            Some(last) if last.key == key => last.tally.merge(&month.tally),
            _ => groups.push(GroupTally {
                key,
                tally: month.tally,
            }),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(key: &str, items: u64) -> GroupTally {
        GroupTally {
            key: Some(key.to_owned()),
            tally: ScoreTally {
                items,
                ..Default::default()
            },
        }
    }

    #[test]
    fn months_add_up_into_quarters_and_years() {
        let months = [
            month("2024-12", 1),
            month("2025-01", 2),
            month("2025-03", 4),
            month("2025-04", 8),
        ];
        let quarters: Vec<(Option<String>, u64)> = roll_up_months(&months, LongPeriod::Quarter)
            .into_iter()
            .map(|g| (g.key, g.tally.items))
            .collect();
        assert_eq!(
            quarters,
            [
                (Some("2024-Q4".to_owned()), 1),
                (Some("2025-Q1".to_owned()), 6),
                (Some("2025-Q2".to_owned()), 8)
            ]
        );
        let years: Vec<u64> = roll_up_months(&months, LongPeriod::Year)
            .iter()
            .map(|g| g.tally.items)
            .collect();
        assert_eq!(years, [1, 14]);
    }
}
