//! `trove train --target sentiment` and `trove eval --target sentiment`: a sentiment model
//! learned from the company's own labelled comments, measured against the lexicon on the same
//! held-out rows (see `trove-app`'s `sentiment` module).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::json;
use trove_app::{SentimentComparison, SentimentRows, SentimentTrainSpec};

use crate::Format;
use crate::db::DbUrl;
use crate::output::thousands;

/// The text column when none is named.
pub const DEFAULT_TEXT_COLUMN: &str = "text";
/// The label column when none is named.
pub const DEFAULT_LABEL_COLUMN: &str = "sentiment";

/// What `trove train --target sentiment` was given.
#[derive(Debug)]
pub struct TrainSentiment<'a> {
    /// The labelled CSV (None: the labels stored from the labelling page).
    pub labels: Option<&'a Path>,
    /// Its text column.
    pub text_column: &'a str,
    /// Its label column.
    pub label_column: &'a str,
    /// The source the model serves (None: the default model).
    pub source: Option<&'a str>,
    /// The held-out share.
    pub holdout: f64,
    /// The seed.
    pub seed: u64,
    /// Output format.
    pub format: Format,
}

fn read(path: &Path, text_column: &str, label_column: &str) -> Result<SentimentRows> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(SentimentRows::read(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        text_column,
        label_column,
    )?)
}

fn print_comparison(c: &SentimentComparison) {
    println!(
        "held out {} rows (stratified; trained on {}):",
        thousands(c.test_rows as u64),
        thousands(c.train_rows as u64)
    );
    println!(
        "  learned model: accuracy {:.4}, macro-F1 {:.4}",
        c.learned.accuracy, c.learned.macro_f1
    );
    println!(
        "  lexicon:       accuracy {:.4}, macro-F1 {:.4}",
        c.lexicon.accuracy, c.lexicon.macro_f1
    );
}

/// Runs `trove train --target sentiment`.
pub fn train(url: &DbUrl, args: &TrainSentiment<'_>) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    let report = match args.labels {
        Some(labels) => {
            let rows = read(labels, args.text_column, args.label_column)?;
            let spec = SentimentTrainSpec {
                labels_file: labels.display().to_string(),
                text_column: args.text_column.to_owned(),
                label_column: args.label_column.to_owned(),
                source: args.source.map(str::to_owned),
                holdout: args.holdout,
                seed: args.seed,
            };
            app.train_sentiment_on(&rows, &spec)?
        }
        None => app.train_sentiment_from_labels(args.source, args.holdout, args.seed)?,
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => {
            println!(
                "saved sentiment model {:?} version {} in {url}: {} examples ({} negative, {} \
                 neutral, {} positive), trained in {:.2} s",
                report.name,
                report.version,
                thousands(report.examples as u64),
                thousands(report.classes["negative"] as u64),
                thousands(report.classes["neutral"] as u64),
                thousands(report.classes["positive"] as u64),
                report.train_seconds
            );
            if report.skipped > 0 {
                println!(
                    "skipped {} rows with an empty text or label",
                    thousands(report.skipped as u64)
                );
            }
            match &report.held_out {
                Some(c) => print_comparison(c),
                None => println!("not measured: --holdout 0"),
            }
            println!(
                "{} now read with it by `trove tag --all` and on import",
                match &report.source {
                    Some(s) => format!("items of source {s:?} are"),
                    None => "items of sources without a model of their own are".to_owned(),
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `trove eval --target sentiment` was given.
#[derive(Debug)]
pub struct EvalSentiment<'a> {
    /// Training CSV (with `test`).
    pub train: Option<&'a PathBuf>,
    /// Test CSV.
    pub test: Option<&'a PathBuf>,
    /// One CSV split by a stratified `test_share`.
    pub data: Option<&'a PathBuf>,
    /// Text column.
    pub text_column: &'a str,
    /// Label column.
    pub label_column: &'a str,
    /// Share held out from `data`.
    pub test_share: f64,
    /// Train on at most this many rows (a stratified sample): a learning-curve point.
    pub train_rows: Option<usize>,
    /// Seed of the split, the sample and training.
    pub seed: u64,
    /// Output format.
    pub format: Format,
}

/// Runs `trove eval --target sentiment`.
pub fn eval(args: &EvalSentiment<'_>) -> Result<ExitCode> {
    let (train, test) = match (args.train, args.test, args.data) {
        (Some(train), Some(test), None) => (
            read(train, args.text_column, args.label_column)?,
            read(test, args.text_column, args.label_column)?,
        ),
        (None, None, Some(data)) => {
            if !(0.0..1.0).contains(&args.test_share) || args.test_share == 0.0 {
                bail!("--test-share must be in (0, 1)");
            }
            read(data, args.text_column, args.label_column)?.split(args.test_share, args.seed)
        }
        _ => bail!("give --train FILE --test FILE, or --data FILE"),
    };
    let available = train.texts.len();
    let train = match args.train_rows {
        Some(n) => train.sample(n, args.seed),
        None => train,
    };
    let c = trove_app::compare_sentiment(&train, &test, args.seed)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "target": "sentiment",
                "train_rows": c.train_rows,
                "train_rows_available": available,
                "test_rows": c.test_rows,
                "seed": args.seed,
                "lexicon": c.lexicon,
                "learned": c.learned,
                "train_seconds": c.train_seconds,
            }))?
        ),
        Format::Human => print_comparison(&c),
    }
    Ok(ExitCode::SUCCESS)
}
