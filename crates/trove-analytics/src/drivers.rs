//! Key drivers that say how sure they are: which themes move a score, in which direction, on
//! how many responses, and how precisely.
//!
//! On top of the Shapley value of R² ([`crate::impact::key_drivers`]) a driver report adds:
//! - **support**: the responses (answers of the score) that mention the theme. A theme under
//!   [`DriverParams::min_support`] (default 30) does not enter the regression: it is listed
//!   apart as "too few to tell", with its count. A theme on 3 responses can reach a large R²
//!   share by chance alone.
//! - **direction**: the sign of `mean answer of the responses that mention the theme - mean
//!   answer of the others` ("raises" or "lowers" the score). It is the difference a reader can
//!   check by hand, and it does not flip with collinear themes as a regression coefficient can.
//!   The same resamples give it a 95% interval: when that holds 0, the direction is unclear.
//! - **interval**: a percentile bootstrap (Efron & Tibshirani 1993, ch. 13): the responses are
//!   resampled with replacement [`DriverParams::resamples`] times (default 200, seeded; how
//!   often a resample draws each distinct (themes, answer) pattern is drawn directly, as the
//!   multinomial counts that drawing the responses one by one gives), every resample's
//!   Shapley values computed, and the 2.5th and 97.5th percentiles (R's quantile
//!   type 7) of each driver's values form its 95% interval. Resamples whose answers do not
//!   vary are skipped and counted. A resample's Shapley values are exact up to 10 drivers and
//!   otherwise estimated from 50 seeded permutations. Their noise adds to the interval's width
//!   (erring on the side of caution) but little: theme indicators rarely overlap, so a theme's
//!   gain hardly depends on the order. On the demo the standard error of 50 permutations is at
//!   most 6% of the interval's width, which widens it by under 0.2%.

use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::impact::{CrossProducts, DriverOptions, ShapleyMethod, SplitMix64, shapley_values};
use crate::scores::ScoreKind;

/// The responses to a score (answers on its scale: 0-10 for NPS, 1-5 for CSAT, 1-7 for CES),
/// each with the themes it mentions, counted by pattern as they are added: a pattern is a
/// theme set and an answer. A million responses come in a few thousand theme sets and tens of
/// thousands of patterns, so they take that much memory, and every figure of a report is read
/// pattern by pattern. Sets and patterns are numbered in the order they are first met, as
/// one pass over the responses one by one would number them: the report, resamples
/// included, does not depend on how the responses were grouped.
#[derive(Debug, Clone, Default)]
pub struct Responses {
    /// Each distinct theme set (indexes into the theme names, each once), numbered as first met.
    sets: Vec<Box<[usize]>>,
    set_ids: FxHashMap<Box<[usize]>, u32>,
    /// (set, answer, responses) of each pattern, numbered as first met.
    patterns: Vec<(u32, f64, u64)>,
    pattern_ids: FxHashMap<(u32, u64), u32>,
    /// Room for the themes of the response being added (no allocation per response).
    themes: Vec<usize>,
}

impl Responses {
    /// No responses yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a response: the indexes of the themes it mentions (into the theme names, each
    /// once) and its answer, a whole number (so that every sum of answers is exact, whatever
    /// the grouping).
    pub fn add(&mut self, themes: impl IntoIterator<Item = usize>, answer: f64) {
        let mut set = std::mem::take(&mut self.themes);
        set.clear();
        set.extend(themes);
        self.add_times(&set, answer, 1);
        self.themes = set;
    }

    /// Adds `times` responses of one pattern.
    fn add_times(&mut self, themes: &[usize], answer: f64, times: u64) {
        let set = match self.set_ids.get(themes) {
            Some(&set) => set,
            None => {
                let set = self.sets.len() as u32;
                self.sets.push(themes.into());
                self.set_ids.insert(themes.into(), set);
                set
            }
        };
        let patterns = &mut self.patterns;
        let pattern = *self
            .pattern_ids
            .entry((set, answer.to_bits()))
            .or_insert_with(|| {
                patterns.push((set, answer, 0));
                (patterns.len() - 1) as u32
            });
        self.patterns[pattern as usize].2 += times;
    }

    /// How many responses were added.
    pub fn len(&self) -> u64 {
        self.patterns.iter().map(|&(.., times)| times).sum()
    }

    /// True when none was added.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Each pattern as (its themes, its answer, its responses), in the order first met.
    fn each(&self) -> impl Iterator<Item = (&[usize], f64, u64)> {
        self.patterns
            .iter()
            .map(|&(set, answer, times)| (&self.sets[set as usize][..], answer, times))
    }

    /// The same responses with every theme `t` renumbered `local[t]`, or left out where that
    /// is `usize::MAX`. The patterns are visited in the order first met, so the narrowed ones
    /// are numbered as narrowing each response one by one would number them.
    fn narrowed(&self, local: &[usize]) -> Self {
        let sets: Vec<Vec<usize>> = self
            .sets
            .iter()
            .map(|set| {
                set.iter()
                    .map(|&t| local[t])
                    .filter(|&t| t != usize::MAX)
                    .collect()
            })
            .collect();
        let mut narrowed = Self::default();
        for &(set, answer, times) in &self.patterns {
            narrowed.add_times(&sets[set as usize], answer, times);
        }
        narrowed
    }
}

