//! Stratified survey samples: how many customers to invite per stratum (proportional or Neyman
//! allocation, rounded by the largest-remainder method), a seeded draw within each stratum,
//! and the design-weighted NPS of the answers with its stratified variance.
//!
//! Scoring: a respondent's NPS value is +1 (promoter, 9-10), 0 (passive, 7-8) or −1
//! (detractor, 0-6), so a stratum's mean is its NPS / 100 and its standard deviation is that of
//! these values. Estimates are reported on the usual −100..100 scale.
//!
//! Textbook references: Cochran, *Sampling Techniques* (3rd ed., 1977), §5.3 (the stratified
//! mean and its variance), §5.5 (optimum allocation, Neyman's case), §5.8 (strata whose
//! optimum sample exceeds their size are taken whole).

use serde::{Deserialize, Serialize};

use crate::impact::SplitMix64;
use crate::scores::Z_95;

/// How a sample is spread over the strata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Allocation {
    /// `n_h = n · N_h / N`: every customer has the same chance.
    Proportional,
    /// `n_h = n · N_h·S_h / Σ N_h·S_h`: more where answers vary more (the smallest variance of
    /// the stratified mean for a fixed `n`).
    Neyman,
}

impl Allocation {
    /// Its name, as the command line takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Allocation::Proportional => "proportional",
            Allocation::Neyman => "neyman",
        }
    }
}

/// Why an allocation cannot be made.
#[derive(Debug, Clone, PartialEq)]
pub enum AllocationError {
    /// More customers asked for than there are.
    TooLarge {
        /// The sample size asked for.
        asked: u64,
        /// The customers that may be drawn.
        population: u64,
    },
    /// Neyman allocation needs each stratum's standard deviation; these have none.
    NoDeviation {
        /// The strata (by index) without one.
        strata: Vec<usize>,
    },
}

impl std::fmt::Display for AllocationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AllocationError::TooLarge { asked, population } => write!(
                f,
                "a sample of {asked} was asked for but only {population} customers may be drawn"
            ),
            AllocationError::NoDeviation { strata } => write!(
                f,
                "Neyman allocation needs a standard deviation for every stratum; strata {strata:?} have fewer than 2 past answers"
            ),
        }
    }
}

impl std::error::Error for AllocationError {}

/// Sample sizes per stratum for a sample of `n` from strata of sizes `populations`.
///
/// `deviations[h]` is `S_h` (only read by [`Allocation::Neyman`]; every stratum with customers
/// must have one). The quotas are met exactly (`Σ n_h = n`) with these rules, in order:
/// - a stratum whose quota exceeds its size is taken whole and the rest is spread again over
///   the others (Cochran §5.8);
/// - when `n` is at least the number of non-empty strata, each of them gets at least one
///   (a stratum with no one invited could not be estimated): quotas below 1 are raised to 1
///   and the rest spread again;
/// - the remaining quotas are rounded by the largest-remainder method: each gets its whole
///   part, then the units left go one each to the largest fractional parts (ties: the earlier
///   stratum). A quota never exceeds its size, so rounding up never does either.
///
/// When all the remaining weights are 0 (Neyman with every `S_h = 0`), the rest is spread in
/// proportion to size.
pub fn allocate(
    n: u64,
    populations: &[u64],
    deviations: &[Option<f64>],
    allocation: Allocation,
) -> Result<Vec<u64>, AllocationError> {
    let population: u64 = populations.iter().sum();
    if n > population {
        return Err(AllocationError::TooLarge {
            asked: n,
            population,
        });
    }
    let weights: Vec<f64> = match allocation {
        Allocation::Proportional => populations.iter().map(|&size| size as f64).collect(),
        Allocation::Neyman => {
            let missing: Vec<usize> = (0..populations.len())
                .filter(|&h| populations[h] > 0 && deviations.get(h).copied().flatten().is_none())
                .collect();
            if !missing.is_empty() {
                return Err(AllocationError::NoDeviation { strata: missing });
            }
            populations
                .iter()
                .enumerate()
                .map(|(h, &size)| size as f64 * deviations.get(h).copied().flatten().unwrap_or(0.0))
                .collect()
        }
    };
    let non_empty = populations.iter().filter(|&&size| size > 0).count() as u64;
    Ok(spread(n, populations, &weights, n >= non_empty))
}

