//! The Customer Room: what leadership reads at the monthly meeting, for one period of the data
//! compared with another, in one scope (business unit, segment, channel).
//!
//! - the score's move between the two periods (with its test), the themes that moved it most,
//!   new spikes and shifts, fixes verified or failed, commitments missed;
//! - the journey's stages left to right, each with its customers' score, its chronic issues
//!   (from the analysis of the scope's six months up to the period), the leading indicators of
//!   the issues placed there against their targets, and its freshest verbatims;
//! - the score by month with spikes and fixes, and who owes what.
//!
//! The analysis comes from [`App::current_analysis`]; everything else is a few grouped reads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;

use jiff::civil::Date;
use trove_analytics::analysis::{Analysis, AnalysisParams, left_out};
use trove_analytics::chronic::ChronicScore;
use trove_analytics::revenue::compact_money;
use trove_analytics::scores::{Comparison, Estimate, ScoreKind};
use trove_analytics::spikes::AlertKind;
use trove_analytics::trend::{PeriodKind, PeriodTotal, period_label, period_start};
use trove_domain::{Channel, ScoreTally};
use trove_store::{Dimension, FeedbackFilter, GroupTally, ThemeOrigin};
use trove_workflow::Workflow;
use trove_workflow::model::Status;
use trove_workflow::views::{Commitment, Promise, Standing, commitments};

use crate::{AnalysisRequest, App, WorkflowError};

/// Verbatims shown under each stage.
const VERBATIMS_PER_STAGE: usize = 3;
/// Themes named in "what moved the score".
const MOVERS: usize = 3;
/// Months the trend panel shows, at most.
const TREND_MONTHS: usize = 18;

/// Which period is compared with the one shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compare {
    /// The period just before.
    #[default]
    Previous,
    /// The same period a year before.
    YearBefore,
}

impl Compare {
    /// The name the URL carries.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Previous => "previous",
            Self::YearBefore => "year",
        }
    }
}

/// What the room is asked for, as the URL gives it (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomQuery {
    /// `2026-10` (a month) or `2026-Q3` (a quarter); default: the last complete month.
    pub period: Option<String>,
    /// The period compared with it.
    pub compare: Compare,
    /// Only this business unit.
    pub business_unit: Option<String>,
    /// Only customers of this segment.
    pub segment: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
}

/// A period of the calendar, with its bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomPeriod {
    /// Month or quarter.
    pub kind: PeriodKind,
    /// Its index (see [`trove_analytics::trend::period_index`]).
    pub index: i64,
    /// `2026-10`, `2026-Q3`.
    pub label: String,
    /// First instant (unix seconds).
    pub since: i64,
    /// First instant after it.
    pub until: i64,
}

impl RoomPeriod {
    /// Period `index` of `kind`.
    pub fn new(kind: PeriodKind, index: i64) -> Self {
        Self {
            kind,
            index,
            label: period_label(index, kind),
            since: period_start(index, kind),
            until: period_start(index + 1, kind),
        }
    }

    /// The period `compare` names.
    pub fn compared(&self, compare: Compare) -> Self {
        let back = match (compare, self.kind) {
            (Compare::Previous, _) => 1,
            (Compare::YearBefore, PeriodKind::Quarter) => 4,
            (Compare::YearBefore, _) => 12,
        };
        Self::new(self.kind, self.index - back)
    }

    /// Its first day and the day after it (`YYYY-MM-DD`): the drill-down's `from` and `to`.
    pub fn days(&self) -> (String, String) {
        (day_text(self.since), day_text(self.until))
    }
}

/// The day of an instant, `YYYY-MM-DD` (UTC).
pub fn day_text(unix: i64) -> String {
    Workflow::day_of(unix).to_string()
}

/// The room's view, resolved: the periods and the filters in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomScope {
    /// The period shown.
    pub period: RoomPeriod,
    /// The period compared with it.
    pub compared: RoomPeriod,
    /// How it was compared.
    pub compare: Compare,
    /// The filters (business unit, segment, channel) as given.
    pub business_unit: Option<String>,
    /// Segment.
    pub segment: Option<String>,
    /// Channel.
    pub channel: Option<String>,
}

impl RoomScope {
    /// The items of the scope in `period` (all time with `None`).
    pub fn filter(&self, period: Option<&RoomPeriod>) -> FeedbackFilter {
        FeedbackFilter {
            since: period.map(|p| p.since),
            until: period.map(|p| p.until),
            business_unit: self.business_unit.clone(),
            segment: self.segment.clone(),
            channel: self
                .channel
                .as_deref()
                .and_then(|c| c.parse::<Channel>().ok()),
            ..FeedbackFilter::default()
        }
    }

    /// The analysis of the scope's six months up to the end of `period`.
    pub fn analysis_request(&self, period: &RoomPeriod) -> AnalysisRequest {
        AnalysisRequest {
            filter: self.filter(None),
            origin: ThemeOrigin::Any,
            params: AnalysisParams {
                until: Some(period.until),
                ..AnalysisParams::default()
            },
        }
    }
}

/// What the filter bar offers, from the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomChoices {
    /// Complete months, newest first.
    pub months: Vec<String>,
    /// Quarters whose months are all complete, newest first.
    pub quarters: Vec<String>,
    /// Business units.
    pub business_units: Vec<String>,
    /// Customer segments.
    pub segments: Vec<String>,
    /// Channels.
    pub channels: Vec<String>,
}

/// A score in a period, and how it moved since the compared one.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreMove {
    /// Which score.
    pub kind: ScoreKind,
    /// Its answers in the period.
    pub tally: ScoreTally,
    /// The score with its interval, if anyone answered.
    pub now: Option<Estimate>,
    /// In the compared period.
    pub before: Option<Estimate>,
    /// Now minus before, its interval and test.
    pub change: Option<Comparison>,
}

