//! `trove demo`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use trove_demo::DemoConfig;
use trove_store::FeedbackFilter;

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
    let db = match url {
        DbUrl::Sqlite(path) => format!(" --db {}", path.display()),
        DbUrl::Postgres(_) => String::new(),
    };
    println!(
        "\nNext:\n  trove summary{db}                 counts and scores\n  trove journey show{db}            the journey as TOML\n  trove import FILE --mapping M.toml  your own feedback (see README.md)"
    );
    Ok(ExitCode::SUCCESS)
}
