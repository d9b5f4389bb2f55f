//! `trove cues`: what customers expected and did not get (or got), and what they ask the
//! company to do more of, do less of or keep doing, counted per clause over the stored items,
//! overall and per theme, with example clauses (see `trove-app`'s `cues` module).

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use trove_app::{App, CueKind, CuesOptions};
use trove_store::FeedbackFilter;

use crate::Format;
use crate::analyze::Origin;
use crate::db::DbUrl;
use crate::output::thousands;

/// Arguments of `trove cues`.
#[derive(Debug, Args)]
pub struct CuesArgs {
    /// Only items carrying this theme (by id) or one of its descendants.
    #[arg(long)]
    theme: Option<String>,
    /// Which themes count, for --theme and the per-theme table.
    #[arg(long, value_enum, default_value_t = Origin::Any)]
    themes: Origin,
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Only this channel.
    #[arg(long)]
    channel: Option<String>,
    /// Only this business unit.
    #[arg(long)]
    business_unit: Option<String>,
    /// Only this journey stage (as the source gave it).
    #[arg(long)]
    stage: Option<String>,
    /// Only this touchpoint.
    #[arg(long)]
    touchpoint: Option<String>,
    /// Only customers of this segment.
    #[arg(long)]
    segment: Option<String>,
    /// Only items received on or after this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    since: Option<String>,
    /// Only items received before this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    until: Option<String>,
    /// Example clauses shown per kind.
    #[arg(long, default_value_t = 3)]
    examples: usize,
    /// Themes shown in the per-theme table (JSON lists them all).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn parse_day(raw: &str) -> Result<i64> {
    let date: jiff::civil::Date = raw
        .parse()
        .with_context(|| format!("{raw:?} is not a date like 2026-03-15"))?;
    Ok(date
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp()
        .as_second())
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

/// Runs `trove cues`.
pub fn run(url: &DbUrl, args: &CuesArgs) -> Result<ExitCode> {
    let filter = FeedbackFilter {
        since: args.since.as_deref().map(parse_day).transpose()?,
        until: args.until.as_deref().map(parse_day).transpose()?,
        source: args.source.clone(),
        channel: args.channel.as_deref().map(str::parse).transpose()?,
        business_unit: args.business_unit.clone(),
        journey_stage: args.stage.clone(),
        touchpoint: args.touchpoint.clone(),
        segment: args.segment.clone(),
    };
    let app = App::new(url.open()?);
    let report = app.cues(&CuesOptions {
        filter,
        origin: args.themes.into(),
        theme: args.theme.clone(),
        examples: args.examples,
    })?;
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let scope = report
        .theme
        .as_deref()
        .map_or_else(String::new, |t| format!(" carrying theme {t}"));
    println!(
        "{} items{scope}; {} ({}) have a clause with an expectation or advice cue, {} such clauses",
        thousands(report.items),
        thousands(report.items_with_cues),
        percent(report.items_with_cues, report.items),
        thousands(report.clauses),
    );
    println!(
        "{} ({}) are stored as suggestions (asking to do more or less; `trove tag --all` reads older items again)",
        thousands(report.suggestions),
        percent(report.suggestions, report.items),
    );
    if report.items == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["cue", "clauses", "items", "share of items"]);
    for kind in &report.kinds {
        table.add_row(vec![
            Cell::new(kind.kind.name()),
            right(thousands(kind.clauses)),
            right(thousands(kind.items)),
            right(percent(kind.items, report.items)),
        ]);
    }
    println!("{table}");
    for kind in report.kinds.iter().filter(|k| !k.examples.is_empty()) {
        println!("\n{} (e.g.):", kind.kind.name());
        for example in &kind.examples {
            println!(
                "  #{:<7} {}   [{}]",
                example.feedback_id,
                trove_domain::safe::printable(&example.clause),
                example.cue
            );
        }
    }
    if !report.themes.is_empty() {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        let mut header = vec!["theme", "items", "with cues", "suggestions"];
        header.extend(CueKind::ALL.iter().map(|k| k.name()));
        table.set_header(header);
        for theme in report.themes.iter().take(args.top) {
            let mut row = vec![
                Cell::new(format!("{} ({})", theme.name, theme.theme)),
                right(thousands(theme.items)),
                right(percent(theme.items_with_cues, theme.items)),
                right(thousands(theme.suggestions)),
            ];
            row.extend(
                CueKind::ALL
                    .iter()
                    .map(|&k| right(thousands(theme.counts.get(k)))),
            );
            table.add_row(row);
        }
        println!("\nper theme (clauses of each kind, most cues first):\n{table}");
        if report.themes.len() > args.top {
            println!(
                "{} more themes (--top N, or --format json)",
                report.themes.len() - args.top
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
