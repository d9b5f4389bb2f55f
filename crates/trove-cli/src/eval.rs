//! `trove eval`: train a classifier on labelled texts and measure it on held-out ones
//! (`--target sentiment`: the lexicon and a learned sentiment model on the same test rows, see
//! [`crate::sentiment`]).
//!
//! Two ways to give the split:
//! - `--train FILE --test FILE`: two CSV files with the same columns;
//! - `--data FILE` with `--split-column COL --split-at VALUE`: rows whose COL, compared as
//!   text, sorts before VALUE train and the rest test (ISO dates and times as written, e.g.
//!   `--split-at 2015-02-22` on `2015-02-24 11:35:52 -0800` compares the source's local date);
//!   or `--data FILE --test-share 0.2`: a seeded random fifth is held out.
//!
//! `--where COL=VALUE` (repeatable) keeps only the rows where every condition holds. Rows with
//! an empty label are skipped (and counted). `--multi-label` makes the task multi-label: a
//! row's labels are split on `--label-separator` (default `;`; giving it implies
//! `--multi-label`), the model predicts every label scored positive, and micro-F1, macro-F1
//! (the mean of the per-label F1), the exact-match share and each label's precision, recall
//! and F1 are reported. A multi-label row with no label stays in, as a text no label applies to;
//! `--unlabelled none` keeps single-label rows with an empty label the same way (e.g. the
//! positive and neutral tweets of a complaint-reason task).
//!
//! Thresholds (`--threshold-folds`, default 3; 0 turns them off): each label's decision
//! threshold is chosen on out-of-fold scores of the training rows, so the model may give an
//! item no label. The report gives the figures with the thresholds, the same without them
//! (`without_thresholds`: every item its best label, or every label scored above 0) and how
//! many test items got no label. `--class-weight balanced` weighs each label's rows by
//! n / (k × n_c) in training.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;
use trove_learn::{ClassWeight, Classifier, FeatureOptions, Task, TrainOptions, metrics};

use crate::Format;

/// What `trove eval` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalTarget {
    /// A theme classifier.
    Classifier,
    /// Sentiment (negative / neutral / positive): the lexicon and a learned model on the same
    /// test rows.
    Sentiment,
    /// Theme discovery on --data without its labels, scored against them (NMI, ARI).
    Discovery,
}

