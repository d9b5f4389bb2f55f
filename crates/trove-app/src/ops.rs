//! The working pages' reads and the follow-up queue's changes: departments and their streams,
//! the queue of cases with the feedback behind each one, people, import runs, lessons and
//! recognition. Reads return plain records the web (or any caller) lays out; changes go
//! through [`App::act`] like every other.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use jiff::civil::Date;
use trove_domain::{CustomerId, Slug};
use trove_store::{FeedbackFilter, ImportRun, StoreError};
use trove_workflow::model::{
    Action, ActionStatus, Case, CaseStatus, Lesson, Role, Submission, User,
};
use trove_workflow::views::{self, Standing, Verbatim};
use trove_workflow::{Change, Workflow, rules};

use crate::{App, Clock, WorkflowError};

/// A department at a glance: what it owes and what waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentSummary {
    /// Its id.
    pub id: Slug,
    /// Its name.
    pub name: String,
    /// People in it.
    pub people: usize,
    /// Open issues it contributes to.
    pub open_issues: usize,
    /// Its actions not done yet.
    pub open_actions: usize,
    /// Its actions whose due date passed unmet.
    pub missed: usize,
    /// Its follow-up cases still open.
    pub open_cases: usize,
    /// Of those, past their deadline.
    pub breached_cases: usize,
}

/// An action as a department's stream shows it, with where its commitment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAction {
    /// The action.
    pub action: Action,
    /// The title of its issue.
    pub issue_title: String,
    /// Its root cause (the last why of its chain).
    pub root_cause: String,
    /// Where its due date stands today.
    pub standing: Standing,
    /// Days past due (missed) or late (met late).
    pub days_late: i64,
}

/// An issue a department contributes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamIssue {
    /// Its number.
    pub id: u32,
    /// Its title.
    pub title: String,
    /// Its status.
    pub status: &'static str,
    /// The lead department.
    pub lead: Slug,
    /// Its themes.
    pub themes: Vec<Slug>,
}

/// A department's stream: what `trove stream` prints, as records.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentStream {
    /// The department.
    pub id: Slug,
    /// Its name.
    pub name: String,
    /// Its people.
    pub people: Vec<User>,
    /// The issues it contributes to, open ones first.
    pub issues: Vec<StreamIssue>,
    /// Its actions (its commitments), missed ones first, then by due date.
    pub actions: Vec<StreamAction>,
    /// Its follow-up cases still open, oldest deadline first.
    pub cases: Vec<CaseView>,
    /// The newest customers' words on its issues' themes since `since`.
    pub verbatims: Vec<Verbatim>,
    /// The first day of the verbatims.
    pub since: Date,
}

/// The feedback item a case answers, in short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFeedback {
    /// The item's id.
    pub id: i64,
    /// The day it was received (UTC).
    pub day: Date,
    /// Its channel.
    pub channel: String,
    /// Its scores in words (`NPS 2`, `CSAT 1`), when it has any.
    pub scores: Vec<String>,
    /// Its words, on one line.
    pub text: String,
}

/// A follow-up case with what a person needs to call the customer back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    /// The case.
    pub case: Case,
    /// The customer's name, when the customer is known.
    pub customer_name: Option<String>,
    /// The feedback behind it, when it is stored.
    pub feedback: Option<CaseFeedback>,
}

/// Which cases a queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only this owner's.
    pub owner: Option<String>,
    /// Only these departments' (none: every department).
    pub departments: Vec<Slug>,
    /// Closed cases too.
    pub closed: bool,
}

/// A follow-up queue as of a time.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseQueue {
    /// The cases, open ones by deadline first, then closed ones newest first.
    pub cases: Vec<CaseView>,
    /// Open (or contacted) among them.
    pub open: usize,
    /// Open and past their deadline, or closed after it.
    pub breached: usize,
    /// Closed among them.
    pub closed: usize,
}

/// A lesson to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLesson {
    /// The issue it comes from.
    pub issue: Option<u32>,
    /// A title.
    pub title: String,
    /// What happened.
    pub what_happened: String,
    /// The root cause (none: the issue's first five-whys root cause).
    pub root_cause: Option<String>,
    /// What worked.
    pub what_worked: String,
    /// What others can reuse.
    pub reuse: String,
}

