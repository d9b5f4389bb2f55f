//! Builds the monthly review ([`MonthlyReport`]) of one business unit from the stored items,
//! the unit's analysis and the workflow.
//!
//! One scan of the unit's items up to the month's end gives the monthly score tallies (the
//! trend, the tests), the two months' answers split by theme (why it moved), the coverage,
//! the themes seen for the first time and the monthly counts of the verified fixes' themes
//! (the annuity ledger). The ranking comes from [`App::current_analysis`] of the unit with the
//! window ending at the month's end (and at the previous month's end, for the movement).
//!
//! Which workflow records belong to a unit: an issue does when one of its themes is carried
//! by the unit's items in the 12 months of the report; a follow-up case when its item is one
//! of the unit's or its issue is one of the unit's; an announcement when one of its issues is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;

use jiff::civil::Date;
use trove_analytics::change::{GroupedValues, METHOD, decompose};
use trove_analytics::scores::ScoreKind;
use trove_analytics::trend::{PeriodKind, period_index, period_label, period_start};
use trove_analytics::verify::{
    RatePeriod, Verdict, VerifyParams, annuity, contacts_avoided_per_month, verify_fix,
};
use trove_domain::{Currency, Money, ScoreTally, Scores};
use trove_store::{Dimension, FeedbackFilter};
use trove_workflow::Workflow;

use crate::analysis::AnalysisRequest;
use crate::report::*;
use crate::{App, WorkflowError};

/// The cost of handling one contact when none is given: a documented default, printed in
/// every report that uses it.
pub const DEFAULT_COST_PER_CONTACT: &str = "5.00 USD";

/// Months of the score trend.
const TREND_MONTHS: i64 = 12;
/// Themes shown by name in "why it moved"; the rest go to "other and untagged".
const CONTRIBUTIONS_SHOWN: usize = 8;
/// Months compared on each side of a fix (the fix's own month left out), as `trove verify`.
const FIX_MONTHS: i64 = 3;
/// Reports kept per business unit.
pub const REPORTS_KEPT: usize = 12;

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The month or the cost is not written as expected.
    #[error("{0}")]
    Invalid(String),
    /// The unit has no items at all.
    #[error(
        "business unit {0:?} has no feedback; `trove summary --by business-unit` lists the units"
    )]
    UnknownUnit(String),
    /// Reading the store or the workflow failed.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
}

impl From<trove_store::StoreError> for ReportError {
    fn from(e: trove_store::StoreError) -> Self {
        Self::Workflow(WorkflowError::from(e))
    }
}

/// The month index of `YYYY-MM`.
pub fn parse_month(raw: &str) -> Result<i64, ReportError> {
    let bad = || ReportError::Invalid(format!("month {raw:?}: write it as YYYY-MM, e.g. 2026-10"));
    let (year, month) = raw.trim().split_once('-').ok_or_else(bad)?;
    let year: i64 = year
        .parse()
        .ok()
        .filter(|y| (1970..=9999).contains(y))
        .ok_or_else(bad)?;
    let month: i64 = month
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(bad)?;
    Ok(year * 12 + month - 1)
}

/// Reads a cost such as "6.50 USD".
pub fn parse_cost(raw: &str) -> Result<Money, ReportError> {
    let bad = |why: String| ReportError::Invalid(format!("cost per contact {raw:?}: {why}"));
    let (amount, currency) = raw
        .trim()
        .rsplit_once(' ')
        .ok_or_else(|| bad("write an amount and a currency, e.g. \"6.50 USD\"".into()))?;
    let currency = Currency::parse(currency).map_err(|e| bad(e.to_string()))?;
    Money::parse(amount, currency).map_err(|e| bad(e.to_string()))
}

/// The day of a unix time (UTC), `YYYY-MM-DD`.
fn day_of(unix: i64) -> String {
    period_label(period_index(unix, PeriodKind::Day), PeriodKind::Day)
}

/// A `jiff` date of a unix time (UTC).
fn date_of(unix: i64) -> Date {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default()
}

