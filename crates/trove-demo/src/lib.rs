//! A seeded, deterministic demo company for Trove: Northwind Mutual, a home and motor insurer,
//! with its departments, customer journey, themes, customers and 18 months of feedback from
//! every channel, plus the truth planted in that feedback (chronic issues, a one-off spike, an
//! issue fixed mid-period, seasonality) so analyses can be checked against it.
//!
//! The same seed always gives the same company and the same items, whatever the dependency
//! versions: the random generator is written here. This crate is pure: it must not depend on
//! storage, do IO, spawn threads or read the clock. Callers store or print what it yields.
//!
//! ```
//! let company = trove_demo::generate(&trove_demo::DemoConfig { customers: 500, feedback: 2_000, ..Default::default() })?;
//! assert_eq!(company.feedback().count(), 2_000);
//! assert_eq!(company.truth.chronic().count(), 3);
//! # Ok::<(), trove_demo::DemoError>(())
//! ```

mod catalog;
mod customers;
mod feedback;
mod model;
mod rng;
mod text;
mod themes;
mod truth;

use std::fmt;

use jiff::civil::Date;
use jiff::tz::Offset;
use trove_domain::{Currency, Customer, DomainError, FeedbackItem, Journey, Label, Theme, ThemeId};

pub use truth::{ThemeKind, ThemeTruth, Truth};

use crate::catalog::{COMPANY, CURRENCY, SEGMENTS, UNITS, UTC_OFFSET_HOURS, label, slug};
use crate::model::{
    MONTH_FACTORS, Model, ModelInput, REMAINING, SCORE_ONLY, SECOND_THEME, WEEKDAY_FACTORS,
};
use crate::rng::Rng;
use crate::themes::{GROUPS, Kind, THEMES};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// The seed: the same seed gives the same company and feedback.
    pub seed: u64,
    /// Number of customers (1 to 1,000,000).
    pub customers: usize,
    /// Number of feedback items, exactly (at most 10,000,000).
    pub feedback: usize,
    /// Calendar months of feedback, ending with `end`'s month (3 to 120).
    pub months: u32,
    /// Last day of feedback.
    pub end: Date,
}

impl Default for DemoConfig {
    /// Seed 42, 6,000 customers, 60,000 items over the 18 months ending 2026-10-31.
    fn default() -> Self {
        Self {
            seed: 42,
            customers: 6_000,
            feedback: 60_000,
            months: 18,
            end: jiff::civil::date(2026, 10, 31),
        }
    }
}

/// Why a demo company could not be generated.
#[derive(Debug)]
pub enum DemoError {
    /// A config value is out of range.
    Config {
        /// The field.
        field: &'static str,
        /// Why it was refused.
        why: String,
    },
    /// A built-in name was refused by the domain (a bug in this crate).
    Domain(DomainError),
    /// The period does not fit the calendar.
    Date(jiff::Error),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config { field, why } => write!(f, "demo config {field} is not valid: {why}"),
            Self::Domain(error) => write!(f, "demo catalog is not valid: {error}"),
            Self::Date(error) => write!(f, "demo period is not valid: {error}"),
        }
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config { .. } => None,
            Self::Domain(error) => Some(error),
            Self::Date(error) => Some(error),
        }
    }
}

impl From<DomainError> for DemoError {
    fn from(error: DomainError) -> Self {
        Self::Domain(error)
    }
}

impl From<jiff::Error> for DemoError {
    fn from(error: jiff::Error) -> Self {
        Self::Date(error)
    }
}

/// A product and the business unit that sells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Product name.
    pub name: Label,
    /// Business unit.
    pub business_unit: Label,
}

/// A generated company: its catalog, customers and planted truth. Its feedback is streamed
/// on demand by [`DemoCompany::feedback`].
#[derive(Debug, Clone)]
pub struct DemoCompany {
    /// Display name, "Northwind Mutual".
    pub name: String,
    /// The source name every item carries, `northwind-demo`.
    pub source: String,
    /// The currency of customer values.
    pub currency: Currency,
    /// The fixed UTC offset items are written with.
    pub offset: Offset,
    /// Stages, touchpoints and departments.
    pub journey: Journey,
    /// The taxonomy: group themes, then leaf themes (whose ids the truth uses).
    pub themes: Vec<Theme>,
    /// Business units.
    pub business_units: Vec<Label>,
    /// Regions.
    pub regions: Vec<Label>,
    /// Customer segments.
    pub segments: Vec<Label>,
    /// Products.
    pub products: Vec<Product>,
    /// Customers, ids `C000001` upwards.
    pub customers: Vec<Customer>,
    /// What was planted in the feedback.
    pub truth: Truth,
    model: Model,
}

