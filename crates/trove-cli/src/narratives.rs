//! `trove narratives`: the customers' stories in call notes, chats, e-mails and tickets ("trying
//! to ... because ... expected ... but ... now ..."), per theme over the stored items, or item
//! by item from a CSV file (to read and check them).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_app::{NARRATIVE_CHANNELS, NarrativeReport};
use trove_domain::Channel;
use trove_text::narrative::{self, Part};

use crate::Format;
use crate::db::DbUrl;

/// Arguments of `trove narratives`.
#[derive(Debug, Args)]
pub struct NarrativesArgs {
    /// The channels read (default: call, chat, email, ticket, employee_note).
    #[arg(long, value_delimiter = ',')]
    channels: Vec<Channel>,
    /// Read the texts of a CSV file instead of the database, item by item.
    #[arg(long)]
    file: Option<PathBuf>,
    /// The text column of `--file`.
    #[arg(long, requires = "file")]
    text_column: Option<String>,
    /// At most this many rows of `--file` (those with text).
    #[arg(long, default_value_t = 1_000)]
    limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

impl NarrativesArgs {
    /// Whether the database is read (not a file).
    pub fn reads_database(&self) -> bool {
        self.file.is_none()
    }
}

pub fn run(url: Option<&DbUrl>, args: &NarrativesArgs) -> Result<ExitCode> {
    if let Some(file) = &args.file {
        return from_file(file, args);
    }
    let Some(url) = url else {
        bail!("give --db, or --file to read a CSV file");
    };
    let channels = if args.channels.is_empty() {
        NARRATIVE_CHANNELS.to_vec()
    } else {
        args.channels.clone()
    };
    let report = trove_app::App::new(url.open()?).narratives(&channels)?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => print(&report),
    }
    Ok(ExitCode::SUCCESS)
}

fn print(report: &NarrativeReport) {
    println!(
        "{} of {} items of {} tell part of a story",
        report.with_story,
        report.items,
        report.channels.join(", ")
    );
    let mut table = Table::new();
    let mut header = vec!["theme".to_owned(), "items".to_owned()];
    header.extend(Part::ALL.iter().map(|p| p.as_str().to_owned()));
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    for theme in report.themes.iter().take(20) {
        let mut row = vec![theme.name.clone(), theme.items.to_string()];
        row.extend(theme.with_part.iter().map(u64::to_string));
        table.add_row(row);
    }
    println!("{table}");
    for theme in report.themes.iter().take(10) {
        for (id, story) in &theme.examples {
            println!("{} (item {id}): customers {story}", theme.name);
        }
    }
}

/// One row's parts, for `--file --format json`.
#[derive(serde::Serialize)]
struct RowParts {
    line: u64,
    parts: Vec<narrative::Found>,
}

fn from_file(file: &PathBuf, args: &NarrativesArgs) -> Result<ExitCode> {
    let column = args
        .text_column
        .as_deref()
        .context("name the text column: --text-column C")?;
    let mut reader =
        csv::Reader::from_path(file).with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers()?.clone();
    let Some(index) = headers.iter().position(|h| h == column) else {
        bail!("{}: no column {column:?}", file.display());
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", file.display()))?;
        let text = record.get(index).unwrap_or_default();
        if text.trim().is_empty() {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        rows.push(RowParts {
            line,
            parts: narrative::extract(text),
        });
        if rows.len() >= args.limit {
            break;
        }
    }
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let told = rows.iter().filter(|r| !r.parts.is_empty()).count();
    println!("{told} of {} texts tell part of a story", rows.len());
    for part in Part::ALL {
        let n = rows
            .iter()
            .filter(|r| r.parts.iter().any(|p| p.part == part))
            .count();
        println!("  {:<12} {n}", part.as_str());
    }
    for row in rows.iter().filter(|r| !r.parts.is_empty()) {
        println!("line {}: {}", row.line, narrative::story(&row.parts));
    }
    Ok(ExitCode::SUCCESS)
}