/// The item's value on a score's 0/100 (or ±100) coding, whose mean is the score.
fn coded(kind: ScoreKind, scores: &Scores) -> Option<f64> {
    match kind {
        ScoreKind::Nps => scores.nps.map(|s| {
            if s.is_promoter() {
                100.0
            } else if s.is_detractor() {
                -100.0
            } else {
                0.0
            }
        }),
        ScoreKind::Csat => scores
            .csat
            .map(|s| if s.value() >= 4 { 100.0 } else { 0.0 }),
        ScoreKind::Ces => scores.ces.map(|s| if s.value() >= 5 { 100.0 } else { 0.0 }),
    }
}

/// What one scan of the unit's items gathers.
#[derive(Default)]
struct UnitScan {
    tallies: HashMap<i64, ScoreTally>,
    /// Per score kind: (previous month, this month).
    grouped: BTreeMap<ScoreKind, (GroupedValues, GroupedValues)>,
    items: u64,
    tagged: u64,
    first_seen: HashMap<String, i64>,
    this_month_themes: HashMap<String, u64>,
    /// Themes carried in the report's 12 months.
    recent_themes: HashSet<String>,
    item_ids: HashSet<i64>,
    /// Items per month, and per (theme, month) for the watched themes.
    month_items: HashMap<i64, u64>,
    watched: HashMap<(String, i64), u64>,
}

impl App {
    /// The units with feedback, sorted.
    pub fn business_units(&self) -> Result<Vec<String>, ReportError> {
        let groups = self
            .store()
            .tally_by(Dimension::BusinessUnit, &FeedbackFilter::default())?;
        Ok(groups.into_iter().filter_map(|g| g.key).collect())
    }

    /// The monthly review of `unit` for `month` (`YYYY-MM`), made `now` (unix seconds), with
    /// the annuity at `cost_per_contact` (else [`DEFAULT_COST_PER_CONTACT`]).
    pub fn monthly_report(
        &self,
        unit: &str,
        month: &str,
        cost_per_contact: Option<Money>,
        now: i64,
    ) -> Result<MonthlyReport, ReportError> {
        let index = parse_month(month)?;
        if !self.business_units()?.iter().any(|u| u == unit) {
            return Err(ReportError::UnknownUnit(unit.to_owned()));
        }
        let (from, to) = (
            period_start(index, PeriodKind::Month),
            period_start(index + 1, PeriodKind::Month),
        );
        let workflow = self.workflow()?;
        let verified = verified_themes(&workflow);
        let scan = self.scan_unit(unit, index, to, &verified)?;
        let mut notes = Vec::new();
        let issues = self.issues_section(unit, from, to, &mut notes)?;
        let unit_issues: HashSet<u32> = workflow
            .issues
            .values()
            .filter(|i| {
                i.themes
                    .iter()
                    .any(|t| scan.recent_themes.contains(t.as_str()))
            })
            .map(|i| i.id)
            .collect();
        let as_of = date_of(to.min(now.max(from + 1)) - 1);
        let (cost, cost_source) = match cost_per_contact {
            Some(cost) => (cost, "given"),
            None => (parse_cost(DEFAULT_COST_PER_CONTACT)?, "default"),
        };
        let scores = score_sections(&scan, index);
        let why_it_moved = score_changes(&scan, index);
        for score in &scores {
            if !why_it_moved.iter().any(|c| c.kind == score.kind) {
                notes.push(format!(
                    "{}: no answers in {}, so its change is not split by theme",
                    score.name,
                    period_label(index - 1, PeriodKind::Month)
                ));
            }
        }
        Ok(MonthlyReport {
            schema_version: SCHEMA_VERSION,
            business_unit: unit.to_owned(),
            month: period_label(index, PeriodKind::Month),
            from: day_of(from),
            to: day_of(to),
            generated_at: now,
            items: scan.items,
            scores,
            why_it_moved,
            issues,
            action_plan: action_plan(&workflow, &unit_issues, as_of, date_of(from)),
            loop_closure: loop_closure(&workflow, &unit_issues, &scan.item_ids, from, to),
            coverage: coverage(&scan, index),
            annuity: annuity_ledger(
                &workflow,
                &unit_issues,
                &scan,
                index,
                cost,
                cost_source,
                &mut notes,
            ),
            notes,
        })
    }