/// A person as the people page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The person.
    pub user: User,
    /// Whether they have a password (else they cannot sign in yet).
    pub has_password: bool,
}

/// The lesson bank and recognition, as the lessons page shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonBank {
    /// Lessons, newest first (or best match first when searched).
    pub lessons: Vec<Lesson>,
    /// Submissions for recognition, best mean score first, unjudged last.
    pub submissions: Vec<Submission>,
}

impl App {
    /// Every department with what it owes and what waits for it, as of `now` (unix seconds).
    pub fn department_summaries(&self, now: i64) -> Result<Vec<DepartmentSummary>, WorkflowError> {
        let state = self.workflow()?;
        let today = Workflow::day_of(now);
        let commitments = views::commitments(&state, today);
        Ok(self
            .departments(&state)?
            .into_iter()
            .map(|(id, name)| {
                let open_cases: Vec<&Case> = state
                    .cases
                    .values()
                    .filter(|c| c.department == id && c.status != CaseStatus::Closed)
                    .collect();
                DepartmentSummary {
                    people: state
                        .users
                        .values()
                        .filter(|u| u.in_department(&id))
                        .count(),
                    open_issues: state
                        .issues
                        .values()
                        .filter(|i| i.status.is_open() && i.departments.contains(&id))
                        .count(),
                    open_actions: state
                        .actions
                        .values()
                        .filter(|a| a.department == id && a.status != ActionStatus::Done)
                        .count(),
                    missed: commitments
                        .iter()
                        .filter(|c| {
                            c.standing == Standing::Missed && c.department.as_ref() == Some(&id)
                        })
                        .count(),
                    breached_cases: open_cases.iter().filter(|c| c.breached(now)).count(),
                    open_cases: open_cases.len(),
                    id,
                    name,
                }
            })
            .collect())
    }

    /// A department's stream as of `now`: its issues, its actions with their commitments, its
    /// open cases, and up to `verbatims` of the newest customers' words on its issues' themes
    /// received since `since`. `None` when no department has that id.
    pub fn department_stream(
        &self,
        department: &Slug,
        since: Date,
        now: i64,
        verbatims: usize,
    ) -> Result<Option<DepartmentStream>, WorkflowError> {
        let state = self.workflow()?;
        let Some((id, name)) = self
            .departments(&state)?
            .into_iter()
            .find(|(id, _)| id == department)
        else {
            return Ok(None);
        };
        let today = Workflow::day_of(now);
        let mut issues: Vec<StreamIssue> = state
            .issues
            .values()
            .filter(|i| i.departments.contains(&id))
            .map(|i| StreamIssue {
                id: i.id,
                title: i.title.clone(),
                status: i.status.as_str(),
                lead: i.lead.clone(),
                themes: i.themes.clone(),
            })
            .collect();
        issues.sort_by_key(|i| (i.status == "resolved", i.id));
        let mut actions: Vec<StreamAction> = state
            .actions
            .values()
            .filter(|a| a.department == id)
            .map(|a| stream_action(&state, a, today))
            .collect();
        actions.sort_by_key(|a| (a.standing != Standing::Missed, a.action.due, a.action.id));
        let themes: Vec<Slug> = state
            .issues
            .values()
            .filter(|i| i.departments.contains(&id))
            .flat_map(|i| i.themes.iter().cloned())
            .collect();
        let words = if themes.is_empty() {
            Vec::new()
        } else {
            self.verbatims(&themes, (start_of(since), now), verbatims)?
        };
        let open: Vec<Case> = sorted_cases(
            state
                .cases
                .values()
                .filter(|c| c.department == id && c.status != CaseStatus::Closed)
                .cloned()
                .collect(),
        );
        Ok(Some(DepartmentStream {
            people: state
                .users
                .values()
                .filter(|u| u.in_department(&id))
                .cloned()
                .collect(),
            cases: self.case_views(open)?,
            id,
            name,
            issues,
            actions,
            verbatims: words,
            since,
        }))
    }

