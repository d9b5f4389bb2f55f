//! Distribution functions the tests need, implemented here (no statistics crate) to keep the
//! crate small and deterministic. Each gives its source.

/// The complementary error function `erfc(x) = 2/√π ∫ₓ^∞ e^(-t²) dt`.
///
/// For |x| < 2.5: `1 - erf(x)` with the series without cancellation of Abramowitz & Stegun
/// 7.1.6, `erf x = 2/√π e^(-x²) Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))`; for x ≥ 2.5: the continued
/// fraction A&S 7.1.14, `erfc x = e^(-x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …))))`, evaluated
/// backwards over 120 terms. Relative error below 1e-13 over the real line (checked in tests
/// against published values).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < -2.5 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        return 1.0 - erf_series(x);
    }
    let mut tail = x;
    for k in (1..=120).rev() {
        tail = x + (f64::from(k) / 2.0) / tail;
    }
    (-x * x).exp() / (std::f64::consts::PI.sqrt() * tail)
}

/// A&S 7.1.6; every term is positive, so no digits are lost to cancellation.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs() {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum
}

/// The standard normal distribution function `Φ(x) = erfc(-x/√2) / 2`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The upper tail `1 - Φ(x)`, computed directly so that it keeps its precision far out.
pub fn normal_upper_tail(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// The two-sided p-value of a standard normal statistic: `P(|Z| ≥ |z|) = erfc(|z|/√2)`.
pub fn two_sided_p(z: f64) -> f64 {
    if z.is_infinite() {
        return 0.0;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// `ln Γ(x)` for x > 0: the Lanczos approximation (g = 7, 9 coefficients, as in Numerical
/// Recipes 3rd ed. §6.1 and Boost), relative error about 1e-15.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The Poisson upper tail `P(X ≥ k)` for `X ~ Poisson(λ)`.
///
/// Sums the probability mass directly, starting from `P(X = k) = e^(-λ) λ^k / k!` (in logs)
/// and walking away from the mode, so tiny tails keep their relative precision: for k > λ the
/// terms `P(X = i)`, i ≥ k, are added; otherwise `1 - P(X ≤ k-1)` with the lower terms added
/// downwards. `P(X ≥ 0) = 1`; with λ = 0, `P(X ≥ k) = 0` for k ≥ 1.
pub fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    let kf = k as f64;
    if kf > lambda {
        let mut term = poisson_ln_pmf(k, lambda).exp();
        let mut sum = 0.0;
        let mut i = kf;
        while term > 1e-18 * sum || sum == 0.0 {
            sum += term;
            i += 1.0;
            term *= lambda / i;
            if term == 0.0 {
                break;
            }
        }
        sum.min(1.0)
    } else {
        let mut term = poisson_ln_pmf(k - 1, lambda).exp();
        let mut lower = 0.0;
        let mut i = kf - 1.0;
        loop {
            lower += term;
            if i == 0.0 || term < 1e-18 * lower {
                break;
            }
            term *= i / lambda;
            i -= 1.0;
        }
        (1.0 - lower).max(0.0)
    }
}

/// The lower tail `P(X ≤ k)` of a Poisson(λ) variable, summed directly from `P(X = k)` downwards
/// (for k < λ the terms fall away from k, so small tails keep their precision); for k ≥ λ,
/// `1 - P(X ≥ k + 1)`. With λ = 0 it is 1.
pub fn poisson_lower_tail(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    if k as f64 >= lambda {
        return 1.0 - poisson_upper_tail(k + 1, lambda);
    }
    let mut term = poisson_ln_pmf(k, lambda).exp();
    let mut sum = 0.0;
    let mut i = k as f64;
    loop {
        sum += term;
        if i == 0.0 || term < 1e-18 * sum {
            break;
        }
        term *= i / lambda;
        i -= 1.0;
    }
    sum.min(1.0)
}

fn poisson_ln_pmf(k: u64, lambda: f64) -> f64 {
    let kf = k as f64;
    -lambda + kf * lambda.ln() - ln_gamma(kf + 1.0)
}

/// The two-sided 97.5% quantile of Student's t with `df` degrees of freedom (for 95% intervals).
///
/// Exact tabulated values (to 6 decimals) for df 1..=30; beyond, the Cornish-Fisher expansion
/// of Abramowitz & Stegun 26.7.5 around z = 1.959964, whose error there is below 1e-6.
pub fn t_975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706_205, 4.302_653, 3.182_446, 2.776_445, 2.570_582, 2.446_912, 2.364_624, 2.306_004,
        2.262_157, 2.228_139, 2.200_985, 2.178_813, 2.160_369, 2.144_787, 2.131_450, 2.119_905,
        2.109_816, 2.100_922, 2.093_024, 2.085_963, 2.079_614, 2.073_873, 2.068_658, 2.063_899,
        2.059_539, 2.055_529, 2.051_831, 2.048_407, 2.045_230, 2.042_272,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[(df - 1) as usize],
        _ => cornish_fisher_t(crate::scores::Z_95, df as f64),
    }
}

