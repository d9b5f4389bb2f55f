//! Spikes (one period far above the theme's recent normal) and sustained shifts (a level change
//! that persists) in a theme's share series.
//!
//! - **Robust z-score** (Iglewicz & Hoaglin, *How to Detect and Handle Outliers*, 1993): the
//!   period's share against the median of the trailing window, scaled by `1.4826 · MAD` (the
//!   MAD's consistency factor for the normal). The scale is never taken below the binomial
//!   sampling sd `sqrt(m (1 - m) / n)` of the tested period, so a theme that was perfectly steady
//!   (MAD 0) is not flagged for a change that sampling alone explains.
//! - **Poisson tail test** when the expected count is small (< [`SpikeParams::small_expected`]):
//!   `p = P(X ≥ k | λ)` with `λ = baseline rate × period total`, the baseline rate being the
//!   window's pooled rate `Σ count / Σ total` (at least `½ / Σ total`, so a theme never seen in
//!   the window is not infinitely surprising).
//! - **Evidence before any alert**: a spike needs at least [`SpikeParams::min_count`] items in
//!   its period (default 10), and its p-value (the Poisson tail, or the normal tail of the robust
//!   z) at most [`SpikeParams::alpha`]: the Bonferroni level `family_alpha / tests` for the
//!   number of theme-periods read together (default 0.05 over themes × window periods), never
//!   above `poisson_alpha` (0.001). Periods with fewer than [`SpikeParams::min_volume`] items
//!   (default 30) are neither tested nor part of a baseline: a month of 6 items says little.
//! - **Weekly seasonality** (daily data): multiplicative day-of-week factors, the ratio of each
//!   weekday's pooled rate to the overall rate (classical decomposition, e.g. Hyndman &
//!   Athanasopoulos, *Forecasting: Principles and Practice*, §3.4); shares and expected counts
//!   are divided / multiplied by the factor.
//! - **Sustained shifts**: the two-sided tabular CUSUM (Montgomery, *Introduction to Statistical
//!   Quality Control*, 7th ed., §9.1) on standardized shares, `C⁺ₜ = max(0, zₜ - k + C⁺ₜ₋₁)`,
//!   `C⁻ₜ = max(0, -zₜ - k + C⁻ₜ₋₁)`, signal when either exceeds `h`. With k = 0.5 and h = 5 the
//!   in-control average run length is about 465 periods and a 1 sd shift is found in about 10
//!   (Montgomery Table 9.3). The reference is the first `window` periods with enough volume: its
//!   rate is pooled, `Σ count / Σ total` (periods weighted by their size), its sd per period the
//!   larger of the binomial sd at that rate and `1.4826 · MAD` of the reference shares. A signal
//!   becomes an alert only when the count since the shift began is off the reference's
//!   expectation by a Poisson test at [`SpikeParams::alpha`] (`P(X ≥ k)` for a rise, `P(X ≤ k)`
//!   for a fall), with at least `min_count` items observed or expected; after an alert the sums
//!   restart and the next `window` periods become the new reference.

use serde::{Deserialize, Serialize};

use crate::dist::{normal_upper_tail, poisson_lower_tail, poisson_upper_tail};
use crate::trend::{PeriodKind, SharePoint, period_label, share, weekday};

/// The MAD's consistency factor: `1 / Φ⁻¹(3/4)`.
pub const MAD_SCALE: f64 = 1.4826;