/// Spreads `n` over strata by `weights`, with the take-whole and at-least-one rules of
/// [`allocate`], then rounds by the largest remainder.
fn spread(n: u64, sizes: &[u64], weights: &[f64], at_least_one: bool) -> Vec<u64> {
    let strata = sizes.len();
    // Strata whose sample is settled (taken whole or raised to one).
    let mut fixed: Vec<Option<u64>> = sizes.iter().map(|&size| (size == 0).then_some(0)).collect();
    loop {
        let left = n.saturating_sub(fixed.iter().flatten().sum::<u64>());
        let quotas = quotas(left, sizes, weights, &fixed);
        let mut changed = false;
        for h in 0..strata {
            if fixed[h].is_some() {
                continue;
            }
            if quotas[h] > sizes[h] as f64 {
                fixed[h] = Some(sizes[h]);
                changed = true;
            }
        }
        if !changed && at_least_one {
            for h in 0..strata {
                if fixed[h].is_none() && quotas[h] < 1.0 {
                    fixed[h] = Some(1);
                    changed = true;
                }
            }
        }
        if !changed {
            let mut sample = largest_remainder(&quotas, left);
            for (h, settled) in fixed.iter().enumerate() {
                if let Some(settled) = settled {
                    sample[h] = *settled;
                }
            }
            return sample;
        }
    }
}

/// The unrounded quotas of the strata not yet fixed (fixed ones get 0).
fn quotas(left: u64, sizes: &[u64], weights: &[f64], fixed: &[Option<u64>]) -> Vec<f64> {
    let free = |h: &usize| fixed[*h].is_none();
    let mut total: f64 = (0..sizes.len()).filter(free).map(|h| weights[h]).sum();
    let mut use_weights = weights.to_vec();
    if total <= 0.0 {
        // No stratum left varies: spread in proportion to size.
        use_weights = sizes.iter().map(|&size| size as f64).collect();
        total = (0..sizes.len()).filter(free).map(|h| use_weights[h]).sum();
    }
    (0..sizes.len())
        .map(|h| {
            if fixed[h].is_some() || total <= 0.0 {
                0.0
            } else {
                left as f64 * use_weights[h] / total
            }
        })
        .collect()
}

/// Rounds quotas that add up to `total` to whole numbers that add up to `total` exactly: each
/// gets its whole part, then the units left go to the largest fractional parts, one each
/// (ties: the earlier quota).
pub fn largest_remainder(quotas: &[f64], total: u64) -> Vec<u64> {
    let mut whole: Vec<u64> = quotas.iter().map(|q| q.max(0.0).floor() as u64).collect();
    let given: u64 = whole.iter().sum();
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    let fraction = |h: usize| quotas[h].max(0.0) - quotas[h].max(0.0).floor();
    order.sort_by(|&a, &b| fraction(b).total_cmp(&fraction(a)).then(a.cmp(&b)));
    for &h in order
        .iter()
        .cycle()
        .take(total.saturating_sub(given) as usize)
    {
        whole[h] += 1;
    }
    whole
}

/// Picks `k` of `0..size` uniformly without replacement (a partial Fisher-Yates shuffle),
/// sorted.
pub fn draw_indices(size: usize, k: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let k = k.min(size);
    let mut indices: Vec<usize> = (0..size).collect();
    for i in 0..k {
        let j = i + rng.below(size - i);
        indices.swap(i, j);
    }
    indices.truncate(k);
    indices.sort_unstable();
    indices
}

/// NPS answers counted: promoters, passives, detractors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsCounts {
    /// Scores 9-10 (+1).
    pub promoters: u64,
    /// Scores 7-8 (0).
    pub passives: u64,
    /// Scores 0-6 (−1).
    pub detractors: u64,
}