fn cornish_fisher_t(z: f64, nu: f64) -> f64 {
    let z3 = z.powi(3);
    let z5 = z.powi(5);
    let z7 = z.powi(7);
    let z9 = z.powi(9);
    z + (z3 + z) / (4.0 * nu)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * nu * nu)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * nu.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * nu.powi(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, relative: f64) -> bool {
        (a - b).abs() <= relative * b.abs().max(1e-300)
    }

    #[test]
    fn erfc_matches_published_values() {
        // Values from A&S Table 7.1 / Wolfram|Alpha to 15 digits.
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 4.677_734_981_047_266e-3),
            (2.5, 4.069_520_174_449_589e-4),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_034_8e-12),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, expected) in cases {
            assert!(close(erfc(x), expected, 1e-12), "erfc({x}) = {}", erfc(x));
        }
    }

    #[test]
    fn normal_cdf_matches_the_table() {
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-12);
        // Φ(-5) = 2.866515718791933e-7: the upper tail keeps its relative precision.
        assert!(close(
            normal_upper_tail(5.0),
            2.866_515_718_791_933e-7,
            1e-10
        ));
        assert!((two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        // ln(10!) = ln 3628800 = 15.104412573075516.
        assert!((ln_gamma(11.0) - 15.104_412_573_075_516).abs() < 1e-12);
        assert!((ln_gamma(1.0)).abs() < 1e-14);
        // Γ(½) = √π.
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }

    #[test]
    fn poisson_lower_tail_matches_hand_sums() {
        // λ = 2: P(X ≤ 1) = e^-2 (1 + 2) = 0.406005849709838; λ = 10: P(X ≤ 0) = e^-10.
        assert!(close(
            poisson_lower_tail(1, 2.0),
            0.406_005_849_709_838,
            1e-12
        ));
        assert!(close(
            poisson_lower_tail(0, 10.0),
            4.539_992_976_248_485e-5,
            1e-12
        ));
        // λ = 2: P(X ≤ 4) = 1 - P(X ≥ 5) = 7 e^-2 = 0.947346982656289.
        assert!(close(
            poisson_lower_tail(4, 2.0),
            0.947_346_982_656_289,
            1e-12
        ));
        assert_eq!(poisson_lower_tail(3, 0.0), 1.0);
    }

    #[test]
    fn poisson_tail_matches_hand_sums() {
        // λ = 2: P(X ≥ 5) = 1 - e^-2 (1 + 2 + 2 + 4/3 + 2/3) = 1 - 7 e^-2 = 0.052653017343711.
        assert!(close(
            poisson_upper_tail(5, 2.0),
            0.052_653_017_343_711_2,
            1e-12
        ));
        // λ = 2: P(X ≥ 1) = 1 - e^-2 = 0.8646647167633873 (the k ≤ λ branch).
        assert!(close(
            poisson_upper_tail(1, 2.0),
            0.864_664_716_763_387_3,
            1e-12
        ));
        // λ = 1: P(X ≥ 10) = 1.1142547833872e-7 (tail sum e^-1 Σ_{i≥10} 1/i!).
        assert!(close(
            poisson_upper_tail(10, 1.0),
            1.114_254_783_387_206e-7,
            1e-9
        ));
        assert_eq!(poisson_upper_tail(0, 3.0), 1.0);
        assert_eq!(poisson_upper_tail(3, 0.0), 0.0);
        // Large λ, k at the mean: P(X ≥ 1000 | λ = 1000) = 0.5042052441802155 (scipy.stats.poisson.sf).
        assert!((poisson_upper_tail(1000, 1000.0) - 0.504_205_244_180_215_5).abs() < 1e-9);
    }

    #[test]
    fn t_quantiles_join_the_table_smoothly() {
        assert!((t_975(30) - cornish_fisher_t(crate::scores::Z_95, 30.0)).abs() < 1e-5);
        assert!((t_975(60) - 2.000_298).abs() < 1e-5);
        assert!((t_975(120) - 1.979_930).abs() < 1e-5);
        assert_eq!(t_975(1), 12.706_205);
    }
}
