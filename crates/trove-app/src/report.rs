//! The monthly review: one report per business unit and month, combining every source.
//!
//! [`MonthlyReport`] is the data; the text formats (Markdown, CSV) are rendered here
//! (`report_text`), the HTML by `trove-web` (it owns the charts), the JSON is this struct as
//! serde writes it. Reports are kept in the store (`reports`, 12 months per unit).
//!
//! # The JSON shape (`schema_version` 1)
//!
//! Every figure of the report is in it; fields are only ever added, never renamed or removed
//! (a reader can ignore what it does not know). Times are unix seconds, days `YYYY-MM-DD`,
//! months `YYYY-MM`; scores are in points (NPS −100..100, CSAT and CES as % of answers
//! 4-5 and 5-7); money is `{ "minor": cents, "currency": "USD", "text": "1,234.50 USD" }`.
//!
//! ```text
//! {
//!   "schema_version": 1,
//!   "business_unit": "Motor", "month": "2026-10", "from": "2026-10-01", "to": "2026-11-01",
//!   "generated_at": 1780000000, "items": 1234,
//!   "scores": [ {                                  // only the scores the unit has this month
//!       "kind": "nps", "name": "NPS", "scale": "0-10",
//!       "estimate": { "value": 12.3, "n": 456, "ci_low": 4.1, "ci_high": 20.5 },
//!       "trend": [ { "month": "2025-11", "estimate": {..} | null }, ... 12 months, oldest first ],
//!       "vs_previous_month": { "month": "2026-09", "estimate": {..},
//!            "comparison": { "difference", "ci_low", "ci_high", "z", "p_value", "significant" } } | null,
//!       "vs_year_before": { same } | null } ],
//!   "why_it_moved": [ {                            // one per score with answers in both months
//!       "kind": "nps", "from_month": "2026-09", "before": 10.0, "after": 12.3, "total_change": 2.3,
//!       "method": "one sentence",
//!       "contributions": [ { "group": "claim-payout-delay" | "other and untagged",
//!            "share_before", "share_after", "rate_before", "rate_after", "mix", "rate", "total" } ],
//!       "all_contributions": [ every group, same fields ] } ],
//!   "issues": { "window": "2026-05..2026-10", "window_from": "2026-05-01", "window_to": "2026-11-01",
//!       "computed_at": 1780000000,
//!       "themes": [ { "theme", "label", "rank", "previous_rank", "movement": "new|rising|falling|steady",
//!            "volume", "customers", "nps_impact", "csat_impact", "revenue_at_risk": [money] } ],
//!       "resolved": [ { "theme", "previous_rank" } ] },
//!   "action_plan": { "as_of": "2026-10-31",
//!       "issues": [ { "id", "title", "status", "themes", "lead", "actions_total", "actions_done",
//!            "actions_late", "verification": { "verdict", "fixed_on", "rate_ratio", "ci_low", "ci_high" } | null } ],
//!       "missed": [ { "department", "actions": [ { "action", "issue", "what", "owner", "due", "met_on", "days_late" } ] } ],
//!       "verified_fixes": [ { "issue", "title", "fixed_on", "rate_ratio" } ] },
//!   "loop_closure": { "cases_opened", "cases_closed", "closed_within_sla", "closed_late",
//!       "open_past_sla", "first_contact_resolution": { "resolved", "recorded" } | null,
//!       "announcements": [ { "id", "issues", "at", "recipients", "report_due", "reported_on" } ],
//!       "progress_reports_due": n, "progress_reports_published": n, "progress_reports_overdue": n },
//!   "coverage": { "items", "tagged", "share", "new_themes": [ { "theme", "items" } ] },
//!   "annuity": { "cost_per_contact": money, "cost_source": "given|default",
//!       "fixes": [ { "issue", "theme", "fixed_on", "rate_before", "rate_after", "monthly_items",
//!            "contacts_avoided_per_month", "months_since", "per_year": money,
//!            "to_date": money } ],
//!       "total_per_year": money, "total_to_date": money },
//!   "notes": [ "what could not be computed and why" ]
//! }
//! ```
//!
//! `docs/examples/monthly-report.json` is one real report of the demo, written by a test.

use serde::{Deserialize, Serialize};
use trove_analytics::change::Contribution;
use trove_analytics::scores::{Comparison, Estimate, ScoreKind};
use trove_domain::Money;

/// The version of the JSON shape; raised only if a field ever has to change meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// One business unit's monthly review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The business unit.
    pub business_unit: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Its first day, `YYYY-MM-DD`.
    pub from: String,
    /// The day after its last (exclusive), `YYYY-MM-DD`.
    pub to: String,
    /// When the report was made (unix seconds).
    pub generated_at: i64,
    /// The unit's items received in the month (every source).
    pub items: u64,
    /// The scores the unit has answers for in the month.
    pub scores: Vec<ScoreSection>,
    /// Why each score moved since the previous month.
    pub why_it_moved: Vec<ScoreChange>,
    /// The chronic issues and how the ranking changed.
    pub issues: IssuesSection,
    /// The workflow: plans, missed commitments, verified fixes.
    pub action_plan: ActionPlanSection,
    /// Follow-ups, announcements and progress reports.
    pub loop_closure: LoopClosure,
    /// Share of items tagged, and themes seen for the first time.
    pub coverage: CoverageSection,
    /// What the verified fixes save.
    pub annuity: AnnuityLedger,
    /// What could not be computed, and why, in words.
    pub notes: Vec<String>,
}