/// Options of a driver report, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriverParams {
    /// The score to explain; default: the one with the most answers in the window.
    pub score: Option<ScoreKind>,
    /// Responses mentioning a theme below which it is "too few to tell" (default 30).
    pub min_support: u64,
    /// Bootstrap resamples of the interval (default 200; 0: no interval).
    pub resamples: u32,
    /// Seed of the resampling (default `0xb007`).
    pub seed: u64,
    /// How the Shapley values of the whole data are computed.
    pub shapley: DriverOptions,
    /// How each resample's are: exact up to 10 drivers, else 50 permutations (same seed).
    pub resample_shapley: DriverOptions,
}

impl Default for DriverParams {
    fn default() -> Self {
        let shapley = DriverOptions::default();
        Self {
            score: None,
            min_support: 30,
            resamples: 200,
            seed: 0xb007,
            shapley,
            resample_shapley: DriverOptions {
                exact_up_to: 10,
                permutations: 50,
                seed: shapley.seed,
            },
        }
    }
}

/// Which way a theme moves the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Responses that mention it score higher on average.
    Raises,
    /// Responses that mention it score lower on average.
    Lowers,
    /// No difference (or nobody else to compare with).
    Neither,
}

/// One supported driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyDriver {
    /// The theme.
    pub name: String,
    /// Responses that mention it.
    pub support: u64,
    /// Its Shapley value of R².
    pub shapley: f64,
    /// `shapley / R²`.
    pub share_of_r_squared: f64,
    /// R² of the theme alone.
    pub r_squared_alone: f64,
    /// Standard error of `shapley` from the permutations, when sampled.
    pub std_error: Option<f64>,
    /// Lower end of the 95% bootstrap interval of `shapley`.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% bootstrap interval of `shapley`.
    pub ci_high: Option<f64>,
    /// Mean answer of the responses that mention it.
    pub mean_with: f64,
    /// Mean answer of the others (none when every response mentions it).
    pub mean_without: Option<f64>,
    /// `mean_with - mean_without`, in answer points.
    pub difference: Option<f64>,
    /// Lower end of the 95% bootstrap interval of `difference`.
    pub difference_ci_low: Option<f64>,
    /// Upper end of the 95% bootstrap interval of `difference`: when the interval holds 0 the
    /// direction is not established.
    pub difference_ci_high: Option<f64>,
    /// The sign of `difference`.
    pub direction: Direction,
}

/// A theme under the minimum support: too few to tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThinTheme {
    /// The theme.
    pub name: String,
    /// Responses that mention it.
    pub support: u64,
}

/// How the intervals were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Resamples drawn.
    pub resamples: u32,
    /// Resamples whose answers varied (the others cannot be explained and are skipped).
    pub used: u32,
    /// The SplitMix64 seed of the resampling.
    pub seed: u64,
    /// Confidence level of the intervals.
    pub level_percent: u32,
}

/// Key drivers of one score with support, direction and intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverReport {
    /// The score explained.
    pub score: ScoreKind,
    /// True when asked for (`--score`), false when chosen as the score with most answers.
    pub score_asked: bool,
    /// Responses (answers of the score) in the window.
    pub responses: u64,
    /// The minimum support used.
    pub min_support: u64,
    /// R² of the supported themes together.
    pub r_squared: f64,
    /// How the Shapley values were computed.
    pub method: ShapleyMethod,
    /// How the intervals were, when there are any.
    pub bootstrap: Option<Bootstrap>,
    /// Supported themes, by Shapley value, largest first (ties by name).
    pub drivers: Vec<KeyDriver>,
    /// Themes under the minimum support, most mentioned first.
    pub too_few: Vec<ThinTheme>,
}

impl DriverReport {
    /// The same report without its bootstrap intervals: what it is with no resamples (the
    /// Shapley values, supports and differences do not depend on them).
    pub fn without_intervals(mut self) -> Self {
        self.bootstrap = None;
        for driver in &mut self.drivers {
            driver.ci_low = None;
            driver.ci_high = None;
            driver.difference_ci_low = None;
            driver.difference_ci_high = None;
        }
        self
    }
}

