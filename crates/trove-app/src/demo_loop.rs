//! The demo company's people and its accountability loop under way, so that the Customer
//! Room has life on its first start: an admin, an analyst, a lead per department, an agent and
//! a viewer sharing one demo password; an issue on the planted chronic claim-payout delay
//! with its five whys, actions in three departments (one met, one missed, one under way), a
//! leading indicator, an announcement to the customers who raised it and two follow-up cases.
//!
//! Every record goes through [`App::act`] as the person whose job it is, so the rules are the
//! ones people meet. The demo database is a rehearsal, so the loop is dated on the demo's own
//! days (the two months before its feedback ends); what is still open when the room is first
//! opened (the last action, the progress report, one follow-up case) is dated from the real
//! clock, so it reads as open whatever day the demo is made.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;
use trove_analytics::analysis::AnalysisParams;
use trove_domain::Slug;
use trove_store::{Credential, FeedbackFilter, ThemeOrigin};
use trove_workflow::model::{Audience, CaseStatus, Direction, MetricValue, Role, Why};
use trove_workflow::{Change, Workflow, ids, views};

use crate::{App, Clock, DemoLoadError, WorkflowError, hash_password, random_token};

/// The planted chronic theme the demo's loop works on.
pub const DEMO_ISSUE_THEME: &str = "claim-payout-delay";

/// The e-mail domain of the demo's people (reserved for examples: no mail can reach it).
const DOMAIN: &str = "northwind.example";

/// The leads of the demo company's departments: (department, first name, surname).
const LEADS: &[(&str, &str, &str)] = &[
    ("claims", "Cleo", "Grant"),
    ("billing", "Bea", "Novak"),
    ("it", "Ivy", "Chen"),
    ("underwriting", "Uma", "Reyes"),
    ("customer-care", "Cora", "Diaz"),
    ("marketing", "Max", "Berg"),
    ("legal", "Leo", "Hart"),
    ("field-services", "Finn", "Moss"),
];

/// A person the demo seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoPerson {
    /// E-mail: what they sign in with.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Their department, if any.
    pub department: Option<String>,
}

/// What seeding the demo's room made.
#[derive(Debug, Clone, Serialize)]
pub struct DemoRoom {
    /// The people, admin first.
    pub people: Vec<DemoPerson>,
    /// The password every one of them signs in with (hashed like any other; shown once).
    pub password: String,
    /// The issue the loop works on.
    pub issue: u32,
    /// Its title.
    pub issue_title: String,
    /// The departments with an action.
    pub action_departments: Vec<String>,
    /// Commitments missed as of today.
    pub missed: usize,
    /// The announcement made.
    pub announcement: u32,
    /// Its recipients.
    pub recipients: u64,
    /// Follow-up cases opened.
    pub cases: usize,
}

/// Midnight UTC of a day, unix seconds.
fn start_of(day: Date) -> i64 {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(0, |z| z.timestamp().as_second())
}

/// `hour` o'clock UTC on `day`, as a rehearsed clock.
fn on(day: Date, hour: i64) -> Clock {
    Clock::Rehearsed(start_of(day) + hour * 3600)
}

/// The day `days` after `day` (before it when negative).
fn plus(day: Date, days: i64) -> Result<Date, WorkflowError> {
    day.checked_add(days.days())
        .map_err(|e| WorkflowError::Invalid(format!("demo dates: {e}")))
}

/// The demo's people for the journey's departments.
fn demo_people(departments: &[(Slug, String)]) -> Vec<DemoPerson> {
    let person = |first: &str, last: &str, role: Role, department: Option<&str>| DemoPerson {
        email: format!("{}@{DOMAIN}", first.to_lowercase()),
        name: format!("{first} {last}"),
        role,
        department: department.map(str::to_owned),
    };
    let mut people = vec![
        person("Ada", "Park", Role::Admin, None),
        person("Ann", "Silva", Role::Analyst, None),
    ];
    for (id, _) in departments {
        people.push(match LEADS.iter().find(|(d, _, _)| *d == id.as_str()) {
            Some((d, first, last)) => person(first, last, Role::Lead, Some(d)),
            // A department the catalog has no lead for: a plain address, never a clash.
            None => DemoPerson {
                email: format!("lead-{}@{DOMAIN}", id.as_str()),
                name: format!("Lead of {}", id.as_str()),
                role: Role::Lead,
                department: Some(id.as_str().to_owned()),
            },
        });
    }
    let care = departments
        .iter()
        .map(|(id, _)| id.as_str())
        .find(|d| *d == "customer-care")
        .or_else(|| departments.first().map(|(id, _)| id.as_str()));
    people.push(person("Cal", "Ortiz", Role::Member, care));
    people.push(person("Vic", "Hale", Role::Viewer, None));
    people
}