    /// The follow-up queue `filter` selects, as of `now`, with each case's customer and
    /// feedback.
    pub fn case_queue(&self, filter: &QueueFilter, now: i64) -> Result<CaseQueue, WorkflowError> {
        let state = self.workflow()?;
        let cases: Vec<Case> = state
            .cases
            .values()
            .filter(|c| filter.closed || c.status != CaseStatus::Closed)
            .filter(|c| filter.owner.is_none() || c.owner == filter.owner)
            .filter(|c| filter.departments.is_empty() || filter.departments.contains(&c.department))
            .cloned()
            .collect();
        let open = cases
            .iter()
            .filter(|c| c.status != CaseStatus::Closed)
            .count();
        let breached = cases.iter().filter(|c| c.breached(now)).count();
        let closed = cases.len() - open;
        Ok(CaseQueue {
            cases: self.case_views(sorted_cases(cases))?,
            open,
            breached,
            closed,
        })
    }

    /// Whether `user` may take and may work `case` (record a contact, close it), by the rules:
    /// the pages show only the controls the rules allow.
    pub fn case_controls(state: &Workflow, user: &User, case: &Case) -> (bool, bool) {
        if case.status == CaseStatus::Closed {
            return (false, false);
        }
        let take = Change::CaseTaken {
            case: case.id,
            owner: user.email.clone(),
        };
        let work = Change::CaseUpdated {
            case: case.id,
            status: CaseStatus::Contacted,
            outcome: None,
            first_contact_resolution: None,
            note: None,
        };
        let mine = case.owner.as_deref() == Some(user.email.as_str());
        (
            !mine && rules::permitted(state, user, &take).is_ok(),
            rules::permitted(state, user, &work).is_ok(),
        )
    }

    /// Takes case `case` for `actor` (at the real time).
    pub fn take_case(&self, actor: &str, case: u32) -> Result<(), WorkflowError> {
        self.act(Some(actor), Clock::Real, |_| {
            Ok(vec![Change::CaseTaken {
                case,
                owner: actor.to_lowercase(),
            }])
        })?;
        Ok(())
    }

    /// Records a contact with the customer of case `case`, as `actor`.
    pub fn record_contact(&self, actor: &str, case: u32, note: &str) -> Result<(), WorkflowError> {
        let note = note.trim();
        if note.is_empty() {
            return Err(WorkflowError::Invalid(
                "say what was said with the customer".to_owned(),
            ));
        }
        self.act(Some(actor), Clock::Real, |_| {
            Ok(vec![Change::CaseUpdated {
                case,
                status: CaseStatus::Contacted,
                outcome: None,
                first_contact_resolution: None,
                note: Some(note.to_owned()),
            }])
        })?;
        Ok(())
    }

    /// Closes case `case` with its outcome, as `actor`.
    pub fn close_case(
        &self,
        actor: &str,
        case: u32,
        outcome: &str,
        first_contact: bool,
    ) -> Result<(), WorkflowError> {
        self.act(Some(actor), Clock::Real, |_| {
            Ok(vec![Change::CaseUpdated {
                case,
                status: CaseStatus::Closed,
                outcome: Some(outcome.trim().to_owned()),
                first_contact_resolution: Some(first_contact),
                note: None,
            }])
        })?;
        Ok(())
    }

    /// The people, by e-mail, and whether each has a password.
    pub fn people(&self) -> Result<Vec<Person>, WorkflowError> {
        let state = self.workflow()?;
        state
            .users
            .values()
            .map(|user| {
                Ok(Person {
                    has_password: self.store().credential(&user.email)?.is_some(),
                    user: user.clone(),
                })
            })
            .collect()
    }

    /// Adds a person, as `actor` (an admin).
    pub fn add_person(
        &self,
        actor: &str,
        email: &str,
        name: &str,
        role: Role,
        departments: &[Slug],
    ) -> Result<(), WorkflowError> {
        let email = email.trim().to_lowercase();
        self.act(Some(actor), Clock::Real, |state| {
            self.check_departments(state, departments)?;
            Ok(vec![Change::UserAdded {
                email: email.clone(),
                name: name.trim().to_owned(),
                role,
                departments: departments.to_vec(),
            }])
        })?;
        Ok(())
    }

    /// Changes a person's role and departments, as `actor` (an admin).
    pub fn change_person(
        &self,
        actor: &str,
        email: &str,
        role: Role,
        departments: &[Slug],
    ) -> Result<(), WorkflowError> {
        let email = email.trim().to_lowercase();
        self.act(Some(actor), Clock::Real, |state| {
            self.check_departments(state, departments)?;
            Ok(vec![Change::UserChanged {
                email: email.clone(),
                role,
                departments: departments.to_vec(),
            }])
        })?;
        Ok(())
    }

