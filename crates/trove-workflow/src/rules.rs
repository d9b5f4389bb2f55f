//! The rules every change must pass before it is appended: who may make it (roles and
//! department membership) and whether it makes sense now (the records exist, the lifecycle
//! allows it). A refusal names the rule it broke.
//!
//! | change | who may make it |
//! |---|---|
//! | people, departments, loading the journey | admin (the very first person, an admin, needs nobody) |
//! | mark the database a rehearsal | admin (the demo, on a database with an empty log, needs nobody) |
//! | open an issue, scope it, record a verification, announce, report progress | admin, analyst |
//! | move an issue, record five whys, set the indicator, ask to resolve without verification | admin, analyst, lead of one of its departments |
//! | approve a resolution without verification | an admin other than the one who asked |
//! | plan an action | admin, analyst, lead of the action's department |
//! | word an action for customers | admin, analyst, lead of its department |
//! | progress or finish an action | admin, its owner, lead of its department |
//! | record a metric's values | admin, analyst, lead or member of a department of an issue it is the indicator of |
//! | re-plan an action (with a reason) | admin, lead of its department |
//! | open a follow-up case | admin, analyst, lead or member of its department |
//! | work a case | admin, its owner, lead or member of its department |
//! | take a case (for oneself) | admin, lead or member of its department, unless someone else owns it |
//! | hand a case to someone of its department | admin, lead of its department |
//! | record a lesson | admin, analyst, lead |
//! | submit for recognition | admin, lead or member of the team |
//! | judge a submission (once each) | admin, analyst, lead outside the team |
//!
//! Viewers change nothing. The last admin stays an admin. Times are the real clock's, except
//! on a rehearsal database ([`rehearsal`]); a completion counts on the day it is recorded.

use jiff::civil::Date;
use thiserror::Error;
use trove_domain::Slug;

use crate::change::Change;
use crate::model::{ActionStatus, CRITERIA, CaseStatus, Role, Status, User};
use crate::state::Workflow;

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("refused ({rule}): {detail}")]
pub struct Refusal {
    /// The rule, in a few words (`roles`, `lifecycle`, `root cause first`...).
    pub rule: &'static str,
    /// What exactly.
    pub detail: String,
}

fn refuse(rule: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        detail: detail.into(),
    }
}

/// Checks a change made by `actor` (`None`: nobody is signed in) on `today`.
pub fn check(
    state: &Workflow,
    actor: Option<&User>,
    today: Date,
    change: &Change,
) -> Result<(), Refusal> {
    let Some(actor) = actor else {
        return bootstrap(state, change);
    };
    permitted(state, actor, change)?;
    valid(state, today, change)
}

/// Changes made as of a pretended time (`--now`) are for rehearsal databases only: anywhere
/// else, every record carries the real clock's time.
pub fn rehearsal(state: &Workflow) -> Result<(), Refusal> {
    if state.rehearsal.is_some() {
        Ok(())
    } else {
        Err(refuse(
            "real time",
            "--now (TROVE_NOW) pretends another time, which only a rehearsal database allows \
             (the demo's, or one an admin marks with `trove rehearsal on`); here every change \
             is recorded at the real time: drop --now",
        ))
    }
}

/// Loading the customer journey adds and renames departments: an admin's job once people use
/// the workflow (before anyone is added, whoever sets the database up may).
pub fn load_journey(state: &Workflow, actor: Option<&User>) -> Result<(), Refusal> {
    if state.users.is_empty() {
        return Ok(());
    }
    let Some(actor) = actor else {
        return Err(refuse(
            "sign in",
            "loading the journey changes the departments: say who you are (--as EMAIL, an admin)",
        ));
    };
    roles(actor, &[Role::Admin], "loading the journey")
}

