//! The changes people make: each one is checked against the rules, then appended to the log as
//! an event, and the state is the fold of the log.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trove_domain::Slug;

use crate::model::{Audience, CaseStatus, Direction, MetricValue, Pain, Role, Status, Why};

/// One change to the workflow's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// The database is marked as a rehearsal: changes may then be made as of another time
    /// (`--now`). For good: records made at pretended times stay pretended.
    RehearsalMarked {
        /// Why (the demo company, a training...).
        reason: String,
    },
    /// A person joins.
    UserAdded {
        /// E-mail.
        email: String,
        /// Name.
        name: String,
        /// Role.
        role: Role,
        /// Departments.
        departments: Vec<Slug>,
    },
    /// A person's role or departments change.
    UserChanged {
        /// E-mail.
        email: String,
        /// The new role.
        role: Role,
        /// The new departments.
        departments: Vec<Slug>,
    },
    /// A department (silo) is known to the workflow.
    DepartmentAdded {
        /// Its id.
        id: Slug,
        /// Its name.
        name: String,
    },
    /// An issue is opened.
    IssueOpened {
        /// Its number.
        issue: u32,
        /// Title.
        title: String,
        /// Themes.
        themes: Vec<Slug>,
        /// Lead department.
        lead: Slug,
        /// All contributing departments (the lead included).
        departments: Vec<Slug>,
        /// The analysis figures.
        pain: Option<Pain>,
    },
    /// An issue's themes and departments are replaced.
    IssueScoped {
        /// The issue.
        issue: u32,
        /// Themes.
        themes: Vec<Slug>,
        /// Lead department.
        lead: Slug,
        /// All contributing departments (the lead included).
        departments: Vec<Slug>,
    },
    /// An issue moves to another status.
    IssueMoved {
        /// The issue.
        issue: u32,
        /// The new status.
        to: Status,
        /// Why.
        note: Option<String>,
    },
    /// The result of a fix verification is recorded.
    VerificationRecorded {
        /// The issue.
        issue: u32,
        /// `verified`, `inconclusive` or `recurred`.
        verdict: String,
        /// The fix date tested.
        fixed_on: Date,
        /// Rate ratio after/before.
        rate_ratio: Option<f64>,
        /// Its 95% interval.
        ci: Option<(f64, f64)>,
    },
    /// Someone asks to resolve an issue without a verification; another person, an admin,
    /// approves it with [`Change::ResolutionOverridden`].
    OverrideRequested {
        /// The issue.
        issue: u32,
        /// Why the verification is not needed.
        reason: String,
    },
    /// An admin approves a requested resolution without a verification (never their own
    /// request).
    ResolutionOverridden {
        /// The issue.
        issue: u32,
        /// Why.
        reason: String,
        /// The approving admin.
        approved_by: String,
    },
    /// A five-whys chain is recorded.
    WhysRecorded {
        /// The chain's number.
        chain: u32,
        /// The issue.
        issue: u32,
        /// The symptom.
        symptom: String,
        /// The whys; the last is the root cause.
        whys: Vec<Why>,
        /// Workshop day.
        workshop_on: Date,
        /// Participants.
        participants: Vec<String>,
    },
    /// An action is planned against a root cause.
    ActionPlanned {
        /// The action's number.
        action: u32,
        /// The issue.
        issue: u32,
        /// The root cause (chain) it removes.
        chain: u32,
        /// What.
        what: String,
        /// Owning department.
        department: Slug,
        /// Owner (e-mail).
        owner: String,
        /// Due date.
        due: Date,
        /// What customers are told about it (required before it is announced).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public: Option<String>,
    },
    /// An action's customer-facing wording is set or changed.
    ActionWorded {
        /// The action.
        action: u32,
        /// What customers are told about it.
        public: String,
    },
    /// Progress on an action.
    ActionProgressed {
        /// The action.
        action: u32,
        /// Percent complete (100 does not mark it done: [`Change::ActionDone`] does).
        percent: u8,
        /// A note.
        note: Option<String>,
    },
    /// An action is done. Its commitment is judged by the day this is recorded (the event's
    /// time), whatever day it claims.
    ActionDone {
        /// The action.
        action: u32,
        /// The day it claims the work was done (kept beside the recording time).
        on: Date,
    },
    /// An action's due date moves, with a reason; the old date stays in its history.
    ActionReplanned {
        /// The action.
        action: u32,
        /// The new due date.
        due: Date,
        /// Why.
        reason: String,
    },
    /// The plan's leading indicator is set.
    IndicatorSet {
        /// The issue.
        issue: u32,
        /// The metric's id.
        metric: Slug,
        /// What it measures.
        name: String,
        /// Unit.
        unit: String,
        /// Which way is better.
        direction: Direction,
        /// Target.
        target: f64,
    },
    /// Values of a workflow metric (a leading indicator) are recorded: new days, and changed
    /// values with the value they replace.
    MetricsRecorded {
        /// The metric.
        metric: Slug,
        /// The values that are new or changed, by day.
        values: Vec<MetricValue>,
    },
    /// A follow-up case is opened.
    CaseOpened {
        /// Its number.
        case: u32,
        /// The customer.
        customer: Option<String>,
        /// The feedback item.
        feedback_id: Option<i64>,
        /// The issue.
        issue: Option<u32>,
        /// Why.
        reason: String,
        /// Owning department.
        department: Slug,
        /// Owner.
        owner: Option<String>,
        /// Service-level deadline (unix seconds).
        due_at: i64,
    },
    /// A follow-up case is worked.
    CaseUpdated {
        /// The case.
        case: u32,
        /// Its new status.
        status: CaseStatus,
        /// The outcome (required to close).
        outcome: Option<String>,
        /// Resolved in the first contact.
        first_contact_resolution: Option<bool>,
        /// A note.
        note: Option<String>,
    },
    /// A person takes a follow-up case: it becomes theirs (a lead or an admin may also hand it
    /// to someone of its department).
    CaseTaken {
        /// The case.
        case: u32,
        /// Its new owner (e-mail).
        owner: String,
    },
    /// An announcement is made.
    Announced {
        /// Its number.
        announcement: u32,
        /// The issues.
        issues: Vec<u32>,
        /// Audience.
        audience: Audience,
        /// The message.
        message: String,
        /// Recipients: the customers of the audience with an e-mail.
        recipients: u64,
        /// The distinct customers who raised the issues' themes (the "N of you told us").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        told_us: Option<u64>,
        /// The promised progress report date.
        report_due: Date,
    },
    /// The "you said, we did" report of an announcement is published.
    ProgressReported {
        /// The announcement.
        announcement: u32,
        /// The day.
        on: Date,
    },
    /// A lesson goes into the bank.
    LessonRecorded {
        /// Its number.
        lesson: u32,
        /// The issue.
        issue: Option<u32>,
        /// Title.
        title: String,
        /// What happened.
        what_happened: String,
        /// Root cause.
        root_cause: String,
        /// What worked.
        what_worked: String,
        /// What to reuse.
        reuse: String,
    },
    /// A team submits prevention work for recognition.
    RecognitionSubmitted {
        /// Its number.
        submission: u32,
        /// The team.
        department: Slug,
        /// Title.
        title: String,
        /// What they did.
        description: String,
        /// The issue.
        issue: Option<u32>,
    },
    /// A panel member judges a submission.
    RecognitionJudged {
        /// The submission.
        submission: u32,
        /// One score 1-5 per published criterion.
        scores: Vec<u8>,
        /// Comment.
        comment: String,
    },
}

