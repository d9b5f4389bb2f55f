//! The chronic score: which themes keep coming back, broadly, and what they cost.
//!
//! Over a window of periods (default: the last 6 months or 12 weeks, chosen by the caller):
//! - **persistence**: the share of periods in which the theme's count reached its floor
//!   `max(3, ⌈0.5% × period volume⌉)` ([`period_floor`]), so a theme must be more than a stray
//!   mention in a busy period to count as present;
//! - **spread**: distinct customers, and the normalised Shannon entropy
//!   `H = -Σ pᵢ ln pᵢ / ln K` (Shannon 1948; Pielou's evenness, 1966) of the theme's items over
//!   the K channels, business units and touchpoints *of the data*: 0 when all in one, 1 when
//!   spread evenly over all K;
//! - **impact**: NPS / CSAT impact and revenue at risk, computed elsewhere
//!   ([`crate::impact`], [`crate::revenue`]) and carried here for ranking and explanation.
//!
//! A theme is chronic when persistence, customers and spread all pass [`ChronicParams`] and it
//! does not raise the score (a positive NPS or CSAT impact makes it **praise** instead: customers
//! keep mentioning it because they like it); a theme that is not chronic but had a spike alert, or whose largest period holds most of its
//! mentions, is a **spike**. Chronic themes are ranked by impact (see [`rank_themes`]).

use std::cmp::Ordering;

use serde::Serialize;

use crate::revenue::{RevenueAtRisk, compact_money};
use crate::trend::{PeriodKind, PeriodTotal, period_label};

/// Thresholds of the chronic score, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChronicParams {
    /// Least persistence for chronic (default 0.75: present in 9 of 12 months).
    pub min_persistence: f64,
    /// The floor's fixed part: a theme is present in a period with at least this many items
    /// (default 3) …
    pub floor_count: u64,
    /// … and at least this share of the period's items (default 0.005 = 0.5%).
    pub floor_share: f64,
    /// Least distinct customers for chronic (default 10).
    pub min_customers: u64,
    /// Least normalised entropy over channels or business units or touchpoints (the largest
    /// counts) for chronic (default 0.3, e.g. two channels at 94% / 6% of four, or an even
    /// split over two of ten). Dimensions with fewer than two categories in the data are
    /// ignored; with none left, spread does not block.
    pub min_entropy: f64,
    /// A non-chronic theme whose largest period holds at least this share of its window count
    /// is a burst, labelled spike (default 0.5).
    pub burst_share: f64,
}

impl Default for ChronicParams {
    fn default() -> Self {
        Self {
            min_persistence: 0.75,
            floor_count: 3,
            floor_share: 0.005,
            min_customers: 10,
            min_entropy: 0.3,
            burst_share: 0.5,
        }
    }
}

/// One theme over the window: what the store aggregates, plus the impact figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeWindow {
    /// The theme's id.
    pub theme: String,
    /// Items with the theme per period, aligned with the window's [`PeriodTotal`]s.
    pub counts: Vec<u64>,
    /// Distinct customers who raised it in the window (or items, when customers are unknown).
    pub customers: u64,
    /// Its items per channel, one entry per channel in the data (zeros included).
    pub channels: Vec<u64>,
    /// Its items per business unit, one entry per business unit in the data.
    pub business_units: Vec<u64>,
    /// Its items per touchpoint, one entry per touchpoint in the data.
    pub touchpoints: Vec<u64>,
    /// NPS impact in points ([`crate::impact::nps_impact`]).
    pub nps_impact: Option<f64>,
    /// CSAT impact in points ([`crate::impact::csat_impact`]).
    pub csat_impact: Option<f64>,
    /// Revenue at risk per currency ([`crate::revenue::revenue_at_risk`]).
    pub revenue_at_risk: RevenueAtRisk,
    /// Spike and shift alerts of the theme in the window ([`crate::spikes`]).
    pub spikes: usize,
    /// Mean sentiment (-1..1) of its items that have one.
    pub sentiment: Option<f64>,
}

/// What a theme is over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeLabel {
    /// Persistent and widespread.
    Chronic,
    /// A burst: alerted, or concentrated in one period.
    Spike,
    /// Persistent and widespread, but raising the score: something customers praise, not an
    /// issue to fix.
    Praise,
    /// None of these.
    Occasional,
}

