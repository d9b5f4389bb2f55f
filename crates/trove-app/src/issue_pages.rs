//! The reads and changes behind the web's ranking and theme pages: the chronic ranking as
//! `trove issues` lists it (with each theme's departments and workflow status), a theme's page
//! (its trend, figures, verbatims, and the issue opened for it with its whole loop), and the
//! use cases the pages' forms call (opening an issue from a theme, recording a verification).
//! Every change still goes through [`App::act`] and its rules.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use trove_analytics::analysis::Analysis;
use trove_analytics::chronic::ChronicScore;
use trove_analytics::spikes::Alert;
use trove_analytics::trend::{PeriodKind, period_label, period_start};
use trove_domain::Slug;
use trove_store::ThemeOrigin;
use trove_workflow::model::{Action, Announcement, Case, Issue, Role, Status, User, WhyChain};
use trove_workflow::views::{Commitment, Promise, Verbatim, commitments};
use trove_workflow::{Change, Workflow, ids, rules};

use crate::analysis::{AnalysisRequest, CurrentAnalysis};
use crate::{App, Clock, WorkflowError};

/// Verbatims a theme's page shows.
const VERBATIMS: usize = 5;

/// The days an analysis window covers: `from` its first day, `to` the day after its last
/// (exclusive), as the drill-down's `from` and `to` take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    /// The first day.
    pub from: Date,
    /// The day after the last (exclusive).
    pub to: Date,
}

/// One period of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowPeriod {
    /// Its name ("2026-05", "2026-W21").
    pub label: String,
    /// Its days.
    pub days: Days,
    /// All items in it.
    pub items: u64,
}

/// Where an issue about a theme stands, for the ranking's status column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueStatus {
    /// The issue's number.
    pub issue: u32,
    /// Its status.
    pub status: Status,
    /// Its commitments missed as of today.
    pub missed: usize,
}

/// One row of the ranking: a theme's figures as the analysis found them, with what the
/// taxonomy and the workflow say about it.
#[derive(Debug, Clone)]
pub struct RankingRow {
    /// The analysis' figures (rank, label, volume, customers, persistence, impact...).
    pub score: ChronicScore,
    /// The theme's name (its id when the taxonomy has none).
    pub name: String,
    /// The departments the taxonomy names for it (names), or the issue's when one is open.
    pub departments: Vec<String>,
    /// The newest issue about it, if any.
    pub issue: Option<IssueStatus>,
    /// Items per window period, aligned with [`Ranking::periods`].
    pub counts: Vec<u64>,
}

/// The ranking page's content.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// The analysis and when it was computed.
    pub current: CurrentAnalysis,
    /// The window's periods, oldest first.
    pub periods: Vec<WindowPeriod>,
    /// The whole window's days (none when the window is empty).
    pub window: Option<Days>,
    /// The themes `trove issues` lists, in its order (chronic by rank, then spikes, shifts and
    /// significant losses); praise, suggestions and questions among them are in `apart`.
    pub rows: Vec<RankingRow>,
    /// Listed themes that are not problems (praise, suggestions, questions), never ranked.
    pub apart: Vec<RankingRow>,
    /// The score whose impact is shown: "NPS" or "CSAT".
    pub impact_score: &'static str,
    /// What each column and label means, with the thresholds in use: (term, meaning).
    pub legend: Vec<(String, String)>,
}

/// A figure of an action's progress, as the log recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressReport {
    /// When (unix seconds).
    pub at: i64,
    /// Who.
    pub by: String,
    /// Percent complete.
    pub percent: u8,
    /// The note.
    pub note: Option<String>,
}

/// An action of an issue's plan, with its commitment and history.
#[derive(Debug, Clone)]
pub struct PlannedAction {
    /// The action.
    pub action: Action,
    /// The root cause it removes (its chain's last why).
    pub root_cause: String,
    /// Its owner's name (the e-mail when unknown).
    pub owner_name: String,
    /// Its commitment as of today (open, met, met late, missed, with days late).
    pub commitment: Option<Commitment>,
    /// Its progress reports, oldest first.
    pub progress: Vec<ProgressReport>,
    /// Whether the signed-in person may report progress on it.
    pub can_progress: bool,
    /// Whether the signed-in person may re-plan it.
    pub can_replan: bool,
}