/// Arguments of `trove eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// What to measure.
    #[arg(long, value_enum, default_value_t = EvalTarget::Classifier)]
    target: EvalTarget,
    /// --target sentiment: train on a stratified sample of at most this many training rows
    /// (a point of the learning curve: what would 300 labels give?).
    #[arg(long)]
    train_rows: Option<usize>,
    /// Training CSV (with --test).
    #[arg(long, requires = "test", conflicts_with = "data")]
    train: Option<PathBuf>,
    /// Test CSV (with --train).
    #[arg(long, requires = "train")]
    test: Option<PathBuf>,
    /// One CSV split by --split-column/--split-at or --test-share.
    #[arg(long)]
    data: Option<PathBuf>,
    /// The column holding the text.
    #[arg(long)]
    text_column: String,
    /// The column holding the label.
    #[arg(long)]
    label_column: String,
    /// Keep only rows where COLUMN equals VALUE (repeatable; all must hold).
    #[arg(long = "where", value_name = "COLUMN=VALUE")]
    filters: Vec<String>,
    /// With --data: the column that orders rows in time (or any text-sortable column).
    #[arg(long, requires = "split_at", requires = "data")]
    split_column: Option<String>,
    /// With --split-column: rows sorting before this value train, the rest test.
    #[arg(long, requires = "split_column")]
    split_at: Option<String>,
    /// With --data and no --split-column: the share of rows held out at random for testing.
    #[arg(long, default_value_t = 0.2)]
    test_share: f64,
    /// Seed of the random split and of the training shuffles.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multi-label: the label column holds any number of labels separated by
    /// --label-separator; micro- and macro-F1 are reported.
    #[arg(long)]
    multi_label: bool,
    /// The delimiter of labels in a multi-label cell [default: ;] (giving it implies
    /// --multi-label).
    #[arg(long)]
    label_separator: Option<String>,
    /// Single-label rows with an empty label: `skip` them, or keep them as texts that `none`
    /// of the labels applies to (the thresholds learn to give them no label).
    #[arg(long, value_enum, default_value_t = Unlabelled::Skip)]
    unlabelled: Unlabelled,
    /// Weigh each label's rows by n / (k × n_c) (`balanced`) or all alike (`uniform`).
    #[arg(long, value_enum, default_value_t = Weight::Uniform)]
    class_weight: Weight,
    /// Folds of the cross-fitting that chooses each label's threshold (0: no thresholds).
    #[arg(long, default_value_t = 3)]
    threshold_folds: usize,
    /// Inverse regularisation strength of the SVM.
    #[arg(long, default_value_t = 1.0)]
    c: f64,
    /// Stopping tolerance of the SVM solver.
    #[arg(long, default_value_t = TrainOptions::default().tolerance)]
    tolerance: f64,
    /// Word n-gram lengths, MIN-MAX ("0-0" turns words off).
    #[arg(long, default_value = "1-2", value_parser = parse_range)]
    word_ngrams: (usize, usize),
    /// Character n-gram lengths within words, MIN-MAX ("0-0" turns them off).
    #[arg(long, default_value = "2-4", value_parser = parse_range)]
    char_ngrams: (usize, usize),
    /// Use raw term counts rather than 1 + ln(count).
    #[arg(long)]
    raw_tf: bool,
    /// Keep n-grams seen in at least this many training texts.
    #[arg(long, default_value_t = 1)]
    min_df: u32,
    /// Training and prediction threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// How many of the most frequent confusions to print.
    #[arg(long, default_value_t = 10)]
    confusions: usize,
    /// --target discovery: how many clusters (default: estimated with embeddings, the number of
    /// distinct labels with TF-IDF).
    #[arg(long)]
    clusters: Option<usize>,
    /// --target discovery: cluster sentence embeddings of this model folder (default: TF-IDF).
    #[arg(long, value_name = "DIR", env = "TROVE_EMBEDDING_MODEL")]
    model: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// What to do with single-label rows whose label is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unlabelled {
    /// Leave them out (counted).
    Skip,
    /// Keep them as texts none of the labels applies to.
    None,
}

/// How labels weigh in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Weight {
    /// Every row alike.
    Uniform,
    /// Each label's rows weighted n / (k × n_c), as liblinear's and scikit-learn's `balanced`.
    Balanced,
}

impl From<Weight> for ClassWeight {
    fn from(w: Weight) -> Self {
        match w {
            Weight::Uniform => ClassWeight::Uniform,
            Weight::Balanced => ClassWeight::Balanced,
        }
    }
}

impl EvalArgs {
    /// The separator of labels when the task is multi-label.
    fn separator(&self) -> Option<&str> {
        (self.multi_label || self.label_separator.is_some()).then(|| {
            self.label_separator
                .as_deref()
                .unwrap_or(trove_app::DEFAULT_LABEL_SEPARATOR)
        })
    }
}

fn parse_range(text: &str) -> Result<(usize, usize), String> {
    let (a, b) = text.split_once('-').ok_or("expected MIN-MAX, e.g. 1-2")?;
    let a: usize = a.trim().parse().map_err(|e| format!("{a}: {e}"))?;
    let b: usize = b.trim().parse().map_err(|e| format!("{b}: {e}"))?;
    if a > b {
        return Err(format!("{a} is above {b}"));
    }
    Ok((a, b))
}

/// Labelled texts read from a CSV.
#[derive(Default)]
struct Examples {
    texts: Vec<String>,
    labels: Vec<Vec<String>>,
    /// Values of the split column, when one is named.
    keys: Vec<String>,
}

struct Reading<'a> {
    args: &'a EvalArgs,
    filters: Vec<(String, String)>,
    skipped_unlabelled: usize,
    skipped_empty_text: usize,
}