impl DemoCompany {
    /// The feedback items in time order; the same for the same config, every time.
    pub fn feedback(&self) -> impl ExactSizeIterator<Item = FeedbackItem> + '_ {
        self.feedback_with_truth().map(|(item, _)| item)
    }

    /// The feedback items with the ids of the themes each one's text is truly about (main
    /// theme first; empty for comments about nothing in particular and score-only answers),
    /// to measure a tagger against. The items themselves never carry this.
    pub fn feedback_with_truth(
        &self,
    ) -> impl ExactSizeIterator<Item = (FeedbackItem, Vec<ThemeId>)> + '_ {
        feedback::FeedbackStream::new(self)
    }

    /// The number of items the feedback iterators yield.
    pub fn feedback_count(&self) -> usize {
        self.model.total
    }
}

/// Checks a config value's range.
fn check(field: &'static str, value: usize, min: usize, max: usize) -> Result<(), DemoError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(DemoError::Config {
            field,
            why: format!("{value} is outside {min}..={max}"),
        })
    }
}

/// Generates the company: journey, themes, customers, the volume plan and the truth. Fast
/// (milliseconds); the items themselves are made while iterating.
pub fn generate(config: &DemoConfig) -> Result<DemoCompany, DemoError> {
    check("customers", config.customers, 1, 1_000_000)?;
    check("feedback", config.feedback, 0, 10_000_000)?;
    check(
        "months",
        usize::try_from(config.months).unwrap_or(usize::MAX),
        3,
        120,
    )?;
    let journey = catalog::journey()?;
    let offset = Offset::constant(UTC_OFFSET_HOURS);
    let end = config.end;
    let start = model::period_start(end, config.months)?;
    let period_days = start.until(end)?.get_days().into();
    let (spike_start, spike_end, fix_date) = model::planted_dates(start, end, config.months)?;

    let chronic = THEMES.iter().filter(|t| t.kind == Kind::Chronic).count();
    let (customers, profiles) = customers::build(
        &mut Rng::new(config.seed, 1),
        config.customers,
        chronic,
        start,
        period_days,
    )?;
    let days = model::plan_days(
        &mut Rng::new(config.seed, 3),
        (start, end),
        (spike_start, spike_end, fix_date),
        config.feedback,
        offset,
    )?;
    let model = Model::build(ModelInput {
        seed: config.seed,
        offset,
        days,
        profiles,
        journey: &journey,
    })?;

    let mut themes = GROUPS
        .iter()
        .map(|(id, name)| {
            Ok(Theme {
                id: slug(id)?,
                name: label(name)?,
                parent: None,
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let mut truths = Vec::with_capacity(THEMES.len());
    for spec in THEMES {
        let (id, name, parent) = (slug(spec.id)?, label(spec.name)?, slug(spec.parent)?);
        themes.push(Theme {
            id: id.clone(),
            name: name.clone(),
            parent: Some(parent.clone()),
        });
        truths.push(ThemeTruth {
            id,
            name,
            parent,
            stage: slug(spec.stage)?,
            touchpoints: spec
                .touchpoints
                .iter()
                .map(|t| slug(t))
                .collect::<Result<_, _>>()?,
            departments: spec
                .departments
                .iter()
                .map(|d| slug(d))
                .collect::<Result<_, _>>()?,
            kind: match spec.kind {
                Kind::Chronic => ThemeKind::Chronic,
                Kind::Spike => ThemeKind::Spike {
                    start: spike_start,
                    end: spike_end,
                    channel: themes::main_channel(spec),
                    business_unit: label(themes::main_unit(spec))?,
                },
                Kind::Fixed => ThemeKind::Fixed {
                    fix_date,
                    remaining: REMAINING,
                },
                Kind::Background => ThemeKind::Background,
                Kind::Positive => ThemeKind::Positive,
            },
            share: spec.weight * (1.0 - SCORE_ONLY),
            nps_effect: spec.nps,
            keywords: spec.keywords.iter().map(|k| (*k).to_owned()).collect(),
        });
    }
    let truth = Truth {
        start,
        end,
        themes: truths,
        score_only_share: SCORE_ONLY,
        second_theme_share: SECOND_THEME,
        burst_items: model.days.iter().map(|d| d.burst).sum(),
        month_factors: MONTH_FACTORS,
        weekday_factors: WEEKDAY_FACTORS,
    };

    let mut products = Vec::new();
    for (unit, _, names) in UNITS {
        for name in names {
            products.push(Product {
                name: label(name)?,
                business_unit: label(unit)?,
            });
        }
    }
    Ok(DemoCompany {
        name: COMPANY.to_owned(),
        source: model.labels.source.to_string(),
        currency: Currency::parse(CURRENCY)?,
        offset,
        journey,
        themes,
        business_units: model.labels.units.clone(),
        regions: model.labels.regions.clone(),
        segments: SEGMENTS
            .iter()
            .map(|s| label(s))
            .collect::<Result<_, _>>()?,
        products,
        customers,
        truth,
        model,
    })
}

#[cfg(test)]
mod tests;
