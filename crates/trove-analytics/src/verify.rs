//! Fix verification: did a theme's rate drop after the fix, and stay down?
//!
//! The rate ratio of two Poisson counts `a` (before, exposure `E_a`) and `b` (after, `E_b`) is
//! `RR = (b / E_b) / (a / E_a)`, with the textbook 95% interval on the log scale
//! `exp(ln RR ± 1.96 · sqrt(1/a + 1/b))` (Rothman, Greenland & Lash, *Modern Epidemiology*,
//! 3rd ed., ch. 14; Agresti §3.3). When a count is 0 the log is undefined: then ½ is added to
//! both counts (the Haldane-Anscombe correction) for the interval; the ratio itself stays the
//! observed one.

use serde::{Deserialize, Serialize};
use trove_domain::Money;

use crate::scores::Z_95;
use crate::trend::share;

/// One period's count of the theme and its exposure (all items, or all customers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatePeriod {
    /// Items (or customers) with the theme.
    pub count: u64,
    /// All items (or customers) in the period.
    pub exposure: u64,
}

/// Parameters of [`verify_fix`], with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VerifyParams {
    /// Rates are reported per this much exposure (default 1,000 items).
    pub per: f64,
    /// The last periods checked for a return (default 2).
    pub recurrence_periods: usize,
    /// A return: the rate of the last periods at or above this fraction of the rate before
    /// (default 0.8).
    pub recurrence_fraction: f64,
}

impl Default for VerifyParams {
    fn default() -> Self {
        Self {
            per: 1000.0,
            recurrence_periods: 2,
            recurrence_fraction: 0.8,
        }
    }
}

/// The verdict on a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A significant drop (the upper end of the rate ratio's interval is below 1) that has not
    /// come back.
    Verified,
    /// No drop (rate ratio ≥ 1), or the last periods are back near the rate before.
    Recurred,
    /// A drop the data cannot yet tell from noise.
    Inconclusive,
}

/// Before versus after a fix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Rate before, per [`VerifyParams::per`].
    pub rate_before: f64,
    /// Rate after, per [`VerifyParams::per`].
    pub rate_after: f64,
    /// `rate_after / rate_before`.
    pub rate_ratio: f64,
    /// Lower end of the 95% interval of the ratio.
    pub ci_low: f64,
    /// Upper end of the 95% interval of the ratio.
    pub ci_high: f64,
    /// Rate of the last [`VerifyParams::recurrence_periods`] periods after (per `per`).
    pub rate_recent: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// Theme count before.
    pub count_before: u64,
    /// Theme count after.
    pub count_after: u64,
}

/// Compares the theme's rate over the periods `before` and `after` a fix (usually k of each).
///
/// Verdict rules, in order: **recurred** when the ratio is ≥ 1 (no drop) or, with more
/// after-periods than [`VerifyParams::recurrence_periods`], the pooled rate of the last ones is
/// at least [`VerifyParams::recurrence_fraction`] of the rate before (a drop that came back);
/// **verified** when the interval's upper end is below 1; **inconclusive** otherwise. `None`
/// when either side has no exposure or the theme never occurred before (nothing to fix).
pub fn verify_fix(
    before: &[RatePeriod],
    after: &[RatePeriod],
    params: &VerifyParams,
) -> Option<Verification> {
    let (a, exposure_a) = pooled(before);
    let (b, exposure_b) = pooled(after);
    if exposure_a == 0 || exposure_b == 0 || a == 0 {
        return None;
    }
    let rate_before = share(a, exposure_a);
    let rate_after = share(b, exposure_b);
    let rate_ratio = rate_after / rate_before;
    let (ci_low, ci_high) = log_interval(a, exposure_a, b, exposure_b);
    let recent = &after[after.len().saturating_sub(params.recurrence_periods)..];
    let (recent_count, recent_exposure) = pooled(recent);
    let rate_recent = share(recent_count, recent_exposure);
    let came_back = after.len() > params.recurrence_periods
        && recent_exposure > 0
        && rate_recent >= params.recurrence_fraction * rate_before;
    let verdict = if rate_ratio >= 1.0 || came_back {
        Verdict::Recurred
    } else if ci_high < 1.0 {
        Verdict::Verified
    } else {
        Verdict::Inconclusive
    };
    Some(Verification {
        rate_before: rate_before * params.per,
        rate_after: rate_after * params.per,
        rate_ratio,
        ci_low,
        ci_high,
        rate_recent: rate_recent * params.per,
        verdict,
        count_before: a,
        count_after: b,
    })
}

