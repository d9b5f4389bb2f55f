//! Customer scores by their textbook definitions, each with a 95% confidence interval, and
//! two-sample tests that say whether a difference between two periods or segments is real.
//!
//! References: NPS from Reichheld (2003), "The One Number You Need to Grow", HBR; its variance
//! from the +1/0/-1 coding (e.g. Rocks, "Confidence intervals for NPS", 2016); the Wilson interval
//! and the two-proportion z-test from Agresti, *Categorical Data Analysis* (3rd ed.), §1.4 and
//! §2.2; the t interval for a mean from any introductory text (e.g. Moore, McCabe & Craig, §7.1).

use serde::{Deserialize, Serialize};
use trove_domain::{ScoreTally, Scores};

use crate::dist::{t_975, two_sided_p};

/// The two-sided 95% normal quantile.
pub(crate) const Z_95: f64 = 1.959_963_984_540_054;

/// A score computed from `n` answers, with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The score.
    pub value: f64,
    /// Answers it rests on.
    pub n: u64,
    /// Lower end of the 95% interval.
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
}

/// The three survey scores Trove knows, each first class: tallied, estimated with an interval,
/// compared between groups, explained by drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreKind {
    /// Net Promoter (0-10).
    Nps,
    /// Customer satisfaction (1-5).
    Csat,
    /// Customer effort (1-7, 7 = very easy).
    Ces,
}

impl ScoreKind {
    /// Every kind, in the order ties are broken (NPS first).
    pub const ALL: [Self; 3] = [Self::Nps, Self::Csat, Self::Ces];

    /// "NPS", "CSAT", "CES".
    pub fn name(self) -> &'static str {
        match self {
            Self::Nps => "NPS",
            Self::Csat => "CSAT",
            Self::Ces => "CES",
        }
    }

    /// The answer scale: "0-10", "1-5", "1-7".
    pub fn scale(self) -> &'static str {
        match self {
            Self::Nps => "0-10",
            Self::Csat => "1-5",
            Self::Ces => "1-7",
        }
    }

    /// Answers of this score in a tally.
    pub fn answers(self, tally: &ScoreTally) -> u64 {
        match self {
            Self::Nps => tally.nps_n,
            Self::Csat => tally.csat_n,
            Self::Ces => tally.ces_n,
        }
    }

    /// An item's answer on this score's scale, when it gave one.
    pub fn answer(self, scores: &Scores) -> Option<f64> {
        match self {
            Self::Nps => scores.nps.map(|s| f64::from(s.value())),
            Self::Csat => scores.csat.map(|s| f64::from(s.value())),
            Self::Ces => scores.ces.map(|s| f64::from(s.value())),
        }
    }

    /// The headline figure with its interval: NPS, the CSAT top-2-box share, the CES share 5-7.
    pub fn estimate(self, tally: &ScoreTally) -> Option<Estimate> {
        match self {
            Self::Nps => nps(tally),
            Self::Csat => csat(tally),
            Self::Ces => ces_share(tally),
        }
    }

    /// The headline figures of two groups compared (see [`compare_nps`], [`compare_shares`]).
    pub fn compare(self, a: &ScoreTally, b: &ScoreTally) -> Option<Comparison> {
        match self {
            Self::Nps => compare_nps(a, b),
            Self::Csat => compare_csat(a, b),
            Self::Ces => compare_ces_share(a, b),
        }
    }

    /// The score with the most answers in `tally` (ties: NPS, then CSAT, then CES); `None`
    /// without any answer.
    pub fn most_answered(tally: &ScoreTally) -> Option<Self> {
        Self::ALL
            .into_iter()
            .filter(|kind| kind.answers(tally) > 0)
            .min_by_key(|kind| std::cmp::Reverse(kind.answers(tally)))
    }
}

