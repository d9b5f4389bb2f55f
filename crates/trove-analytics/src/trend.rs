//! Periods (UTC day, ISO week, month, quarter, year) and the share series of a theme over them.
//!
//! The store fills [`ThemePeriodCounts`] and [`PeriodTotal`] with a `GROUP BY period, theme`
//! (and `GROUP BY period` for the totals) using [`period_index`]'s definition of a period; the
//! functions here turn them into series with the empty periods filled in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trove_domain::ScoreTally;

use crate::scores::Estimate;

const SECONDS_PER_DAY: i64 = 86_400;

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A UTC calendar day; index = days since 1970-01-01.
    Day,
    /// An ISO 8601 week (Monday to Sunday, UTC); index = weeks since the week of 1970-01-01
    /// (which began on Monday 1969-12-29).
    IsoWeek,
    /// A UTC calendar month; index = `year · 12 + month - 1`.
    Month,
    /// A UTC calendar quarter (January-March is Q1); index = `year · 4 + quarter - 1`.
    Quarter,
    /// A UTC calendar year; index = the year.
    Year,
}

impl PeriodKind {
    /// The plural noun for explanations: "days", "weeks", "months", "quarters", "years".
    pub fn plural(self) -> &'static str {
        match self {
            Self::Day => "days",
            Self::IsoWeek => "weeks",
            Self::Month => "months",
            Self::Quarter => "quarters",
            Self::Year => "years",
        }
    }

    /// The singular noun: "day", "week", "month", "quarter", "year".
    pub fn singular(self) -> &'static str {
        let plural = self.plural();
        &plural[..plural.len() - 1]
    }
}

/// The index of the period that contains the instant `unix_seconds` (UTC). Consecutive periods
/// have consecutive indexes, so a series is a range of integers.
pub fn period_index(unix_seconds: i64, kind: PeriodKind) -> i64 {
    let day = unix_seconds.div_euclid(SECONDS_PER_DAY);
    match kind {
        PeriodKind::Day => day,
        // 1970-01-01 was a Thursday: day -3 is the Monday that starts its ISO week.
        PeriodKind::IsoWeek => (day + 3).div_euclid(7),
        PeriodKind::Month => {
            let (year, month, _) = civil_from_days(day);
            year * 12 + i64::from(month) - 1
        }
        PeriodKind::Quarter => {
            let (year, month, _) = civil_from_days(day);
            year * 4 + i64::from(month - 1) / 3
        }
        PeriodKind::Year => civil_from_days(day).0,
    }
}

/// The first instant (unix seconds, UTC) of period `index`.
pub fn period_start(index: i64, kind: PeriodKind) -> i64 {
    let day = match kind {
        PeriodKind::Day => index,
        PeriodKind::IsoWeek => index * 7 - 3,
        PeriodKind::Month => {
            days_from_civil(index.div_euclid(12), (index.rem_euclid(12) + 1) as u32, 1)
        }
        PeriodKind::Quarter => {
            days_from_civil(index.div_euclid(4), (3 * index.rem_euclid(4) + 1) as u32, 1)
        }
        PeriodKind::Year => days_from_civil(index, 1, 1),
    };
    day * SECONDS_PER_DAY
}

/// The period's name: `2026-11-22`, `2026-W47` (ISO year and week), `2026-11`, `2026-Q4`,
/// `2026`.
pub fn period_label(index: i64, kind: PeriodKind) -> String {
    match kind {
        PeriodKind::Day => {
            let (y, m, d) = civil_from_days(index);
            format!("{y:04}-{m:02}-{d:02}")
        }
        PeriodKind::IsoWeek => {
            // The ISO year is the year of the week's Thursday; week 1 holds the first Thursday.
            let thursday = index * 7 - 3 + 3;
            let (year, _, _) = civil_from_days(thursday);
            let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
            format!("{year:04}-W{week:02}")
        }
        PeriodKind::Month => format!(
            "{:04}-{:02}",
            index.div_euclid(12),
            index.rem_euclid(12) + 1
        ),
        PeriodKind::Quarter => format!("{:04}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1),
        PeriodKind::Year => format!("{index:04}"),
    }
}

/// The day of the week of a day index: 0 = Monday … 6 = Sunday.
pub fn weekday(day_index: i64) -> usize {
    // Day 0 (1970-01-01) was a Thursday (3).
    (day_index + 3).rem_euclid(7) as usize
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01, in the proleptic Gregorian
/// calendar (H. Hinnant, "chrono-compatible low-level date algorithms", `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One theme's aggregate in one period: a row of
/// `SELECT period, theme, COUNT(DISTINCT item), COUNT(DISTINCT customer), <tally> … GROUP BY
/// period, theme`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemePeriodCounts {
    /// The theme's id (slug).
    pub theme: String,
    /// The period's index ([`period_index`]).
    pub period: i64,
    /// Items mentioning the theme (each item once).
    pub count: u64,
    /// Distinct customers among them (0 when customers are unknown).
    pub customers: u64,
    /// The scores of those items.
    pub tally: ScoreTally,
}

/// All items in one period (the denominator of a share).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodTotal {
    /// The period's index.
    pub period: i64,
    /// Items in the period.
    pub items: u64,
}