/// Total count and exposure.
fn pooled(periods: &[RatePeriod]) -> (u64, u64) {
    periods
        .iter()
        .fold((0, 0), |(c, e), p| (c + p.count, e + p.exposure))
}

/// The 95% log-scale interval of `(b/E_b) / (a/E_a)`, with ½ added to both counts when one
/// is 0.
fn log_interval(a: u64, exposure_a: u64, b: u64, exposure_b: u64) -> (f64, f64) {
    let correction = if a == 0 || b == 0 { 0.5 } else { 0.0 };
    let (a, b) = (a as f64 + correction, b as f64 + correction);
    let log_ratio = (b / exposure_b as f64).ln() - (a / exposure_a as f64).ln();
    let half_width = Z_95 * (1.0 / a + 1.0 / b).sqrt();
    (
        (log_ratio - half_width).exp(),
        (log_ratio + half_width).exp(),
    )
}

/// Time to resolve in days: from the first detection to the verification (unix seconds).
/// `None` when verification comes before detection.
pub fn days_to_resolve(first_detected: i64, verified: i64) -> Option<f64> {
    (verified >= first_detected).then(|| (verified - first_detected) as f64 / 86_400.0)
}

/// The first after-period at whose end the fix is verified, counting the after-periods from
/// the fix (1 = the first): the smallest `j` such that `verify_fix(before, &after[..j])` says
/// [`Verdict::Verified`]. Multiply by the period length for the time to resolve from the fix.
pub fn periods_to_verify(
    before: &[RatePeriod],
    after: &[RatePeriod],
    params: &VerifyParams,
) -> Option<usize> {
    (1..=after.len()).find(|&j| {
        verify_fix(before, &after[..j], params).is_some_and(|v| v.verdict == Verdict::Verified)
    })
}

/// Contacts avoided per month: `(rate before - rate after) × monthly exposure`, never negative.
/// Rates per unit of exposure (not per 1,000).
pub fn contacts_avoided_per_month(rate_before: f64, rate_after: f64, monthly_exposure: f64) -> f64 {
    ((rate_before - rate_after) * monthly_exposure).max(0.0)
}

