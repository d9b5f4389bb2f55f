//! The chronic score: which themes keep coming back, broadly, and what they cost; and the label
//! every theme gets, each backed by a count and a test.
//!
//! Over a window of periods (default: the last 6 months or 12 weeks, chosen by the caller):
//! - **presence**: the periods in which the theme's count reached its floor
//!   `max(3, ⌈0.5% × period volume⌉)` ([`period_floor`]);
//! - **material persistence**: the periods in which its share was significantly above
//!   [`ChronicParams::chronic_share`] (default 2% of the period's items): the one-sided Poisson
//!   test `P(X ≥ count | λ = 2% × period volume) ≤ alpha` (default 0.05) ([`above_share`]);
//! - **spread**: distinct customers, and the normalised Shannon entropy
//!   `H = -Σ pᵢ ln pᵢ / ln K` (Shannon 1948; Pielou's evenness, 1966) of the theme's items over
//!   the K channels, business units and touchpoints *of the data*: 0 when all in one, 1 when
//!   spread evenly over all K;
//! - **impact**: NPS / CSAT impact and revenue at risk, computed elsewhere
//!   ([`crate::impact`], [`crate::revenue`]), with the z-test of the mentioners' score against
//!   everyone else's ([`crate::scores::compare_nps`]): the impact is zero exactly when that
//!   difference is, so the test's p-value is the impact's.
//!
//! Labels, in this order ([`score_theme`]):
//! 1. **praise**, **suggestion**, **question**: the taxonomy says so (`kind`); or **praise** when
//!    the impact raises the score significantly (p below `alpha / themes`, Bonferroni, on at
//!    least [`ChronicParams::min_answers`] answers mentioning it);
//! 2. **chronic**: over at least 3 periods of at least 30 items in the window, significantly
//!    above the chronic share in at least 75% of them (smaller periods are not judged), raised
//!    by at least 10 customers (items without customer ids), spread (entropy ≥ 0.3 over
//!    channels, business units or touchpoints, where the data has two or more), and not raising
//!    the score;
//! 3. **spike**: a spike alert in the window ([`crate::spikes`]), or a burst: its largest period
//!    holds at least [`ChronicParams::min_count`] items (default 10) and is above the pooled
//!    rate of its other periods, and of those before it when there are any, by a Poisson test
//!    at `0.05 / (themes × periods)`;
//! 4. **shift**: a confirmed sustained rise ([`crate::spikes::detect_shifts`]) in the window;
//! 5. **occasional**: none of these.
//!
//! The default list holds chronic themes, spikes, shifts, and any theme whose impact lowers the
//! score significantly (p < alpha on at least `min_answers` answers), whatever its label.
//! Chronic themes are ranked by impact (see [`rank_themes`]).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use trove_domain::ThemeKind;

use crate::dist::poisson_upper_tail;
use crate::revenue::{RevenueAtRisk, compact_money};
use crate::scores::Comparison;
use crate::spikes::{Alert, AlertKind};
use crate::trend::{PeriodKind, PeriodTotal, period_label};

/// Thresholds of the labels, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChronicParams {
    /// Least share of the periods significantly above the chronic share, for chronic
    /// (default 0.75: 5 of 6 months, 9 of 12).
    pub min_persistence: f64,
    /// Fewest periods in the window for any theme to be called chronic (default 3: one
    /// period says nothing about persistence).
    pub min_periods: usize,
    /// The presence floor's fixed part: a theme is present in a period with at least this many
    /// items (default 3) …
    pub floor_count: u64,
    /// … and at least this share of the period's items (default 0.005 = 0.5%).
    pub floor_share: f64,
    /// The share of a period's items a chronic theme must significantly exceed (default 0.02).
    pub chronic_share: f64,
    /// The level of the per-period test and of the impact test (default 0.05).
    pub alpha: f64,
    /// Least distinct customers for chronic (default 10).
    pub min_customers: u64,
    /// Least normalised entropy over channels or business units or touchpoints (the largest
    /// counts) for chronic (default 0.3, e.g. two channels at 94% / 6% of four, or an even
    /// split over two of ten). Dimensions with fewer than two categories in the data are
    /// ignored; with none left, spread does not block.
    pub min_entropy: f64,
    /// Least items in a burst's period (default 10).
    pub min_count: u64,
    /// Least scored answers mentioning a theme for its impact to count as significant
    /// (default 30).
    pub min_answers: u64,
    /// Least items in a period for it to be judged for persistence (default 30, as for spikes
    /// and shifts): in a smaller period no count can be shown above 2% with any power, so
    /// counting it would hold a steady theme back.
    pub min_period_items: u64,
}