/// The parameters of spike and shift detection, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeParams {
    /// Trailing periods in the baseline (default 8; the tested period is excluded).
    pub window: usize,
    /// Fewest baseline periods before any test (default 4).
    pub min_history: usize,
    /// Fewest items with the theme in a period for a spike, or observed or expected since a
    /// shift began (default 10).
    pub min_count: u64,
    /// Fewest items in a period for it to be tested or to set a baseline (default 30).
    pub min_volume: u64,
    /// Robust z at or above which a period is a spike (default 3.5, Iglewicz & Hoaglin).
    pub z_threshold: f64,
    /// Expected counts below this use the Poisson test instead of the robust z (default 20).
    pub small_expected: f64,
    /// The largest p-value of any single test (default 0.001).
    pub poisson_alpha: f64,
    /// The family-wise error rate over the tests read together (default 0.05).
    pub family_alpha: f64,
    /// How many tests are read together: themes × periods of the window (default 1; the
    /// analysis sets it).
    pub tests: u64,
    /// Periods after an alert during which the same kind of alert is not repeated (default 3).
    pub cooldown: usize,
    /// CUSUM allowance k in sd (default 0.5: tuned to a 1 sd shift).
    pub cusum_k: f64,
    /// CUSUM decision interval h in sd (default 5).
    pub cusum_h: f64,
}

impl Default for SpikeParams {
    fn default() -> Self {
        Self {
            window: 8,
            min_history: 4,
            min_count: 10,
            min_volume: 30,
            z_threshold: 3.5,
            small_expected: 20.0,
            poisson_alpha: 0.001,
            family_alpha: 0.05,
            tests: 1,
            cooldown: 3,
            cusum_k: 0.5,
            cusum_h: 5.0,
        }
    }
}

impl SpikeParams {
    /// The level of each test: `min(poisson_alpha, family_alpha / tests)` (Bonferroni).
    pub fn alpha(&self) -> f64 {
        self.poisson_alpha
            .min(self.family_alpha / self.tests.max(1) as f64)
    }
}

/// What an alert reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// One period far above normal.
    Spike,
    /// A sustained rise of the level.
    ShiftUp,
    /// A sustained fall of the level.
    ShiftDown,
}

/// How an alert's distance from normal was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertTest {
    /// Robust z-score (median / MAD).
    RobustZ,
    /// Poisson upper tail of the count.
    Poisson,
    /// Tabular CUSUM of standardized shares.
    Cusum,
}

/// A spike or shift of one theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The theme's id.
    pub theme: String,
    /// The period's index of the alert (for a shift: the period the CUSUM signalled).
    #[serde(skip)]
    pub period: i64,
    /// For a shift: the estimated first period of the new level (after the last period the
    /// CUSUM was zero, Montgomery §9.1.3); for a spike the same as `period`.
    #[serde(skip)]
    pub since: i64,
    /// `period` by name ("2025-05", "2025-W24"), as JSON shows it.
    #[serde(rename = "period")]
    pub period_name: String,
    /// `since` by name.
    #[serde(rename = "since")]
    pub since_name: String,
    /// Periods from `since` to `period` with enough volume (1 for a spike).
    pub periods: usize,
    /// Spike or shift.
    pub kind: AlertKind,
    /// The test behind it.
    pub test: AlertTest,
    /// The observed share (spike) or mean share since the shift began.
    pub observed_share: f64,
    /// The baseline share (seasonally adjusted for daily data).
    pub expected_share: f64,
    /// Items with the theme in the period (spike) or since the shift began.
    pub observed_count: u64,
    /// The count the baseline expects (over the same periods).
    pub expected_count: f64,
    /// Robust z-score, or the CUSUM statistic for a shift.
    pub score: f64,
    /// One-sided p-value: normal tail of the robust z, or the Poisson tail of the count (for a
    /// shift, of the count since it began; not corrected for the CUSUM's search over change
    /// points, so read it with [`SpikeParams::alpha`]'s margin in mind).
    pub p_value: Option<f64>,
    /// `1 - p_value`.
    pub confidence: f64,
}

/// The median (mean of the middle two for an even count); `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// The median absolute deviation from the median.
pub fn mad(values: &[f64]) -> Option<f64> {
    let centre = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - centre).abs()).collect();
    median(&deviations)
}

/// The robust z-score `(x - median) / scale` with `scale = max(1.4826 · MAD, floor_sd)`.
/// `None` when the baseline is empty or the scale is zero.
pub fn robust_z(value: f64, baseline: &[f64], floor_sd: f64) -> Option<f64> {
    let centre = median(baseline)?;
    let scale = (MAD_SCALE * mad(baseline)?).max(floor_sd);
    (scale > 0.0).then(|| (value - centre) / scale)
}

