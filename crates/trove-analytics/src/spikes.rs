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
//! - **Weekly seasonality** (daily data): multiplicative day-of-week factors, the ratio of each
//!   weekday's pooled rate to the overall rate (classical decomposition, e.g. Hyndman &
//!   Athanasopoulos, *Forecasting: Principles and Practice*, §3.4); shares and expected counts
//!   are divided / multiplied by the factor.
//! - **Sustained shifts**: the two-sided tabular CUSUM (Montgomery, *Introduction to Statistical
//!   Quality Control*, 7th ed., §9.1) on standardized shares, `C⁺ₜ = max(0, zₜ - k + C⁺ₜ₋₁)`,
//!   `C⁻ₜ = max(0, -zₜ - k + C⁻ₜ₋₁)`, signal when either exceeds `h`. With k = 0.5 and h = 5 the
//!   in-control average run length is about 465 periods and a 1 sd shift is found in about 10
//!   (Montgomery Table 9.3). The reference (median and robust sd) is the first `window` periods;
//!   after a signal the sums restart and the next `window` periods become the new reference.

use serde::Serialize;

use crate::dist::{normal_cdf, normal_upper_tail, poisson_upper_tail};
use crate::trend::{PeriodKind, SharePoint, share, weekday};

/// The MAD's consistency factor: `1 / Φ⁻¹(3/4)`.
pub const MAD_SCALE: f64 = 1.4826;

/// The parameters of spike and shift detection, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpikeParams {
    /// Trailing periods in the baseline (default 8; the tested period is excluded).
    pub window: usize,
    /// Fewest baseline periods before any test (default 4).
    pub min_history: usize,
    /// Fewest items with the theme in a period for an alert (default 5).
    pub min_count: u64,
    /// Robust z at or above which a period is a spike (default 3.5, Iglewicz & Hoaglin).
    pub z_threshold: f64,
    /// Expected counts below this use the Poisson test instead of the robust z (default 20).
    pub small_expected: f64,
    /// Poisson p-value at or below which a period is a spike (default 0.001).
    pub poisson_alpha: f64,
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
            min_count: 5,
            z_threshold: 3.5,
            small_expected: 20.0,
            poisson_alpha: 0.001,
            cooldown: 3,
            cusum_k: 0.5,
            cusum_h: 5.0,
        }
    }
}

