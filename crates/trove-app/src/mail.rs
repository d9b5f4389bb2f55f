//! E-mail that is really sent: announcements to their customers, "you said, we did" reports
//! when published, and department streams to the departments' leads on their cadence.
//!
//! [`App::send_due`] works out what is due and sends it over SMTP (lettre, rustls; STARTTLS
//! when the server offers it, or TLS from the start with `smtps://`). Each recipient's
//! delivery of a message is claimed in the store before it is sent and marked sent or failed
//! after, under a unique key (message, address): a rerun, or the scheduler and a cron job at
//! once, never mail anyone twice; a failure is retried by later runs up to [`MAX_ATTEMPTS`]
//! times; a delivery whose outcome was lost (a crash between the server's answer and the
//! record) is never retried, so a message is sent at most once. Customers' mail carries an
//! opt-out link (`/optout/{token}`, a random secret per address) and a `List-Unsubscribe`
//! header; an address that opted out is never mailed again.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use jiff::ToSpan;
use jiff::civil::Date;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use serde::Serialize;
use thiserror::Error;
use trove_domain::Slug;
use trove_domain::safe::html_text;
use trove_store::{Delivery, MailSettings, Sending, StoreError};
use trove_workflow::doc::Doc;
use trove_workflow::model::{Announcement, Role};
use trove_workflow::{Workflow, rules, views};

use crate::{App, WorkflowError, start_of_day};

/// How often a failed delivery is tried in all before it is given up.
pub const MAX_ATTEMPTS: i64 = 3;

/// Messages sent over one SMTP connection before it is closed and a new one opened.
const BATCH: usize = 100;

/// Who the scheduler inside `trove serve` sends as, in the log.
pub const SCHEDULER: &str = "scheduler";

/// Why an e-mail use case failed.
#[derive(Debug, Error)]
pub enum MailError {
    /// The person may not do it.
    #[error("{0}")]
    NotAllowed(String),
    /// Bad input, in words.
    #[error("{0}")]
    Invalid(String),
    /// No SMTP server is configured.
    #[error(
        "no SMTP server is configured: an admin sets one with `trove mail configure --smtp smtp://HOST:PORT --from ADDRESS --public-url URL`"
    )]
    NotConfigured,
    /// The workflow failed (boxed: a refusal is large).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A monthly report to send could not be made.
    #[error("the monthly report could not be made: {0}")]
    Report(String),
}

impl From<WorkflowError> for MailError {
    fn from(error: WorkflowError) -> Self {
        MailError::Workflow(Box::new(error))
    }
}

/// How often a department stream is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Every ISO week (Monday to Sunday), on the first run of the week.
    Weekly,
    /// Every calendar month, on the first run of the month.
    Monthly,
    /// Never.
    Off,
}

impl Cadence {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
            Cadence::Off => "off",
        }
    }

    /// The period `day` falls in (`2026-W48`, `2026-11`), none when off.
    pub fn period(self, day: Date) -> Option<String> {
        match self {
            Cadence::Weekly => {
                let week = day.iso_week_date();
                Some(format!("{}-W{:02}", week.year(), week.week()))
            }
            Cadence::Monthly => Some(format!("{}-{:02}", day.year(), day.month())),
            Cadence::Off => None,
        }
    }

    /// The first day a stream sent on `day` covers: a week or a month back.
    fn since(self, day: Date) -> Date {
        let back = match self {
            Cadence::Monthly => 1.month(),
            _ => 7.days(),
        };
        day.checked_sub(back).unwrap_or(day)
    }
}

impl std::str::FromStr for Cadence {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "weekly" => Ok(Cadence::Weekly),
            "monthly" => Ok(Cadence::Monthly),
            "off" => Ok(Cadence::Off),
            _ => Err(format!(
                "unknown cadence {raw:?}: use weekly, monthly or off"
            )),
        }
    }
}

