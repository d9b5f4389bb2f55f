//! `trove bench tag`: rule-tagging speed on real short texts, on one core.
//!
//! Reads the texts of a CSV column (the airline tweets by default), compiles a taxonomy, and
//! tags the texts round-robin until N items are done, on the calling thread only, printing
//! items per second, tags per item and coverage; then the same with sentence sentiment scored
//! for every item and every theme mention; then the import's reading path (`CurrentTagger::read`:
//! tags and sentiment per item and mention) with the lexicon and with a sentiment model trained
//! on the file's labels (`--sentiment-column`); then the peak memory of the process. Nothing is
//! stored: this measures the text engine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use trove_text::{Scratch, SentimentScorer, Tagger, Taxonomy};

use crate::output::thousands;

/// Arguments of `trove bench tag`.
#[derive(Debug, Args)]
pub struct TagBenchArgs {
    /// Items to tag (the texts are repeated round-robin).
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    /// The taxonomy.
    #[arg(long, default_value = "taxonomies/airline-tweets.toml")]
    taxonomy: PathBuf,
    /// A CSV file with the texts.
    #[arg(long, default_value = "../shared/data/airline-tweets/Tweets.csv")]
    data: PathBuf,
    /// The column holding the text.
    #[arg(long, default_value = "text")]
    column: String,
    /// A column of human sentiment labels: a sentiment model is trained on every row and the
    /// import's reading path (tags, learned sentiment per item and per mention) is measured
    /// with it, beside the same path with the lexicon ("" skips it).
    #[arg(long, default_value = "airline_sentiment")]
    sentiment_column: String,
}

pub fn run(args: &TagBenchArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.taxonomy)
        .with_context(|| format!("cannot read {}", args.taxonomy.display()))?;
    let taxonomy = Taxonomy::parse(&args.taxonomy.display().to_string(), &text)?;
    let mut reader = csv::Reader::from_path(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let headers = reader.headers()?.clone();
    let Some(column) = headers.iter().position(|h| h == args.column) else {
        bail!("{} has no column {}", args.data.display(), args.column);
    };
    let mut texts = Vec::new();
    for record in reader.records() {
        texts.push(record?[column].to_owned());
    }
    if texts.is_empty() {
        bail!("{} has no rows", args.data.display());
    }
    let started = Instant::now();
    let tagger = Tagger::new(&taxonomy);
    let compile = started.elapsed();
    let mut scratch = Scratch::default();
    let (mut tags, mut tagged, mut bytes) = (0_u64, 0_u64, 0_u64);
    let cpu = crate::bench::thread_cpu_seconds();
    let started = Instant::now();
    for i in 0..args.items {
        let text = &texts[(i % texts.len() as u64) as usize];
        let found = tagger.tag_in(text, &mut scratch);
        tags += found.len() as u64;
        tagged += u64::from(!found.is_empty());
        bytes += text.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "compiled {} themes in {:.1} ms; tagged {} items ({} distinct texts, {:.0} bytes each on average) in {seconds:.2} s on one core",
        taxonomy.themes.len(),
        compile.as_secs_f64() * 1000.0,
        thousands(args.items),
        thousands(texts.len() as u64),
        bytes as f64 / args.items.max(1) as f64,
    );
    println!(
        "{} items/s ({:.1} MB/s{}); {:.2} tags per item; {:.1}% of items tagged",
        thousands((args.items as f64 / seconds) as u64),
        bytes as f64 / seconds / 1e6,
        crate::bench::per_cpu_second(args.items, cpu),
        tags as f64 / args.items.max(1) as f64,
        100.0 * tagged as f64 / args.items.max(1) as f64
    );
    let mut scorer = SentimentScorer::new();
    let (mut mentions, mut compound_sum) = (0_u64, 0.0_f64);
    let cpu = crate::bench::thread_cpu_seconds();
    let started = Instant::now();
    for i in 0..args.items {
        let text = &texts[(i % texts.len() as u64) as usize];
        let found = tagger.tag_in(text, &mut scratch);
        compound_sum += scorer.score(text);
        for tag in found {
            compound_sum += scorer.at(tag.start);
            mentions += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "tagging + sentiment (per item and per mention, {} mentions): {} items/s on one core{} (checksum {compound_sum:.1})",
        thousands(mentions),
        thousands((args.items as f64 / seconds) as u64),
        crate::bench::per_cpu_second(args.items, cpu),
    );
    if !args.sentiment_column.is_empty() {
        learned(args, &taxonomy, tagger, &texts)?;
    }
    crate::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

/// Tags + sentiment through the import's reading path (`CurrentTagger::read`), first with the
/// lexicon, then with a sentiment model trained on the file's labels.
fn learned(
    args: &TagBenchArgs,
    taxonomy: &Taxonomy,
    tagger: Tagger,
    texts: &[String],
) -> Result<()> {
    let file = std::fs::File::open(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let rows = trove_app::SentimentRows::read(
        file,
        &args.data.display().to_string(),
        &args.column,
        &args.sentiment_column,
    )?;
    let started = Instant::now();
    let model = trove_app::LearnedSentiment::train(&rows, 1)?;
    println!(
        "trained a sentiment model on {} labelled rows in {:.2} s",
        thousands(rows.texts.len() as u64),
        started.elapsed().as_secs_f64()
    );
    let current = trove_app::CurrentTagger {
        version: 1,
        taxonomy: taxonomy.clone(),
        tagger,
    };
    let setups = [
        ("lexicon", trove_app::SentimentSetup::default()),
        (
            "learned model",
            trove_app::SentimentSetup::with_default(model),
        ),
    ];
    for (name, setup) in setups {
        let mut scratch = trove_app::TextScratch::new(std::sync::Arc::new(setup));
        scratch.set_source("bench");
        let (mut mentions, mut sum) = (0_u64, 0.0_f64);
        let cpu = crate::bench::thread_cpu_seconds();
        let started = Instant::now();
        for i in 0..args.items {
            let read = current.read(&texts[(i % texts.len() as u64) as usize], &mut scratch);
            sum += f64::from(read.sentiment.unwrap_or(0.0));
            mentions += read.tags.len() as u64;
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "import's reading path (tags + sentiment per item and per mention), {name}: {} \
             items/s on one core{} ({} mentions, checksum {sum:.1})",
            thousands((args.items as f64 / seconds) as u64),
            crate::bench::per_cpu_second(args.items, cpu),
            thousands(mentions),
        );
    }
    Ok(())
}