impl App {
    /// Seeds the demo's people and its loop under way, on a rehearsal database whose workflow
    /// has no people yet (`None` when it has: people and their passwords are left as they
    /// are). `end` is the last day of the demo's feedback; the loop runs in the two months
    /// before it.
    pub fn seed_demo_room(&self, end: Date) -> Result<Option<DemoRoom>, DemoLoadError> {
        let state = self.workflow()?;
        if !state.users.is_empty() {
            return Ok(None);
        }
        let people = demo_people(&self.departments(&state)?);
        let password = demo_password()?;
        let opened = plus(end.first_of_month(), -1)?.first_of_month();
        self.add_demo_people(&people, &password, plus(opened, -3)?)?;
        let lead_of = |department: &str| {
            people
                .iter()
                .find(|p| p.role == Role::Lead && p.department.as_deref() == Some(department))
                .map(|p| p.email.clone())
        };
        let email_of = |role: Role| {
            people
                .iter()
                .find(|p| p.role == role)
                .map(|p| p.email.clone())
                .unwrap_or_default()
        };
        let analyst = email_of(Role::Analyst);
        let agent = email_of(Role::Member);
        let issue = self.open_demo_issue(&analyst, opened)?;
        let state = self.workflow()?;
        let record = state
            .issues
            .get(&issue)
            .ok_or_else(|| WorkflowError::Invalid("the demo issue was not opened".into()))?
            .clone();
        let leads: Vec<(Slug, String)> = record
            .departments
            .iter()
            .filter_map(|d| lead_of(d.as_str()).map(|lead| (d.clone(), lead)))
            .collect();
        let [
            (first, first_lead),
            (second, second_lead),
            (third, third_lead),
        ] = &leads[..]
        else {
            return Err(WorkflowError::Invalid(format!(
                "the demo issue needs three departments with a lead, it has {}",
                leads.len()
            ))
            .into());
        };
        let real_today = Workflow::day_of(Clock::Real.now());
        // What must still be open on first start is dated from here, whatever day it is.
        let still_open_from = real_today.max(end);
        self.demo_whys(
            issue,
            first_lead,
            &[second_lead, third_lead, &analyst],
            opened,
        )?;
        let planned = plus(opened, 8)?;
        let dues = [
            plus(opened, 30)?,
            plus(end, -14)?,
            plus(still_open_from, 45)?,
        ];
        let actions = [
            (
                first,
                first_lead,
                "Raise the payout sign-off limit to $10,000 and index it yearly",
                "Most claims are paid without waiting for an extra sign-off",
            ),
            (
                second,
                second_lead,
                "Pay approved claims in the daily payment run, not the weekly one",
                "Approved claims are paid the next working day",
            ),
            (
                third,
                third_lead,
                "Send assessors' reports to the claim the same day, through the app",
                "Your assessor's report reaches your claim the same day",
            ),
        ];
        let mut planned_ids = Vec::new();
        for ((department, lead, what, public), due) in actions.into_iter().zip(dues) {
            let state = self.act(Some(lead), on(planned, 10), |state| {
                Ok(vec![Change::ActionPlanned {
                    action: ids::action(state),
                    issue,
                    chain: state
                        .chains
                        .values()
                        .find(|c| c.issue == issue)
                        .map_or(0, |c| c.id),
                    what: what.to_owned(),
                    department: department.clone(),
                    owner: lead.clone(),
                    due,
                    public: Some(public.to_owned()),
                }])
            })?;
            planned_ids.extend(state.actions.keys().next_back().copied());
        }
        let [met, missed, under_way] = planned_ids[..] else {
            return Err(
                WorkflowError::Invalid("the demo's three actions were not planned".into()).into(),
            );
        };
        let people_of = [
            (met, first_lead.as_str()),
            (missed, second_lead.as_str()),
            (under_way, third_lead.as_str()),
        ];
        self.demo_progress(issue, people_of, opened, end)?;
        let (announcement, recipients) = self.demo_announcement(
            issue,
            &analyst,
            plus(opened, 10)?,
            plus(still_open_from, 90)?,
        )?;
        let cases = self.demo_cases(issue, &agent, end)?;
        let state = self.workflow()?;
        let missed = views::commitments(&state, real_today)
            .iter()
            .filter(|c| c.standing == views::Standing::Missed)
            .count();
        Ok(Some(DemoRoom {
            people,
            password,
            issue,
            issue_title: record.title,
            action_departments: leads.iter().map(|(d, _)| d.as_str().to_owned()).collect(),
            missed,
            announcement,
            recipients,
            cases,
        }))
    }

