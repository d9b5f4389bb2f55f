//! Webhooks: admins subscribe a URL to events; Trove posts each event there, signed the
//! Standard Webhooks way (<https://www.standardwebhooks.com/>), retrying with backoff, and
//! logs every attempt.
//!
//! Events enter a durable outbox in the store when they are found, keyed by what happened, so
//! finding one again adds nothing and a crash or restart loses nothing:
//! - the workflow log is read from the watch's cursor (`issue.status_changed`);
//! - the clock is checked against commitments' due dates and cases' deadlines
//!   (`commitment.missed`, `case.sla_breached`), counting only what became due after the
//!   watch started (the first webhook), so subscribing does not replay the past;
//! - the kept default analysis's alerts (`spike.detected`, `shift.detected`); the alerts
//!   standing when the watch started are its baseline, not news;
//! - a public form's stored answer (`feedback.received`), queued where it is stored.
//!
//! A dispatcher (`trove serve`, or `trove webhook deliver` from cron) claims due deliveries,
//! posts them (10 s timeout, redirects not followed), and records each attempt; a failed
//! one is retried after [`RETRY_DELAYS`], then given up and marked failed.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use thiserror::Error;
use trove_store::{
    DeliveryStatus, DueDelivery, NewWebhook, NewWebhookEvent, StoreError, Webhook, WebhookAttempt,
    WebhookDelivery,
};
use trove_workflow::model::Role;
use trove_workflow::views::{Promise, Standing, commitments};
use trove_workflow::{Change, Event, Workflow, rules};

use crate::{AnalysisRequest, App, AuthError, Clock, WorkflowError};

/// An issue moved to another status.
pub const ISSUE_STATUS_CHANGED: &str = "issue.status_changed";
/// A commitment (an action's due date, a promised progress report) passed unmet.
pub const COMMITMENT_MISSED: &str = "commitment.missed";
/// A follow-up case passed its service-level deadline unclosed.
pub const CASE_SLA_BREACHED: &str = "case.sla_breached";
/// The analysis found a theme's spike.
pub const SPIKE_DETECTED: &str = "spike.detected";
/// The analysis found a sustained shift of a theme's level.
pub const SHIFT_DETECTED: &str = "shift.detected";
/// A public feedback form received an answer.
pub const FEEDBACK_RECEIVED: &str = "feedback.received";
/// Sent by `trove webhook test` to one subscription.
pub const WEBHOOK_TEST: &str = "webhook.test";

/// The event types one may subscribe to.
pub const EVENT_TYPES: [&str; 6] = [
    ISSUE_STATUS_CHANGED,
    COMMITMENT_MISSED,
    CASE_SLA_BREACHED,
    SPIKE_DETECTED,
    SHIFT_DETECTED,
    FEEDBACK_RECEIVED,
];

/// Waits before each retry after a failed attempt: the first attempt is made at once, then
/// these follow (Standard Webhooks' suggested schedule), then the delivery is failed.
pub const RETRY_DELAYS: [i64; 6] = [5, 5 * 60, 30 * 60, 2 * 3_600, 5 * 3_600, 10 * 3_600];

/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every signing secret starts with (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a signing secret.
const SECRET_BYTES: usize = 32;

/// How long a claimed delivery is held by its dispatcher (longer than an attempt can take).
const LEASE_SECONDS: i64 = 120;

/// Deliveries claimed at a time.
const CLAIM_BATCH: usize = 20;

/// How much of a failing receiver's answer the log keeps.
const ERROR_CHARS: usize = 200;

/// Why a webhook use case failed.
#[derive(Debug, Error)]
pub enum WebhookError {
    /// The request is wrong (a URL, an event type).
    #[error("{0}")]
    Invalid(String),
    /// The acting person is not an admin.
    #[error("{0} is not an admin: only admins manage webhooks")]
    NotAdmin(String),
    /// No live webhook has this id.
    #[error("there is no webhook {0} (`trove webhook list` shows them)")]
    Unknown(i64),
    /// The random source failed.
    #[error(transparent)]
    Auth(Box<AuthError>),
    /// The workflow could not be read, or refused (a pretended time outside a rehearsal).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(Box<StoreError>),
}

impl From<AuthError> for WebhookError {
    fn from(error: AuthError) -> Self {
        Self::Auth(Box::new(error))
    }
}

impl From<StoreError> for WebhookError {
    fn from(error: StoreError) -> Self {
        Self::Store(Box::new(error))
    }
}

impl From<WorkflowError> for WebhookError {
    fn from(error: WorkflowError) -> Self {
        Self::Workflow(Box::new(error))
    }
}

/// A subscription as made: its secret, shown this once, and its record.
#[derive(Debug, Clone)]
pub struct IssuedWebhook {
    /// The signing secret (`whsec_...`).
    pub secret: String,
    /// The stored subscription.
    pub webhook: Webhook,
}

/// How deliveries are retried (the default: [`RETRY_DELAYS`], [`ATTEMPT_TIMEOUT`]).
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    /// Seconds before each retry; after the last, the delivery fails.
    pub retry_delays: Vec<i64>,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            retry_delays: RETRY_DELAYS.to_vec(),
            timeout: ATTEMPT_TIMEOUT,
        }
    }
}

