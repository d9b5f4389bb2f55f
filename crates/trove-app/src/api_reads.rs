//! Reads the JSON API serves beside the analysis: a theme's share per period over the
//! analysis window, and the scores per calendar period, computed as `trove trend` and
//! `trove scores --period` compute them.

use trove_analytics::analysis::window_of;
use trove_analytics::trend::{SharePoint, period_label};
use trove_store::{Dimension, FeedbackFilter, GroupTally, StoreResult};

use crate::{AnalysisRequest, App, LongPeriod, roll_up_months};

/// One period of a theme's trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPeriod {
    /// The period's name ("2025-05", "2025-W24").
    pub period: String,
    /// Its figures.
    pub point: SharePoint,
}

/// A calendar period for scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScorePeriod {
    /// `YYYY-MM`.
    Month,
    /// `YYYY-Qn`.
    Quarter,
    /// `YYYY`.
    Year,
}

impl App {
    /// A theme's share of items per period over the window `request` analyses (its period
    /// kind, window and end); `None` when no item carries the theme.
    pub fn theme_trend(
        &self,
        theme: &str,
        request: &AnalysisRequest,
    ) -> StoreResult<Option<Vec<TrendPeriod>>> {
        let facts = self.load_facts(&request.filter, request.origin)?;
        if !facts.theme_names().iter().any(|t| t == theme) {
            return Ok(None);
        }
        let kind = request.params.period;
        let totals = facts.totals(kind);
        let window = window_of(&totals, &request.params);
        Ok(Some(
            facts
                .series(theme, kind, &totals)
                .into_iter()
                .filter(|p| window.iter().any(|t| t.period == p.period))
                .map(|point| TrendPeriod {
                    period: period_label(point.period, kind),
                    point,
                })
                .collect(),
        ))
    }

    /// The score tallies of the matching items per calendar period (UTC), oldest first.
    pub fn scores_by_period(
        &self,
        period: ScorePeriod,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>> {
        let months = self.tally_by(Dimension::Month, filter)?;
        let mut groups = match period {
            ScorePeriod::Month => months,
            ScorePeriod::Quarter => roll_up_months(&months, LongPeriod::Quarter),
            ScorePeriod::Year => roll_up_months(&months, LongPeriod::Year),
        };
        groups.retain(|g| g.key.is_some());
        Ok(groups)
    }
}
