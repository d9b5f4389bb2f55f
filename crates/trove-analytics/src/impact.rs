//! What a theme costs the score: the NPS / CSAT impact of its mentions, key-driver analysis
//! (Shapley value of R²) and Pareto lines.
//!
//! **Impact** (the "what if it were fixed" view used in VoC practice): `NPS(all) - NPS(all
//! responses except those that mention the theme)`. A theme whose mentioners are detractors has
//! a negative impact: removing them would raise the score by that many points.
//!
//! **Key drivers**: the Shapley value of R² of the regression of the score on theme indicators,
//! also known as LMG (Lindeman, Merenda & Gold, 1980) and equal to Budescu's general dominance
//! weights (Budescu 1993; Azen & Budescu 2003); see Grömping (2007), "Estimators of relative
//! importance in linear regression based on variance decomposition", *The American
//! Statistician* 61(2). `φⱼ = Σ_{S ⊆ N∖{j}} |S|! (p - |S| - 1)! / p! · [R²(S ∪ {j}) - R²(S)]`;
//! the values add up to the full model's R². Every R² comes from the centred cross-products
//! `X'X`, `X'y`, `y'y` ([`CrossProducts`]), which a database builds by `GROUP BY`, so the
//! analysis needs no rows.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use trove_domain::ScoreTally;

use crate::scores::{csat, nps};

/// `all - part`, field by field; `None` when `part` is not contained in `all`.
pub fn tally_without(all: &ScoreTally, part: &ScoreTally) -> Option<ScoreTally> {
    Some(ScoreTally {
        items: all.items.checked_sub(part.items)?,
        nps_n: all.nps_n.checked_sub(part.nps_n)?,
        promoters: all.promoters.checked_sub(part.promoters)?,
        detractors: all.detractors.checked_sub(part.detractors)?,
        csat_n: all.csat_n.checked_sub(part.csat_n)?,
        csat_top2: all.csat_top2.checked_sub(part.csat_top2)?,
        ces_n: all.ces_n.checked_sub(part.ces_n)?,
        ces_sum: all.ces_sum.checked_sub(part.ces_sum)?,
        ces_high: all.ces_high.checked_sub(part.ces_high)?,
        ces_sum_sq: all.ces_sum_sq.checked_sub(part.ces_sum_sq)?,
    })
}

/// NPS impact of a theme in points: `NPS(all) - NPS(all without the items mentioning it)`.
///
/// `with_theme` is the tally of the items that mention the theme (each item once). Exactly 0
/// when no NPS answer mentions it; `None` when there is no NPS answer at all, when every answer
/// mentions it (nothing left to compare with), or when `with_theme` is not part of `all`.
pub fn nps_impact(all: &ScoreTally, with_theme: &ScoreTally) -> Option<f64> {
    let without = tally_without(all, with_theme)?;
    let all_nps = nps(all)?.value;
    if with_theme.nps_n == 0 {
        return Some(0.0);
    }
    Some(all_nps - nps(&without)?.value)
}

/// CSAT impact of a theme in percentage points, defined as [`nps_impact`] on the CSAT
/// top-2-box share.
pub fn csat_impact(all: &ScoreTally, with_theme: &ScoreTally) -> Option<f64> {
    let without = tally_without(all, with_theme)?;
    let all_csat = csat(all)?.value;
    if with_theme.csat_n == 0 {
        return Some(0.0);
    }
    Some(all_csat - csat(&without)?.value)
}

/// Sufficient statistics of a linear regression of `y` on `p` drivers (with an intercept):
/// `n`, `Σx`, `Σy`, `X'X`, `X'y`, `y'y`.
///
/// For theme indicators and an NPS code `y ∈ {-1, 0, 1}` (or a CSAT answer), a store fills
/// them by aggregation: `sum_x[i]` = scored items mentioning theme i, `sum_xx[i][j]` = scored
/// items mentioning both i and j, `sum_xy[i]` = Σ y over items mentioning i.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossProducts {
    /// Observations.
    pub n: f64,
    /// `Σ xᵢ` per driver.
    pub sum_x: Vec<f64>,
    /// `Σ y`.
    pub sum_y: f64,
    /// `Σ xᵢ xⱼ`, row-major p × p.
    pub sum_xx: Vec<f64>,
    /// `Σ xᵢ y` per driver.
    pub sum_xy: Vec<f64>,
    /// `Σ y²`.
    pub sum_yy: f64,
}

