//! What people read: commitments and the missed ones, the one-page plan, department streams,
//! follow-up queues, the announcement and its "you said, we did" report, the lesson bank.

use jiff::civil::Date;
use serde::Serialize;
use trove_domain::Slug;

use crate::doc::Doc;
use crate::model::{ActionStatus, Case, CaseStatus, Issue, Lesson, Status};
use crate::state::Workflow;

/// What a commitment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Promise {
    /// An action's due date.
    Action(u32),
    /// An announcement's progress report date.
    ProgressReport(u32),
}

/// Where a commitment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Due later (or today), not met yet.
    Open,
    /// Met on or before its date.
    Met,
    /// Met after its date.
    MetLate,
    /// Its date passed unmet.
    Missed,
}

impl Standing {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Open => "open",
            Standing::Met => "met",
            Standing::MetLate => "met late",
            Standing::Missed => "MISSED",
        }
    }
}

/// A dated promise: an action's due date or a promised progress report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// What it is.
    pub promise: Promise,
    /// In words.
    pub what: String,
    /// The issue it serves.
    pub issue: Option<u32>,
    /// The department that owes it (none for reports, which the analysts owe).
    pub department: Option<Slug>,
    /// The person who owes it.
    pub owner: Option<String>,
    /// Its date now.
    pub due: Date,
    /// How often it was re-planned.
    pub replanned: usize,
    /// Where it stands.
    pub standing: Standing,
    /// Days past due (missed) or late (met late).
    pub days_late: i64,
    /// The day it claims to have been met, when that differs from the day it was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_on: Option<Date>,
    /// The day it was recorded as met (what the standing is judged by).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_on: Option<Date>,
}

fn standing(due: Date, met_on: Option<Date>, today: Date) -> (Standing, i64) {
    let late = |day: Date| (day - due).get_days().into();
    match met_on {
        Some(day) if day <= due => (Standing::Met, 0),
        Some(day) => (Standing::MetLate, late(day)),
        None if today > due => (Standing::Missed, late(today)),
        None => (Standing::Open, 0),
    }
}

/// Every commitment as of `today`, by due date.
pub fn commitments(state: &Workflow, today: Date) -> Vec<Commitment> {
    let mut all: Vec<Commitment> = state
        .actions
        .values()
        .map(|a| {
            let met_on = a.met_on();
            let (standing, days_late) = standing(a.due, met_on, today);
            Commitment {
                promise: Promise::Action(a.id),
                what: a.what.clone(),
                issue: Some(a.issue),
                department: Some(a.department.clone()),
                owner: Some(a.owner.clone()),
                due: a.due,
                replanned: a.replans.len(),
                standing,
                days_late,
                claimed_on: a.done_on.filter(|&c| Some(c) != met_on),
                met_on,
            }
        })
        .chain(state.announcements.values().map(|a| {
            let (standing, days_late) = standing(a.report_due, a.reported_on, today);
            Commitment {
                promise: Promise::ProgressReport(a.id),
                what: format!("progress report of announcement {}", a.id),
                issue: a.issues.first().copied(),
                department: None,
                owner: None,
                due: a.report_due,
                replanned: 0,
                standing,
                days_late,
                claimed_on: None,
                met_on: a.reported_on,
            }
        }))
        .collect();
    all.sort_by(|a, b| (a.due, a.what.as_str()).cmp(&(b.due, b.what.as_str())));
    all
}

fn money_or_dash(values: &[String]) -> String {
    if values.is_empty() {
        "-".to_owned()
    } else {
        values.join(" + ")
    }
}