impl Default for ChronicParams {
    fn default() -> Self {
        Self {
            min_persistence: 0.75,
            min_periods: 3,
            floor_count: 3,
            floor_share: 0.005,
            chronic_share: 0.02,
            alpha: 0.05,
            min_customers: 10,
            min_entropy: 0.3,
            min_count: 10,
            min_answers: 30,
            min_period_items: 30,
        }
    }
}

/// One theme over the window: what the store aggregates, plus the impact figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeWindow {
    /// The theme's id.
    pub theme: String,
    /// What the taxonomy says it is (default: a problem).
    pub kind: ThemeKind,
    /// Items with the theme per period, aligned with the window's [`PeriodTotal`]s.
    pub counts: Vec<u64>,
    /// Distinct customers who raised it in the window (or items, when customers are unknown).
    pub customers: u64,
    /// Whether the data has customer ids (else `customers` counts items).
    pub customer_ids: bool,
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
    /// The test of the impact's score (NPS when it has one, else CSAT): the mentioners'
    /// score against everyone else's.
    pub impact_test: Option<Comparison>,
    /// Scored answers mentioning the theme, on the impact's score.
    pub impact_answers: u64,
    /// Revenue at risk per currency ([`crate::revenue::revenue_at_risk`]).
    pub revenue_at_risk: RevenueAtRisk,
    /// Spike and shift alerts of the theme in the window ([`crate::spikes`]).
    pub alerts: Vec<Alert>,
    /// Mean sentiment (-1..1) of its items that have one.
    pub sentiment: Option<f64>,
}

/// What a theme is over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeLabel {
    /// Persistent above the chronic share, and widespread.
    Chronic,
    /// A burst: a spike alert, or one period far above the others.
    Spike,
    /// A sustained rise of its level.
    Shift,
    /// Something customers praise: the taxonomy says so, or it raises the score significantly.
    Praise,
    /// A suggestion (the taxonomy says so).
    Suggestion,
    /// A question (the taxonomy says so).
    Question,
    /// None of these.
    Occasional,
}

impl ThemeLabel {
    /// The label as a word: "chronic", "spike", ….
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chronic => "chronic",
            Self::Spike => "spike",
            Self::Shift => "shift",
            Self::Praise => "praise",
            Self::Suggestion => "suggestion",
            Self::Question => "question",
            Self::Occasional => "occasional",
        }
    }

    /// Praise, suggestions and questions: not issues.
    pub fn is_not_a_problem(self) -> bool {
        matches!(self, Self::Praise | Self::Suggestion | Self::Question)
    }
}

/// The largest period of a theme against its other periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    /// The period by name.
    pub period: String,
    /// Items with the theme in it.
    pub count: u64,
    /// The count expected in it by the pooled rate of the other periods or of those before it,
    /// whichever test is weaker.
    pub expected: f64,
    /// `P(X ≥ count | expected)`.
    pub p_value: f64,
}

/// A theme's chronic score and its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicScore {
    /// The theme's id.
    pub theme: String,
    /// What the taxonomy says it is.
    pub kind: ThemeKind,
    /// Whether it is chronic.
    pub chronic: bool,
    /// Chronic, spike, shift, praise, suggestion, question or occasional.
    pub label: ThemeLabel,
    /// Whether the default list shows it: chronic, spike, shift, or a significant loss.
    pub listed: bool,
    /// Rank among the chronic themes by impact (1 = first); none for the others.
    pub rank: Option<usize>,
    /// Share of the window's periods in which the theme reached its floor.
    pub persistence: f64,
    /// Periods in which it reached its floor.
    pub periods_present: usize,
    /// Periods in which its share was significantly above the chronic share.
    pub periods_above: usize,
    /// Periods in the window.
    pub periods: usize,
    /// Periods of the window large enough to be judged for persistence
    /// ([`ChronicParams::min_period_items`]).
    pub periods_judged: usize,
    /// Items with the theme in the window.
    pub volume: u64,
    /// Items with the theme per period of the window, oldest first (a sparkline's points).
    #[serde(default)]
    pub counts: Vec<u64>,
    /// Distinct customers (items, when the data has no customer ids).
    pub customers: u64,
    /// Whether the data has customer ids.
    pub customer_ids: bool,
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
    /// Two-sided p-value of the impact (the mentioners' score against everyone else's).
    pub impact_p_value: Option<f64>,
    /// Scored answers mentioning it, on the impact's score.
    pub impact_answers: u64,
    /// The impact lowers the score significantly (p < alpha, at least `min_answers` answers).
    pub significant_loss: bool,
    /// Revenue at risk per currency (none for praise, suggestions and questions).
    pub revenue_at_risk: RevenueAtRisk,
    /// Spike and shift alerts in the window.
    pub spikes: usize,
    /// Its largest period, when that is a burst.
    pub burst: Option<Burst>,
    /// The latest shift in the window.
    pub shift: Option<Alert>,
    /// Mean sentiment (-1..1) of its items that have one: how its customers sound.
    pub sentiment: Option<f64>,
    /// One line that explains the label.
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