/// Multiplicative day-of-week factors of a daily series (index 0 = Monday): each weekday's
/// pooled rate `Σ count / Σ total` over the overall pooled rate. A weekday without data or
/// without the theme gets factor 1 (no evidence of a pattern).
pub fn weekday_factors(points: &[SharePoint]) -> [f64; 7] {
    let mut counts = [0u64; 7];
    let mut totals = [0u64; 7];
    for p in points {
        let d = weekday(p.period);
        counts[d] += p.count;
        totals[d] += p.total;
    }
    let overall = share(counts.iter().sum(), totals.iter().sum());
    let mut factors = [1.0; 7];
    for d in 0..7 {
        let rate = share(counts[d], totals[d]);
        if overall > 0.0 && rate > 0.0 {
            factors[d] = rate / overall;
        }
    }
    factors
}

/// The spikes of one theme's series (consecutive periods, as from
/// [`crate::trend::share_series`]). Daily series are seasonally adjusted first.
pub fn detect_spikes(
    theme: &str,
    points: &[SharePoint],
    kind: PeriodKind,
    params: &SpikeParams,
) -> Vec<Alert> {
    let factors = seasonal_factors(points, kind);
    let adjusted: Vec<f64> = points
        .iter()
        .zip(&factors)
        .map(|(p, f)| p.share / f)
        .collect();
    let eligible: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].total >= params.min_volume.max(1))
        .collect();
    let mut alerts = Vec::new();
    let mut quiet_until = 0usize;
    for (j, &t) in eligible.iter().enumerate().skip(params.min_history.max(1)) {
        if t < quiet_until {
            continue;
        }
        let baseline = &eligible[j.saturating_sub(params.window)..j];
        let tested = Tested {
            theme,
            kind,
            points,
            adjusted: &adjusted,
            factor: factors[t],
        };
        if let Some(alert) = tested.period(baseline, t, params) {
            alerts.push(alert);
            quiet_until = t + 1 + params.cooldown;
        }
    }
    alerts
}

/// Seasonal factors per point: the weekday factors for daily data, 1 otherwise.
fn seasonal_factors(points: &[SharePoint], kind: PeriodKind) -> Vec<f64> {
    match kind {
        PeriodKind::Day => {
            let factors = weekday_factors(points);
            points.iter().map(|p| factors[weekday(p.period)]).collect()
        }
        _ => vec![1.0; points.len()],
    }
}

/// A theme's series as the spike test reads it.
struct Tested<'a> {
    theme: &'a str,
    kind: PeriodKind,
    points: &'a [SharePoint],
    adjusted: &'a [f64],
    factor: f64,
}

impl Tested<'_> {
    /// Tests period `t` against the `baseline` periods (indexes, all before `t`).
    fn period(&self, baseline: &[usize], t: usize, params: &SpikeParams) -> Option<Alert> {
        let point = self.points[t];
        let factor = self.factor;
        let shares: Vec<f64> = baseline.iter().map(|&i| self.adjusted[i]).collect();
        let centre = median(&shares)?;
        if point.count < params.min_count || point.total == 0 || self.adjusted[t] <= centre {
            return None;
        }
        let window_total: u64 = baseline.iter().map(|&i| self.points[i].total).sum();
        let window_count: u64 = baseline.iter().map(|&i| self.points[i].count).sum();
        let rate = share(window_count, window_total).max(0.5 / window_total.max(1) as f64);
        let expected_count = rate * factor * point.total as f64;
        // The binomial sd of the share the baseline expects this period, on the adjusted scale.
        let expected_share = (centre * factor).min(1.0);
        let floor_sd =
            (expected_share * (1.0 - expected_share) / point.total as f64).sqrt() / factor;
        let z = robust_z(self.adjusted[t], &shares, floor_sd);
        let (test, score, p_value) = match z {
            Some(z) if expected_count >= params.small_expected => {
                (AlertTest::RobustZ, z, normal_upper_tail(z))
            }
            _ => {
                let p = poisson_upper_tail(point.count, expected_count);
                (AlertTest::Poisson, z.unwrap_or(f64::NAN), p)
            }
        };
        let fires = p_value <= params.alpha()
            && match test {
                AlertTest::RobustZ => score >= params.z_threshold,
                _ => true,
            };
        let name = period_label(point.period, self.kind);
        fires.then(|| Alert {
            theme: self.theme.to_owned(),
            period: point.period,
            since: point.period,
            period_name: name.clone(),
            since_name: name,
            periods: 1,
            kind: AlertKind::Spike,
            test,
            observed_share: point.share,
            expected_share: centre * factor,
            observed_count: point.count,
            expected_count,
            score: if score.is_nan() { 0.0 } else { score },
            p_value: Some(p_value),
            confidence: 1.0 - p_value,
        })
    }
}