/// Net Promoter Score: % promoters (9-10) minus % detractors (0-6), on -100..=100.
///
/// Each answer is coded +1 (promoter), 0 (passive) or -1 (detractor); NPS is 100 times the mean
/// of that code, so its variance is `(p + d - (p - d)²) / n` for the shares `p` and `d`, and the
/// interval is the normal (Wald) one, clamped to the scale. `None` without answers.
pub fn nps(tally: &ScoreTally) -> Option<Estimate> {
    if tally.nps_n == 0 {
        return None;
    }
    let n = tally.nps_n as f64;
    let p = tally.promoters as f64 / n;
    let d = tally.detractors as f64 / n;
    let mean = p - d;
    let variance = (p + d - mean * mean) / n;
    let half_width = Z_95 * variance.max(0.0).sqrt();
    Some(Estimate {
        value: 100.0 * mean,
        n: tally.nps_n,
        ci_low: (100.0 * (mean - half_width)).max(-100.0),
        ci_high: (100.0 * (mean + half_width)).min(100.0),
    })
}

/// CSAT: the share (in %) of answers in the top two boxes (4-5 of 1-5), with a Wilson interval.
pub fn csat(tally: &ScoreTally) -> Option<Estimate> {
    share(tally.csat_top2, tally.csat_n)
}

/// CES: the share (in %) of answers 5-7 on the 1-7 scale, with a Wilson interval.
pub fn ces_share(tally: &ScoreTally) -> Option<Estimate> {
    share(tally.ces_high, tally.ces_n)
}

/// A share in % with the Wilson score interval (good also near 0% and 100%).
fn share(hits: u64, n: u64) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let p = hits as f64 / nf;
    let z2 = Z_95 * Z_95;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = Z_95 / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some(Estimate {
        value: 100.0 * p,
        n,
        ci_low: 100.0 * (centre - half),
        ci_high: 100.0 * (centre + half),
    })
}

/// The difference `a - b` between two groups' scores, its 95% interval and a z-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// `a - b`, in the scores' unit (NPS points, or percentage points for shares).
    pub difference: f64,
    /// Lower end of the 95% interval of the difference.
    pub ci_low: f64,
    /// Upper end of the 95% interval of the difference.
    pub ci_high: f64,
    /// The z statistic (infinite when neither group varies but they differ).
    pub z: f64,
    /// Two-sided p-value of the z-test of "no difference".
    pub p_value: f64,
    /// `p_value < 0.05`: show the change as real; otherwise flag it "not significant".
    pub significant: bool,
}

/// The significance level of [`Comparison::significant`].
pub const ALPHA: f64 = 0.05;

impl Comparison {
    /// A comparison from a difference, the standard error of its interval and the standard
    /// error under the null hypothesis (the two differ for the pooled proportion test).
    fn new(difference: f64, se_interval: f64, se_null: f64) -> Self {
        let z = if se_null > 0.0 {
            difference / se_null
        } else if difference == 0.0 {
            0.0
        } else {
            // Neither group varies and they differ: the difference is certain.
            f64::INFINITY.copysign(difference)
        };
        let p_value = two_sided_p(z);
        Self {
            difference,
            ci_low: difference - Z_95 * se_interval,
            ci_high: difference + Z_95 * se_interval,
            z,
            p_value,
            significant: p_value < ALPHA,
        }
    }
}

/// The variance of one answer's +1/0/-1 NPS code: `p + d - (p - d)²`, with the answer count.
fn nps_code_variance(tally: &ScoreTally) -> Option<(f64, f64, f64)> {
    if tally.nps_n == 0 {
        return None;
    }
    let n = tally.nps_n as f64;
    let mean = (tally.promoters as f64 - tally.detractors as f64) / n;
    let variance = (tally.promoters + tally.detractors) as f64 / n - mean * mean;
    Some((mean, variance.max(0.0), n))
}

