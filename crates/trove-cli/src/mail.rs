//! `trove mail` (the SMTP server, set once; stream cadences) and `trove send` (send what is
//! due; the log of sendings).

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use trove_app::{App, Cadence, MailSetup, MessageKind, SendRun};
use trove_domain::Slug;
use trove_domain::safe::printable;

use crate::Format;
use crate::db::DbUrl;
use crate::workflow::{Session, slug_arg};

/// `trove mail ...`.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Set the SMTP server, the sender and the address of `trove serve` (admins; replaces
    /// what was set). STARTTLS is used when the server offers it (`smtps://` for TLS from the
    /// start).
    Configure {
        /// `smtp://[user@]host[:port]` (default port 587) or `smtps://[user@]host[:port]` (465).
        #[arg(long)]
        smtp: String,
        /// The sender: "Trove <cx@example.com>".
        #[arg(long)]
        from: String,
        /// Where people reach `trove serve` (opt-out links point there): `https://trove.example.com`.
        #[arg(long)]
        public_url: String,
        /// Read the SMTP password from the first line of standard input (kept in the database,
        /// never shown; TROVE_SMTP_PASSWORD, when set, is used instead).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show the SMTP settings (never the password) and each department stream's cadence.
    Show,
    /// Set how often a department's stream goes to its leads (an admin or the lead).
    Cadence {
        /// The department.
        #[arg(value_parser = slug_arg)]
        department: Slug,
        /// weekly, monthly or off.
        cadence: Cadence,
    },
}

/// What kind of e-mail `trove send due --only` sends.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Announcements to the customers who raised an issue.
    Announcement,
    /// Published progress reports ("you said, we did").
    Report,
    /// Departments' weekly or monthly streams.
    Stream,
    /// Business units' monthly reviews.
    Monthly,
}

impl Kind {
    fn message_kind(self) -> MessageKind {
        match self {
            Self::Announcement => MessageKind::Announcement,
            Self::Report => MessageKind::Report,
            Self::Stream => MessageKind::Stream,
            Self::Monthly => MessageKind::Monthly,
        }
    }
}

/// `trove send ...`.
#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// Send what is due (an admin or analyst, --as): announcements not yet sent, progress
    /// reports published and not yet sent, department streams whose week or month has no
    /// sending yet. A rerun sends nobody anything twice; failures are retried by the next run.
    Due {
        /// Only say what is due; send and record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Only the messages of one kind (by default everything due).
        #[arg(long, value_enum)]
        only: Option<Kind>,
        /// How to print.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// The log of sendings, newest first: what, when, who started it, how many, failures.
    Log {
        /// How many sendings.
        #[arg(long, default_value_t = 30)]
        limit: usize,
        /// How to print.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
}

fn actor(session: &Session) -> Result<&str> {
    session
        .actor
        .as_deref()
        .context("say who you are with --as EMAIL (or TROVE_USER)")
}

/// Runs a `trove mail` command.
pub fn mail(url: &DbUrl, session: &Session, command: MailCommand) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    match command {
        MailCommand::Configure {
            smtp,
            from,
            public_url,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(crate::password::read(true)?)
            } else {
                None
            };
            let setup = MailSetup {
                smtp_url: smtp,
                password,
                from,
                public_url,
            };
            app.configure_mail(actor(session)?, &setup, jiff::Timestamp::now().as_second())?;
            println!(
                "e-mail goes through {} from {}; opt-out links point to {}/optout/...{}",
                setup.smtp_url,
                setup.from,
                setup.public_url.trim_end_matches('/'),
                if setup.password.is_some() {
                    " (password stored)"
                } else {
                    ""
                }
            );
        }
        MailCommand::Show => {
            match app.mail_status()? {
                Some(s) => println!(
                    "SMTP {} ({}), from {}, opt-out links at {}/optout/..., set by {} on {}",
                    s.smtp_url,
                    if s.has_password {
                        "with a password"
                    } else {
                        "no password"
                    },
                    s.from,
                    s.public_url,
                    s.set_by,
                    day(s.set_at)
                ),
                None => println!("no SMTP server is configured (`trove mail configure`)"),
            }
            let state = app.workflow()?;
            for (department, cadence) in app.stream_cadences(&state)? {
                println!("stream {:<20} {}", department.as_str(), cadence.as_str());
            }
        }
        MailCommand::Cadence {
            department,
            cadence,
        } => {
            app.set_stream_cadence(actor(session)?, &department, cadence)?;
            println!(
                "the {} stream goes to its leads {}",
                department.as_str(),
                match cadence {
                    Cadence::Off => "no more",
                    Cadence::Weekly => "every week",
                    Cadence::Monthly => "every month",
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn day(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(
        |_| at.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

/// Runs a `trove send` command.
pub fn send(url: &DbUrl, session: &Session, command: SendCommand) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    match command {
        SendCommand::Due {
            dry_run,
            only,
            format,
        } => {
            let run = SendRun {
                triggered_by: actor(session)?.to_owned(),
                now: session.now,
                dry_run,
                only: only.map(Kind::message_kind),
            };
            let reports = app.send_due(&run)?;
            let failed: usize = reports.iter().map(|r| r.failures.len()).sum();
            let code = if failed > 0 {
                eprintln!("{failed} deliveries failed: the next `trove send due` tries them again");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
            if format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
                return Ok(code);
            }
            if reports.is_empty() {
                println!("nothing is due");
            }
            for r in &reports {
                if dry_run {
                    println!(
                        "{:<32} due to {} recipients ({} opted out): {}",
                        r.message,
                        r.recipients,
                        r.opted_out,
                        printable(&r.subject)
                    );
                    continue;
                }
                println!(
                    "{:<32} sent {}, failed {}, already sent {}, opted out {} (of {} recipients): {}",
                    r.message,
                    r.sent,
                    r.failures.len(),
                    r.already,
                    r.opted_out,
                    r.recipients,
                    printable(&r.subject)
                );
                for (address, reason) in &r.failures {
                    println!("  failed {}: {}", printable(address), printable(reason));
                }
                if let Some(stopped) = &r.stopped {
                    println!("  stopped: {stopped}");
                }
            }
            return Ok(code);
        }
        SendCommand::Log { limit, format } => {
            let log = app.sendings(limit)?;
            if format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&log)?);
                return Ok(ExitCode::SUCCESS);
            }
            if log.is_empty() {
                println!("nothing was sent yet");
            }
            for view in &log {
                let s = &view.sending;
                println!(
                    "#{:<4} {}  {:<32} by {:<24} {} recipients: {} sent, {} failed{}",
                    s.id,
                    day(s.started_at),
                    s.message,
                    printable(&s.triggered_by),
                    s.recipients,
                    s.sent,
                    s.failed,
                    if s.finished_at.is_none() {
                        " (interrupted)"
                    } else {
                        ""
                    }
                );
            }
            let mut shown = std::collections::HashSet::new();
            for view in &log {
                if !shown.insert(&view.sending.message) {
                    continue;
                }
                for d in &view.unsent {
                    println!(
                        "  {} {}: {} after {} attempts{}",
                        view.sending.message,
                        printable(&d.address),
                        d.status,
                        d.attempts,
                        d.error
                            .as_deref()
                            .map_or(String::new(), |e| format!(": {}", printable(e)))
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
