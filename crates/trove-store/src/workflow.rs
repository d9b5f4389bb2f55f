//! The workflow's records (issues, root causes, plans, commitments, follow-ups,
//! announcements, lessons, the values of the metrics that plans watch) kept as an append-only
//! log of events.
//!
//! The store does not interpret events: it keeps them in order, refuses an append made from
//! a stale view of the log (so two people acting at once cannot both act on the same
//! state), and never updates or deletes one. The log is the audit trail.

use serde::Serialize;

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// When it happened (unix seconds).
    pub at: i64,
    /// Who did it (a user's e-mail, or `trove` for the program itself).
    pub actor: String,
    /// What kind of change it is (`issue.opened`, `action.replanned`...).
    pub kind: String,
    /// The change, as JSON.
    pub payload: String,
}

/// An event of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    /// Its position in the log: 1, 2, ... without gaps.
    pub seq: i64,
    /// When it happened (unix seconds).
    pub at: i64,
    /// Who did it.
    pub actor: String,
    /// What kind of change it is.
    pub kind: String,
    /// The change, as JSON.
    pub payload: String,
}