/// The driver report of `responses` (answers of `score`) over themes `names`. `None` when
/// there are fewer than two responses or their answers do not vary.
pub fn driver_report(
    names: &[String],
    responses: &Responses,
    score: ScoreKind,
    params: &DriverParams,
) -> Option<DriverReport> {
    let mut support = vec![0u64; names.len()];
    let mut answer_sums = vec![0.0; names.len()];
    for (themes, answer, times) in responses.each() {
        for &theme in themes {
            support[theme] += times;
            answer_sums[theme] += answer * times as f64;
        }
    }
    let mut kept: Vec<usize> = (0..names.len())
        .filter(|&t| support[t] >= params.min_support.max(1))
        .collect();
    kept.sort_by(|a, b| names[*a].cmp(&names[*b]));
    // Renumber the kept themes 0..k; the others leave the responses.
    let mut local = vec![usize::MAX; names.len()];
    for (i, &t) in kept.iter().enumerate() {
        local[t] = i;
    }
    let narrowed = responses.narrowed(&local);
    let patterns = Patterns::of(&narrowed);
    // The whole data's values and the resamples' side by side (each spreads over the cores).
    let (whole, (intervals, bootstrap)) = rayon::join(
        || {
            let cross = patterns.cross_products(&patterns.weights, kept.len());
            shapley_values(&cross, &params.shapley)
        },
        || bootstrap_intervals(&patterns, kept.len(), params),
    );
    let whole = whole?;
    let total: f64 = responses
        .each()
        .map(|(_, answer, times)| answer * times as f64)
        .sum();
    let n = responses.len();
    let mut drivers: Vec<KeyDriver> = kept
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let mean_with = answer_sums[t] / support[t] as f64;
            let mean_without =
                (n > support[t]).then(|| (total - answer_sums[t]) / (n - support[t]) as f64);
            let difference = mean_without.map(|without| mean_with - without);
            KeyDriver {
                name: names[t].clone(),
                support: support[t],
                shapley: whole.values[i],
                share_of_r_squared: if whole.r_squared > 0.0 {
                    whole.values[i] / whole.r_squared
                } else {
                    0.0
                },
                r_squared_alone: whole.alone[i],
                std_error: whole.errors[i],
                ci_low: intervals.get(i).map(|c| c.shapley.0),
                ci_high: intervals.get(i).map(|c| c.shapley.1),
                difference_ci_low: intervals.get(i).and_then(|c| Some(c.difference?.0)),
                difference_ci_high: intervals.get(i).and_then(|c| Some(c.difference?.1)),
                mean_with,
                mean_without,
                difference,
                direction: direction(difference),
            }
        })
        .collect();
    drivers.sort_by(|a, b| {
        b.shapley
            .total_cmp(&a.shapley)
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut too_few: Vec<ThinTheme> = (0..names.len())
        .filter(|&t| local[t] == usize::MAX && support[t] > 0)
        .map(|t| ThinTheme {
            name: names[t].clone(),
            support: support[t],
        })
        .collect();
    too_few.sort_by(|a, b| b.support.cmp(&a.support).then_with(|| a.name.cmp(&b.name)));
    Some(DriverReport {
        score,
        score_asked: params.score.is_some(),
        responses: n,
        min_support: params.min_support,
        r_squared: whole.r_squared,
        method: whole.method,
        bootstrap,
        drivers,
        too_few,
    })
}

fn direction(difference: Option<f64>) -> Direction {
    match difference {
        Some(d) if d > 0.0 => Direction::Raises,
        Some(d) if d < 0.0 => Direction::Lowers,
        _ => Direction::Neither,
    }
}

/// 95% percentile intervals of one driver over the bootstrap resamples.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DriverIntervals {
    shapley: (f64, f64),
    /// Of the difference in mean answer; none when no resample had both sides.
    difference: Option<(f64, f64)>,
}

/// `mean answer with the theme - mean of the others` from the cross-products of a resample.
fn mean_difference(cross: &CrossProducts, theme: usize) -> Option<f64> {
    let (with_n, with_sum) = (cross.sum_x[theme], cross.sum_xy[theme]);
    (with_n > 0.0 && cross.n > with_n)
        .then(|| with_sum / with_n - (cross.sum_y - with_sum) / (cross.n - with_n))
}

/// One bootstrap resample's figures, per driver.
struct Resample {
    values: Vec<f64>,
    differences: Vec<Option<f64>>,
}

/// The responses as distinct (themes, answer) patterns, for resampling: a resample is a count
/// per pattern. Tens of thousands of patterns stand for a million responses, so drawing the
/// counts of the common patterns costs a draw per pattern instead of one per response; and the
/// patterns are grouped by theme set (a few thousand), so a resample's cross-products touch
/// each set's indicator pairs once, not once per answer. (The answers are whole numbers, so
/// every sum is exact whatever the grouping.)
struct Patterns<'a> {
    /// Each distinct theme set with the range of its patterns in `answers`.
    sets: Vec<(&'a [usize], std::ops::Range<usize>)>,
    /// Each pattern's answer, the patterns of a theme set side by side.
    answers: Vec<f64>,
    /// How many responses have each pattern.
    weights: Vec<u64>,
    /// The patterns of at least [`Patterns::COMMON`] responses.
    common: Vec<u32>,
    /// The responses of the other patterns, each as its pattern (a pattern's side by side).
    rare: Vec<u32>,
}

impl<'a> Patterns<'a> {
    /// Responses from which a pattern's count is drawn as one binomial rather than response
    /// by response: a binomial costs about what a few dozen one-by-one draws do.
    const COMMON: u64 = 32;

    fn of(responses: &'a Responses) -> Self {
        // The patterns set by set (stable, so each set's keep their order met).
        let mut found = responses.patterns.clone();
        found.sort_by_key(|&(set, ..)| set);
        let mut sets: Vec<(&[usize], std::ops::Range<usize>)> = Vec::new();
        let mut previous = None;
        for (position, &(set, ..)) in found.iter().enumerate() {
            match sets.last_mut() {
                Some((_, range)) if previous == Some(set) => range.end = position + 1,
                _ => sets.push((&responses.sets[set as usize], position..position + 1)),
            }
            previous = Some(set);
        }
        let weights: Vec<u64> = found.iter().map(|&(.., weight)| weight).collect();
        let (mut common, mut rare) = (Vec::new(), Vec::new());
        for (pattern, &weight) in weights.iter().enumerate() {
            if weight >= Self::COMMON {
                common.push(pattern as u32);
            } else {
                rare.extend(std::iter::repeat_n(pattern as u32, weight as usize));
            }
        }
        Self {
            sets,
            answers: found.iter().map(|&(_, answer, _)| answer).collect(),
            weights,
            common,
            rare,
        }
    }

