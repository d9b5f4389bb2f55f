//! A tiny, frozen pseudo-random generator: xoshiro256** seeded through SplitMix64.
//!
//! Written here rather than taken from a crate so that the demo data for a given seed never
//! changes with a dependency upgrade. Not for cryptography.

/// One SplitMix64 step; used to expand a seed into the generator's state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** with sampling helpers.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for one independent stream of a seed (customers, feedback...).
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut sm = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (0 when `n` is 0); multiply-shift, bias below 2^-64 per draw.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a collection of `len` elements (0 when empty).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniformly chosen element of a static list of strings ("" when empty).
    pub(crate) fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items.get(self.index(items.len())).copied().unwrap_or("")
    }

    /// An index drawn with probability proportional to `weights` (non-negative).
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    /// An index drawn from a cumulative weight table (ascending, last = total).
    pub(crate) fn cumulative(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let target = self.f64() * total;
        cumulative
            .partition_point(|c| *c <= target)
            .min(cumulative.len().saturating_sub(1))
    }

    /// Standard normal (Box-Muller; one value per call so the stream stays simple).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64(); // (0, 1], so the log is finite
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and log-scale spread.
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Poisson: Knuth's product method for small `lambda`, a rounded normal for large.
    pub(crate) fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            return (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut product = self.f64();
        while product > limit {
            k += 1;
            product *= self.f64();
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_stream_give_the_same_numbers_and_others_differ() {
        let draw = |seed, stream| {
            let mut rng = Rng::new(seed, stream);
            (0..8).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(42, 1), draw(42, 1));
        assert_ne!(draw(42, 1), draw(43, 1));
        assert_ne!(draw(42, 1), draw(42, 2));
    }

    #[test]
    fn the_first_outputs_are_frozen_so_demo_data_never_drifts() {
        assert_eq!(
            splitmix64(&mut 0),
            0xE220_A839_7B1D_CDAF,
            "the published SplitMix64 reference"
        );
        let mut rng = Rng::new(42, 0);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(first, FROZEN);
    }

    const FROZEN: [u64; 3] = [
        1_546_998_764_402_558_742,
        6_990_951_692_964_543_102,
        12_544_586_762_248_559_009,
    ];

    #[test]
    fn samplers_have_the_right_means() {
        let mut rng = Rng::new(7, 0);
        let n = 20_000;
        let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean((0..n).map(|_| rng.f64()).collect()) - 0.5).abs() < 0.01);
        assert!(mean((0..n).map(|_| rng.normal()).collect()).abs() < 0.03);
        assert!((mean((0..n).map(|_| rng.poisson(3.0) as f64).collect()) - 3.0).abs() < 0.05);
        assert!((mean((0..n).map(|_| rng.poisson(80.0) as f64).collect()) - 80.0).abs() < 0.3);
        let picks = (0..n).filter(|_| rng.weighted(&[1.0, 3.0]) == 1).count() as f64 / n as f64;
        assert!((picks - 0.75).abs() < 0.015, "{picks}");
        let cumulative =
            (0..n).filter(|_| rng.cumulative(&[1.0, 4.0]) == 1).count() as f64 / n as f64;
        assert!((cumulative - 0.75).abs() < 0.015, "{cumulative}");
        assert!(
            (0..1000)
                .map(|_| rng.range(3, 5))
                .all(|v| (3..=5).contains(&v))
        );
    }
}