/// What an alert reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// The theme's id.
    pub theme: String,
    /// The period of the alert (for a shift: the period the CUSUM signalled).
    pub period: i64,
    /// For a shift: the estimated first period of the new level (after the last period the
    /// CUSUM was zero, Montgomery §9.1.3); for a spike the same as `period`.
    pub since: i64,
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
    /// The count the baseline expects.
    pub expected_count: f64,
    /// Robust z-score, or the CUSUM statistic for a shift.
    pub score: f64,
    /// One-sided p-value (normal tail of the robust z, or the Poisson tail; none for CUSUM).
    pub p_value: Option<f64>,
    /// `1 - p_value`; for a shift `Φ(|z|)` of the new level's mean against the reference
    /// (`z = (mean - centre) / (sd / √periods)`), not corrected for the search over change
    /// points, so read it as a strength rather than a calibrated probability.
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
    let mut alerts = Vec::new();
    let mut quiet_until = 0usize;
    for (t, &factor) in factors.iter().enumerate().skip(params.min_history.max(1)) {
        if t < quiet_until {
            continue;
        }
        let from = t.saturating_sub(params.window);
        if let Some(alert) = test_period(theme, points, &adjusted, from, t, factor, params) {
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

/// Tests period `t` against the baseline `from..t`.
fn test_period(
    theme: &str,
    points: &[SharePoint],
    adjusted: &[f64],
    from: usize,
    t: usize,
    factor: f64,
    params: &SpikeParams,
) -> Option<Alert> {
    let point = points[t];
    let baseline = &adjusted[from..t];
    let centre = median(baseline)?;
    if point.count < params.min_count || point.total == 0 || adjusted[t] <= centre {
        return None;
    }
    let window = &points[from..t];
    let window_total: u64 = window.iter().map(|p| p.total).sum();
    let window_count: u64 = window.iter().map(|p| p.count).sum();
    let rate = share(window_count, window_total).max(0.5 / window_total.max(1) as f64);
    let expected_count = rate * factor * point.total as f64;
    // The binomial sd of the share the baseline expects this period, on the adjusted scale.
    let expected_share = (centre * factor).min(1.0);
    let floor_sd = (expected_share * (1.0 - expected_share) / point.total as f64).sqrt() / factor;
    let z = robust_z(adjusted[t], baseline, floor_sd);
    let (test, score, p_value) = match z {
        Some(z) if expected_count >= params.small_expected => {
            (AlertTest::RobustZ, z, normal_upper_tail(z))
        }
        _ => {
            let p = poisson_upper_tail(point.count, expected_count);
            (AlertTest::Poisson, z.unwrap_or(f64::NAN), p)
        }
    };
    let fires = match test {
        AlertTest::RobustZ => score >= params.z_threshold,
        _ => p_value <= params.poisson_alpha,
    };
    fires.then(|| Alert {
        theme: theme.to_owned(),
        period: point.period,
        since: point.period,
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

/// The sustained shifts of one theme's series by two-sided tabular CUSUM (see the module
/// documentation). Daily series are seasonally adjusted first.
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
    let mut alerts = Vec::new();
    let mut start = 0;
    while let Some(reference) = Reference::of(&adjusted, points, start, params.window) {
        match run_cusum(
            theme,
            points,
            &adjusted,
            &reference,
            start + params.window,
            params,
        ) {
            Some((alert, signalled_at)) => {
                alerts.push(alert);
                start = signalled_at + 1;
            }
            None => break,
        }
    }
    alerts
}

/// The in-control level and spread of a CUSUM run.
struct Reference {
    centre: f64,
    sd: f64,
}

impl Reference {
    /// Median and robust sd of `window` periods from `start`, the sd at least the binomial
    /// sampling sd at the window's mean period total.
    fn of(adjusted: &[f64], points: &[SharePoint], start: usize, window: usize) -> Option<Self> {
        let values = adjusted.get(start..start + window)?;
        let centre = median(values)?;
        let mean_total = points[start..start + window]
            .iter()
            .map(|p| p.total)
            .sum::<u64>() as f64
            / window as f64;
        let sampling = if mean_total > 0.0 {
            (centre * (1.0 - centre) / mean_total).sqrt()
        } else {
            0.0
        };
        let sd = (MAD_SCALE * mad(values)?).max(sampling);
        (sd > 0.0).then_some(Self { centre, sd })
    }
}

/// Runs the CUSUM from `first` until it signals; returns the alert and the signalling index.
fn run_cusum(
    theme: &str,
    points: &[SharePoint],
    adjusted: &[f64],
    reference: &Reference,
    first: usize,
    params: &SpikeParams,
) -> Option<(Alert, usize)> {
    let (mut upper, mut lower) = (0.0f64, 0.0f64);
    let (mut upper_start, mut lower_start) = (first, first);
    for (t, value) in adjusted.iter().enumerate().skip(first) {
        let z = (value - reference.centre) / reference.sd;
        if upper == 0.0 {
            upper_start = t;
        }
        if lower == 0.0 {
            lower_start = t;
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
        if let Some((kind, statistic, since)) = signal {
            let signal = Signal {
                kind,
                statistic,
                since,
                at: t,
            };
            return Some((shift_alert(theme, points, adjusted, reference, &signal), t));
        }
    }
    None
}

/// Where and how a CUSUM signalled.
#[derive(Clone, Copy)]
struct Signal {
    kind: AlertKind,
    statistic: f64,
    since: usize,
    at: usize,
}

fn shift_alert(
    theme: &str,
    points: &[SharePoint],
    adjusted: &[f64],
    reference: &Reference,
    signal: &Signal,
) -> Alert {
    let Signal {
        kind,
        statistic,
        since,
        at,
    } = *signal;
    let span = &points[since..=at];
    // The z of the new level's mean against the reference: (mean - centre) / (sd / √L).
    let length = span.len() as f64;
    let mean = adjusted[since..=at].iter().sum::<f64>() / length;
    let level_z = (mean - reference.centre) / (reference.sd / length.sqrt());
    let count: u64 = span.iter().map(|p| p.count).sum();
    let total: u64 = span.iter().map(|p| p.total).sum();
    Alert {
        theme: theme.to_owned(),
        period: points[at].period,
        since: points[since].period,
        kind,
        test: AlertTest::Cusum,
        observed_share: share(count, total),
        expected_share: reference.centre,
        observed_count: count,
        expected_count: reference.centre * total as f64,
        score: statistic,
        p_value: None,
        confidence: normal_cdf(level_z.abs()),
    }
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
        // Counts 1 0 2 1 0 1 1 2 (8 in 8 weeks of 1,000 items), then 9: λ = 8/8000 · 1000 = 1;
        // P(X ≥ 9 | 1) = 1.1252026e-6 ≤ 0.001 -> spike. A week of 4: P(X ≥ 4 | 1) = 0.01899 -> none.
        let points = series(&[1, 0, 2, 1, 0, 1, 1, 2, 9], 1000, 0);
        let alerts = detect_spikes("t", &points, PeriodKind::Month, &SpikeParams::default());
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].test, AlertTest::Poisson);
        assert!(
            (alerts[0].p_value.unwrap() - 1.125_202_6e-6).abs() < 1e-12,
            "{:?}",
            alerts[0]
        );
        let quiet = series(&[1, 0, 2, 1, 0, 1, 1, 2, 4], 1000, 0);
        assert!(detect_spikes("t", &quiet, PeriodKind::Month, &SpikeParams::default()).is_empty());
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
        // Level z of weeks 8-10: .006 / (.0021794 / √3) = 4.7684 -> confidence Φ(4.7684).
        assert!((a.confidence - 0.999_999_07).abs() < 1e-8, "{a:?}");
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