impl CrossProducts {
    /// Empty statistics for `drivers` drivers.
    pub fn new(drivers: usize) -> Self {
        Self {
            n: 0.0,
            sum_x: vec![0.0; drivers],
            sum_y: 0.0,
            sum_xx: vec![0.0; drivers * drivers],
            sum_xy: vec![0.0; drivers],
            sum_yy: 0.0,
        }
    }

    /// The number of drivers.
    pub fn drivers(&self) -> usize {
        self.sum_x.len()
    }

    /// Adds one observation (`x` has one value per driver).
    pub fn add(&mut self, x: &[f64], y: f64) {
        let p = self.drivers();
        self.n += 1.0;
        self.sum_y += y;
        self.sum_yy += y * y;
        for i in 0..p {
            self.sum_x[i] += x[i];
            self.sum_xy[i] += x[i] * y;
            for j in 0..p {
                self.sum_xx[i * p + j] += x[i] * x[j];
            }
        }
    }

    /// Adds one observation whose drivers are 0/1 indicators, given by the indexes of those
    /// present: only they touch the cross-products (a response mentions one to three themes,
    /// not eighty).
    pub fn add_indicators(&mut self, present: &[usize], y: f64) {
        self.add_indicators_times(present, y, 1.0);
    }

    /// Adds `times` identical observations at once (see [`CrossProducts::add_indicators`]).
    pub fn add_indicators_times(&mut self, present: &[usize], y: f64, times: f64) {
        self.add_indicator_sums(present, times, times * y, times * y * y);
    }

    /// Adds `times` observations that share the indicators `present`, whose answers sum to
    /// `sum_y` and their squares to `sum_yy`: the indicators' cross-products are touched once
    /// for the lot, however many answers it spans.
    pub fn add_indicator_sums(&mut self, present: &[usize], times: f64, sum_y: f64, sum_yy: f64) {
        let p = self.drivers();
        self.n += times;
        self.sum_y += sum_y;
        self.sum_yy += sum_yy;
        for &i in present {
            self.sum_x[i] += times;
            self.sum_xy[i] += sum_y;
            for &j in present {
                self.sum_xx[i * p + j] += times;
            }
        }
    }

    /// Centred statistics: `Sxx = X'X - Σx Σx'/n`, `Sxy`, and the total sum of squares `Syy`.
    fn centred(&self) -> Centred {
        let p = self.drivers();
        let n = self.n;
        let mut sxx = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                sxx[i * p + j] = self.sum_xx[i * p + j] - self.sum_x[i] * self.sum_x[j] / n;
            }
        }
        let sxy = (0..p)
            .map(|i| self.sum_xy[i] - self.sum_x[i] * self.sum_y / n)
            .collect();
        Centred {
            p,
            sxx,
            sxy,
            syy: self.sum_yy - self.sum_y * self.sum_y / n,
        }
    }

    /// R² of the regression of y on the drivers in `subset` (with an intercept). `None` when
    /// `y` does not vary or there are no observations.
    pub fn r_squared(&self, subset: &[usize]) -> Option<f64> {
        let centred = self.valid_centred()?;
        Some(
            centred
                .sequential_gains(subset)
                .iter()
                .sum::<f64>()
                .clamp(0.0, 1.0),
        )
    }

    fn valid_centred(&self) -> Option<Centred> {
        let centred = self.centred();
        (self.n > 1.0 && centred.syy > 1e-12 * self.sum_yy.abs().max(1.0)).then_some(centred)
    }
}

/// Centred cross-products.
struct Centred {
    p: usize,
    sxx: Vec<f64>,
    sxy: Vec<f64>,
    syy: f64,
}

/// Relative pivot below which a driver counts as a linear combination of those before it.
const COLLINEAR: f64 = 1e-9;

