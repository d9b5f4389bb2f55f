//! `trove bench analyze`: the chronic analysis over many tagged items.
//!
//! Stores N generated items (24 months, 80 themes with a skewed frequency, one to three per
//! item, 5 business units, 6 channels, 15 touchpoints, 200,000 customers, NPS on half of them)
//! in a fresh SQLite file, then times `trove analyze`'s work (reading the items with their
//! themes, and the analysis) and prints the peak memory of the process.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use trove_analytics::analysis::AnalysisParams;
use trove_domain::{
    Attributes, Channel, CustomerId, ExternalId, FeedbackItem, FeedbackText, Label, Nps,
    ReceivedAt, Scores,
};
use trove_store::{FeedbackFilter, ThemeOrigin};

use crate::output::thousands;

/// Arguments of `trove bench analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeBenchArgs {
    /// Items to generate, comma-separated for several runs.
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    items: Vec<u64>,
    /// Analyse this SQLite file instead of a fresh one, storing the generated items in it
    /// first only when it holds none (so that runs can be repeated, and `trove analyze` run
    /// on the same items); with one size only.
    #[arg(long, value_name = "FILE")]
    on: Option<std::path::PathBuf>,
}

pub fn run(args: &AnalyzeBenchArgs) -> Result<ExitCode> {
    if args.on.is_some() && args.items.len() > 1 {
        anyhow::bail!("--on analyses one database: give one size with --items");
    }
    for &items in &args.items {
        let dir = tempfile::tempdir()?;
        let path = args
            .on
            .clone()
            .unwrap_or_else(|| dir.path().join("bench.db"));
        let app = trove_app::App::new(crate::db::DbUrl::Sqlite(path).open()?);
        let stored = app.store().count_feedback(&FeedbackFilter::default())?;
        if stored == 0 {
            let started = Instant::now();
            store_items(&app, items, false)?;
            println!(
                "{}: stored in {:.1} s",
                thousands(items),
                started.elapsed().as_secs_f64()
            );
        } else if stored != items {
            anyhow::bail!("the database holds {stored} items, not {items}");
        }
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let facts = app.load_facts(&FeedbackFilter::default(), ThemeOrigin::Any)?;
        let read = started.elapsed().as_secs_f64();
        let values = app.customer_values()?;
        let params = AnalysisParams {
            window: 12,
            ..AnalysisParams::default()
        };
        let (analysis, stages) = trove_analytics::analysis::analyze_timed(&facts, &params, &values);
        let total = started.elapsed().as_secs_f64();
        let cpu = process_cpu_time()
            .zip(cpu_before)
            .map_or_else(String::new, |(after, before)| {
                format!(", {:.2} s CPU", (after - before).as_secs_f64())
            });
        println!(
            "{}: analysed in {total:.2} s{cpu} (reading {read:.2} s, analysis {:.2} s): {} themes, {} chronic, {} alerts",
            thousands(items),
            total - read,
            analysis.themes.len(),
            analysis.themes.iter().filter(|t| t.chronic).count(),
            analysis.alerts.len(),
        );
        for (name, spent) in [
            (
                "reading the facts",
                std::time::Duration::from_secs_f64(read),
            ),
            ("tallies", stages.tallies),
            ("alerts", stages.alerts),
            ("theme statistics", stages.theme_statistics),
            ("drivers", stages.drivers),
            ("ranking", stages.ranking),
        ] {
            println!("    {name:<18} {:>6.3} s", spent.as_secs_f64());
        }
    }
    crate::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

/// The CPU time of the whole process (the reading and the drivers run on every core).
fn process_cpu_time() -> Option<std::time::Duration> {
    crate::bench::process_cpu_seconds().map(std::time::Duration::from_secs_f64)
}

/// The database a read benchmark reads: `on` (a file or a postgres:// URL), or a fresh SQLite
/// file in `dir`; filled with `items` generated items (with text) when it holds none. Returns
/// its URL (for commands run as their own process) and the store.
pub(crate) fn filled_database(
    on: Option<&str>,
    items: u64,
    dir: &std::path::Path,
) -> Result<(String, std::sync::Arc<dyn trove_store::Store>)> {
    let url = match on {
        Some(on) => on.to_owned(),
        None => dir.join("bench.db").display().to_string(),
    };
    let store = crate::db::DbUrl::parse(&url)?.open()?;
    let app = trove_app::App::new(store.clone());
    let stored = app.store().count_feedback(&FeedbackFilter::default())?;
    if stored == 0 {
        let started = Instant::now();
        store_items(&app, items, true)?;
        println!(
            "stored {} items in {:.1} s",
            thousands(items),
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("reading the {} items stored", thousands(stored));
    }
    Ok((url, store))
}

/// Stores `items` generated items; `with_text` gives each a comment of about 150 bytes (the
/// read benchmark's rows then weigh what real ones do).
pub(crate) fn store_items(app: &trove_app::App, items: u64, with_text: bool) -> Result<()> {
    use crate::bench::{OPENINGS, PROBLEMS};
    let source = Label::parse("source", "bench")?;
    let themes: Vec<Label> = (1..=80)
        .map(|i| Label::parse("theme", &format!("Theme {i:02}")))
        .collect::<Result<_, _>>()?;
    let units: Vec<Label> = (1..=5)
        .map(|i| Label::parse("unit", &format!("Unit {i}")))
        .collect::<Result<_, _>>()?;
    let touchpoints: Vec<Label> = (1..=15)
        .map(|i| Label::parse("touchpoint", &format!("tp-{i}")))
        .collect::<Result<_, _>>()?;
    let channels = [
        Channel::Survey,
        Channel::Ticket,
        Channel::Call,
        Channel::Chat,
        Channel::Email,
        Channel::Social,
    ];
    let start = 1_704_067_200_i64; // 2024-01-01T00:00:00Z
    let span = 730 * 86_400_i64; // 24 months
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut batch = Vec::with_capacity(5_000);
    for i in 0..items {
        let theme_count = 1 + next() % 3;
        let mut item_themes: Vec<Label> = (0..theme_count)
            .map(|_| {
                // Skewed: theme k is drawn with weight about 1/k (the square of a uniform index).
                let u = (next() % 10_000) as f64 / 10_000.0;
                themes[((u * u) * 80.0) as usize].clone()
            })
            .collect();
        item_themes.sort();
        item_themes.dedup();
        let at = start + (next() % span as u64) as i64;
        let text = if with_text {
            let pick = |r: u64, from: &[&'static str]| from[(r % from.len() as u64) as usize];
            let comment = format!(
                "{} {}; also {}.",
                pick(next(), OPENINGS),
                pick(next(), PROBLEMS),
                pick(next(), PROBLEMS)
            );
            FeedbackText::parse(&comment)?
        } else {
            FeedbackText::default()
        };
        batch.push(FeedbackItem {
            source: source.clone(),
            channel: channels[(next() % 6) as usize],
            external_id: ExternalId::parse(&i.to_string())?,
            received_at: ReceivedAt::from_parts(at, 0)?,
            customer_id: Some(CustomerId::parse(&format!("C{}", next() % 200_000))?),
            account: None,
            business_unit: Some(units[(next() % 5) as usize].clone()),
            product: None,
            region: None,
            touchpoint: Some(touchpoints[(next() % 15) as usize].clone()),
            journey_stage: None,
            text,
            sentiment: None,
            suggestion: false,
            scores: Scores {
                nps: (next() % 2 == 0)
                    .then(|| Nps::try_from((next() % 11) as i64))
                    .transpose()?,
                ..Scores::default()
            },
            language: None,
            source_themes: item_themes,
            attributes: Attributes::default(),
        });
        if batch.len() == 5_000 {
            app.store().insert_feedback(&batch, None)?;
            batch.clear();
        }
    }
    app.store().insert_feedback(&batch, None)?;
    Ok(())
}