/// The annuity of a fix: contacts avoided per month × cost per contact × 12, in the cost's
/// currency, rounded to the minor unit. `None` when it overflows or is not finite.
pub fn annuity(contacts_avoided_per_month: f64, cost_per_contact: Money) -> Option<Money> {
    let minor = (contacts_avoided_per_month * cost_per_contact.minor() as f64 * 12.0).round();
    (minor.is_finite() && minor.abs() < i64::MAX as f64)
        .then(|| Money::from_minor(minor as i64, cost_per_contact.currency()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trove_domain::Currency;

    fn periods(counts: &[u64], exposure: u64) -> Vec<RatePeriod> {
        counts
            .iter()
            .map(|&count| RatePeriod { count, exposure })
            .collect()
    }

    #[test]
    fn a_significant_drop_is_verified() {
        // Before: 3 × 1,000 items with 40, 38, 42 -> a = 120, rate 40 per 1,000.
        // After: 3 × 1,000 with 20, 18, 22 -> b = 60, rate 20. RR = 0.5;
        // half-width 1.959964 sqrt(1/120 + 1/60) = 1.959964 · 0.158114 = 0.309898;
        // CI exp(ln 0.5 ∓ 0.309898) = 0.5 · (0.733522, 1.363285) = 0.366761 .. 0.681643.
        let v = verify_fix(
            &periods(&[40, 38, 42], 1000),
            &periods(&[20, 18, 22], 1000),
            &VerifyParams::default(),
        )
        .unwrap();
        assert!((v.rate_before - 40.0).abs() < 1e-9 && (v.rate_after - 20.0).abs() < 1e-9);
        assert!((v.rate_ratio - 0.5).abs() < 1e-12);
        assert!((v.ci_low - 0.366_761).abs() < 1e-5, "{v:?}");
        assert!((v.ci_high - 0.681_643).abs() < 1e-5, "{v:?}");
        assert_eq!(v.verdict, Verdict::Verified);
    }

    #[test]
    fn small_drops_are_inconclusive_and_returns_recur() {
        // 12 vs 9 in equal exposure: RR 0.75, CI exp(ln .75 ± 1.96 sqrt(1/12 + 1/9)) = .316 .. 1.78.
        let v = verify_fix(
            &periods(&[4, 4, 4], 1000),
            &periods(&[3, 3, 3], 1000),
            &VerifyParams::default(),
        )
        .unwrap();
        assert_eq!(v.verdict, Verdict::Inconclusive);
        assert!((v.ci_high - 1.780).abs() < 1e-3, "{v:?}");
        // No drop at all.
        let v = verify_fix(
            &periods(&[4, 4, 4], 1000),
            &periods(&[5, 4, 4], 1000),
            &VerifyParams::default(),
        )
        .unwrap();
        assert_eq!(v.verdict, Verdict::Recurred);
        // A drop, then back: the last two periods at 38 of 40 per 1,000 (95% ≥ 80%).
        let v = verify_fix(
            &periods(&[40, 40, 40, 40], 1000),
            &periods(&[5, 5, 5, 38, 38], 1000),
            &VerifyParams::default(),
        )
        .unwrap();
        assert!(v.rate_ratio < 1.0 && v.ci_high < 1.0);
        assert_eq!(v.verdict, Verdict::Recurred);
        assert!((v.rate_recent - 38.0).abs() < 1e-9);
    }

    #[test]
    fn a_theme_that_vanished_gets_a_corrected_interval() {
        // a = 30, b = 0 in equal exposure: ratio 0; interval with ½ added:
        // exp(ln(0.5/30.5) ± 1.959964 sqrt(1/30.5 + 1/0.5)) = exp(-4.110874 ± 2.794435)
        // = 0.0010024 .. 0.268088.
        let v = verify_fix(
            &periods(&[10, 10, 10], 1000),
            &periods(&[0, 0, 0], 1000),
            &VerifyParams::default(),
        )
        .unwrap();
        assert_eq!(v.rate_ratio, 0.0);
        assert!((v.ci_high - 0.268_088).abs() < 1e-5, "{v:?}");
        assert_eq!(v.verdict, Verdict::Verified);
        assert_eq!(
            verify_fix(
                &periods(&[0], 10),
                &periods(&[1], 10),
                &VerifyParams::default()
            ),
            None
        );
    }

    #[test]
    fn time_to_resolve_counts_periods_and_days() {
        // Before 40/1000 × 3. After: 30, 25, 20, 20. After 1: RR .75, CI exp(ln .75 ± 1.96
        // sqrt(1/120 + 1/30)) = .503 .. 1.119 -> not yet; after 2: b = 55 of 2000 -> RR .6875,
        // CI exp(ln .6875 ± 1.96 sqrt(1/120 + 1/55)) = .500 .. .946 -> verified at period 2.
        let before = periods(&[40, 40, 40], 1000);
        let after = periods(&[30, 25, 20, 20], 1000);
        assert_eq!(
            periods_to_verify(&before, &after, &VerifyParams::default()),
            Some(2)
        );
        assert_eq!(days_to_resolve(0, 86_400 * 45), Some(45.0));
        assert_eq!(days_to_resolve(10, 0), None);
    }

    #[test]
    fn annuity_is_twelve_months_of_avoided_contacts() {
        // Rate .040 -> .020 per item, 50,000 items a month: 1,000 contacts avoided a month;
        // × $6.50 × 12 = $78,000.
        let avoided = contacts_avoided_per_month(0.040, 0.020, 50_000.0);
        assert!((avoided - 1000.0).abs() < 1e-9);
        let cost = Money::from_minor(650, Currency::parse("USD").unwrap());
        assert_eq!(
            annuity(avoided, cost),
            Some(Money::from_minor(
                7_800_000,
                Currency::parse("USD").unwrap()
            ))
        );
        assert_eq!(contacts_avoided_per_month(0.01, 0.02, 100.0), 0.0);
    }
}
