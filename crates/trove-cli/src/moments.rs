//! `trove moments`: repeat contacts as moments of truth (a third contact within 30 days, or
//! another count), their rate per month, and what they were about per theme and stage.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_analytics::repeats::RepeatRule;
use trove_app::{CONTACT_CHANNELS, RepeatReport, RepeatRequest};
use trove_domain::Channel;

use crate::Format;
use crate::db::DbUrl;

/// Arguments of `trove moments`.
#[derive(Debug, Args)]
pub struct MomentsArgs {
    /// The count of contacts that makes the moment (3: a customer's third contact).
    #[arg(long, default_value_t = 3)]
    nth: usize,
    /// Within how many days from the first to the last of those contacts.
    #[arg(long, default_value_t = 30)]
    within_days: i64,
    /// The channels that count as contacts (default: call, chat, email, ticket, social).
    #[arg(long, value_delimiter = ',')]
    channels: Vec<Channel>,
    /// Only contacts at this touchpoint (with `--nth 1`: a first claim, say).
    #[arg(long)]
    touchpoint: Option<String>,
    /// Only contacts of this business unit.
    #[arg(long)]
    business_unit: Option<String>,
    /// Also list this month's moments (YYYY-MM): each customer's chain of contacts.
    #[arg(long)]
    month: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(url: &DbUrl, args: &MomentsArgs) -> Result<ExitCode> {
    if args.nth == 0 || args.within_days < 0 {
        bail!("--nth must be at least 1 and --within-days at least 0");
    }
    let request = RepeatRequest {
        rule: RepeatRule {
            nth: args.nth,
            within: args.within_days * 86_400,
        },
        channels: if args.channels.is_empty() {
            CONTACT_CHANNELS.to_vec()
        } else {
            args.channels.clone()
        },
        touchpoint: args.touchpoint.clone(),
        business_unit: args.business_unit.clone(),
        segment: None,
    };
    let app = trove_app::App::new(url.open()?);
    let report = app.repeat_contacts(&request)?;
    if let Some(month) = &args.month
        && report.month(month).is_none()
    {
        bail!(
            "no contact in {month}: the months with contacts are {}",
            months(&report)
        );
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&*report)?),
        Format::Human => print(&report, args.month.as_deref()),
    }
    Ok(ExitCode::SUCCESS)
}

fn months(report: &RepeatReport) -> String {
    match (report.months.first(), report.months.last()) {
        (Some(first), Some(last)) => format!("{} to {}", first.month, last.month),
        _ => "none".to_owned(),
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn print(report: &RepeatReport, month: Option<&str>) {
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let share = (report.contacts > 0).then(|| report.chained as f64 / report.contacts as f64);
    println!(
        "Customers who had {} ({} contacts of {} read; {} of them, {}, in a moment's chain)",
        report.moment,
        report.contacts,
        report.channels.join(", "),
        report.chained,
        percent(share)
    );
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "month",
        "customers contacting",
        "met the moment",
        "rate",
        "about (contacts in chains)",
    ]);
    for m in &report.months {
        let about: Vec<String> = m
            .top_themes
            .iter()
            .take(3)
            .map(|(_, name, n)| format!("{name} {n}"))
            .collect();
        table.add_row([
            m.month.clone(),
            m.contacting.to_string(),
            m.repeating.to_string(),
            percent(m.rate),
            about.join(", "),
        ]);
    }
    println!("{table}");
    let mut themes = Table::new();
    themes.load_preset(UTF8_FULL_CONDENSED).set_header([
        "theme",
        "contacts",
        "in chains",
        "share in chains",
    ]);
    for share in report.themes.iter().take(15) {
        themes.add_row([
            share.name.clone(),
            share.contacts.to_string(),
            share.chained.to_string(),
            percent(Some(share.rate)),
        ]);
    }
    println!(
        "What they were about, all months (the 15 themes with most contacts in chains):\n{themes}"
    );
    if !report.stages.is_empty() {
        let mut stages = Table::new();
        stages.load_preset(UTF8_FULL_CONDENSED).set_header([
            "stage",
            "contacts",
            "in chains",
            "share in chains",
        ]);
        for share in &report.stages {
            stages.add_row([
                share.name.clone(),
                share.contacts.to_string(),
                share.chained.to_string(),
                percent(Some(share.rate)),
            ]);
        }
        println!("Per journey stage (of the contact's touchpoint):\n{stages}");
    }
    if let Some(month) = month {
        println!("The moments of {month} (customer: contacts, oldest first):");
        for chain in report.chains.iter().filter(|c| c.month == month) {
            let items: Vec<String> = chain.items.iter().map(i64::to_string).collect();
            println!("  {}: items {}", chain.customer, items.join(", "));
        }
    }
}
