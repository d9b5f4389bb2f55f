//! `trove bench reads`: how long `trove issues`, `trend`, `summary` and `scores` take over many
//! stored items, now that each reads a result kept per version of the data.
//!
//! Stores N generated items (those of `trove bench analyze`, with a comment of about 150 bytes
//! each) in a fresh SQLite file, or reads a database given with `--on` (filling it first when
//! it holds no feedback). It then times, in this process, what computing each read from the
//! items costs (what every read cost before results were kept), and runs each command as
//! its own process: the first run (computing and keeping the result when it is not current)
//! and the median of `--repeat` warm runs after it. Last, the in-memory read a server does.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use trove_analytics::analysis::window_of;
use trove_app::{AnalysisRequest, App};
use trove_store::{Dimension, FeedbackFilter, ThemeOrigin};

/// Arguments of `trove bench reads`.
#[derive(Debug, Args)]
pub struct ReadsBenchArgs {
    /// Items to generate (into a fresh SQLite file, or into `--on` when it holds none).
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    /// Read this database (a file or a postgres:// URL) instead of a fresh SQLite file.
    #[arg(long)]
    on: Option<String>,
    /// Warm runs of each command; their median is reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
}

pub fn run(args: &ReadsBenchArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let (raw, store) =
        crate::bench_analyze::filled_database(args.on.as_deref(), args.items, dir.path())?;
    let app = App::new(store);
    let theme = computed_from_the_items(&app)?;
    println!(
        "\neach command as its own process (`trove ... --db`), the first run, then the median of {} warm runs:",
        args.repeat
    );
    let commands: [&[&str]; 4] = [
        &["issues"],
        &["trend", &theme],
        &["summary"],
        &["scores", "--by", "business-unit"],
    ];
    for command in commands {
        let first = run_command(command, &raw)?;
        let mut warm: Vec<Duration> = (0..args.repeat.max(1))
            .map(|_| run_command(command, &raw))
            .collect::<Result<_>>()?;
        warm.sort();
        println!(
            "  {:<30} first {:>8.1} ms, warm median {:>6.1} ms (fastest {:.1}, slowest {:.1})",
            command.join(" "),
            ms(first),
            ms(warm[warm.len() / 2]),
            ms(warm[0]),
            ms(warm[warm.len() - 1]),
        );
    }
    let request = AnalysisRequest::default();
    app.current_analysis(&request)?;
    let mut memory: Vec<Duration> = (0..args.repeat.max(1))
        .map(|_| {
            let started = Instant::now();
            app.current_analysis(&request).map(|_| started.elapsed())
        })
        .collect::<Result<_, _>>()?;
    memory.sort();
    println!(
        "\nin a server (the result held in memory, the data version checked): App::current_analysis median {:.0} µs",
        memory[memory.len() / 2].as_secs_f64() * 1e6
    );
    crate::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// Times computing each read from the stored items, as every read did before results were
/// kept; returns the theme with the most items, for `trove trend`.
fn computed_from_the_items(app: &App) -> Result<String> {
    println!("\ncomputed from the items in this process (what each read cost before):");
    let filter = FeedbackFilter::default();
    let started = Instant::now();
    // What `trove issues` reads: the analysis without the drivers' bootstrap intervals.
    let params = AnalysisRequest::default().params;
    let analysis = app.analyze(&filter, ThemeOrigin::Any, &params)?;
    println!(
        "  {:<30} {:>8.1} ms (the analysis)",
        "issues",
        ms(started.elapsed())
    );
    let Some(theme) = analysis
        .themes
        .iter()
        .max_by_key(|t| t.volume)
        .map(|t| t.theme.clone())
    else {
        bail!("the items carry no theme: nothing to trend");
    };
    let started = Instant::now();
    let facts = app.load_facts(&filter, ThemeOrigin::Any)?;
    let totals = facts.totals(params.period);
    let window = window_of(&totals, &params);
    let series = facts.series(&theme, params.period, &window);
    println!(
        "  {:<30} {:>8.1} ms ({} periods)",
        format!("trend {theme}"),
        ms(started.elapsed()),
        series.len()
    );
    let started = Instant::now();
    app.summary(&filter, &crate::summary::DIMENSIONS)?;
    println!("  {:<30} {:>8.1} ms", "summary", ms(started.elapsed()));
    let started = Instant::now();
    app.store().tally_by(Dimension::BusinessUnit, &filter)?;
    println!(
        "  {:<30} {:>8.1} ms",
        "scores --by business-unit",
        ms(started.elapsed())
    );
    Ok(theme)
}

/// Runs `trove COMMAND --db DB` as its own process, output discarded; how long it took.
fn run_command(command: &[&str], db: &str) -> Result<Duration> {
    let trove = std::env::current_exe().context("finding the trove program")?;
    let started = Instant::now();
    let output = Command::new(trove)
        .args(command)
        .args(["--db", db])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("running trove")?;
    let took = started.elapsed();
    if !output.status.success() {
        bail!(
            "trove {} failed: {}",
            command.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(took)
}