/// Without anybody signed in, only the first person may be added, as an admin (and the demo
/// may mark its fresh database as a rehearsal).
fn bootstrap(state: &Workflow, change: &Change) -> Result<(), Refusal> {
    match change {
        Change::RehearsalMarked { .. } if state.seq == 0 => Ok(()),
        Change::UserAdded { role, .. } if state.users.is_empty() => {
            if *role == Role::Admin {
                Ok(())
            } else {
                Err(refuse(
                    "first user",
                    "the first person added must be an admin",
                ))
            }
        }
        _ => Err(refuse(
            "sign in",
            "say who you are (--as EMAIL or TROVE_USER); only the first admin can be added without",
        )),
    }
}

fn roles(actor: &User, allowed: &[Role], what: &str) -> Result<(), Refusal> {
    if allowed.contains(&actor.role) {
        Ok(())
    } else {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Err(refuse(
            "roles",
            format!(
                "{} is {}; {what} needs the role {}",
                actor.email,
                actor.role.as_str(),
                names.join(" or ")
            ),
        ))
    }
}

/// Admin, or a role in `roles` that also satisfies `member`.
fn admin_or(
    actor: &User,
    allowed: &[Role],
    member: impl Fn(&User) -> bool,
    what: &str,
    whose: &str,
) -> Result<(), Refusal> {
    if actor.role == Role::Admin || (allowed.contains(&actor.role) && member(actor)) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    Err(refuse(
        "roles",
        format!(
            "{} ({}) may not {what}: it needs an admin or a {} {whose}",
            actor.email,
            actor.role.as_str(),
            names.join(" or ")
        ),
    ))
}

fn issue_departments(state: &Workflow, issue: u32) -> Vec<Slug> {
    state
        .issues
        .get(&issue)
        .map(|i| i.departments.clone())
        .unwrap_or_default()
}