    /// How often each pattern is drawn by one resample of all the responses (into `counts`,
    /// one per pattern; `drawn` is room for the rare responses' draws).
    ///
    /// Drawing the `n` responses one by one, with replacement, makes the counts multinomial:
    /// `n` draws over the patterns with probabilities `weight / n`. The common patterns' counts
    /// and the rare ones' total are drawn as such, one after another, each a binomial of the
    /// draws left over the weight left: `c_k ~ Binomial(n - c_1 - … - c_{k-1}, w_k / (w_k + … +
    /// w_K))`, which is the same joint distribution (the conditional method; Devroye,
    /// *Non-Uniform Random Variate Generation*, 1986, XI.1.4). Given their total, the rare
    /// patterns' draws are that many draws among their responses, made one by one.
    fn draw_counts(&self, rng: &mut SplitMix64, counts: &mut [u64], drawn: &mut Draws) {
        counts.fill(0);
        let mut draws_left: u64 = self.weights.iter().sum();
        let mut weight_left = draws_left;
        for &pattern in &self.common {
            let weight = self.weights[pattern as usize];
            let count = binomial(rng, draws_left, weight, weight_left);
            counts[pattern as usize] = count;
            draws_left -= count;
            weight_left -= weight;
        }
        // What is left goes to the rare patterns (weight_left is theirs now).
        let bound = self.rare.len();
        if bound <= Draws::IN_CACHE {
            // The same draws, counted as they come: filing them by block costs more than the
            // look-ups it saves while the rare responses' patterns fit in the core's cache.
            for _ in 0..draws_left {
                counts[self.rare[rng.below(bound)] as usize] += 1;
            }
            return;
        }
        drawn.draw(rng, draws_left as usize, bound);
        for block in &drawn.blocks {
            for &response in block {
                counts[self.rare[response as usize] as usize] += 1;
            }
        }
    }

    /// The cross-products of a resample that drew pattern `p` `counts[p]` times.
    fn cross_products(&self, counts: &[u64], drivers: usize) -> CrossProducts {
        let mut cross = CrossProducts::new(drivers);
        for (themes, patterns) in &self.sets {
            let (mut times, mut sum_y, mut sum_yy) = (0.0, 0.0, 0.0);
            for (&count, &answer) in counts[patterns.clone()]
                .iter()
                .zip(&self.answers[patterns.clone()])
            {
                let count = count as f64;
                times += count;
                sum_y += count * answer;
                sum_yy += count * answer * answer;
            }
            if times > 0.0 {
                cross.add_indicator_sums(themes, times, sum_y, sum_yy);
            }
        }
        cross
    }
}

/// Of `draws` draws among `of` responses, how many fall on `weight` of them: a binomial draw
/// (BTPE or inversion, as `rand_distr` picks), all of them when no other response is left.
fn binomial(rng: &mut SplitMix64, draws: u64, weight: u64, of: u64) -> u64 {
    if draws == 0 || weight == 0 {
        return 0;
    }
    if weight >= of {
        return draws;
    }
    Binomial::new(draws, weight as f64 / of as f64)
        .expect("0 < weight < of: p is within (0, 1), all that Binomial::new asks")
        .sample(rng)
}

/// Draws among `0..bound` filed by block of [`Draws::BLOCK`] consecutive values: looking up
/// the patterns of a block's draws then reads one small stretch of the rare responses'
/// patterns (a cache's worth), where looking them up in the order drawn would jump across
/// megabytes at every draw. The counts are the same.
struct Draws {
    blocks: Vec<Vec<u32>>,
}

impl Draws {
    /// Responses per block (their patterns take 64 KB).
    const BLOCK: usize = 1 << 14;

    /// Rare responses up to which draws are counted as they come, unfiled: their patterns take
    /// 1 MB, within the 2 MB of a core's second-level cache on the development machine (with
    /// the counts they are added to, a few hundred KB on real data).
    const IN_CACHE: usize = 1 << 18;

    fn new() -> Self {
        Self { blocks: Vec::new() }
    }

    /// Draws `draws` times from `rng`, each draw a value of `0..bound`, uniformly.
    fn draw(&mut self, rng: &mut SplitMix64, draws: usize, bound: usize) {
        self.blocks.iter_mut().for_each(Vec::clear);
        if draws == 0 {
            return;
        }
        self.blocks.resize(bound.div_ceil(Self::BLOCK), Vec::new());
        for _ in 0..draws {
            let value = rng.below(bound);
            self.blocks[value / Self::BLOCK].push(value as u32);
        }
    }
}

/// How far apart the resamples' random streams start: resample `r` draws from the seed's
/// SplitMix64 sequence at `r · RESAMPLE_STRIDE`, far more numbers than one resample uses (at
/// most a few per response), so no two resamples share one, whatever thread draws them.
const RESAMPLE_STRIDE: u64 = 1 << 40;

/// The percentile interval of sorted values.
fn percentile_interval(values: &mut [f64]) -> Option<(f64, f64)> {
    values.sort_by(f64::total_cmp);
    (!values.is_empty()).then(|| (quantile(values, 0.025), quantile(values, 0.975)))
}