    /// One pass over the unit's items received before `to`.
    fn scan_unit(
        &self,
        unit: &str,
        index: i64,
        to: i64,
        watched: &HashSet<String>,
    ) -> Result<UnitScan, ReportError> {
        let filter = FeedbackFilter {
            business_unit: Some(unit.to_owned()),
            until: Some(to),
            ..FeedbackFilter::default()
        };
        let mut scan = UnitScan::default();
        self.store().scan_item_themes(
            &filter,
            trove_store::ThemeOrigin::default(),
            10_000,
            &mut |page| {
                for item in &page {
                    scan.add(item, index, watched);
                }
                ControlFlow::Continue(())
            },
        )?;
        Ok(scan)
    }

    /// The unit's listed themes at the month's end against the previous month's end.
    fn issues_section(
        &self,
        unit: &str,
        from: i64,
        to: i64,
        notes: &mut Vec<String>,
    ) -> Result<IssuesSection, ReportError> {
        let request = |until: i64| {
            let mut request = AnalysisRequest::default();
            request.filter.business_unit = Some(unit.to_owned());
            request.params.until = Some(until);
            request
        };
        let now = self.current_analysis(&request(to))?;
        let before = self.current_analysis(&request(from))?;
        let listed = |a: &trove_analytics::analysis::Analysis| -> Vec<String> {
            a.themes
                .iter()
                .filter(|t| t.listed)
                .map(|t| t.theme.clone())
                .collect()
        };
        let previous = listed(&before.analysis);
        let rank_before = |theme: &str| previous.iter().position(|t| t == theme).map(|p| p + 1);
        let themes: Vec<IssueLine> = now
            .analysis
            .themes
            .iter()
            .filter(|t| t.listed)
            .enumerate()
            .map(|(i, t)| {
                let rank = i + 1;
                let previous_rank = rank_before(&t.theme);
                IssueLine {
                    theme: t.theme.clone(),
                    label: t.label.as_str().to_owned(),
                    rank,
                    previous_rank,
                    movement: match previous_rank {
                        None => Movement::New,
                        Some(p) if p > rank => Movement::Rising,
                        Some(p) if p < rank => Movement::Falling,
                        Some(_) => Movement::Steady,
                    },
                    volume: t.volume,
                    customers: t.customers,
                    nps_impact: t.nps_impact,
                    csat_impact: t.csat_impact,
                    revenue_at_risk: t.revenue_at_risk.values().map(|&m| m.into()).collect(),
                }
            })
            .collect();
        let resolved = previous
            .iter()
            .enumerate()
            .filter(|(_, theme)| !themes.iter().any(|t| &t.theme == *theme))
            .map(|(i, theme)| ResolvedLine {
                theme: theme.clone(),
                previous_rank: i + 1,
            })
            .collect();
        if now.analysis.items == 0 {
            notes.push("the unit has no items in the analysis window: no ranking".to_owned());
        }
        let (first, last) = &now.analysis.window_labels;
        let window = &now.analysis.window;
        let (window_from, window_to) = match (window.first(), window.last()) {
            (Some(a), Some(b)) => (
                day_of(period_start(a.period, PeriodKind::Month)),
                day_of(period_start(b.period + 1, PeriodKind::Month)),
            ),
            _ => (day_of(from), day_of(to)),
        };
        Ok(IssuesSection {
            window: format!("{first}..{last}"),
            window_from,
            window_to,
            computed_at: now.computed_at,
            themes,
            resolved,
        })
    }
}

impl UnitScan {
    fn add(&mut self, item: &trove_store::ItemThemes, index: i64, watched: &HashSet<String>) {
        let month = period_index(item.received_at, PeriodKind::Month);
        self.tallies.entry(month).or_default().add(&item.scores);
        *self.month_items.entry(month).or_default() += 1;
        for theme in &item.themes {
            let first = self.first_seen.entry(theme.clone()).or_insert(month);
            *first = (*first).min(month);
            if watched.contains(theme) {
                *self.watched.entry((theme.clone(), month)).or_default() += 1;
            }
            if month > index - TREND_MONTHS {
                self.recent_themes.insert(theme.clone());
            }
        }
        self.item_ids.insert(item.id);
        if month == index || month == index - 1 {
            for kind in ScoreKind::ALL {
                if let Some(value) = coded(kind, &item.scores) {
                    let pair = self.grouped.entry(kind).or_default();
                    let side = if month == index {
                        &mut pair.1
                    } else {
                        &mut pair.0
                    };
                    side.add(value, &item.themes);
                }
            }
        }
        if month == index {
            self.items += 1;
            self.tagged += u64::from(!item.themes.is_empty());
            for theme in &item.themes {
                *self.this_month_themes.entry(theme.clone()).or_default() += 1;
            }
        }
    }

