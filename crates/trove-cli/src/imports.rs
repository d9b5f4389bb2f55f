//! `trove imports` (the import history) and `trove imports delete RUN`.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_app::App;
use trove_store::{ImportRun, ImportStatus};

use crate::Format;
use crate::db::DbUrl;
use crate::output::thousands;

/// Arguments of `trove imports`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportsArgs {
    #[command(subcommand)]
    command: Option<ImportsCommand>,
    /// How many to list.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum ImportsCommand {
    /// Delete the items an import added (with their themes, tags and sentiment); the run stays
    /// in the history, marked deleted. Refused while follow-up cases or five-whys evidence
    /// refer to one of them, unless --force.
    Delete {
        /// The import run (`trove imports` lists them).
        run: i64,
        /// Delete even items that workflow records refer to.
        #[arg(long)]
        force: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

impl ImportsArgs {
    /// Whether this changes the database.
    pub fn deletes(&self) -> bool {
        self.command.is_some()
    }
}

pub fn run(url: &DbUrl, args: &ImportsArgs) -> Result<ExitCode> {
    match &args.command {
        Some(ImportsCommand::Delete { run, force, format }) => delete(url, *run, *force, *format),
        None => list(url, args.limit, args.format),
    }
}

fn delete(url: &DbUrl, run: i64, force: bool, format: Format) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    let deleted = app.delete_import(run, force)?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&deleted)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "deleted {} items of import run {run} ({}, {}) from {url}",
        thousands(deleted.deleted),
        deleted.run.file,
        deleted.run.source
    );
    let replaced = deleted.run.totals.replaced;
    if replaced > 0 {
        // Deleting adds no rows back: what a replace overwrote is only restored by another one.
        eprintln!(
            "note: the {} items this run replaced keep the values it wrote (they belong to the \
             runs that added them); import the right file again with --replace to restore them",
            thousands(replaced)
        );
    }
    if !deleted.forced.is_empty() {
        let ids: Vec<String> = deleted.forced.iter().map(i64::to_string).collect();
        eprintln!(
            "workflow records still name the deleted items {} (--force)",
            ids.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(url: &DbUrl, limit: usize, format: Format) -> Result<ExitCode> {
    let store = url.open()?;
    let runs = store.import_runs(limit)?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "id",
        "started (UTC)",
        "kind",
        "source",
        "file",
        "status",
        "rows",
        "imported",
        "replaced",
        "duplicates",
        "rejected",
    ]);
    for run in &runs {
        table.add_row(vec![
            run.id.to_string(),
            minute(run.started_at),
            run.kind.clone(),
            run.source.clone(),
            run.file.clone(),
            status(run),
            thousands(run.totals.rows),
            thousands(run.totals.imported),
            thousands(run.totals.replaced),
            thousands(run.totals.duplicates),
            thousands(run.totals.rejected),
        ]);
    }
    println!("{table}");
    for run in &runs {
        if let Some(reason) = &run.reason {
            println!("run {}: {reason}", run.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn minute(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// How the run ended, and whether its items were deleted since.
fn status(run: &ImportRun) -> String {
    let mut status = run.status.as_str().to_owned();
    if run.status == ImportStatus::Interrupted {
        status.push_str(" (its process is gone)");
    }
    if let Some(at) = run.deleted_at {
        status.push_str(&format!(
            "\ndeleted {} ({} items)",
            minute(at),
            thousands(run.deleted_items.unwrap_or(0))
        ));
    }
    status
}