impl Centred {
    /// The R² each driver of `order` adds to those before it, by a Cholesky factorisation of
    /// `Sxx[order, order]`: with `L z = Sxy[order]`, the gain of the k-th driver is `z_k² / Syy`
    /// (Gram-Schmidt in the metric of the data). A driver with no variance left after those
    /// before it (constant, or collinear) adds 0.
    fn sequential_gains(&self, order: &[usize]) -> Vec<f64> {
        let m = order.len();
        let mut lower = vec![0.0f64; m * m];
        let mut z = vec![0.0; m];
        let mut gains = vec![0.0; m];
        for k in 0..m {
            let a = |i: usize, j: usize| self.sxx[order[i] * self.p + order[j]];
            let diagonal = a(k, k);
            let row_k = &lower[k * m..k * m + k];
            let residual = diagonal - dot(row_k, row_k);
            if diagonal <= 0.0 || residual <= COLLINEAR * diagonal {
                continue;
            }
            let pivot = residual.sqrt();
            lower[k * m + k] = pivot;
            // Column k of the rows below row k (row i sits at `(i - k - 1) * m` of `below`).
            let (above, below) = lower.split_at_mut((k + 1) * m);
            let row_k = &above[k * m..k * m + k];
            let mut i = k + 1;
            while i + 4 <= m {
                let start = (i - k - 1) * m;
                let row = |q: usize| &below[start + q * m..start + q * m + k];
                let sums = dot4(row_k, [row(0), row(1), row(2), row(3)]);
                for (q, sum) in sums.into_iter().enumerate() {
                    below[start + q * m + k] = (a(i + q, k) - sum) / pivot;
                }
                i += 4;
            }
            for i in i..m {
                let start = (i - k - 1) * m;
                below[start + k] = (a(i, k) - dot(&below[start..start + k], row_k)) / pivot;
            }
            let explained = dot(&lower[k * m..k * m + k], &z[..k]);
            z[k] = (self.sxy[order[k]] - explained) / pivot;
            gains[k] = z[k] * z[k] / self.syy;
        }
        gains
    }
}

/// The dot product of two slices, summed in order. (Row slices, not indexes, so it runs
/// without bounds checks.)
fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>()
}

/// Four dot products with `y` at once, each summed in order exactly as [`dot`] sums it (the
/// same result to the bit). They are independent, so the processor overlaps the four
/// additions instead of waiting on each before the next: the Cholesky steps behind every
/// Shapley value spend their time here.
fn dot4(y: &[f64], xs: [&[f64]; 4]) -> [f64; 4] {
    let n = y.len();
    let [x0, x1, x2, x3] = xs.map(|x| &x[..n]);
    // The neutral element `sum` starts from (-0.0), so an empty or all-zero sum matches too.
    let mut sums = [std::iter::empty::<f64>().sum::<f64>(); 4];
    for j in 0..n {
        sums[0] += x0[j] * y[j];
        sums[1] += x1[j] * y[j];
        sums[2] += x2[j] * y[j];
        sums[3] += x3[j] * y[j];
    }
    sums
}

/// How the Shapley values were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum ShapleyMethod {
    /// Over all `2^p` subsets.
    Exact {
        /// Regressions fitted (`2^p`).
        subsets: u64,
    },
    /// Averaged over random orders of the drivers (Castro, Gómez & Tejada 2009).
    Sampled {
        /// Permutations drawn.
        permutations: u64,
        /// The SplitMix64 seed, so the result can be reproduced.
        seed: u64,
    },
}

/// Options of [`key_drivers`], with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriverOptions {
    /// Exact computation up to this many drivers (default 15: 32,768 small regressions).
    pub exact_up_to: usize,
    /// Permutations beyond (default 2,000).
    pub permutations: u64,
    /// Seed of the permutations (default `0x7207e`).
    pub seed: u64,
}

impl Default for DriverOptions {
    fn default() -> Self {
        Self {
            exact_up_to: 15,
            permutations: 2_000,
            seed: 0x7207e,
        }
    }
}

/// One driver's share of the explained variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// The driver's name (theme id).
    pub name: String,
    /// Its Shapley value of R² (general dominance weight).
    pub shapley: f64,
    /// `shapley / R²(all)`: its share of what the model explains.
    pub share_of_r_squared: f64,
    /// R² of the driver alone (for comparison).
    pub r_squared_alone: f64,
    /// Standard error of `shapley` when sampled (sd of the marginal gains / √permutations).
    pub std_error: Option<f64>,
}

/// The result of a key-driver analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverAnalysis {
    /// R² of the full model.
    pub r_squared: f64,
    /// Drivers by Shapley value, largest first (ties by name).
    pub drivers: Vec<Driver>,
    /// How the values were computed (and the sample size when sampled).
    pub method: ShapleyMethod,
}