/// What one pass of the dispatcher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Deliveries queued by the watch in this pass.
    pub queued: usize,
    /// Attempts made.
    pub attempted: usize,
    /// Delivered (2xx).
    pub delivered: usize,
    /// Failed and to be retried.
    pub retrying: usize,
    /// Failed for good.
    pub failed: usize,
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> Result<String, WebhookError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| AuthError::Crypto(format!("no randomness for a webhook secret: {e}")))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` value of a message: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed by the secret's bytes (the base64 after `whsec_`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, WebhookError> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|_| WebhookError::Invalid("a webhook secret is not base64".into()))?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
        .map_err(|e| WebhookError::Invalid(format!("a webhook secret cannot key HMAC: {e}")))?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-id` of an event: the same for every attempt and every subscription, so a
/// receiver can drop repeats (delivery is at least once).
pub fn message_id(key: &str) -> String {
    let hash = blake3::hash(key.as_bytes()).to_hex();
    format!("msg_{}", &hash.as_str()[..32])
}

/// The body of an event: `{"type", "timestamp" (RFC 3339), "data"}`.
fn envelope(kind: &str, occurred_at: i64, data: Value) -> String {
    json!({"type": kind, "timestamp": rfc3339(occurred_at), "data": data}).to_string()
}

fn rfc3339(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(|_| at.to_string(), |t| t.to_string())
}

fn event(key: String, kind: &str, occurred_at: i64, data: Value) -> NewWebhookEvent {
    NewWebhookEvent {
        body: envelope(kind, occurred_at, data),
        key,
        kind: kind.to_owned(),
        occurred_at,
        only_webhook: None,
    }
}

/// Refuses anything but an absolute http(s) URL with a host and no spaces.
fn check_url(raw: &str) -> Result<String, WebhookError> {
    let url = raw.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            WebhookError::Invalid(format!(
                "webhook URL {url:?} must start with https:// (or http://)"
            ))
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WebhookError::Invalid(format!(
            "webhook URL {url:?} needs a host and no spaces"
        )));
    }
    Ok(url.to_owned())
}

/// Reads event types (comma- or space-separated), each known, in the given order.
pub fn parse_event_types(raw: &[String]) -> Result<Vec<String>, WebhookError> {
    let mut events: Vec<String> = Vec::new();
    for name in raw
        .iter()
        .flat_map(|r| r.split([',', ' ']))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !EVENT_TYPES.contains(&name) {
            return Err(WebhookError::Invalid(format!(
                "unknown event type {name:?}: use {}",
                EVENT_TYPES.join(", ")
            )));
        }
        if !events.iter().any(|e| e == name) {
            events.push(name.to_owned());
        }
    }
    if events.is_empty() {
        return Err(WebhookError::Invalid(format!(
            "a webhook needs at least one event type: {}",
            EVENT_TYPES.join(", ")
        )));
    }
    Ok(events)
}

