//! Customer scores by their textbook definitions, each with a 95% confidence interval.

use serde::Serialize;
use trove_domain::ScoreTally;

/// The two-sided 95% normal quantile.
const Z_95: f64 = 1.959_963_984_540_054;

/// A score computed from `n` answers, with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