/// Key-driver analysis: the Shapley value of R² of each driver (see the module documentation),
/// exact for up to `options.exact_up_to` drivers, otherwise estimated from
/// `options.permutations` random orders. `names` has one name per driver of `stats`. `None`
/// when the score does not vary, there are fewer than two observations, or the names do not
/// match the statistics.
pub fn key_drivers(
    names: &[String],
    stats: &CrossProducts,
    options: &DriverOptions,
) -> Option<DriverAnalysis> {
    if names.len() != stats.drivers() {
        return None;
    }
    let shapley = shapley_values(stats, options)?;
    let r_squared = shapley.r_squared;
    let mut drivers: Vec<Driver> = names
        .iter()
        .enumerate()
        .map(|(j, name)| Driver {
            name: name.clone(),
            shapley: shapley.values[j],
            share_of_r_squared: if r_squared > 0.0 {
                shapley.values[j] / r_squared
            } else {
                0.0
            },
            r_squared_alone: shapley.alone[j],
            std_error: shapley.errors[j],
        })
        .collect();
    drivers.sort_by(|a, b| {
        b.shapley
            .total_cmp(&a.shapley)
            .then_with(|| a.name.cmp(&b.name))
    });
    Some(DriverAnalysis {
        r_squared,
        drivers,
        method: shapley.method,
    })
}

/// Shapley values of R², in the drivers' order.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapleyValues {
    /// One value per driver.
    pub values: Vec<f64>,
    /// Their standard errors when sampled.
    pub errors: Vec<Option<f64>>,
    /// R² of each driver alone.
    pub alone: Vec<f64>,
    /// R² of the full model.
    pub r_squared: f64,
    /// How they were computed.
    pub method: ShapleyMethod,
}

/// The Shapley values of R² of the drivers of `stats`, in their order (see [`key_drivers`]).
/// `None` when the score does not vary or there are fewer than two observations.
pub fn shapley_values(stats: &CrossProducts, options: &DriverOptions) -> Option<ShapleyValues> {
    let p = stats.drivers();
    if stats.sum_xx.len() != p * p || stats.sum_xy.len() != p {
        return None;
    }
    let centred = stats.valid_centred()?;
    let (values, errors, method) = if p <= options.exact_up_to.min(30) {
        let values = exact_shapley(&centred);
        let subsets = 1u64 << p;
        (values, vec![None; p], ShapleyMethod::Exact { subsets })
    } else {
        let (values, errors) = sampled_shapley(&centred, options.permutations.max(1), options.seed);
        let method = ShapleyMethod::Sampled {
            permutations: options.permutations.max(1),
            seed: options.seed,
        };
        (values, errors.into_iter().map(Some).collect(), method)
    };
    let all: Vec<usize> = (0..p).collect();
    let r_squared = centred
        .sequential_gains(&all)
        .iter()
        .sum::<f64>()
        .clamp(0.0, 1.0);
    let alone = (0..p).map(|j| centred.sequential_gains(&[j])[0]).collect();
    Some(ShapleyValues {
        values,
        errors,
        alone,
        r_squared,
        method,
    })
}

/// Exact Shapley values: R² of every subset (bit mask), then the weighted marginal gains.
fn exact_shapley(centred: &Centred) -> Vec<f64> {
    let p = centred.p;
    let r2: Vec<f64> = (0u32..1 << p)
        .into_par_iter()
        .map(|mask| {
            let members: Vec<usize> = (0..p).filter(|j| mask & (1 << j) != 0).collect();
            centred.sequential_gains(&members).iter().sum()
        })
        .collect();
    // weight[s] = s! (p - s - 1)! / p!, built as 1 / (p · C(p-1, s)).
    let weights: Vec<f64> = (0..p)
        .map(|s| 1.0 / (p as f64 * binomial(p - 1, s)))
        .collect();
    let mut values = vec![0.0; p];
    for (mask, r2_without) in r2.iter().enumerate() {
        let size = (mask as u32).count_ones() as usize;
        for (j, value) in values.iter_mut().enumerate() {
            if mask & (1 << j) == 0 {
                *value += weights[size] * (r2[mask | (1 << j)] - r2_without);
            }
        }
    }
    values
}

