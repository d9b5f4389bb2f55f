//! The workflow's records, as the log of events builds them.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trove_domain::Slug;

/// What a person may do (see [`crate::rules`] for the full table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages people and departments, may do everything, approves overrides.
    Admin,
    /// Runs the analysis and the loop: opens issues, records verifications, announces.
    Analyst,
    /// Leads a department: acknowledges, plans and re-plans its actions.
    Lead,
    /// Works on the actions and follow-up cases given to them or their department.
    Member,
    /// Reads.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Analyst,
        Role::Lead,
        Role::Member,
        Role::Viewer,
    ];

    /// Its name, as commands take it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Lead => "lead",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| {
                format!("unknown role {raw:?}: use admin, analyst, lead, member or viewer")
            })
    }
}

/// A person who uses Trove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// E-mail, lowercase: the person's id.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The departments (silos) they belong to.
    pub departments: Vec<Slug>,
}

impl User {
    /// Whether they belong to the department.
    pub fn in_department(&self, department: &Slug) -> bool {
        self.departments.contains(department)
    }

    /// Whether they lead the department.
    pub fn leads(&self, department: &Slug) -> bool {
        self.role == Role::Lead && self.in_department(department)
    }
}

/// Where an issue is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Found by the analysis (or by a person), nobody has taken it yet.
    Detected,
    /// The departments have taken it.
    Acknowledged,
    /// A five-whys chain reached a root cause.
    RootCauseFound,
    /// Actions are planned against the root causes.
    ActionPlanned,
    /// The actions are under way.
    Fixing,
    /// The actions are done; waiting for the data to show the issue stopped.
    Verifying,
    /// Verified (or resolved by an approved override).
    Resolved,
    /// It came back after being resolved.
    Recurred,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Detected,
        Status::Acknowledged,
        Status::RootCauseFound,
        Status::ActionPlanned,
        Status::Fixing,
        Status::Verifying,
        Status::Resolved,
        Status::Recurred,
    ];

    /// Its name, as commands take it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Detected => "detected",
            Status::Acknowledged => "acknowledged",
            Status::RootCauseFound => "root_cause_found",
            Status::ActionPlanned => "action_planned",
            Status::Fixing => "fixing",
            Status::Verifying => "verifying",
            Status::Resolved => "resolved",
            Status::Recurred => "recurred",
        }
    }

    /// The statuses it may move to.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Detected => &[Acknowledged],
            Acknowledged => &[RootCauseFound],
            RootCauseFound => &[ActionPlanned],
            ActionPlanned => &[Fixing],
            Fixing => &[Verifying],
            Verifying => &[Resolved, Fixing],
            Resolved => &[Recurred],
            Recurred => &[RootCauseFound, ActionPlanned, Fixing],
        }
    }

    /// Whether the issue is still being worked on.
    pub fn is_open(self) -> bool {
        self != Status::Resolved
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.replace('-', "_");
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown status {raw:?}: use one of {}", names.join(", "))
            })
    }
}

/// What the analysis said about the customers' pain when the issue was opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Pain {
    /// The analysis window, e.g. `2026-05..2026-10`.
    pub window: String,
    /// Items about it in the window.
    pub volume: u64,
    /// Distinct customers who raised it.
    pub customers: u64,
    /// NPS points it costs (negative = it lowers the score).
    pub nps_impact: Option<f64>,
    /// Revenue at risk, per currency, e.g. `1,640,000.00 USD`.
    pub revenue_at_risk: Vec<String>,
    /// The analysis label (`chronic`, `spike`...).
    pub label: String,
    /// The analysis run it came from.
    pub analysis_run: Option<i64>,
}

/// One "why?" and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Why {
    /// The answer.
    pub text: String,
    /// Evidence: feedback item ids, metric names, links.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A five-whys chain, from the customers' symptom to a root cause (its last why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhyChain {
    /// Its number among all chains.
    pub id: u32,
    /// The issue.
    pub issue: u32,
    /// What customers experience.
    pub symptom: String,
    /// The whys, in order; the last one is the root cause.
    pub whys: Vec<Why>,
    /// The day of the workshop.
    pub workshop_on: Date,
    /// Who took part.
    pub participants: Vec<String>,
}

impl WhyChain {
    /// Its root cause: the last why.
    pub fn root_cause(&self) -> &str {
        self.whys.last().map_or("", |w| w.text.as_str())
    }
}

/// The state of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Not started.
    Planned,
    /// Under way.
    InProgress,
    /// Done.
    Done,
}

impl ActionStatus {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::InProgress => "in progress",
            ActionStatus::Done => "done",
        }
    }
}