/// An announcement with its progress report's commitment.
#[derive(Debug, Clone)]
pub struct AnnouncementView {
    /// The announcement.
    pub announcement: Announcement,
    /// Its promised report as of today.
    pub report: Option<Commitment>,
    /// How many it was e-mailed to, and the day of its last sending.
    pub sent: Option<(u64, Date)>,
    /// How many its progress report was e-mailed to, and the day.
    pub report_sent: Option<(u64, Date)>,
}

/// A department the signed-in person may plan an action for.
#[derive(Debug, Clone)]
pub struct Plannable {
    /// The department.
    pub department: Slug,
    /// Its name.
    pub name: String,
    /// Who may own the action there: (e-mail, name).
    pub owners: Vec<(String, String)>,
}

/// What the signed-in person may do on an issue (the rules decide again on every post).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IssueControls {
    /// Record a five-whys chain.
    pub whys: bool,
    /// Move the issue on.
    pub moves: bool,
    /// Record a verification.
    pub verify: bool,
}

/// An issue about a theme, with its whole loop.
#[derive(Debug, Clone)]
pub struct IssueFile {
    /// The issue.
    pub issue: Issue,
    /// Its departments' names, lead first.
    pub departments: Vec<(Slug, String)>,
    /// Its five-whys chains.
    pub chains: Vec<WhyChain>,
    /// Its one-page plan's actions.
    pub actions: Vec<PlannedAction>,
    /// Its follow-up cases.
    pub cases: Vec<Case>,
    /// Cases past their service-level deadline.
    pub breached: usize,
    /// Its announcements.
    pub announcements: Vec<AnnouncementView>,
    /// The statuses it may move to next.
    pub next: Vec<Status>,
    /// The departments the signed-in person may plan actions for, with the people who may own
    /// them there.
    pub plannable: Vec<Plannable>,
    /// What else the signed-in person may do.
    pub controls: IssueControls,
}

/// A theme's page.
#[derive(Debug, Clone)]
pub struct ThemeFile {
    /// The theme's id.
    pub theme: String,
    /// Its name.
    pub name: String,
    /// Its description, when the taxonomy gives one.
    pub description: Option<String>,
    /// Its departments (names), as the taxonomy names them.
    pub departments: Vec<String>,
    /// The analysis and when it was computed.
    pub current: CurrentAnalysis,
    /// Its figures in the window, when the analysis saw it.
    pub score: Option<ChronicScore>,
    /// The window's periods, oldest first, with the theme's items in each.
    pub trend: Vec<(WindowPeriod, u64)>,
    /// The whole window's days.
    pub window: Option<Days>,
    /// Its spikes and shifts in the window.
    pub alerts: Vec<Alert>,
    /// The fix's day, when one is known: the verified fix date, else the day the last action
    /// of its issue was recorded done.
    pub fixed_on: Option<Date>,
    /// Its newest verbatims in the window, among the scope's items.
    pub verbatims: Vec<Verbatim>,
    /// The issues about it, newest first.
    pub issues: Vec<IssueFile>,
    /// Whether the signed-in person may open an issue for it.
    pub can_open: bool,
    /// The departments an issue opened from it would start with.
    pub open_departments: Vec<(Slug, String)>,
    /// Every department, for choosing an issue's lead when the taxonomy names none.
    pub all_departments: Vec<(Slug, String)>,
}

impl Days {
    /// The days of periods `first..=last` of `kind`.
    pub fn of(first: i64, last: i64, kind: PeriodKind) -> Self {
        Self {
            from: day(period_start(first, kind)),
            to: day(period_start(last + 1, kind)),
        }
    }
}

/// The UTC day of a unix instant.
fn day(unix: i64) -> Date {
    Workflow::day_of(unix)
}

/// Midnight UTC of a day, unix seconds.
pub fn start_of_day(day: Date) -> i64 {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(0, |z| z.timestamp().as_second())
}

fn window_periods(analysis: &Analysis) -> Vec<WindowPeriod> {
    let kind = analysis.params.period;
    analysis
        .window
        .iter()
        .map(|t| WindowPeriod {
            label: period_label(t.period, kind),
            days: Days::of(t.period, t.period, kind),
            items: t.items,
        })
        .collect()
}