impl Change {
    /// Its kind, as the log stores it (`issue_moved`...).
    pub fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("change").and_then(|k| k.as_str().map(str::to_owned)))
            .unwrap_or_default()
    }

    /// The records it touches, as `kind:id` keys (`issue:3`, `action:7`...): the audit trail
    /// of a record is the events that touch it.
    pub fn records(&self) -> Vec<String> {
        use Change::*;
        let key = |kind: &str, id: &dyn std::fmt::Display| format!("{kind}:{id}");
        match self {
            RehearsalMarked { .. } => vec!["rehearsal".to_owned()],
            UserAdded { email, .. } | UserChanged { email, .. } => vec![key("user", email)],
            DepartmentAdded { id, .. } => vec![key("department", &id.as_str())],
            IssueOpened { issue, .. }
            | IssueScoped { issue, .. }
            | IssueMoved { issue, .. }
            | VerificationRecorded { issue, .. }
            | OverrideRequested { issue, .. }
            | ResolutionOverridden { issue, .. }
            | IndicatorSet { issue, .. } => vec![key("issue", issue)],
            MetricsRecorded { metric, .. } => vec![key("metric", &metric.as_str())],
            WhysRecorded { chain, issue, .. } => vec![key("chain", chain), key("issue", issue)],
            ActionPlanned { action, issue, .. } => {
                vec![key("action", action), key("issue", issue)]
            }
            ActionProgressed { action, .. }
            | ActionWorded { action, .. }
            | ActionDone { action, .. }
            | ActionReplanned { action, .. } => vec![key("action", action)],
            CaseOpened { case, issue, .. } => {
                let mut keys = vec![key("case", case)];
                keys.extend(issue.map(|i| key("issue", &i)));
                keys
            }
            CaseUpdated { case, .. } | CaseTaken { case, .. } => vec![key("case", case)],
            Announced {
                announcement,
                issues,
                ..
            } => {
                let mut keys = vec![key("announcement", announcement)];
                keys.extend(issues.iter().map(|i| key("issue", i)));
                keys
            }
            ProgressReported { announcement, .. } => vec![key("announcement", announcement)],
            LessonRecorded { lesson, issue, .. } => {
                let mut keys = vec![key("lesson", lesson)];
                keys.extend(issue.map(|i| key("issue", &i)));
                keys
            }
            RecognitionSubmitted { submission, .. } | RecognitionJudged { submission, .. } => {
                vec![key("submission", submission)]
            }
        }
    }
}

/// A change as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Its position in the log.
    pub seq: i64,
    /// When (unix seconds).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub change: Change,
}