/// Whether `count` of `total` items is significantly above `share`: the one-sided Poisson
/// test `P(X ≥ count | λ = share × total) ≤ alpha`. An empty period never is.
pub fn above_share(count: u64, total: u64, share: f64, alpha: f64) -> bool {
    total > 0 && poisson_upper_tail(count, share * total as f64) <= alpha
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

/// The burst test: the largest period (the earliest of equals) against the pooled rate of the
/// others, `λ = max(rest count, ½) / rest total × period total`, `p = P(X ≥ count | λ)`, and
/// likewise against the periods before it when there are any (the larger p is kept); a burst
/// when the count is at least `min_count` and `p ≤ level`. `None` with fewer than two periods.
pub fn burst(
    counts: &[u64],
    totals: &[PeriodTotal],
    kind: PeriodKind,
    min_count: u64,
    level: f64,
) -> Option<Burst> {
    let (peak, &count) = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(&a.0)))?;
    let total = totals.get(peak)?.items;
    let rest_count = counts.iter().sum::<u64>() - count;
    let rest_total = totals.iter().map(|t| t.items).sum::<u64>() - total;
    if totals.len() < 2 || rest_total == 0 || count < min_count {
        return None;
    }
    let expected = (rest_count as f64).max(0.5) / rest_total as f64 * total as f64;
    let mut test = (expected, poisson_upper_tail(count, expected));
    // The periods after a peak may be low because the theme fell since: against them alone a
    // theme's ordinary month before a fall would read as a burst. So the peak must also stand
    // out against the periods before it (when there are any), and the weaker test is reported.
    let before_total: u64 = totals[..peak].iter().map(|t| t.items).sum();
    if before_total > 0 {
        let before_count: u64 = counts[..peak].iter().sum();
        let expected = (before_count as f64).max(0.5) / before_total as f64 * total as f64;
        let p_value = poisson_upper_tail(count, expected);
        if p_value > test.1 {
            test = (expected, p_value);
        }
    }
    let (expected, p_value) = test;
    (p_value <= level).then(|| Burst {
        period: period_label(totals[peak].period, kind),
        count,
        expected,
        p_value,
    })
}

/// How many themes and periods are judged together (for the Bonferroni levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// Themes scored together.
    pub themes: usize,
}

