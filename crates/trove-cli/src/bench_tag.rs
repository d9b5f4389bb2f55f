//! `trove bench tag`: rule-tagging speed on real short texts, on one core.
//!
//! Reads the texts of a CSV column (the airline tweets by default), compiles a taxonomy, and
//! tags the texts round-robin until N items are done, on the calling thread only, printing
//! items per second, tags per item and coverage; then the same with sentence sentiment scored
//! for every item and every theme mention; the suggestion check that the import's reading path
//! runs, alone; then that path (`CurrentTagger::read`: tags and sentiment per item and mention)
//! with the lexicon and, given the file's labels (`--sentiment-column`), with sentiment models
//! of both forms (hashed n-grams as trained now, TF-IDF as before) trained on them, after their
//! held-out figures; then the peak memory of the process.
//! Nothing is stored: this measures the text engine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use trove_app::{LearnedSentiment, SentimentRows};
use trove_text::features::HashSpec;
use trove_text::{Label, Scratch, SentimentScorer, Tagger, Taxonomy};

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
    /// with it, beside the same path with the lexicon ("": the lexicon's alone).
    #[arg(long, default_value = "airline_sentiment")]
    sentiment_column: String,
    /// Hash bits of the learned model's n-gram features (2^bits buckets).
    #[arg(long, default_value_t = trove_app::SENTIMENT_FEATURES.bits)]
    sentiment_bits: u32,
    /// The learned model's character n-grams: `MIN-MAX` lengths (such as `2-4`) or `none`.
    #[arg(long, default_value = "2-4")]
    sentiment_chars: String,
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
    suggestions(args, &texts);
    let mut setups = vec![("lexicon".to_owned(), trove_app::SentimentSetup::default())];
    if !args.sentiment_column.is_empty() {
        setups.extend(learned(args)?);
    }
    read_paths(args, &taxonomy, tagger, &texts, setups);
    crate::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

/// The suggestion check alone (`trove_text::is_suggestion`), which the import's reading path
/// runs on every text beside the sentiment: its share of that path's cost.
fn suggestions(args: &TagBenchArgs, texts: &[String]) {
    let mut suggestions = 0_u64;
    let cpu = crate::bench::thread_cpu_seconds();
    let started = Instant::now();
    for i in 0..args.items {
        let text = &texts[(i % texts.len() as u64) as usize];
        suggestions += u64::from(trove_text::is_suggestion(text));
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "suggestion check alone: {} items/s on one core{} ({:.1}% of items are suggestions)",
        thousands((args.items as f64 / seconds) as u64),
        crate::bench::per_cpu_second(args.items, cpu),
        100.0 * suggestions as f64 / args.items.max(1) as f64,
    );
}

/// The sentiment setups of a model of each form (hashed n-grams, as trained now; TF-IDF, as
/// trained before) trained on the file's labels, after each form's held-out figures on a
/// stratified fifth of the rows (printed beside the lexicon's), so that speed and quality are
/// read together.
fn learned(args: &TagBenchArgs) -> Result<Vec<(String, trove_app::SentimentSetup)>> {
    let file = std::fs::File::open(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let rows = SentimentRows::read(
        file,
        &args.data.display().to_string(),
        &args.column,
        &args.sentiment_column,
    )?;
    let chars = match args.sentiment_chars.as_str() {
        "none" => Some((0, 0)),
        other => other
            .split_once('-')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?))),
    };
    let spec = HashSpec {
        bits: args.sentiment_bits,
        chars: chars.unwrap_or((1, 0)),
    };
    if !spec.is_valid() {
        bail!(
            "--sentiment-bits must be in {:?} and --sentiment-chars `none` or MIN-MAX with 2 <= \
             MIN <= MAX <= {}",
            trove_text::features::BITS,
            trove_text::features::MAX_CHARS
        );
    }
    let hashed_name = format!(
        "hashed n-grams ({} bits, characters {})",
        spec.bits, args.sentiment_chars
    );
    type Trained = Result<LearnedSentiment, trove_app::SentimentError>;
    let hashed = |rows: &SentimentRows, seed| LearnedSentiment::train_with(rows, spec, seed);
    type Train<'a> = &'a dyn Fn(&SentimentRows, u64) -> Trained;
    let forms: [(&str, Train); 2] = [
        (&hashed_name, &hashed),
        ("TF-IDF (the earlier form)", &LearnedSentiment::train_tfidf),
    ];
    let (train, test) = rows.split(0.2, 1);
    let truth: Vec<&str> = test.labels.iter().map(|l| l.as_str()).collect();
    let lexicon: Vec<&str> = trove_app::lexicon_labels(&test.texts)
        .iter()
        .map(|l| l.as_str())
        .collect();
    let figures = |predicted: &[&str]| {
        let e = trove_learn::metrics::evaluate(&truth, predicted);
        format!("accuracy {:.4}, macro-F1 {:.4}", e.accuracy, e.macro_f1)
    };
    println!(
        "held out {} of {} labelled rows (stratified): lexicon {}",
        thousands(test.texts.len() as u64),
        thousands(rows.texts.len() as u64),
        figures(&lexicon)
    );
    let mut setups = Vec::new();
    for (name, train_form) in forms {
        let started = Instant::now();
        let model = train_form(&train, 1)?;
        let seconds = started.elapsed().as_secs_f64();
        let mut buffers = trove_app::ModelBuffers::default();
        let predicted: Vec<&str> = test
            .texts
            .iter()
            .map(|t| Label::of(model.compound(t, &mut buffers)).as_str())
            .collect();
        println!(
            "  learned model, {name}: {} (trained on {} rows in {seconds:.2} s, {} bytes)",
            figures(&predicted),
            thousands(train.texts.len() as u64),
            thousands(model.to_bytes().len() as u64),
        );
        let model = train_form(&rows, 1)?;
        setups.push((
            format!("learned model, {name}"),
            trove_app::SentimentSetup::with_default(model),
        ));
    }
    Ok(setups)
}

/// Tags + sentiment through the import's reading path (`CurrentTagger::read`: the tags built
/// as the import stores them, sentiment per item and mention, the suggestion flag) with each
/// sentiment setup, the lexicon first.
fn read_paths(
    args: &TagBenchArgs,
    taxonomy: &Taxonomy,
    tagger: Tagger,
    texts: &[String],
    setups: Vec<(String, trove_app::SentimentSetup)>,
) {
    let current = trove_app::CurrentTagger {
        version: 1,
        taxonomy: taxonomy.clone(),
        tagger,
    };
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
            "import's reading path (tags, sentiment per item and per mention, suggestion flag), {name}: {} \
             items/s on one core{} ({} mentions, checksum {sum:.1})",
            thousands((args.items as f64 / seconds) as u64),
            crate::bench::per_cpu_second(args.items, cpu),
            thousands(mentions),
        );
    }
}