/// `C(n, k)` as a float.
fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Shapley values averaged over random orders, with their standard errors.
fn sampled_shapley(centred: &Centred, permutations: u64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let p = centred.p;
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..p).collect();
    let orders: Vec<Vec<usize>> = (0..permutations)
        .map(|_| {
            rng.shuffle(&mut order);
            order.clone()
        })
        .collect();
    // The orders are drawn in turn; their regressions run on every core; the gains are added
    // up in the orders' turn, so the sums are the same to the bit whatever the thread count.
    let gains: Vec<Vec<f64>> = orders
        .par_iter()
        .map(|order| centred.sequential_gains(order))
        .collect();
    let mut sum = vec![0.0; p];
    let mut sum_sq = vec![0.0; p];
    for (order, gains) in orders.iter().zip(gains) {
        for (position, gain) in gains.into_iter().enumerate() {
            sum[order[position]] += gain;
            sum_sq[order[position]] += gain * gain;
        }
    }
    let m = permutations as f64;
    let means: Vec<f64> = sum.iter().map(|s| s / m).collect();
    let errors = (0..p)
        .map(|j| {
            let variance = if m > 1.0 {
                ((sum_sq[j] - m * means[j] * means[j]) / (m - 1.0)).max(0.0)
            } else {
                0.0
            };
            (variance / m).sqrt()
        })
        .collect();
    (means, errors)
}

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA
/// 2014): a tiny, well-mixed generator, enough for sampling permutations reproducibly.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The step the state advances by with every draw.
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// Jumps over `draws` draws at once: the state is a counter, so this is one
    /// multiplication and leaves the generator where `draws` calls of
    /// [`SplitMix64::next_u64`] would.
    pub fn skip(&mut self, draws: u64) {
        self.state = self.state.wrapping_add(draws.wrapping_mul(Self::GAMMA));
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (Lemire's multiply-shift; the bias is below 2⁻³² for the
    /// bounds used here).
    pub fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// So that the distributions of `rand_distr` (the bootstrap's binomial counts) draw from it.
impl rand_core::RngCore for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        SplitMix64::next_u64(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dest);
    }
}

/// One line of a Pareto table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoLine {
    /// The theme's id.
    pub theme: String,
    /// Its volume or impact.
    pub value: f64,
    /// `value / Σ positive values`.
    pub share: f64,
    /// The running total of `share` down to this line.
    pub cumulative_share: f64,
    /// Among the "vital few": the lines needed to reach `cutoff` of the total (the line that
    /// crosses it included).
    pub vital_few: bool,
}

/// The default Pareto cut-off: the themes that make up 80%.
pub const PARETO_CUTOFF: f64 = 0.8;