fn slugs(values: &[Slug]) -> String {
    values
        .iter()
        .map(Slug::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The leading indicator's values, for the plan: (day, value), by day.
pub type Series = [(String, f64)];

/// The one-page action plan of an issue.
pub fn plan_page(state: &Workflow, issue: &Issue, series: &Series, today: Date) -> Doc {
    let mut doc = Doc::default();
    doc.heading(1, format!("Issue {}: {}", issue.id, issue.title));
    doc.para(format!(
        "Status: {}. Lead: {}. Departments: {}. Themes: {}.",
        issue.status.as_str(),
        issue.lead.as_str(),
        slugs(&issue.departments),
        slugs(&issue.themes)
    ));
    doc.heading(2, "The customers' pain");
    match &issue.pain {
        Some(p) => doc.table(
            &[
                "window",
                "items",
                "customers",
                "NPS impact",
                "revenue at risk",
                "label",
            ],
            vec![vec![
                p.window.clone(),
                p.volume.to_string(),
                p.customers.to_string(),
                p.nps_impact
                    .map_or("-".into(), |n| format!("{n:+.1} points")),
                money_or_dash(&p.revenue_at_risk),
                p.label.clone(),
            ]],
            "",
        ),
        None => doc.para("Opened by hand: no analysis figures."),
    };
    doc.heading(2, "Root causes (five whys)");
    let chains: Vec<String> = state
        .chains_of(issue.id)
        .map(|c| {
            let whys: Vec<String> = c
                .whys
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let evidence = if w.evidence.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", w.evidence.join(", "))
                    };
                    format!("why {}: {}{evidence}", i + 1, w.text)
                })
                .collect();
            format!(
                "Chain {} (workshop {}, {}): {} -> {}. ROOT CAUSE: {}",
                c.id,
                c.workshop_on,
                c.participants.join(", "),
                c.symptom,
                whys.join(" -> "),
                c.root_cause()
            )
        })
        .collect();
    doc.list(chains, "No root cause recorded yet.");
    doc.heading(2, "Actions");
    let rows = action_rows(state, |a| a.issue == issue.id, today);
    doc.table(&ACTION_COLUMNS, rows, "No actions planned yet.");
    doc.heading(2, "Leading indicator");
    match &issue.indicator {
        Some(ind) => {
            let latest = series.last();
            let verdict = latest.map_or("no values yet".to_owned(), |(day, v)| {
                let meets = if ind.direction.meets(*v, ind.target) {
                    "meets"
                } else {
                    "misses"
                };
                format!("latest {v} {} on {day}: {meets} the target", ind.unit)
            });
            doc.para(format!(
                "{} ({}), {} is better, target {} {}: {verdict}.",
                ind.name,
                ind.metric.as_str(),
                match ind.direction {
                    crate::model::Direction::Up => "higher",
                    crate::model::Direction::Down => "lower",
                },
                ind.target,
                ind.unit
            ));
            let recent: Vec<Vec<String>> = series
                .iter()
                .rev()
                .take(12)
                .rev()
                .map(|(day, v)| vec![day.clone(), format!("{v}")])
                .collect();
            doc.table(&["day", "value"], recent, "");
        }
        None => {
            doc.para("Not set: name the metric at the decision point (`trove plan indicator`).");
        }
    }
    doc.heading(2, "Verification");
    let verification = match (&issue.verification, &issue.override_) {
        (Some(v), _) => format!(
            "{} for a fix on {}: rate ratio {} (95% CI {}).",
            v.verdict,
            v.fixed_on,
            v.rate_ratio.map_or("-".into(), |r| format!("{r:.3}")),
            v.ci.map_or("-".into(), |(l, h)| format!("{l:.3}-{h:.3}"))
        ),
        (None, Some(o)) => format!(
            "Resolved without verification, approved by {}: {}",
            o.approved_by, o.reason
        ),
        (None, None) => "Not verified yet.".to_owned(),
    };
    doc.para(verification);
    doc
}

/// The columns of [`action_rows`].
const ACTION_COLUMNS: [&str; 9] = [
    "#",
    "what",
    "root cause",
    "department",
    "owner",
    "due",
    "status",
    "%",
    "commitment",
];

/// Table rows of the actions that `keep` selects.
fn action_rows(
    state: &Workflow,
    keep: impl Fn(&crate::model::Action) -> bool,
    today: Date,
) -> Vec<Vec<String>> {
    state
        .actions
        .values()
        .filter(|a| keep(a))
        .map(|a| {
            let (standing, late) = standing(a.due, a.met_on(), today);
            let mut commitment = standing.as_str().to_owned();
            if late > 0 {
                commitment.push_str(&format!(" ({late} days)"));
            }
            if let (Some(claimed), Some(met)) = (a.done_on, a.met_on())
                && claimed != met
            {
                commitment.push_str(&format!("; claims done {claimed}, recorded {met}"));
            }
            if !a.replans.is_empty() {
                let history: Vec<String> = a
                    .replans
                    .iter()
                    .map(|r| format!("{} -> {}: {}", r.from, r.to, r.reason))
                    .collect();
                commitment.push_str(&format!("; re-planned {}", history.join("; ")));
            }
            let root = state
                .chains
                .get(&a.chain)
                .map_or(String::new(), |c| c.root_cause().to_owned());
            vec![
                a.id.to_string(),
                a.what.clone(),
                root,
                a.department.as_str().to_owned(),
                a.owner.clone(),
                a.due.to_string(),
                a.status.as_str().to_owned(),
                a.percent.to_string(),
                commitment,
            ]
        })
        .collect()
}