    fn tally(&self, month: i64) -> ScoreTally {
        self.tallies.get(&month).copied().unwrap_or_default()
    }
}

/// The scores the unit has answers for this month.
fn score_sections(scan: &UnitScan, index: i64) -> Vec<ScoreSection> {
    let this = scan.tally(index);
    ScoreKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let estimate = kind.estimate(&this)?;
            let test = |other: i64| {
                let tally = scan.tally(other);
                Some(ScoreTest {
                    month: period_label(other, PeriodKind::Month),
                    estimate: kind.estimate(&tally)?,
                    comparison: kind.compare(&this, &tally)?,
                })
            };
            Some(ScoreSection {
                kind,
                name: kind.name().to_owned(),
                scale: kind.scale().to_owned(),
                estimate,
                trend: (index - TREND_MONTHS + 1..=index)
                    .map(|m| MonthScore {
                        month: period_label(m, PeriodKind::Month),
                        estimate: kind.estimate(&scan.tally(m)),
                    })
                    .collect(),
                vs_previous_month: test(index - 1),
                vs_year_before: test(index - 12),
            })
        })
        .collect()
}

/// Each score's change since the previous month, split by theme.
fn score_changes(scan: &UnitScan, index: i64) -> Vec<ScoreChange> {
    scan.grouped
        .iter()
        .filter_map(|(&kind, (before, after))| {
            let d = decompose(before, after)?;
            Some(ScoreChange {
                kind,
                from_month: period_label(index - 1, PeriodKind::Month),
                before: d.before,
                after: d.after,
                total_change: d.total_change,
                method: METHOD.to_owned(),
                contributions: d.top(CONTRIBUTIONS_SHOWN),
                all_contributions: d.contributions,
            })
        })
        .collect()
}

fn coverage(scan: &UnitScan, index: i64) -> CoverageSection {
    let mut new_themes: Vec<NewTheme> = scan
        .this_month_themes
        .iter()
        .filter(|(theme, _)| scan.first_seen.get(*theme) == Some(&index))
        .map(|(theme, &items)| NewTheme {
            theme: theme.clone(),
            items,
        })
        .collect();
    new_themes.sort_by(|a, b| b.items.cmp(&a.items).then(a.theme.cmp(&b.theme)));
    CoverageSection {
        items: scan.items,
        tagged: scan.tagged,
        share: (scan.items > 0).then(|| scan.tagged as f64 / scan.items as f64),
        new_themes,
    }
}

/// The themes of issues whose latest verification says `verified`.
fn verified_themes(workflow: &Workflow) -> HashSet<String> {
    workflow
        .issues
        .values()
        .filter(|i| {
            i.verification
                .as_ref()
                .is_some_and(|v| v.verdict == "verified")
        })
        .flat_map(|i| i.themes.iter().map(|t| t.as_str().to_owned()))
        .collect()
}