/// The sustained shifts of one theme's series by two-sided tabular CUSUM (see the module
/// documentation). Daily series are seasonally adjusted first. Periods with fewer than
/// [`SpikeParams::min_volume`] items neither set a reference nor move the sums.
pub fn detect_shifts(
    theme: &str,
    points: &[SharePoint],
    kind: PeriodKind,
    params: &SpikeParams,
) -> Vec<Alert> {
    let factors = seasonal_factors(points, kind);
    let adjusted: Vec<f64> = points
        .iter()
        .zip(&factors)
        .map(|(p, f)| p.share / f)
        .collect();
    let eligible: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].total >= params.min_volume.max(1))
        .collect();
    let series = Series {
        theme,
        kind,
        points,
        adjusted: &adjusted,
        factors: &factors,
    };
    let mut alerts = Vec::new();
    let mut from = 0;
    while let Some(reference) =
        Reference::of(&series, &eligible[from.min(eligible.len())..], params)
    {
        let monitored = &eligible[(from + params.window).min(eligible.len())..];
        match run_cusum(&series, &reference, monitored, params) {
            Some((alert, signalled_at)) => {
                alerts.push(alert);
                from = eligible.partition_point(|&i| i <= signalled_at);
            }
            None => break,
        }
    }
    alerts
}

/// A theme's series with its seasonal adjustment, as the CUSUM reads it.
struct Series<'a> {
    theme: &'a str,
    kind: PeriodKind,
    points: &'a [SharePoint],
    adjusted: &'a [f64],
    factors: &'a [f64],
}

impl Series<'_> {
    /// The count the reference rate expects over the periods `span`, and the count observed.
    fn expected_and_observed(&self, rate: f64, span: &[usize]) -> (f64, u64) {
        span.iter().fold((0.0, 0), |(e, o), &i| {
            let p = &self.points[i];
            (e + rate * self.factors[i] * p.total as f64, o + p.count)
        })
    }
}

/// The in-control level and spread of a CUSUM run.
struct Reference {
    /// The pooled rate `Σ count / Σ (total × seasonal factor)` of the reference periods: each
    /// period weighs by its volume, so a month of 6 items cannot set the level.
    rate: f64,
    /// `1.4826 · MAD` of the reference periods' adjusted shares: the spread between periods
    /// beyond sampling (the sd of a period is never taken below its binomial sd either).
    spread: f64,
}

impl Reference {
    /// The reference of the first `window` periods of `eligible` (all with enough volume).
    fn of(series: &Series<'_>, eligible: &[usize], params: &SpikeParams) -> Option<Self> {
        let periods = eligible.get(..params.window)?;
        let (exposure, count) = series.expected_and_observed(1.0, periods);
        if exposure <= 0.0 {
            return None;
        }
        // At least ½ an item over the reference, as for spikes: a theme it never saw can still
        // be tested when it appears, without being infinitely surprising.
        let rate = (count as f64).max(0.5) / exposure;
        let shares: Vec<f64> = periods.iter().map(|&i| series.adjusted[i]).collect();
        let spread = MAD_SCALE * mad(&shares)?;
        let reference = Self { rate, spread };
        periods
            .iter()
            .any(|&i| reference.sd(series, i) > 0.0)
            .then_some(reference)
    }