/// Whether `actor` may make this kind of change (roles and departments only; [`check`] also
/// checks that it makes sense now).
pub fn permitted(state: &Workflow, actor: &User, change: &Change) -> Result<(), Refusal> {
    use Change::*;
    use Role::*;
    if actor.role == Viewer {
        return Err(refuse(
            "roles",
            format!("{} is a viewer: viewers change nothing", actor.email),
        ));
    }
    let leads_one_of = |departments: Vec<Slug>| {
        move |u: &User| u.role == Analyst || departments.iter().any(|d| u.leads(d))
    };
    match change {
        UserAdded { .. } | UserChanged { .. } | DepartmentAdded { .. } => {
            roles(actor, &[Admin], "managing people and departments")
        }
        RehearsalMarked { .. } => roles(actor, &[Admin], "marking a rehearsal database"),
        IssueOpened { .. }
        | IssueScoped { .. }
        | VerificationRecorded { .. }
        | Announced { .. }
        | ProgressReported { .. } => roles(actor, &[Admin, Analyst], "this"),
        IssueMoved { issue, .. }
        | WhysRecorded { issue, .. }
        | IndicatorSet { issue, .. }
        | OverrideRequested { issue, .. } => admin_or(
            actor,
            &[Analyst, Lead],
            leads_one_of(issue_departments(state, *issue)),
            "work on this issue",
            "leading one of its departments",
        ),
        ResolutionOverridden {
            issue, approved_by, ..
        } => {
            roles(
                actor,
                &[Admin],
                "approving a resolution without verification",
            )?;
            if *approved_by != actor.email {
                return Err(refuse(
                    "four eyes",
                    format!(
                        "{} may approve in their own name only, not as {approved_by}",
                        actor.email
                    ),
                ));
            }
            let request = state
                .issues
                .get(issue)
                .and_then(|i| i.override_request.as_ref());
            match request {
                Some(r) if r.by == actor.email => Err(refuse(
                    "four eyes",
                    format!(
                        "{} asked for this override; another admin must approve it",
                        actor.email
                    ),
                )),
                _ => Ok(()), // `valid` names a missing request
            }
        }
        ActionWorded { action, .. } => {
            let Some(a) = state.actions.get(action) else {
                return Ok(());
            };
            admin_or(
                actor,
                &[Analyst, Lead],
                |u| u.role == Analyst || u.leads(&a.department),
                &format!("word action {action} for customers"),
                "leading its department",
            )
        }
        MetricsRecorded { metric, .. } => {
            let departments: Vec<Slug> = state
                .issues
                .values()
                .filter(|i| {
                    i.indicator
                        .as_ref()
                        .is_some_and(|ind| &ind.metric == metric)
                })
                .flat_map(|i| i.departments.iter().cloned())
                .collect();
            admin_or(
                actor,
                &[Analyst, Lead, Member],
                |u| u.role == Analyst || departments.iter().any(|d| u.in_department(d)),
                &format!("record values of {}", metric.as_str()),
                "of a department of an issue it is the indicator of",
            )
        }
        ActionPlanned { department, .. } => admin_or(
            actor,
            &[Analyst, Lead],
            |u| u.role == Analyst || u.leads(department),
            &format!(
                "plan an action for {department}",
                department = department.as_str()
            ),
            "leading that department",
        ),
        ActionProgressed { action, .. } | ActionDone { action, .. } => {
            let Some(a) = state.actions.get(action) else {
                return Ok(()); // `valid` names the missing action
            };
            admin_or(
                actor,
                &[Lead, Member],
                |u| u.email == a.owner || u.leads(&a.department),
                &format!("update action {action}"),
                "who owns it or leads its department",
            )
        }
        ActionReplanned { action, .. } => {
            let Some(a) = state.actions.get(action) else {
                return Ok(());
            };
            admin_or(
                actor,
                &[Lead],
                |u| u.leads(&a.department),
                &format!("re-plan action {action}"),
                "of its department",
            )
        }
        CaseOpened { department, .. } => admin_or(
            actor,
            &[Analyst, Lead, Member],
            |u| u.role == Analyst || u.in_department(department),
            "open a follow-up case for this department",
            "of that department",
        ),
        CaseUpdated { case, .. } => {
            let Some(c) = state.cases.get(case) else {
                return Ok(());
            };
            admin_or(
                actor,
                &[Lead, Member],
                |u| c.owner.as_deref() == Some(u.email.as_str()) || u.in_department(&c.department),
                &format!("work case {case}"),
                "who owns it or is in its department",
            )
        }
        CaseTaken { case, owner } => {
            let Some(c) = state.cases.get(case) else {
                return Ok(());
            };
            take_case(actor, c, owner)
        }
        LessonRecorded { .. } => roles(actor, &[Admin, Analyst, Lead], "recording a lesson"),
        RecognitionSubmitted { department, .. } => admin_or(
            actor,
            &[Lead, Member],
            |u| u.in_department(department),
            "submit for this team",
            "of the team",
        ),
        RecognitionJudged { submission, .. } => {
            let team = state
                .submissions
                .get(submission)
                .map(|s| s.department.clone());
            admin_or(
                actor,
                &[Analyst, Lead],
                |u| team.as_ref().is_none_or(|t| !u.in_department(t)),
                "judge this submission",
                "outside the submitting team",
            )
        }
    }
}