/// Money as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// Minor units (cents).
    pub minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// "1,234.50 USD".
    pub text: String,
}

impl From<Money> for Amount {
    fn from(money: Money) -> Self {
        Self {
            minor: money.minor(),
            currency: money.currency().to_string(),
            text: money_text(money),
        }
    }
}

/// "1,234.50 USD": thousands separated.
pub fn money_text(money: Money) -> String {
    let minor = money.minor();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:02} {}",
        trove_analytics::chronic::thousands(abs / 100),
        abs % 100,
        money.currency()
    )
}

/// One score of the unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSection {
    /// Which score.
    pub kind: ScoreKind,
    /// "NPS", "CSAT", "CES".
    pub name: String,
    /// Its answers' scale.
    pub scale: String,
    /// The month's score with its 95% interval.
    pub estimate: Estimate,
    /// The 12 months ending with the report's, oldest first.
    pub trend: Vec<MonthScore>,
    /// The test against the previous month.
    pub vs_previous_month: Option<ScoreTest>,
    /// The test against the same month a year before.
    pub vs_year_before: Option<ScoreTest>,
}

/// A month's score in a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthScore {
    /// `YYYY-MM`.
    pub month: String,
    /// The score; `None` without answers.
    pub estimate: Option<Estimate>,
}

/// The report's month against another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreTest {
    /// The other month.
    pub month: String,
    /// Its score.
    pub estimate: Estimate,
    /// This month minus that one, its interval and test (NPS: the variance of the +1/0/−1
    /// code; shares: the two-proportion z-test).
    pub comparison: Comparison,
}

/// A score's change since the previous month, split by theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreChange {
    /// Which score.
    pub kind: ScoreKind,
    /// The previous month.
    pub from_month: String,
    /// The score then.
    pub before: f64,
    /// The score this month.
    pub after: f64,
    /// `after − before`.
    pub total_change: f64,
    /// How the split is made, in one sentence.
    pub method: String,
    /// The largest contributions and one "other and untagged" row: they add up to
    /// `total_change`.
    pub contributions: Vec<Contribution>,
    /// Every group's contribution (they add up to `total_change` too).
    pub all_contributions: Vec<Contribution>,
}

/// The unit's chronic issues this month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IssuesSection {
    /// The analysis window, e.g. `2026-05..2026-10`.
    pub window: String,
    /// The window's first day, `YYYY-MM-DD`.
    pub window_from: String,
    /// The day after the window's last (exclusive), `YYYY-MM-DD`.
    pub window_to: String,
    /// When the analysis was computed (unix seconds).
    pub computed_at: i64,
    /// The listed themes (chronic, spikes, shifts, significant losses), ranked.
    pub themes: Vec<IssueLine>,
    /// Themes listed last month and not now.
    pub resolved: Vec<ResolvedLine>,
}

/// How a theme's place in the ranking changed since last month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Not listed last month.
    New,
    /// Higher in the list than last month.
    Rising,
    /// Lower in the list.
    Falling,
    /// Same place.
    Steady,
}

impl Movement {
    /// Its word.
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Rising => "rising",
            Movement::Falling => "falling",
            Movement::Steady => "steady",
        }
    }
}

/// One listed theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueLine {
    /// The theme id.
    pub theme: String,
    /// Chronic, spike, shift, occasional (a significant loss).
    pub label: String,
    /// Its place in the list (1 = first).
    pub rank: usize,
    /// Its place last month, when listed.
    pub previous_rank: Option<usize>,
    /// New, rising, falling or steady.
    pub movement: Movement,
    /// Items in the window.
    pub volume: u64,
    /// Distinct customers.
    pub customers: u64,
    /// NPS points it costs (negative lowers the score).
    pub nps_impact: Option<f64>,
    /// CSAT points it costs.
    pub csat_impact: Option<f64>,
    /// Revenue at risk, per currency.
    pub revenue_at_risk: Vec<Amount>,
}

/// A theme listed last month and no longer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedLine {
    /// The theme id.
    pub theme: String,
    /// Its place last month.
    pub previous_rank: usize,
}

/// The workflow's state for the unit's issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ActionPlanSection {
    /// The day commitments are judged on: the month's last day, or today within the month.
    pub as_of: String,
    /// The workflow issues about the unit's themes.
    pub issues: Vec<PlanLine>,
    /// Commitments missed, by department.
    pub missed: Vec<MissedByDepartment>,
    /// Fixes verified (the latest verification says `verified`).
    pub verified_fixes: Vec<VerifiedFix>,
}