/// Where the SMTP server is, parsed from `smtp://[user@]host[:port]` (STARTTLS when the
/// server offers it; port 587 by default) or `smtps://[user@]host[:port]` (TLS from the start;
/// port 465). A password never goes in the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// TLS from the start (`smtps`).
    pub implicit_tls: bool,
    /// The user name to sign in with, if any.
    pub user: Option<String>,
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl SmtpUrl {
    /// Parses and checks a URL.
    pub fn parse(raw: &str) -> Result<Self, MailError> {
        let invalid = |why: &str| MailError::Invalid(format!("--smtp {raw:?}: {why}"));
        let (implicit_tls, rest) = if let Some(rest) = raw.strip_prefix("smtp://") {
            (false, rest)
        } else if let Some(rest) = raw.strip_prefix("smtps://") {
            (true, rest)
        } else {
            return Err(invalid("use smtp://[user@]host[:port] or smtps://..."));
        };
        let rest = rest.trim_end_matches('/');
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((user, host_port)) => (Some(user), host_port),
            None => (None, rest),
        };
        if user.is_some_and(|u| u.contains(':')) {
            // Said without the URL: it holds the password.
            return Err(MailError::Invalid(
                "--smtp: no password in the URL (it would be shown): give it with --password-stdin or TROVE_SMTP_PASSWORD"
                    .to_owned(),
            ));
        }
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| invalid("the port is not a number"))?,
            ),
            None => (host_port, if implicit_tls { 465 } else { 587 }),
        };
        if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
            return Err(invalid("name the host"));
        }
        Ok(Self {
            implicit_tls,
            user: user.filter(|u| !u.is_empty()).map(str::to_owned),
            host: host.to_owned(),
            port,
        })
    }
}

/// What `trove mail configure` is given.
#[derive(Debug, Clone)]
pub struct MailSetup {
    /// The SMTP server's URL.
    pub smtp_url: String,
    /// The SMTP password, if the server wants one.
    pub password: Option<String>,
    /// The sender, `Name <address>`.
    pub from: String,
    /// Where `trove serve` is reached from outside (opt-out links).
    pub public_url: String,
}

/// The SMTP settings as shown: never the password.
#[derive(Debug, Clone, Serialize)]
pub struct MailStatus {
    /// The SMTP server's URL.
    pub smtp_url: String,
    /// Whether a password is stored (or given by TROVE_SMTP_PASSWORD).
    pub has_password: bool,
    /// The sender.
    pub from: String,
    /// Where opt-out links point.
    pub public_url: String,
    /// When they were set (unix seconds).
    pub set_at: i64,
    /// By whom.
    pub set_by: String,
}

/// One run of [`App::send_due`].
#[derive(Debug, Clone)]
pub struct SendRun {
    /// Who starts it: a person's e-mail (an admin or analyst), or [`SCHEDULER`].
    pub triggered_by: String,
    /// Now (unix seconds): the day decides which stream periods are due.
    pub now: i64,
    /// Only work out what is due; send and record nothing.
    pub dry_run: bool,
    /// Only the messages of this kind (`None`: everything due).
    pub only: Option<MessageKind>,
}

/// What a message is, as the first part of its key says (`announcement:3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// An announcement to the customers who raised its issues.
    Announcement,
    /// A published progress report ("you said, we did").
    Report,
    /// A department's weekly or monthly stream.
    Stream,
    /// A business unit's monthly review with its PDF.
    Monthly,
}

impl MessageKind {
    /// The first part of the keys of this kind.
    fn name(self) -> &'static str {
        match self {
            Self::Announcement => "announcement",
            Self::Report => "report",
            Self::Stream => "stream",
            Self::Monthly => "monthly",
        }
    }

    /// The key of the message of this kind that `rest` names (`announcement:3`).
    pub(crate) fn key(self, rest: impl std::fmt::Display) -> String {
        format!("{}:{rest}", self.name())
    }

    /// Whether a message's key is of this kind.
    fn holds(self, key: &str) -> bool {
        key.strip_prefix(self.name())
            .is_some_and(|rest| rest.starts_with(':'))
    }
}