/// A theme's chronic score and its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChronicScore {
    /// The theme's id.
    pub theme: String,
    /// Whether it is chronic.
    pub chronic: bool,
    /// Chronic, spike or occasional.
    pub label: ThemeLabel,
    /// Rank among the chronic themes by impact (1 = first); none for the others.
    pub rank: Option<usize>,
    /// Share of the window's periods in which the theme reached its floor.
    pub persistence: f64,
    /// Periods in which it reached its floor.
    pub periods_present: usize,
    /// Periods in the window.
    pub periods: usize,
    /// Items with the theme in the window.
    pub volume: u64,
    /// Distinct customers.
    pub customers: u64,
    /// Channels with at least one of its items.
    pub channels: usize,
    /// Business units with at least one of its items.
    pub business_units: usize,
    /// Touchpoints with at least one of its items.
    pub touchpoints: usize,
    /// Normalised entropy over channels (none with fewer than two channels in the data).
    pub channel_entropy: Option<f64>,
    /// Normalised entropy over business units.
    pub business_unit_entropy: Option<f64>,
    /// Normalised entropy over touchpoints.
    pub touchpoint_entropy: Option<f64>,
    /// NPS impact in points.
    pub nps_impact: Option<f64>,
    /// CSAT impact in points.
    pub csat_impact: Option<f64>,
    /// Revenue at risk per currency.
    pub revenue_at_risk: RevenueAtRisk,
    /// Spike and shift alerts in the window.
    pub spikes: usize,
    /// Mean sentiment (-1..1) of its items that have one: how its customers sound.
    pub sentiment: Option<f64>,
    /// One line that explains the score.
    pub explanation: String,
}

/// The least count that makes a theme present in a period of `total` items:
/// `max(floor_count, ⌈floor_share × total⌉)`.
pub fn period_floor(total: u64, params: &ChronicParams) -> u64 {
    let proportional = (params.floor_share * total as f64).ceil() as u64;
    params.floor_count.max(proportional)
}

/// Periods in which `counts` reached the floor, and that as a share of the periods.
/// `counts` and `totals` are aligned; a shorter `counts` is padded with zeros.
pub fn persistence(counts: &[u64], totals: &[PeriodTotal], params: &ChronicParams) -> (usize, f64) {
    let present = totals
        .iter()
        .enumerate()
        .filter(|(i, total)| {
            counts.get(*i).copied().unwrap_or(0) >= period_floor(total.items, params)
        })
        .count();
    let share = if totals.is_empty() {
        0.0
    } else {
        present as f64 / totals.len() as f64
    };
    (present, share)
}

/// The normalised Shannon entropy `-Σ pᵢ ln pᵢ / ln K` of counts over K categories, in 0..=1.
/// `None` with fewer than two categories (nothing to spread over) or no items.
pub fn normalized_entropy(counts: &[u64]) -> Option<f64> {
    let total: u64 = counts.iter().sum();
    if counts.len() < 2 || total == 0 {
        return None;
    }
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.ln()
        })
        .sum();
    Some((entropy / (counts.len() as f64).ln()).clamp(0.0, 1.0))
}

/// Scores one theme over the window (`totals`: the window's periods, dense and in order).
pub fn score_theme(
    window: &ThemeWindow,
    totals: &[PeriodTotal],
    kind: PeriodKind,
    params: &ChronicParams,
) -> ChronicScore {
    let (periods_present, persistence) = persistence(&window.counts, totals, params);
    let volume: u64 = window.counts.iter().sum();
    let entropies = [
        normalized_entropy(&window.channels),
        normalized_entropy(&window.business_units),
        normalized_entropy(&window.touchpoints),
    ];
    let spread_ok = entropies.iter().all(Option::is_none)
        || entropies.iter().flatten().any(|h| *h >= params.min_entropy);
    let persistent_and_wide = persistence >= params.min_persistence
        && window.customers >= params.min_customers
        && spread_ok;
    // Without scores nothing tells praise from complaint: the theme counts as a problem.
    let raises_score = window
        .nps_impact
        .or(window.csat_impact)
        .is_some_and(|impact| impact > 0.0);
    let chronic = persistent_and_wide && !raises_score;
    let label = if chronic {
        ThemeLabel::Chronic
    } else if persistent_and_wide {
        ThemeLabel::Praise
    } else if window.spikes > 0 || is_burst(&window.counts, volume, params) {
        ThemeLabel::Spike
    } else {
        ThemeLabel::Occasional
    };
    let mut score = ChronicScore {
        theme: window.theme.clone(),
        chronic,
        label,
        rank: None,
        persistence,
        periods_present,
        periods: totals.len(),
        volume,
        customers: window.customers,
        channels: present_categories(&window.channels),
        business_units: present_categories(&window.business_units),
        touchpoints: present_categories(&window.touchpoints),
        channel_entropy: entropies[0],
        business_unit_entropy: entropies[1],
        touchpoint_entropy: entropies[2],
        nps_impact: window.nps_impact,
        csat_impact: window.csat_impact,
        revenue_at_risk: window.revenue_at_risk.clone(),
        spikes: window.spikes,
        sentiment: window.sentiment,
        explanation: String::new(),
    };
    score.explanation = explain(&score, window, totals, kind);
    score
}