/// One point of a theme's series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SharePoint {
    /// The period's index.
    pub period: i64,
    /// Items mentioning the theme.
    pub count: u64,
    /// All items in the period.
    pub total: u64,
    /// `count / total` (0 when the period is empty).
    pub share: f64,
    /// Distinct customers who raised the theme in the period.
    pub customers: u64,
    /// Scores of the theme's items in the period (for a score per theme per period).
    pub tally: ScoreTally,
}

/// `count / total`, 0 for an empty period.
pub fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

/// A score per period of a series (e.g. `score_series(&points, crate::scores::nps)` for the NPS
/// of a theme's items per month): `(period, estimate)`, `None` where the period has no answer.
pub fn score_series<F>(points: &[SharePoint], score: F) -> Vec<(i64, Option<Estimate>)>
where
    F: Fn(&ScoreTally) -> Option<Estimate>,
{
    points.iter().map(|p| (p.period, score(&p.tally))).collect()
}

/// Every theme's series over the periods of `totals` (from the first to the last period, the
/// missing ones filled with zero totals), periods without the theme filled with zero counts.
/// Rows whose period lies outside that range are ignored.
pub fn share_series(
    counts: &[ThemePeriodCounts],
    totals: &[PeriodTotal],
) -> BTreeMap<String, Vec<SharePoint>> {
    let periods = dense_totals(totals);
    let Some(first) = periods.first().map(|t| t.period) else {
        return BTreeMap::new();
    };
    let mut series: BTreeMap<String, Vec<SharePoint>> = BTreeMap::new();
    for row in counts {
        let Some(slot) = usize::try_from(row.period - first)
            .ok()
            .filter(|i| *i < periods.len())
        else {
            continue;
        };
        let points = series
            .entry(row.theme.clone())
            .or_insert_with(|| periods.iter().map(|t| empty_point(*t)).collect());
        let point = &mut points[slot];
        point.count += row.count;
        point.customers += row.customers;
        point.tally.merge(&row.tally);
        point.share = share(point.count, point.total);
    }
    series
}

fn empty_point(total: PeriodTotal) -> SharePoint {
    SharePoint {
        period: total.period,
        count: 0,
        total: total.items,
        share: 0.0,
        customers: 0,
        tally: ScoreTally::default(),
    }
}

