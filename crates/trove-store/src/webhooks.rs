//! Webhooks: subscriptions, the outbox of events they are told about, and the log of every
//! delivery attempt.
//!
//! An event enters the outbox once, by its key (what happened, so finding it again adds
//! nothing), and in the same transaction becomes one pending delivery per live subscription
//! to its type. Dispatchers claim due deliveries for a lease (so two of them do not send the
//! same one at once), try them, and record each attempt.

use std::fmt;

use serde::Serialize;

/// The error a removed subscription's waiting deliveries end with (marked failed).
pub const WEBHOOK_REMOVED: &str = "the webhook was removed";

/// A subscription to make.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where events are posted.
    pub url: String,
    /// The event types it receives (`issue.status_changed`...), at least one.
    pub events: Vec<String>,
    /// The signing secret (`whsec_...`). Kept as is: signing needs it.
    pub secret: String,
    /// The admin who made it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
}

impl fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebhook")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("created_by", &self.created_by)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A stored subscription.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// Where events are posted.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// The signing secret: never shown after it was made, never logged.
    #[serde(skip)]
    pub secret: String,
    /// The admin who made it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
    /// When it was removed (unix seconds): a removed one is sent nothing more.
    pub removed_at: Option<i64>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("created_by", &self.created_by)
            .field("created_at", &self.created_at)
            .field("removed_at", &self.removed_at)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Whether it is live and receives events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.removed_at.is_none() && self.events.iter().any(|e| e == kind)
    }
}

/// An event for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEvent {
    /// What happened, as a stable key (`issue.status_changed:41:3`): an event whose key is
    /// already stored is not stored again.
    pub key: String,
    /// Its type (`issue.status_changed`).
    pub kind: String,
    /// The body as sent (JSON).
    pub body: String,
    /// When it happened (unix seconds).
    pub occurred_at: i64,
    /// Only this subscription gets it (a test event), whatever its types.
    pub only_webhook: Option<i64>,
}

/// Where the watch of the workflow and the clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WebhookWatch {
    /// When it started (unix seconds): what became due before was not news.
    pub started_at: i64,
    /// The last workflow event looked at.
    pub workflow_seq: i64,
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed: no more are made.
    Failed,
}

impl DeliveryStatus {
    /// Its name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A delivery claimed to be tried now: what to send where.
#[derive(Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery's id.
    pub id: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The subscription.
    pub webhook_id: i64,
    /// Its URL.
    pub url: String,
    /// Its signing secret.
    pub secret: String,
    /// The event's key.
    pub key: String,
    /// The event's body.
    pub body: String,
}

impl fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .field("webhook_id", &self.webhook_id)
            .field("url", &self.url)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// One attempt's outcome, to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookAttempt {
    /// The delivery.
    pub delivery_id: i64,
    /// Its number (1 for the first).
    pub attempt: i64,
    /// When it started (unix seconds).
    pub at: i64,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i64>,
    /// How long it took (milliseconds).
    pub duration_ms: i64,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// What the delivery is now.
    pub outcome: DeliveryStatus,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<i64>,
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    /// Its id.
    pub id: i64,
    /// The subscription.
    pub webhook_id: i64,
    /// The subscription's URL.
    pub url: String,
    /// The event's type.
    pub kind: String,
    /// The event's key.
    pub key: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// The last attempt's HTTP status.
    pub last_status_code: Option<i64>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was queued (unix seconds).
    pub created_at: i64,
    /// When the last attempt was made.
    pub last_attempt_at: Option<i64>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<i64>,
}

/// How backends write a subscription's event types in one column: space-separated.
pub fn join_events(events: &[String]) -> String {
    events.join(" ")
}

/// The event types of a stored column.
pub fn split_events(column: &str) -> Vec<String> {
    column.split_whitespace().map(str::to_owned).collect()
}