/// Compares the NPS of two independent groups (periods or segments): `NPS_a - NPS_b` in points.
///
/// Each NPS is 100 × the mean of the +1/0/-1 code, so by independence
/// `Var(NPS_a - NPS_b) = 100² (var_a / n_a + var_b / n_b)` with `var = p + d - (p - d)²`; the
/// interval is `difference ± 1.96 se` and the test is the (unpooled, Wald) z-test
/// `z = difference / se`. `None` when either group has no NPS answer.
pub fn compare_nps(a: &ScoreTally, b: &ScoreTally) -> Option<Comparison> {
    let (mean_a, var_a, n_a) = nps_code_variance(a)?;
    let (mean_b, var_b, n_b) = nps_code_variance(b)?;
    let se = 100.0 * (var_a / n_a + var_b / n_b).sqrt();
    Some(Comparison::new(100.0 * (mean_a - mean_b), se, se))
}

/// Compares the CSAT (top-2-box share) of two groups, in percentage points: see
/// [`compare_shares`].
pub fn compare_csat(a: &ScoreTally, b: &ScoreTally) -> Option<Comparison> {
    compare_shares(a.csat_top2, a.csat_n, b.csat_top2, b.csat_n)
}

/// Compares the CES share (answers 5-7) of two groups, in percentage points: see
/// [`compare_shares`].
pub fn compare_ces_share(a: &ScoreTally, b: &ScoreTally) -> Option<Comparison> {
    compare_shares(a.ces_high, a.ces_n, b.ces_high, b.ces_n)
}

/// The two-proportion z-test of `x_a / n_a` against `x_b / n_b`, in percentage points.
///
/// The test uses the pooled share under "no difference" (Agresti §2.2.3):
/// `p = (x_a + x_b) / (n_a + n_b)`, `z = (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b))`; the
/// interval of the difference is the unpooled Wald one,
/// `(p_a - p_b) ± 1.96 sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b)`. (Near the 5% border the
/// two can disagree; `significant` follows the test.) `None` when either group is empty.
pub fn compare_shares(x_a: u64, n_a: u64, x_b: u64, n_b: u64) -> Option<Comparison> {
    if n_a == 0 || n_b == 0 {
        return None;
    }
    let (na, nb) = (n_a as f64, n_b as f64);
    let (pa, pb) = (x_a as f64 / na, x_b as f64 / nb);
    let pooled = (x_a + x_b) as f64 / (na + nb);
    let se_null = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let se_interval = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    Some(Comparison::new(
        100.0 * (pa - pb),
        100.0 * se_interval,
        100.0 * se_null,
    ))
}

/// The mean CES answer (1-7) with its 95% t interval.
///
/// `s² = (Σx² - (Σx)²/n) / (n - 1)` from the tally's `ces_sum` and `ces_sum_sq`, interval
/// `mean ± t(0.975, n-1) · s / √n`, clamped to 1..=7. `None` with fewer than two answers (no
/// variance), or when the sums cannot come from answers on the scale (negative variance).
pub fn ces_mean(tally: &ScoreTally) -> Option<Estimate> {
    let (mean, variance, n) = ces_moments(tally)?;
    let half_width = t_975(tally.ces_n - 1) * (variance / n).sqrt();
    Some(Estimate {
        value: mean,
        n: tally.ces_n,
        ci_low: (mean - half_width).max(1.0),
        ci_high: (mean + half_width).min(7.0),
    })
}

/// Compares the mean CES of two groups (Welch's large-sample z-test: `se = sqrt(s_a²/n_a +
/// s_b²/n_b)`; use it with a few dozen answers per group or more).
pub fn compare_ces_mean(a: &ScoreTally, b: &ScoreTally) -> Option<Comparison> {
    let (mean_a, var_a, n_a) = ces_moments(a)?;
    let (mean_b, var_b, n_b) = ces_moments(b)?;
    let se = (var_a / n_a + var_b / n_b).sqrt();
    Some(Comparison::new(mean_a - mean_b, se, se))
}