impl App {
    /// Subscribes `url` to `events` as `actor` (an admin) at `now`; the secret is returned
    /// this once. The first subscription starts the watch.
    pub fn create_webhook(
        &self,
        actor: &str,
        url: &str,
        events: &[String],
        now: i64,
    ) -> Result<IssuedWebhook, WebhookError> {
        let state = self.require_webhook_admin(actor)?;
        let url = check_url(url)?;
        let events = parse_event_types(events)?;
        if self.store().webhook_watch()?.is_none() {
            self.start_watch(&state, now)?;
        }
        let secret = new_secret()?;
        let id = self.store().create_webhook(&NewWebhook {
            url,
            events,
            secret: secret.clone(),
            created_by: actor.trim().to_lowercase(),
            created_at: now,
        })?;
        let webhook = self.webhook_record(id)?;
        Ok(IssuedWebhook { secret, webhook })
    }

    /// Every subscription, removed ones included (admins only).
    pub fn webhooks(&self, actor: &str) -> Result<Vec<Webhook>, WebhookError> {
        self.require_webhook_admin(actor)?;
        Ok(self.store().webhooks()?)
    }

    /// Removes subscription `id` (admins only): nothing more is sent to it.
    pub fn remove_webhook(&self, actor: &str, id: i64, now: i64) -> Result<Webhook, WebhookError> {
        self.require_webhook_admin(actor)?;
        if !self.store().remove_webhook(id, now)? {
            return Err(WebhookError::Unknown(id));
        }
        self.webhook_record(id)
    }

    /// Queues a `webhook.test` event for subscription `id` only (admins only); the next
    /// dispatcher pass sends it.
    pub fn test_webhook(&self, actor: &str, id: i64, now: i64) -> Result<usize, WebhookError> {
        self.require_webhook_admin(actor)?;
        let hook = self.webhook_record(id)?;
        if hook.removed_at.is_some() {
            return Err(WebhookError::Unknown(id));
        }
        let nonce = crate::random_token(8)?;
        let mut test = event(
            format!("{WEBHOOK_TEST}:{id}:{now}:{nonce}"),
            WEBHOOK_TEST,
            now,
            json!({"webhook": id, "message": "a test from Trove: your endpoint receives and verifies webhooks"}),
        );
        test.only_webhook = Some(id);
        Ok(self.store().enqueue_webhook_events(&[test], None, now)?)
    }