/// Plans, missed commitments and verified fixes of the unit's issues, judged on `as_of`.
fn action_plan(
    workflow: &Workflow,
    unit_issues: &HashSet<u32>,
    as_of: Date,
    month_start: Date,
) -> ActionPlanSection {
    let late = |a: &trove_workflow::model::Action| -> Option<(Option<Date>, i64)> {
        if a.due >= as_of {
            return None;
        }
        let met = a.met_on().filter(|&m| m <= as_of);
        match met {
            Some(m) if m <= a.due => None,
            Some(m) => Some((Some(m), (m - a.due).get_days().into())),
            None => Some((None, days_between(a.due, as_of))),
        }
    };
    let mut issues = Vec::new();
    let mut missed: BTreeMap<String, Vec<MissedAction>> = BTreeMap::new();
    let mut verified_fixes = Vec::new();
    for issue in workflow
        .issues
        .values()
        .filter(|i| unit_issues.contains(&i.id))
    {
        let actions: Vec<_> = workflow
            .actions
            .values()
            .filter(|a| a.issue == issue.id)
            .collect();
        let mut actions_late = 0;
        for action in &actions {
            let Some((met_on, days_late)) = late(action) else {
                continue;
            };
            actions_late += 1;
            // A month's report shows what is still open, and what was met late this month.
            if met_on.is_none_or(|m| m >= month_start) {
                missed
                    .entry(action.department.as_str().to_owned())
                    .or_default()
                    .push(MissedAction {
                        action: action.id,
                        issue: issue.id,
                        what: action.what.clone(),
                        owner: action.owner.clone(),
                        due: action.due.to_string(),
                        met_on: met_on.map(|m| m.to_string()),
                        days_late,
                    });
            }
        }
        let verification = issue.verification.as_ref().map(|v| VerificationLine {
            verdict: v.verdict.clone(),
            fixed_on: v.fixed_on.to_string(),
            rate_ratio: v.rate_ratio,
            ci_low: v.ci.map(|c| c.0),
            ci_high: v.ci.map(|c| c.1),
        });
        if let Some(v) = issue
            .verification
            .as_ref()
            .filter(|v| v.verdict == "verified")
        {
            verified_fixes.push(VerifiedFix {
                issue: issue.id,
                title: issue.title.clone(),
                fixed_on: v.fixed_on.to_string(),
                rate_ratio: v.rate_ratio,
            });
        }
        issues.push(PlanLine {
            id: issue.id,
            title: issue.title.clone(),
            status: issue.status.as_str().to_owned(),
            themes: issue.themes.iter().map(|t| t.as_str().to_owned()).collect(),
            lead: issue.lead.as_str().to_owned(),
            actions_total: actions.len(),
            actions_done: actions
                .iter()
                .filter(|a| a.met_on().is_some_and(|m| m <= as_of))
                .count(),
            actions_late,
            verification,
        });
    }
    ActionPlanSection {
        as_of: as_of.to_string(),
        issues,
        missed: missed
            .into_iter()
            .map(|(department, mut actions)| {
                actions.sort_by_key(|a| std::cmp::Reverse(a.days_late));
                MissedByDepartment {
                    department,
                    actions,
                }
            })
            .collect(),
        verified_fixes,
    }
}

/// Whole days from `a` to `b`.
fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map_or(0, |span| span.get_days().into())
}

/// Follow-ups, announcements and progress reports of the month.
fn loop_closure(
    workflow: &Workflow,
    unit_issues: &HashSet<u32>,
    unit_items: &HashSet<i64>,
    from: i64,
    to: i64,
) -> LoopClosure {
    let in_month = |t: i64| (from..to).contains(&t);
    let cases: Vec<_> = workflow
        .cases
        .values()
        .filter(|c| {
            c.feedback_id.is_some_and(|f| unit_items.contains(&f))
                || c.issue.is_some_and(|i| unit_issues.contains(&i))
        })
        .collect();
    let closed: Vec<_> = cases
        .iter()
        .filter(|c| c.closed_at.is_some_and(in_month))
        .collect();
    let within = closed
        .iter()
        .filter(|c| c.closed_at.is_some_and(|t| t <= c.due_at))
        .count() as u64;
    let recorded: Vec<bool> = closed
        .iter()
        .filter_map(|c| c.first_contact_resolution)
        .collect();
    let announcements: Vec<_> = workflow
        .announcements
        .values()
        .filter(|a| a.issues.iter().any(|i| unit_issues.contains(i)))
        .collect();
    let (first_day, last_day) = (date_of(from), date_of(to - 1));
    let due_in_month = |d: Date| d >= first_day && d <= last_day;
    LoopClosure {
        cases_opened: cases.iter().filter(|c| in_month(c.opened_at)).count() as u64,
        cases_closed: closed.len() as u64,
        closed_within_sla: within,
        closed_late: closed.len() as u64 - within,
        open_past_sla: cases
            .iter()
            .filter(|c| c.opened_at < to && c.closed_at.is_none_or(|t| t >= to) && c.due_at < to)
            .count() as u64,
        first_contact_resolution: (!recorded.is_empty()).then(|| FirstContact {
            resolved: recorded.iter().filter(|&&r| r).count() as u64,
            recorded: recorded.len() as u64,
        }),
        announcements: announcements
            .iter()
            .filter(|a| in_month(a.at))
            .map(|a| AnnouncementLine {
                id: a.id,
                issues: a.issues.clone(),
                at: a.at,
                recipients: a.recipients,
                report_due: a.report_due.to_string(),
                reported_on: a.reported_on.map(|d| d.to_string()),
            })
            .collect(),
        progress_reports_due: announcements
            .iter()
            .filter(|a| due_in_month(a.report_due))
            .count() as u64,
        progress_reports_published: announcements
            .iter()
            .filter(|a| a.reported_on.is_some_and(due_in_month))
            .count() as u64,
        progress_reports_overdue: announcements
            .iter()
            .filter(|a| a.report_due <= last_day && a.reported_on.is_none_or(|d| d > last_day))
            .count() as u64,
    }
}

