//! `trove bench import`: end-to-end import speed and peak memory on a generated CSV (or a
//! real file).
//!
//! Writes a CSV of N rows (about 200 bytes of text each, some with personal data to mask,
//! NPS scores, times with offsets), imports it into a fresh SQLite file exactly as
//! `trove import` does, and prints rows per second, each stage's time and the process's peak
//! resident memory. With `--file` and `--mapping` it imports that file instead, so that the
//! stages can be seen on real texts.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::output::thousands;

/// Benchmarks that print their figures.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import a generated CSV into a fresh SQLite database (or the database given with `--on`).
    Import(ImportBenchArgs),
    /// Tag real short texts with a taxonomy, on one core (nothing is stored).
    Tag(crate::bench_tag::TagBenchArgs),
    /// Analyse many generated tagged items (`trove analyze`'s work), at several sizes.
    Analyze(crate::bench_analyze::AnalyzeBenchArgs),
    /// Time the drill-down's query (count and first page) on many items.
    Items(crate::bench_items::ItemsBenchArgs),
    /// Train the classifier on banking77 and classify many texts, on one core.
    Classify(crate::bench_classify::ClassifyBenchArgs),
    /// The read commands (`issues`, `trend`, `summary`, `scores`) over N stored items: the
    /// first read (computing the kept result), the median of 5 warm reads, and what computing
    /// each from the items costs.
    Reads(crate::bench_reads::ReadsBenchArgs),
    /// Sync N stored items to a ClickHouse analytics backend (one server or a cluster's
    /// shards) and time each analysis read there beside the database.
    Clickhouse(crate::bench_clickhouse::ClickHouseBenchArgs),
}

/// Arguments of `trove bench import`.
#[derive(Debug, Args)]
pub struct ImportBenchArgs {
    /// Rows to generate.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Items per transaction.
    #[arg(long, default_value_t = trove_app::ImportOptions::default().batch_size)]
    batch: usize,
    /// Load this taxonomy first, so the import also tags every item.
    #[arg(long)]
    taxonomy: Option<std::path::PathBuf>,
    /// Import into this database (a file or a postgres:// URL; it should hold no feedback)
    /// instead of a fresh SQLite file. It is kept, so the reads can be timed on it after.
    #[arg(long)]
    on: Option<String>,
    /// Import this file (with `--mapping`) instead of generating rows; `--rows` is then unused.
    #[arg(long, requires = "mapping")]
    file: Option<std::path::PathBuf>,
    /// The TOML column mapping of `--file`.
    #[arg(long, requires = "file")]
    mapping: Option<std::path::PathBuf>,
}

pub fn run(command: &BenchCommand) -> Result<ExitCode> {
    match command {
        BenchCommand::Import(args) => import(args),
        BenchCommand::Tag(args) => crate::bench_tag::run(args),
        BenchCommand::Analyze(args) => crate::bench_analyze::run(args),
        BenchCommand::Classify(args) => crate::bench_classify::run(args),
        BenchCommand::Reads(args) => crate::bench_reads::run(args),
        BenchCommand::Items(args) => crate::bench_items::run(args),
        BenchCommand::Clickhouse(args) => crate::bench_clickhouse::run(args),
    }
}

