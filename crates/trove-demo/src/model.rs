//! Everything the feedback stream is drawn from, computed once by [`crate::generate`]: the
//! day-by-day volume plan (seasonality, weekdays, the spike's burst), the theme and channel
//! tables, the customer pools and the labels items are stamped with.

use jiff::Span;
use jiff::civil::Date;
use jiff::tz::Offset;
use trove_domain::{Channel, Label, ThemeId};

use crate::DemoError;
use crate::catalog::{REGIONS, SOURCE, UNITS, label, slug};
use crate::customers::Profile;
use crate::rng::Rng;
use crate::themes::{CHANNEL_MIX, GENERAL_CHANNELS, Kind, THEMES, ThemeSpec, channel_factor};

/// Share of regular items that are score-only survey answers.
pub(crate) const SCORE_ONLY: f64 = 0.10;
/// Share of themed items that mention a second theme.
pub(crate) const SECOND_THEME: f64 = 0.15;
/// Share of all items that form the spike's burst.
pub(crate) const BURST: f64 = 0.012;
/// Rate left after the fix.
pub(crate) const REMAINING: f64 = 0.15;
/// Monthly volume, January first: winter storms and January renewals bring more.
pub(crate) const MONTH_FACTORS: [f64; 12] = [
    1.35, 1.25, 1.05, 0.95, 0.9, 0.85, 0.85, 0.8, 0.95, 1.0, 1.1, 1.2,
];
/// Weekday volume, Monday first.
pub(crate) const WEEKDAY_FACTORS: [f64; 7] = [1.15, 1.1, 1.05, 1.0, 0.95, 0.6, 0.5];
/// How the burst spreads over its seven days.
const BURST_SHAPE: [f64; 7] = [1.0, 0.85, 0.7, 0.55, 0.4, 0.3, 0.2];
/// Relative volume per local hour.
pub(crate) const HOURS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.5, 3.0, 3.0, 2.8, 2.6, 2.8, 2.8, 2.6, 2.4, 2.2, 2.0,
    1.8, 1.6, 1.3, 0.9, 0.5,
];

/// One day of the period.
#[derive(Debug, Clone)]
pub(crate) struct Day {
    pub(crate) date: Date,
    /// Days since the start of the period.
    pub(crate) index: i64,
    /// Local midnight, in seconds since the Unix epoch.
    pub(crate) midnight: i64,
    pub(crate) regular: usize,
    pub(crate) burst: usize,
    pub(crate) after_fix: bool,
}

/// Labels stamped on items, made once.
#[derive(Debug, Clone)]
pub(crate) struct Labels {
    pub(crate) source: Label,
    pub(crate) language: Label,
    pub(crate) units: Vec<Label>,
    pub(crate) regions: Vec<Label>,
    /// Flat list: units in order, products in order.
    pub(crate) products: Vec<Label>,
    /// Product names as text, same order.
    pub(crate) product_names: Vec<&'static str>,
    /// Every touchpoint id with its stage id.
    pub(crate) touchpoints: Vec<(Label, Label)>,
    /// Stage id labels by stage id.
    pub(crate) stages: Vec<(String, Label)>,
    pub(crate) theme_ids: Vec<ThemeId>,
}

/// The generator's private model.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) seed: u64,
    pub(crate) offset: Offset,
    pub(crate) days: Vec<Day>,
    pub(crate) total: usize,
    pub(crate) profiles: Vec<Profile>,
    /// Customers of each unit, by first-seen day.
    pub(crate) unit_pools: Vec<Vec<u32>>,
    /// For each chronic theme (in theme order), its exposed customers of each unit.
    pub(crate) exposed_pools: Vec<Vec<Vec<u32>>>,
    /// Theme index -> index among chronic themes.
    pub(crate) chronic_slot: Vec<Option<usize>>,
    /// Cumulative theme weights before and after the fix; the last entry is "no theme".
    pub(crate) themes_before: Vec<f64>,
    pub(crate) themes_after: Vec<f64>,
    /// Cumulative channel weights per theme; the last table is "no theme".
    pub(crate) channels: Vec<Vec<f64>>,
    /// Touchpoint indexes of each theme.
    pub(crate) theme_touchpoints: Vec<Vec<usize>>,
    pub(crate) spike: usize,
    pub(crate) labels: Labels,
}

/// The first day of the period: the first of the month `months - 1` months before `end`'s.
pub(crate) fn period_start(end: Date, months: u32) -> Result<Date, DemoError> {
    Ok(end
        .first_of_month()
        .checked_sub(Span::new().months(i64::from(months) - 1))?)
}

/// The first day of the `index`-th month of the period, plus `days`.
fn in_month(start: Date, index: u32, days: i64) -> Result<Date, DemoError> {
    Ok(start.checked_add(Span::new().months(i64::from(index)).days(days))?)
}