fn window_days(analysis: &Analysis) -> Option<Days> {
    let (first, last) = (analysis.window.first()?, analysis.window.last()?);
    Some(Days::of(first.period, last.period, analysis.params.period))
}

/// `counts` padded with zeros (or cut) to `len` periods.
fn aligned(counts: &[u64], len: usize) -> Vec<u64> {
    (0..len)
        .map(|i| counts.get(i).copied().unwrap_or(0))
        .collect()
}

/// The score whose impact the ranking shows: NPS when any theme has an NPS impact, else CSAT.
pub fn impact_score(analysis: &Analysis) -> &'static str {
    if analysis.themes.iter().any(|t| t.nps_impact.is_some()) {
        "NPS"
    } else if analysis.themes.iter().any(|t| t.csat_impact.is_some()) {
        "CSAT"
    } else {
        "NPS"
    }
}

/// What each column and label of the ranking means, with the thresholds in use, as
/// (term, meaning) pairs: `trove issues` prints them as its legend, the ranking page too.
pub fn legend(analysis: &Analysis) -> Vec<(String, String)> {
    let c = &analysis.params.chronic;
    let s = &analysis.params.spikes;
    let period = analysis.params.period.singular();
    let share = 100.0 * c.chronic_share;
    let score = impact_score(analysis);
    let mut lines = vec![(
        format!("above {share:.0}%"),
        format!(
            "{period}s in which the theme's share of all items was above {share:.0}% by a one-sided Poisson test (p<{})",
            c.alpha
        ),
    )];
    lines.push(if analysis.customer_ids {
        (
            "customers".to_owned(),
            "distinct customer ids that raised it in the window".to_owned(),
        )
    } else {
        (
            "items".to_owned(),
            "items that raised it; the data has no customer ids, so customers are not counted (explanations say \"items (no customer ids)\")".to_owned(),
        )
    });
    lines.extend([
        (
            format!("{score} impact"),
            format!(
                "{score}(all) - {score}(all without the answers that mention the theme), in points; \
                 negative = fixing it would raise the score; its p-value is the z-test of the mentioners against the rest"
            ),
        ),
        (
            "at risk".to_owned(),
            "the lifetime value (as imported with the customers) of the distinct customers who raised it unhappily \
             (detractor, CSAT 1-2, CES 1-3, or negative text); a value at stake, not a forecast over a horizon; none for praise"
                .to_owned(),
        ),
        (
            "tone".to_owned(),
            "mean sentiment (-1..+1) of the sentences that mention the theme".to_owned(),
        ),
        (
            "chronic".to_owned(),
            format!(
                "above {share:.0}% in at least {:.0}% of the {period}s (a window of at least {}), at least {} customers, spread over channels or units (entropy >= {}), not raising the score",
                100.0 * c.min_persistence,
                c.min_periods,
                c.min_customers,
                c.min_entropy
            ),
        ),
        (
            "spike".to_owned(),
            format!(
                "a {period} with at least {} items far above its baseline (Poisson or robust z, Bonferroni over themes x {period}s, family level {})",
                s.min_count, s.family_alpha
            ),
        ),
        (
            "shift".to_owned(),
            format!(
                "a sustained rise found by CUSUM against the pooled rate of earlier {period}s (each of at least {} items), confirmed by a Poisson test of its count",
                s.min_volume
            ),
        ),
        (
            "occasional".to_owned(),
            format!(
                "none of these; listed only when its impact lowers the score significantly (p<{} on at least {} answers)",
                c.alpha, c.min_answers
            ),
        ),
        (
            "praise".to_owned(),
            "`kind = \"praise\"` in the taxonomy, or an impact that raises the score significantly (Bonferroni over themes)".to_owned(),
        ),
    ]);
    lines
}

/// The themes' names, descriptions and departments, from the stored theme records.
struct ThemeBook {
    themes: HashMap<String, (String, Option<String>, Vec<Slug>)>,
    departments: HashMap<Slug, String>,
}