/// The savings of each verified fix of the unit's issues, on the unit's own items.
fn annuity_ledger(
    workflow: &Workflow,
    unit_issues: &HashSet<u32>,
    scan: &UnitScan,
    index: i64,
    cost: Money,
    cost_source: &str,
    notes: &mut Vec<String>,
) -> AnnuityLedger {
    let mut fixes = Vec::new();
    for issue in workflow
        .issues
        .values()
        .filter(|i| unit_issues.contains(&i.id))
    {
        let Some(v) = issue
            .verification
            .as_ref()
            .filter(|v| v.verdict == "verified")
        else {
            continue;
        };
        let fix_month = period_index(
            v.fixed_on
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_or(0, |z| z.timestamp().as_second()),
            PeriodKind::Month,
        );
        for theme in &issue.themes {
            match fix_line(scan, issue.id, theme.as_str(), fix_month, index, cost) {
                Ok(mut line) => {
                    line.fixed_on = v.fixed_on.to_string();
                    fixes.push(line);
                }
                Err(why) => notes.push(format!(
                    "issue {} ({}): no annuity for {}: {why}",
                    issue.id, issue.title, theme
                )),
            }
        }
    }
    let sum =
        |f: fn(&AnnuityLine) -> i64| Money::from_minor(fixes.iter().map(f).sum(), cost.currency());
    AnnuityLedger {
        cost_per_contact: cost.into(),
        cost_source: cost_source.to_owned(),
        total_per_year: sum(|l| l.per_year.minor).into(),
        total_to_date: sum(|l| l.to_date.minor).into(),
        fixes,
    }
}

/// One theme's savings: the rate in the [`FIX_MONTHS`] months before the fix's month against
/// the (up to) [`FIX_MONTHS`] after it, up to the report's month.
fn fix_line(
    scan: &UnitScan,
    issue: u32,
    theme: &str,
    fix_month: i64,
    index: i64,
    cost: Money,
) -> Result<AnnuityLine, String> {
    let period = |m: i64| RatePeriod {
        count: scan
            .watched
            .get(&(theme.to_owned(), m))
            .copied()
            .unwrap_or(0),
        exposure: scan.month_items.get(&m).copied().unwrap_or(0),
    };
    let before: Vec<RatePeriod> = (fix_month - FIX_MONTHS..fix_month).map(period).collect();
    let after: Vec<RatePeriod> = (fix_month + 1..=index.min(fix_month + FIX_MONTHS))
        .map(period)
        .collect();
    if after.is_empty() {
        return Err("no whole month after the fix yet".to_owned());
    }
    let params = VerifyParams::default();
    let verification = verify_fix(&before, &after, &params)
        .ok_or_else(|| "the unit's items did not carry it before the fix".to_owned())?;
    if verification.verdict != Verdict::Verified {
        // The workflow recorded a verification on all items; on this unit's it may not hold.
        return Err(format!(
            "on this unit's items the drop is {:?} (rate ratio {:.2})",
            verification.verdict, verification.rate_ratio
        ));
    }
    let monthly_items = after.iter().map(|p| p.exposure as f64).sum::<f64>() / after.len() as f64;
    let avoided = contacts_avoided_per_month(
        verification.rate_before / params.per,
        verification.rate_after / params.per,
        monthly_items,
    );
    let months_since = u32::try_from(index - fix_month).unwrap_or(0);
    let per_year = annuity(avoided, cost).ok_or_else(|| "the amount overflows".to_owned())?;
    let to_date = Money::from_minor(
        (avoided * cost.minor() as f64 * f64::from(months_since)).round() as i64,
        cost.currency(),
    );
    Ok(AnnuityLine {
        issue,
        theme: theme.to_owned(),
        fixed_on: period_label(fix_month, PeriodKind::Month),
        rate_before: verification.rate_before,
        rate_after: verification.rate_after,
        monthly_items,
        contacts_avoided_per_month: avoided,
        months_since,
        per_year: per_year.into(),
        to_date: to_date.into(),
    })
}