    /// Adds the people (the admin first, as the first person needs nobody) and gives each
    /// the password.
    fn add_demo_people(
        &self,
        people: &[DemoPerson],
        password: &str,
        day: Date,
    ) -> Result<(), DemoLoadError> {
        let added = |p: &DemoPerson| -> Result<Change, WorkflowError> {
            let departments = p
                .department
                .iter()
                .map(|d| Slug::parse("department", d))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
            Ok(Change::UserAdded {
                email: p.email.clone(),
                name: p.name.clone(),
                role: p.role,
                departments,
            })
        };
        let (admin, others) = people
            .split_first()
            .ok_or_else(|| WorkflowError::Invalid("the demo has no people".into()))?;
        self.act(None, on(day, 9), |_| Ok(vec![added(admin)?]))?;
        self.act(Some(&admin.email), on(day, 9), |_| {
            others.iter().map(added).collect()
        })?;
        for person in people {
            // Hashed one by one, each with its own salt, like any password.
            let phc = hash_password(password).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
            self.store().set_credential(&Credential {
                email: person.email.clone(),
                phc,
                set_at: jiff::Timestamp::now().as_second(),
            })?;
        }
        Ok(())
    }

    /// The analyst opens the issue with the pain the analysis measured up to that day (the
    /// run is recorded, as `trove issue open` records it), and the lead takes it.
    fn open_demo_issue(&self, analyst: &str, opened: Date) -> Result<u32, DemoLoadError> {
        let params = AnalysisParams {
            until: Some(start_of(opened)),
            ..AnalysisParams::default()
        };
        let (run, current) =
            self.analyze_and_record(&FeedbackFilter::default(), ThemeOrigin::Any, &params)?;
        let analysis = &current.analysis;
        // A small demo may not hold the theme in that window: then the issue has no figures.
        let (title, departments, pain) =
            if analysis.themes.iter().any(|t| t.theme == DEMO_ISSUE_THEME) {
                let (title, departments, pain) =
                    self.issue_seed(DEMO_ISSUE_THEME, analysis, Some(run))?;
                (title, departments, Some(pain))
            } else {
                let record = self
                    .store()
                    .theme_records()?
                    .into_iter()
                    .find(|r| r.theme.id.as_str() == DEMO_ISSUE_THEME)
                    .ok_or_else(|| {
                        WorkflowError::Invalid(format!(
                            "the demo taxonomy has no {DEMO_ISSUE_THEME}"
                        ))
                    })?;
                (
                    record.theme.name.as_str().to_owned(),
                    record.theme.departments,
                    None,
                )
            };
        let lead = departments.first().cloned().ok_or_else(|| {
            WorkflowError::Invalid(format!("{DEMO_ISSUE_THEME} has no departments"))
        })?;
        let theme = Slug::parse("theme", DEMO_ISSUE_THEME)
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        let state = self.act(Some(analyst), on(opened, 10), |state| {
            Ok(vec![Change::IssueOpened {
                issue: ids::issue(state),
                title: title.clone(),
                themes: vec![theme.clone()],
                lead: lead.clone(),
                departments: departments.clone(),
                pain: pain.clone(),
            }])
        })?;
        let issue = state.issues.keys().next_back().copied().unwrap_or_default();
        Ok(issue)
    }