/// Scores one theme over the window (`totals`: the window's periods, dense and in order).
pub fn score_theme(
    window: &ThemeWindow,
    totals: &[PeriodTotal],
    kind: PeriodKind,
    params: &ChronicParams,
    family: Family,
) -> ChronicScore {
    let (periods_present, persistence) = persistence(&window.counts, totals, params);
    let judged = || {
        totals
            .iter()
            .zip(window.counts.iter().chain(std::iter::repeat(&0)))
            .filter(|(t, _)| t.items >= params.min_period_items)
    };
    let periods_judged = judged().count();
    let periods_above = judged()
        .filter(|(t, c)| above_share(**c, t.items, params.chronic_share, params.alpha))
        .count();
    let volume: u64 = window.counts.iter().sum();
    let entropies = [
        normalized_entropy(&window.channels),
        normalized_entropy(&window.business_units),
        normalized_entropy(&window.touchpoints),
    ];
    let spread_ok = entropies.iter().all(Option::is_none)
        || entropies.iter().flatten().any(|h| *h >= params.min_entropy);
    let material = periods_judged >= params.min_periods.max(1)
        && periods_above as f64 >= params.min_persistence * periods_judged as f64;
    let persistent_and_wide = material && window.customers >= params.min_customers && spread_ok;
    let impact = window.nps_impact.or(window.csat_impact);
    let tested = window
        .impact_test
        .filter(|_| window.impact_answers >= params.min_answers);
    let significant_at = |level: f64| tested.filter(|t| t.p_value < level);
    let significant_loss = significant_at(params.alpha).is_some_and(|t| t.difference < 0.0);
    let significant_gain = significant_at(params.alpha / family.themes.max(1) as f64)
        .is_some_and(|t| t.difference > 0.0);
    let tests = (family.themes.max(1) * totals.len().max(1)) as f64;
    let burst = burst(&window.counts, totals, kind, params.min_count, 0.05 / tests);
    let has = |k: AlertKind| window.alerts.iter().any(|a| a.kind == k);
    // Without scores nothing tells praise from complaint: the theme counts as a problem.
    let raises_score = impact.is_some_and(|impact| impact > 0.0);
    let label = match window.kind {
        ThemeKind::Praise => ThemeLabel::Praise,
        ThemeKind::Suggestion => ThemeLabel::Suggestion,
        ThemeKind::Question => ThemeLabel::Question,
        ThemeKind::Problem if significant_gain => ThemeLabel::Praise,
        ThemeKind::Problem if persistent_and_wide && !raises_score => ThemeLabel::Chronic,
        ThemeKind::Problem if has(AlertKind::Spike) || burst.is_some() => ThemeLabel::Spike,
        ThemeKind::Problem if has(AlertKind::ShiftUp) => ThemeLabel::Shift,
        ThemeKind::Problem => ThemeLabel::Occasional,
    };
    let chronic = label == ThemeLabel::Chronic;
    let mut score = ChronicScore {
        theme: window.theme.clone(),
        kind: window.kind,
        chronic,
        label,
        listed: matches!(
            label,
            ThemeLabel::Chronic | ThemeLabel::Spike | ThemeLabel::Shift
        ) || significant_loss,
        rank: None,
        persistence,
        periods_present,
        periods_above,
        periods: totals.len(),
        periods_judged,
        volume,
        counts: window.counts.clone(),
        customers: window.customers,
        customer_ids: window.customer_ids,
        channels: present_categories(&window.channels),
        business_units: present_categories(&window.business_units),
        touchpoints: present_categories(&window.touchpoints),
        channel_entropy: entropies[0],
        business_unit_entropy: entropies[1],
        touchpoint_entropy: entropies[2],
        nps_impact: window.nps_impact,
        csat_impact: window.csat_impact,
        impact_p_value: window.impact_test.map(|t| t.p_value),
        impact_answers: window.impact_answers,
        significant_loss,
        revenue_at_risk: if label == ThemeLabel::Praise {
            RevenueAtRisk::new()
        } else {
            window.revenue_at_risk.clone()
        },
        spikes: window.alerts.len(),
        burst,
        shift: window
            .alerts
            .iter()
            .rfind(|a| a.kind != AlertKind::Spike)
            .cloned(),
        sentiment: window.sentiment,
        explanation: String::new(),
    };
    score.explanation = explain(&score, window, kind, params);
    score
}

fn present_categories(counts: &[u64]) -> usize {
    counts.iter().filter(|&&c| c > 0).count()
}