impl App {
    /// Keeps `report` (its JSON) as the unit's report of its month, replacing an older one
    /// and dropping the unit's reports beyond its [`REPORTS_KEPT`] newest months.
    pub fn keep_report(&self, report: &MonthlyReport) -> Result<(), ReportError> {
        let json = serde_json::to_string(report)
            .map_err(|e| ReportError::Invalid(format!("writing the report as JSON: {e}")))?;
        self.store().save_report(
            &trove_store::StoredReport {
                business_unit: report.business_unit.clone(),
                month: report.month.clone(),
                generated_at: report.generated_at,
                json,
            },
            REPORTS_KEPT,
        )?;
        Ok(())
    }

    /// The kept reports, by unit, newest month first.
    pub fn kept_reports(&self) -> Result<Vec<trove_store::ReportHead>, ReportError> {
        Ok(self.store().report_heads()?)
    }

    /// The kept report of `unit` and `month`, if any.
    pub fn kept_report(
        &self,
        unit: &str,
        month: &str,
    ) -> Result<Option<MonthlyReport>, ReportError> {
        self.store()
            .stored_report(unit, month)?
            .map(|stored| {
                serde_json::from_str(&stored.json).map_err(|e| {
                    ReportError::Invalid(format!(
                        "the kept report of {unit} {month} cannot be read ({e}); make it again"
                    ))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A unit with 1,000 items a month; the theme in 40 of them for the 3 months before the
    /// fix's month and 20 after.
    fn scan(fix_month: i64, through: i64) -> UnitScan {
        let mut scan = UnitScan::default();
        for month in fix_month - 3..=through {
            scan.month_items.insert(month, 1_000);
            let count = if month < fix_month { 40 } else { 20 };
            scan.watched
                .insert(("late-payout".to_owned(), month), count);
        }
        scan
    }

    /// By hand: rate before 40 per 1,000, after 20 (rate ratio 0.5, interval 0.37..0.68:
    /// verified); avoided (0.040 − 0.020) × 1,000 = 20 contacts a month; at 6.50 USD that is
    /// 20 × 6.50 × 12 = 1,560.00 USD a year, and over the 5 months from the fix's month to the
    /// report's, 20 × 6.50 × 5 = 650.00 USD to date.
    #[test]
    fn a_verified_fix_saves_contacts_avoided_times_the_cost() {
        let fix = 2026 * 12 + 4; // 2026-05
        let cost = parse_cost("6.50 USD").unwrap();
        let line = fix_line(&scan(fix, fix + 5), 1, "late-payout", fix, fix + 5, cost).unwrap();
        assert!((line.rate_before - 40.0).abs() < 1e-9 && (line.rate_after - 20.0).abs() < 1e-9);
        assert!((line.monthly_items - 1_000.0).abs() < 1e-9);
        assert!((line.contacts_avoided_per_month - 20.0).abs() < 1e-9);
        assert_eq!(line.months_since, 5);
        assert_eq!(line.per_year.minor, 156_000);
        assert_eq!(line.per_year.text, "1,560.00 USD");
        assert_eq!(line.to_date.minor, 65_000);
        // No whole month after the fix yet, or nothing before it: no line, and why.
        let why = fix_line(&scan(fix, fix), 1, "late-payout", fix, fix, cost).unwrap_err();
        assert!(why.contains("no whole month after"), "{why}");
        let why = fix_line(&scan(fix, fix + 2), 1, "other", fix, fix + 2, cost).unwrap_err();
        assert!(why.contains("did not carry it"), "{why}");
    }

    #[test]
    fn months_and_costs_are_read_or_refused_in_words() {
        assert_eq!(parse_month("2026-10").unwrap(), 2026 * 12 + 9);
        for bad in ["2026-13", "2026", "26-10", "october"] {
            assert!(
                parse_month(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("YYYY-MM"),
                "{bad}"
            );
        }
        assert_eq!(parse_cost("6.50 USD").unwrap().minor(), 650);
        assert!(
            parse_cost("6.50")
                .unwrap_err()
                .to_string()
                .contains("currency")
        );
    }
}