impl NpsCounts {
    /// Counts one answer on the 0-10 scale (out of range: ignored).
    pub fn add_score(&mut self, score: f64) {
        match score {
            s if (9.0..=10.0).contains(&s) => self.promoters += 1,
            s if (7.0..9.0).contains(&s) => self.passives += 1,
            s if (0.0..7.0).contains(&s) => self.detractors += 1,
            _ => {}
        }
    }

    /// How many answers.
    pub fn count(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// The mean of the ±1 values (NPS / 100), if any answer.
    pub fn mean(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| (self.promoters as f64 - self.detractors as f64) / n as f64)
    }

    /// The sample standard deviation `s` of the ±1 values (divisor `n − 1`), from 2 answers.
    pub fn deviation(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// The sample variance `s²` of the ±1 values (divisor `n − 1`), from 2 answers.
    fn variance(&self) -> Option<f64> {
        let n = self.count();
        let mean = self.mean()?;
        // Σy² counts promoters and detractors once each (1² = (−1)² = 1).
        let squares = (self.promoters + self.detractors) as f64;
        (n >= 2).then(|| ((squares - n as f64 * mean * mean) / (n - 1) as f64).max(0.0))
    }
}

/// One stratum's population and the answers of its invited customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StratumAnswers {
    /// `N_h`: customers in the stratum when the sample was drawn.
    pub population: u64,
    /// The answers of its respondents.
    pub answers: NpsCounts,
}

/// The design-weighted NPS of a stratified sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedNps {
    /// `100 · Σ W_h ȳ_h` over the strata with answers (`W_h = N_h / Σ N_h` of those).
    pub nps: f64,
    /// Its standard error (same scale); `None` when a stratum has a single answer.
    pub standard_error: Option<f64>,
    /// The normal-approximation 95% interval `nps ± 1.96 · SE`.
    pub ci_low: Option<f64>,
    /// Upper end of the interval.
    pub ci_high: Option<f64>,
    /// Respondents counted.
    pub respondents: u64,
    /// The share of the population whose strata have answers (1 when all have).
    pub covered: f64,
    /// Strata (by index) without any answer: left out, the rest re-weighted.
    pub strata_without_answers: Vec<usize>,
}