    /// The sd of period `i`'s adjusted share: the larger of the spread and the binomial sd
    /// `sqrt(r f (1 - r f) / n) / f` at the reference rate.
    fn sd(&self, series: &Series<'_>, i: usize) -> f64 {
        let f = series.factors[i];
        let expected = (self.rate * f).min(1.0);
        let n = series.points[i].total as f64;
        let sampling = (expected * (1.0 - expected) / n).sqrt() / f;
        self.spread.max(sampling)
    }
}

/// Runs the CUSUM over the `monitored` periods until a signal that the count test confirms;
/// returns the alert and the signalling index. An unconfirmed signal (one period so far, or a
/// burst the rest of the span does not bear out) goes on: the span grows while the sum stays up.
fn run_cusum(
    series: &Series<'_>,
    reference: &Reference,
    monitored: &[usize],
    params: &SpikeParams,
) -> Option<(Alert, usize)> {
    let (mut upper, mut lower) = (0.0f64, 0.0f64);
    let (mut upper_start, mut lower_start) = (0usize, 0usize);
    for (j, &t) in monitored.iter().enumerate() {
        let sd = reference.sd(series, t);
        if sd <= 0.0 {
            continue;
        }
        let z = (series.adjusted[t] - reference.rate) / sd;
        if upper == 0.0 {
            upper_start = j;
        }
        if lower == 0.0 {
            lower_start = j;
        }
        upper = (upper + z - params.cusum_k).max(0.0);
        lower = (lower - z - params.cusum_k).max(0.0);
        let signal = if upper > params.cusum_h {
            Some((AlertKind::ShiftUp, upper, upper_start))
        } else if lower > params.cusum_h {
            Some((AlertKind::ShiftDown, lower, lower_start))
        } else {
            None
        };
        let Some((kind, statistic, since)) = signal else {
            continue;
        };
        let signal = Signal {
            kind,
            statistic,
            span: &monitored[since..=j],
        };
        if let Some(alert) = shift_alert(series, reference, &signal, params) {
            return Some((alert, t));
        }
    }
    None
}

/// Where and how a CUSUM signalled.
struct Signal<'a> {
    kind: AlertKind,
    statistic: f64,
    /// The periods of the new level (indexes into the series), from its estimated start
    /// (after the last period the sum was zero, Montgomery §9.1.3) to the signal.
    span: &'a [usize],
}