/// Taking a case: a lead of its department (or an admin) may give it to anyone; a member of
/// its department may take it for themselves while nobody else owns it.
fn take_case(actor: &User, case: &crate::model::Case, owner: &str) -> Result<(), Refusal> {
    let id = case.id;
    if actor.role == Role::Admin || actor.leads(&case.department) {
        return Ok(());
    }
    if owner != actor.email {
        return Err(refuse(
            "roles",
            format!(
                "{} ({}) may not hand case {id} to {owner}: it needs an admin or a lead of {}",
                actor.email,
                actor.role.as_str(),
                case.department.as_str()
            ),
        ));
    }
    if actor.role != Role::Member || !actor.in_department(&case.department) {
        return Err(refuse(
            "roles",
            format!(
                "{} ({}) may not take case {id}: it needs an admin, or a lead or member of {}",
                actor.email,
                actor.role.as_str(),
                case.department.as_str()
            ),
        ));
    }
    match &case.owner {
        Some(other) if other != &actor.email => Err(refuse(
            "taken",
            format!(
                "case {id} is {other}'s; a lead of {} can hand it over",
                case.department.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

fn text(field: &'static str, value: &str) -> Result<(), Refusal> {
    if value.trim().is_empty() {
        Err(refuse("required", format!("{field} must not be empty")))
    } else {
        Ok(())
    }
}

fn known_issue(state: &Workflow, issue: u32) -> Result<&crate::model::Issue, Refusal> {
    state
        .issues
        .get(&issue)
        .ok_or_else(|| refuse("exists", format!("there is no issue {issue}")))
}

fn known_user<'a>(state: &'a Workflow, email: &str) -> Result<&'a User, Refusal> {
    state
        .users
        .get(email)
        .ok_or_else(|| refuse("exists", format!("there is no user {email}")))
}

fn valid(state: &Workflow, today: Date, change: &Change) -> Result<(), Refusal> {
    use Change::*;
    match change {
        UserAdded { email, name, .. } => {
            text("name", name)?;
            if !email.contains('@') || email.to_lowercase() != *email {
                return Err(refuse(
                    "e-mail",
                    format!("{email:?} is not a lowercase e-mail"),
                ));
            }
            if state.users.contains_key(email) {
                return Err(refuse("exists", format!("{email} is already a user")));
            }
            Ok(())
        }
        UserChanged { email, role, .. } => {
            let user = known_user(state, email)?;
            if user.role == Role::Admin && *role != Role::Admin && state.admins().count() == 1 {
                return Err(refuse(
                    "last admin",
                    format!(
                        "{email} is the only admin: make someone else an admin first (nothing else can)"
                    ),
                ));
            }
            Ok(())
        }
        RehearsalMarked { reason } => {
            if state.rehearsal.is_some() {
                return Err(refuse("exists", "this database is already a rehearsal"));
            }
            text("reason", reason)
        }
        OverrideRequested { issue, reason } => {
            let issue = known_issue(state, *issue)?;
            if issue.status == Status::Resolved {
                return Err(refuse(
                    "lifecycle",
                    format!("issue {} is resolved", issue.id),
                ));
            }
            text("reason", reason)
        }
        ActionWorded { action, public } => {
            known_action(state, *action)?;
            text("customer-facing wording", public)
        }
        MetricsRecorded { metric, values } => metric_values(state, metric, values),
        DepartmentAdded { name, .. } => text("name", name),
        IssueOpened {
            title,
            lead,
            departments,
            issue,
            ..
        } => {
            text("title", title)?;
            if state.issues.contains_key(issue) {
                return Err(refuse("exists", format!("issue {issue} already exists")));
            }
            lead_among(lead, departments)
        }
        IssueScoped {
            issue,
            lead,
            departments,
            ..
        } => {
            known_issue(state, *issue)?;
            lead_among(lead, departments)
        }
        IssueMoved { issue, to, .. } => move_issue(state, *issue, *to),
        VerificationRecorded { issue, verdict, .. } => {
            known_issue(state, *issue)?;
            match verdict.as_str() {
                "verified" | "inconclusive" | "recurred" => Ok(()),
                _ => Err(refuse(
                    "verdict",
                    format!("{verdict:?}: use verified, inconclusive or recurred"),
                )),
            }
        }
        ResolutionOverridden {
            issue,
            reason,
            approved_by,
        } => {
            if known_issue(state, *issue)?.override_request.is_none() {
                return Err(refuse(
                    "four eyes",
                    format!(
                        "nobody asked to resolve issue {issue} without verification (`trove issue resolve {issue} --override REASON`)"
                    ),
                ));
            }
            text("reason", reason)?;
            let approver = known_user(state, approved_by)?;
            if approver.role != Role::Admin {
                return Err(refuse(
                    "override approval",
                    format!("{approved_by} is not an admin; an override needs an admin's approval"),
                ));
            }
            Ok(())
        }
        WhysRecorded {
            issue,
            symptom,
            whys,
            participants,
            ..
        } => {
            let issue = known_issue(state, *issue)?;
            if issue.status == Status::Resolved {
                return Err(refuse(
                    "lifecycle",
                    format!("issue {} is resolved", issue.id),
                ));
            }
            text("symptom", symptom)?;
            if whys.is_empty() || whys.len() > 7 {
                return Err(refuse(
                    "five whys",
                    format!(
                        "a chain has 1 to 7 whys (usually five); this one has {}",
                        whys.len()
                    ),
                ));
            }
            for why in whys {
                text("a why", &why.text)?;
            }
            if participants.is_empty() {
                return Err(refuse("five whys", "name the workshop's participants"));
            }
            Ok(())
        }
        ActionPlanned {
            issue,
            chain,
            what,
            department,
            owner,
            due,
            public,
            ..
        } => {
            let issue = known_issue(state, *issue)?;
            text("what", what)?;
            if let Some(public) = public {
                text("customer-facing wording", public)?;
            }
            match state.chains.get(chain) {
                Some(c) if c.issue == issue.id => {}
                _ => {
                    return Err(refuse(
                        "root cause first",
                        format!(
                            "issue {} has no root-cause chain {chain}: record the five whys first (`trove why add`)",
                            issue.id
                        ),
                    ));
                }
            }
            if !issue.departments.contains(department) {
                return Err(refuse(
                    "owning departments",
                    format!(
                        "{} does not contribute to issue {}; add it to the issue first",
                        department.as_str(),
                        issue.id
                    ),
                ));
            }
            let owner = known_user(state, owner)?;
            if !owner.in_department(department) {
                return Err(refuse(
                    "owner",
                    format!("{} is not in {}", owner.email, department.as_str()),
                ));
            }
            if *due < today {
                return Err(refuse(
                    "commitments",
                    format!("due date {due} is in the past"),
                ));
            }
            Ok(())
        }
        ActionProgressed {
            action, percent, ..
        } => {
            let a = known_action(state, *action)?;
            if *percent > 100 {
                return Err(refuse("percent", format!("{percent} is over 100")));
            }
            open_action(a)
        }
        ActionDone { action, on } => {
            open_action(known_action(state, *action)?)?;
            if *on > today {
                return Err(refuse(
                    "no future dates",
                    format!("action {action} cannot be done on {on}, after today ({today})"),
                ));
            }
            Ok(())
        }
        ActionReplanned {
            action,
            due,
            reason,
        } => {
            let a = known_action(state, *action)?;
            open_action(a)?;
            if reason.trim().is_empty() {
                return Err(refuse(
                    "re-planning needs a reason",
                    format!("say why action {action} moves from {} to {due}", a.due),
                ));
            }
            if *due == a.due {
                return Err(refuse(
                    "commitments",
                    format!("action {action} is already due {due}"),
                ));
            }
            if *due < today {
                return Err(refuse(
                    "commitments",
                    format!("due date {due} is in the past"),
                ));
            }
            Ok(())
        }
        IndicatorSet {
            issue, name, unit, ..
        } => {
            known_issue(state, *issue)?;
            text("name", name)?;
            text("unit", unit)
        }
        CaseOpened {
            reason,
            owner,
            issue,
            ..
        } => {
            text("reason", reason)?;
            if let Some(issue) = issue {
                known_issue(state, *issue)?;
            }
            if let Some(owner) = owner {
                known_user(state, owner)?;
            }
            Ok(())
        }
        CaseUpdated {
            case,
            status,
            outcome,
            ..
        } => {
            let c = state
                .cases
                .get(case)
                .ok_or_else(|| refuse("exists", format!("there is no case {case}")))?;
            if c.status == CaseStatus::Closed {
                return Err(refuse("lifecycle", format!("case {case} is closed")));
            }
            if *status == CaseStatus::Closed
                && outcome.as_deref().is_none_or(|o| o.trim().is_empty())
            {
                return Err(refuse(
                    "outcome",
                    format!("closing case {case} needs its outcome"),
                ));
            }
            Ok(())
        }
        CaseTaken { case, owner } => {
            let c = state
                .cases
                .get(case)
                .ok_or_else(|| refuse("exists", format!("there is no case {case}")))?;
            if c.status == CaseStatus::Closed {
                return Err(refuse("lifecycle", format!("case {case} is closed")));
            }
            let person = known_user(state, owner)?;
            if person.role != Role::Admin && !person.in_department(&c.department) {
                return Err(refuse(
                    "department",
                    format!(
                        "{owner} is not in {}, the department that owns case {case}",
                        c.department.as_str()
                    ),
                ));
            }
            Ok(())
        }
        Announced {
            issues,
            message,
            report_due,
            ..
        } => {
            if issues.is_empty() {
                return Err(refuse(
                    "required",
                    "an announcement is about at least one issue",
                ));
            }
            for issue in issues {
                known_issue(state, *issue)?;
                for action in state.actions_of(*issue) {
                    announceable(action, today)?;
                }
            }
            text("message", message)?;
            if *report_due <= today {
                return Err(refuse(
                    "commitments",
                    format!("the progress report date {report_due} must be after today"),
                ));
            }
            Ok(())
        }
        ProgressReported { announcement, on } => {
            let a = state.announcements.get(announcement).ok_or_else(|| {
                refuse("exists", format!("there is no announcement {announcement}"))
            })?;
            if *on > today {
                return Err(refuse(
                    "no future dates",
                    format!("the report cannot be published on {on}, after today ({today})"),
                ));
            }
            if a.reported_on.is_some() {
                return Err(refuse(
                    "exists",
                    format!("announcement {announcement} already has its report"),
                ));
            }
            Ok(())
        }
        LessonRecorded {
            issue,
            title,
            what_happened,
            root_cause,
            what_worked,
            reuse,
            ..
        } => {
            if let Some(issue) = issue {
                known_issue(state, *issue)?;
            }
            text("title", title)?;
            text("what happened", what_happened)?;
            text("root cause", root_cause)?;
            text("what worked", what_worked)?;
            text("what to reuse", reuse)
        }
        RecognitionSubmitted {
            title,
            description,
            issue,
            ..
        } => {
            if let Some(issue) = issue {
                known_issue(state, *issue)?;
            }
            text("title", title)?;
            text("description", description)
        }
        RecognitionJudged {
            submission, scores, ..
        } => {
            state
                .submissions
                .get(submission)
                .ok_or_else(|| refuse("exists", format!("there is no submission {submission}")))?;
            if scores.len() != CRITERIA.len() || scores.iter().any(|s| !(1..=5).contains(s)) {
                return Err(refuse(
                    "published criteria",
                    format!(
                        "give one score from 1 to 5 for each of the {} criteria",
                        CRITERIA.len()
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// What customers are told about an action: in words written for them, and never a date
/// already missed.
fn announceable(action: &crate::model::Action, today: Date) -> Result<(), Refusal> {
    let id = action.id;
    if action.public.as_deref().is_none_or(|p| p.trim().is_empty()) {
        return Err(refuse(
            "customer-facing wording",
            format!(
                "action {id} ({}) has no wording for customers: `trove action edit {id} --public \"...\"`",
                action.what
            ),
        ));
    }
    if action.status != ActionStatus::Done && action.due < today {
        return Err(refuse(
            "no missed promises",
            format!(
                "action {id} was due {} and is not done: re-plan it (`trove action replan {id}`) so customers are told the new date",
                action.due
            ),
        ));
    }
    Ok(())
}

/// Recorded values: at least one, finite, each really new or changed, and naming the value
/// it replaces as the records hold it (so the log keeps the true history).
fn metric_values(
    state: &Workflow,
    metric: &Slug,
    values: &[crate::model::MetricValue],
) -> Result<(), Refusal> {
    if values.is_empty() {
        return Err(refuse("required", "no values to record"));
    }
    let stored = state.metrics.get(metric);
    for v in values {
        if !v.value.is_finite() {
            return Err(refuse(
                "values",
                format!("{} on {} is not a number", v.value, v.day),
            ));
        }
        let current = stored.and_then(|s| s.get(&v.day)).copied();
        if current == Some(v.value) {
            return Err(refuse(
                "history",
                format!("{} on {} is already {}", metric.as_str(), v.day, v.value),
            ));
        }
        if current != v.previous {
            return Err(refuse(
                "history",
                format!(
                    "{} on {}: the records hold {}, the change says it replaces {}",
                    metric.as_str(),
                    v.day,
                    current.map_or("nothing".into(), |c| c.to_string()),
                    v.previous.map_or("nothing".into(), |c| c.to_string())
                ),
            ));
        }
    }
    Ok(())
}

fn lead_among(lead: &Slug, departments: &[Slug]) -> Result<(), Refusal> {
    if departments.contains(lead) {
        Ok(())
    } else {
        Err(refuse(
            "owning departments",
            format!(
                "the lead department {} must be one of the issue's departments",
                lead.as_str()
            ),
        ))
    }
}

fn known_action(state: &Workflow, action: u32) -> Result<&crate::model::Action, Refusal> {
    state
        .actions
        .get(&action)
        .ok_or_else(|| refuse("exists", format!("there is no action {action}")))
}

fn open_action(action: &crate::model::Action) -> Result<(), Refusal> {
    if action.status == ActionStatus::Done {
        Err(refuse("lifecycle", format!("action {} is done", action.id)))
    } else {
        Ok(())
    }
}

/// The lifecycle: only the next statuses, and each with what it needs.
fn move_issue(state: &Workflow, issue: u32, to: Status) -> Result<(), Refusal> {
    let current = known_issue(state, issue)?;
    let from = current.status;
    if !from.next().contains(&to) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        return Err(refuse(
            "lifecycle",
            format!(
                "issue {issue} is {}; it can move to {} only, not {}",
                from.as_str(),
                allowed.join(" or "),
                to.as_str()
            ),
        ));
    }
    let needs = |rule, detail: String| Err(refuse(rule, detail));
    match to {
        Status::RootCauseFound if state.chains_of(issue).next().is_none() => needs(
            "root cause first",
            format!("issue {issue} has no five-whys chain yet (`trove why add`)"),
        ),
        Status::ActionPlanned
            if !state
                .actions_of(issue)
                .any(|a| a.status != ActionStatus::Done) =>
        {
            needs(
                "plan first",
                format!("issue {issue} has no open action planned (`trove action add`)"),
            )
        }
        Status::Verifying => {
            let open: Vec<String> = state
                .actions_of(issue)
                .filter(|a| a.status != ActionStatus::Done)
                .map(|a| a.id.to_string())
                .collect();
            if open.is_empty() {
                Ok(())
            } else {
                needs(
                    "actions done first",
                    format!("issue {issue} still has open actions: {}", open.join(", ")),
                )
            }
        }
        Status::Resolved => {
            let verified = current
                .verification
                .as_ref()
                .is_some_and(|v| v.verdict == "verified");
            if verified || current.override_.is_some() {
                Ok(())
            } else {
                needs(
                    "verification before resolution",
                    format!(
                        "issue {issue} has no verification that says verified (`trove issue verify`), nor an override approved by an admin"
                    ),
                )
            }
        }
        _ => Ok(()),
    }
}
