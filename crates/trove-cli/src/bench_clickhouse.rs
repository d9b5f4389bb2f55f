//! `trove bench clickhouse`: the sync rate into a ClickHouse analytics backend (one server or a
//! cluster's shards), and the time of each analysis read there beside the same read on the
//! database.
//!
//! Stores N generated items (those of `trove bench analyze`, with text) in a fresh SQLite
//! file, or reads the database given with `--on` (filling it first when it holds no
//! feedback); prepares the `--shard`s, syncs the facts (timed), syncs again (nothing changed:
//! the cost of checking), then times each read: the median of `--repeat` runs (on ClickHouse
//! alone with `--analytics-only`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use trove_app::{AnalysisRequest, App};
use trove_store::{Analytics, Dimension, FeedbackFilter, ThemeOrigin, theme_tallies_of};
use trove_store_clickhouse::{ClickHouse, ClickHouseUrl};

use crate::output::thousands;

/// Arguments of `trove bench clickhouse`.
#[derive(Debug, Args)]
pub struct ClickHouseBenchArgs {
    /// The analytics backend: clickhouse://HOST:PORT/DATABASE, with ?cluster=NAME for a
    /// cluster's shards (a fresh database gives the figures of a first sync).
    #[arg(long)]
    analytics: String,
    /// A shard of the cluster to prepare first (its table of facts): clickhouse://HOST:PORT/DATABASE.
    #[arg(long)]
    shard: Vec<String>,
    /// Items to generate (into a fresh SQLite file, or into `--on` when it holds none).
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    /// Read this database (a file or a postgres:// URL) instead of a fresh SQLite file.
    #[arg(long)]
    on: Option<String>,
    /// Runs of each read; their median is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Time the reads on ClickHouse only (the database's take minutes at 10,000,000 items).
    #[arg(long)]
    analytics_only: bool,
}

pub fn run(args: &ClickHouseBenchArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let (_, store) =
        crate::bench_analyze::filled_database(args.on.as_deref(), args.items, dir.path())?;
    let plain = App::new(store.clone());
    for shard in &args.shard {
        let url = ClickHouseUrl::parse(shard).map_err(anyhow::Error::msg)?;
        ClickHouse::prepare_shard(&url).with_context(|| format!("preparing {url}"))?;
    }
    let url = ClickHouseUrl::parse(&args.analytics).map_err(anyhow::Error::msg)?;
    let clickhouse: Arc<dyn Analytics> =
        Arc::new(ClickHouse::open(&url).with_context(|| format!("opening {url}"))?);
    println!("analytics backend: {}", clickhouse.describe());

    let started = Instant::now();
    let report = clickhouse.sync(plain.store())?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "sync: {} items read, {} facts written in {seconds:.1} s: {} items/s",
        thousands(report.items),
        thousands(report.rows_written),
        thousands((report.items as f64 / seconds) as u64)
    );
    let started = Instant::now();
    let again = clickhouse.sync(plain.store())?;
    println!(
        "sync of unchanged data: {} facts written, {} pages found unchanged, {:.1} s",
        thousands(again.rows_written),
        thousands(again.pages_unchanged),
        started.elapsed().as_secs_f64()
    );

    let through = App::new(store).with_analytics(clickhouse.clone());
    let plain = (!args.analytics_only).then_some(&plain);
    reads(args.repeat, plain, &through, clickhouse.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// The median time of `read` on the database, or `None` when the database is not timed.
fn on_database<E: Into<anyhow::Error>>(
    repeat: usize,
    plain: Option<&App>,
    mut read: impl FnMut(&App) -> Result<(), E>,
) -> Result<Option<Duration>> {
    plain.map(|app| median(repeat, || read(app))).transpose()
}

/// Times each read on the database (unless `plain` is `None`) and on the analytics backend.
fn reads(
    repeat: usize,
    plain: Option<&App>,
    through: &App,
    clickhouse: &dyn Analytics,
) -> Result<()> {
    let all = FeedbackFilter::default();
    let params = AnalysisRequest::default().params;
    println!(
        "\neach read, median of {repeat} runs: {:>14} {:>14}",
        "database", "ClickHouse"
    );
    let row = |name: &str, on_db: Option<Duration>, on_ch: Duration| {
        let on_db = on_db.map_or_else(|| "-".to_owned(), |d| format!("{:.1} ms", ms(d)));
        println!("  {name:<38} {on_db:>14} {:>11.1} ms", ms(on_ch));
    };
    row(
        "the analysis (analyze, issues)",
        on_database(repeat, plain, |app| {
            app.analyze(&all, ThemeOrigin::Any, &params).map(drop)
        })?,
        median(repeat, || {
            through.analyze(&all, ThemeOrigin::Any, &params).map(drop)
        })?,
    );
    row(
        "  of which: the items' facts",
        on_database(repeat, plain, |app| {
            app.load_facts(&all, ThemeOrigin::Any).map(drop)
        })?,
        median(repeat, || {
            through.load_facts(&all, ThemeOrigin::Any).map(drop)
        })?,
    );
    for dimension in Dimension::ALL {
        row(
            &format!("tallies by {}", dimension.as_str()),
            on_database(repeat, plain, |app| {
                app.store().tally_by(dimension, &all).map(drop)
            })?,
            median(repeat, || clickhouse.tally_by(dimension, &all).map(drop))?,
        );
    }
    let unit = FeedbackFilter {
        business_unit: Some("Unit 1".into()),
        ..FeedbackFilter::default()
    };
    row(
        "tallies by month, one unit",
        on_database(repeat, plain, |app| {
            app.store().tally_by(Dimension::Month, &unit).map(drop)
        })?,
        median(repeat, || {
            clickhouse.tally_by(Dimension::Month, &unit).map(drop)
        })?,
    );
    println!(
        "  {:<38} {:>14} {:>11.1} ms",
        "tallies by month x business unit",
        "-",
        ms(median(repeat, || {
            clickhouse
                .tally_by_month(Dimension::BusinessUnit, &all)
                .map(drop)
        })?)
    );
    row(
        "tallies by month x theme",
        on_database(repeat, plain, |app| {
            theme_tallies_of(app.store(), &all, ThemeOrigin::Any).map(drop)
        })?,
        median(repeat, || {
            clickhouse.theme_tallies(&all, ThemeOrigin::Any).map(drop)
        })?,
    );
    Ok(())
}

fn median<E: Into<anyhow::Error>>(
    repeat: usize,
    mut read: impl FnMut() -> Result<(), E>,
) -> Result<Duration> {
    let mut times = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        read().map_err(Into::into)?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