/// The alert of a signal, when the count test confirms it: the span's count against the count
/// the reference rate expects, `P(X ≥ observed)` for a rise or `P(X ≤ observed)` for a fall
/// under Poisson(expected), at most [`SpikeParams::alpha`], with the larger of the two counts at
/// least [`SpikeParams::min_count`]. A shift is a level that lasts, not one burst: the span must
/// hold at least two periods and pass the test again without its most extreme period.
fn shift_alert(
    series: &Series<'_>,
    reference: &Reference,
    signal: &Signal<'_>,
    params: &SpikeParams,
) -> Option<Alert> {
    let (first, last) = (*signal.span.first()?, *signal.span.last()?);
    let test = |span: &[usize]| {
        let (expected, observed) = series.expected_and_observed(reference.rate, span);
        let p_value = match signal.kind {
            AlertKind::ShiftDown => poisson_lower_tail(observed, expected),
            _ => poisson_upper_tail(observed, expected),
        };
        let supported = (observed as f64).max(expected) >= params.min_count as f64;
        (
            expected,
            observed,
            p_value,
            supported && p_value <= params.alpha(),
        )
    };
    let (expected, observed, p_value, confirmed) = test(signal.span);
    let extreme = signal.span.iter().copied().max_by(|&a, &b| {
        let off = |i: usize| {
            let (e, o) = series.expected_and_observed(reference.rate, &[i]);
            match signal.kind {
                AlertKind::ShiftDown => e - o as f64,
                _ => o as f64 - e,
            }
        };
        off(a).total_cmp(&off(b))
    })?;
    let rest: Vec<usize> = signal
        .span
        .iter()
        .copied()
        .filter(|&i| i != extreme)
        .collect();
    if !confirmed || rest.is_empty() || !test(&rest).3 {
        return None;
    }
    let total: u64 = signal.span.iter().map(|&i| series.points[i].total).sum();
    let kind = series.kind;
    Some(Alert {
        theme: series.theme.to_owned(),
        period: series.points[last].period,
        since: series.points[first].period,
        period_name: period_label(series.points[last].period, kind),
        since_name: period_label(series.points[first].period, kind),
        periods: signal.span.len(),
        kind: signal.kind,
        test: AlertTest::Cusum,
        observed_share: share(observed, total),
        expected_share: reference.rate,
        observed_count: observed,
        expected_count: expected,
        score: signal.statistic,
        p_value: Some(p_value),
        confidence: 1.0 - p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trove_domain::ScoreTally;

    fn series(counts: &[u64], total: u64, first_period: i64) -> Vec<SharePoint> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &count)| SharePoint {
                period: first_period + i as i64,
                count,
                total,
                share: share(count, total),
                customers: count,
                tally: ScoreTally::default(),
            })
            .collect()
    }

    #[test]
    fn robust_z_matches_a_worked_example() {
        // Baseline 10, 12, 11, 13, 9, 11, 12, 10: sorted 9 10 10 11 11 12 12 13, median 11;
        // deviations 1 1 0 2 2 0 1 1 -> sorted 0 0 1 1 1 1 2 2, MAD 1; scale 1.4826;
        // x = 20: z = 9 / 1.4826 = 6.0704.
        let baseline = [10.0, 12.0, 11.0, 13.0, 9.0, 11.0, 12.0, 10.0];
        assert_eq!(median(&baseline), Some(11.0));
        assert_eq!(mad(&baseline), Some(1.0));
        let z = robust_z(20.0, &baseline, 0.0).unwrap();
        assert!((z - 6.070_417).abs() < 1e-6, "{z}");
        // A steady baseline (MAD 0) uses the floor, or has no z without one.
        assert_eq!(robust_z(5.0, &[3.0, 3.0, 3.0], 0.0), None);
        assert_eq!(robust_z(5.0, &[3.0, 3.0, 3.0], 0.5), Some(4.0));
    }

    #[test]
    fn a_large_spike_is_found_by_robust_z() {
        // Totals 1,000 per week; counts 50 ± a little, then 120 in week 9.
        // Baseline (weeks 1-8) shares .050 .052 .048 .051 .049 .050 .053 .047: median .0500,
        // MAD .0015 -> robust sd .0022239; binomial floor sqrt(.05·.95/1000) = .0068920 wins.
        // z = (.120 - .050) / .0068920 = 10.157.
        let points = series(&[50, 52, 48, 51, 49, 50, 53, 47, 120, 50], 1000, 100);
        let alerts = detect_spikes(
            "billing",
            &points,
            PeriodKind::IsoWeek,
            &SpikeParams::default(),
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(
            (a.period, a.kind, a.test),
            (108, AlertKind::Spike, AlertTest::RobustZ)
        );
        assert!((a.score - 10.157).abs() < 1e-3, "{a:?}");
        // Expected count: pooled rate 400/8000 = .05 × 1000 = 50.
        assert!((a.expected_count - 50.0).abs() < 1e-9);
        assert!(a.confidence > 0.999_999);
    }

    #[test]
    fn small_counts_use_the_poisson_tail() {
        // Counts 1 0 2 1 0 1 1 2 (8 in 8 weeks of 1,000 items), then 10: λ = 8/8000 · 1000 = 1;
        // P(X ≥ 10 | 1) = 1.1142548e-7 ≤ 0.001 -> spike. (Before the minimum count of 10 the
        // example was a week of 9; a week of 9 is now below the minimum.)
        let points = series(&[1, 0, 2, 1, 0, 1, 1, 2, 10], 1000, 0);
        let alerts = detect_spikes("t", &points, PeriodKind::Month, &SpikeParams::default());
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].test, AlertTest::Poisson);
        assert!(
            (alerts[0].p_value.unwrap() - 1.114_254_8e-7).abs() < 1e-13,
            "{:?}",
            alerts[0]
        );
        let nine = series(&[1, 0, 2, 1, 0, 1, 1, 2, 9], 1000, 0);
        assert!(detect_spikes("t", &nine, PeriodKind::Month, &SpikeParams::default()).is_empty());
        // Baseline 5 a week (λ = 5): 10 gives P(X ≥ 10 | 5) = 0.031828 > 0.001 -> none; 16 gives
        // 6.9008e-5: a spike alone, but not when 126 theme-weeks are read together (Bonferroni
        // level 0.05 / 126 = 3.968e-4 still passes) nor 1,000 (5e-5 does not).
        let quiet = series(&[5, 5, 5, 5, 5, 5, 5, 5, 10], 1000, 0);
        assert!(detect_spikes("t", &quiet, PeriodKind::Month, &SpikeParams::default()).is_empty());
        let sixteen = series(&[5, 5, 5, 5, 5, 5, 5, 5, 16], 1000, 0);
        let read_with = |tests| SpikeParams {
            tests,
            ..SpikeParams::default()
        };
        let found = detect_spikes("t", &sixteen, PeriodKind::Month, &read_with(126));
        assert!((found[0].p_value.unwrap() - 6.900_824e-5).abs() < 1e-10);
        assert!(detect_spikes("t", &sixteen, PeriodKind::Month, &read_with(1_000)).is_empty());
        assert!((read_with(126).alpha() - 0.05 / 126.0).abs() < 1e-15);
        assert_eq!(read_with(1).alpha(), 0.001);
    }

    #[test]
    fn small_periods_are_neither_tested_nor_a_baseline() {
        // Eight months of 10 items (under the minimum volume of 30) with 5 mentions each, then
        // months of 1,000 with 50: the small months set no baseline, so nothing is compared
        // until four large months exist, and 50 of 1,000 after them is no spike.
        let mut points = series(&[5; 8], 10, 0);
        points.extend(series(&[50, 50, 50, 50, 50, 50], 1000, 8));
        let params = SpikeParams::default();
        assert!(detect_spikes("t", &points, PeriodKind::Month, &params).is_empty());
        assert!(detect_shifts("t", &points, PeriodKind::Month, &params).is_empty());
    }

    #[test]
    fn minimum_count_and_cooldown_keep_noise_out() {
        let params = SpikeParams {
            min_count: 10,
            ..SpikeParams::default()
        };
        let points = series(&[0, 0, 0, 0, 0, 0, 0, 0, 9], 1000, 0);
        assert!(detect_spikes("t", &points, PeriodKind::Month, &params).is_empty());
        // Two spikes two periods apart: the second is within the cooldown of 3.
        let points = series(
            &[
                50, 52, 48, 51, 49, 50, 53, 47, 150, 50, 150, 50, 50, 50, 150,
            ],
            1000,
            0,
        );
        let alerts = detect_spikes("t", &points, PeriodKind::Month, &SpikeParams::default());
        assert_eq!(alerts.iter().map(|a| a.period).collect::<Vec<_>>(), [8, 14]);
    }

    #[test]
    fn weekly_seasonality_alone_raises_no_alert() {
        // Four weeks of daily data (day 4 = Monday 1970-01-05): Saturdays and Sundays carry three
        // times the weekday share (15 vs 5 of 1,000).
        let counts: Vec<u64> = (0..28).map(|i| if i % 7 >= 5 { 15 } else { 5 }).collect();
        let points = series(&counts, 1000, 4);
        let f = weekday_factors(&points);
        // Pooled rate 4·(5·5 + 2·15)/28000 = 220/28000; Monday factor .005 / (220/28000) = .63636.
        assert!(
            (f[0] - 0.636_364).abs() < 1e-6 && (f[6] - 1.909_091).abs() < 1e-6,
            "{f:?}"
        );
        let params = SpikeParams::default();
        assert!(detect_spikes("t", &points, PeriodKind::Day, &params).is_empty());
        assert!(detect_shifts("t", &points, PeriodKind::Day, &params).is_empty());
        // Without the adjustment the weekends would be spikes.
        assert!(!detect_spikes("t", &points, PeriodKind::IsoWeek, &params).is_empty());
    }

    #[test]
    fn a_single_burst_is_a_spike_not_a_shift() {
        // Steady at 5% of 10,000, then one month of 9% (and a slightly high one before it, so
        // the CUSUM's run starts a month early): the count test without the burst month finds
        // nothing left, so no shift; the spike test reports the month.
        let counts = [500, 510, 490, 500, 510, 490, 500, 500, 520, 900, 500, 500];
        let points = series(&counts, 10_000, 0);
        let params = SpikeParams::default();
        assert!(detect_shifts("t", &points, PeriodKind::Month, &params).is_empty());
        let spikes = detect_spikes("t", &points, PeriodKind::Month, &params);
        assert_eq!(spikes.iter().map(|a| a.period).collect::<Vec<_>>(), [9]);
    }

    #[test]
    fn a_theme_that_appears_is_a_shift_up() {
        // Never seen in eight months of 1,000 items: the reference rate is ½ / 8,000. Then 15 a
        // month: the first month alone is not a level; with the second the span holds 30 items
        // against 2 × 1000 × .0000625 = .125 expected, and without either month 15 against
        // .0625: P(X ≥ 15 | .0625) is far below 0.001. Signalled at the second month.
        let counts = [0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15];
        let points = series(&counts, 1000, 0);
        let alerts = detect_shifts("t", &points, PeriodKind::Month, &SpikeParams::default());
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!((a.kind, a.since, a.period), (AlertKind::ShiftUp, 8, 9));
        assert_eq!(a.observed_count, 30);
        assert!((a.expected_count - 0.125).abs() < 1e-12, "{a:?}");
    }

    #[test]
    fn cusum_finds_a_sustained_shift_and_its_start() {
        // Reference weeks 0-7: shares .050 ± .001 (binomial floor sqrt(.05·.95/10000) = .0021794
        // beats 1.4826 · MAD .001 = .0014826). From week 8 the share is .056: z = .006/.0021794
        // = 2.7530 per week; C⁺ = 2.2530, 4.5060, 6.7590 > 5 at week 10, started at week 8.
        let counts = [500, 510, 490, 500, 510, 490, 500, 500, 560, 560, 560, 560];
        let points = series(&counts, 10_000, 0);
        let alerts = detect_shifts("t", &points, PeriodKind::Month, &SpikeParams::default());
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!((a.kind, a.period, a.since), (AlertKind::ShiftUp, 10, 8));
        assert!((a.score - 6.759).abs() < 1e-3, "{a:?}");
        assert_eq!(a.observed_count, 1680);
        // The count test confirms it: 1,680 against .05 · 30,000 = 1,500 expected,
        // P(X ≥ 1680 | 1500) = 2.67235e-6. (It replaced the normal confidence of the level's mean,
        // which ignored that the reference is itself an estimate of few periods.)
        assert!((a.expected_count - 1500.0).abs() < 1e-6, "{a:?}");
        assert!((a.p_value.unwrap() - 2.672_352e-6).abs() < 1e-11, "{a:?}");
        assert_eq!((a.periods, a.since_name.as_str()), (3, "0000-09"));
        // A steady series has no shift; a fall is a shift down.
        let steady = series(
            &[500, 510, 490, 500, 510, 490, 500, 500, 505, 495, 500, 500],
            10_000,
            0,
        );
        assert!(detect_shifts("t", &steady, PeriodKind::Month, &SpikeParams::default()).is_empty());
        let fall = series(
            &[500, 510, 490, 500, 510, 490, 500, 500, 420, 420, 420, 420],
            10_000,
            0,
        );
        let down = detect_shifts("t", &fall, PeriodKind::Month, &SpikeParams::default());
        assert_eq!(down[0].kind, AlertKind::ShiftDown);
    }
}