    /// The newest `limit` deliveries, only failed ones with `failed_only` (admins only).
    pub fn webhook_deliveries(
        &self,
        actor: &str,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>, WebhookError> {
        self.require_webhook_admin(actor)?;
        Ok(self.store().webhook_deliveries(failed_only, limit)?)
    }

    /// The attempts of one delivery (admins only).
    pub fn webhook_attempts(
        &self,
        actor: &str,
        delivery_id: i64,
    ) -> Result<Vec<WebhookAttempt>, WebhookError> {
        self.require_webhook_admin(actor)?;
        Ok(self.store().webhook_attempts(delivery_id)?)
    }

    /// Queues `feedback.received` for a form's stored answer.
    pub(crate) fn queue_form_answer(
        &self,
        data: Value,
        key: String,
        at: i64,
    ) -> Result<(), StoreError> {
        if self.store().webhook_watch()?.is_none() {
            return Ok(());
        }
        let answer = event(key, FEEDBACK_RECEIVED, at, data);
        self.store().enqueue_webhook_events(&[answer], None, at)?;
        Ok(())
    }

    /// One pass of the dispatcher at the real time: the watch, then every due delivery.
    pub fn webhook_pass(&self, policy: &DeliveryPolicy) -> Result<DeliveryReport, WebhookError> {
        let queued = self.watch_webhook_events(Clock::Real)?;
        let mut report = self.deliver_webhooks(Clock::Real.now(), policy)?;
        report.queued = queued;
        Ok(report)
    }

    /// Finds what happened since the last look and queues it; returns how many deliveries
    /// were queued. Nothing is looked at before the first subscription. A pretended time
    /// (`clock`) is allowed on a rehearsal database only: the clock's events (missed, breached)
    /// are judged at it.
    pub fn watch_webhook_events(&self, clock: Clock) -> Result<usize, WebhookError> {
        let Some(watch) = self.store().webhook_watch()? else {
            return Ok(0);
        };
        let events = self.workflow_events()?;
        let mut state = Workflow::replay(
            events
                .iter()
                .filter(|e| e.seq <= watch.workflow_seq)
                .cloned(),
        );
        if let Clock::Rehearsed(_) = clock {
            rules::rehearsal(&state).map_err(WorkflowError::from)?;
        }
        let now = clock.now();
        let mut found = Vec::new();
        for event in events.into_iter().filter(|e| e.seq > watch.workflow_seq) {
            if let Change::IssueMoved { issue, to, note } = &event.change
                && let Some(before) = state.issues.get(issue)
            {
                found.push(self::event(
                    format!("{ISSUE_STATUS_CHANGED}:{}:{issue}", event.seq),
                    ISSUE_STATUS_CHANGED,
                    event.at,
                    json!({
                        "issue": issue,
                        "title": before.title,
                        "from": before.status.as_str(),
                        "to": to.as_str(),
                        "note": note,
                        "by": event.actor,
                        "seq": event.seq,
                    }),
                ));
            }
            state.apply(event);
        }
        found.extend(clock_events(&state, watch.started_at, now));
        found.extend(self.alert_events(now)?);
        // Due at the real time, whatever the clock pretends.
        Ok(self
            .store()
            .enqueue_webhook_events(&found, Some(state.seq), Clock::Real.now())?)
    }

    /// Tries every delivery due at `now` once: posts it, records the attempt, and schedules
    /// the retry or gives up.
    pub fn deliver_webhooks(
        &self,
        now: i64,
        policy: &DeliveryPolicy,
    ) -> Result<DeliveryReport, WebhookError> {
        let mut report = DeliveryReport::default();
        let agent = agent(policy.timeout);
        loop {
            let due =
                self.store()
                    .claim_webhook_deliveries(now, now + LEASE_SECONDS, CLAIM_BATCH)?;
            if due.is_empty() {
                return Ok(report);
            }
            for delivery in &due {
                let started = Instant::now();
                let result = post(&agent, delivery);
                let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                let attempt = delivery.attempts + 1;
                let (status_code, error) = match result {
                    Ok(code) if (200..300).contains(&code) => (Some(i64::from(code)), None),
                    Ok(code) => (Some(i64::from(code)), Some(format!("HTTP {code}"))),
                    Err(error) => (None, Some(error)),
                };
                let retry = usize::try_from(delivery.attempts)
                    .ok()
                    .and_then(|made| policy.retry_delays.get(made));
                let (outcome, next_attempt_at) = match (&error, retry) {
                    (None, _) => (DeliveryStatus::Delivered, None),
                    (Some(_), Some(delay)) => (DeliveryStatus::Pending, Some(now + delay)),
                    (Some(_), None) => (DeliveryStatus::Failed, None),
                };
                report.attempted += 1;
                match outcome {
                    DeliveryStatus::Delivered => report.delivered += 1,
                    DeliveryStatus::Pending => report.retrying += 1,
                    DeliveryStatus::Failed => report.failed += 1,
                }
                self.store().record_webhook_attempt(&WebhookAttempt {
                    delivery_id: delivery.id,
                    attempt,
                    at: now,
                    status_code,
                    duration_ms,
                    error,
                    outcome,
                    next_attempt_at,
                })?;
            }
        }
    }

    /// The watch starts: the workflow is read from here on, and the alerts standing now are
    /// its baseline (queued before any subscription exists, so sent to nobody).
    fn start_watch(&self, state: &Workflow, now: i64) -> Result<(), WebhookError> {
        let baseline = self.alert_events(now)?;
        self.store().enqueue_webhook_events(&baseline, None, now)?;
        self.store().start_webhook_watch(now, state.seq)?;
        Ok(())
    }

    /// The spikes and shifts of the kept default analysis, as events.
    fn alert_events(&self, now: i64) -> Result<Vec<NewWebhookEvent>, WebhookError> {
        let current = self.current_analysis(&AnalysisRequest::default())?;
        let analysis = &current.analysis;
        if analysis.alerts.is_empty() {
            return Ok(Vec::new());
        }
        let themes = self.store().themes()?;
        let name_of = |theme: &str| {
            themes
                .iter()
                .find(|t| t.id.as_str() == theme)
                .map(|t| t.name.as_str().to_owned())
        };
        Ok(analysis
            .alerts
            .iter()
            .map(|alert| {
                let (kind, key) = match alert.kind {
                    trove_analytics::spikes::AlertKind::Spike => (
                        SPIKE_DETECTED,
                        format!("{SPIKE_DETECTED}:{}:{}", alert.theme, alert.period_name),
                    ),
                    _ => (
                        SHIFT_DETECTED,
                        format!("{SHIFT_DETECTED}:{}:{}", alert.theme, alert.since_name),
                    ),
                };
                let mut data = serde_json::to_value(alert).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut data {
                    map.insert("theme_name".into(), json!(name_of(&alert.theme)));
                    map.insert(
                        "analysis_computed_at".into(),
                        json!(rfc3339(current.computed_at)),
                    );
                }
                event(key, kind, now, data)
            })
            .collect())
    }

    fn workflow_events(&self) -> Result<Vec<Event>, WorkflowError> {
        self.store()
            .events(0)?
            .into_iter()
            .map(|stored| {
                let change: Change = serde_json::from_str(&stored.payload).map_err(|e| {
                    WorkflowError::Invalid(format!(
                        "workflow event {} cannot be read ({e})",
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
            .collect()
    }

    fn webhook_record(&self, id: i64) -> Result<Webhook, WebhookError> {
        self.store()
            .webhooks()?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or(WebhookError::Unknown(id))
    }

    fn require_webhook_admin(&self, actor: &str) -> Result<Workflow, WebhookError> {
        let state = self.workflow()?;
        let user = self.user(&state, actor.trim())?;
        if user.role == Role::Admin {
            Ok(state)
        } else {
            Err(WebhookError::NotAdmin(user.email))
        }
    }
}

/// Commitments that became missed, and cases that breached their deadline, after the watch
/// started (`since`) and by `now`.
fn clock_events(state: &Workflow, since: i64, now: i64) -> Vec<NewWebhookEvent> {
    let mut found = Vec::new();
    for c in commitments(state, Workflow::day_of(now)) {
        // Missed from the first moment of the day after it was due (UTC).
        let Some(missed_at) = c
            .due
            .tomorrow()
            .ok()
            .and_then(|day| day.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp().as_second())
        else {
            continue;
        };
        if c.standing != Standing::Missed || missed_at < since || missed_at > now {
            continue;
        }
        let (kind, id) = match c.promise {
            Promise::Action(id) => ("action", id),
            Promise::ProgressReport(id) => ("progress_report", id),
        };
        found.push(event(
            format!("{COMMITMENT_MISSED}:{kind}:{id}:{}", c.due),
            COMMITMENT_MISSED,
            missed_at,
            json!({
                "kind": kind,
                "id": id,
                "what": c.what,
                "issue": c.issue,
                "department": c.department.as_ref().map(|d| d.as_str()),
                "owner": c.owner,
                "due": c.due.to_string(),
                "replanned": c.replanned,
            }),
        ));
    }
    for case in state.cases.values() {
        let breached_at = case.due_at + 1;
        if !case.breached(now) || breached_at < since || breached_at > now {
            continue;
        }
        found.push(event(
            format!("{CASE_SLA_BREACHED}:{}:{}", case.id, case.due_at),
            CASE_SLA_BREACHED,
            breached_at,
            json!({
                "case": case.id,
                "status": case.status.as_str(),
                "department": case.department.as_str(),
                "owner": case.owner,
                "issue": case.issue,
                "feedback_id": case.feedback_id,
                "reason": case.reason,
                "opened_at": rfc3339(case.opened_at),
                "due_at": rfc3339(case.due_at),
            }),
        ));
    }
    found
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("Trove-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Posts one delivery, signed at the moment it is sent; the receiver's status, or why
/// there was none. The secret never enters an error or a log.
fn post(agent: &ureq::Agent, delivery: &DueDelivery) -> Result<u16, String> {
    let id = message_id(&delivery.key);
    let timestamp = jiff::Timestamp::now().as_second();
    let signature =
        sign(&delivery.secret, &id, timestamp, &delivery.body).map_err(|e| e.to_string())?;
    let response = agent
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header("webhook-signature", &signature)
        .send(delivery.body.as_str())
        .map_err(|e| truncate(&e.to_string()))?;
    Ok(response.status().as_u16())
}

fn truncate(text: &str) -> String {
    text.chars().take(ERROR_CHARS).collect()
}
