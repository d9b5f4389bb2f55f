//! The accountability loop's use cases: every change goes through [`App::act`], which checks
//! it against the rules as the signed-in person and appends it to the store's log, so the
//! command line and the web obey the same rules. Around it: opening an issue from the
//! analysis, the metric series of leading indicators, the customers an announcement reaches,
//! follow-up cases for detractors, and fresh verbatims for department streams.
//!
//! Every change carries the real clock's time ([`Clock::Real`]); a pretended time
//! ([`Clock::Rehearsed`]) is refused unless the database is a rehearsal.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::io::Read;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use jiff::civil::Date;
use serde::Serialize;
use thiserror::Error;
use trove_analytics::analysis::Analysis;
use trove_domain::Journey;
use trove_domain::{Slug, StoredFeedback};
use trove_store::{FeedbackFilter, NewEvent, StoreError, ThemeOrigin};
use trove_workflow::model::{Audience, MetricValue, Pain};
use trove_workflow::views::Verbatim;
use trove_workflow::{Change, Event, Refusal, Workflow, check, rules};

use crate::{App, is_negative};

/// Why a workflow use case failed.
#[derive(Debug, Error)]
pub enum WorkflowError {
    /// The rules refused the change.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The acting person is not a user.
    #[error("{0} is not a Trove user (an admin adds people with `trove user add`)")]
    UnknownUser(String),
    /// A record or input is missing or wrong.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long [`App::act`] keeps retrying when others keep writing to the log first.
const RETRY_DEADLINE: Duration = Duration::from_secs(30);

/// Waits before the `attempt`-th retry (1-based): exponential from 5 ms, capped at 500 ms, with
/// full jitter, so writers that lost together do not collide again in lock step.
fn back_off(attempt: u32) {
    let cap_ms = (5u64 << attempt.min(7)).min(500);
    // RandomState's keys are random per instance: a jitter source without a dependency.
    let random = RandomState::new().hash_one(attempt);
    std::thread::sleep(Duration::from_millis(1 + random % cap_ms));
}

/// The time a change is recorded at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The real clock: always allowed, the only time allowed outside a rehearsal.
    Real,
    /// A pretended instant (unix seconds), for rehearsal databases only.
    Rehearsed(i64),
}

impl Clock {
    /// Now, unix seconds.
    pub fn now(self) -> i64 {
        match self {
            Clock::Real => jiff::Timestamp::now().as_second(),
            Clock::Rehearsed(at) => at,
        }
    }
}

impl App {
    /// The workflow as of the last event stored.
    pub fn workflow(&self) -> Result<Workflow, WorkflowError> {
        let events = self
            .store()
            .events(0)?
            .into_iter()
            .map(|stored| {
                let change: Change = serde_json::from_str(&stored.payload).map_err(|e| {
                    WorkflowError::Invalid(format!(
                        "workflow event {} cannot be read ({e}); was it written by a newer Trove?",
                        stored.seq
                    ))
                })?;
                Ok(Event {
                    seq: stored.seq,
                    at: stored.at,
                    actor: stored.actor,
                    change,
                })
            })
            .collect::<Result<Vec<_>, WorkflowError>>()?;
        Ok(Workflow::replay(events))
    }

    /// The signed-in user, who must exist.
    pub fn user(
        &self,
        state: &Workflow,
        email: &str,
    ) -> Result<trove_workflow::model::User, WorkflowError> {
        state
            .users
            .get(&email.to_lowercase())
            .cloned()
            .ok_or_else(|| WorkflowError::UnknownUser(email.to_owned()))
    }