    /// Whether `actor` may manage people (an admin), by the rules.
    pub fn may_manage_people(state: &Workflow, actor: &User) -> bool {
        let attempt = Change::UserAdded {
            email: String::new(),
            name: String::new(),
            role: Role::Viewer,
            departments: Vec::new(),
        };
        rules::permitted(state, actor, &attempt).is_ok()
    }

    /// Records a lesson, as `actor` (an admin, analyst or lead).
    pub fn record_lesson(&self, actor: &str, lesson: &NewLesson) -> Result<(), WorkflowError> {
        self.act(Some(actor), Clock::Real, |state| {
            let root_cause = lesson
                .root_cause
                .clone()
                .filter(|r| !r.trim().is_empty())
                .or_else(|| {
                    let issue = lesson.issue?;
                    state
                        .chains_of(issue)
                        .next()
                        .map(|c| c.root_cause().to_owned())
                })
                .unwrap_or_default();
            Ok(vec![Change::LessonRecorded {
                lesson: trove_workflow::ids::lesson(state),
                issue: lesson.issue,
                title: lesson.title.trim().to_owned(),
                what_happened: lesson.what_happened.trim().to_owned(),
                root_cause,
                what_worked: lesson.what_worked.trim().to_owned(),
                reuse: lesson.reuse.trim().to_owned(),
            }])
        })?;
        Ok(())
    }

    /// Judges a recognition submission, as `actor`: one score 1-5 per published criterion.
    pub fn judge_submission(
        &self,
        actor: &str,
        submission: u32,
        scores: &[u8],
        comment: &str,
    ) -> Result<(), WorkflowError> {
        self.act(Some(actor), Clock::Real, |_| {
            Ok(vec![Change::RecognitionJudged {
                submission,
                scores: scores.to_vec(),
                comment: comment.trim().to_owned(),
            }])
        })?;
        Ok(())
    }

    /// Whether `user` may record lessons, by the rules.
    pub fn may_record_lessons(state: &Workflow, user: &User) -> bool {
        let attempt = Change::LessonRecorded {
            lesson: 0,
            issue: None,
            title: String::new(),
            what_happened: String::new(),
            root_cause: String::new(),
            what_worked: String::new(),
            reuse: String::new(),
        };
        rules::permitted(state, user, &attempt).is_ok()
    }

    /// Whether `user` may judge `submission` now: the rules allow them, and they have not
    /// judged it yet.
    pub fn may_judge(state: &Workflow, user: &User, submission: &Submission) -> bool {
        let attempt = Change::RecognitionJudged {
            submission: submission.id,
            scores: Vec::new(),
            comment: String::new(),
        };
        rules::permitted(state, user, &attempt).is_ok()
            && !submission.judgements.iter().any(|j| j.judge == user.email)
    }

    /// The newest `limit` import runs, newest first.
    pub fn import_runs(&self, limit: usize) -> Result<Vec<ImportRun>, StoreError> {
        self.store().import_runs(limit)
    }

    /// The lesson bank (best match first when `words` are given) and the recognition
    /// submissions.
    pub fn lesson_bank(&self, words: Option<&str>) -> Result<LessonBank, WorkflowError> {
        let state = self.workflow()?;
        let lessons = match words.map(str::trim).filter(|w| !w.is_empty()) {
            Some(words) => views::search_lessons(&state, words)
                .into_iter()
                .map(|(_, l)| l.clone())
                .collect(),
            None => state.lessons.values().rev().cloned().collect(),
        };
        let mut submissions: Vec<Submission> = state.submissions.values().cloned().collect();
        submissions.sort_by(|a, b| {
            let score = |s: &Submission| s.mean_total().unwrap_or(f64::NEG_INFINITY);
            score(b).total_cmp(&score(a)).then(a.id.cmp(&b.id))
        });
        Ok(LessonBank {
            lessons,
            submissions,
        })
    }