/// The spike window (seven days from the second Monday-ish of the month ~70% into the
/// period) and the fix date (the 15th of the month ~55% into it), kept inside the period.
pub(crate) fn planted_dates(
    start: Date,
    end: Date,
    months: u32,
) -> Result<(Date, Date, Date), DemoError> {
    let eighth = in_month(start, months * 13 / 18, 7)?;
    let to_monday = (7 - i64::from(eighth.weekday().to_monday_zero_offset())) % 7;
    let mut spike_start = eighth.checked_add(Span::new().days(to_monday))?;
    if spike_start.checked_add(Span::new().days(6))? > end {
        spike_start = end.checked_sub(Span::new().days(6))?.max(start);
    }
    let spike_end = spike_start.checked_add(Span::new().days(6))?;
    let fix = in_month(start, months * 10 / 18, 14)?.min(end);
    Ok((spike_start, spike_end, fix))
}

/// Counts that sum to exactly `total`, proportional to `weights` (cumulative rounding).
fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(weights.len());
    let (mut acc, mut given) = (0.0, 0usize);
    for w in weights {
        acc += w;
        let upto = if sum > 0.0 {
            (total as f64 * acc / sum).round() as usize
        } else {
            0
        };
        let upto = upto.min(total);
        out.push(upto.saturating_sub(given));
        given = given.max(upto);
    }
    out
}

/// Day-by-day volumes: regular items follow month and weekday factors with a little noise;
/// the burst falls on the spike window.
pub(crate) fn plan_days(
    rng: &mut Rng,
    (start, end): (Date, Date),
    (spike_start, spike_end, fix): (Date, Date, Date),
    total: usize,
    offset: Offset,
) -> Result<Vec<Day>, DemoError> {
    let first_midnight = offset
        .to_timestamp(start.to_datetime(jiff::civil::Time::midnight()))?
        .as_second();
    let mut days = Vec::new();
    let mut weights = Vec::new();
    let mut burst_weights = Vec::new();
    let mut date = start;
    let mut index = 0;
    while date <= end {
        let month = MONTH_FACTORS[usize::try_from(date.month() - 1).unwrap_or(0)];
        let weekday =
            WEEKDAY_FACTORS[usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0)];
        weights.push(month * weekday * (0.08 * rng.normal()).exp());
        let in_spike = (spike_start..=spike_end).contains(&date);
        let since = usize::try_from(date.since(spike_start)?.get_days()).unwrap_or(0);
        burst_weights.push(if in_spike {
            BURST_SHAPE.get(since).copied().unwrap_or(0.0)
        } else {
            0.0
        });
        days.push(Day {
            date,
            index,
            midnight: first_midnight + index * 86_400,
            regular: 0,
            burst: 0,
            after_fix: date >= fix,
        });
        index += 1;
        date = date.tomorrow()?;
    }
    let burst_total = (total as f64 * BURST).round() as usize;
    for ((day, regular), burst) in days
        .iter_mut()
        .zip(apportion(total - burst_total, &weights))
        .zip(apportion(burst_total, &burst_weights))
    {
        day.regular = regular;
        day.burst = burst;
    }
    Ok(days)
}

/// Cumulative sums.
fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    weights
        .into_iter()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

/// Theme weights (leaf themes, then "no theme"), before or after the fix.
pub(crate) fn theme_weights(after_fix: bool) -> Vec<f64> {
    let mut weights: Vec<f64> = THEMES
        .iter()
        .map(|t| {
            if after_fix && t.kind == Kind::Fixed {
                t.weight * REMAINING
            } else {
                t.weight
            }
        })
        .collect();
    let themed: f64 = weights.iter().sum();
    weights.push((1.0 - themed).max(0.0));
    weights
}

/// Cumulative channel weights of a theme (or of "no theme").
fn channel_table(theme: Option<&ThemeSpec>) -> Vec<f64> {
    let factors = theme.map_or(GENERAL_CHANNELS, |t| t.channels);
    cumulative(
        CHANNEL_MIX
            .iter()
            .map(|(c, share)| share * channel_factor(factors, *c)),
    )
}

/// The channel at an index of [`CHANNEL_MIX`].
pub(crate) fn channel_at(index: usize) -> Channel {
    CHANNEL_MIX.get(index).map_or(Channel::Survey, |(c, _)| *c)
}