/// Mean, sample variance and n of the CES answers.
fn ces_moments(tally: &ScoreTally) -> Option<(f64, f64, f64)> {
    if tally.ces_n < 2 {
        return None;
    }
    let n = tally.ces_n as f64;
    let sum = tally.ces_sum as f64;
    let variance = (tally.ces_sum_sq as f64 - sum * sum / n) / (n - 1.0);
    // A small negative value is rounding; a large one means inconsistent input.
    (variance > -1e-9).then_some((sum / n, variance.max(0.0), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_with_most_answers_is_chosen_and_ties_go_to_nps() {
        let tally = ScoreTally {
            nps_n: 10,
            csat_n: 40,
            ces_n: 40,
            ..Default::default()
        };
        assert_eq!(ScoreKind::most_answered(&tally), Some(ScoreKind::Csat));
        let nps_tie = ScoreTally { nps_n: 40, ..tally };
        assert_eq!(ScoreKind::most_answered(&nps_tie), Some(ScoreKind::Nps));
        assert_eq!(ScoreKind::most_answered(&ScoreTally::default()), None);
    }

    #[test]
    fn two_trusts_a_few_points_apart_on_thousands_of_answers_differ_significantly() {
        // 87.1% of 3,000 = 2,613 against 81.4% of 2,500 = 2,035. Pooled p = 4,648/5,500 =
        // 0.845091; se0 = sqrt(0.845091 · 0.154909 · (1/3000 + 1/2500)) = 0.0097981;
        // z = (0.871 - 0.814) / 0.0097981 = 5.8175: p < 1e-8.
        let c = compare_csat(&csat_tally(2_613, 3_000), &csat_tally(2_035, 2_500)).unwrap();
        assert!((c.difference - 5.7).abs() < 1e-9, "{c:?}");
        assert!((c.z - 5.8175).abs() < 1e-3, "{c:?}");
        assert!(c.significant && c.p_value < 1e-8, "{c:?}");
        // Wilson interval of 2,613 / 3,000: centre (0.871 + 3.841459/6000) / (1 + 3.841459/3000)
        // = 0.870526; half = 1.959964 / 1.001280 · sqrt(0.871·0.129/3000 + 3.841459/3.6e7)
        // = 0.011997 -> 85.853% .. 88.252%.
        let e = csat(&csat_tally(2_613, 3_000)).unwrap();
        assert!(
            (e.ci_low - 85.853).abs() < 0.01 && (e.ci_high - 88.252).abs() < 0.01,
            "{e:?}"
        );
    }

    fn csat_tally(top2: u64, n: u64) -> ScoreTally {
        ScoreTally {
            csat_n: n,
            csat_top2: top2,
            ..Default::default()
        }
    }

    #[test]
    fn nps_difference_uses_the_variance_of_the_code() {
        // a: 50/30/20 of 100 -> NPS 30, var 0.61; b: 40/30/30 of 200 -> NPS 10,
        // var = 0.4 + 0.3 - 0.1² = 0.69. se = 100 sqrt(0.61/100 + 0.69/200) = 100 sqrt(0.00955)
        // = 9.7724; z = 20 / 9.7724 = 2.0466; p = 2(1 - Φ(2.0466)) = 0.04070;
        // CI 20 ± 1.96·9.7724 = 0.846 .. 39.154.
        let c = compare_nps(&nps_tally(50, 30, 20), &nps_tally(80, 60, 60)).unwrap();
        assert!((c.difference - 20.0).abs() < 1e-9);
        assert!((c.z - 2.0466).abs() < 1e-4, "{c:?}");
        assert!((c.p_value - 0.0407).abs() < 1e-4, "{c:?}");
        assert!((c.ci_low - 0.846).abs() < 1e-3 && (c.ci_high - 39.154).abs() < 1e-3);
        assert!(c.significant);
        // The same difference on a tenth of the answers is noise.
        let small = compare_nps(&nps_tally(5, 3, 2), &nps_tally(8, 6, 6)).unwrap();
        assert!(!small.significant && small.p_value > 0.4, "{small:?}");
        assert_eq!(
            compare_nps(&ScoreTally::default(), &nps_tally(1, 0, 0)),
            None
        );
    }

    #[test]
    fn share_difference_is_the_pooled_two_proportion_test() {
        // 80/100 vs 70/100: pooled p = 0.75, se0 = sqrt(0.75·0.25·(2/100)) = 0.061237;
        // z = 0.10 / 0.061237 = 1.63299; p = 0.10247 -> not significant.
        // Interval se = sqrt(0.8·0.2/100 + 0.7·0.3/100) = 0.060828; 10 ± 11.922 points.
        let c = compare_csat(&csat_tally(80, 100), &csat_tally(70, 100)).unwrap();
        assert!((c.difference - 10.0).abs() < 1e-9);
        assert!((c.z - 1.63299).abs() < 1e-5, "{c:?}");
        assert!((c.p_value - 0.10247).abs() < 1e-5, "{c:?}");
        assert!((c.ci_low - (10.0 - 11.9222)).abs() < 1e-3, "{c:?}");
        assert!(!c.significant);
        // The same shares on 1,000 answers each: z = 0.1 / sqrt(0.1875·0.002) = 5.164.
        let big = compare_shares(800, 1000, 700, 1000).unwrap();
        assert!((big.z - 5.164).abs() < 1e-3 && big.significant, "{big:?}");
        assert_eq!(
            compare_ces_share(&ScoreTally::default(), &csat_tally(1, 1)),
            None
        );
    }

    #[test]
    fn identical_constant_groups_do_not_differ() {
        let c = compare_nps(&nps_tally(10, 0, 0), &nps_tally(5, 0, 0)).unwrap();
        assert_eq!((c.z, c.p_value, c.significant), (0.0, 1.0, false));
        let certain = compare_nps(&nps_tally(10, 0, 0), &nps_tally(0, 0, 10)).unwrap();
        assert_eq!((certain.p_value, certain.significant), (0.0, true));
    }

    proptest::proptest! {
        #[test]
        fn comparisons_are_antisymmetric_and_p_values_are_probabilities(
            a in (0u64..300, 0u64..300, 0u64..300), b in (0u64..300, 0u64..300, 0u64..300),
        ) {
            let (ta, tb) = (nps_tally(a.0, a.1, a.2), nps_tally(b.0, b.1, b.2));
            if let (Some(ab), Some(ba)) = (compare_nps(&ta, &tb), compare_nps(&tb, &ta)) {
                proptest::prop_assert!((ab.difference + ba.difference).abs() < 1e-9);
                proptest::prop_assert_eq!(ab.p_value, ba.p_value);
                proptest::prop_assert!((0.0..=1.0).contains(&ab.p_value));
                proptest::prop_assert!(ab.ci_low <= ab.difference && ab.difference <= ab.ci_high);
            }
            if let Some(c) = compare_shares(a.0, a.0 + a.1, b.0, b.0 + b.1) {
                proptest::prop_assert!((0.0..=1.0).contains(&c.p_value));
                proptest::prop_assert_eq!(c.significant, c.p_value < ALPHA);
            }
        }
    }

    #[test]
    fn ces_mean_interval_uses_the_sum_of_squares() {
        // Answers 2, 4, 6, 7, 6: n = 5, Σx = 25, Σx² = 4+16+36+49+36 = 141; mean 5;
        // s² = (141 - 625/5)/4 = 4; s = 2; t(0.975, 4) = 2.776445; half = 2.776445·2/√5 = 2.48333.
        let mut tally = ScoreTally::default();
        for answer in [2, 4, 6, 7, 6] {
            tally.add(&Scores {
                ces: Some(trove_domain::Ces::try_from(answer).unwrap()),
                ..Default::default()
            });
        }
        assert_eq!(
            (tally.ces_sum, tally.ces_sum_sq, tally.ces_high),
            (25, 141, 3)
        );
        let e = ces_mean(&tally).unwrap();
        assert_eq!((e.value, e.n), (5.0, 5));
        assert!((e.ci_low - (5.0 - 2.48333)).abs() < 1e-4, "{e:?}");
        assert_eq!(e.ci_high, 7.0, "clamped to the scale");
        let impossible = ScoreTally {
            ces_sum_sq: 100,
            ..tally
        };
        assert_eq!(ces_mean(&impossible), None, "impossible sum of squares");
        // 40 answers: twenty 5s and twenty 6s -> mean 5.5, s² = (20·25 + 20·36 - 220²/40)/39
        // = (1220 - 1210)/39 = 0.25641, s = 0.50637; t(0.975, 39) = 2.022691;
        // half = 2.022691 · 0.50637 / √40 = 0.16195 -> 5.338 .. 5.662.
        let forty = ScoreTally {
            ces_n: 40,
            ces_sum: 220,
            ces_sum_sq: 1220,
            ces_high: 40,
            ..Default::default()
        };
        let e = ces_mean(&forty).unwrap();
        assert!(
            (e.ci_low - 5.33805).abs() < 1e-4 && (e.ci_high - 5.66195).abs() < 1e-4,
            "{e:?}"
        );
        // Two groups: means 5 and 4 (answers 4,4,4,4,4: Σx²=80, s²=0): se = sqrt(4/5) = 0.8944,
        // z = 1 / 0.8944 = 1.118.
        let flat = ScoreTally {
            ces_n: 5,
            ces_sum: 20,
            ces_sum_sq: 80,
            ..Default::default()
        };
        let c = compare_ces_mean(&tally, &flat).unwrap();
        assert!((c.z - 1.118_034).abs() < 1e-5, "{c:?}");
    }

    fn nps_tally(promoters: u64, passives: u64, detractors: u64) -> ScoreTally {
        ScoreTally {
            nps_n: promoters + passives + detractors,
            promoters,
            detractors,
            ..Default::default()
        }
    }

    #[test]
    fn nps_and_its_interval_match_a_worked_example() {
        // 100 answers: 50 promoters, 30 passives, 20 detractors.
        // NPS = 50% - 20% = 30. Variance of the code = 0.5 + 0.2 - 0.3² = 0.61; se = sqrt(0.61/100)
        // = 0.078102; half-width = 1.96 * 0.078102 = 0.153077 -> 30 ± 15.31.
        let estimate = nps(&nps_tally(50, 30, 20)).unwrap();
        assert!((estimate.value - 30.0).abs() < 1e-9);
        assert!((estimate.ci_low - 14.692).abs() < 0.01, "{estimate:?}");
        assert!((estimate.ci_high - 45.308).abs() < 0.01, "{estimate:?}");
        assert_eq!(estimate.n, 100);
    }

    #[test]
    fn nps_is_undefined_without_answers_and_clamped_at_the_ends() {
        assert_eq!(nps(&ScoreTally::default()), None);
        let all_promoters = nps(&nps_tally(10, 0, 0)).unwrap();
        assert_eq!(
            (
                all_promoters.value,
                all_promoters.ci_low,
                all_promoters.ci_high
            ),
            (100.0, 100.0, 100.0)
        );
        let all_detractors = nps(&nps_tally(0, 0, 7)).unwrap();
        assert_eq!(all_detractors.value, -100.0);
    }

    #[test]
    fn csat_is_the_top_two_box_share_with_a_wilson_interval() {
        // 80 of 100 in the top two boxes: Wilson 95% interval 71.1% .. 86.7% (textbook value).
        let tally = ScoreTally {
            csat_n: 100,
            csat_top2: 80,
            ..Default::default()
        };
        let estimate = csat(&tally).unwrap();
        assert!((estimate.value - 80.0).abs() < 1e-9);
        assert!((estimate.ci_low - 71.1).abs() < 0.1, "{estimate:?}");
        assert!((estimate.ci_high - 86.7).abs() < 0.1, "{estimate:?}");
        assert_eq!(ces_share(&ScoreTally::default()), None);
    }
}
