//! The workflow's state: the fold of its log of events.

use std::collections::BTreeMap;

use jiff::civil::Date;
use trove_domain::Slug;

use crate::change::{Change, Event};
use crate::model::{
    Action, ActionStatus, Announcement, Case, CaseStatus, Indicator, Issue, Judgement, Lesson,
    Override, OverrideRequest, Replan, Status, Submission, Transition, User, Verification,
    WhyChain,
};

/// Who marked the database as a rehearsal, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rehearsal {
    /// Who (`trove` for the demo).
    pub by: String,
    /// When (unix seconds).
    pub at: i64,
    /// Why.
    pub reason: String,
}

/// Every workflow record, as of the last event applied.
#[derive(Debug, Clone, Default)]
pub struct Workflow {
    /// The last event applied (0: none).
    pub seq: i64,
    /// Set when the database is a rehearsal (changes may then pretend another time).
    pub rehearsal: Option<Rehearsal>,
    /// People, by e-mail.
    pub users: BTreeMap<String, User>,
    /// Departments known to the workflow (beyond the journey's), id -> name.
    pub departments: BTreeMap<Slug, String>,
    /// Issues by number.
    pub issues: BTreeMap<u32, Issue>,
    /// Five-whys chains by number.
    pub chains: BTreeMap<u32, WhyChain>,
    /// Actions by number.
    pub actions: BTreeMap<u32, Action>,
    /// Follow-up cases by number.
    pub cases: BTreeMap<u32, Case>,
    /// Announcements by number.
    pub announcements: BTreeMap<u32, Announcement>,
    /// Lessons by number.
    pub lessons: BTreeMap<u32, Lesson>,
    /// Recognition submissions by number.
    pub submissions: BTreeMap<u32, Submission>,
    /// Workflow metrics (leading indicators): their current value per day.
    pub metrics: BTreeMap<Slug, BTreeMap<Date, f64>>,
    /// The whole log, for the audit trail.
    pub events: Vec<Event>,
}

/// The next free number of a map.
pub(crate) fn next_id<T>(map: &BTreeMap<u32, T>) -> u32 {
    map.keys().next_back().map_or(1, |last| last + 1)
}