/// How one message went in a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageReport {
    /// The message: `announcement:3`, `report:3`, `stream:billing:2026-W48`.
    pub message: String,
    /// Its subject.
    pub subject: String,
    /// The sending recorded for it (none in a dry run).
    pub sending: Option<i64>,
    /// Its recipients (opted-out ones left out).
    pub recipients: usize,
    /// Recipients addressed in this run.
    pub addressed: usize,
    /// Accepted by the server.
    pub sent: usize,
    /// Failed (retried by later runs), with the server's answer.
    pub failures: Vec<(String, String)>,
    /// Already sent (or given up) before this run.
    pub already: usize,
    /// Left out because they opted out.
    pub opted_out: usize,
    /// Why the run stopped early, when it did.
    pub stopped: Option<String>,
}

/// A message to send: what, to whom.
pub(crate) struct Outgoing {
    pub(crate) key: String,
    pub(crate) subject: String,
    pub(crate) doc: Doc,
    pub(crate) recipients: Vec<(String, String)>,
    /// Customers' mail: opt-out link, List-Unsubscribe, opted-out addresses left out.
    pub(crate) customers: bool,
    /// A file sent with it (the monthly report's PDF).
    pub(crate) attachment: Option<Attachment>,
}

/// A file attached to a message.
pub(crate) struct Attachment {
    /// Its file name.
    pub(crate) name: String,
    /// Its media type.
    pub(crate) content_type: &'static str,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// A sending with the failures of its message, for `trove send log`.
#[derive(Debug, Clone, Serialize)]
pub struct SendingView {
    /// The sending.
    #[serde(flatten)]
    pub sending: Sending,
    /// The message's deliveries that are not sent, with why.
    pub unsent: Vec<Delivery>,
}

impl App {
    /// Sets the SMTP server, the sender and the public address of `trove serve`, replacing
    /// those before (admins only). The password is kept in the database and never shown.
    pub fn configure_mail(&self, actor: &str, setup: &MailSetup, at: i64) -> Result<(), MailError> {
        let state = self.workflow()?;
        let user = self.user(&state, actor)?;
        if user.role != Role::Admin {
            return Err(MailError::NotAllowed(format!(
                "{} is {}: only an admin configures e-mail",
                user.email,
                user.role.as_str()
            )));
        }
        SmtpUrl::parse(&setup.smtp_url)?;
        setup.from.parse::<Mailbox>().map_err(|e| {
            MailError::Invalid(format!(
                "--from {:?} is not a sender like \"Trove <cx@example.com>\": {e}",
                setup.from
            ))
        })?;
        let public_url = setup.public_url.trim_end_matches('/');
        if !(public_url.starts_with("https://") || public_url.starts_with("http://"))
            || public_url.contains(char::is_whitespace)
        {
            return Err(MailError::Invalid(format!(
                "--public-url {:?}: give the address people reach `trove serve` at, like https://trove.example.com",
                setup.public_url
            )));
        }
        self.store().set_mail_settings(&MailSettings {
            smtp_url: setup.smtp_url.clone(),
            password: setup.password.clone().filter(|p| !p.is_empty()),
            from_address: setup.from.clone(),
            public_url: public_url.to_owned(),
            set_at: at,
            set_by: user.email,
        })?;
        Ok(())
    }

    /// The SMTP settings, without the password; none when not configured.
    pub fn mail_status(&self) -> Result<Option<MailStatus>, MailError> {
        Ok(self.store().mail_settings()?.map(|s| MailStatus {
            has_password: s.password.is_some() || env_password().is_some(),
            smtp_url: s.smtp_url,
            from: s.from_address,
            public_url: s.public_url,
            set_at: s.set_at,
            set_by: s.set_by,
        }))
    }

    /// Every department's stream cadence (weekly unless set otherwise), by department.
    pub fn stream_cadences(&self, state: &Workflow) -> Result<Vec<(Slug, Cadence)>, MailError> {
        let set: BTreeMap<String, String> = self.store().stream_cadences()?.into_iter().collect();
        Ok(self
            .departments(state)?
            .into_iter()
            .map(|(id, _)| {
                let cadence = set
                    .get(id.as_str())
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(Cadence::Weekly);
                (id, cadence)
            })
            .collect())
    }