impl ScoreMove {
    fn new(kind: ScoreKind, now: &ScoreTally, before: &ScoreTally) -> Self {
        Self {
            kind,
            tally: *now,
            now: kind.estimate(now),
            before: kind.estimate(before),
            change: kind.compare(now, before),
        }
    }
}

/// A theme whose change of share moved the score.
#[derive(Debug, Clone, PartialEq)]
pub struct Mover {
    /// The theme.
    pub theme: String,
    /// Its name.
    pub name: String,
    /// Items with it in the period.
    pub now: u64,
    /// In the compared period.
    pub before: u64,
    /// Its share of the period's items, now and before.
    pub shares: (f64, f64),
    /// Points of the score its change of share moved it by, estimated.
    pub points: f64,
}

/// A spike or shift the analysis found in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomAlert {
    /// The theme.
    pub theme: String,
    /// Its name.
    pub name: String,
    /// "spike", "shift up", "shift down".
    pub kind: &'static str,
    /// The month it peaked or shifted in.
    pub month: RoomPeriod,
    /// Items with the theme in that month.
    pub count: u64,
    /// Items expected.
    pub expected: f64,
}

/// A fix verified (or not) during or since the period.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomFix {
    /// The issue.
    pub issue: u32,
    /// Its title.
    pub title: String,
    /// The verdict as recorded: `verified`, `recurred` or `inconclusive`.
    pub verdict: String,
    /// In a word for the room: `held` (verified), `failed` (recurred) or `unclear`.
    pub outcome: &'static str,
    /// The day of the fix.
    pub fixed_on: Date,
}

/// A chronic issue under its stage.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomIssue {
    /// The theme's id.
    pub theme: String,
    /// Its name.
    pub name: String,
    /// Rank among all chronic issues (1 is worst).
    pub rank: usize,
    /// Items with it in the analysis' window.
    pub volume: u64,
    /// Items with it in the period shown.
    pub in_period: u64,
    /// Points of the score lost by the customers who mention it, if measured.
    pub impact: Option<f64>,
    /// Revenue at risk, compact (`$2.7M`), if any.
    pub at_risk: Option<String>,
    /// Its share of the items per month of the window: (month, count, share).
    pub months: Vec<(String, u64, f64)>,
    /// The departments that own it (its issue's, else its theme's), by name.
    pub departments: Vec<String>,
    /// The workflow issue opened for it, with its status.
    pub workflow: Option<(u32, Status)>,
    /// Why it is chronic, in a sentence.
    pub explanation: String,
}

/// A leading indicator against its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    /// The issue whose plan it measures.
    pub issue: u32,
    /// What it measures.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// The target, and which way is better (`true`: higher).
    pub target: f64,
    /// Whether higher is better.
    pub higher_is_better: bool,
    /// The latest value and its day, if any is recorded.
    pub latest: Option<(String, f64)>,
    /// Whether the latest value meets the target.
    pub meets: Option<bool>,
}

/// A customer's words.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomVerbatim {
    /// The day it came.
    pub day: String,
    /// The theme's name it is shown for.
    pub theme: String,
    /// The text, masked as stored, on one line.
    pub text: String,
}

/// A stage's column.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomStage {
    /// The stage's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its moments of truth (touchpoint names).
    pub moments: Vec<String>,
    /// The score of the items the source placed at this stage.
    pub score: Option<ScoreMove>,
    /// Its chronic issues, by rank.
    pub issues: Vec<RoomIssue>,
    /// The leading indicators of the issues placed here.
    pub kpis: Vec<Kpi>,
    /// Items of the period carrying a theme placed at this stage (each item once): what the
    /// drill-down's `stage` selects.
    pub mentions: u64,
    /// Fresh verbatims.
    pub verbatims: Vec<RoomVerbatim>,
}

/// A month of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendMonth {
    /// The month.
    pub month: RoomPeriod,
    /// The score, if anyone answered.
    pub score: Option<Estimate>,
}

/// A month marked on the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendMark {
    /// The month, `2026-06`.
    pub month: String,
    /// `spike`, `shift` or `fix`.
    pub kind: &'static str,
    /// A few words: the theme's name, or the issue and its verdict.
    pub note: String,
}

/// A department's commitments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentLoad {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Commitments due later, not met yet.
    pub open: usize,
    /// Commitments past their date, unmet.
    pub overdue: usize,
}

/// An announcement to customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomAnnouncement {
    /// Its number.
    pub id: u32,
    /// When it was made.
    pub day: String,
    /// How many customers it reached.
    pub recipients: u64,
    /// Its progress report's date, and whether it was published.
    pub report_due: Date,
    /// Whether the report was published.
    pub reported: bool,
    /// Whether the report is past due and unpublished.
    pub overdue: bool,
}

/// Everything the room shows.
#[derive(Debug, Clone)]
pub struct RoomView {
    /// The view asked for, resolved.
    pub scope: RoomScope,
    /// A note on how the query was read, when part of it could not be used.
    pub notice: Option<String>,
    /// What the filter bar offers.
    pub choices: RoomChoices,
    /// The analysis of the six months up to the period.
    pub analysis: Arc<Analysis>,
    /// When it was computed (unix seconds).
    pub computed_at: i64,
    /// Items in the period, in the scope.
    pub items: u64,
    /// The score's move.
    pub score: Option<ScoreMove>,
    /// Themes that moved it most.
    pub movers: Vec<Mover>,
    /// Spikes and shifts in the period.
    pub alerts: Vec<RoomAlert>,
    /// Fixes verified or failed since the period began.
    pub fixes: Vec<RoomFix>,
    /// Commitments missed whose date fell in or after the period.
    pub missed: Vec<Commitment>,
    /// The journey's stages.
    pub stages: Vec<RoomStage>,
    /// Chronic issues of themes placed at no stage.
    pub unplaced: Vec<RoomIssue>,
    /// The score by month up to the period.
    pub trend: Vec<TrendMonth>,
    /// Spikes and shifts of the analysis' window and the fixes checked, by month.
    pub marks: Vec<TrendMark>,
    /// Commitments by department.
    pub departments: Vec<DepartmentLoad>,
    /// Announcements made.
    pub announcements: Vec<RoomAnnouncement>,
}