/// A burst: the largest period holds at least `burst_share` of a volume of at least the floor.
fn is_burst(counts: &[u64], volume: u64, params: &ChronicParams) -> bool {
    let largest = counts.iter().copied().max().unwrap_or(0);
    volume >= params.floor_count && largest as f64 >= params.burst_share * volume as f64
}

fn present_categories(counts: &[u64]) -> usize {
    counts.iter().filter(|&&c| c > 0).count()
}

/// Scores every theme and ranks the chronic ones by impact.
///
/// Order: chronic themes first, then spikes, then the rest; within each, by points of score
/// lost (`-nps_impact`, or `-csat_impact` without NPS; none counts as 0), then customers, then
/// volume, all descending, then theme id ascending. The id breaks every tie, so the ranking
/// never depends on the input order. `rank` numbers the chronic themes 1, 2, ….
pub fn rank_themes(
    windows: &[ThemeWindow],
    totals: &[PeriodTotal],
    kind: PeriodKind,
    params: &ChronicParams,
) -> Vec<ChronicScore> {
    let mut scores: Vec<ChronicScore> = windows
        .iter()
        .map(|w| score_theme(w, totals, kind, params))
        .collect();
    scores.sort_by(ranking_order);
    for (i, score) in scores.iter_mut().filter(|s| s.chronic).enumerate() {
        score.rank = Some(i + 1);
    }
    scores
}

/// Points of score lost: the sort key of impact.
pub fn score_loss(score: &ChronicScore) -> f64 {
    -score.nps_impact.or(score.csat_impact).unwrap_or(0.0)
}

fn label_order(label: ThemeLabel) -> u8 {
    match label {
        ThemeLabel::Chronic => 0,
        ThemeLabel::Spike => 1,
        ThemeLabel::Occasional => 2,
        ThemeLabel::Praise => 3,
    }
}

fn ranking_order(a: &ChronicScore, b: &ChronicScore) -> Ordering {
    label_order(a.label)
        .cmp(&label_order(b.label))
        .then_with(|| score_loss(b).total_cmp(&score_loss(a)))
        .then_with(|| b.customers.cmp(&a.customers))
        .then_with(|| b.volume.cmp(&a.volume))
        .then_with(|| a.theme.cmp(&b.theme))
}

/// "present in 11 of 12 months, 1,240 customers, 5 channels, 4 business units; NPS impact
/// -4.1; $2.3M revenue at risk", with the parts the data has; spikes say where the burst was.
fn explain(
    score: &ChronicScore,
    window: &ThemeWindow,
    totals: &[PeriodTotal],
    kind: PeriodKind,
) -> String {
    let mut spread = vec![
        format!(
            "present in {} of {} {}",
            score.periods_present,
            score.periods,
            kind.plural()
        ),
        counted(score.customers, "customer"),
    ];
    if window.channels.len() > 1 {
        spread.push(counted(score.channels as u64, "channel"));
    }
    if window.business_units.len() > 1 {
        spread.push(counted(score.business_units as u64, "business unit"));
    }
    if window.touchpoints.len() > 1 {
        spread.push(counted(score.touchpoints as u64, "touchpoint"));
    }
    let mut parts = vec![spread.join(", ")];
    if score.label == ThemeLabel::Spike {
        parts.push(burst_text(score, window, totals, kind));
    }
    if let Some(impact) = score.nps_impact {
        parts.push(format!("NPS impact {impact:.1}"));
    } else if let Some(impact) = score.csat_impact {
        parts.push(format!("CSAT impact {impact:.1}"));
    }
    if !score.revenue_at_risk.is_empty() {
        let amounts: Vec<String> = score.revenue_at_risk.values().map(compact_money).collect();
        parts.push(format!("{} revenue at risk", amounts.join(" + ")));
    }
    parts.join("; ")
}