impl Reading<'_> {
    fn read(&mut self, path: &Path) -> Result<Examples> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let headers = reader.headers()?.clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("{} has no column {name:?}", path.display()))
        };
        let text = column(&self.args.text_column)?;
        let label = column(&self.args.label_column)?;
        let split = self.args.split_column.as_deref().map(column).transpose()?;
        let filters = self
            .filters
            .iter()
            .map(|(c, v)| Ok((column(c)?, v.as_str())))
            .collect::<Result<Vec<_>>>()?;
        let mut out = Examples::default();
        for (n, record) in reader.records().enumerate() {
            let record = record.with_context(|| format!("{} record {}", path.display(), n + 1))?;
            let field = |i: usize| record.get(i).unwrap_or("");
            if !filters.iter().all(|&(c, v)| field(c) == v) {
                continue;
            }
            if field(text).trim().is_empty() {
                self.skipped_empty_text += 1;
                continue;
            }
            let cell = field(label).trim();
            let labels: Vec<String> = match self.args.separator() {
                Some(sep) => cell
                    .split(sep)
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                None if cell.is_empty() => Vec::new(),
                None => vec![cell.to_owned()],
            };
            if labels.is_empty()
                && self.args.separator().is_none()
                && self.args.unlabelled == Unlabelled::Skip
            {
                self.skipped_unlabelled += 1;
                continue;
            }
            out.texts.push(field(text).to_owned());
            out.labels.push(labels);
            if let Some(s) = split {
                out.keys.push(field(s).to_owned());
            }
        }
        Ok(out)
    }
}

fn split(all: Examples, args: &EvalArgs) -> Result<(Examples, Examples)> {
    let mut train = Examples::default();
    let mut test = Examples::default();
    let mut rng = args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for (i, (text, labels)) in all.texts.into_iter().zip(all.labels).enumerate() {
        let to_test = match (&args.split_at, all.keys.get(i)) {
            (Some(at), Some(key)) => key.as_str() >= at.as_str(),
            _ => {
                // xorshift64*: a seeded, reproducible split.
                rng ^= rng >> 12;
                rng ^= rng << 25;
                rng ^= rng >> 27;
                let r = rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
                (r as f64 / (1u64 << 53) as f64) < args.test_share
            }
        };
        let side = if to_test { &mut test } else { &mut train };
        side.texts.push(text);
        side.labels.push(labels);
    }
    Ok((train, test))
}