/// Each driver's 95% percentile intervals over `params.resamples` bootstrap resamples of the
/// responses (empty, with no [`Bootstrap`], when no resample is asked for or none varies).
fn bootstrap_intervals(
    patterns: &Patterns<'_>,
    drivers: usize,
    params: &DriverParams,
) -> (Vec<DriverIntervals>, Option<Bootstrap>) {
    if params.resamples == 0 || patterns.weights.is_empty() {
        return (Vec::new(), None);
    }
    // The resamples run side by side on every core, each from its own place in the seed's
    // sequence (see RESAMPLE_STRIDE), so each resample and the intervals are the same
    // whatever the number of threads.
    let resamples: Vec<Option<Resample>> = (0..params.resamples)
        .into_par_iter()
        .map_init(
            || (vec![0u64; patterns.answers.len()], Draws::new()),
            |(counts, drawn), r| {
                let mut rng = SplitMix64::new(params.seed);
                rng.skip(u64::from(r) * RESAMPLE_STRIDE);
                patterns.draw_counts(&mut rng, counts, drawn);
                let cross = patterns.cross_products(counts, drivers);
                let values = shapley_values(&cross, &params.resample_shapley)?.values;
                let differences = (0..drivers).map(|t| mean_difference(&cross, t)).collect();
                Some(Resample {
                    values,
                    differences,
                })
            },
        )
        .collect();
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(params.resamples as usize); drivers];
    let mut differences: Vec<Vec<f64>> = vec![Vec::new(); drivers];
    let mut used = 0;
    // Resamples whose answers do not vary have no Shapley values and are skipped.
    for resample in resamples.into_iter().flatten() {
        used += 1;
        for (driver, value) in values.iter_mut().zip(resample.values) {
            driver.push(value);
        }
        for (driver, difference) in differences.iter_mut().zip(resample.differences) {
            driver.extend(difference);
        }
    }
    if used == 0 {
        return (Vec::new(), None);
    }
    let intervals = values
        .iter_mut()
        .zip(&mut differences)
        .map(|(v, d)| DriverIntervals {
            shapley: percentile_interval(v).unwrap_or((f64::NAN, f64::NAN)),
            difference: percentile_interval(d),
        })
        .collect();
    let bootstrap = Bootstrap {
        resamples: params.resamples,
        used,
        seed: params.seed,
        level_percent: 95,
    };
    (intervals, Some(bootstrap))
}