fn burst_text(
    score: &ChronicScore,
    window: &ThemeWindow,
    totals: &[PeriodTotal],
    kind: PeriodKind,
) -> String {
    let peak = window
        .counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(&a.0)));
    match (peak, score.spikes) {
        (Some((i, &count)), spikes) if i < totals.len() => format!(
            "spike: {} of {} mentions in {}{}",
            thousands(count),
            thousands(score.volume),
            period_label(totals[i].period, kind),
            if spikes > 0 {
                format!(", {spikes} alert(s)")
            } else {
                String::new()
            }
        ),
        (_, spikes) => format!("spike: {spikes} alert(s)"),
    }
}

/// "1 channel", "1,240 customers".
fn counted(n: u64, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", thousands(n))
}

/// `1240` → `"1,240"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use trove_domain::{Currency, Money};

    fn months(n: usize, items: u64) -> Vec<PeriodTotal> {
        (0..n)
            .map(|i| PeriodTotal {
                period: 24_311 + i as i64,
                items,
            })
            .collect()
    }

    fn window(theme: &str, counts: &[u64], customers: u64) -> ThemeWindow {
        ThemeWindow {
            theme: theme.to_owned(),
            counts: counts.to_vec(),
            customers,
            channels: vec![40, 30, 20, 10, 0],
            business_units: vec![25, 25, 25, 25],
            touchpoints: Vec::new(),
            nps_impact: Some(-4.1),
            csat_impact: None,
            revenue_at_risk: RevenueAtRisk::new(),
            spikes: 0,
            sentiment: None,
        }
    }

    #[test]
    fn floor_and_persistence_match_a_worked_example() {
        // 2,000 items: floor max(3, ⌈10⌉) = 10; 200 items: max(3, ⌈1⌉) = 3.
        let params = ChronicParams::default();
        assert_eq!(period_floor(2000, &params), 10);
        assert_eq!(period_floor(200, &params), 3);
        assert_eq!(period_floor(0, &params), 3);
        // Counts 12, 9, 10, 0 against a floor of 10: present in 2 of 4 -> 0.5.
        assert_eq!(
            persistence(&[12, 9, 10, 0], &months(4, 2000), &params),
            (2, 0.5)
        );
    }

    #[test]
    fn entropy_matches_a_worked_example() {
        // Even over 2 of 4: H = ln 2 / ln 4 = 0.5; even over 4: 1; all in one: 0.
        assert!((normalized_entropy(&[50, 50, 0, 0]).unwrap() - 0.5).abs() < 1e-12);
        assert!((normalized_entropy(&[7, 7, 7, 7]).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(normalized_entropy(&[9, 0, 0]), Some(0.0));
        // 40/30/20/10/0 of 5: H = -(.4 ln .4 + .3 ln .3 + .2 ln .2 + .1 ln .1) = 1.279854;
        // / ln 5 (1.609438) = 0.795218.
        assert!((normalized_entropy(&[40, 30, 20, 10, 0]).unwrap() - 0.795_218).abs() < 1e-6);
        assert_eq!(normalized_entropy(&[100]), None);
        assert_eq!(normalized_entropy(&[0, 0]), None);
    }

    #[test]
    fn a_persistent_widespread_theme_is_chronic_and_explains_itself() {
        let totals = months(12, 1000);
        let mut theme = window(
            "claims-delay",
            &[20, 25, 30, 22, 0, 28, 24, 26, 21, 23, 27, 25],
            1240,
        );
        let usd = Currency::parse("USD").unwrap();
        theme
            .revenue_at_risk
            .insert(usd, Money::from_minor(230_000_000, usd));
        let score = score_theme(
            &theme,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
        );
        assert!(score.chronic);
        assert_eq!((score.periods_present, score.periods), (11, 12));
        assert_eq!(
            score.explanation,
            "present in 11 of 12 months, 1,240 customers, 4 channels, 4 business units; \
             NPS impact -4.1; $2.3M revenue at risk"
        );
    }

    #[test]
    fn a_one_off_burst_is_a_spike_not_chronic() {
        // 300 mentions in one month, a few elsewhere, from one channel and one business unit.
        let totals = months(12, 1000);
        let mut burst = window("outage-march", &[0, 0, 1, 300, 2, 0, 0, 0, 0, 0, 0, 0], 280);
        burst.channels = vec![303, 0, 0, 0, 0];
        burst.business_units = vec![0, 303, 0, 0];
        let score = score_theme(
            &burst,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
        );
        assert!(!score.chronic);
        assert_eq!(score.label, ThemeLabel::Spike);
        assert!(
            score
                .explanation
                .contains("present in 1 of 12 months, 280 customers, 1 channel, 1 business unit; spike: 300 of 303 mentions in 2026-03"),
            "{}",
            score.explanation
        );
        // Persistent but in one channel and one unit only: not chronic either.
        let mut narrow = window("narrow", &[20; 12], 500);
        narrow.channels = vec![240, 0, 0, 0, 0];
        narrow.business_units = vec![0, 240, 0, 0];
        assert!(
            !score_theme(
                &narrow,
                &totals,
                PeriodKind::Month,
                &ChronicParams::default()
            )
            .chronic
        );
        // Persistent, spread, but raised by three customers: not chronic.
        let few = window("few", &[20; 12], 3);
        assert!(!score_theme(&few, &totals, PeriodKind::Month, &ChronicParams::default()).chronic);
    }

    #[test]
    fn chronic_themes_are_ranked_by_impact() {
        let totals = months(6, 1000);
        let mut a = window("a", &[10; 6], 100);
        a.nps_impact = Some(-1.0);
        let mut b = window("b", &[10; 6], 50);
        b.nps_impact = Some(-3.0);
        let c = window("c", &[0, 0, 0, 50, 0, 0], 40);
        let ranked = rank_themes(
            &[c, a, b],
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
        );
        let order: Vec<(&str, Option<usize>)> =
            ranked.iter().map(|s| (s.theme.as_str(), s.rank)).collect();
        assert_eq!(order, [("b", Some(1)), ("a", Some(2)), ("c", None)]);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1240), "1,240");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    fn arbitrary_window() -> impl Strategy<Value = ThemeWindow> {
        (
            0u8..6,
            proptest::collection::vec(0u64..40, 6),
            0u64..50,
            proptest::option::of(-5i32..5),
            0usize..2,
        )
            .prop_map(|(id, counts, customers, impact, spikes)| ThemeWindow {
                theme: format!("t{id}"),
                counts,
                customers,
                channels: vec![customers, customers / 2, 0],
                business_units: vec![1, customers],
                touchpoints: Vec::new(),
                nps_impact: impact.map(f64::from),
                csat_impact: None,
                revenue_at_risk: RevenueAtRisk::new(),
                spikes,
                sentiment: None,
            })
    }

    proptest! {
        #[test]
        fn ranking_does_not_depend_on_input_order(
            (windows, shuffled) in proptest::collection::vec(arbitrary_window(), 0..8)
                .prop_flat_map(|w| (Just(w.clone()), Just(w).prop_shuffle()))
        ) {
            let totals = months(6, 500);
            let params = ChronicParams::default();
            prop_assert_eq!(
                rank_themes(&windows, &totals, PeriodKind::Month, &params),
                rank_themes(&shuffled, &totals, PeriodKind::Month, &params)
            );
        }
    }
}

#[cfg(test)]
mod praise_tests {
    use super::*;

    #[test]
    fn a_persistent_theme_that_raises_the_score_is_praise_not_a_chronic_issue() {
        let totals: Vec<PeriodTotal> = (0..6)
            .map(|period| PeriodTotal {
                period,
                items: 1_000,
            })
            .collect();
        let window = |theme: &str, impact: f64| ThemeWindow {
            theme: theme.into(),
            counts: vec![50; 6],
            customers: 200,
            channels: vec![100, 100, 100],
            business_units: vec![150, 150],
            touchpoints: vec![],
            nps_impact: Some(impact),
            csat_impact: None,
            revenue_at_risk: RevenueAtRisk::new(),
            spikes: 0,
            sentiment: None,
        };
        let ranked = rank_themes(
            &[window("helpful-agent", 4.9), window("surprise-fee", -3.2)],
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
        );
        assert_eq!(ranked[0].theme, "surprise-fee");
        assert!(ranked[0].chronic);
        assert_eq!(ranked[1].label, ThemeLabel::Praise);
        assert!(!ranked[1].chronic);
        assert_eq!(ranked[1].rank, None);
    }
}