/// A change of an action's due date, kept for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replan {
    /// The due date before.
    pub from: Date,
    /// The new due date.
    pub to: Date,
    /// Why.
    pub reason: String,
    /// Who changed it.
    pub by: String,
    /// When (unix seconds).
    pub at: i64,
}

/// An action of a plan: what, who, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Its number among all actions.
    pub id: u32,
    /// The issue.
    pub issue: u32,
    /// The root cause (five-whys chain) it removes.
    pub chain: u32,
    /// What will be done.
    pub what: String,
    /// The department that owns it.
    pub department: Slug,
    /// The person who owns it (e-mail).
    pub owner: String,
    /// Due date: a commitment.
    pub due: Date,
    /// The due date first promised.
    pub first_due: Date,
    /// State.
    pub status: ActionStatus,
    /// Percent complete.
    pub percent: u8,
    /// The day it was done, as claimed (`action done --on`).
    pub done_on: Option<Date>,
    /// The day its completion was recorded: the commitment is judged by this one.
    pub done_recorded_on: Option<Date>,
    /// Every change of its due date.
    pub replans: Vec<Replan>,
    /// What customers are told about it (announcements need it).
    pub public: Option<String>,
}

impl Action {
    /// The day it counts as met: the day its completion was recorded, never earlier than the
    /// day it claims (a completion recorded late is late, whatever day it names).
    pub fn met_on(&self) -> Option<Date> {
        match (self.done_on, self.done_recorded_on) {
            (Some(claimed), Some(recorded)) => Some(claimed.max(recorded)),
            (claimed, recorded) => recorded.or(claimed),
        }
    }
}

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better.
    Up,
    /// Lower is better.
    Down,
}

impl Direction {
    /// Whether `value` meets `target`.
    pub fn meets(self, value: f64, target: f64) -> bool {
        match self {
            Direction::Up => value >= target,
            Direction::Down => value <= target,
        }
    }
}

impl std::str::FromStr for Direction {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "up" | "higher" => Ok(Direction::Up),
            "down" | "lower" => Ok(Direction::Down),
            _ => Err(format!("unknown direction {raw:?}: use up or down")),
        }
    }
}

/// One value of a workflow metric, as [`crate::Change::MetricsRecorded`] records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    /// The day.
    pub day: Date,
    /// The value.
    pub value: f64,
    /// The value it replaces, when the day had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<f64>,
}

/// The leading indicator of a plan: a workflow metric at the decision point that stops bad
/// output reaching customers (its values are imported with `trove metrics import`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// The metric's id, as its values are stored.
    pub metric: Slug,
    /// What it measures, in words.
    pub name: String,
    /// Its unit (`%`, `days`...).
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// The target.
    pub target: f64,
}

/// The outcome of the check that a fixed issue stopped recurring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// `verified`, `inconclusive` or `recurred`.
    pub verdict: String,
    /// The fix date tested.
    pub fixed_on: Date,
    /// Rate after / rate before.
    pub rate_ratio: Option<f64>,
    /// 95% interval of the ratio.
    pub ci: Option<(f64, f64)>,
    /// When it was recorded (unix seconds).
    pub at: i64,
}

/// A request to resolve without a verification, waiting for an admin's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRequest {
    /// Why the verification is not needed.
    pub reason: String,
    /// Who asked.
    pub by: String,
    /// When (unix seconds).
    pub at: i64,
}

/// A resolution without a verification, approved by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// Why the verification is not needed.
    pub reason: String,
    /// The admin who approved it.
    pub approved_by: String,
    /// When (unix seconds).
    pub at: i64,
}

/// A status change of an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The status reached.
    pub to: Status,
    /// Who moved it.
    pub by: String,
    /// When (unix seconds).
    pub at: i64,
    /// Why, when given.
    pub note: Option<String>,
}

/// The workflow object: a problem owned by every department that contributes to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Its number.
    pub id: u32,
    /// A short title.
    pub title: String,
    /// The themes it is about.
    pub themes: Vec<Slug>,
    /// The lead department.
    pub lead: Slug,
    /// All contributing departments, the lead included.
    pub departments: Vec<Slug>,
    /// Where it is.
    pub status: Status,
    /// The customers' pain when it was opened.
    pub pain: Option<Pain>,
    /// The leading indicator of its plan.
    pub indicator: Option<Indicator>,
    /// The latest verification.
    pub verification: Option<Verification>,
    /// A pending request to resolve without verification.
    pub override_request: Option<OverrideRequest>,
    /// An approved resolution without verification.
    pub override_: Option<Override>,
    /// Every status change, the opening first.
    pub history: Vec<Transition>,
}

/// Who gets an announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Audience {
    /// The customers who raised the issues' themes.
    RaisedIt,
    /// The customers of a segment.
    Segment(String),
    /// Every customer.
    Everyone,
}