/// Scores every theme and ranks them.
///
/// Order: chronic themes first, then spikes, shifts, occasional themes with a significant
/// loss, the other occasional ones, then praise, suggestions and questions; within each, by
/// points of score lost (`-nps_impact`, or `-csat_impact` without NPS; none counts as 0), then
/// customers, then volume, all descending, then theme id ascending. The id breaks every tie,
/// so the ranking never depends on the input order. `rank` numbers the chronic themes 1, 2, ….
pub fn rank_themes(
    windows: &[ThemeWindow],
    totals: &[PeriodTotal],
    kind: PeriodKind,
    params: &ChronicParams,
) -> Vec<ChronicScore> {
    let family = Family {
        themes: windows.len(),
    };
    let mut scores: Vec<ChronicScore> = windows
        .iter()
        .map(|w| score_theme(w, totals, kind, params, family))
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

fn label_order(score: &ChronicScore) -> u8 {
    match score.label {
        ThemeLabel::Chronic => 0,
        ThemeLabel::Spike => 1,
        ThemeLabel::Shift => 2,
        ThemeLabel::Occasional if score.significant_loss => 3,
        ThemeLabel::Occasional => 4,
        ThemeLabel::Praise => 5,
        ThemeLabel::Suggestion => 6,
        ThemeLabel::Question => 7,
    }
}

fn ranking_order(a: &ChronicScore, b: &ChronicScore) -> Ordering {
    label_order(a)
        .cmp(&label_order(b))
        .then_with(|| score_loss(b).total_cmp(&score_loss(a)))
        .then_with(|| b.customers.cmp(&a.customers))
        .then_with(|| b.volume.cmp(&a.volume))
        .then_with(|| a.theme.cmp(&b.theme))
}

/// "above 2% of items in 11 of 12 months, 1,240 customers, 5 channels, 4 business units; NPS
/// impact -4.1 (p<0.001, 900 answers); $2.3M revenue at risk", with the parts the data has,
/// and what makes a spike, a shift or praise.
fn explain(
    score: &ChronicScore,
    window: &ThemeWindow,
    kind: PeriodKind,
    params: &ChronicParams,
) -> String {
    let presence = if score.label == ThemeLabel::Chronic {
        let unjudged = score.periods - score.periods_judged;
        let unjudged = if unjudged == 0 {
            String::new()
        } else {
            format!(
                "; {unjudged} {} under {} items not judged",
                if unjudged == 1 {
                    kind.singular()
                } else {
                    kind.plural()
                },
                params.min_period_items
            )
        };
        format!(
            "above {} of items in {} of {} {} (Poisson p<{} each{unjudged})",
            percent(params.chronic_share),
            score.periods_above,
            score.periods_judged,
            kind.plural(),
            params.alpha
        )
    } else {
        format!(
            "present in {} of {} {}",
            score.periods_present,
            score.periods,
            kind.plural()
        )
    };
    let who = if score.customer_ids {
        counted(score.customers, "customer")
    } else {
        format!("{} (no customer ids)", counted(score.customers, "item"))
    };
    let mut spread = vec![presence, who];
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
    match score.label {
        ThemeLabel::Spike => parts.push(spike_text(score, window)),
        // A chronic theme's level can move too: say so beside its persistence.
        ThemeLabel::Shift | ThemeLabel::Chronic => {
            parts.extend(score.shift.as_ref().map(|a| shift_text(a, kind)));
        }
        _ => {}
    }
    let impact = match (score.nps_impact, score.csat_impact) {
        (Some(impact), _) => Some(("NPS", impact)),
        (None, Some(impact)) => Some(("CSAT", impact)),
        _ => None,
    };
    if let Some((name, impact)) = impact {
        // Under the minimum the z-test's normal approximation does not hold (three identical
        // answers have no spread and a tiny p): no p-value is claimed, only the count.
        let answers = thousands(score.impact_answers);
        let test = score.impact_p_value.map_or_else(String::new, |p| {
            if score.impact_answers >= params.min_answers {
                format!(" ({}, {answers} answers)", p_text(p))
            } else {
                format!(
                    " (untested: {answers} answers, under {})",
                    params.min_answers
                )
            }
        });
        parts.push(format!("{name} impact {impact:+.1}{test}"));
    }
    match (score.label, score.kind) {
        (ThemeLabel::Praise, ThemeKind::Praise) => parts.push("praise in the taxonomy".into()),
        (ThemeLabel::Praise, _) => parts.push("raises the score significantly: praise".into()),
        (ThemeLabel::Occasional, _) if score.significant_loss => {
            parts.push("lowers the score significantly".into())
        }
        _ => {}
    }
    if !score.revenue_at_risk.is_empty() {
        let amounts: Vec<String> = score.revenue_at_risk.values().map(compact_money).collect();
        parts.push(format!("{} revenue at risk", amounts.join(" + ")));
    }
    parts.join("; ")
}

/// "spike: 721 items in 2026-06 against 1.1 expected (p<0.001)".
fn spike_text(score: &ChronicScore, window: &ThemeWindow) -> String {
    let alert = window.alerts.iter().rfind(|a| a.kind == AlertKind::Spike);
    let (count, period, expected, p) = match (alert, &score.burst) {
        (Some(a), _) => (
            a.observed_count,
            a.period_name.as_str(),
            a.expected_count,
            a.p_value.unwrap_or(0.0),
        ),
        (None, Some(b)) => (b.count, b.period.as_str(), b.expected, b.p_value),
        (None, None) => return "spike".into(),
    };
    format!(
        "spike: {} of its {} items in {period} against {expected:.1} expected ({})",
        thousands(count),
        thousands(score.volume),
        p_text(p)
    )
}

/// "shift up since 2026-03 (4 months): 74.0 a month against 29.4 expected, 296 items (p<0.001)".
pub fn shift_text(alert: &Alert, kind: PeriodKind) -> String {
    let direction = if alert.kind == AlertKind::ShiftDown {
        "down"
    } else {
        "up"
    };
    let periods = alert.periods.max(1) as f64;
    format!(
        "shift {direction} since {} ({} {}): {:.1} a {} on average against {:.1} expected, {} items ({})",
        alert.since_name,
        alert.periods,
        if alert.periods == 1 {
            kind.singular()
        } else {
            kind.plural()
        },
        alert.observed_count as f64 / periods,
        kind.singular(),
        alert.expected_count / periods,
        thousands(alert.observed_count),
        p_text(alert.p_value.unwrap_or(1.0))
    )
}

/// "p<0.001", "p=0.012".
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={p:.3}")
    }
}