/// Why the room could not be read.
pub type RoomError = WorkflowError;

impl App {
    /// The room for `query` as of `today` (commitments are judged on it).
    pub fn room(&self, query: &RoomQuery, today: Date) -> Result<RoomView, RoomError> {
        // The room is read far more often than the data or the workflow change: a view is
        // computed once per query, version of the data, workflow event and day, and then
        // served from memory.
        let version = self.store().data_version()?;
        let state = self.workflow()?;
        let key = format!("{query:?} {version} {} {today}", state.seq);
        if let Some(view) = self.rooms.get(&key) {
            return Ok(view);
        }
        let view = self.room_of(query, today, &state)?;
        self.rooms.put(key, view.clone());
        Ok(view)
    }

    fn room_of(
        &self,
        query: &RoomQuery,
        today: Date,
        state: &Workflow,
    ) -> Result<RoomView, RoomError> {
        let months = self
            .store()
            .tally_by(Dimension::Month, &FeedbackFilter::default())?;
        let choices = self.room_choices(&months)?;
        let (scope, notice) = resolve_scope(query, &choices);
        let current = self.current_analysis(&scope.analysis_request(&scope.period))?;
        // The compared period's counts are the current window's when it lies inside it.
        let before = if covers(&current.analysis, &scope.compared) {
            current.clone()
        } else {
            self.current_analysis(&scope.analysis_request(&scope.compared))?
        };
        let scoped_months = self
            .store()
            .tally_by(Dimension::Month, &scope.filter(None))?;
        let tally_of = |p: &RoomPeriod| sum_months(&scoped_months, p);
        let (now, then) = (tally_of(&scope.period), tally_of(&scope.compared));
        let kind = score_kind(&now);
        let places = ThemePlaces::load(self)?;
        let mut view = RoomView {
            items: now.items,
            score: kind.map(|k| ScoreMove::new(k, &now, &then)),
            movers: movers((&current.analysis, &before.analysis), &scope, kind, &places),
            alerts: alerts(&current.analysis, &scope.period, &places),
            fixes: fixes(state, scope.period.since),
            missed: missed(state, today, scope.period.since),
            stages: Vec::new(),
            unplaced: Vec::new(),
            trend: trend(&scoped_months, &scope.period, kind),
            marks: Vec::new(),
            departments: departments(self, state, today)?,
            announcements: announcements(state, today),
            analysis: current.analysis.clone(),
            computed_at: current.computed_at,
            choices,
            notice,
            scope,
        };
        view.marks = marks(&view, state, &places);
        self.fill_stages(&mut view, &places, state, kind)?;
        Ok(view)
    }

    /// What the filter bar offers: the complete months and quarters, business units, segments
    /// and channels of all the data.
    fn room_choices(&self, months: &[GroupTally]) -> Result<RoomChoices, RoomError> {
        let complete = complete_months(months);
        let quarters = complete_quarters(&complete);
        let keys = |dimension| -> Result<Vec<String>, RoomError> {
            let groups = self
                .store()
                .tally_by(dimension, &FeedbackFilter::default())?;
            Ok(groups.into_iter().filter_map(|g| g.key).collect())
        };
        let mut segments = HashSet::new();
        self.store().scan_customers(10_000, &mut |page| {
            segments.extend(page.into_iter().filter_map(|c| c.segment));
            ControlFlow::Continue(())
        })?;
        let mut segments: Vec<String> = segments.iter().map(|s| s.as_str().to_owned()).collect();
        segments.sort();
        Ok(RoomChoices {
            months: complete
                .iter()
                .rev()
                .map(|&m| period_label(m, PeriodKind::Month))
                .collect(),
            quarters: quarters
                .iter()
                .rev()
                .map(|&q| period_label(q, PeriodKind::Quarter))
                .collect(),
            business_units: keys(Dimension::BusinessUnit)?,
            segments,
            channels: keys(Dimension::Channel)?,
        })
    }

    /// The stages' columns: scores, issues, indicators, verbatims.
    fn fill_stages(
        &self,
        view: &mut RoomView,
        places: &ThemePlaces,
        state: &Workflow,
        kind: Option<ScoreKind>,
    ) -> Result<(), RoomError> {
        let journey = self.store().journey()?;
        let stage_tally = |period: &RoomPeriod| -> Result<HashMap<String, ScoreTally>, RoomError> {
            let groups = self
                .store()
                .tally_by(Dimension::JourneyStage, &view.scope.filter(Some(period)))?;
            Ok(groups
                .into_iter()
                .filter_map(|g| Some((g.key?, g.tally)))
                .collect())
        };
        let (now, before) = (
            stage_tally(&view.scope.period)?,
            stage_tally(&view.scope.compared)?,
        );
        let (issues, unplaced) = place_issues(&view.analysis, places, state, &view.scope.period);
        let names: HashMap<&str, &str> = view
            .departments
            .iter()
            .map(|d| (d.id.as_str(), d.name.as_str()))
            .collect();
        let named = |mut issue: RoomIssue| {
            for d in &mut issue.departments {
                if let Some(name) = names.get(d.as_str()) {
                    *d = (*name).to_owned();
                }
            }
            issue
        };
        let issues: HashMap<String, Vec<RoomIssue>> = issues
            .into_iter()
            .map(|(stage, list)| (stage, list.into_iter().map(named).collect()))
            .collect();
        view.unplaced = unplaced.into_iter().map(named).collect();
        for stage in journey.iter().flat_map(|j| j.stages()) {
            let id = stage.id.as_str().to_owned();
            let empty = ScoreTally::default();
            let score = kind.map(|k| {
                ScoreMove::new(
                    k,
                    now.get(&id).unwrap_or(&empty),
                    before.get(&id).unwrap_or(&empty),
                )
            });
            view.stages.push(RoomStage {
                name: stage.name.as_str().to_owned(),
                moments: stage
                    .touchpoints
                    .iter()
                    .filter(|t| t.moment_of_truth)
                    .map(|t| t.name.as_str().to_owned())
                    .collect(),
                score,
                issues: issues.get(&id).cloned().unwrap_or_default(),
                kpis: kpis(state, places, &id),
                mentions: 0,
                verbatims: Vec::new(),
                id,
            });
        }
        self.fill_verbatims(view, places)
    }

