//! `trove bench classify`: classifier training time and prediction speed on real texts.
//!
//! Trains the `trove-learn` classifier (default options) on a labelled CSV (banking77's
//! training set by default), measures its accuracy on the test CSV, then classifies N items
//! (the test texts repeated round-robin) on the calling thread only, printing training
//! seconds, items per second, accuracy and the peak memory of the process. Nothing is stored:
//! this measures the classifier.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use trove_learn::{Classifier, Predictor, TrainOptions};

use crate::output::thousands;

/// Arguments of `trove bench classify`.
#[derive(Debug, Args)]
pub struct ClassifyBenchArgs {
    /// Items to classify (the test texts are repeated round-robin).
    #[arg(long, default_value_t = 1_000_000)]
    items: u64,
    /// The training CSV.
    #[arg(long, default_value = "../shared/data/banking77/train.csv")]
    train: PathBuf,
    /// The test CSV (same columns): accuracy, and the texts classified.
    #[arg(long, default_value = "../shared/data/banking77/test.csv")]
    test: PathBuf,
    /// The column holding the text.
    #[arg(long, default_value = "text")]
    text_column: String,
    /// The column holding the label.
    #[arg(long, default_value = "category")]
    label_column: String,
}

/// The texts and labels of a CSV file.
fn read(path: &Path, text_column: &str, label_column: &str) -> Result<(Vec<String>, Vec<String>)> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{} has no column {name}", path.display()))
    };
    let (text, label) = (column(text_column)?, column(label_column)?);
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record?;
        texts.push(record[text].to_owned());
        labels.push(record[label].to_owned());
    }
    if texts.is_empty() {
        bail!("{} has no rows", path.display());
    }
    Ok((texts, labels))
}

pub fn run(args: &ClassifyBenchArgs) -> Result<ExitCode> {
    let (train_texts, train_labels) = read(&args.train, &args.text_column, &args.label_column)?;
    let (test_texts, test_labels) = read(&args.test, &args.text_column, &args.label_column)?;
    let options = TrainOptions::default();
    let started = Instant::now();
    let model = Classifier::train(&train_texts, &train_labels, &options)?;
    let train_seconds = started.elapsed().as_secs_f64();
    println!(
        "trained on {} texts ({} labels, {} features) in {train_seconds:.2} s ({} threads)",
        thousands(train_texts.len() as u64),
        model.labels().len(),
        thousands(model.features().columns() as u64),
        options.threads,
    );
    let mut predictor = Predictor::default();
    let correct = test_texts
        .iter()
        .zip(&test_labels)
        .filter(|(text, label)| model.predict_with(text, &mut predictor) == label.as_str())
        .count();
    println!(
        "accuracy on the {} test texts: {:.4}",
        thousands(test_texts.len() as u64),
        correct as f64 / test_texts.len() as f64
    );
    let (mut bytes, mut checksum) = (0_u64, 0_u64);
    let cpu = crate::bench::thread_cpu_seconds();
    let started = Instant::now();
    for i in 0..args.items {
        let text = &test_texts[(i % test_texts.len() as u64) as usize];
        let label = model.predict_with(text, &mut predictor);
        checksum = checksum.wrapping_add(label.len() as u64);
        bytes += text.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "classified {} items ({:.0} bytes each on average) in {seconds:.2} s on one core: {} items/s{} (checksum {checksum})",
        thousands(args.items),
        bytes as f64 / args.items.max(1) as f64,
        thousands((args.items as f64 / seconds) as u64),
        crate::bench::per_cpu_second(args.items, cpu),
    );
    crate::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}