    /// Sets a department stream's cadence (an admin, or a lead of the department).
    pub fn set_stream_cadence(
        &self,
        actor: &str,
        department: &Slug,
        cadence: Cadence,
    ) -> Result<(), MailError> {
        let state = self.workflow()?;
        let user = self.user(&state, actor)?;
        if !(user.role == Role::Admin || user.leads(department)) {
            return Err(MailError::NotAllowed(format!(
                "{} may not change the {} stream: an admin or its lead does",
                user.email,
                department.as_str()
            )));
        }
        self.check_departments(&state, std::slice::from_ref(department))?;
        self.store()
            .set_stream_cadence(department.as_str(), cadence.as_str())?;
        Ok(())
    }

    /// Sends what is due: announcements not yet sent to their customers, progress reports
    /// published and not yet sent, and department streams whose period has no sending yet
    /// (to the department's leads). Each recipient at most once per message; failures are
    /// recorded and retried by the next run.
    pub fn send_due(&self, run: &SendRun) -> Result<Vec<MessageReport>, MailError> {
        let state = self.workflow()?;
        if run.triggered_by != SCHEDULER {
            let user = self.user(&state, &run.triggered_by)?;
            if !matches!(user.role, Role::Admin | Role::Analyst) {
                return Err(MailError::NotAllowed(format!(
                    "{} is {}: an admin or an analyst sends e-mail",
                    user.email,
                    user.role.as_str()
                )));
            }
        }
        let real_now = jiff::Timestamp::now().as_second();
        if !run.dry_run && (run.now - real_now).abs() > 60 {
            // Sending as of another day is a change made at a pretended time.
            rules::rehearsal(&state).map_err(WorkflowError::from)?;
        }
        let settings = self.store().mail_settings()?;
        if settings.is_none() && !run.dry_run {
            return Err(MailError::NotConfigured);
        }
        let finished: HashSet<String> = self
            .store()
            .finished_messages(MAX_ATTEMPTS)?
            .into_iter()
            .collect();
        let mut due = self.due(&state, Workflow::day_of(run.now), &finished)?;
        due.extend(self.monthly_reports_due(run.now, &finished, settings.as_ref(), run.dry_run)?);
        if let Some(kind) = run.only {
            due.retain(|outgoing| kind.holds(&outgoing.key));
        }
        let opted_out: HashSet<String> = self.store().opted_out_addresses()?.into_iter().collect();
        let mut reports = Vec::new();
        for outgoing in due {
            let report = match &settings {
                Some(settings) if !run.dry_run => {
                    self.deliver(settings, &outgoing, &opted_out, run)?
                }
                _ => preview(&outgoing, &opted_out),
            };
            reports.push(report);
        }
        Ok(reports)
    }

    /// The newest `limit` sendings, each with its message's deliveries not sent.
    pub fn sendings(&self, limit: usize) -> Result<Vec<SendingView>, MailError> {
        let mut unsent: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        let sendings = self.store().sendings(limit)?;
        let mut views = Vec::with_capacity(sendings.len());
        for sending in sendings {
            if !unsent.contains_key(&sending.message) {
                let rows = self.store().unsent_deliveries(&sending.message)?;
                unsent.insert(sending.message.clone(), rows);
            }
            views.push(SendingView {
                unsent: unsent.get(&sending.message).cloned().unwrap_or_default(),
                sending,
            });
        }
        Ok(views)
    }

    /// Per message, how many it was sent to in all and the day of its last sending (for
    /// pages: "sent to 1,706 on 2026-11-02"); messages never sent to anyone are left out.
    pub fn mailed(&self) -> Result<BTreeMap<String, (u64, Date)>, StoreError> {
        let mut mailed: BTreeMap<String, (u64, Date)> = BTreeMap::new();
        for sending in self.store().sendings(100_000)? {
            let (Some(at), Ok(sent)) = (sending.finished_at, u64::try_from(sending.sent)) else {
                continue;
            };
            if sent == 0 {
                continue;
            }
            let day = Workflow::day_of(at);
            let entry = mailed.entry(sending.message).or_insert((0, day));
            entry.0 += sent;
            entry.1 = entry.1.max(day);
        }
        Ok(mailed)
    }

    /// The address an opt-out link is for, if the link is known, and whether it already opted out.
    pub fn opt_out_link(&self, token: &str) -> Result<Option<(String, bool)>, MailError> {
        Ok(self
            .store()
            .mail_address_by_token(token)?
            .map(|a| (mask_address(&a.address), a.opted_out_at.is_some())))
    }