    /// The newest verbatims of each stage in the period: items carrying one of its issues'
    /// themes (or, without issues, any theme placed at it), with text.
    fn fill_verbatims(&self, view: &mut RoomView, places: &ThemePlaces) -> Result<(), RoomError> {
        let wanted: HashMap<String, usize> = view
            .stages
            .iter()
            .enumerate()
            .flat_map(|(i, stage)| {
                let themes: Vec<String> = if stage.issues.is_empty() {
                    places.themes_at(&stage.id)
                } else {
                    stage.issues.iter().map(|x| x.theme.clone()).collect()
                };
                themes.into_iter().map(move |t| (t, i))
            })
            .collect();
        let column: HashMap<&str, usize> = view
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let filter = view.scope.filter(Some(&view.scope.period));
        // The newest items per stage, by (received, id), with the theme that placed them.
        let mut newest: Vec<Vec<(i64, i64, String)>> = vec![Vec::new(); view.stages.len()];
        let mut mentions = vec![0u64; view.stages.len()];
        self.store()
            .scan_item_themes(&filter, ThemeOrigin::Any, 10_000, &mut |page| {
                for item in page {
                    let stages: HashSet<usize> = item
                        .themes
                        .iter()
                        .filter_map(|t| column.get(places.stage(t)?).copied())
                        .collect();
                    for stage in stages {
                        mentions[stage] += 1;
                    }
                    let mut seen = HashSet::new();
                    for theme in &item.themes {
                        if let Some(&stage) = wanted.get(theme)
                            && seen.insert(stage)
                        {
                            keep_newest(
                                &mut newest[stage],
                                (item.received_at, item.id, theme.clone()),
                            );
                        }
                    }
                }
                ControlFlow::Continue(())
            })?;
        for (stage, count) in view.stages.iter_mut().zip(mentions) {
            stage.mentions = count;
        }
        let ids: HashSet<i64> = newest.iter().flatten().map(|(_, id, _)| *id).collect();
        let texts = self.texts_of(&filter, &ids)?;
        for (stage, picked) in view.stages.iter_mut().zip(newest) {
            stage.verbatims = picked
                .into_iter()
                .filter_map(|(at, id, theme)| {
                    let text = texts.get(&id).filter(|t| !t.is_empty())?;
                    Some(RoomVerbatim {
                        day: day_text(at),
                        theme: places.name(&theme),
                        text: text.clone(),
                    })
                })
                .take(VERBATIMS_PER_STAGE)
                .collect();
        }
        Ok(())
    }

    /// The texts (on one line) of the items `ids` among those `filter` matches.
    fn texts_of(
        &self,
        filter: &FeedbackFilter,
        ids: &HashSet<i64>,
    ) -> Result<HashMap<i64, String>, RoomError> {
        let mut texts = HashMap::new();
        if ids.is_empty() {
            return Ok(texts);
        }
        self.store().scan_feedback(filter, 10_000, &mut |page| {
            for stored in page {
                if ids.contains(&stored.id) {
                    let words: Vec<&str> = stored.item.text.as_str().split_whitespace().collect();
                    texts.insert(stored.id, words.join(" "));
                }
            }
            ControlFlow::Continue(())
        })?;
        Ok(texts)
    }
}

/// Keeps the `VERBATIMS_PER_STAGE` newest of `kept` (newest first) with `item`; items
/// without text are dropped later, so a few spare are kept.
fn keep_newest(kept: &mut Vec<(i64, i64, String)>, item: (i64, i64, String)) {
    let spare = VERBATIMS_PER_STAGE + 2;
    if kept.len() == spare && kept.last().is_some_and(|l| (l.0, l.1) >= (item.0, item.1)) {
        return;
    }
    let at = kept.partition_point(|k| (k.0, k.1) > (item.0, item.1));
    kept.insert(at, item);
    kept.truncate(spare);
}