    /// The workshop's five whys, and the issue's moves up to its root cause.
    fn demo_whys(
        &self,
        issue: u32,
        lead: &str,
        others: &[&String],
        opened: Date,
    ) -> Result<(), WorkflowError> {
        let theme = Slug::parse("theme", DEMO_ISSUE_THEME)
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        let since = start_of(plus(opened, -30)?);
        let example = self.verbatims(&[theme], (since, start_of(opened)), 1)?;
        let evidence: Vec<String> = example
            .iter()
            .map(|v| format!("item {}", v.feedback_id))
            .collect();
        let why = |text: &str, evidence: Vec<String>| Why {
            text: text.to_owned(),
            evidence,
        };
        let mut participants: Vec<String> = vec![lead.to_owned()];
        participants.extend(others.iter().map(|p| (*p).clone()));
        let workshop = plus(opened, 5)?;
        self.act(Some(lead), on(opened, 14), |_| {
            Ok(vec![Change::IssueMoved {
                issue,
                to: trove_workflow::model::Status::Acknowledged,
                note: Some("Claims leads it, with Billing and Field Services".into()),
            }])
        })?;
        self.act(Some(lead), on(plus(opened, 6)?, 11), |_| {
            Ok(vec![
                Change::WhysRecorded {
                    chain: 1,
                    issue,
                    symptom: "Customers wait weeks for the payout of an approved claim".into(),
                    whys: vec![
                        why(
                            "Approved claims wait in a queue for a second sign-off",
                            evidence.clone(),
                        ),
                        why("Every payout over $2,000 needs a manager's sign-off", vec![]),
                        why(
                            "The sign-off limit was set in 2016 and never indexed",
                            vec![],
                        ),
                        why(
                            "Payouts then wait for the weekly payment run in Billing",
                            vec!["metric claim-payout-days".into()],
                        ),
                        why(
                            "Nobody owns the time from approval to payout across Claims and Billing",
                            vec![],
                        ),
                    ],
                    workshop_on: workshop,
                    participants: participants.clone(),
                },
                Change::IssueMoved {
                    issue,
                    to: trove_workflow::model::Status::RootCauseFound,
                    note: None,
                },
            ])
        })?;
        Ok(())
    }

    /// The plan's moves, its leading indicator and its values, and the actions' progress:
    /// the first done on time, the second stalled past its date, the third under way.
    /// `actions`: (action, its owner) for the one met, the one missed and the one under way.
    fn demo_progress(
        &self,
        issue: u32,
        actions: [(u32, &str); 3],
        opened: Date,
        end: Date,
    ) -> Result<(), WorkflowError> {
        let [
            (met, first_lead),
            (missed, second_lead),
            (under_way, third_lead),
        ] = actions;
        let metric = Slug::parse("metric", "claim-payout-days")
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        let status = |to| Change::IssueMoved {
            issue,
            to,
            note: None,
        };
        use trove_workflow::model::Status;
        self.act(Some(first_lead), on(plus(opened, 8)?, 15), |_| {
            Ok(vec![
                status(Status::ActionPlanned),
                Change::IndicatorSet {
                    issue,
                    metric: metric.clone(),
                    name: "Days from approval to payout".into(),
                    unit: "days".into(),
                    direction: Direction::Down,
                    target: 5.0,
                },
            ])
        })?;
        self.act(Some(first_lead), on(plus(opened, 9)?, 9), |_| {
            Ok(vec![status(Status::Fixing)])
        })?;
        let progress = |action: u32, percent: u8, note: &str| Change::ActionProgressed {
            action,
            percent,
            note: Some(note.to_owned()),
        };
        self.act(Some(first_lead), on(plus(opened, 15)?, 16), |_| {
            Ok(vec![progress(met, 50, "New limit approved by the board")])
        })?;
        let done = plus(opened, 27)?;
        self.act(Some(first_lead), on(done, 16), |_| {
            Ok(vec![Change::ActionDone {
                action: met,
                on: done,
            }])
        })?;
        self.act(Some(second_lead), on(plus(opened, 20)?, 11), |_| {
            Ok(vec![progress(
                missed,
                40,
                "Daily run tested; waiting for the bank's file format",
            )])
        })?;
        self.act(Some(third_lead), on(plus(end, -5)?, 10), |_| {
            Ok(vec![progress(
                under_way,
                25,
                "App form for assessors in testing",
            )])
        })?;
        // Weekly values of the indicator: about 14 days before the new limit, about 9 after.
        let mut values = Vec::new();
        let mut day = plus(opened, -28)?;
        let mut week = 0;
        while day <= end {
            let base = if day < done { 14.0 } else { 9.0 };
            let wobble = [0.4, -0.3, 0.1, -0.5, 0.6, -0.2][week % 6];
            values.push(MetricValue {
                day,
                value: f64::round((base + wobble) * 10.0) / 10.0,
                previous: None,
            });
            day = plus(day, 7)?;
            week += 1;
        }
        self.act(Some(first_lead), on(end, 17), |_| {
            Ok(vec![Change::MetricsRecorded {
                metric: metric.clone(),
                values: values.clone(),
            }])
        })?;
        Ok(())
    }