/// A customer's words for a stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verbatim {
    /// The item.
    pub feedback_id: i64,
    /// Received (UTC day).
    pub day: String,
    /// The theme.
    pub theme: String,
    /// The words.
    pub text: String,
}

/// A department's stream: its issues, open actions, missed commitments and fresh verbatims.
pub fn stream_page(
    state: &Workflow,
    department: &Slug,
    since: Date,
    today: Date,
    verbatims: &[Verbatim],
) -> Doc {
    let mut doc = Doc::default();
    doc.heading(1, format!("{} stream since {since}", department.as_str()));
    doc.heading(2, "Issues we contribute to");
    let issues: Vec<Vec<String>> = state
        .issues
        .values()
        .filter(|i| i.departments.contains(department))
        .map(|i| {
            vec![
                i.id.to_string(),
                i.title.clone(),
                i.status.as_str().to_owned(),
                if &i.lead == department {
                    "lead".into()
                } else {
                    format!("with {}", i.lead.as_str())
                },
            ]
        })
        .collect();
    doc.table(&["#", "issue", "status", "role"], issues, "None.");
    doc.heading(2, "Missed commitments");
    let missed: Vec<Vec<String>> = commitments(state, today)
        .into_iter()
        .filter(|c| c.standing == Standing::Missed && c.department.as_ref() == Some(department))
        .map(|c| {
            vec![
                c.what,
                c.owner.unwrap_or_default(),
                c.due.to_string(),
                format!("{} days", c.days_late),
            ]
        })
        .collect();
    doc.table(&["what", "owner", "was due", "late"], missed, "None.");
    doc.heading(2, "Open actions");
    let rows = action_rows(
        state,
        |a| &a.department == department && a.status != ActionStatus::Done,
        today,
    );
    doc.table(&ACTION_COLUMNS, rows, "None.");
    doc.heading(2, "What customers said");
    doc.list(
        verbatims
            .iter()
            .map(|v| {
                format!(
                    "{} ({}, item {}): \"{}\"",
                    v.theme, v.day, v.feedback_id, v.text
                )
            })
            .collect(),
        "No new feedback on our themes.",
    );
    doc
}

/// Where an action stands, as customers are told on `today`: done, by a date still ahead, or
/// late, with the date first promised and the new one. Never a date already missed as if it
/// were still ahead.
fn public_standing(action: &crate::model::Action, today: Date) -> String {
    if action.status == ActionStatus::Done {
        return "done".to_owned();
    }
    match (action.first_due < today, action.due < today) {
        (_, true) => format!("late: it was due {}", action.due),
        (true, false) => format!(
            "late: first promised by {}, now by {}",
            action.first_due, action.due
        ),
        (false, false) => format!("by {}", action.due),
    }
}

/// What customers are told about an action: its customer-facing wording (its internal one
/// when it has none: the rules refuse to announce such an action) and where it stands.
pub fn public_line(action: &crate::model::Action, today: Date) -> String {
    let words = action.public.as_deref().unwrap_or(&action.what);
    format!("- {words} ({})", public_standing(action, today))
}

/// The message of an announcement made on `today`, filled from the issue records: `{themes}`,
/// `{issues}`, `{actions}` (one [`public_line`] each) and `{report_due}` in the template are
/// replaced.
pub fn announcement_message(
    state: &Workflow,
    issues: &[&Issue],
    template: &str,
    report_due: Date,
    today: Date,
) -> String {
    let titles: Vec<String> = issues.iter().map(|i| i.title.clone()).collect();
    let themes: Vec<String> = issues
        .iter()
        .flat_map(|i| i.themes.iter().map(|t| t.as_str().replace('-', " ")))
        .collect();
    let actions: Vec<String> = issues
        .iter()
        .flat_map(|i| state.actions_of(i.id))
        .map(|a| public_line(a, today))
        .collect();
    template
        .replace("{issues}", &titles.join("; "))
        .replace("{themes}", &themes.join(", "))
        .replace("{actions}", &actions.join("\n"))
        .replace("{report_due}", &report_due.to_string())
}

/// The default announcement.
pub const DEFAULT_TEMPLATE: &str = "You told us about {themes}. You were right, and it is not good enough.\n\n\
What we are changing:\n{actions}\n\nWe will tell you what has changed by {report_due}.\n";