/// The month index of a `YYYY-MM` label.
fn month_of(label: &str) -> Option<i64> {
    let (year, month) = label.split_once('-')?;
    let (year, month): (i64, i64) = (year.parse().ok()?, month.parse().ok()?);
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// The index of a `YYYY-Qn` label.
fn quarter_of(label: &str) -> Option<i64> {
    let (year, quarter) = label.split_once("-Q")?;
    let (year, quarter): (i64, i64) = (year.parse().ok()?, quarter.parse().ok()?);
    (1..=4).contains(&quarter).then_some(year * 4 + quarter - 1)
}

/// The months of the data, oldest first, without a trailing month still filling up (under
/// half the median volume: the analysis' own rule).
fn complete_months(months: &[GroupTally]) -> Vec<i64> {
    let totals: Vec<PeriodTotal> = months
        .iter()
        .filter_map(|g| {
            Some(PeriodTotal {
                period: month_of(g.key.as_deref()?)?,
                items: g.tally.items,
            })
        })
        .collect();
    let partial = left_out(&totals, &AnalysisParams::default()).map(|t| t.period);
    totals
        .iter()
        .map(|t| t.period)
        .filter(|&m| Some(m) != partial)
        .collect()
}

/// The quarters whose three months are all among `months` (oldest first).
fn complete_quarters(months: &[i64]) -> Vec<i64> {
    let have: HashSet<i64> = months.iter().copied().collect();
    let mut quarters: Vec<i64> = months
        .iter()
        .map(|m| m.div_euclid(3))
        .filter(|q| (0..3).all(|i| have.contains(&(q * 3 + i))))
        .collect();
    quarters.dedup();
    quarters
}

/// The scope the query names, and a note when part of it could not be used (an unknown
/// period falls back to the last complete month, and says so).
fn resolve_scope(query: &RoomQuery, choices: &RoomChoices) -> (RoomScope, Option<String>) {
    let latest = choices.months.first().and_then(|m| month_of(m));
    let asked = query
        .period
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let known = |p: &str| {
        choices
            .months
            .iter()
            .chain(&choices.quarters)
            .any(|c| c == p)
    };
    let (period, mut notice) = match asked {
        Some(p) if known(p) => match quarter_of(p) {
            Some(q) => (RoomPeriod::new(PeriodKind::Quarter, q), None),
            None => (
                RoomPeriod::new(PeriodKind::Month, month_of(p).unwrap_or_default()),
                None,
            ),
        },
        _ if latest.is_none() => (
            RoomPeriod::new(PeriodKind::Month, 0),
            Some(
                "No complete month of feedback is stored yet: import some (`trove import`) or load the demo (`trove demo`)."
                    .to_owned(),
            ),
        ),
        other => {
            let month = RoomPeriod::new(PeriodKind::Month, latest.unwrap_or_default());
            let note = other.map(|p| {
                format!(
                    "The data has no complete period {p}: showing {}, the last complete month.",
                    month.label
                )
            });
            (month, note)
        }
    };
    let channel = query.channel.clone().filter(|c| !c.is_empty());
    if let Some(c) = channel.as_deref()
        && c.parse::<Channel>().is_err()
    {
        notice = Some(format!("{c} is not a channel: showing every channel."));
    }
    let blank = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let scope = RoomScope {
        compared: period.compared(query.compare),
        period,
        compare: query.compare,
        business_unit: blank(&query.business_unit),
        segment: blank(&query.segment),
        channel: channel.filter(|c| c.parse::<Channel>().is_ok()),
    };
    (scope, notice)
}

/// The tally of the months of `period` among `months`.
fn sum_months(months: &[GroupTally], period: &RoomPeriod) -> ScoreTally {
    let first = RoomPeriod::new(PeriodKind::Month, month_index_at(period.since));
    let last = month_index_at(period.until - 1);
    let mut sum = ScoreTally::default();
    for g in months {
        if let Some(m) = g.key.as_deref().and_then(month_of)
            && (first.index..=last).contains(&m)
        {
            add_tally(&mut sum, &g.tally);
        }
    }
    sum
}

fn month_index_at(unix: i64) -> i64 {
    trove_analytics::trend::period_index(unix, PeriodKind::Month)
}

fn add_tally(sum: &mut ScoreTally, t: &ScoreTally) {
    sum.items += t.items;
    sum.nps_n += t.nps_n;
    sum.promoters += t.promoters;
    sum.detractors += t.detractors;
    sum.csat_n += t.csat_n;
    sum.csat_top2 += t.csat_top2;
    sum.ces_n += t.ces_n;
    sum.ces_sum += t.ces_sum;
    sum.ces_high += t.ces_high;
    sum.ces_sum_sq += t.ces_sum_sq;
}

/// The score the room reads: NPS when the period has NPS answers, else CSAT, else CES.
fn score_kind(tally: &ScoreTally) -> Option<ScoreKind> {
    ScoreKind::ALL.into_iter().find(|k| k.answers(tally) > 0)
}

/// Items with `theme` in the months of `period`, from the analysis' per-month counts.
fn count_in(analysis: &Analysis, theme: &ChronicScore, period: &RoomPeriod) -> u64 {
    analysis
        .window_periods
        .iter()
        .zip(&theme.counts)
        .filter(|(p, _)| {
            month_of(&p.period).is_some_and(|m| {
                let start = period_start(m, PeriodKind::Month);
                start >= period.since && start < period.until
            })
        })
        .map(|(_, c)| *c)
        .sum()
}

/// Whether every month of `period` is in the analysis' window.
fn covers(analysis: &Analysis, period: &RoomPeriod) -> bool {
    let months: HashSet<i64> = analysis
        .window_periods
        .iter()
        .filter_map(|p| month_of(&p.period))
        .collect();
    let (first, last) = (
        month_index_at(period.since),
        month_index_at(period.until - 1),
    );
    (first..=last).all(|m| months.contains(&m))
}

/// Items in the months of `period` of the analysis' window.
fn items_in(analysis: &Analysis, period: &RoomPeriod) -> u64 {
    analysis
        .window_periods
        .iter()
        .filter(|p| {
            month_of(&p.period).is_some_and(|m| {
                (period.since..period.until).contains(&period_start(m, PeriodKind::Month))
            })
        })
        .map(|p| p.items)
        .sum()
}

/// The themes whose change of share moved the score most. A theme's impact is the points
/// its mentioners cost the score over the window, at its share of the window's items; to
/// first order the impact is proportional to the share, so a change of share from `s0` to
/// `s1` moves the score by `impact × (s1 − s0) / s`.
fn movers(
    (now, before): (&Analysis, &Analysis),
    scope: &RoomScope,
    kind: Option<ScoreKind>,
    places: &ThemePlaces,
) -> Vec<Mover> {
    let (period_now, period_before) = (&scope.period, &scope.compared);
    let (items_now, items_before) = (items_in(now, period_now), items_in(before, period_before));
    if items_now == 0 || items_before == 0 || now.items == 0 {
        return Vec::new();
    }
    let impact_of = |t: &ChronicScore| match kind {
        Some(ScoreKind::Csat) => t.csat_impact,
        Some(ScoreKind::Nps) => t.nps_impact,
        _ => None,
    };
    let mut movers: Vec<Mover> = now
        .themes
        .iter()
        .filter(|t| t.volume > 0 && t.kind.is_problem())
        .filter_map(|t| {
            let impact = impact_of(t)?;
            let c_now = count_in(now, t, period_now);
            let c_before = before
                .themes
                .iter()
                .find(|b| b.theme == t.theme)
                .map_or(0, |b| count_in(before, b, period_before));
            let shares = (share(c_now, items_now), share(c_before, items_before));
            let window_share = share(t.volume, now.items);
            Some(Mover {
                theme: t.theme.clone(),
                name: places.name(&t.theme),
                now: c_now,
                before: c_before,
                shares,
                points: points_moved(impact, shares, window_share),
            })
        })
        .collect();
    movers.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));
    movers.truncate(MOVERS);
    movers.retain(|m| m.points.abs() >= 0.05);
    movers
}

