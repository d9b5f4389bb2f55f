//! `--analytics clickhouse://HOST:PORT/DATABASE` (or TROVE_ANALYTICS): the analytics backend
//! beside the database. The analysis reads (`analyze`, `issues`, `trend`, `verify`,
//! `drivers`, `summary`, `scores`) read their items and tallies there; the facts are synced
//! after every command that changes them (import, tag, classify, ...) and before a read that
//! finds them behind. `trove analytics sync` syncs now and says how fast.

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;
use trove_app::App;
use trove_store::{Analytics, SyncReport};
use trove_store_clickhouse::{ClickHouse, ClickHouseUrl};

use crate::db::DbUrl;
use crate::output::thousands;

/// The analytics URL given for this process, read once.
static CONFIGURED: OnceLock<Option<ClickHouseUrl>> = OnceLock::new();

/// `trove analytics ...`.
#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// Bring the facts up to date with the database now (--analytics must be given) and say
    /// how many were written, how fast.
    Sync,
    /// Create the database and the shard's table of facts on one shard of a cluster (run once
    /// per shard before using `--analytics clickhouse://...?cluster=NAME`).
    PrepareShard {
        /// The shard: clickhouse://HOST:PORT/DATABASE.
        url: String,
    },
}

/// Reads the `--analytics` value (an error names what is wrong with it).
pub fn configure(raw: Option<&str>) -> Result<()> {
    let url = raw
        .filter(|raw| !raw.trim().is_empty())
        .map(ClickHouseUrl::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // Set once per process: `run` calls this first.
    let _ = CONFIGURED.set(url);
    Ok(())
}

/// The analytics backend given, connected (its tables created when missing).
fn open() -> Result<Option<Arc<dyn Analytics>>> {
    let Some(Some(url)) = CONFIGURED.get() else {
        return Ok(None);
    };
    let clickhouse = ClickHouse::open(url).with_context(|| format!("opening {url}"))?;
    Ok(Some(Arc::new(clickhouse)))
}

/// The app over the database, reading from the analytics backend when one was given.
pub fn app(url: &DbUrl) -> Result<App> {
    let app = App::new(url.open()?);
    Ok(match open()? {
        Some(analytics) => app.with_analytics(analytics),
        None => app,
    })
}

/// After a command that changed what an analysis reads: the facts are synced, when an
/// analytics backend was given.
pub fn sync_after_change(url: &DbUrl) -> Result<()> {
    let app = app(url)?;
    let started = Instant::now();
    if let Some(report) = app.sync_analytics()? {
        eprintln!("{}", describe(&app, &report, started));
    }
    Ok(())
}

fn describe(app: &App, report: &SyncReport, started: Instant) -> String {
    let target = app.analytics().map(|a| a.describe()).unwrap_or_default();
    if report.up_to_date {
        return format!("{target} is up to date");
    }
    let seconds = started.elapsed().as_secs_f64();
    format!(
        "synced {target}: {} items read, {} facts written ({} pages, {} unchanged) in {seconds:.1} s ({} items/s)",
        thousands(report.items),
        thousands(report.rows_written),
        thousands(report.pages_written),
        thousands(report.pages_unchanged),
        thousands((report.items as f64 / seconds.max(1e-9)) as u64),
    )
}

/// `trove analytics ...`.
pub fn run(command: &AnalyticsCommand, db: impl FnOnce() -> Result<DbUrl>) -> Result<ExitCode> {
    match command {
        AnalyticsCommand::Sync => {
            let app = app(&db()?)?;
            let Some(analytics) = app.analytics() else {
                anyhow::bail!(
                    "no analytics backend: give --analytics clickhouse://HOST:PORT/DATABASE (or set TROVE_ANALYTICS)"
                );
            };
            let started = Instant::now();
            let report = analytics.sync(app.store())?;
            println!("{}", describe(&app, &report, started));
        }
        AnalyticsCommand::PrepareShard { url } => {
            let shard = ClickHouseUrl::parse(url).map_err(anyhow::Error::msg)?;
            ClickHouse::prepare_shard(&shard).with_context(|| format!("preparing {shard}"))?;
            println!("{shard} holds the table of facts of a shard (facts_local)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