impl ThemeBook {
    fn load(app: &App, state: &Workflow) -> Result<Self, WorkflowError> {
        let themes = app
            .store()
            .theme_records()?
            .into_iter()
            .map(|stored| {
                let t = stored.theme;
                (
                    t.id.as_str().to_owned(),
                    (t.name.as_str().to_owned(), t.description, t.departments),
                )
            })
            .collect();
        let departments = app.departments(state)?.into_iter().collect();
        Ok(Self {
            themes,
            departments,
        })
    }

    fn name(&self, theme: &str) -> String {
        self.themes
            .get(theme)
            .map_or_else(|| theme.to_owned(), |(name, _, _)| name.clone())
    }

    fn department_name(&self, id: &Slug) -> String {
        self.departments
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.as_str().to_owned())
    }

    fn departments_of(&self, theme: &str) -> &[Slug] {
        self.themes.get(theme).map_or(&[], |(_, _, d)| d.as_slice())
    }
}

/// The newest issue about `theme`.
fn newest_issue<'a>(state: &'a Workflow, theme: &str) -> Option<&'a Issue> {
    state
        .issues
        .values()
        .rev()
        .find(|i| i.themes.iter().any(|t| t.as_str() == theme))
}

impl App {
    /// The chronic ranking of `request`'s scope, as `trove issues` lists it, with each theme's
    /// departments, workflow status and per-period counts. Reads the analysis through
    /// [`App::current_analysis`].
    pub fn ranking(
        &self,
        request: &AnalysisRequest,
        today: Date,
    ) -> Result<Ranking, WorkflowError> {
        let current = self.current_analysis(request)?;
        let state = self.workflow()?;
        let book = ThemeBook::load(self, &state)?;
        let all_commitments = commitments(&state, today);
        let analysis = Arc::clone(&current.analysis);
        let periods = window_periods(&analysis);
        let row = |score: &ChronicScore| {
            let issue = newest_issue(&state, &score.theme);
            let departments = match issue {
                Some(i) => i.departments.clone(),
                None => book.departments_of(&score.theme).to_vec(),
            };
            RankingRow {
                name: book.name(&score.theme),
                departments: departments
                    .iter()
                    .map(|d| book.department_name(d))
                    .collect(),
                issue: issue.map(|i| IssueStatus {
                    issue: i.id,
                    status: i.status,
                    missed: all_commitments
                        .iter()
                        .filter(|c| {
                            c.issue == Some(i.id)
                                && c.standing == trove_workflow::views::Standing::Missed
                        })
                        .count(),
                }),
                counts: aligned(&score.counts, periods.len()),
                score: score.clone(),
            }
        };
        let (rows, apart) = analysis
            .themes
            .iter()
            .filter(|t| t.listed)
            .map(row)
            .partition(|r| !r.score.label.is_not_a_problem());
        Ok(Ranking {
            window: window_days(&analysis),
            impact_score: impact_score(&analysis),
            legend: legend(&analysis),
            periods,
            rows,
            apart,
            current,
        })
    }