    /// Records the opt-out of the address with this link's secret; false when unknown.
    pub fn opt_out_address(&self, token: &str, at: i64) -> Result<bool, MailError> {
        Ok(self.store().opt_out_address(token, at)?)
    }

    /// The messages due on `today`, with their recipients.
    fn due(
        &self,
        state: &Workflow,
        today: Date,
        finished: &HashSet<String>,
    ) -> Result<Vec<Outgoing>, MailError> {
        let mut due = Vec::new();
        for announcement in state.announcements.values() {
            let key = MessageKind::Announcement.key(announcement.id);
            if !finished.contains(&key) {
                due.push(Outgoing {
                    subject: announcement_subject(state, announcement),
                    doc: text_doc(&announcement.message),
                    recipients: self.customers_of(state, announcement)?,
                    customers: true,
                    attachment: None,
                    key,
                });
            }
            let key = MessageKind::Report.key(announcement.id);
            if let Some(on) = announcement.reported_on
                && !finished.contains(&key)
            {
                due.push(Outgoing {
                    subject: "You said, we did".to_owned(),
                    doc: self.report_doc(state, announcement, on),
                    recipients: self.customers_of(state, announcement)?,
                    customers: true,
                    attachment: None,
                    key,
                });
            }
        }
        for (department, cadence) in self.stream_cadences(state)? {
            let Some(period) = cadence.period(today) else {
                continue;
            };
            let key = MessageKind::Stream.key(format_args!("{}:{period}", department.as_str()));
            if finished.contains(&key) {
                continue;
            }
            let leads: Vec<(String, String)> = state
                .users
                .values()
                .filter(|u| u.leads(&department))
                .map(|u| (u.email.clone(), u.name.clone()))
                .collect();
            if leads.is_empty() {
                continue;
            }
            let themes: Vec<Slug> = state
                .issues
                .values()
                .filter(|i| i.departments.contains(&department))
                .flat_map(|i| i.themes.iter().cloned())
                .collect();
            let since = cadence.since(today);
            let until = start_of_day(today.checked_add(1.day()).unwrap_or(today));
            let verbatims = self.verbatims(&themes, (start_of_day(since), until), 10)?;
            due.push(Outgoing {
                subject: format!("{} stream, {period}", department.as_str()),
                doc: views::stream_page(state, &department, since, today, &verbatims),
                recipients: leads,
                customers: false,
                attachment: None,
                key,
            });
        }
        Ok(due)
    }

    /// The customers an announcement goes to now: (address, name).
    fn customers_of(
        &self,
        state: &Workflow,
        announcement: &Announcement,
    ) -> Result<Vec<(String, String)>, MailError> {
        let themes: Vec<Slug> = announcement
            .issues
            .iter()
            .filter_map(|i| state.issues.get(i))
            .flat_map(|i| i.themes.iter().cloned())
            .collect();
        let reach = self.audience(&announcement.audience, &themes)?;
        let mut seen = HashSet::new();
        Ok(reach
            .recipients
            .into_iter()
            .map(|r| (r.email.trim().to_lowercase(), r.name))
            .filter(|(address, _)| seen.insert(address.clone()))
            .collect())
    }

    /// The "you said, we did" report of an announcement as published on `on`.
    fn report_doc(&self, state: &Workflow, announcement: &Announcement, on: Date) -> Doc {
        let series: Vec<(String, Vec<(String, f64)>)> = announcement
            .issues
            .iter()
            .filter_map(|i| state.issues.get(i)?.indicator.as_ref())
            .map(|ind| {
                let metric = ind.metric.as_str();
                (metric.to_owned(), state.metric_series(metric))
            })
            .collect();
        views::progress_report(state, announcement, &series, on)
    }

