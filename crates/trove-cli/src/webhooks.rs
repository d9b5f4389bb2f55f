//! `trove webhook`: subscriptions of URLs to Trove's events (admins), their delivery log, and
//! one dispatcher pass for cron (`trove serve` runs the same pass every few seconds). A new
//! subscription's signing secret is printed once, alone on standard output.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_app::{App, Clock, DeliveryPolicy, EVENT_TYPES};
use trove_store::{Webhook, WebhookDelivery};

use crate::Format;
use crate::db::DbUrl;

/// `trove webhook ...`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL to events (admins); its signing secret is printed once.
    Add {
        /// Where events are posted (https://...; http:// for a receiver on your own network).
        #[arg(long)]
        url: String,
        /// The event types, comma-separated: issue.status_changed, commitment.missed,
        /// case.sla_breached, spike.detected, shift.detected, feedback.received (or `all`).
        #[arg(long, required = true)]
        events: Vec<String>,
    },
    /// List the subscriptions (never their secrets).
    List {
        /// How to print.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Remove a subscription: nothing more is sent to it.
    Remove {
        /// Its id (`trove webhook list`).
        id: i64,
    },
    /// Queue a `webhook.test` event for one subscription and send it now.
    Test {
        /// Its id.
        id: i64,
    },
    /// The delivery log, newest first: status, attempts, the last answer, the next attempt.
    Deliveries {
        /// Only deliveries that were given up on.
        #[arg(long)]
        failed: bool,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Also list every attempt of each delivery.
        #[arg(long)]
        attempts: bool,
        /// How to print.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// One dispatcher pass (for cron): find new events, then try every delivery that is due.
    /// With --now (rehearsal databases only), missed commitments and breached cases are
    /// judged as of that time.
    Deliver,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs a webhook command as `actor`, with the pretended time `clock` (deliver only).
pub fn run(
    url: &DbUrl,
    actor: Option<&str>,
    clock: Clock,
    command: WebhookCommand,
) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    if let WebhookCommand::Deliver = command {
        let queued = app.watch_webhook_events(clock)?;
        let mut report = app.deliver_webhooks(now(), &DeliveryPolicy::default())?;
        report.queued = queued;
        println!(
            "{} queued, {} attempted: {} delivered, {} to retry, {} failed for good",
            report.queued, report.attempted, report.delivered, report.retrying, report.failed
        );
        return Ok(ExitCode::SUCCESS);
    }
    if clock != Clock::Real {
        anyhow::bail!("--now applies to `trove webhook deliver` only");
    }
    let actor = actor
        .context("say who you are: --as EMAIL (or set TROVE_USER); only admins manage webhooks")?;
    match command {
        WebhookCommand::Add { url, events } => {
            let events = if events.iter().any(|e| e.trim() == "all") {
                EVENT_TYPES.iter().map(|e| (*e).to_owned()).collect()
            } else {
                events
            };
            let issued = app.create_webhook(actor, &url, &events, now())?;
            eprintln!(
                "webhook {} made: posts {} to {}.\n\
                 Its signing secret follows; copy it now: it is shown only this once.\n\
                 Verify each request's webhook-signature with it (see README, Webhooks).",
                issued.webhook.id,
                issued.webhook.events.join(", "),
                issued.webhook.url
            );
            println!("{}", issued.secret);
        }
        WebhookCommand::List { format } => {
            let hooks = app.webhooks(actor)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&hooks)?),
                Format::Human => print_hooks(&hooks),
            }
        }
        WebhookCommand::Remove { id } => {
            let hook = app.remove_webhook(actor, id, now())?;
            println!(
                "removed webhook {} ({}): nothing more is sent to it",
                hook.id, hook.url
            );
        }
        WebhookCommand::Test { id } => {
            app.test_webhook(actor, id, now())?;
            let report = app.deliver_webhooks(now(), &DeliveryPolicy::default())?;
            let last = app
                .webhook_deliveries(actor, false, 1)?
                .into_iter()
                .next()
                .context("the test delivery was not logged")?;
            println!(
                "test event sent to webhook {id}: {} ({} attempted in this pass)",
                outcome(&last),
                report.attempted
            );
        }
        WebhookCommand::Deliveries {
            failed,
            limit,
            attempts,
            format,
        } => {
            let deliveries = app.webhook_deliveries(actor, failed, limit)?;
            match format {
                Format::Json => {
                    let mut all = Vec::new();
                    for d in &deliveries {
                        let mut value = serde_json::to_value(d)?;
                        if attempts {
                            value["attempt_log"] =
                                serde_json::to_value(app.webhook_attempts(actor, d.id)?)?;
                        }
                        all.push(value);
                    }
                    println!("{}", serde_json::to_string_pretty(&all)?);
                }
                Format::Human => {
                    print_deliveries(&deliveries);
                    if attempts {
                        for d in &deliveries {
                            for a in app.webhook_attempts(actor, d.id)? {
                                println!(
                                    "delivery {} attempt {} at {}: {} in {} ms{}",
                                    d.id,
                                    a.attempt,
                                    time(a.at),
                                    a.status_code.map_or_else(
                                        || "no answer".to_owned(),
                                        |c| format!("HTTP {c}")
                                    ),
                                    a.duration_ms,
                                    a.error.map(|e| format!(" ({e})")).unwrap_or_default()
                                );
                            }
                        }
                    }
                }
            }
        }
        WebhookCommand::Deliver => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}

fn time(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(
        |_| at.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn outcome(d: &WebhookDelivery) -> String {
    let answer = match (d.last_status_code, &d.last_error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "not tried yet".to_owned(),
    };
    format!(
        "{} after {} attempt(s), {answer}",
        d.status.as_str(),
        d.attempts
    )
}

fn print_hooks(hooks: &[Webhook]) {
    if hooks.is_empty() {
        println!(
            "no webhooks yet: `trove webhook add --url URL --events all --as EMAIL` makes one"
        );
        return;
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["id", "url", "events", "made by", "made", "removed"]);
    for h in hooks {
        table.add_row([
            h.id.to_string(),
            h.url.clone(),
            h.events.join(" "),
            h.created_by.clone(),
            time(h.created_at),
            h.removed_at.map_or_else(|| "no".to_owned(), time),
        ]);
    }
    println!("{table}");
}

fn print_deliveries(deliveries: &[WebhookDelivery]) {
    if deliveries.is_empty() {
        println!("no deliveries");
        return;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "id",
        "webhook",
        "event",
        "status",
        "attempts",
        "last answer",
        "last attempt",
        "next attempt",
    ]);
    for d in deliveries {
        table.add_row([
            d.id.to_string(),
            d.webhook_id.to_string(),
            d.kind.clone(),
            d.status.as_str().to_owned(),
            d.attempts.to_string(),
            match (d.last_status_code, &d.last_error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(error)) => error.clone(),
                (None, None) => "-".to_owned(),
            },
            d.last_attempt_at.map_or_else(|| "-".to_owned(), time),
            d.next_attempt_at.map_or_else(|| "-".to_owned(), time),
        ]);
    }
    println!("{table}");
}