    /// A theme's page in `request`'s scope, for `viewer` (whose role decides which controls
    /// the page offers) as of `today`. `None` when no theme has this id.
    pub fn theme_file(
        &self,
        theme: &str,
        request: &AnalysisRequest,
        viewer: &User,
        today: Date,
    ) -> Result<Option<ThemeFile>, WorkflowError> {
        let current = self.current_analysis(request)?;
        let state = self.workflow()?;
        let book = ThemeBook::load(self, &state)?;
        let analysis = Arc::clone(&current.analysis);
        let score = analysis.themes.iter().find(|t| t.theme == theme).cloned();
        let issues: Vec<&Issue> = state
            .issues
            .values()
            .rev()
            .filter(|i| i.themes.iter().any(|t| t.as_str() == theme))
            .collect();
        if score.is_none() && !book.themes.contains_key(theme) && issues.is_empty() {
            return Ok(None);
        }
        let periods = window_periods(&analysis);
        let counts = aligned(
            score.as_ref().map_or(&[][..], |s| s.counts.as_slice()),
            periods.len(),
        );
        let window = window_days(&analysis);
        let verbatims = match (window, periods.last(), Slug::parse("theme", theme)) {
            (Some(days), Some(last), Ok(slug)) => {
                self.newest_verbatims(&slug, &request.filter, last.days, days)?
            }
            _ => Vec::new(),
        };
        let all_commitments = commitments(&state, today);
        let mut files: Vec<IssueFile> = issues
            .iter()
            .map(|issue| issue_file(&state, &book, issue, viewer, &all_commitments))
            .collect();
        let mailed = self.mailed()?;
        for view in files.iter_mut().flat_map(|f| f.announcements.iter_mut()) {
            let id = view.announcement.id;
            view.sent = mailed
                .get(&crate::mail::MessageKind::Announcement.key(id))
                .copied();
            view.report_sent = mailed
                .get(&crate::mail::MessageKind::Report.key(id))
                .copied();
        }
        let fixed_on = issues.first().and_then(|i| fix_day(&state, i));
        let open_departments: Vec<(Slug, String)> = book
            .departments_of(theme)
            .iter()
            .map(|d| (d.clone(), book.department_name(d)))
            .collect();
        let mut all_departments: Vec<(Slug, String)> = book
            .departments
            .iter()
            .map(|(id, name)| (id.clone(), name.clone()))
            .collect();
        all_departments.sort();
        let (name, description) = book
            .themes
            .get(theme)
            .map_or((theme.to_owned(), None), |(n, d, _)| (n.clone(), d.clone()));
        Ok(Some(ThemeFile {
            theme: theme.to_owned(),
            name,
            description,
            departments: open_departments.iter().map(|(_, n)| n.clone()).collect(),
            alerts: analysis
                .alerts
                .iter()
                .filter(|a| a.theme == theme)
                .cloned()
                .collect(),
            trend: periods.into_iter().zip(counts).collect(),
            window,
            fixed_on,
            verbatims,
            can_open: permitted(&state, viewer, &open_probe()),
            issues: files,
            open_departments,
            all_departments,
            score,
            current,
        }))
    }

    /// The newest verbatims about `theme` among `filter`'s items: those of the window's last
    /// period (`last`), or of the whole `window` when the last period has too few (the newest
    /// are nearly always in the last period, and reading one period costs a sixth of six).
    fn newest_verbatims(
        &self,
        theme: &Slug,
        filter: &trove_store::FeedbackFilter,
        last: Days,
        window: Days,
    ) -> Result<Vec<Verbatim>, WorkflowError> {
        let within = |days: Days| trove_store::FeedbackFilter {
            since: Some(start_of_day(days.from)),
            until: Some(start_of_day(days.to)),
            ..filter.clone()
        };
        let themes = std::slice::from_ref(theme);
        let recent = self.verbatims_among(themes, &within(last), VERBATIMS)?;
        if recent.len() == VERBATIMS || last == window {
            return Ok(recent);
        }
        self.verbatims_among(themes, &within(window), VERBATIMS)
    }

    /// Opens an issue for `theme` as `actor`, with the pain `request`'s analysis measured;
    /// its departments are `departments` (the taxonomy's for the theme when empty), led by
    /// `lead` (the first department when none). Returns the issue's number.
    pub fn open_issue_for_theme(
        &self,
        actor: &str,
        clock: Clock,
        theme: &str,
        request: &AnalysisRequest,
        lead: Option<Slug>,
        departments: Vec<Slug>,
    ) -> Result<u32, WorkflowError> {
        let current = self.current_analysis(request)?;
        let (title, theme_departments, pain) = self.issue_seed(theme, &current.analysis, None)?;
        let mut departments = if departments.is_empty() {
            theme_departments
        } else {
            departments
        };
        let Some(lead) = lead.or_else(|| departments.first().cloned()) else {
            return Err(WorkflowError::Invalid(format!(
                "the taxonomy names no department for {theme}: choose the lead department"
            )));
        };
        if !departments.contains(&lead) {
            departments.insert(0, lead.clone());
        }
        let theme =
            Slug::parse("theme", theme).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        let state = self.act(Some(actor), clock, |state| {
            self.check_departments(state, &departments)?;
            Ok(vec![Change::IssueOpened {
                issue: ids::issue(state),
                title: title.clone(),
                themes: vec![theme.clone()],
                lead: lead.clone(),
                departments: departments.clone(),
                pain: Some(pain.clone()),
            }])
        })?;
        Ok(state.issues.keys().next_back().copied().unwrap_or_default())
    }