impl Workflow {
    /// The state after these events, in order.
    pub fn replay(events: impl IntoIterator<Item = Event>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// The chains of an issue.
    pub fn chains_of(&self, issue: u32) -> impl Iterator<Item = &WhyChain> {
        self.chains.values().filter(move |c| c.issue == issue)
    }

    /// The actions of an issue.
    pub fn actions_of(&self, issue: u32) -> impl Iterator<Item = &Action> {
        self.actions.values().filter(move |a| a.issue == issue)
    }

    /// A metric's values as (day, value), by day.
    pub fn metric_series(&self, metric: &str) -> Vec<(String, f64)> {
        self.metrics
            .iter()
            .find(|(id, _)| id.as_str() == metric)
            .map(|(_, series)| series.iter().map(|(d, v)| (d.to_string(), *v)).collect())
            .unwrap_or_default()
    }

    /// The admins.
    pub fn admins(&self) -> impl Iterator<Item = &User> {
        self.users
            .values()
            .filter(|u| u.role == crate::model::Role::Admin)
    }

    /// The events that touched a record (`issue:3`, `action:7`...), oldest first.
    pub fn audit(&self, record: &str) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| e.change.records().iter().any(|r| r == record))
            .collect()
    }

    /// Applies one event (already checked when it was made).
    pub fn apply(&mut self, event: Event) {
        self.seq = event.seq;
        let (at, by) = (event.at, event.actor.clone());
        match event.change.clone() {
            Change::RehearsalMarked { reason } => {
                self.rehearsal = Some(Rehearsal { by, at, reason });
            }
            Change::UserAdded {
                email,
                name,
                role,
                departments,
            } => {
                self.users.insert(
                    email.clone(),
                    User {
                        email,
                        name,
                        role,
                        departments,
                    },
                );
            }
            Change::UserChanged {
                email,
                role,
                departments,
            } => {
                if let Some(user) = self.users.get_mut(&email) {
                    user.role = role;
                    user.departments = departments;
                }
            }
            Change::DepartmentAdded { id, name } => {
                self.departments.insert(id, name);
            }
            Change::IssueOpened {
                issue,
                title,
                themes,
                lead,
                departments,
                pain,
            } => {
                self.issues.insert(
                    issue,
                    Issue {
                        id: issue,
                        title,
                        themes,
                        lead,
                        departments,
                        status: Status::Detected,
                        pain,
                        indicator: None,
                        verification: None,
                        override_request: None,
                        override_: None,
                        history: vec![Transition {
                            to: Status::Detected,
                            by,
                            at,
                            note: None,
                        }],
                    },
                );
            }
            Change::IssueScoped {
                issue,
                themes,
                lead,
                departments,
            } => {
                if let Some(issue) = self.issues.get_mut(&issue) {
                    issue.themes = themes;
                    issue.lead = lead;
                    issue.departments = departments;
                }
            }
            Change::IssueMoved { issue, to, note } => {
                if let Some(issue) = self.issues.get_mut(&issue) {
                    issue.status = to;
                    issue.history.push(Transition { to, by, at, note });
                }
            }
            Change::VerificationRecorded {
                issue,
                verdict,
                fixed_on,
                rate_ratio,
                ci,
            } => {
                if let Some(issue) = self.issues.get_mut(&issue) {
                    issue.verification = Some(Verification {
                        verdict,
                        fixed_on,
                        rate_ratio,
                        ci,
                        at,
                    });
                }
            }
            Change::OverrideRequested { issue, reason } => {
                if let Some(issue) = self.issues.get_mut(&issue) {
                    issue.override_request = Some(OverrideRequest { reason, by, at });
                }
            }
            Change::ResolutionOverridden {
                issue,
                reason,
                approved_by,
            } => {
                if let Some(issue) = self.issues.get_mut(&issue) {
                    issue.override_ = Some(Override {
                        reason,
                        approved_by,
                        at,
                    });
                }
            }
            Change::WhysRecorded {
                chain,
                issue,
                symptom,
                whys,
                workshop_on,
                participants,
            } => {
                self.chains.insert(
                    chain,
                    WhyChain {
                        id: chain,
                        issue,
                        symptom,
                        whys,
                        workshop_on,
                        participants,
                    },
                );
            }
            Change::ActionPlanned {
                action,
                issue,
                chain,
                what,
                department,
                owner,
                due,
                public,
            } => {
                self.actions.insert(
                    action,
                    Action {
                        id: action,
                        issue,
                        chain,
                        what,
                        department,
                        owner,
                        due,
                        first_due: due,
                        status: ActionStatus::Planned,
                        percent: 0,
                        done_on: None,
                        done_recorded_on: None,
                        replans: Vec::new(),
                        public,
                    },
                );
            }
            Change::ActionProgressed {
                action, percent, ..
            } => {
                if let Some(action) = self.actions.get_mut(&action) {
                    action.percent = percent;
                    if action.status == ActionStatus::Planned && percent > 0 {
                        action.status = ActionStatus::InProgress;
                    }
                }
            }
            Change::ActionWorded { action, public } => {
                if let Some(action) = self.actions.get_mut(&action) {
                    action.public = Some(public);
                }
            }
            Change::ActionDone { action, on } => {
                if let Some(action) = self.actions.get_mut(&action) {
                    action.status = ActionStatus::Done;
                    action.percent = 100;
                    action.done_on = Some(on);
                    action.done_recorded_on = Some(Self::day_of(at));
                }
            }
            Change::ActionReplanned {
                action,
                due,
                reason,
            } => {
                if let Some(action) = self.actions.get_mut(&action) {
                    action.replans.push(Replan {
                        from: action.due,
                        to: due,
                        reason,
                        by,
                        at,
                    });
                    action.due = due;
                }
            }
            Change::IndicatorSet {
                issue,
                metric,
                name,
                unit,
                direction,
                target,
            } => {
                if let Some(issue) = self.issues.get_mut(&issue) {
                    issue.indicator = Some(Indicator {
                        metric,
                        name,
                        unit,
                        direction,
                        target,
                    });
                }
            }
            Change::MetricsRecorded { metric, values } => {
                let series = self.metrics.entry(metric).or_default();
                for v in values {
                    series.insert(v.day, v.value);
                }
            }
            Change::CaseOpened {
                case,
                customer,
                feedback_id,
                issue,
                reason,
                department,
                owner,
                due_at,
            } => {
                self.cases.insert(
                    case,
                    Case {
                        id: case,
                        customer,
                        feedback_id,
                        issue,
                        reason,
                        department,
                        owner,
                        opened_at: at,
                        due_at,
                        status: CaseStatus::Open,
                        closed_at: None,
                        outcome: None,
                        first_contact_resolution: None,
                        notes: Vec::new(),
                    },
                );
            }
            Change::CaseUpdated {
                case,
                status,
                outcome,
                first_contact_resolution,
                note,
            } => {
                if let Some(case) = self.cases.get_mut(&case) {
                    case.status = status;
                    if status == CaseStatus::Closed {
                        case.closed_at = Some(at);
                    }
                    case.outcome = outcome.or(case.outcome.take());
                    case.first_contact_resolution =
                        first_contact_resolution.or(case.first_contact_resolution);
                    case.notes.extend(note);
                }
            }
            Change::CaseTaken { case, owner } => {
                if let Some(case) = self.cases.get_mut(&case) {
                    case.owner = Some(owner);
                }
            }
            Change::Announced {
                announcement,
                issues,
                audience,
                message,
                recipients,
                told_us,
                report_due,
            } => {
                self.announcements.insert(
                    announcement,
                    Announcement {
                        id: announcement,
                        issues,
                        audience,
                        message,
                        recipients,
                        told_us,
                        at,
                        report_due,
                        reported_on: None,
                    },
                );
            }
            Change::ProgressReported { announcement, on } => {
                if let Some(a) = self.announcements.get_mut(&announcement) {
                    a.reported_on = Some(on.max(Self::day_of(at)));
                }
            }
            Change::LessonRecorded {
                lesson,
                issue,
                title,
                what_happened,
                root_cause,
                what_worked,
                reuse,
            } => {
                self.lessons.insert(
                    lesson,
                    Lesson {
                        id: lesson,
                        issue,
                        title,
                        what_happened,
                        root_cause,
                        what_worked,
                        reuse,
                        at,
                        by,
                    },
                );
            }
            Change::RecognitionSubmitted {
                submission,
                department,
                title,
                description,
                issue,
            } => {
                self.submissions.insert(
                    submission,
                    Submission {
                        id: submission,
                        department,
                        title,
                        description,
                        issue,
                        by,
                        judgements: Vec::new(),
                    },
                );
            }
            Change::RecognitionJudged {
                submission,
                scores,
                comment,
            } => {
                if let Some(s) = self.submissions.get_mut(&submission) {
                    s.judgements.push(Judgement {
                        judge: by,
                        scores,
                        comment,
                    });
                }
            }
        }
        self.events.push(event);
    }

    /// The day of a unix instant, in UTC (due dates are days).
    pub fn day_of(unix: i64) -> Date {
        jiff::Timestamp::from_second(unix)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    }
}