/// Runs `trove eval`.
pub fn run(args: &EvalArgs) -> Result<ExitCode> {
    if args.target == EvalTarget::Discovery {
        let Some(data) = &args.data else {
            bail!("--target discovery takes --data FILE");
        };
        return crate::eval_discovery::run(&crate::eval_discovery::EvalDiscovery {
            data,
            text_column: &args.text_column,
            label_column: &args.label_column,
            clusters: args.clusters,
            model: args.model.as_ref().filter(|m| !m.as_os_str().is_empty()),
            seed: args.seed,
            format: args.format,
        });
    }
    if args.clusters.is_some() {
        bail!("--clusters is for --target discovery");
    }
    if args.target == EvalTarget::Sentiment {
        if !args.filters.is_empty() || args.split_column.is_some() {
            bail!("--target sentiment takes --train/--test or --data with --test-share");
        }
        return crate::sentiment::eval(&crate::sentiment::EvalSentiment {
            train: args.train.as_ref(),
            test: args.test.as_ref(),
            data: args.data.as_ref(),
            text_column: &args.text_column,
            label_column: &args.label_column,
            test_share: args.test_share,
            train_rows: args.train_rows,
            seed: args.seed,
            format: args.format,
        });
    }
    if args.train_rows.is_some() {
        bail!("--train-rows is for --target sentiment");
    }
    let filters = args
        .filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(c, v)| (c.to_owned(), v.to_owned()))
                .with_context(|| format!("--where {f:?}: expected COLUMN=VALUE"))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut reading = Reading {
        args,
        filters,
        skipped_unlabelled: 0,
        skipped_empty_text: 0,
    };
    let (train, test) = match (&args.train, &args.test, &args.data) {
        (Some(train), Some(test), None) => (reading.read(train)?, reading.read(test)?),
        (None, None, Some(data)) => {
            if !(0.0..1.0).contains(&args.test_share) {
                bail!("--test-share must be in [0, 1)");
            }
            split(reading.read(data)?, args)?
        }
        _ => bail!("give --train FILE --test FILE, or --data FILE"),
    };
    if train.texts.is_empty() || test.texts.is_empty() {
        bail!(
            "{} training and {} test rows: both must be non-empty",
            train.texts.len(),
            test.texts.len()
        );
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let options = TrainOptions {
        features: FeatureOptions {
            word_ngrams: args.word_ngrams,
            char_ngrams: args.char_ngrams,
            sublinear_tf: !args.raw_tf,
            min_df: args.min_df,
        },
        c: args.c,
        tolerance: args.tolerance,
        threads,
        seed: args.seed,
        class_weight: args.class_weight.into(),
        threshold_folds: args.threshold_folds,
        ..TrainOptions::default()
    };
    let task = if args.separator().is_some() {
        Task::AnyLabels
    } else {
        Task::OneLabel
    };
    let started = Instant::now();
    let model = Classifier::train_sets(&train.texts, &train.labels, task, &options)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut report = if task == Task::AnyLabels {
        let predicted: Vec<Vec<&str>> = test.texts.iter().map(|t| model.predict_multi(t)).collect();
        let e = metrics::evaluate_multi(&test.labels, &predicted);
        let at_zero: Vec<Vec<&str>> = test
            .texts
            .iter()
            .map(|t| {
                let scores = model.decision(t);
                model
                    .labels()
                    .iter()
                    .zip(scores)
                    .filter(|(_, s)| *s > 0.0)
                    .map(|(l, _)| l.as_str())
                    .collect()
            })
            .collect();
        let plain = metrics::evaluate_multi(&test.labels, &at_zero);
        json!({
            "micro_f1": e.micro_f1,
            "macro_f1": e.macro_f1,
            "exact_match": e.exact_match,
            "per_class": per_class(&e.per_class),
            "no_label": predicted.iter().filter(|p| p.is_empty()).count(),
            "unlabelled_given_no_label": test.labels.iter().zip(&predicted)
                .filter(|(t, p)| t.is_empty() && p.is_empty()).count(),
            "without_thresholds": {
                "micro_f1": plain.micro_f1,
                "macro_f1": plain.macro_f1,
                "exact_match": plain.exact_match,
                "no_label": at_zero.iter().filter(|p| p.is_empty()).count(),
            },
        })
    } else {
        let predicted = model.predict_labels_all(&test.texts, threads);
        let truth: Vec<Option<&str>> = test
            .labels
            .iter()
            .map(|l| l.first().map(String::as_str))
            .collect();
        let e = metrics::evaluate_optional(&truth, &predicted);
        let best: Vec<Option<&str>> = model
            .predict_all(&test.texts, threads)
            .into_iter()
            .map(Some)
            .collect();
        let plain = metrics::evaluate_optional(&truth, &best);
        json!({
            "accuracy": e.accuracy,
            "macro_f1": e.macro_f1,
            "per_class": per_class(&e.per_class),
            "confusions": e.confusions.iter().take(args.confusions).map(|c| json!({
                "truth": c.truth, "predicted": c.predicted, "count": c.count,
            })).collect::<Vec<_>>(),
            "no_label": predicted.iter().filter(|p| p.is_none()).count(),
            "unlabelled_given_no_label": truth.iter().zip(&predicted)
                .filter(|(t, p)| t.is_none() && p.is_none()).count(),
            "without_thresholds": {
                "accuracy": plain.accuracy,
                "macro_f1": plain.macro_f1,
                "no_label": 0,
            },
        })
    };
    let predict_seconds = started.elapsed().as_secs_f64();
    report["thresholds"] = json!(model.thresholds().is_some());
    report["unlabelled_test_items"] = json!(test.labels.iter().filter(|l| l.is_empty()).count());
    report["train_seconds"] = json!(train_seconds);
    report["predict_items_per_second"] = json!(test.texts.len() as f64 / predict_seconds.max(1e-9));
    report["classes"] = json!(model.labels().len());
    report["features"] = json!(model.features().columns());
    report["train_items"] = json!(train.texts.len());
    report["test_items"] = json!(test.texts.len());
    report["skipped_unlabelled"] = json!(reading.skipped_unlabelled);
    report["skipped_empty_text"] = json!(reading.skipped_empty_text);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => print_human(&report),
    }
    Ok(ExitCode::SUCCESS)
}