    /// The analyst tells the customers who raised it what is changing, with the progress
    /// report promised for `report_due`. Returns the announcement and its recipients.
    fn demo_announcement(
        &self,
        issue: u32,
        analyst: &str,
        day: Date,
        report_due: Date,
    ) -> Result<(u32, u64), WorkflowError> {
        let state = self.workflow()?;
        let record = state
            .issues
            .get(&issue)
            .ok_or_else(|| WorkflowError::Invalid(format!("there is no issue {issue}")))?;
        let message = views::announcement_message(
            &state,
            &[record],
            views::DEFAULT_TEMPLATE,
            report_due,
            day,
        );
        let reach = self.audience(&Audience::RaisedIt, &record.themes)?;
        let recipients = reach.recipients.len() as u64;
        let state = self.act(Some(analyst), on(day, 12), |state| {
            Ok(vec![Change::Announced {
                announcement: ids::announcement(state),
                issues: vec![issue],
                audience: Audience::RaisedIt,
                message: message.clone(),
                recipients,
                told_us: Some(reach.told_us),
                report_due,
            }])
        })?;
        let id = state
            .announcements
            .keys()
            .next_back()
            .copied()
            .unwrap_or_default();
        Ok((id, recipients))
    }

    /// Two detractors of the last week get a follow-up case: the agent closes the first
    /// after a call; the second is opened now (the real clock), inside its 48-hour service
    /// level, for the agent's queue.
    fn demo_cases(&self, issue: u32, agent: &str, end: Date) -> Result<usize, WorkflowError> {
        let state = self.workflow()?;
        let theme = Slug::parse("theme", DEMO_ISSUE_THEME)
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        let window = (start_of(plus(end, -7)?), start_of(plus(end, 1)?));
        let found = self.detractors_without_case(&state, &[theme], window)?;
        let agent_user = self.user(&state, agent)?;
        let Some(department) = agent_user.departments.first().cloned() else {
            return Ok(0);
        };
        let open = |(feedback, customer): &(i64, Option<String>), now: i64| {
            let (feedback, customer) = (*feedback, customer.clone());
            let department = department.clone();
            move |state: &Workflow| {
                Ok(vec![Change::CaseOpened {
                    case: ids::case(state),
                    customer: customer.clone(),
                    feedback_id: Some(feedback),
                    issue: Some(issue),
                    reason: "negative feedback (detractor, low score or negative words)".into(),
                    department: department.clone(),
                    owner: Some(agent.to_owned()),
                    due_at: now + 48 * 3600,
                }])
            }
        };
        let mut cases = 0;
        if let Some(first) = found.first() {
            let day = plus(end, -6)?;
            let at = start_of(day) + 9 * 3600;
            let state = self.act(Some(agent), Clock::Rehearsed(at), open(first, at))?;
            let case = state.cases.keys().next_back().copied().unwrap_or_default();
            self.act(Some(agent), on(plus(day, 1)?, 10), |_| {
                Ok(vec![Change::CaseUpdated {
                    case,
                    status: CaseStatus::Closed,
                    outcome: Some(
                        "Called back: payout date confirmed, apologised for the wait".into(),
                    ),
                    first_contact_resolution: Some(true),
                    note: None,
                }])
            })?;
            cases += 1;
        }
        if let Some(second) = found.get(1) {
            self.act(Some(agent), Clock::Real, open(second, Clock::Real.now()))?;
            cases += 1;
        }
        Ok(cases)
    }
}

/// A fresh random password for the demo's people: 64 bits, in four groups of four hex digits.
fn demo_password() -> Result<String, WorkflowError> {
    let hex = random_token(8).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    Ok(hex
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}