    /// Checks whether `issue`'s theme stopped after a fix on `fixed_on`: its monthly rate in the
    /// `periods` months before the fix's month against the `periods` after (all items, any
    /// origin), and records the verdict as `actor` (`trove issue verify` and the theme page's
    /// form). Returns the test's figures.
    pub fn verify_issue(
        &self,
        actor: &str,
        clock: Clock,
        issue: u32,
        fixed_on: Date,
        periods: usize,
    ) -> Result<FixVerdict, WorkflowError> {
        let state = self.workflow()?;
        let record = state
            .issues
            .get(&issue)
            .ok_or_else(|| WorkflowError::Invalid(format!("there is no issue {issue}")))?;
        let theme = record
            .themes
            .first()
            .ok_or_else(|| WorkflowError::Invalid(format!("issue {issue} has no theme to verify")))?
            .clone();
        // Refused before the slow part when the rules would refuse the record anyway.
        let user = self.user(&state, actor)?;
        rules::permitted(&state, &user, &verification_probe(issue))?;
        let kind = PeriodKind::Month;
        let check = self
            .check_fix(
                theme.as_str(),
                start_of_day(fixed_on),
                periods.max(1),
                kind,
                &trove_store::FeedbackFilter::default(),
                ThemeOrigin::Any,
            )?
            .ok_or_else(|| {
                WorkflowError::Invalid(format!("no item carries the theme {}", theme.as_str()))
            })?;
        let Some(v) = check.verification else {
            let why = check.why_unverified(&fixed_on.to_string(), kind);
            return Err(WorkflowError::Invalid(format!(
                "cannot verify {}: {why}",
                theme.as_str()
            )));
        };
        let verdict = serde_json::to_value(v.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.act(Some(actor), clock, |_| {
            Ok(vec![Change::VerificationRecorded {
                issue,
                verdict: verdict.clone(),
                fixed_on,
                rate_ratio: Some(v.rate_ratio),
                ci: Some((v.ci_low, v.ci_high)),
            }])
        })?;
        Ok(FixVerdict { verdict, test: v })
    }
}

/// A fix's verification as recorded: the verdict's word and the test behind it.
#[derive(Debug, Clone)]
pub struct FixVerdict {
    /// `verified`, `inconclusive` or `recurred`.
    pub verdict: String,
    /// The rates, their ratio with its interval, and the counts compared.
    pub test: trove_analytics::verify::Verification,
}

/// Whether `user` may make `change` (roles and departments; the post checks everything).
fn permitted(state: &Workflow, user: &User, change: &Change) -> bool {
    rules::permitted(state, user, change).is_ok()
}

/// A change that stands for "open an issue" when asking the rules who may.
fn open_probe() -> Change {
    Change::IssueOpened {
        issue: 0,
        title: String::new(),
        themes: Vec::new(),
        lead: Slug::parse("department", "probe").expect("\"probe\" is a valid slug"),
        departments: Vec::new(),
        pain: None,
    }
}

fn verification_probe(issue: u32) -> Change {
    Change::VerificationRecorded {
        issue,
        verdict: String::new(),
        fixed_on: Date::default(),
        rate_ratio: None,
        ci: None,
    }
}

/// The day a fix counts from: the verified fix date, else the day the issue's last action was
/// recorded done (when all are done).
fn fix_day(state: &Workflow, issue: &Issue) -> Option<Date> {
    if let Some(v) = &issue.verification {
        return Some(v.fixed_on);
    }
    let actions: Vec<&Action> = state.actions_of(issue.id).collect();
    if actions.is_empty() {
        return None;
    }
    actions
        .iter()
        .map(|a| a.met_on())
        .collect::<Option<Vec<Date>>>()?
        .into_iter()
        .max()
}

/// The people who may own an action of `department` (its members and leads): (e-mail, name).
fn owners(state: &Workflow, department: &Slug) -> Vec<(String, String)> {
    state
        .users
        .values()
        .filter(|u| u.in_department(department) && u.role != Role::Viewer)
        .map(|u| (u.email.clone(), u.name.clone()))
        .collect()
}

fn issue_file(
    state: &Workflow,
    book: &ThemeBook,
    issue: &Issue,
    viewer: &User,
    all_commitments: &[Commitment],
) -> IssueFile {
    let commitment_of = |promise: Promise| {
        all_commitments
            .iter()
            .find(|c| c.promise == promise)
            .cloned()
    };
    let actions = state
        .actions_of(issue.id)
        .map(|a| PlannedAction {
            root_cause: state
                .chains
                .get(&a.chain)
                .map_or_else(String::new, |c| c.root_cause().to_owned()),
            owner_name: state
                .users
                .get(&a.owner)
                .map_or_else(|| a.owner.clone(), |u| u.name.clone()),
            commitment: commitment_of(Promise::Action(a.id)),
            progress: progress_reports(state, a.id),
            can_progress: a.status != trove_workflow::model::ActionStatus::Done
                && permitted(
                    state,
                    viewer,
                    &Change::ActionProgressed {
                        action: a.id,
                        percent: 0,
                        note: None,
                    },
                ),
            can_replan: a.status != trove_workflow::model::ActionStatus::Done
                && permitted(
                    state,
                    viewer,
                    &Change::ActionReplanned {
                        action: a.id,
                        due: a.due,
                        reason: String::new(),
                    },
                ),
            action: a.clone(),
        })
        .collect();
    let now = jiff::Timestamp::now().as_second();
    let cases: Vec<Case> = state
        .cases
        .values()
        .filter(|c| c.issue == Some(issue.id))
        .cloned()
        .collect();
    let plannable = issue
        .departments
        .iter()
        .filter(|d| {
            permitted(
                state,
                viewer,
                &Change::ActionPlanned {
                    action: 0,
                    issue: issue.id,
                    chain: 0,
                    what: String::new(),
                    department: (*d).clone(),
                    owner: String::new(),
                    due: Date::default(),
                    public: None,
                },
            )
        })
        .map(|d| Plannable {
            department: d.clone(),
            name: book.department_name(d),
            owners: owners(state, d),
        })
        .collect();
    let issue_probe = |change: Change| permitted(state, viewer, &change);
    IssueFile {
        departments: issue
            .departments
            .iter()
            .map(|d| (d.clone(), book.department_name(d)))
            .collect(),
        chains: state.chains_of(issue.id).cloned().collect(),
        actions,
        breached: cases.iter().filter(|c| c.breached(now)).count(),
        cases,
        announcements: state
            .announcements
            .values()
            .filter(|a| a.issues.contains(&issue.id))
            .map(|a| AnnouncementView {
                report: commitment_of(Promise::ProgressReport(a.id)),
                announcement: a.clone(),
                sent: None,
                report_sent: None,
            })
            .collect(),
        next: issue.status.next().to_vec(),
        plannable,
        controls: IssueControls {
            whys: issue.status.is_open()
                && issue_probe(Change::WhysRecorded {
                    chain: 0,
                    issue: issue.id,
                    symptom: String::new(),
                    whys: Vec::new(),
                    workshop_on: Date::default(),
                    participants: Vec::new(),
                }),
            moves: issue_probe(Change::IssueMoved {
                issue: issue.id,
                to: issue.status,
                note: None,
            }),
            verify: issue_probe(verification_probe(issue.id)),
        },
        issue: issue.clone(),
    }
}

/// An action's progress reports, from the log.
fn progress_reports(state: &Workflow, action: u32) -> Vec<ProgressReport> {
    state
        .audit(&format!("action:{action}"))
        .into_iter()
        .filter_map(|event| match &event.change {
            Change::ActionProgressed { percent, note, .. } => Some(ProgressReport {
                at: event.at,
                by: event.actor.clone(),
                percent: *percent,
                note: note.clone(),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_window_of_months_runs_from_its_first_day_to_the_day_after_its_last() {
        // 2026-05 is index 2026 * 12 + 4.
        let may = 2026 * 12 + 4;
        let days = Days::of(may, may + 5, PeriodKind::Month);
        assert_eq!(days.from.to_string(), "2026-05-01");
        assert_eq!(days.to.to_string(), "2026-11-01");
    }

    #[test]
    fn counts_are_padded_to_the_window() {
        assert_eq!(aligned(&[3, 4], 4), vec![3, 4, 0, 0]);
        assert_eq!(aligned(&[3, 4, 5], 2), vec![3, 4]);
    }
}