/// One workflow issue's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanLine {
    /// The issue's number.
    pub id: u32,
    /// Its title.
    pub title: String,
    /// Its status.
    pub status: String,
    /// Its themes.
    pub themes: Vec<String>,
    /// The lead department.
    pub lead: String,
    /// Its actions.
    pub actions_total: usize,
    /// Of which done.
    pub actions_done: usize,
    /// Of which past due and not met on time.
    pub actions_late: usize,
    /// The latest verification.
    pub verification: Option<VerificationLine>,
}

/// A recorded verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationLine {
    /// `verified`, `inconclusive` or `recurred`.
    pub verdict: String,
    /// The fix date tested.
    pub fixed_on: String,
    /// Rate after / rate before.
    pub rate_ratio: Option<f64>,
    /// 95% interval of the ratio.
    pub ci_low: Option<f64>,
    /// 95% interval of the ratio.
    pub ci_high: Option<f64>,
}

/// A department's missed commitments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissedByDepartment {
    /// The department.
    pub department: String,
    /// Its late actions, latest first.
    pub actions: Vec<MissedAction>,
}

/// An action past its due date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissedAction {
    /// The action's number.
    pub action: u32,
    /// Its issue.
    pub issue: u32,
    /// What it is.
    pub what: String,
    /// Who owns it.
    pub owner: String,
    /// The due date.
    pub due: String,
    /// The day it was met (late), `None` while still open.
    pub met_on: Option<String>,
    /// Days past the due date: to the day it was met, or to `as_of` while open.
    pub days_late: i64,
}

/// A fix the data verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedFix {
    /// The issue.
    pub issue: u32,
    /// Its title.
    pub title: String,
    /// The fix date tested.
    pub fixed_on: String,
    /// Rate after / rate before.
    pub rate_ratio: Option<f64>,
}

/// The micro and macro loops' figures for the month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LoopClosure {
    /// Follow-up cases opened in the month.
    pub cases_opened: u64,
    /// Cases closed in the month.
    pub cases_closed: u64,
    /// Of those, closed by their deadline.
    pub closed_within_sla: u64,
    /// Of those, closed after it.
    pub closed_late: u64,
    /// Cases still open at the month's end past their deadline.
    pub open_past_sla: u64,
    /// First-contact resolution among the cases closed in the month that record it; `None`
    /// when none does ("not recorded").
    pub first_contact_resolution: Option<FirstContact>,
    /// Announcements made in the month about the unit's issues.
    pub announcements: Vec<AnnouncementLine>,
    /// Progress reports promised for the month.
    pub progress_reports_due: u64,
    /// Progress reports published in the month.
    pub progress_reports_published: u64,
    /// Progress reports past their promised day and not published by the month's end.
    pub progress_reports_overdue: u64,
}

/// Cases resolved in the first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstContact {
    /// Resolved in the first contact.
    pub resolved: u64,
    /// Cases that record whether they were.
    pub recorded: u64,
}

/// An announcement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncementLine {
    /// Its number.
    pub id: u32,
    /// Its issues.
    pub issues: Vec<u32>,
    /// When (unix seconds).
    pub at: i64,
    /// Recipients.
    pub recipients: u64,
    /// The promised progress report's day.
    pub report_due: String,
    /// The day it was published.
    pub reported_on: Option<String>,
}

/// How much of the month's feedback the themes cover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CoverageSection {
    /// The unit's items in the month.
    pub items: u64,
    /// Of which with at least one theme.
    pub tagged: u64,
    /// `tagged / items`; `None` without items.
    pub share: Option<f64>,
    /// Themes the unit's items carry for the first time this month.
    pub new_themes: Vec<NewTheme>,
}

/// A theme first seen this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTheme {
    /// The theme id.
    pub theme: String,
    /// Its items this month.
    pub items: u64,
}

/// What the verified fixes save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnuityLedger {
    /// The cost of handling one contact.
    pub cost_per_contact: Amount,
    /// `given` (the command's `--cost-per-contact`) or `default`.
    pub cost_source: String,
    /// One line per verified fix and theme.
    pub fixes: Vec<AnnuityLine>,
    /// The sum of the fixes' yearly savings.
    pub total_per_year: Amount,
    /// The running total: every fix's savings from its fix to the month's end.
    pub total_to_date: Amount,
}

/// One verified fix's savings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnuityLine {
    /// The issue.
    pub issue: u32,
    /// The theme.
    pub theme: String,
    /// The fix date.
    pub fixed_on: String,
    /// Items with the theme per 1,000 of the unit's items, in the months before the fix.
    pub rate_before: f64,
    /// The same, in the months after.
    pub rate_after: f64,
    /// The unit's items per month after the fix.
    pub monthly_items: f64,
    /// `(rate before − rate after) / 1000 × monthly items`, never negative.
    pub contacts_avoided_per_month: f64,
    /// Whole months from the fix to the report month's end.
    pub months_since: u32,
    /// Contacts avoided a month × cost per contact × 12.
    pub per_year: Amount,
    /// Contacts avoided a month × cost per contact × months since.
    pub to_date: Amount,
}