/// Builds the labels items carry.
fn labels(journey: &trove_domain::Journey) -> Result<Labels, DemoError> {
    let mut touchpoints = Vec::new();
    let mut stages = Vec::new();
    for stage in journey.stages() {
        let stage_label = label(stage.id.as_str())?;
        stages.push((stage.id.as_str().to_owned(), stage_label.clone()));
        for touchpoint in &stage.touchpoints {
            touchpoints.push((label(touchpoint.id.as_str())?, stage_label.clone()));
        }
    }
    let product_names: Vec<&'static str> = UNITS
        .iter()
        .flat_map(|(_, _, p)| p.iter().copied())
        .collect();
    Ok(Labels {
        source: label(SOURCE)?,
        language: label("en")?,
        units: UNITS
            .iter()
            .map(|(name, _, _)| label(name))
            .collect::<Result<_, _>>()?,
        regions: REGIONS
            .iter()
            .map(|(name, _)| label(name))
            .collect::<Result<_, _>>()?,
        products: product_names
            .iter()
            .map(|p| label(p))
            .collect::<Result<_, _>>()?,
        product_names,
        touchpoints,
        stages,
        theme_ids: THEMES
            .iter()
            .map(|t| slug(t.id))
            .collect::<Result<_, _>>()?,
    })
}

/// Inputs of [`Model::build`] that come from the config and the customer base.
pub(crate) struct ModelInput<'a> {
    pub(crate) seed: u64,
    pub(crate) offset: Offset,
    pub(crate) days: Vec<Day>,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) journey: &'a trove_domain::Journey,
}

impl Model {
    /// Builds the tables and pools.
    pub(crate) fn build(input: ModelInput<'_>) -> Result<Self, DemoError> {
        let ModelInput {
            seed,
            offset,
            days,
            profiles,
            journey,
        } = input;
        let labels = labels(journey)?;
        let by_first_seen = |keep: &dyn Fn(&Profile) -> bool| {
            let mut pool: Vec<u32> = (0..profiles.len())
                .filter(|i| keep(&profiles[*i]))
                .filter_map(|i| u32::try_from(i).ok())
                .collect();
            pool.sort_by_key(|i| profiles.get(*i as usize).map_or(0, |p| p.first_seen_day));
            pool
        };
        let unit_pools: Vec<Vec<u32>> = (0..UNITS.len())
            .map(|u| by_first_seen(&|p| p.unit == u))
            .collect();
        let mut chronic_slot = Vec::with_capacity(THEMES.len());
        let mut exposed_pools = Vec::new();
        for theme in THEMES {
            if theme.kind == Kind::Chronic {
                let bit = 1u8 << exposed_pools.len();
                chronic_slot.push(Some(exposed_pools.len()));
                exposed_pools.push(
                    (0..UNITS.len())
                        .map(|u| by_first_seen(&|p| p.unit == u && p.exposed & bit != 0))
                        .collect(),
                );
            } else {
                chronic_slot.push(None);
            }
        }
        let theme_touchpoints = THEMES
            .iter()
            .map(|t| {
                t.touchpoints
                    .iter()
                    .filter_map(|id| {
                        labels
                            .touchpoints
                            .iter()
                            .position(|(tp, _)| tp.as_str() == *id)
                    })
                    .collect()
            })
            .collect();
        let mut channels: Vec<Vec<f64>> = THEMES.iter().map(|t| channel_table(Some(t))).collect();
        channels.push(channel_table(None));
        Ok(Self {
            seed,
            offset,
            total: days.iter().map(|d| d.regular + d.burst).sum(),
            days,
            profiles,
            unit_pools,
            exposed_pools,
            chronic_slot,
            themes_before: cumulative(theme_weights(false)),
            themes_after: cumulative(theme_weights(true)),
            channels,
            theme_touchpoints,
            spike: THEMES
                .iter()
                .position(|t| t.kind == Kind::Spike)
                .unwrap_or(0),
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportioning_gives_exact_totals_in_proportion() {
        assert_eq!(apportion(10, &[1.0, 1.0, 2.0]), vec![3, 2, 5]);
        assert_eq!(apportion(7, &[0.0, 0.0]), vec![0, 0]);
        let counts = apportion(1000, &[0.3, 0.3, 0.4]);
        assert_eq!(counts.iter().sum::<usize>(), 1000);
        assert_eq!(counts, vec![300, 300, 400]);
    }

    #[test]
    fn planted_dates_fall_inside_an_eighteen_month_period() {
        let end = jiff::civil::date(2026, 10, 31);
        let start = period_start(end, 18).unwrap();
        assert_eq!(start, jiff::civil::date(2025, 5, 1));
        let (spike_start, spike_end, fix) = planted_dates(start, end, 18).unwrap();
        assert_eq!(spike_start, jiff::civil::date(2026, 6, 8));
        assert_eq!(spike_end, jiff::civil::date(2026, 6, 14));
        assert_eq!(spike_start.weekday(), jiff::civil::Weekday::Monday);
        assert_eq!(fix, jiff::civil::date(2026, 3, 15));
    }

    #[test]
    fn the_no_theme_weight_absorbs_the_fix_so_other_shares_stay_put() {
        let (before, after) = (theme_weights(false), theme_weights(true));
        assert!((before.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((after.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let changed = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| (*b - *a).abs() > 1e-12)
            .count();
        assert_eq!(changed, 2, "the fixed theme and the no-theme share");
    }
}