    /// Makes the changes that `build` derives from the current state, as `actor` (`None`: no
    /// one signed in, which only the first admin's creation allows) at the `clock`'s time (a
    /// pretended one only on a rehearsal database): each is checked against the rules on the
    /// state the ones before it leave, then all are appended in one transaction. When someone
    /// else wrote first, it pauses (exponential backoff with jitter), reads the new state and
    /// builds again (numbers of new records come from the state), for up to 30 seconds.
    /// Returns the state after.
    pub fn act(
        &self,
        actor: Option<&str>,
        clock: Clock,
        build: impl Fn(&Workflow) -> Result<Vec<Change>, WorkflowError>,
    ) -> Result<Workflow, WorkflowError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let state = self.workflow()?;
            if let Clock::Rehearsed(_) = clock {
                rules::rehearsal(&state)?;
            }
            let now = clock.now();
            let user = actor.map(|a| self.user(&state, a)).transpose()?;
            let changes = build(&state)?;
            let mut after = state.clone();
            let mut events = Vec::with_capacity(changes.len());
            let name = user
                .as_ref()
                .map_or("trove", |u| u.email.as_str())
                .to_owned();
            for change in changes {
                check(&after, user.as_ref(), Workflow::day_of(now), &change)?;
                // Serialised once: the kind is the payload's tag.
                let payload = serde_json::to_value(&change)
                    .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
                events.push(NewEvent {
                    at: now,
                    actor: name.clone(),
                    kind: payload["change"].as_str().unwrap_or_default().to_owned(),
                    payload: payload.to_string(),
                });
                after.apply(Event {
                    seq: after.seq + 1,
                    at: now,
                    actor: name.clone(),
                    change,
                });
            }
            match self.store().append_events(state.seq, &events) {
                Ok(_) => return Ok(after),
                Err(StoreError::Conflict { .. }) if started.elapsed() < RETRY_DEADLINE => {
                    back_off(attempt);
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The departments, (id, name) by id: the stored journey's and those added to the workflow.
    pub fn departments(&self, state: &Workflow) -> Result<Vec<(Slug, String)>, WorkflowError> {
        let mut known: Vec<(Slug, String)> = state
            .departments
            .iter()
            .map(|(id, name)| (id.clone(), name.clone()))
            .collect();
        if let Some(journey) = self.store().journey()? {
            known.extend(
                journey
                    .departments()
                    .iter()
                    .map(|d| (d.id.clone(), d.name.as_str().to_owned())),
            );
        }
        known.sort();
        known.dedup_by(|a, b| a.0 == b.0);
        Ok(known)
    }

    /// Refuses a department that is neither the journey's nor added to the workflow.
    pub fn check_departments(
        &self,
        state: &Workflow,
        wanted: &[Slug],
    ) -> Result<(), WorkflowError> {
        let known: Vec<Slug> = self.departments(state)?.into_iter().map(|d| d.0).collect();
        match wanted.iter().find(|d| !known.contains(d)) {
            None => Ok(()),
            Some(unknown) => {
                let names: Vec<&str> = known.iter().map(Slug::as_str).collect();
                Err(WorkflowError::Invalid(format!(
                    "unknown department {:?}; known: {} (load a journey with `trove journey load`)",
                    unknown.as_str(),
                    names.join(", ")
                )))
            }
        }
    }

    /// What an issue opened from `theme` starts with: its title (the theme's name), its
    /// departments (the taxonomy's contributing departments for the theme) and the pain the
    /// analysis measured.
    pub fn issue_seed(
        &self,
        theme: &str,
        analysis: &Analysis,
        run: Option<i64>,
    ) -> Result<(String, Vec<Slug>, Pain), WorkflowError> {
        let score = analysis
            .themes
            .iter()
            .find(|t| t.theme == theme)
            .ok_or_else(|| {
                WorkflowError::Invalid(format!(
                    "the analysis window has no theme {theme:?}; `trove issues --all` lists them"
                ))
            })?;
        let record = self
            .store()
            .theme_records()?
            .into_iter()
            .find(|r| r.theme.id.as_str() == theme);
        let (title, departments) = match record {
            Some(r) => (r.theme.name.as_str().to_owned(), r.theme.departments),
            None => (theme.to_owned(), Vec::new()),
        };
        let pain = Pain {
            window: format!("{}..{}", analysis.window_labels.0, analysis.window_labels.1),
            volume: score.volume,
            customers: score.customers,
            nps_impact: score.nps_impact,
            revenue_at_risk: score
                .revenue_at_risk
                .values()
                .map(ToString::to_string)
                .collect(),
            label: serde_json::to_value(score.label)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            analysis_run: run,
        };
        Ok((title, departments, pain))
    }

    /// Imports metric values from CSV (`metric,day,value`; a header row) as changes in the
    /// workflow's log, one per metric: new days, and changed values with the value they
    /// replace (unchanged ones record nothing). Bad rows are named by file, line and field and
    /// left out, the valid ones kept; a day given twice for a metric keeps the first and names
    /// the second. Who may: see [`rules`] (the metric's issues' departments, analysts, admins).
    pub fn import_metrics(
        &self,
        actor: &str,
        clock: Clock,
        file: &str,
        reader: impl Read,
    ) -> Result<MetricsImport, WorkflowError> {
        let mut report = MetricsImport::default();
        let rows = read_metric_rows(file, reader, &mut report.errors)?;
        let counts = std::cell::Cell::new((0, 0, 0));
        self.act(Some(actor), clock, |state| {
            let user = self.user(state, actor)?;
            let (mut new, mut changed, mut unchanged) = (0, 0, 0);
            let mut changes = Vec::new();
            for (metric, days) in &rows {
                // Refused even when nothing changed: importing is writing.
                let attempt = Change::MetricsRecorded {
                    metric: metric.clone(),
                    values: Vec::new(),
                };
                rules::permitted(state, &user, &attempt)?;
                let stored = state.metrics.get(metric);
                let mut values = Vec::new();
                for (&day, &value) in days {
                    let previous = stored.and_then(|s| s.get(&day)).copied();
                    match previous {
                        Some(p) if p == value => unchanged += 1,
                        Some(_) => changed += 1,
                        None => new += 1,
                    }
                    if previous != Some(value) {
                        values.push(MetricValue {
                            day,
                            value,
                            previous,
                        });
                    }
                }
                if !values.is_empty() {
                    changes.push(Change::MetricsRecorded {
                        metric: metric.clone(),
                        values,
                    });
                }
            }
            counts.set((new, changed, unchanged));
            Ok(changes)
        })?;
        (report.inserted, report.updated, report.unchanged) = counts.get();
        report.metrics = rows.keys().map(|m| m.as_str().to_owned()).collect();
        Ok(report)
    }

    /// Loads the customer journey (its stages, touchpoints and departments), as `actor`: an
    /// admin once people use the workflow ([`rules::load_journey`]).
    pub fn load_journey(
        &self,
        actor: Option<&str>,
        journey: &Journey,
    ) -> Result<(), WorkflowError> {
        let state = self.workflow()?;
        let user = actor.map(|a| self.user(&state, a)).transpose()?;
        rules::load_journey(&state, user.as_ref())?;
        self.store().replace_journey(journey)?;
        Ok(())
    }

    /// The customers an announcement reaches, by id, how many of them have no e-mail (left
    /// out), and how many distinct customers raised `themes` (items without a customer id are
    /// nobody we can count or write to). `RaisedIt`: the customers with an item carrying one
    /// of `themes` (any origin).
    pub fn audience(&self, audience: &Audience, themes: &[Slug]) -> Result<Reach, WorkflowError> {
        let wanted: HashSet<&str> = themes.iter().map(Slug::as_str).collect();
        let mut ids = HashSet::new();
        self.store().scan_item_themes(
            &FeedbackFilter::default(),
            ThemeOrigin::Any,
            10_000,
            &mut |page| {
                for item in page {
                    if item.themes.iter().any(|t| wanted.contains(t.as_str())) {
                        ids.extend(item.customer_id);
                    }
                }
                ControlFlow::Continue(())
            },
        )?;
        let told_us = ids.len() as u64;
        let raised = Some(ids);
        let mut out = Vec::new();
        let mut without_email = 0;
        self.store().scan_customers(10_000, &mut |page| {
            for customer in page {
                let keep = match (audience, &raised) {
                    (Audience::RaisedIt, Some(ids)) => ids.contains(customer.id.as_str()),
                    (Audience::Segment(segment), _) => customer
                        .segment
                        .as_ref()
                        .is_some_and(|s| s.as_str() == segment),
                    _ => true,
                };
                if !keep {
                    continue;
                }
                match &customer.email {
                    Some(email) => out.push(Recipient {
                        customer_id: customer.id.as_str().to_owned(),
                        email: email.as_str().to_owned(),
                        name: customer
                            .name
                            .as_ref()
                            .map_or(String::new(), |n| n.as_str().to_owned()),
                    }),
                    None => without_email += 1,
                }
            }
            ControlFlow::Continue(())
        })?;
        Ok(Reach {
            recipients: out,
            without_email,
            told_us,
        })
    }

    /// The negative items (a detractor, a low CSAT or CES, or negative words when unscored)
    /// received in `since..until` that carry one of `themes` (any theme when empty) and have
    /// no follow-up case yet: (feedback id, customer id), in id order.
    pub fn detractors_without_case(
        &self,
        state: &Workflow,
        themes: &[Slug],
        (since, until): (i64, i64),
    ) -> Result<Vec<(i64, Option<String>)>, WorkflowError> {
        let covered: HashSet<i64> = state.cases.values().filter_map(|c| c.feedback_id).collect();
        let wanted: HashSet<&str> = themes.iter().map(Slug::as_str).collect();
        let filter = FeedbackFilter {
            since: Some(since),
            until: Some(until),
            ..FeedbackFilter::default()
        };
        let mut found = Vec::new();
        self.store()
            .scan_item_themes(&filter, ThemeOrigin::Any, 10_000, &mut |page| {
                for item in page {
                    let about = wanted.is_empty()
                        || item.themes.iter().any(|t| wanted.contains(t.as_str()));
                    if about
                        && is_negative(&item.scores, item.sentiment)
                        && !covered.contains(&item.id)
                    {
                        found.push((item.id, item.customer_id));
                    }
                }
                ControlFlow::Continue(())
            })?;
        Ok(found)
    }

    /// The newest `limit` items received in `since..until` that carry one of `themes` (any
    /// origin), newest first, with their words on one line: a department stream's verbatims.
    pub fn verbatims(
        &self,
        themes: &[Slug],
        (since, until): (i64, i64),
        limit: usize,
    ) -> Result<Vec<Verbatim>, WorkflowError> {
        let filter = FeedbackFilter {
            since: Some(since),
            until: Some(until),
            ..FeedbackFilter::default()
        };
        self.verbatims_among(themes, &filter, limit)
    }

    /// Like [`App::verbatims`], among the items `filter` selects (a page's scope).
    pub fn verbatims_among(
        &self,
        themes: &[Slug],
        filter: &FeedbackFilter,
        limit: usize,
    ) -> Result<Vec<Verbatim>, WorkflowError> {
        let wanted: HashSet<&str> = themes.iter().map(Slug::as_str).collect();
        let mut theme_of: HashMap<i64, String> = HashMap::new();
        self.store()
            .scan_item_themes(filter, ThemeOrigin::Any, 10_000, &mut |page| {
                for item in page {
                    if let Some(theme) = item.themes.iter().find(|t| wanted.contains(t.as_str())) {
                        theme_of.insert(item.id, theme.clone());
                    }
                }
                ControlFlow::Continue(())
            })?;
        // Ids grow with insertion, not with time: keep the newest `limit` by received time, in a
        // heap whose top is the oldest kept, so memory stays bounded whatever the window.
        let mut newest: BinaryHeap<Reverse<Newest>> = BinaryHeap::with_capacity(limit + 1);
        if !theme_of.is_empty() && limit > 0 {
            self.store().scan_feedback(filter, 10_000, &mut |page| {
                for s in page {
                    if theme_of.contains_key(&s.id) && !s.item.text.as_str().is_empty() {
                        newest.push(Reverse(Newest(s)));
                        if newest.len() > limit {
                            newest.pop();
                        }
                    }
                }
                ControlFlow::Continue(())
            })?;
        }
        let mut items: Vec<StoredFeedback> = newest.into_iter().map(|r| r.0.0).collect();
        items.sort_by_key(|s| Reverse(Newest::key(s)));
        Ok(items
            .into_iter()
            .map(|s| Verbatim {
                feedback_id: s.id,
                day: Workflow::day_of(s.item.received_at.unix_seconds()).to_string(),
                theme: theme_of.remove(&s.id).unwrap_or_default(),
                text: s
                    .item
                    .text
                    .as_str()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect())
    }
}

/// What `trove metrics import` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetricsImport {
    /// New (metric, day) values.
    pub inserted: u64,
    /// Values that replaced a stored one (the log keeps both).
    pub updated: u64,
    /// Values equal to the stored one (nothing recorded).
    pub unchanged: u64,
    /// The metrics seen.
    pub metrics: Vec<String>,
    /// Bad rows, by file, line and field.
    pub errors: Vec<String>,
}

/// The valid rows of a metrics CSV, by metric and day; bad rows go to `errors`.
fn read_metric_rows(
    file: &str,
    reader: impl Read,
    errors: &mut Vec<String>,
) -> Result<BTreeMap<Slug, BTreeMap<Date, f64>>, WorkflowError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| WorkflowError::Invalid(format!("{file}: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                WorkflowError::Invalid(format!(
                    "{file}:1: no column {name:?} (need metric, day, value)"
                ))
            })
    };
    let (metric, day, value) = (column("metric")?, column("day")?, column("value")?);
    let mut rows: BTreeMap<Slug, BTreeMap<Date, f64>> = BTreeMap::new();
    let mut first_line: HashMap<(Slug, Date), usize> = HashMap::new();
    for (index, record) in csv.records().enumerate() {
        let line = index + 2;
        let parsed = record
            .map_err(|e| format!("{file}:{line}: {e}"))
            .and_then(|r| {
                let field = |i: usize| r.get(i).unwrap_or("").trim().to_owned();
                let m = Slug::parse("metric", &field(metric))
                    .map_err(|e| format!("{file}:{line}: field metric: {e}"))?;
                let d: Date = field(day).parse().map_err(|_| {
                    format!(
                        "{file}:{line}: field day: {:?} is not a date like 2026-03-15",
                        field(day)
                    )
                })?;
                let v: f64 = field(value)
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| {
                        format!(
                            "{file}:{line}: field value: {:?} is not a number",
                            field(value)
                        )
                    })?;
                if let Some(first) = first_line.get(&(m.clone(), d)) {
                    return Err(format!(
                        "{file}:{line}: field day: {} {d} was already given on line {first}; the first is kept",
                        m.as_str()
                    ));
                }
                first_line.insert((m.clone(), d), line);
                Ok((m, d, v))
            });
        match parsed {
            Ok((m, d, v)) => {
                rows.entry(m).or_default().insert(d, v);
            }
            Err(error) => errors.push(error),
        }
    }
    Ok(rows)
}

/// One customer an announcement goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The customer's id.
    pub customer_id: String,
    /// Their e-mail.
    pub email: String,
    /// Their name (may be empty).
    pub name: String,
}

/// Who an announcement reaches.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reach {
    /// The customers with an e-mail, by id.
    pub recipients: Vec<Recipient>,
    /// The customers of the audience without an e-mail (left out).
    pub without_email: u64,
    /// The distinct customers who raised the themes.
    pub told_us: u64,
}

/// A stored item ordered by when it was received (then by id), for keeping the newest.
struct Newest(StoredFeedback);

impl Newest {
    fn key(s: &StoredFeedback) -> (i64, i64) {
        (s.item.received_at.unix_seconds(), s.id)
    }
}

impl PartialEq for Newest {
    fn eq(&self, other: &Self) -> bool {
        Newest::key(&self.0) == Newest::key(&other.0)
    }
}

impl Eq for Newest {}

impl PartialOrd for Newest {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Newest {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        Newest::key(&self.0).cmp(&Newest::key(&other.0))
    }
}