/// "2%", "0.5%".
fn percent(share: f64) -> String {
    let text = format!("{:.1}", 100.0 * share);
    format!("{}%", text.trim_end_matches(".0"))
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
            kind: ThemeKind::Problem,
            counts: counts.to_vec(),
            customers,
            customer_ids: true,
            channels: vec![40, 30, 20, 10, 0],
            business_units: vec![25, 25, 25, 25],
            touchpoints: Vec::new(),
            nps_impact: Some(-4.1),
            csat_impact: None,
            impact_test: None,
            impact_answers: 0,
            revenue_at_risk: RevenueAtRisk::new(),
            alerts: Vec::new(),
            sentiment: None,
        }
    }

    /// A z-test result with the given difference and p-value.
    fn tested(difference: f64, p_value: f64) -> Comparison {
        Comparison {
            difference,
            ci_low: difference - 1.0,
            ci_high: difference + 1.0,
            z: 3.0,
            p_value,
            significant: p_value < 0.05,
        }
    }

    #[test]
    fn the_share_test_matches_a_worked_example() {
        // 500 items at 2%: λ = 10. P(X ≥ 18 | 10) = 0.014278 ≤ 0.05: above; P(X ≥ 15 | 10) =
        // 0.083458: not above (15 is 3% of 500, but 10 expected makes 15 unremarkable).
        assert!(above_share(18, 500, 0.02, 0.05));
        assert!(!above_share(15, 500, 0.02, 0.05));
        assert!(!above_share(0, 0, 0.02, 0.05));
    }

    #[test]
    fn the_burst_test_matches_a_worked_example() {
        // Counts 4 5 6 30 5 4 of 1,000 each: the others hold 24 of 5,000, λ = 4.8 in the peak,
        // P(X ≥ 30 | 4.8) = 1.00364e-14; the months before it hold 15 of 3,000, λ = 5.0,
        // P(X ≥ 30 | 5) = 2.81752e-14, the weaker, reported: ≤ 0.05 / 6.
        let totals = months(6, 1000);
        let b = burst(
            &[4, 5, 6, 30, 5, 4],
            &totals,
            PeriodKind::Month,
            10,
            0.05 / 6.0,
        )
        .expect("a burst");
        assert_eq!((b.count, b.period.as_str()), (30, "2026-03"));
        assert!((b.expected - 5.0).abs() < 1e-12);
        assert!((b.p_value - 2.817_518e-14).abs() < 1e-19, "{b:?}");
        // 9 items are under the minimum of 10, however surprising; a steady theme is no burst.
        assert!(
            burst(
                &[0, 0, 0, 9, 0, 0],
                &totals,
                PeriodKind::Month,
                10,
                0.05 / 6.0
            )
            .is_none()
        );
        assert!(burst(&[20; 6], &totals, PeriodKind::Month, 10, 0.05 / 6.0).is_none());
    }

    #[test]
    fn a_theme_that_fell_has_no_burst_before_its_fall() {
        // Counts 35 25 39 32 32 3 3 2 of 300 each: against all the others (132 of 2,100,
        // λ = 18.9) the 39 would be a burst; against the months before it (60 of 600, λ = 30)
        // P(X ≥ 39 | 30) = 0.0648 > 0.05 / 8: the theme fell, nothing burst.
        let totals = months(8, 300);
        let counts = [35, 25, 39, 32, 32, 3, 3, 2];
        assert!(burst(&counts, &totals, PeriodKind::Month, 10, 0.05 / 8.0).is_none());
        // A burst in the first month has nothing before it: the others alone decide.
        let first = burst(
            &[40, 5, 4, 6, 5, 4, 5, 3],
            &totals,
            PeriodKind::Month,
            10,
            0.05 / 8.0,
        );
        assert_eq!(first.map(|b| b.count), Some(40));
    }

    #[test]
    fn a_handful_of_items_is_no_spike_and_a_significant_loss_is_listed() {
        // Two of four mentions in one month: no alert, under the minimum count: occasional.
        let totals = months(6, 1000);
        let tiny = window("tiny", &[0, 2, 1, 0, 1, 0], 4);
        let family = Family { themes: 27 };
        let score = score_theme(
            &tiny,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
            family,
        );
        assert_eq!(score.label, ThemeLabel::Occasional);
        assert!(!score.listed);
        // Under the chronic share most months, but its mentioners score far lower: listed.
        let mut costly = window("costly", &[12, 9, 15, 11, 10, 13], 70);
        costly.impact_test = Some(tested(-40.0, 0.0004));
        costly.impact_answers = 70;
        let score = score_theme(
            &costly,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
            family,
        );
        assert_eq!(score.label, ThemeLabel::Occasional);
        assert!(score.significant_loss && score.listed, "{score:?}");
        assert!(
            score
                .explanation
                .contains("NPS impact -4.1 (p<0.001, 70 answers)")
        );
        assert!(score.explanation.contains("lowers the score significantly"));
        // The same difference on 20 answers is not enough to claim it.
        costly.impact_answers = 20;
        let score = score_theme(
            &costly,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
            family,
        );
        assert!(!score.listed);
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
    fn no_p_value_is_claimed_on_too_few_answers() {
        let mut few = window("tiny", &[3, 0, 0, 0, 0, 0], 3);
        few.impact_test = Some(tested(-0.4, 0.0001));
        few.impact_answers = 3;
        let score = score_theme(
            &few,
            &months(6, 500),
            PeriodKind::Month,
            &ChronicParams::default(),
            Family { themes: 1 },
        );
        assert!(
            score
                .explanation
                .contains("NPS impact -4.1 (untested: 3 answers, under 30)"),
            "{}",
            score.explanation
        );
        assert!(!score.significant_loss);
    }

    #[test]
    fn small_periods_do_not_hold_a_steady_theme_back() {
        // 5 early months of 12 items (1 mention each, 8%) and 8 of 500 (50 each, 10%). At 12
        // items P(X >= 1 | λ = 0.24) = 0.21 > 0.05: no small month can pass, so counted they
        // would make 8 of 13 (62%) and hide a theme steady at 10%; judged, 8 of 8.
        let mut totals = months(5, 12);
        totals.extend(months(8, 500).into_iter().map(|t| PeriodTotal {
            period: t.period + 5,
            ..t
        }));
        let counts = [1, 1, 1, 1, 1, 50, 50, 50, 50, 50, 50, 50, 50];
        let theme = window("billing", &counts, 405);
        let score = score_theme(
            &theme,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
            Family { themes: 1 },
        );
        assert!(score.chronic, "{score:?}");
        assert_eq!(
            (score.periods_above, score.periods_judged, score.periods),
            (8, 8, 13)
        );
        assert!(
            score.explanation.starts_with(
                "above 2% of items in 8 of 8 months (Poisson p<0.05 each; 5 months under 30 \
                 items not judged)"
            ),
            "{}",
            score.explanation
        );
        // Counting every month, the same theme would not be chronic.
        let all = ChronicParams {
            min_period_items: 0,
            ..ChronicParams::default()
        };
        let counted = score_theme(
            &theme,
            &totals,
            PeriodKind::Month,
            &all,
            Family { themes: 1 },
        );
        assert!(!counted.chronic);
    }

    #[test]
    fn a_persistent_widespread_theme_is_chronic_and_explains_itself() {
        // 500 items a month (was 1,000: at 2-3% of 1,000 these counts would not be significantly
        // above the chronic share of 2%; at 4-6% of 500 they are, but for the empty month).
        let totals = months(12, 500);
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
            Family { themes: 1 },
        );
        assert!(score.chronic);
        assert_eq!((score.periods_present, score.periods), (11, 12));
        assert_eq!(score.periods_above, 11);
        assert_eq!(
            score.explanation,
            "above 2% of items in 11 of 12 months (Poisson p<0.05 each), 1,240 customers, \
             4 channels, 4 business units; NPS impact -4.1; $2.3M revenue at risk"
        );
    }

    #[test]
    fn a_one_off_burst_is_a_spike_not_chronic() {
        // 300 mentions in one month, a few elsewhere, from one channel and one business unit.
        let totals = months(12, 1000);
        let mut burst = window("outage-march", &[0, 0, 1, 300, 2, 0, 0, 0, 0, 0, 0, 0], 280);
        burst.channels = vec![303, 0, 0, 0, 0];
        burst.business_units = vec![0, 303, 0, 0];
        let family = Family { themes: 1 };
        let score = score_theme(
            &burst,
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
            family,
        );
        assert!(!score.chronic);
        assert_eq!(score.label, ThemeLabel::Spike);
        assert!(
            score
                .explanation
                .contains("present in 1 of 12 months, 280 customers, 1 channel, 1 business unit; spike: 300 of its 303 items in 2026-03 against 0.3 expected (p<0.001)"),
            "{}",
            score.explanation
        );
        // Persistent (40 of 1,000 a month: P(X ≥ 40 | 20) = 5.3e-5) but in one channel and one
        // unit only: not chronic either.
        let mut narrow = window("narrow", &[40; 12], 500);
        narrow.channels = vec![240, 0, 0, 0, 0];
        narrow.business_units = vec![0, 240, 0, 0];
        assert!(
            !score_theme(
                &narrow,
                &totals,
                PeriodKind::Month,
                &ChronicParams::default(),
                family
            )
            .chronic
        );
        // Persistent, spread, but raised by three customers: not chronic.
        let few = window("few", &[40; 12], 3);
        assert!(
            !score_theme(
                &few,
                &totals,
                PeriodKind::Month,
                &ChronicParams::default(),
                family
            )
            .chronic
        );
    }

    #[test]
    fn chronic_themes_are_ranked_by_impact() {
        let totals = months(6, 1000);
        let mut a = window("a", &[40; 6], 100);
        a.nps_impact = Some(-1.0);
        let mut b = window("b", &[40; 6], 50);
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
            proptest::option::of(0.0f64..0.1),
        )
            .prop_map(|(id, counts, customers, impact, p_value)| ThemeWindow {
                theme: format!("t{id}"),
                kind: ThemeKind::Problem,
                counts,
                customers,
                customer_ids: true,
                channels: vec![customers, customers / 2, 0],
                business_units: vec![1, customers],
                touchpoints: Vec::new(),
                nps_impact: impact.map(f64::from),
                csat_impact: None,
                impact_test: impact.zip(p_value).map(|(i, p)| tested(f64::from(i), p)),
                impact_answers: 40,
                revenue_at_risk: RevenueAtRisk::new(),
                alerts: Vec::new(),
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
    fn praise_is_declared_or_proven_and_carries_no_money() {
        let totals: Vec<PeriodTotal> = (0..6)
            .map(|period| PeriodTotal {
                period,
                items: 1_000,
            })
            .collect();
        let usd = trove_domain::Currency::parse("USD").expect("a currency");
        let window = |theme: &str, impact: f64| ThemeWindow {
            theme: theme.into(),
            kind: ThemeKind::Problem,
            counts: vec![50; 6],
            customers: 200,
            customer_ids: true,
            channels: vec![100, 100, 100],
            business_units: vec![150, 150],
            touchpoints: vec![],
            nps_impact: Some(impact),
            csat_impact: None,
            impact_test: Some(Comparison {
                difference: impact * 10.0,
                ci_low: impact * 10.0 - 5.0,
                ci_high: impact * 10.0 + 5.0,
                z: 6.0,
                p_value: 1e-9,
                significant: true,
            }),
            impact_answers: 300,
            revenue_at_risk: [(usd, trove_domain::Money::from_minor(100, usd))].into(),
            alerts: Vec::new(),
            sentiment: None,
        };
        let mut thanks = window("thanks", 0.0);
        thanks.kind = ThemeKind::Praise;
        thanks.impact_test = None;
        let mut idea = window("idea", -0.1);
        idea.kind = ThemeKind::Suggestion;
        idea.impact_test = None;
        let ranked = rank_themes(
            &[
                window("helpful-agent", 4.9),
                window("surprise-fee", -3.2),
                thanks,
                idea,
            ],
            &totals,
            PeriodKind::Month,
            &ChronicParams::default(),
        );
        let labels: Vec<(&str, ThemeLabel, bool)> = ranked
            .iter()
            .map(|s| (s.theme.as_str(), s.label, s.listed))
            .collect();
        assert_eq!(
            labels,
            [
                ("surprise-fee", ThemeLabel::Chronic, true),
                ("thanks", ThemeLabel::Praise, false),
                ("helpful-agent", ThemeLabel::Praise, false),
                ("idea", ThemeLabel::Suggestion, false),
            ]
        );
        assert!(ranked[1].revenue_at_risk.is_empty() && ranked[2].revenue_at_risk.is_empty());
        assert!(!ranked[3].revenue_at_risk.is_empty());
        assert!(
            ranked[2]
                .explanation
                .contains("raises the score significantly: praise")
        );
        assert!(ranked[1].explanation.contains("praise in the taxonomy"));
    }
}
