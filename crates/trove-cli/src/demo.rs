//! `trove demo`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use trove_analytics::analysis::AnalysisParams;
use trove_demo::DemoConfig;
use trove_store::{FeedbackFilter, ThemeOrigin};

use crate::db::DbUrl;
use crate::output::{self, Bar, thousands};
use crate::summary::DIMENSIONS;

/// Arguments of `trove demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed makes the same company.
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    seed: u64,
    /// Customers to invent.
    #[arg(long, default_value_t = DemoConfig::default().customers)]
    customers: usize,
    /// Feedback items to invent.
    #[arg(long, default_value_t = DemoConfig::default().feedback)]
    feedback: usize,
}

pub fn run(url: &DbUrl, args: &DemoArgs) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    let config = DemoConfig {
        seed: args.seed,
        customers: args.customers,
        feedback: args.feedback,
        ..DemoConfig::default()
    };
    let started = std::time::Instant::now();
    let bar = Bar::new(false);
    let report = app.load_demo(&config, &bar)?;
    bar.finish();
    println!(
        "Made {} (seed {}): {} departments, a journey of {} stages and {} touchpoints ({} moments of truth), {} themes.",
        report.company,
        args.seed,
        report.departments,
        report.stages,
        report.touchpoints,
        report.moments_of_truth,
        report.themes
    );
    println!(
        "Stored {} customers ({} new) and {} feedback items ({} new, {} already there) into {url} in {:.1} s.",
        thousands(report.customers.inserted + report.customers.updated),
        thousands(report.customers.inserted),
        thousands(report.feedback.inserted + report.feedback.duplicates),
        thousands(report.feedback.inserted),
        thousands(report.feedback.duplicates),
        started.elapsed().as_secs_f64()
    );
    println!("\nPlanted for Trove to find:\n{}", report.truth);
    let summary = app.summary(&FeedbackFilter::default(), &DIMENSIONS)?;
    println!();
    output::print_summary(&summary);
    if let Some(tagged) = report.tagged {
        println!(
            "\nTagged {} items with the demo taxonomy (taxonomy version {}): {} carry a theme.",
            thousands(tagged.items),
            tagged.version,
            thousands(tagged.tagged)
        );
    }
    let analysis = app.analyze(
        &FeedbackFilter::default(),
        ThemeOrigin::Rule,
        &AnalysisParams::default(),
    )?;
    let (first, last) = &analysis.window_labels;
    println!("\nChronic issues from {first} to {last}, ranked by what they cost:");
    crate::analyze::print_ranking(&analysis, false, 10);
    crate::analyze::print_alerts(&analysis, 5);
    let db = match url {
        DbUrl::Sqlite(path) => format!(" --db {}", path.display()),
        DbUrl::Postgres(_) => String::new(),
    };
    let next = [
        (
            format!("trove issues{db}"),
            "the ranked chronic issues (--format json|csv)",
        ),
        (
            format!("trove trend claim-payout-delay{db}"),
            "one theme, month by month",
        ),
        (
            format!("trove verify document-upload-broken --fixed-on 2026-03-15{db}"),
            "did the fix work?",
        ),
        (
            format!("trove drivers{db}"),
            "what drives the score: support, direction, intervals",
        ),
        (
            format!("trove scores --by business-unit{db}"),
            "NPS, CSAT, CES with significance tests",
        ),
        (
            "trove import FILE --mapping M.toml".to_owned(),
            "your own feedback (see README.md)",
        ),
    ];
    let width = next
        .iter()
        .map(|(command, _)| command.len())
        .max()
        .unwrap_or(0);
    println!("\nNext:");
    for (command, what) in next {
        println!("  {command:<width$}  {what}");
    }
    Ok(ExitCode::SUCCESS)
}