/// The `q` quantile of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan's type 7, R's default): `h = (m - 1) q`, `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] -
/// x[⌊h⌋])`. NaN for no values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = last as f64 * q.clamp(0.0, 1.0);
    let below = h.floor() as usize;
    let above = (below + 1).min(last);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// One response as the tests write them out.
    #[derive(Debug, Clone)]
    struct Response {
        themes: Vec<usize>,
        answer: f64,
    }

    fn response(themes: &[usize], answer: f64) -> Response {
        Response {
            themes: themes.to_vec(),
            answer,
        }
    }

    /// The responses added one by one.
    fn counted(responses: &[Response]) -> Responses {
        let mut counted = Responses::new();
        for r in responses {
            counted.add(r.themes.iter().copied(), r.answer);
        }
        counted
    }

    /// The cross-products of `responses` over `drivers` 0/1 theme indicators, one response
    /// at a time.
    fn cross_products(responses: &[Response], drivers: usize) -> CrossProducts {
        let mut cross = CrossProducts::new(drivers);
        for response in responses {
            cross.add_indicators(&response.themes, response.answer);
        }
        cross
    }

    #[test]
    fn patterns_grouped_by_theme_set_give_the_cross_products_of_their_responses() {
        let responses = [
            response(&[0, 1], 3.0),
            response(&[1], 9.0),
            response(&[0, 1], 3.0),
            response(&[0, 1], 7.0),
            response(&[], 10.0),
            response(&[1], 9.0),
        ];
        let grouped = counted(&responses);
        let patterns = Patterns::of(&grouped);
        // ({0,1}, 3), ({0,1}, 7) | ({1}, 9) | ({}, 10): four patterns in three sets.
        assert_eq!(patterns.answers, [3.0, 7.0, 9.0, 10.0]);
        assert_eq!(patterns.weights, [2, 1, 2, 1]);
        assert_eq!(patterns.sets.len(), 3);
        assert_eq!(
            patterns.cross_products(&patterns.weights, 2),
            cross_products(&responses, 2)
        );
        // A resample that drew ({0,1}, 7) twice and ({}, 10) once.
        let drawn = [
            response(&[0, 1], 7.0),
            response(&[0, 1], 7.0),
            response(&[], 10.0),
        ];
        assert_eq!(
            patterns.cross_products(&[0, 2, 0, 1], 2),
            cross_products(&drawn, 2)
        );
    }

    /// Each response once per time its pattern was drawn.
    fn expand(patterns: &Patterns<'_>, counts: &[u64]) -> Vec<Response> {
        let mut sample = Vec::new();
        for (themes, range) in &patterns.sets {
            for p in range.clone() {
                for _ in 0..counts[p] {
                    sample.push(response(themes, patterns.answers[p]));
                }
            }
        }
        sample
    }

    #[test]
    fn narrowed_responses_are_numbered_as_the_responses_narrowed_one_by_one() {
        // Theme 1 leaves and the others are renumbered: sets such as {0,1} and {0} narrow to
        // one, first met where the earlier of them was; {1} narrows to the empty set.
        let mut rng = SplitMix64::new(8);
        let responses: Vec<Response> = (0..2_000)
            .map(|_| {
                let themes: Vec<usize> = (0..4).filter(|_| rng.below(3) == 0).collect();
                response(&themes, rng.below(4) as f64)
            })
            .collect();
        let local = [1, usize::MAX, 0, 2];
        let one_by_one: Vec<Response> = responses
            .iter()
            .map(|r| Response {
                themes: r
                    .themes
                    .iter()
                    .map(|&t| local[t])
                    .filter(|&t| t != usize::MAX)
                    .collect(),
                answer: r.answer,
            })
            .collect();
        let (narrowed, expected) = (counted(&responses).narrowed(&local), counted(&one_by_one));
        assert_eq!(narrowed.sets, expected.sets);
        assert_eq!(narrowed.patterns, expected.patterns);
        assert_eq!(narrowed.len(), 2_000);
        assert!(narrowed.patterns.len() < counted(&responses).patterns.len());
    }

    #[test]
    fn resample_counts_are_multinomial_as_drawing_the_responses_one_by_one() {
        // 100 responses in five patterns of 50, 30, 15, 4 and 1: drawing 100 of them with
        // replacement gives count k a mean of 100 p_k, a variance of 100 p_k (1 - p_k), and
        // counts j and k a covariance of -100 p_j p_k; the lone response is missed with
        // probability 0.99^100 = 0.36603.
        let weights = [50, 30, 15, 4, 1];
        let responses: Vec<Response> = weights
            .iter()
            .enumerate()
            .flat_map(|(k, &w)| (0..w).map(move |_| response(&[k], k as f64)))
            .collect();
        let grouped = counted(&responses);
        let patterns = Patterns::of(&grouped);
        assert_eq!(patterns.weights, weights.map(|w| w as u64));
        let (n, resamples) = (100.0, 20_000);
        let mut counts = [0u64; 5];
        let (mut sum, mut sum_sq, mut sum_01) = ([0.0; 5], [0.0; 5], 0.0);
        let mut lone_missed = 0;
        for r in 0..resamples {
            let mut rng = SplitMix64::new(5);
            rng.skip(r * RESAMPLE_STRIDE);
            patterns.draw_counts(&mut rng, &mut counts, &mut Draws::new());
            assert_eq!(counts.iter().sum::<u64>(), 100);
            for k in 0..5 {
                sum[k] += counts[k] as f64;
                sum_sq[k] += (counts[k] * counts[k]) as f64;
            }
            sum_01 += (counts[0] * counts[1]) as f64;
            lone_missed += u32::from(counts[4] == 0);
        }
        let m = f64::from(resamples as u32);
        for (k, &w) in weights.iter().enumerate() {
            let p = f64::from(w) / n;
            let (mean, variance) = (n * p, n * p * (1.0 - p));
            let seen_mean = sum[k] / m;
            let seen_variance = sum_sq[k] / m - seen_mean * seen_mean;
            // Within 4 standard errors of the mean; the variance within 5%.
            assert!(
                (seen_mean - mean).abs() < 4.0 * (variance / m).sqrt(),
                "{k}: {seen_mean}"
            );
            assert!(
                (seen_variance / variance - 1.0).abs() < 0.05,
                "{k}: {seen_variance}"
            );
        }
        let covariance = sum_01 / m - (sum[0] / m) * (sum[1] / m);
        assert!(
            (covariance / (-100.0 * 0.5 * 0.3) - 1.0).abs() < 0.05,
            "{covariance}"
        );
        let missed = f64::from(lone_missed) / m;
        let expected = 0.99f64.powi(100);
        let error = (expected * (1.0 - expected) / m).sqrt();
        assert!((missed - expected).abs() < 4.0 * error, "{missed}");
    }

    #[test]
    fn a_resample_of_a_million_responses_draws_a_count_per_pattern() {
        // Many patterns, most of them rare: the counts still add up to the responses, and
        // the one pattern of half the responses is drawn about half the time.
        let responses: Vec<Response> = (0..1_000_000)
            .map(|i| {
                if i % 2 == 0 {
                    response(&[0], 1.0)
                } else {
                    response(&[i % 997, 1 + i % 13], (i % 11) as f64)
                }
            })
            .collect();
        let grouped = counted(&responses);
        let patterns = Patterns::of(&grouped);
        assert!(
            patterns.weights.len() > 10_000,
            "{}",
            patterns.weights.len()
        );
        let mut counts = vec![0; patterns.weights.len()];
        patterns.draw_counts(&mut SplitMix64::new(9), &mut counts, &mut Draws::new());
        assert_eq!(counts.iter().sum::<u64>(), 1_000_000);
        let half = patterns.weights.iter().position(|&w| w == 500_000).unwrap();
        // The standard deviation of Binomial(10⁶, 0.5) is 500.
        assert!(counts[half].abs_diff(500_000) < 2_500, "{}", counts[half]);
    }

    #[test]
    fn draws_filed_by_block_are_the_draws_made_one_after_another() {
        let (draws, bound) = (50_000, 40_000); // three blocks, the last one short
        let mut drawn = Draws::new();
        drawn.draw(&mut SplitMix64::new(7), draws, bound);
        assert_eq!(drawn.blocks.len(), 3);
        let mut filed: Vec<u32> = drawn.blocks.concat();
        let mut rng = SplitMix64::new(7);
        let mut expected: Vec<u32> = (0..draws).map(|_| rng.below(bound) as u32).collect();
        filed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(filed, expected);
    }

    #[test]
    fn rare_draws_filed_by_block_count_as_the_draws_counted_as_they_come() {
        // More rare responses than Draws::IN_CACHE, each its own pattern (distinct answers):
        // draw_counts files the draws by block; counting the same draws as they come must give
        // the same counts.
        let n = Draws::IN_CACHE + 1_000;
        let responses: Vec<Response> = (0..n).map(|i| response(&[i % 7], i as f64)).collect();
        let grouped = counted(&responses);
        let patterns = Patterns::of(&grouped);
        assert!(patterns.common.is_empty() && patterns.rare.len() == n);
        let mut filed = vec![0; patterns.weights.len()];
        patterns.draw_counts(&mut SplitMix64::new(3), &mut filed, &mut Draws::new());
        let mut rng = SplitMix64::new(3);
        let mut as_they_come = vec![0; patterns.weights.len()];
        for _ in 0..n {
            as_they_come[patterns.rare[rng.below(n)] as usize] += 1;
        }
        assert_eq!(filed, as_they_come);
        assert_eq!(filed.iter().sum::<u64>(), n as u64);
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        // 1..=5: h = 4 · 0.025 = 0.1 -> 1 + 0.1 · 1 = 1.1; h = 3.9 -> 4.9. Median 3.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((quantile(&v, 0.025) - 1.1).abs() < 1e-12);
        assert!((quantile(&v, 0.975) - 4.9).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&[7.0], 0.975), 7.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn thin_themes_are_set_apart_and_a_driver_has_a_sign() {
        // 40 responses: "slow" on 10 of 0, "slow" on 20 of 4, "kind" on 10 of 10; "rare" on 2.
        // slow: 30 responses, mean (10·0 + 20·4)/30 = 2.6667; the other 10 all answer 10:
        // difference -7.3333 -> lowers. kind: support 10 < 30 -> too few to tell.
        let mut responses = Vec::new();
        responses.extend((0..10).map(|_| response(&[0], 0.0)));
        responses.extend((0..20).map(|i| response(if i < 2 { &[0, 2] } else { &[0] }, 4.0)));
        responses.extend((0..10).map(|_| response(&[1], 10.0)));
        let params = DriverParams {
            resamples: 0,
            ..DriverParams::default()
        };
        let report = driver_report(
            &names(&["slow", "kind", "rare"]),
            &counted(&responses),
            ScoreKind::Nps,
            &params,
        )
        .unwrap();
        assert_eq!(report.drivers.len(), 1);
        let slow = &report.drivers[0];
        assert_eq!((slow.name.as_str(), slow.support), ("slow", 30));
        assert!((slow.mean_with - 80.0 / 30.0).abs() < 1e-12);
        assert_eq!(slow.mean_without, Some(10.0));
        assert!((slow.difference.unwrap() + 22.0 / 3.0).abs() < 1e-12);
        assert_eq!(slow.direction, Direction::Lowers);
        // One driver: its Shapley value is its R² alone, the squared correlation.
        assert!((slow.shapley - slow.r_squared_alone).abs() < 1e-12);
        assert!((report.r_squared - slow.shapley).abs() < 1e-12);
        let thin: Vec<(&str, u64)> = report
            .too_few
            .iter()
            .map(|t| (t.name.as_str(), t.support))
            .collect();
        assert_eq!(thin, [("kind", 10), ("rare", 2)]);
        assert_eq!(report.bootstrap, None);
        assert_eq!((report.score, report.score_asked), (ScoreKind::Nps, false));
    }

    #[test]
    fn a_praised_theme_raises_the_score() {
        let mut responses: Vec<Response> = (0..30).map(|_| response(&[0], 5.0)).collect();
        responses.extend((0..30).map(|i| response(&[], if i % 2 == 0 { 2.0 } else { 4.0 })));
        let params = DriverParams {
            resamples: 0,
            ..DriverParams::default()
        };
        let report = driver_report(
            &names(&["thanks"]),
            &counted(&responses),
            ScoreKind::Csat,
            &params,
        )
        .unwrap();
        // 5 against a mean of 3: +2 points.
        assert_eq!(report.drivers[0].difference, Some(2.0));
        assert_eq!(report.drivers[0].direction, Direction::Raises);
    }

    /// R² of y on one 0/1 indicator: the squared correlation, computed from plain sums.
    fn r_squared_of(sample: &[&Response]) -> Option<f64> {
        let n = sample.len() as f64;
        let x = |r: &Response| if r.themes.is_empty() { 0.0 } else { 1.0 };
        let (sx, sy) = (
            sample.iter().map(|r| x(r)).sum::<f64>(),
            sample.iter().map(|r| r.answer).sum::<f64>(),
        );
        let sxx = sample.iter().map(|r| x(r) * x(r)).sum::<f64>() - sx * sx / n;
        let syy = sample.iter().map(|r| r.answer * r.answer).sum::<f64>() - sy * sy / n;
        let sxy = sample.iter().map(|r| x(r) * r.answer).sum::<f64>() - sx * sy / n;
        (syy > 1e-12).then(|| {
            if sxx > 0.0 {
                sxy * sxy / (sxx * syy)
            } else {
                0.0
            }
        })
    }

    #[test]
    fn the_bootstrap_interval_is_the_percentiles_of_the_resampled_values() {
        // 8 responses, one theme: mentioned by 4 (answers 1, 2, 2, 6), not by 4 (5, 6, 7, 3).
        let answers = [(true, 1.0), (true, 2.0), (true, 2.0), (true, 6.0)]
            .into_iter()
            .chain([(false, 5.0), (false, 6.0), (false, 7.0), (false, 3.0)]);
        let responses: Vec<Response> = answers
            .map(|(mentions, a)| response(if mentions { &[0] } else { &[] }, a))
            .collect();
        let params = DriverParams {
            min_support: 4,
            resamples: 50,
            seed: 11,
            ..DriverParams::default()
        };
        let report = driver_report(
            &names(&["wait"]),
            &counted(&responses),
            ScoreKind::Ces,
            &params,
        )
        .unwrap();
        // The whole sample: means 2.75 and 5.25; R² = sxy²/(sxx syy) with sxx = 2,
        // sxy = 11 - 4 · 32/8 = -5, syy = 164 - 32²/8 = 36 -> 25 / 72 = 0.347222.
        let wait = &report.drivers[0];
        assert!((wait.shapley - 25.0 / 72.0).abs() < 1e-12, "{wait:?}");
        // Redo each resample's statistics by hand from the responses it drew.
        let grouped = counted(&responses);
        let patterns = Patterns::of(&grouped);
        let mut counts = vec![0; patterns.weights.len()];
        let (mut values, mut differences) = (Vec::new(), Vec::new());
        for r in 0..50 {
            let mut rng = SplitMix64::new(11);
            rng.skip(r * RESAMPLE_STRIDE);
            patterns.draw_counts(&mut rng, &mut counts, &mut Draws::new());
            let drawn = expand(&patterns, &counts);
            let sample: Vec<&Response> = drawn.iter().collect();
            let Some(r_squared) = r_squared_of(&sample) else {
                continue;
            };
            values.push(r_squared);
            let (with, without): (Vec<&&Response>, Vec<&&Response>) =
                sample.iter().partition(|r| !r.themes.is_empty());
            let mean = |side: &[&&Response]| {
                side.iter().map(|r| r.answer).sum::<f64>() / side.len() as f64
            };
            if !with.is_empty() && !without.is_empty() {
                differences.push(mean(&with) - mean(&without));
            }
        }
        values.sort_by(f64::total_cmp);
        differences.sort_by(f64::total_cmp);
        let bootstrap = report.bootstrap.unwrap();
        assert_eq!(
            (bootstrap.resamples, bootstrap.used, bootstrap.seed),
            (50, values.len() as u32, 11)
        );
        assert!((wait.ci_low.unwrap() - quantile(&values, 0.025)).abs() < 1e-9);
        assert!((wait.ci_high.unwrap() - quantile(&values, 0.975)).abs() < 1e-9);
        assert!(wait.ci_low.unwrap() < wait.shapley && wait.shapley < wait.ci_high.unwrap());
        // The difference in means, 2.75 - 5.25 = -2.5, and its interval the same way.
        assert_eq!(wait.difference, Some(-2.5));
        assert!((wait.difference_ci_low.unwrap() - quantile(&differences, 0.025)).abs() < 1e-9);
        assert!((wait.difference_ci_high.unwrap() - quantile(&differences, 0.975)).abs() < 1e-9);
        // Seeded: the same report again; another seed moves the interval.
        let again = driver_report(
            &names(&["wait"]),
            &counted(&responses),
            ScoreKind::Ces,
            &params,
        );
        assert_eq!(again.as_ref(), Some(&report));
        let other = DriverParams { seed: 12, ..params };
        let moved = driver_report(
            &names(&["wait"]),
            &counted(&responses),
            ScoreKind::Ces,
            &other,
        )
        .unwrap();
        assert_ne!(moved.drivers[0].ci_low, wait.ci_low);
    }

    #[test]
    fn a_strong_driver_has_an_interval_clear_of_zero_and_noise_does_not() {
        // 600 responses: "broken" (every 4th) answers 2 lower; "blue" (every 5th) is noise.
        let mut rng = SplitMix64::new(3);
        let responses: Vec<Response> = (0..600)
            .map(|i| {
                let mut themes = Vec::new();
                if i % 4 == 0 {
                    themes.push(0);
                }
                if i % 5 == 0 {
                    themes.push(1);
                }
                let noise = rng.below(5) as f64 - 2.0;
                let answer = 7.0 + noise - if i % 4 == 0 { 2.0 } else { 0.0 };
                response(&themes, answer)
            })
            .collect();
        let report = driver_report(
            &names(&["broken", "blue"]),
            &counted(&responses),
            ScoreKind::Nps,
            &DriverParams::default(),
        )
        .unwrap();
        let broken = &report.drivers[0];
        assert_eq!(broken.name, "broken");
        assert_eq!(broken.direction, Direction::Lowers);
        assert!(broken.ci_low.unwrap() > 0.1, "{broken:?}");
        assert!(broken.difference_ci_high.unwrap() < -1.5, "{broken:?}");
        let blue = &report.drivers[1];
        assert!(blue.ci_low.unwrap() < 0.005, "{blue:?}");
        let (low, high) = (
            blue.difference_ci_low.unwrap(),
            blue.difference_ci_high.unwrap(),
        );
        assert!(
            low < 0.0 && 0.0 < high,
            "noise has no established direction: {blue:?}"
        );
        assert_eq!(report.bootstrap.map(|b| b.used), Some(200));
    }

    #[test]
    fn the_intervals_are_the_same_on_one_thread_or_many() {
        // 12 themes (over 10: each resample's values are sampled from permutations) on 900
        // responses, some answers not varying within a pattern.
        let mut rng = SplitMix64::new(5);
        let responses: Vec<Response> = (0..900)
            .map(|_| {
                let themes: Vec<usize> = (0..12).filter(|_| rng.below(4) == 0).collect();
                let answer = (rng.below(11) as f64 - themes.len() as f64).max(0.0);
                response(&themes, answer)
            })
            .collect();
        let names: Vec<String> = (0..12).map(|t| format!("t{t:02}")).collect();
        let params = DriverParams {
            resamples: 40,
            ..DriverParams::default()
        };
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| driver_report(&names, &counted(&responses), ScoreKind::Nps, &params))
                .unwrap()
        };
        let one = on(1);
        assert_eq!(one.bootstrap.map(|b| b.used), Some(40));
        assert!(one.drivers.iter().all(|d| d.ci_low.is_some()));
        // Equal to the bit: every resample takes its own stretch of the one random sequence.
        assert_eq!(on(3), one);
        assert_eq!(on(8), one);
    }
}