    /// Sends one message to its recipients not yet sent to, a batch per connection, and
    /// records each delivery and the sending.
    fn deliver(
        &self,
        settings: &MailSettings,
        outgoing: &Outgoing,
        opted_out: &HashSet<String>,
        run: &SendRun,
    ) -> Result<MessageReport, MailError> {
        let store = self.store();
        let now = || jiff::Timestamp::now().as_second();
        let from: Mailbox = settings
            .from_address
            .parse()
            .map_err(|e| MailError::Invalid(format!("the stored sender: {e}")))?;
        let sending =
            store.start_sending(&outgoing.key, &outgoing.subject, &run.triggered_by, now())?;
        let mut report = MessageReport {
            message: outgoing.key.clone(),
            subject: outgoing.subject.clone(),
            sending: Some(sending),
            ..MessageReport::default()
        };
        let text = outgoing.doc.markdown();
        let html = outgoing.doc.html(&outgoing.subject);
        'batches: for batch in outgoing.recipients.chunks(BATCH) {
            let transport = transport(settings)?;
            for (address, name) in batch {
                if outgoing.customers && opted_out.contains(address) {
                    report.opted_out += 1;
                    continue;
                }
                report.recipients += 1;
                if !store.claim_delivery(&outgoing.key, address, sending, now(), MAX_ATTEMPTS)? {
                    report.already += 1;
                    continue;
                }
                report.addressed += 1;
                let link = if outgoing.customers {
                    let secret =
                        crate::random_token(16).map_err(|e| MailError::Invalid(e.to_string()))?;
                    let token = store.mail_address(address, &secret)?.token;
                    Some(format!("{}/optout/{token}", settings.public_url))
                } else {
                    None
                };
                let letter = Letter {
                    from: &from,
                    to: (address, name),
                    subject: &outgoing.subject,
                    text: &text,
                    html: &html,
                    opt_out: link.as_deref(),
                    attachment: outgoing.attachment.as_ref(),
                };
                let outcome = letter
                    .message()
                    .and_then(|m| transport.send(&m).map(drop).map_err(Failure::from));
                match outcome {
                    Ok(()) => {
                        store.finish_delivery(&outgoing.key, address, None, now())?;
                        report.sent += 1;
                    }
                    Err(failure) => {
                        store.finish_delivery(
                            &outgoing.key,
                            address,
                            Some(&failure.reason),
                            now(),
                        )?;
                        report
                            .failures
                            .push((address.clone(), failure.reason.clone()));
                        if failure.unreachable {
                            report.stopped = Some(format!(
                                "the SMTP server could not be reached ({}); the rest waits for the next run",
                                failure.reason
                            ));
                            break 'batches;
                        }
                    }
                }
            }
        }
        // An interrupted run leaves the sending unfinished: the message stays due.
        if report.stopped.is_none() {
            let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            store.finish_sending(
                sending,
                now(),
                count(report.addressed),
                count(report.sent),
                count(report.failures.len()),
            )?;
        }
        Ok(report)
    }
}

/// What a dry run reports for a message.
fn preview(outgoing: &Outgoing, opted_out: &HashSet<String>) -> MessageReport {
    let opted = outgoing
        .recipients
        .iter()
        .filter(|(a, _)| outgoing.customers && opted_out.contains(a))
        .count();
    MessageReport {
        message: outgoing.key.clone(),
        subject: outgoing.subject.clone(),
        recipients: outgoing.recipients.len() - opted,
        opted_out: opted,
        ..MessageReport::default()
    }
}