fn per_class(scores: &[metrics::ClassScore]) -> Vec<serde_json::Value> {
    scores
        .iter()
        .map(|c| {
            json!({
                "label": c.label, "precision": c.precision, "recall": c.recall,
                "f1": c.f1, "support": c.support,
            })
        })
        .collect()
}

fn print_human(r: &serde_json::Value) {
    let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "trained on {} items ({} classes, {} features) in {:.2} s; tested on {} items ({:.0} items/s)",
        r["train_items"],
        r["classes"],
        r["features"],
        f("train_seconds"),
        r["test_items"],
        f("predict_items_per_second")
    );
    if r["skipped_empty_text"].as_u64().unwrap_or(0) > 0 {
        println!(
            "skipped {} rows with an empty text",
            r["skipped_empty_text"]
        );
    }
    if r["skipped_unlabelled"].as_u64().unwrap_or(0) > 0 {
        println!(
            "skipped {} rows with an empty label",
            r["skipped_unlabelled"]
        );
    }
    let plain = &r["without_thresholds"];
    let g = |k: &str| plain[k].as_f64().unwrap_or(f64::NAN);
    let first = if r.get("accuracy").is_some() {
        "accuracy"
    } else {
        "micro_f1"
    };
    let name = |k: &str| {
        if k == "accuracy" {
            "accuracy"
        } else {
            "micro-F1"
        }
    };
    if r["thresholds"].as_bool().unwrap_or(false) {
        println!(
            "with thresholds:    {} {:.4}   macro-F1 {:.4}   no label {} of {}",
            name(first),
            f(first),
            f("macro_f1"),
            r["no_label"],
            r["test_items"]
        );
        println!(
            "without thresholds: {} {:.4}   macro-F1 {:.4}   no label {}",
            name(first),
            g(first),
            g("macro_f1"),
            plain["no_label"]
        );
    } else {
        println!(
            "{} {:.4}   macro-F1 {:.4}   no label {} of {}",
            name(first),
            f(first),
            f("macro_f1"),
            r["no_label"],
            r["test_items"]
        );
    }
    if r["unlabelled_test_items"].as_u64().unwrap_or(0) > 0 {
        println!(
            "test items with no true label: {}; given no label: {}",
            r["unlabelled_test_items"],
            r.get("unlabelled_given_no_label")
                .map_or_else(|| "-".to_owned(), ToString::to_string)
        );
    }
    println!(
        "\n{:<40} {:>9} {:>9} {:>9} {:>8}",
        "label", "precision", "recall", "F1", "support"
    );
    for c in r["per_class"].as_array().into_iter().flatten() {
        let g = |k: &str| c[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "{:<40} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            c["label"].as_str().unwrap_or(""),
            g("precision"),
            g("recall"),
            g("f1"),
            c["support"].as_u64().unwrap_or(0)
        );
    }
    if let Some(confusions) = r["confusions"].as_array().filter(|c| !c.is_empty()) {
        println!("\nmost frequent confusions (truth → predicted):");
        for c in confusions {
            println!(
                "{:>6}  {} → {}",
                c["count"].as_u64().unwrap_or(0),
                c["truth"].as_str().unwrap_or(""),
                c["predicted"].as_str().unwrap_or("")
            );
        }
    }
}