/// The points of the score a theme's change of share moved it by, to first order: its impact
/// over the window (points lost by its mentioners, at `window_share` of the items) scaled by the
/// change of share from `before` to `now`.
fn points_moved(impact: f64, (now, before): (f64, f64), window_share: f64) -> f64 {
    if window_share > 0.0 {
        impact * (now - before) / window_share
    } else {
        0.0
    }
}

fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

/// Spikes and shifts whose month lies in `period`.
fn alerts(analysis: &Analysis, period: &RoomPeriod, places: &ThemePlaces) -> Vec<RoomAlert> {
    analysis
        .alerts
        .iter()
        .filter_map(|a| {
            let month = RoomPeriod::new(PeriodKind::Month, month_of(&a.period_name)?);
            (month.since >= period.since && month.since < period.until).then(|| RoomAlert {
                name: places.name(&a.theme),
                theme: a.theme.clone(),
                kind: match a.kind {
                    AlertKind::Spike => "spike",
                    AlertKind::ShiftUp => "shift up",
                    AlertKind::ShiftDown => "shift down",
                },
                month,
                count: a.observed_count,
                expected: a.expected_count,
            })
        })
        .collect()
}

/// Verifications recorded since `since`.
fn fixes(state: &Workflow, since: i64) -> Vec<RoomFix> {
    state
        .issues
        .values()
        .filter_map(|issue| {
            let v = issue.verification.as_ref()?;
            (v.at >= since).then(|| RoomFix {
                issue: issue.id,
                title: issue.title.clone(),
                outcome: match v.verdict.as_str() {
                    "verified" => "held",
                    "recurred" => "failed",
                    _ => "unclear",
                },
                verdict: v.verdict.clone(),
                fixed_on: v.fixed_on,
            })
        })
        .collect()
}

/// Commitments missed whose date is on or after the period's first day.
fn missed(state: &Workflow, today: Date, since: i64) -> Vec<Commitment> {
    let first = Workflow::day_of(since);
    commitments(state, today)
        .into_iter()
        .filter(|c| c.standing == Standing::Missed && c.due >= first)
        .collect()
}

/// The score by month, up to the period (at most [`TREND_MONTHS`]).
fn trend(months: &[GroupTally], period: &RoomPeriod, kind: Option<ScoreKind>) -> Vec<TrendMonth> {
    let last = month_index_at(period.until - 1);
    let mut points: Vec<TrendMonth> = months
        .iter()
        .filter_map(|g| {
            let m = month_of(g.key.as_deref()?)?;
            (m <= last).then(|| TrendMonth {
                month: RoomPeriod::new(PeriodKind::Month, m),
                score: kind.and_then(|k| k.estimate(&g.tally)),
            })
        })
        .collect();
    let skip = points.len().saturating_sub(TREND_MONTHS);
    points.drain(..skip);
    points
}

/// The trend's marks: the analysis' spikes and shifts, and every verified fix by its month.
fn marks(view: &RoomView, state: &Workflow, places: &ThemePlaces) -> Vec<TrendMark> {
    let alerts = view.analysis.alerts.iter().map(|a| TrendMark {
        month: a.period_name.clone(),
        kind: if a.kind == AlertKind::Spike {
            "spike"
        } else {
            "shift"
        },
        note: places.name(&a.theme),
    });
    let fixes = state.issues.values().filter_map(|issue| {
        let v = issue.verification.as_ref()?;
        Some(TrendMark {
            month: v.fixed_on.strftime("%Y-%m").to_string(),
            kind: "fix",
            note: format!("issue {}, {}: {}", issue.id, issue.title, v.verdict),
        })
    });
    alerts.chain(fixes).collect()
}

/// Open and overdue commitments per department (every department of the journey and the
/// workflow, busiest first).
fn departments(app: &App, state: &Workflow, today: Date) -> Result<Vec<DepartmentLoad>, RoomError> {
    let mut loads: BTreeMap<String, DepartmentLoad> = app
        .departments(state)?
        .into_iter()
        .map(|(id, name)| {
            let id = id.as_str().to_owned();
            (
                id.clone(),
                DepartmentLoad {
                    id,
                    name,
                    ..DepartmentLoad::default()
                },
            )
        })
        .collect();
    for c in commitments(state, today) {
        let Some(department) = c.department else {
            continue;
        };
        let load = loads
            .entry(department.as_str().to_owned())
            .or_insert_with(|| DepartmentLoad {
                id: department.as_str().to_owned(),
                name: department.as_str().to_owned(),
                ..DepartmentLoad::default()
            });
        match c.standing {
            Standing::Open => load.open += 1,
            Standing::Missed => load.overdue += 1,
            Standing::Met | Standing::MetLate => {}
        }
    }
    let mut loads: Vec<DepartmentLoad> = loads.into_values().collect();
    loads.sort_by_key(|l| (std::cmp::Reverse((l.overdue, l.open)), l.name.clone()));
    Ok(loads)
}

