//! `trove bench items`: the drill-down's query (count and the first page of 50) on many items.
//!
//! Stores N generated items as `trove bench analyze` does (24 months, 80 themes with a skewed
//! frequency, 5 business units, NPS on half) in a fresh SQLite file, or in the database named
//! by `--on` (an SQLite file or a PostgreSQL URL) when it is empty, then times each query shape
//! several times and prints the median and the slowest, for the count, the page, and both
//! (what one page view costs).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use trove_store::{FeedbackFilter, ItemPageAt, ItemQuery, NpsBand, SentimentClass};

use crate::output::thousands;

/// Arguments of `trove bench items`.
#[derive(Debug, Args)]
pub struct ItemsBenchArgs {
    /// Items to generate (when the database is empty).
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    /// Use this database (an SQLite file or a postgres:// URL): generated items are stored
    /// there when it is empty, and kept; a fresh temporary SQLite file by default.
    #[arg(long = "on")]
    on: Option<String>,
    /// Times each query runs.
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

pub fn run(args: &ItemsBenchArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let db = match &args.on {
        Some(raw) => crate::db::DbUrl::parse(raw)?,
        None => crate::db::DbUrl::Sqlite(dir.path().join("bench.db")),
    };
    let app = trove_app::App::new(db.open()?);
    if app.store().count_feedback(&FeedbackFilter::default())? == 0 {
        let started = Instant::now();
        crate::bench_analyze::store_items(&app, args.items, false)?;
        println!(
            "{}: stored in {:.1} s",
            thousands(args.items),
            started.elapsed().as_secs_f64()
        );
    }
    let total = app.store().count_feedback(&FeedbackFilter::default())?;
    println!(
        "{} items in the {} store",
        thousands(total),
        app.store().backend()
    );
    // The last six months of the generated two years.
    let window = FeedbackFilter {
        since: Some(1_704_067_200 + 548 * 86_400),
        until: Some(1_704_067_200 + 730 * 86_400),
        ..FeedbackFilter::default()
    };
    let shapes: Vec<(&str, ItemQuery)> = vec![
        ("everything", ItemQuery::default()),
        (
            "6 months",
            ItemQuery {
                filter: window.clone(),
                ..ItemQuery::default()
            },
        ),
        ("common theme, 6 months", theme(&window, "theme-01")),
        ("rare theme, 6 months", theme(&window, "theme-80")),
        (
            "common theme, all time",
            theme(&FeedbackFilter::default(), "theme-01"),
        ),
        (
            "business unit + detractors, 6 months",
            ItemQuery {
                filter: FeedbackFilter {
                    business_unit: Some("Unit 2".into()),
                    ..window.clone()
                },
                band: Some(NpsBand::Detractor),
                ..ItemQuery::default()
            },
        ),
        (
            "theme + unit + touchpoint + detractors, 6 months",
            ItemQuery {
                filter: FeedbackFilter {
                    business_unit: Some("Unit 2".into()),
                    touchpoint: Some("tp-3".into()),
                    ..window.clone()
                },
                band: Some(NpsBand::Detractor),
                ..theme(&window, "theme-05")
            },
        ),
        (
            "nothing matches (negative sentiment, none scored)",
            ItemQuery {
                sentiment: Some(SentimentClass::Negative),
                ..ItemQuery::default()
            },
        ),
    ];
    println!(
        "{:<52} {:>9} {:>22} {:>22} {:>22}",
        "query", "items", "count ms (median/max)", "page ms", "both ms"
    );
    for (name, query) in &shapes {
        let mut counts = Vec::new();
        let mut pages = Vec::new();
        let mut both = Vec::new();
        let mut matched = 0;
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            matched = app.store().count_items(query)?;
            let counted = started.elapsed();
            let page = Instant::now();
            app.store()
                .list_items(query, ItemPageAt::First, 51, Some(matched))?;
            let paged = page.elapsed();
            counts.push(counted);
            pages.push(paged);
            both.push(started.elapsed());
        }
        println!(
            "{name:<52} {:>9} {:>22} {:>22} {:>22}",
            thousands(matched),
            figures(&mut counts),
            figures(&mut pages),
            figures(&mut both)
        );
    }
    crate::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

fn theme(filter: &FeedbackFilter, theme: &str) -> ItemQuery {
    ItemQuery {
        filter: filter.clone(),
        theme: Some(theme.to_owned()),
        ..ItemQuery::default()
    }
}

/// "median / max" in milliseconds.
fn figures(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{:.1} / {:.1}",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    )
}