    /// The cases with their customers' names and feedback. The items are found by one scan in
    /// id order that stops at the largest id wanted.
    fn case_views(&self, cases: Vec<Case>) -> Result<Vec<CaseView>, WorkflowError> {
        let wanted: HashSet<i64> = cases.iter().filter_map(|c| c.feedback_id).collect();
        let mut found: HashMap<i64, CaseFeedback> = HashMap::new();
        if let Some(&last) = wanted.iter().max() {
            self.store()
                .scan_feedback(&FeedbackFilter::default(), 10_000, &mut |page| {
                    for s in page {
                        if wanted.contains(&s.id) {
                            found.insert(s.id, case_feedback(&s));
                        }
                        if s.id >= last {
                            return ControlFlow::Break(());
                        }
                    }
                    ControlFlow::Continue(())
                })?;
        }
        let mut names: HashMap<String, Option<String>> = HashMap::new();
        cases
            .into_iter()
            .map(|case| {
                let customer_name = match &case.customer {
                    Some(id) => match names.get(id) {
                        Some(name) => name.clone(),
                        None => {
                            let name = self.customer_name(id)?;
                            names.insert(id.clone(), name.clone());
                            name
                        }
                    },
                    None => None,
                };
                Ok(CaseView {
                    feedback: case.feedback_id.and_then(|id| found.remove(&id)),
                    customer_name,
                    case,
                })
            })
            .collect()
    }

    fn customer_name(&self, id: &str) -> Result<Option<String>, WorkflowError> {
        let Ok(id) = CustomerId::parse(id) else {
            return Ok(None);
        };
        Ok(self
            .store()
            .customer(&id)?
            .and_then(|c| c.name.map(|n| n.as_str().to_owned())))
    }
}

fn stream_action(state: &Workflow, action: &Action, today: Date) -> StreamAction {
    let met_on = action.met_on();
    let (standing, days_late) = match met_on {
        Some(day) if day <= action.due => (Standing::Met, 0),
        Some(day) => (Standing::MetLate, (day - action.due).get_days().into()),
        None if today > action.due => (Standing::Missed, (today - action.due).get_days().into()),
        None => (Standing::Open, 0),
    };
    StreamAction {
        issue_title: state
            .issues
            .get(&action.issue)
            .map_or_else(String::new, |i| i.title.clone()),
        root_cause: state
            .chains
            .get(&action.chain)
            .map_or_else(String::new, |c| c.root_cause().to_owned()),
        action: action.clone(),
        standing,
        days_late,
    }
}

/// Open cases by deadline (the most urgent first), then closed ones, newest first.
fn sorted_cases(mut cases: Vec<Case>) -> Vec<Case> {
    cases.sort_by_key(|c| match c.closed_at {
        None => (0, c.due_at, c.id),
        Some(closed) => (1, -closed, c.id),
    });
    cases
}

fn case_feedback(s: &trove_domain::StoredFeedback) -> CaseFeedback {
    let scores = &s.item.scores;
    let mut words = Vec::new();
    if let Some(nps) = scores.nps {
        words.push(format!("NPS {}", nps.value()));
    }
    if let Some(csat) = scores.csat {
        words.push(format!("CSAT {}", csat.value()));
    }
    if let Some(ces) = scores.ces {
        words.push(format!("CES {}", ces.value()));
    }
    CaseFeedback {
        id: s.id,
        day: Workflow::day_of(s.item.received_at.unix_seconds()),
        channel: s.item.channel.to_string(),
        scores: words,
        text: s
            .item
            .text
            .as_str()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Midnight UTC of a day, unix seconds.
pub fn start_of(day: Date) -> i64 {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(0, |z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    fn case(id: u32, due_at: i64, closed_at: Option<i64>) -> Case {
        Case {
            id,
            customer: None,
            feedback_id: None,
            issue: None,
            reason: "r".into(),
            department: Slug::parse("department", "care").expect("a slug"),
            owner: None,
            opened_at: 0,
            due_at,
            status: if closed_at.is_some() {
                CaseStatus::Closed
            } else {
                CaseStatus::Open
            },
            closed_at,
            outcome: None,
            first_contact_resolution: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn open_cases_come_first_by_deadline_then_closed_ones_newest_first() {
        let sorted = sorted_cases(vec![
            case(1, 300, None),
            case(2, 100, Some(50)),
            case(3, 200, None),
            case(4, 100, Some(80)),
        ]);
        let ids: Vec<u32> = sorted.iter().map(|c| c.id).collect();
        assert_eq!(ids, [3, 1, 4, 2]);
    }
}