/// The stratified estimate of NPS (Cochran §5.3): `ȳ_st = Σ W_h ȳ_h`, which is the mean of the
/// answers weighted by `N_h / m_h` (the design weight of a respondent among `m_h` in a stratum
/// of `N_h`; non-respondents are taken to answer like respondents of their stratum), with
/// `v(ȳ_st) = Σ W_h² s_h² / m_h · (1 − m_h / N_h)` (the finite-population correction makes a
/// stratum answered in full contribute no error). Strata without answers are left out and
/// named; a stratum with one answer has no `s_h`, so then no interval is given.
pub fn weighted_nps(strata: &[StratumAnswers]) -> Option<WeightedNps> {
    let answered: Vec<usize> = (0..strata.len())
        .filter(|&h| strata[h].answers.count() > 0)
        .collect();
    let covered_population: u64 = answered.iter().map(|&h| strata[h].population).sum();
    let total_population: u64 = strata.iter().map(|s| s.population).sum();
    if answered.is_empty() || covered_population == 0 {
        return None;
    }
    let mut mean = 0.0;
    let mut variance = Some(0.0);
    for &h in &answered {
        let stratum = &strata[h];
        let weight = stratum.population as f64 / covered_population as f64;
        mean += weight * stratum.answers.mean().unwrap_or(0.0);
        let m = stratum.answers.count() as f64;
        let correction = (1.0 - m / stratum.population as f64).max(0.0);
        variance = match (variance, stratum.answers.variance()) {
            (Some(sum), Some(s2)) => Some(sum + weight * weight * s2 / m * correction),
            _ => None,
        };
    }
    let standard_error = variance.map(|v| 100.0 * v.sqrt());
    let nps = 100.0 * mean;
    Some(WeightedNps {
        nps,
        standard_error,
        ci_low: standard_error.map(|se| nps - Z_95 * se),
        ci_high: standard_error.map(|se| nps + Z_95 * se),
        respondents: answered.iter().map(|&h| strata[h].answers.count()).sum(),
        covered: covered_population as f64 / total_population.max(1) as f64,
        strata_without_answers: (0..strata.len())
            .filter(|h| !answered.contains(h))
            .collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn neyman_allocation_worked_by_hand() {
        // Three strata, N_h = 1000, 2000, 3000 and S_h = 0.9, 0.6, 0.3; n = 101.
        // N_h·S_h = 900, 1200, 900; Σ = 3000.
        // n_h = 101 · N_h·S_h / 3000 = 30.3, 40.4, 30.3 -> whole parts 30, 40, 30 (100);
        // the 1 unit left goes to the largest remainder (.4, stratum 2): 30, 41, 30.
        let sizes = [1000, 2000, 3000];
        let deviations = [Some(0.9), Some(0.6), Some(0.3)];
        let neyman = allocate(101, &sizes, &deviations, Allocation::Neyman).unwrap();
        assert_eq!(neyman, vec![30, 41, 30]);
        // Proportional: 101 · N_h / 6000 = 16.833, 33.667, 50.5 -> 16, 33, 50 (99); the 2
        // units left go to remainders .833 and .667: 17, 34, 50.
        let proportional = allocate(101, &sizes, &deviations, Allocation::Proportional).unwrap();
        assert_eq!(proportional, vec![17, 34, 50]);
    }

    #[test]
    fn a_stratum_whose_neyman_quota_exceeds_its_size_is_taken_whole() {
        // N_h = 10, 1000 with S_h = 1.0, 0.01: N·S = 10, 10; n = 40 -> quotas 20, 20; stratum
        // 1 has only 10, so it is taken whole and the other gets the 30 left.
        let sample = allocate(
            40,
            &[10, 1000],
            &[Some(1.0), Some(0.01)],
            Allocation::Neyman,
        );
        assert_eq!(sample.unwrap(), vec![10, 30]);
    }

    #[test]
    fn largest_remainder_meets_the_total_exactly() {
        assert_eq!(largest_remainder(&[1.5, 1.5, 1.0], 4), vec![2, 1, 1]);
        assert_eq!(largest_remainder(&[0.2, 0.3, 0.5], 1), vec![0, 0, 1]);
        // Equal remainders: the earlier stratum first.
        assert_eq!(largest_remainder(&[1.0 / 3.0; 3], 1), vec![1, 0, 0]);
        assert_eq!(largest_remainder(&[], 0), Vec::<u64>::new());
        assert_eq!(largest_remainder(&[3.0, 2.0], 5), vec![3, 2]);
    }

    #[test]
    fn every_non_empty_stratum_gets_one_when_n_allows() {
        // Proportional quotas for n = 10 over 990, 5, 5, 0: 9.9, 0.05, 0.05, 0 -> the small
        // ones are raised to 1, the large one gets the 8 left; the empty one gets none.
        let sample = allocate(10, &[990, 5, 5, 0], &[], Allocation::Proportional).unwrap();
        assert_eq!(sample, vec![8, 1, 1, 0]);
        // n = 2 < 3 non-empty strata: no minimum, plain rounding.
        let small = allocate(2, &[990, 5, 5], &[], Allocation::Proportional).unwrap();
        assert_eq!(small, vec![2, 0, 0]);
    }

    #[test]
    fn allocation_sums_to_n_and_respects_sizes() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..500 {
            let strata = 1 + rng.below(6);
            let sizes: Vec<u64> = (0..strata).map(|_| rng.below(50) as u64).collect();
            let deviations: Vec<Option<f64>> = (0..strata)
                .map(|_| Some(rng.below(100) as f64 / 100.0))
                .collect();
            let total: u64 = sizes.iter().sum();
            let n = rng.below(total as usize + 1) as u64;
            for method in [Allocation::Proportional, Allocation::Neyman] {
                let sample = allocate(n, &sizes, &deviations, method).unwrap();
                assert_eq!(sample.iter().sum::<u64>(), n, "{sizes:?} {n} {method:?}");
                for (n_h, size) in sample.iter().zip(&sizes) {
                    assert!(n_h <= size, "{sample:?} over {sizes:?}");
                }
                let non_empty = sizes.iter().filter(|&&s| s > 0).count() as u64;
                if n >= non_empty {
                    for (n_h, size) in sample.iter().zip(&sizes) {
                        assert!(*size == 0 || *n_h >= 1, "{sample:?} {sizes:?} n={n}");
                    }
                }
            }
        }
    }

    #[test]
    fn neyman_refuses_a_stratum_without_a_deviation_and_too_large_samples() {
        let missing = allocate(5, &[10, 10], &[Some(0.5), None], Allocation::Neyman);
        assert_eq!(
            missing,
            Err(AllocationError::NoDeviation { strata: vec![1] })
        );
        let large = allocate(21, &[10, 10], &[], Allocation::Proportional);
        assert!(matches!(large, Err(AllocationError::TooLarge { .. })));
    }

    #[test]
    fn deviation_of_nps_answers_by_hand() {
        // 6 promoters, 2 passives, 2 detractors: mean (6 − 2)/10 = 0.4; Σy² = 8;
        // s² = (8 − 10 · 0.16) / 9 = 6.4 / 9 = 0.71111; s = 0.84327.
        let counts = NpsCounts {
            promoters: 6,
            passives: 2,
            detractors: 2,
        };
        assert!(close(counts.mean().unwrap(), 0.4, 1e-12));
        assert!(close(counts.deviation().unwrap(), 0.843_274, 1e-6));
        let one = NpsCounts {
            promoters: 1,
            ..NpsCounts::default()
        };
        assert_eq!(one.deviation(), None);
    }

    #[test]
    fn weighted_nps_worked_by_hand() {
        // Stratum 1: N = 600, answers 6 P / 2 pass / 2 D: ȳ = 0.4, s² = 0.711111, m = 10.
        // Stratum 2: N = 400, answers 2 P / 2 pass / 4 D: ȳ = −0.25, Σy² = 6,
        //   s² = (6 − 8 · 0.0625) / 7 = 5.5 / 7 = 0.785714, m = 8.
        // W = 0.6, 0.4. ȳ_st = 0.6 · 0.4 + 0.4 · (−0.25) = 0.14 -> NPS 14.
        // v = 0.36 · 0.711111 / 10 · (1 − 10/600) + 0.16 · 0.785714 / 8 · (1 − 8/400)
        //   = 0.0256 · 0.983333 + 0.0157143 · 0.98 = 0.0251733 + 0.0154000 = 0.0405733;
        // SE = 0.201428 -> 20.1428; 95% CI 14 ± 1.959964 · 20.1428 = [−25.479, 53.479].
        let strata = [
            StratumAnswers {
                population: 600,
                answers: NpsCounts {
                    promoters: 6,
                    passives: 2,
                    detractors: 2,
                },
            },
            StratumAnswers {
                population: 400,
                answers: NpsCounts {
                    promoters: 2,
                    passives: 2,
                    detractors: 4,
                },
            },
        ];
        let estimate = weighted_nps(&strata).unwrap();
        assert!(close(estimate.nps, 14.0, 1e-9));
        assert!(close(estimate.standard_error.unwrap(), 20.1428, 1e-3));
        assert!(close(estimate.ci_low.unwrap(), -25.479, 1e-2));
        assert!(close(estimate.ci_high.unwrap(), 53.479, 1e-2));
        assert_eq!(estimate.respondents, 18);
        assert!(close(estimate.covered, 1.0, 1e-12));
    }

    #[test]
    fn a_stratum_without_answers_is_named_and_the_rest_reweighted() {
        let strata = [
            StratumAnswers {
                population: 300,
                answers: NpsCounts {
                    promoters: 2,
                    passives: 0,
                    detractors: 1,
                },
            },
            StratumAnswers {
                population: 100,
                answers: NpsCounts::default(),
            },
        ];
        let estimate = weighted_nps(&strata).unwrap();
        assert!(close(estimate.nps, 100.0 / 3.0, 1e-9));
        assert_eq!(estimate.strata_without_answers, vec![1]);
        assert!(close(estimate.covered, 0.75, 1e-12));
        assert_eq!(weighted_nps(&[strata[1]]), None);
    }

    /// A synthetic population of three strata of different sizes and NPS: each customer's
    /// answer (+1, 0, −1) is fixed, so the true NPS is known exactly.
    fn population() -> Vec<Vec<i8>> {
        let stratum = |size: usize, promoters: usize, detractors: usize| -> Vec<i8> {
            (0..size)
                .map(|i| {
                    if i < promoters {
                        1
                    } else if i < promoters + detractors {
                        -1
                    } else {
                        0
                    }
                })
                .collect()
        };
        vec![
            stratum(6000, 3600, 600), // NPS +50, s ≈ 0.66
            stratum(3000, 900, 1500), // NPS −20, s ≈ 0.89
            stratum(1000, 200, 200),  // NPS 0, s ≈ 0.63
        ]
    }

    fn counts(values: &[i8]) -> NpsCounts {
        let mut counts = NpsCounts::default();
        for &value in values {
            match value {
                1 => counts.promoters += 1,
                -1 => counts.detractors += 1,
                _ => counts.passives += 1,
            }
        }
        counts
    }

    #[test]
    fn the_weighted_estimate_is_unbiased_over_1000_seeds() {
        let strata = population();
        let all: Vec<i8> = strata.iter().flatten().copied().collect();
        let truth = 100.0 * counts(&all).mean().unwrap();
        let sizes: Vec<u64> = strata.iter().map(|s| s.len() as u64).collect();
        let deviations: Vec<Option<f64>> = strata.iter().map(|s| counts(s).deviation()).collect();
        // Neyman over-samples stratum 2 relative to its size: an unweighted mean is biased.
        let sample = allocate(300, &sizes, &deviations, Allocation::Neyman).unwrap();
        let seeds = 1000;
        let (mut estimates, mut naive, mut variances) = (Vec::new(), Vec::new(), Vec::new());
        for seed in 0..seeds {
            let mut rng = SplitMix64::new(seed);
            let answers: Vec<StratumAnswers> = strata
                .iter()
                .zip(&sample)
                .map(|(members, &n_h)| {
                    let drawn: Vec<i8> = draw_indices(members.len(), n_h as usize, &mut rng)
                        .into_iter()
                        .map(|i| members[i])
                        .collect();
                    StratumAnswers {
                        population: members.len() as u64,
                        answers: counts(&drawn),
                    }
                })
                .collect();
            let estimate = weighted_nps(&answers).unwrap();
            estimates.push(estimate.nps);
            variances.push(estimate.standard_error.unwrap().powi(2));
            let pooled: u64 = answers.iter().map(|a| a.answers.count()).sum();
            let net: f64 = answers
                .iter()
                .map(|a| a.answers.promoters as f64 - a.answers.detractors as f64)
                .sum();
            naive.push(100.0 * net / pooled as f64);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let spread = |v: &[f64]| {
            let m = mean(v);
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        };
        let standard_error_of_mean = spread(&estimates) / (seeds as f64).sqrt();
        // Unbiased: the mean over the seeds is within 3 of its standard errors of the truth
        // (and so well within one standard error of a single estimate).
        assert!(
            (mean(&estimates) - truth).abs() <= 3.0 * standard_error_of_mean,
            "mean {} truth {truth} se {standard_error_of_mean}",
            mean(&estimates)
        );
        // The stratified variance formula matches the spread seen (within 10%).
        let seen = spread(&estimates).powi(2);
        assert!(
            (mean(&variances) / seen - 1.0).abs() < 0.10,
            "formula {} seen {seen}",
            mean(&variances)
        );
        // The same test catches a biased estimator: the unweighted mean misses.
        assert!((mean(&naive) - truth).abs() > 3.0 * spread(&naive) / (seeds as f64).sqrt());
    }

    #[test]
    fn draws_are_distinct_and_repeat_for_a_seed() {
        let first = draw_indices(100, 10, &mut SplitMix64::new(42));
        let again = draw_indices(100, 10, &mut SplitMix64::new(42));
        assert_eq!(first, again);
        let mut unique = first.clone();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert!(first.iter().all(|&i| i < 100));
        assert_eq!(draw_indices(3, 5, &mut SplitMix64::new(1)), vec![0, 1, 2]);
    }
}