/// A Pareto table: values sorted largest first (ties by theme id, so the result does not
/// depend on the input order), with shares of the total of the positive values and the vital
/// few marked. Values ≤ 0 (a theme that helps the score) are listed but never vital.
pub fn pareto(values: &BTreeMap<String, f64>, cutoff: f64) -> Vec<ParetoLine> {
    let mut sorted: Vec<(&String, f64)> = values.iter().map(|(k, v)| (k, *v)).collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total: f64 = sorted.iter().map(|(_, v)| v.max(0.0)).sum();
    let mut cumulative = 0.0;
    sorted
        .into_iter()
        .map(|(theme, value)| {
            let share = if total > 0.0 {
                value.max(0.0) / total
            } else {
                0.0
            };
            let vital_few = value > 0.0 && cumulative < cutoff - 1e-12;
            cumulative += share;
            ParetoLine {
                theme: theme.clone(),
                value,
                share,
                cumulative_share: cumulative,
                vital_few,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn skipping_draws_lands_where_drawing_them_does() {
        let mut drawn = SplitMix64::new(0xb007);
        for _ in 0..1_000 {
            drawn.next_u64();
        }
        let mut skipped = SplitMix64::new(0xb007);
        skipped.skip(1_000);
        assert_eq!(skipped.next_u64(), drawn.next_u64());
        // Past 2^64 draws the counter wraps as the draws themselves would.
        let mut far = SplitMix64::new(1);
        far.skip(u64::MAX);
        far.skip(1);
        assert_eq!(far.next_u64(), SplitMix64::new(1).next_u64());
    }

    /// The Cholesky steps as they were before the dot products ran four at a time: the
    /// reference the faster version must match to the bit.
    fn sequential_gains_one_at_a_time(centred: &Centred, order: &[usize]) -> Vec<f64> {
        let m = order.len();
        let mut lower = vec![0.0f64; m * m];
        let mut z = vec![0.0; m];
        let mut gains = vec![0.0; m];
        for k in 0..m {
            let a = |i: usize, j: usize| centred.sxx[order[i] * centred.p + order[j]];
            let diagonal = a(k, k);
            let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
            let row_k = &lower[k * m..k * m + k];
            let residual = diagonal - dot(row_k, row_k);
            if diagonal <= 0.0 || residual <= COLLINEAR * diagonal {
                continue;
            }
            let pivot = residual.sqrt();
            lower[k * m + k] = pivot;
            for i in k + 1..m {
                let (above, below) = lower.split_at_mut(i * m);
                below[k] = (a(i, k) - dot(&below[..k], &above[k * m..k * m + k])) / pivot;
            }
            let explained = dot(&lower[k * m..k * m + k], &z[..k]);
            z[k] = (centred.sxy[order[k]] - explained) / pivot;
            gains[k] = z[k] * z[k] / centred.syy;
        }
        gains
    }

    #[test]
    fn the_gains_match_the_one_at_a_time_steps_to_the_bit() {
        let mut rng = SplitMix64::new(0x5eed);
        for drivers in [1, 3, 4, 5, 9, 40, 83] {
            let mut cross = CrossProducts::new(drivers);
            for _ in 0..2_000 {
                let present: Vec<usize> = (0..drivers).filter(|_| rng.below(4) == 0).collect();
                cross.add_indicators(&present, rng.below(11) as f64);
            }
            let centred = cross.valid_centred().expect("answers vary");
            let mut order: Vec<usize> = (0..drivers).collect();
            for _ in 0..5 {
                rng.shuffle(&mut order);
                let fast: Vec<u64> = centred
                    .sequential_gains(&order)
                    .iter()
                    .map(|g| g.to_bits())
                    .collect();
                let reference: Vec<u64> = sequential_gains_one_at_a_time(&centred, &order)
                    .iter()
                    .map(|g| g.to_bits())
                    .collect();
                assert_eq!(fast, reference, "{drivers} drivers");
            }
        }
    }

    fn tally(promoters: u64, passives: u64, detractors: u64) -> ScoreTally {
        ScoreTally {
            items: promoters + passives + detractors,
            nps_n: promoters + passives + detractors,
            promoters,
            detractors,
            ..Default::default()
        }
    }

    #[test]
    fn nps_impact_matches_a_worked_example() {
        // All: 500 promoters, 300 passives, 200 detractors of 1,000 -> NPS 30.
        // Theme: 10 promoters, 20 passives, 70 detractors of 100.
        // Without: 490 / 280 / 130 of 900 -> NPS 100·(490 - 130)/900 = 40.
        // Impact = 30 - 40 = -10 points.
        let impact = nps_impact(&tally(500, 300, 200), &tally(10, 20, 70)).unwrap();
        assert!((impact + 10.0).abs() < 1e-9, "{impact}");
        assert_eq!(
            nps_impact(&tally(5, 0, 0), &tally(5, 0, 0)),
            None,
            "nothing left"
        );
        assert_eq!(
            nps_impact(&tally(1, 0, 0), &tally(2, 0, 0)),
            None,
            "not a part"
        );
    }

    #[test]
    fn csat_impact_matches_a_worked_example() {
        // All: 800 of 1,000 top-2; theme: 20 of 100. Without: 780 of 900 = 86.667%.
        // Impact = 80 - 86.667 = -6.667 points.
        let all = ScoreTally {
            items: 1000,
            csat_n: 1000,
            csat_top2: 800,
            ..Default::default()
        };
        let theme = ScoreTally {
            items: 100,
            csat_n: 100,
            csat_top2: 20,
            ..Default::default()
        };
        let impact = csat_impact(&all, &theme).unwrap();
        assert!((impact + 6.666_667).abs() < 1e-6, "{impact}");
    }

    proptest! {
        #[test]
        fn a_theme_mentioned_by_nobody_has_no_impact(
            promoters in 0u64..1000, passives in 0u64..1000, detractors in 0u64..1000,
            csat_n in 0u64..1000, top2_share in 0.0f64..=1.0, unscored in 0u64..50,
        ) {
            let mut all = tally(promoters, passives, detractors);
            all.csat_n = csat_n;
            all.csat_top2 = (csat_n as f64 * top2_share) as u64;
            // Mentioned only by items without any score, or by none at all.
            let nobody = ScoreTally { items: unscored.min(all.items), ..Default::default() };
            if all.nps_n > 0 {
                prop_assert_eq!(nps_impact(&all, &nobody), Some(0.0));
            }
            if all.csat_n > 0 {
                prop_assert_eq!(csat_impact(&all, &nobody), Some(0.0));
            }
        }
    }

    fn stats_of(rows: &[(&[f64], f64)]) -> CrossProducts {
        let mut stats = CrossProducts::new(rows[0].0.len());
        for (x, y) in rows {
            stats.add(x, *y);
        }
        stats
    }

    fn two_driver_example() -> CrossProducts {
        stats_of(&[
            (&[0.0, 0.0], 1.0),
            (&[1.0, 0.0], 3.0),
            (&[0.0, 1.0], 2.0),
            (&[1.0, 1.0], 4.0),
            (&[1.0, 1.0], 5.0),
            (&[0.0, 0.0], 0.0),
        ])
    }

    #[test]
    fn shapley_of_two_drivers_matches_the_hand_computation() {
        // Means: x1 = x2 = 1/2, y = 15/6 = 5/2. Centred: S11 = S22 = 3/2, S12 = 1/2,
        // S1y = 9/2, S2y = 7/2, Syy = 35/2.
        // R²(1) = (9/2)² / (3/2) / (35/2) = 81/105 = 27/35; R²(2) = (49/4)/(105/4) = 7/15.
        // R²(1,2): det = 9/4 - 1/4 = 2; SSR = (S22 S1y² - 2 S12 S1y S2y + S11 S2y²)/det
        //   = (243/8 - 126/8 + 147/8)/2 = 33/2; R² = 33/35.
        // φ1 = ½[R²(1) + R²(1,2) - R²(2)] = ½[27/35 + 33/35 - 7/15] = 131/210 = 0.623810;
        // φ2 = ½[R²(2) + R²(1,2) - R²(1)] = ½[7/15 + 6/35] = 67/210 = 0.319048; sum 33/35.
        let stats = two_driver_example();
        assert!((stats.r_squared(&[0]).unwrap() - 27.0 / 35.0).abs() < 1e-12);
        assert!((stats.r_squared(&[1]).unwrap() - 7.0 / 15.0).abs() < 1e-12);
        assert!((stats.r_squared(&[0, 1]).unwrap() - 33.0 / 35.0).abs() < 1e-12);
        let names = vec!["wait".to_owned(), "price".to_owned()];
        let analysis = key_drivers(&names, &stats, &DriverOptions::default()).unwrap();
        assert_eq!(analysis.method, ShapleyMethod::Exact { subsets: 4 });
        assert!((analysis.r_squared - 33.0 / 35.0).abs() < 1e-12);
        let wait = &analysis.drivers[0];
        assert_eq!(wait.name, "wait");
        assert!((wait.shapley - 131.0 / 210.0).abs() < 1e-12);
        assert!((analysis.drivers[1].shapley - 67.0 / 210.0).abs() < 1e-12);
        assert!((wait.share_of_r_squared - 131.0 / 198.0).abs() < 1e-12);
    }

    fn three_driver_example() -> CrossProducts {
        let mut rng = SplitMix64::new(7);
        let mut stats = CrossProducts::new(3);
        for _ in 0..400 {
            let x: Vec<f64> = (0..3).map(|_| (rng.below(3) == 0) as u8 as f64).collect();
            let noise = rng.below(5) as f64 - 2.0;
            stats.add(&x, -3.0 * x[0] - 1.0 * x[1] + 0.5 * x[0] * x[2] + noise);
        }
        stats
    }

    #[test]
    fn exact_shapley_of_three_drivers_follows_the_definition() {
        // φ1 = 1/3[R²(1)] + 1/6[R²(12) - R²(2)] + 1/6[R²(13) - R²(3)] + 1/3[R²(123) - R²(23)].
        let stats = three_driver_example();
        let r = |s: &[usize]| stats.r_squared(s).unwrap();
        let phi1 = (r(&[0]) - 0.0) / 3.0
            + (r(&[0, 1]) - r(&[1])) / 6.0
            + (r(&[0, 2]) - r(&[2])) / 6.0
            + (r(&[0, 1, 2]) - r(&[1, 2])) / 3.0;
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let analysis = key_drivers(&names, &stats, &DriverOptions::default()).unwrap();
        let a = analysis.drivers.iter().find(|d| d.name == "a").unwrap();
        assert!((a.shapley - phi1).abs() < 1e-12);
        let total: f64 = analysis.drivers.iter().map(|d| d.shapley).sum();
        assert!((total - analysis.r_squared).abs() < 1e-12, "efficiency");
        // Sampling approaches the exact values within a few standard errors.
        let options = DriverOptions {
            exact_up_to: 0,
            permutations: 3000,
            seed: 1,
        };
        let sampled = key_drivers(&names, &stats, &options).unwrap();
        assert_eq!(
            sampled.method,
            ShapleyMethod::Sampled {
                permutations: 3000,
                seed: 1
            }
        );
        for exact in &analysis.drivers {
            let estimate = sampled
                .drivers
                .iter()
                .find(|d| d.name == exact.name)
                .unwrap();
            let se = estimate.std_error.unwrap();
            assert!(
                (estimate.shapley - exact.shapley).abs() <= 4.0 * se + 1e-12,
                "{estimate:?} vs {exact:?}"
            );
        }
        assert_eq!(
            key_drivers(&names, &stats, &options),
            Some(sampled),
            "seeded: reproducible"
        );
    }

    #[test]
    fn collinear_and_constant_drivers_add_nothing() {
        // x2 = x1 exactly; x3 constant. φ1 = φ2 = R²(1)/2, φ3 = 0.
        let stats = stats_of(&[
            (&[0.0, 0.0, 1.0], 1.0),
            (&[1.0, 1.0, 1.0], 3.0),
            (&[0.0, 0.0, 1.0], 2.0),
            (&[1.0, 1.0, 1.0], 5.0),
        ]);
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let analysis = key_drivers(&names, &stats, &DriverOptions::default()).unwrap();
        let r1 = stats.r_squared(&[0]).unwrap();
        assert!((analysis.drivers[0].shapley - r1 / 2.0).abs() < 1e-9);
        assert!((analysis.drivers[1].shapley - r1 / 2.0).abs() < 1e-9);
        assert_eq!(analysis.drivers[2].shapley, 0.0);
        // A constant score has nothing to explain.
        let flat = stats_of(&[(&[0.0], 1.0), (&[1.0], 1.0)]);
        assert_eq!(
            key_drivers(&["a".to_owned()], &flat, &DriverOptions::default()),
            None
        );
    }

    #[test]
    fn pareto_marks_the_vital_few() {
        // 50 + 30 + 10 + 6 + 4 = 100: cumulative 50, 80 (reached) -> A and B are vital.
        let values: BTreeMap<String, f64> = [
            ("C", 10.0),
            ("A", 50.0),
            ("E", 4.0),
            ("B", 30.0),
            ("D", 6.0),
            ("F", -2.0),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into_iter()
        .collect();
        let lines = pareto(&values, PARETO_CUTOFF);
        let vital: Vec<&str> = lines
            .iter()
            .filter(|l| l.vital_few)
            .map(|l| l.theme.as_str())
            .collect();
        assert_eq!(vital, ["A", "B"]);
        assert!((lines[1].cumulative_share - 0.8).abs() < 1e-12);
        assert_eq!(lines.last().map(|l| l.theme.as_str()), Some("F"));
        // 79% after two lines: the third, which crosses 80%, is vital too.
        let values: BTreeMap<String, f64> = [("a", 50.0), ("b", 29.0), ("c", 21.0)]
            .map(|(k, v)| (k.to_owned(), v))
            .into_iter()
            .collect();
        assert_eq!(
            pareto(&values, PARETO_CUTOFF)
                .iter()
                .filter(|l| l.vital_few)
                .count(),
            3
        );
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs for seed 0 from the reference implementation (Vigna's splitmix64.c).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }
}
