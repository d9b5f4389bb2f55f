//! E-mail: the SMTP settings, the addresses written to (with their opt-out secrets), the
//! cadence of department streams, and the record of every sending and of each recipient's
//! delivery. A delivery's key (message, address) is unique: claiming it before sending is what
//! keeps a rerun, or a second sender, from mailing anyone twice.

use serde::Serialize;

use crate::StoreResult;

/// How `trove send` reaches the SMTP server, set once (`trove mail configure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `smtp://[user@]host[:port]` (STARTTLS when offered) or `smtps://...` (TLS from the
    /// start); never the password.
    pub smtp_url: String,
    /// The SMTP password, when the server wants one.
    pub password: Option<String>,
    /// The sender, `Name <address>`.
    pub from_address: String,
    /// Where `trove serve` is reached from outside, for opt-out links (`https://trove.example`).
    pub public_url: String,
    /// When they were set (unix seconds).
    pub set_at: i64,
    /// Who set them.
    pub set_by: String,
}

/// An address Trove has written to, with the secret of its opt-out link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailAddress {
    /// The address, lowercase.
    pub address: String,
    /// The opt-out link's secret.
    #[serde(skip)]
    pub token: String,
    /// When it opted out (unix seconds): it is never mailed again.
    pub opted_out_at: Option<i64>,
}

/// A run of one message: who started it, when, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sending {
    /// Its number.
    pub id: i64,
    /// The message: `announcement:3`, `report:3`, `stream:billing:2026-W45`.
    pub message: String,
    /// Its subject.
    pub subject: String,
    /// A person's e-mail, or `scheduler`.
    pub triggered_by: String,
    /// When it began (unix seconds).
    pub started_at: i64,
    /// When it ended; none while it runs (or when it was interrupted).
    pub finished_at: Option<i64>,
    /// Recipients it addressed.
    pub recipients: i64,
    /// Messages the server accepted.
    pub sent: i64,
    /// Messages that failed (retried by a later run).
    pub failed: i64,
}

/// One recipient's delivery of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The message.
    pub message: String,
    /// The address.
    pub address: String,
    /// `sending` (claimed, outcome unknown), `sent` or `failed`.
    pub status: String,
    /// How often it was tried.
    pub attempts: i64,
    /// The server's answer when it failed.
    pub error: Option<String>,
    /// The sending of the last attempt.
    pub sending: i64,
    /// When it last changed (unix seconds).
    pub at: i64,
}

/// The store's side of e-mail; every [`crate::Store`] is one.
pub trait MailStore {
    /// The SMTP settings, if set.
    fn mail_settings(&self) -> StoreResult<Option<MailSettings>>;

    /// Sets the SMTP settings, replacing those before.
    fn set_mail_settings(&self, settings: &MailSettings) -> StoreResult<()>;

    /// The record of `address` (lowercase), created with `token` as its opt-out secret when it
    /// is new (a known address keeps its secret).
    fn mail_address(&self, address: &str, token: &str) -> StoreResult<MailAddress>;

    /// The address whose opt-out secret is `token`, if any.
    fn mail_address_by_token(&self, token: &str) -> StoreResult<Option<MailAddress>>;

    /// Records that the address with this opt-out secret opted out at `at` (the first time
    /// counts); false when no address has this secret.
    fn opt_out_address(&self, token: &str, at: i64) -> StoreResult<bool>;

    /// Every address that opted out, sorted.
    fn opted_out_addresses(&self) -> StoreResult<Vec<String>>;

    /// The cadences set for department streams: (department, cadence), by department.
    fn stream_cadences(&self) -> StoreResult<Vec<(String, String)>>;

    /// Sets a department stream's cadence (`weekly`, `monthly`, `off`).
    fn set_stream_cadence(&self, department: &str, cadence: &str) -> StoreResult<()>;

    /// Records the start of a sending; returns its id.
    fn start_sending(
        &self,
        message: &str,
        subject: &str,
        triggered_by: &str,
        at: i64,
    ) -> StoreResult<i64>;

    /// Claims `address`'s delivery of `message` for sending `sending`, before anything is sent:
    /// true when it was never tried, or failed fewer than `max_attempts` times (then it is
    /// tried again); false when it was sent, is being sent, or failed too often. Atomic: of
    /// two senders, one claims.
    fn claim_delivery(
        &self,
        message: &str,
        address: &str,
        sending: i64,
        at: i64,
        max_attempts: i64,
    ) -> StoreResult<bool>;

    /// Records how a claimed delivery went: sent (`error` none) or failed.
    fn finish_delivery(
        &self,
        message: &str,
        address: &str,
        error: Option<&str>,
        at: i64,
    ) -> StoreResult<()>;

    /// Records the end of a sending with its counts.
    fn finish_sending(
        &self,
        id: i64,
        at: i64,
        recipients: i64,
        sent: i64,
        failed: i64,
    ) -> StoreResult<()>;

    /// The newest `limit` sendings, newest first.
    fn sendings(&self, limit: usize) -> StoreResult<Vec<Sending>>;

    /// The deliveries of `message` that did not end as sent, by address.
    fn unsent_deliveries(&self, message: &str) -> StoreResult<Vec<Delivery>>;

    /// The messages done with: a sending of theirs finished, and none of their deliveries
    /// failed fewer than `max_attempts` times (those are retried). Sorted.
    fn finished_messages(&self, max_attempts: i64) -> StoreResult<Vec<String>>;
}