fn import(args: &ImportBenchArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir().context("making a temporary folder")?;
    let (csv_path, mapping) = match (&args.file, &args.mapping) {
        (Some(file), Some(mapping)) => {
            println!(
                "importing {} as {} maps it",
                file.display(),
                mapping.display()
            );
            (file.clone(), trove_ingest::Mapping::load(mapping)?)
        }
        _ => {
            let csv_path = dir.path().join("bench.csv");
            let started = Instant::now();
            let bytes = write_csv(&csv_path, args.rows)?;
            println!(
                "generated {} rows ({:.0} MB) in {:.1} s",
                thousands(args.rows),
                bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            (csv_path, crate::import::bench_mapping())
        }
    };
    let db = match &args.on {
        Some(on) => crate::db::DbUrl::parse(on)?,
        None => crate::db::DbUrl::Sqlite(dir.path().join("bench.db")),
    };
    let backend = match db {
        crate::db::DbUrl::Sqlite(_) => "SQLite",
        crate::db::DbUrl::Postgres(_) => "PostgreSQL",
    };
    let app = trove_app::App::new(db.open()?);
    if let Some(path) = &args.taxonomy {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        app.load_taxonomy(&path.display().to_string(), &text)
            .map_err(anyhow::Error::msg)?;
        println!("tagging with {} while importing", path.display());
    }
    let (file, label, _) = crate::import::open_input(&csv_path)?;
    let cpu_before = CpuReading::now();
    let started = Instant::now();
    let options = trove_app::ImportOptions {
        batch_size: args.batch,
        ..trove_app::ImportOptions::default()
    };
    let report = app.import_feedback(
        file,
        &label,
        &mapping,
        &options,
        &trove_app::NoProgress,
        None::<std::io::Sink>,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {} rows ({} rejected) into {backend} in {seconds:.2} s: {} rows/s",
        thousands(report.imported),
        thousands(report.rejected),
        thousands((report.imported as f64 / seconds) as u64)
    );
    print_stages(&report.stages, report.imported + report.replaced);
    match cpu_before.zip(CpuReading::now()) {
        Some((before, after)) => {
            let machine = after.machine - before.machine;
            let process = after.process - before.process;
            println!(
                "CPU of the whole machine meanwhile: {machine:.2} s busy; this process \
                 {process:.2} s; the rest {:.2} s (the database server's, when it runs here and \
                 nothing else does)",
                (machine - process).max(0.0)
            );
        }
        None => println!("CPU of the whole machine: not available on this system"),
    }
    print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

/// The busy CPU time of the whole machine and of this process, in seconds, from Linux's /proc
/// (1/100 s resolution): their difference over an import into a local PostgreSQL is the
/// server's share.
#[derive(Debug, Clone, Copy)]
struct CpuReading {
    machine: f64,
    process: f64,
}

impl CpuReading {
    fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        // cpu user nice system idle iowait irq softirq steal ...: busy is all but idle,
        // iowait and steal (time the host gave to others).
        let fields: Vec<f64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        let busy = [0, 1, 2, 5, 6]
            .iter()
            .map(|&i| fields.get(i))
            .sum::<Option<f64>>()?;
        Some(Self {
            machine: busy / 100.0,
            process: process_cpu_seconds()?,
        })
    }
}

/// Prints each stage's working time and CPU time, and the parts of the store's time.
fn print_stages(stages: &trove_app::ImportStages, items: u64) {
    let seconds = |d: std::time::Duration| d.as_secs_f64();
    let rate = |d: std::time::Duration| {
        if d.is_zero() {
            String::new()
        } else {
            format!(
                "  ({} items/s of it)",
                thousands((items as f64 / d.as_secs_f64()) as u64)
            )
        }
    };
    println!("stages (one thread each; working time, then that thread's CPU time):");
    for (name, stage) in [
        ("parse and mask", &stages.parse),
        ("sentiment and tags", &stages.read),
        ("store", &stages.store),
    ] {
        let cpu = stage.cpu.map_or_else(
            || "CPU not available".to_owned(),
            |cpu| format!("{:.2} s CPU", seconds(cpu)),
        );
        // Said, as its working time then includes waits for a core the store was given.
        let lowered = if stage.lowered_priority > 0 {
            format!(
                "; at nice +{}, so that the store goes first",
                stage.lowered_priority
            )
        } else {
            String::new()
        };
        println!(
            "  {name:<20} {:>6.2} s, {cpu}{}{lowered}",
            seconds(stage.busy),
            rate(stage.busy)
        );
    }
    let Some(parts) = &stages.store_parts else {
        // A store that does not time its parts: a table of zeros would read as measured.
        println!("  inside the store: not timed by this database's store");
        return;
    };
    let side_by_side = if parts.side_by_side > 1 {
        format!(
            ", up to {} connections side by side: their times summed",
            parts.side_by_side
        )
    } else {
        String::new()
    };
    println!(
        "  inside the store ({} transactions{side_by_side}):",
        thousands(parts.batches)
    );
    for (name, spent) in [
        ("feedback rows", parts.feedback),
        ("tags", parts.tags),
        ("facts", parts.facts),
        ("running totals", parts.totals),
        ("indexes", parts.indexes),
        ("commit", parts.commit),
    ] {
        println!("    {name:<18} {:>6.2} s", seconds(spent));
    }
}

/// Prints the peak resident memory of this process.
pub fn print_peak_memory() {
    match peak_memory_kib() {
        Some(kib) => println!(
            "peak resident memory of the process: {:.0} MB",
            kib as f64 / 1024.0
        ),
        None => println!("peak resident memory: not available on this system"),
    }
}

/// The CPU time (user + system) of the calling thread, in seconds, from Linux's /proc
/// (1/100 s resolution): steadier than wall time on a shared machine, where a single-threaded
/// loop also waits for a core.
pub fn thread_cpu_seconds() -> Option<f64> {
    stat_cpu_seconds("/proc/thread-self/stat")
}

/// The CPU time (user + system) of the whole process, every thread's, in seconds (as
/// [`thread_cpu_seconds`]).
pub fn process_cpu_seconds() -> Option<f64> {
    stat_cpu_seconds("/proc/self/stat")
}

/// The user + system time of a /proc `stat` file, in seconds; `None` elsewhere than Linux.
fn stat_cpu_seconds(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The name (2nd field) may hold spaces; the fields after its closing parenthesis do not.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    // utime and stime are the 14th and 15th fields; the state (3rd) is the first after the name.
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// "; N items per CPU second" for `items` done since the thread's CPU time was `before`.
pub fn per_cpu_second(items: u64, before: Option<f64>) -> String {
    match (before, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => format!(
            "; {} items per CPU second",
            thousands((items as f64 / (b - a)) as u64)
        ),
        _ => String::new(),
    }
}

/// VmHWM of this process, from Linux's /proc.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub(crate) const OPENINGS: &[&str] = &[
    "I have been a customer for years and",
    "Honestly,",
    "Called three times this week because",
    "Just wanted to say that",
    "Why is it that",
    "After the last update",
];
pub(crate) const PROBLEMS: &[&str] = &[
    "the bill showed a fee nobody told me about and support could not explain it",
    "my claim has been open for weeks with no answer from the adjuster",
    "the app logs me out every time I try to upload a document",
    "the agent on the phone was helpful and fixed everything in one call",
    "the renewal price went up again without any change to my cover",
    "nobody called back although I was promised a call within two days",
];
const CONTACTS: &[&str] = &[
    "",
    " You can reach me at jane.doe@example.com.",
    " Call me on (555) 123-4567 please.",
    " My card 4111 1111 1111 1111 was charged twice.",
    "",
    "",
];

/// Writes the benchmark CSV; returns its size in bytes.
fn write_csv(path: &Path, rows: u64) -> Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "id,created,customer,unit,nps,comment")?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        // SplitMix64: cheap and reproducible.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as usize
    };
    let units = ["Motor", "Home", "Business"];
    for i in 0..rows {
        let day = i % 365;
        let second = next() % 86_400;
        writeln!(
            out,
            "B{i},2025-{:02}-{:02} {:02}:{:02}:{:02} -0500,C{},{},{},\"{} {}; also {} ({} days).{}\"",
            day / 31 % 12 + 1,
            day % 28 + 1,
            second / 3600,
            second / 60 % 60,
            second % 60,
            next() % 50_000,
            units[next() % 3],
            next() % 11,
            OPENINGS[next() % OPENINGS.len()],
            PROBLEMS[next() % PROBLEMS.len()],
            PROBLEMS[next() % PROBLEMS.len()],
            next() % 40,
            CONTACTS[next() % CONTACTS.len()],
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}