/// The SMTP password: TROVE_SMTP_PASSWORD when set, else the stored one.
fn env_password() -> Option<String> {
    std::env::var("TROVE_SMTP_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
}

/// A transport to the configured server (a small pool: one connection, reused for a batch).
fn transport(settings: &MailSettings) -> Result<SmtpTransport, MailError> {
    let url = SmtpUrl::parse(&settings.smtp_url)?;
    let tls = TlsParameters::new(url.host.clone())
        .map_err(|e| MailError::Invalid(format!("TLS for {}: {e}", url.host)))?;
    let mut builder = SmtpTransport::builder_dangerous(url.host.clone())
        .port(url.port)
        .timeout(Some(Duration::from_secs(30)))
        .tls(if url.implicit_tls {
            Tls::Wrapper(tls)
        } else {
            Tls::Opportunistic(tls)
        });
    if let Some(user) = &url.user {
        let password = env_password()
            .or_else(|| settings.password.clone())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// Why one delivery failed.
struct Failure {
    reason: String,
    /// The server was not reached at all (not an answer about this recipient).
    unreachable: bool,
}

impl From<lettre::transport::smtp::Error> for Failure {
    fn from(error: lettre::transport::smtp::Error) -> Self {
        let answered = error.is_permanent() || error.is_transient();
        Failure {
            reason: error.to_string(),
            unreachable: !answered,
        }
    }
}

/// One recipient's e-mail.
struct Letter<'a> {
    from: &'a Mailbox,
    to: (&'a str, &'a str),
    subject: &'a str,
    /// The plain text (Markdown).
    text: &'a str,
    /// The standalone HTML page.
    html: &'a str,
    /// The opt-out link (customers' mail).
    opt_out: Option<&'a str>,
    /// A file sent with it.
    attachment: Option<&'a Attachment>,
}

impl Letter<'_> {
    /// The message: a plain-text and an HTML part, with `List-Unsubscribe` when it has an
    /// opt-out link.
    fn message(&self) -> Result<Message, Failure> {
        let bad = |reason: String| Failure {
            reason,
            unreachable: false,
        };
        let (address, name) = self.to;
        let to = address
            .parse()
            .map(|a| Mailbox::new((!name.is_empty()).then(|| name.to_owned()), a))
            .map_err(|e| bad(format!("{address:?} is not an e-mail address: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(self.subject);
        let (mut text, mut html) = (self.text.to_owned(), self.html.to_owned());
        if let Some(link) = self.opt_out {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{link}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
            text.push_str(&format!(
                "\n--\nYou get this e-mail because you are our customer. To get no more: {link}\n"
            ));
            let footer = format!(
                "<hr><p>You get this e-mail because you are our customer. <a href=\"{0}\">Get no more e-mails like this</a>: {0}</p>\n</main>",
                html_text(link)
            );
            html = html.replacen("</main>", &footer, 1);
        }
        let body = MultiPart::alternative_plain_html(text, html);
        let body = match self.attachment {
            Some(file) => {
                let content_type = ContentType::parse(file.content_type)
                    .map_err(|e| bad(format!("{}: {e}", file.content_type)))?;
                MultiPart::mixed().multipart(body).singlepart(
                    lettre::message::Attachment::new(file.name.clone())
                        .body(file.bytes.clone(), content_type),
                )
            }
            None => body,
        };
        builder
            .multipart(body)
            .map_err(|e| bad(format!("the message cannot be built: {e}")))
    }
}

/// An announcement's subject: what it is about.
fn announcement_subject(state: &Workflow, announcement: &Announcement) -> String {
    let titles: Vec<&str> = announcement
        .issues
        .iter()
        .filter_map(|i| state.issues.get(i))
        .map(|i| i.title.as_str())
        .collect();
    if titles.is_empty() {
        "What we are changing".to_owned()
    } else {
        format!("What we are changing: {}", titles.join("; "))
    }
}

/// A page of plain text: paragraphs between blank lines, `- ` lines as a list.
fn text_doc(text: &str) -> Doc {
    let mut doc = Doc::default();
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().collect();
        let items: Vec<String> = lines
            .iter()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .map(str::to_owned)
            .collect();
        if items.len() == lines.len() {
            doc.list(items, "");
        } else {
            let (head, rest): (Vec<&str>, Vec<&str>) =
                lines.iter().partition(|l| !l.trim().starts_with("- "));
            doc.para(head.join(" "));
            doc.list(
                rest.iter()
                    .filter_map(|l| l.trim().strip_prefix("- "))
                    .map(str::to_owned)
                    .collect(),
                "",
            );
        }
    }
    doc
}

/// An address shown on the opt-out page, enough to recognise it and no more: `a***@example.com`.
fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn smtp_urls_are_parsed_with_their_defaults_and_never_hold_a_password() {
        let plain = SmtpUrl::parse("smtp://cx@mail.example.com").unwrap();
        assert_eq!(
            plain,
            SmtpUrl {
                implicit_tls: false,
                user: Some("cx".into()),
                host: "mail.example.com".into(),
                port: 587
            }
        );
        let tls = SmtpUrl::parse("smtps://mail.example.com:2465").unwrap();
        assert!(tls.implicit_tls);
        assert_eq!((tls.user, tls.port), (None, 2465));
        assert_eq!(SmtpUrl::parse("smtp://127.0.0.1:2525").unwrap().port, 2525);
        let refused = SmtpUrl::parse("smtp://cx:secret@mail.example.com").unwrap_err();
        assert!(refused.to_string().contains("no password"), "{refused}");
        assert!(
            !refused.to_string().contains("secret@"),
            "never echo the password"
        );
        assert!(SmtpUrl::parse("http://mail.example.com").is_err());
        assert!(SmtpUrl::parse("smtp://host:port").is_err());
    }

    #[test]
    fn cadences_name_their_period_and_the_days_they_cover() {
        let day = jiff::civil::date(2026, 11, 30); // a Monday, ISO week 49
        assert_eq!(Cadence::Weekly.period(day).unwrap(), "2026-W49");
        assert_eq!(
            Cadence::Weekly
                .period(jiff::civil::date(2026, 11, 29))
                .unwrap(),
            "2026-W48"
        );
        assert_eq!(Cadence::Monthly.period(day).unwrap(), "2026-11");
        assert_eq!(Cadence::Off.period(day), None);
        assert_eq!(Cadence::Weekly.since(day), jiff::civil::date(2026, 11, 23));
        assert_eq!(Cadence::Monthly.since(day), jiff::civil::date(2026, 10, 30));
        assert_eq!(
            Cadence::Weekly
                .period(jiff::civil::date(2027, 1, 1))
                .unwrap(),
            "2026-W53"
        );
    }

    #[test]
    fn a_customer_letter_has_both_parts_and_an_opt_out_link_and_header() {
        let from: Mailbox = "Trove <cx@example.com>".parse().unwrap();
        let doc =
            text_doc("You told us.\n\nWhat we are changing:\n- faster payouts (by 2026-12-01)\n");
        let link = "https://trove.example/optout/abc123";
        let letter = Letter {
            from: &from,
            to: ("ann@example.com", "Ann Lee"),
            subject: "What we are changing",
            text: &doc.markdown(),
            html: &doc.html("What we are changing"),
            opt_out: Some(link),
            attachment: None,
        };
        let raw = String::from_utf8(letter.message().ok().unwrap().formatted()).unwrap();
        assert!(
            raw.contains("List-Unsubscribe: <https://trove.example/optout/abc123>"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("To: \"Ann Lee\" <ann@example.com>"), "{raw}");
        assert!(
            raw.contains("<li>faster payouts"),
            "the list is a list in HTML: {raw}"
        );
        let bad = Letter {
            to: ("not an address", ""),
            ..letter
        };
        assert!(
            bad.message()
                .err()
                .unwrap()
                .reason
                .contains("not an e-mail address")
        );
    }

    #[test]
    fn a_letter_with_a_file_carries_it_beside_both_parts_in_base64() {
        let from: Mailbox = "Trove <cx@example.com>".parse().unwrap();
        let doc = text_doc("The monthly review of Motor.");
        let file = Attachment {
            name: "motor-2026-10.pdf".into(),
            content_type: "application/pdf",
            bytes: b"%PDF-1.7 \x00\xff binary".to_vec(),
        };
        let letter = Letter {
            from: &from,
            to: ("ann@example.com", ""),
            subject: "Motor: the monthly review of 2026-10",
            text: &doc.markdown(),
            html: &doc.html("Motor"),
            opt_out: None,
            attachment: Some(&file),
        };
        let raw = String::from_utf8(letter.message().ok().unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
        assert!(
            raw.contains("attachment; filename=\"motor-2026-10.pdf\""),
            "{raw}"
        );
        assert!(
            !raw.contains("List-Unsubscribe"),
            "staff mail has no opt-out"
        );
    }

    #[test]
    fn an_address_is_masked_on_the_opt_out_page() {
        assert_eq!(mask_address("ann.lee@example.com"), "a***@example.com");
        assert_eq!(mask_address("nobody"), "***");
    }
}