/// Announcements made, newest first.
fn announcements(state: &Workflow, today: Date) -> Vec<RoomAnnouncement> {
    let reports: HashMap<u32, Standing> = commitments(state, today)
        .into_iter()
        .filter_map(|c| match c.promise {
            Promise::ProgressReport(id) => Some((id, c.standing)),
            Promise::Action(_) => None,
        })
        .collect();
    let mut made: Vec<RoomAnnouncement> = state
        .announcements
        .values()
        .map(|a| RoomAnnouncement {
            id: a.id,
            day: day_text(a.at),
            recipients: a.recipients,
            report_due: a.report_due,
            reported: a.reported_on.is_some(),
            overdue: reports.get(&a.id) == Some(&Standing::Missed),
        })
        .collect();
    made.sort_by_key(|a| std::cmp::Reverse(a.id));
    made
}

/// The chronic issues, under the stage their theme is placed at, with their workflow.
fn place_issues(
    analysis: &Analysis,
    places: &ThemePlaces,
    state: &Workflow,
    period: &RoomPeriod,
) -> (HashMap<String, Vec<RoomIssue>>, Vec<RoomIssue>) {
    let mut chronic: Vec<&ChronicScore> = analysis
        .themes
        .iter()
        .filter(|t| t.chronic && t.rank.is_some())
        .collect();
    chronic.sort_by_key(|t| t.rank);
    let mut staged: HashMap<String, Vec<RoomIssue>> = HashMap::new();
    let mut unplaced = Vec::new();
    for theme in chronic {
        let issue = room_issue(analysis, theme, places, state, period);
        match places.stage(&theme.theme) {
            Some(stage) => staged.entry(stage.to_owned()).or_default().push(issue),
            None => unplaced.push(issue),
        }
    }
    (staged, unplaced)
}

fn room_issue(
    analysis: &Analysis,
    theme: &ChronicScore,
    places: &ThemePlaces,
    state: &Workflow,
    period: &RoomPeriod,
) -> RoomIssue {
    let opened = state
        .issues
        .values()
        .filter(|i| i.themes.iter().any(|t| t.as_str() == theme.theme))
        .max_by_key(|i| i.id);
    let departments = match opened {
        Some(issue) => issue
            .departments
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        None => places.departments(&theme.theme),
    };
    let at_risk: Vec<String> = theme.revenue_at_risk.values().map(compact_money).collect();
    RoomIssue {
        theme: theme.theme.clone(),
        name: places.name(&theme.theme),
        rank: theme.rank.unwrap_or(usize::MAX),
        volume: theme.volume,
        in_period: count_in(analysis, theme, period),
        impact: theme.nps_impact.or(theme.csat_impact),
        at_risk: (!at_risk.is_empty()).then(|| at_risk.join(" + ")),
        months: analysis
            .window_periods
            .iter()
            .zip(&theme.counts)
            .map(|(p, &c)| (p.period.clone(), c, share(c, p.items)))
            .collect(),
        departments,
        workflow: opened.map(|i| (i.id, i.status)),
        explanation: theme.explanation.clone(),
    }
}

/// The leading indicators of the workflow issues whose themes are placed at `stage`, each
/// with its latest recorded value.
fn kpis(state: &Workflow, places: &ThemePlaces, stage: &str) -> Vec<Kpi> {
    state
        .issues
        .values()
        .filter(|i| {
            i.themes
                .iter()
                .any(|t| places.stage(t.as_str()) == Some(stage))
        })
        .filter_map(|issue| {
            let indicator = issue.indicator.as_ref()?;
            let latest = state
                .metrics
                .get(&indicator.metric)
                .and_then(|series| series.iter().next_back())
                .map(|(day, value)| (day.to_string(), *value));
            Some(Kpi {
                issue: issue.id,
                name: indicator.name.clone(),
                unit: indicator.unit.clone(),
                target: indicator.target,
                higher_is_better: indicator.direction == trove_workflow::model::Direction::Up,
                meets: latest
                    .as_ref()
                    .map(|(_, v)| indicator.direction.meets(*v, indicator.target)),
                latest,
            })
        })
        .collect()
}

/// Each theme's name, stage, parent and departments, from the stored theme records.
pub(crate) struct ThemePlaces {
    themes: HashMap<String, ThemePlace>,
}

struct ThemePlace {
    name: String,
    stage: Option<String>,
    parent: Option<String>,
    departments: Vec<String>,
}

impl ThemePlaces {
    fn load(app: &App) -> Result<Self, RoomError> {
        let themes = app
            .store()
            .theme_records()?
            .into_iter()
            .map(|stored| {
                let t = stored.theme;
                let place = ThemePlace {
                    name: t.name.as_str().to_owned(),
                    stage: t.stage.map(|s| s.as_str().to_owned()),
                    parent: t.parent.map(|p| p.as_str().to_owned()),
                    departments: t
                        .departments
                        .iter()
                        .map(|d| d.as_str().to_owned())
                        .collect(),
                };
                (t.id.as_str().to_owned(), place)
            })
            .collect();
        Ok(Self { themes })
    }

    fn name(&self, theme: &str) -> String {
        self.themes
            .get(theme)
            .map_or_else(|| theme.to_owned(), |p| p.name.clone())
    }

    fn departments(&self, theme: &str) -> Vec<String> {
        self.lineage(theme)
            .find(|p| !p.departments.is_empty())
            .map(|p| p.departments.clone())
            .unwrap_or_default()
    }