impl Audience {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Audience::RaisedIt => "the customers who raised it".to_owned(),
            Audience::Segment(s) => format!("the {s} segment"),
            Audience::Everyone => "every customer".to_owned(),
        }
    }
}

/// An announcement to customers about one or more issues, with a promised progress report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// Its number.
    pub id: u32,
    /// The issues.
    pub issues: Vec<u32>,
    /// Who gets it.
    pub audience: Audience,
    /// The message as sent.
    pub message: String,
    /// How many recipients it had (customers of the audience with an e-mail).
    pub recipients: u64,
    /// How many distinct customers raised its issues' themes (unknown for old records).
    pub told_us: Option<u64>,
    /// When it was made (unix seconds).
    pub at: i64,
    /// The promised date of the progress report: a commitment.
    pub report_due: Date,
    /// The day the progress report was published (the day its publication was recorded).
    pub reported_on: Option<Date>,
}

/// The state of a follow-up case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Waiting for someone to call back.
    Open,
    /// The customer was reached; not closed yet.
    Contacted,
    /// Done, with an outcome.
    Closed,
}

impl CaseStatus {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Contacted => "contacted",
            CaseStatus::Closed => "closed",
        }
    }
}

impl std::str::FromStr for CaseStatus {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "open" => Ok(CaseStatus::Open),
            "contacted" => Ok(CaseStatus::Contacted),
            "closed" => Ok(CaseStatus::Closed),
            _ => Err(format!(
                "unknown case status {raw:?}: use open, contacted or closed"
            )),
        }
    }
}

/// A follow-up with one customer (the micro loop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Its number.
    pub id: u32,
    /// The customer.
    pub customer: Option<String>,
    /// The feedback item that opened it.
    pub feedback_id: Option<i64>,
    /// The issue it belongs to.
    pub issue: Option<u32>,
    /// Why it was opened (the rule, or a person's words).
    pub reason: String,
    /// The department that owns it.
    pub department: Slug,
    /// The person who owns it.
    pub owner: Option<String>,
    /// Opened (unix seconds).
    pub opened_at: i64,
    /// Service-level deadline (unix seconds).
    pub due_at: i64,
    /// State.
    pub status: CaseStatus,
    /// Closed (unix seconds).
    pub closed_at: Option<i64>,
    /// What came of it.
    pub outcome: Option<String>,
    /// Resolved in the first contact.
    pub first_contact_resolution: Option<bool>,
    /// Notes, oldest first.
    pub notes: Vec<String>,
}

impl Case {
    /// Whether it breached its deadline: closed after it, or still open past it at `now`.
    pub fn breached(&self, now: i64) -> bool {
        match self.closed_at {
            Some(closed) => closed > self.due_at,
            None => now > self.due_at,
        }
    }
}

/// A lesson learned, for the searchable bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// Its number.
    pub id: u32,
    /// The issue it comes from.
    pub issue: Option<u32>,
    /// A title.
    pub title: String,
    /// What happened.
    pub what_happened: String,
    /// The root cause.
    pub root_cause: String,
    /// What worked.
    pub what_worked: String,
    /// What others can reuse.
    pub reuse: String,
    /// Recorded (unix seconds).
    pub at: i64,
    /// By whom.
    pub by: String,
}

/// The published criteria recognition submissions are judged on, each scored 1 to 5.
pub const CRITERIA: [&str; 4] = [
    "prevention: removes a root cause before customers feel it",
    "evidence: the effect is measured (a leading indicator, a verified fix)",
    "reach: how many customers and departments it helps",
    "reuse: other teams can apply it",
];

/// Prevention work a team submits for recognition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Its number.
    pub id: u32,
    /// The team.
    pub department: Slug,
    /// A title.
    pub title: String,
    /// What they did.
    pub description: String,
    /// The issue it prevented or removed.
    pub issue: Option<u32>,
    /// Who submitted it.
    pub by: String,
    /// The panel's scores.
    pub judgements: Vec<Judgement>,
}

impl Submission {
    /// The mean of all judges' total scores, when judged.
    pub fn mean_total(&self) -> Option<f64> {
        if self.judgements.is_empty() {
            return None;
        }
        let sum: u32 = self
            .judgements
            .iter()
            .map(|j| j.scores.iter().map(|&s| u32::from(s)).sum::<u32>())
            .sum();
        Some(f64::from(sum) / self.judgements.len() as f64)
    }
}

/// One panel member's judgement of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// The judge.
    pub judge: String,
    /// One score 1-5 per criterion, in [`CRITERIA`] order.
    pub scores: Vec<u8>,
    /// Their comment.
    pub comment: String,
}