/// The "you said, we did" progress report of an announcement, as of `today`: in the
/// actions' customer-facing words, and late ones said to be late.
pub fn progress_report(
    state: &Workflow,
    announcement: &crate::model::Announcement,
    series: &[(String, Vec<(String, f64)>)],
    today: Date,
) -> Doc {
    let mut doc = Doc::default();
    doc.heading(1, "You said, we did");
    doc.para(told_us(announcement));
    for id in &announcement.issues {
        let Some(issue) = state.issues.get(id) else {
            continue;
        };
        doc.heading(2, issue.title.clone());
        if let Some(p) = &issue.pain {
            doc.para(format!(
                "In {} alone, {} comments were about it.",
                p.window, p.volume
            ));
        }
        let done: Vec<String> = state
            .actions_of(issue.id)
            .map(|a| {
                let words = a.public.as_deref().unwrap_or(&a.what);
                match a.met_on() {
                    Some(day) => format!("Done {day}: {words}"),
                    None => format!(
                        "Under way ({}%, {}): {words}",
                        a.percent,
                        public_standing(a, today)
                    ),
                }
            })
            .collect();
        doc.para("We did:");
        doc.list(done, "Nothing yet.");
        if let Some(ind) = &issue.indicator {
            let latest = series
                .iter()
                .find(|(m, _)| m == ind.metric.as_str())
                .and_then(|(_, s)| s.last());
            if let Some((day, v)) = latest {
                doc.para(format!(
                    "We watch {}: {v} {} on {day} (target {} {}).",
                    ind.name, ind.unit, ind.target, ind.unit
                ));
            }
        }
        let result = match (&issue.verification, issue.status) {
            (Some(v), _) if v.verdict == "verified" => format!(
                "The result: since the fix on {}, complaints about it fell to {} of what they were.",
                v.fixed_on,
                v.rate_ratio
                    .map_or("-".into(), |r| format!("{:.0}%", r * 100.0))
            ),
            (_, Status::Resolved) => "The result: resolved.".to_owned(),
            _ => "The result: we are still measuring; we will report again.".to_owned(),
        };
        doc.para(result);
    }
    doc
}

/// "You said": who told us about the announcement's issues, counted as the announcement
/// counted its audience, so "N of you" are the people it went to; when they differ (no e-mail,
/// another audience), both are said.
fn told_us(announcement: &crate::model::Announcement) -> String {
    let sent = announcement.recipients;
    match announcement.told_us {
        Some(told) if told == sent => format!("You said: {told} of you told us about this."),
        Some(told) => format!(
            "You said: {told} customers told us about this; this report goes to {sent} customers ({}, those we can write to).",
            announcement.audience.describe()
        ),
        None => format!(
            "You said: customers told us about this; this report goes to {sent} customers ({}).",
            announcement.audience.describe()
        ),
    }
}

/// Follow-up cases of a department or owner, and how many breached their deadline.
#[derive(Debug, Clone, Serialize)]
pub struct Queue<'a> {
    /// The cases, oldest first.
    pub cases: Vec<&'a Case>,
    /// Still open (open or contacted).
    pub open: usize,
    /// Breached their deadline (closed late, or open past it).
    pub breached: usize,
    /// Closed.
    pub closed: usize,
    /// Closed in the first contact.
    pub first_contact: usize,
}

/// The queue of cases that `keep` selects, as of `now` (unix seconds).
pub fn queue(state: &Workflow, now: i64, keep: impl Fn(&Case) -> bool) -> Queue<'_> {
    let cases: Vec<&Case> = state.cases.values().filter(|c| keep(c)).collect();
    Queue {
        open: cases
            .iter()
            .filter(|c| c.status != CaseStatus::Closed)
            .count(),
        breached: cases.iter().filter(|c| c.breached(now)).count(),
        closed: cases
            .iter()
            .filter(|c| c.status == CaseStatus::Closed)
            .count(),
        first_contact: cases
            .iter()
            .filter(|c| c.first_contact_resolution == Some(true))
            .count(),
        cases,
    }
}

/// Lessons matching the words, best first: a lesson's score is how many of the distinct words
/// it contains (case-insensitive, in any of its fields); lessons with none are left out.
pub fn search_lessons<'a>(state: &'a Workflow, words: &str) -> Vec<(usize, &'a Lesson)> {
    let words: Vec<String> = words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut found: Vec<(usize, &Lesson)> = state
        .lessons
        .values()
        .filter_map(|l| {
            let text = [
                &l.title,
                &l.what_happened,
                &l.root_cause,
                &l.what_worked,
                &l.reuse,
            ]
            .map(|s| s.to_lowercase())
            .join(" ");
            let tokens: std::collections::HashSet<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let score = words.iter().filter(|w| tokens.contains(w.as_str())).count();
            (score > 0).then_some((score, l))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    found
}