    /// The theme's stage, or its nearest ancestor's.
    fn stage<'a>(&'a self, theme: &'a str) -> Option<&'a str> {
        self.lineage(theme).find_map(|p| p.stage.as_deref())
    }

    /// The themes placed at `stage` (their own or an ancestor's placement).
    fn themes_at(&self, stage: &str) -> Vec<String> {
        self.themes
            .keys()
            .filter(|t| self.stage(t) == Some(stage))
            .cloned()
            .collect()
    }

    /// The theme and its ancestors, nearest first (a cycle guard stops at the depth of the
    /// whole taxonomy).
    fn lineage<'a>(&'a self, theme: &'a str) -> impl Iterator<Item = &'a ThemePlace> + 'a {
        let mut current = Some(theme);
        std::iter::from_fn(move || {
            let place = self.themes.get(current?)?;
            current = place.parent.as_deref();
            Some(place)
        })
        .take(self.themes.len() + 1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn months(labels: &[(&str, u64)]) -> Vec<GroupTally> {
        labels
            .iter()
            .map(|(l, n)| GroupTally {
                key: Some((*l).to_owned()),
                tally: ScoreTally {
                    items: *n,
                    ..ScoreTally::default()
                },
            })
            .collect()
    }

    #[test]
    fn a_trailing_month_still_filling_up_is_not_complete() {
        let data = months(&[
            ("2026-08", 100),
            ("2026-09", 120),
            ("2026-10", 110),
            ("2026-11", 3),
        ]);
        let complete = complete_months(&data);
        assert_eq!(
            complete,
            vec![
                month_of("2026-08").unwrap(),
                month_of("2026-09").unwrap(),
                month_of("2026-10").unwrap()
            ]
        );
        // Q3 (Jul-Sep) lacks July: no complete quarter yet.
        assert!(complete_quarters(&complete).is_empty());
        let data = months(&[
            ("2026-07", 90),
            ("2026-08", 100),
            ("2026-09", 120),
            ("2026-10", 3),
        ]);
        let quarters = complete_quarters(&complete_months(&data));
        assert_eq!(quarters, vec![quarter_of("2026-Q3").unwrap()]);
    }

    #[test]
    fn periods_compare_with_the_one_before_or_a_year_before() {
        let october = RoomPeriod::new(PeriodKind::Month, month_of("2026-10").unwrap());
        assert_eq!(
            october.days(),
            ("2026-10-01".to_owned(), "2026-11-01".to_owned())
        );
        assert_eq!(october.compared(Compare::Previous).label, "2026-09");
        assert_eq!(october.compared(Compare::YearBefore).label, "2025-10");
        let q1 = RoomPeriod::new(PeriodKind::Quarter, quarter_of("2026-Q1").unwrap());
        assert_eq!(q1.compared(Compare::Previous).label, "2025-Q4");
        assert_eq!(q1.compared(Compare::YearBefore).label, "2025-Q1");
        assert_eq!(
            q1.days(),
            ("2026-01-01".to_owned(), "2026-04-01".to_owned())
        );
    }

    #[test]
    fn an_unknown_period_falls_back_to_the_last_complete_month_and_says_so() {
        let choices = RoomChoices {
            months: vec!["2026-10".into(), "2026-09".into()],
            quarters: vec!["2026-Q3".into()],
            ..RoomChoices::default()
        };
        let ask = |period: &str| RoomQuery {
            period: Some(period.to_owned()),
            ..RoomQuery::default()
        };
        let (scope, notice) = resolve_scope(&ask("2026-Q3"), &choices);
        assert_eq!((scope.period.label.as_str(), notice), ("2026-Q3", None));
        assert_eq!(scope.compared.label, "2026-Q2");
        let (scope, notice) = resolve_scope(&ask("1999-01"), &choices);
        assert_eq!(scope.period.label, "2026-10");
        assert!(notice.unwrap().contains("no complete period 1999-01"));
        let (_, notice) = resolve_scope(&RoomQuery::default(), &RoomChoices::default());
        assert!(
            notice
                .unwrap()
                .contains("No complete month of feedback is stored yet")
        );
    }

    #[test]
    fn a_period_sums_its_months() {
        let data = months(&[
            ("2026-06", 5),
            ("2026-07", 7),
            ("2026-08", 11),
            ("2026-09", 13),
        ]);
        let q3 = RoomPeriod::new(PeriodKind::Quarter, quarter_of("2026-Q3").unwrap());
        assert_eq!(sum_months(&data, &q3).items, 31);
    }

    #[test]
    fn a_change_of_share_moves_the_score_in_proportion_to_the_impact() {
        // Worked by hand: a theme in 6.0% of the window's items costs the score 3.7 points;
        // its share rising from 6.1% to 6.7% (+0.6 of 6.0 = a tenth more) costs a tenth more
        // of 3.7: -0.37 points. Falling back by the same moves it up by as much.
        let moved = points_moved(-3.7, (0.067, 0.061), 0.060);
        assert!((moved - -0.37).abs() < 1e-9, "{moved}");
        let back = points_moved(-3.7, (0.061, 0.067), 0.060);
        assert!((back - 0.37).abs() < 1e-9, "{back}");
        assert_eq!(
            points_moved(-3.7, (0.1, 0.0), 0.0),
            0.0,
            "no share, no estimate"
        );
    }

    #[test]
    fn the_newest_are_kept_newest_first() {
        let mut kept = Vec::new();
        for (at, id) in [(5, 1), (9, 2), (1, 3), (7, 4), (9, 5), (2, 6), (8, 7)] {
            keep_newest(&mut kept, (at, id, String::new()));
        }
        let order: Vec<(i64, i64)> = kept.iter().map(|k| (k.0, k.1)).collect();
        assert_eq!(order, vec![(9, 5), (9, 2), (8, 7), (7, 4), (5, 1)]);
    }
}