/// The totals sorted and made dense: one entry for every period from the first to the last
/// (duplicates summed, gaps with zero items).
pub fn dense_totals(totals: &[PeriodTotal]) -> Vec<PeriodTotal> {
    let mut by_period: BTreeMap<i64, u64> = BTreeMap::new();
    for t in totals {
        *by_period.entry(t.period).or_default() += t.items;
    }
    let (Some(first), Some(last)) = (
        by_period.keys().next().copied(),
        by_period.keys().next_back().copied(),
    ) else {
        return Vec::new();
    };
    (first..=last)
        .map(|period| PeriodTotal {
            period,
            items: by_period.get(&period).copied().unwrap_or(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_utc_calendar() {
        // 2026-11-22 22:20:51 UTC = 1_795_386_051 s; 1_795_386_051 / 86_400 = day 20_779.
        let t = 1_795_386_051;
        assert_eq!(period_index(t, PeriodKind::Day), 20_779);
        assert_eq!(period_label(20_779, PeriodKind::Day), "2026-11-22");
        // Month index 2026·12 + 10 = 24_322.
        assert_eq!(period_index(t, PeriodKind::Month), 24_322);
        assert_eq!(period_label(24_322, PeriodKind::Month), "2026-11");
        // 2026-11-22 is a Sunday, in ISO week 47 of 2026.
        assert_eq!(weekday(20_779), 6);
        let week = period_index(t, PeriodKind::IsoWeek);
        assert_eq!(period_label(week, PeriodKind::IsoWeek), "2026-W47");
        // Monday 2026-11-23 00:00 starts the next week.
        assert_eq!(
            period_index(
                period_start(week + 1, PeriodKind::IsoWeek),
                PeriodKind::IsoWeek
            ),
            week + 1
        );
        assert_eq!(
            period_label(
                period_index(period_start(week + 1, PeriodKind::IsoWeek), PeriodKind::Day),
                PeriodKind::Day
            ),
            "2026-11-23"
        );
    }

    #[test]
    fn iso_weeks_cross_year_ends_as_the_standard_says() {
        // 2021-01-03 (Sunday) belongs to 2020-W53; 2024-12-30 (Monday) to 2025-W01.
        let day = |y, m, d| days_from_civil(y, m, d) * SECONDS_PER_DAY;
        let label = |s| period_label(period_index(s, PeriodKind::IsoWeek), PeriodKind::IsoWeek);
        assert_eq!(label(day(2021, 1, 3)), "2020-W53");
        assert_eq!(label(day(2024, 12, 30)), "2025-W01");
        assert_eq!(label(day(1970, 1, 1)), "1970-W01");
        // Before 1970 too: 1969-12-31 is in the same week as 1970-01-01.
        assert_eq!(period_index(day(1969, 12, 31), PeriodKind::IsoWeek), 0);
        assert_eq!(
            period_label(
                period_index(day(1969, 12, 31), PeriodKind::Month),
                PeriodKind::Month
            ),
            "1969-12"
        );
        assert_eq!(period_start(24_322, PeriodKind::Month), day(2026, 11, 1));
    }

    #[test]
    fn quarters_and_years_follow_the_calendar() {
        let day = |y, m, d| days_from_civil(y, m, d) * SECONDS_PER_DAY;
        // 2025-05-31 is in Q2 (April-June): index 2025·4 + 1 = 8101.
        let q = period_index(day(2025, 5, 31), PeriodKind::Quarter);
        assert_eq!(q, 8_101);
        assert_eq!(period_label(q, PeriodKind::Quarter), "2025-Q2");
        assert_eq!(period_start(q, PeriodKind::Quarter), day(2025, 4, 1));
        assert_eq!(period_start(q + 1, PeriodKind::Quarter), day(2025, 7, 1));
        assert_eq!(
            period_label(
                period_index(day(2025, 12, 31), PeriodKind::Quarter),
                PeriodKind::Quarter
            ),
            "2025-Q4"
        );
        assert_eq!(period_index(day(2025, 12, 31), PeriodKind::Year), 2025);
        assert_eq!(period_label(2025, PeriodKind::Year), "2025");
        assert_eq!(period_start(2026, PeriodKind::Year), day(2026, 1, 1));
        assert_eq!(PeriodKind::Quarter.singular(), "quarter");
    }

    #[test]
    fn share_series_fills_the_gaps() {
        let row = |theme: &str, period, count| ThemePeriodCounts {
            theme: theme.into(),
            period,
            count,
            customers: count,
            tally: ScoreTally::default(),
        };
        let totals = [
            PeriodTotal {
                period: 10,
                items: 200,
            },
            PeriodTotal {
                period: 12,
                items: 50,
            },
        ];
        let series = share_series(
            &[
                row("billing", 10, 20),
                row("billing", 12, 5),
                row("app", 12, 1),
                row("app", 99, 1),
            ],
            &totals,
        );
        let billing = &series["billing"];
        // Periods 10, 11 (no items), 12: shares 20/200 = 0.1, 0, 5/50 = 0.1.
        assert_eq!(
            billing.iter().map(|p| p.share).collect::<Vec<_>>(),
            [0.1, 0.0, 0.1]
        );
        assert_eq!(billing[1].total, 0);
        assert_eq!(
            series["app"].iter().map(|p| p.count).collect::<Vec<_>>(),
            [0, 0, 1]
        );
        assert!(share_series(&[], &[]).is_empty());
        // The NPS of the theme's items per period: none where no one answered.
        let promoters = ScoreTally {
            nps_n: 2,
            promoters: 1,
            ..ScoreTally::default()
        };
        let scored = share_series(
            &[ThemePeriodCounts {
                tally: promoters,
                ..row("x", 12, 1)
            }],
            &totals,
        );
        let nps = score_series(&scored["x"], crate::scores::nps);
        assert_eq!(nps[0], (10, None));
        assert_eq!(nps[2].1.map(|e| e.value), Some(50.0));
    }
}
