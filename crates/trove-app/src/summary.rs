//! What is stored, counted by the main dimensions, with the overall scores.

use serde::Serialize;
use trove_analytics::scores::{self, Estimate};
use trove_domain::ScoreTally;
use trove_store::{Dimension, FeedbackFilter, GroupTally, StoreResult};

use crate::App;

/// Counts and scores of the stored feedback.
#[derive(Debug, Clone, Serialize)]
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
    /// Tallies by dimension, in the order asked.
    pub by: Vec<DimensionTally>,
}

/// The groups of one dimension.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionTally {
    /// The dimension.
    pub dimension: Dimension,
    /// Its groups, sorted by key (items without a value first).
    pub groups: Vec<GroupTally>,
}

impl App {
    /// Counts everything matching `filter` by each of `dimensions` (computed in the database).
    pub fn summary(
        &self,
        filter: &FeedbackFilter,
        dimensions: &[Dimension],
    ) -> StoreResult<Summary> {
        let store = self.store();
        let mut tally = ScoreTally::default();
        for group in store.tally_by(Dimension::Channel, filter)? {
            tally.merge(&group.tally);
        }
        let by = dimensions
            .iter()
            .map(|&dimension| {
                Ok(DimensionTally {
                    dimension,
                    groups: store.tally_by(dimension, filter)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Summary {
            feedback: tally.items,
            customers: store.count_customers()?,
            themes: store.themes()?.len() as u64,
            stages: store.journey()?.map_or(0, |j| j.stages().len() as u64),
            nps: scores::nps(&tally),
            csat: scores::csat(&tally),
            ces: scores::ces_share(&tally),
            tally,
            by,
        })
    }
}
