//! The classifier use cases: train a model on feedback a company has already coded, save it in
//! the store, and classify stored items with it.
//!
//! **Training** ([`App::train_model`]) reads a labelled CSV (a text column and a label column;
//! rows with an empty text or label are skipped and counted), holds out a seeded 20% to measure
//! accuracy and macro-F1, then trains again on every row and saves that model as the next
//! version of its name, with the metrics (JSON) and the labelled file's name.
//!
//! **Multi-label** ([`TrainSpec::label_separator`], `trove train --multi-label`): the label
//! column holds any number of labels separated by a delimiter (`;` by default, e.g.
//! `United;Late Flight`); labels are trimmed, empty pieces dropped, and a row whose cell has no
//! label is skipped like an empty label. The model is trained one-vs-rest
//! ([`Classifier::train_multi`]) and predicts every label whose score is positive (possibly
//! none). The held-out measurement is then micro-F1, macro-F1 (the mean of the per-label F1),
//! the exact-match share and each label's precision, recall and F1
//! ([`metrics::evaluate_multi`]). The saved metrics record `"multi_label": true` and the
//! separator, so `trove classify` predicts with [`Classifier::predict_multi`] without being
//! told, storing every predicted label as a model tag of the item.
//!
//! **Abstaining** (on by default, [`TrainSpec::threshold_folds`]): each label's decision
//! threshold is chosen on out-of-fold scores of the training rows (the cut that gives that
//! label its best F1; see `trove_learn::Classifier::thresholds`) and stored in the model, so
//! an item whose best label scores under that label's threshold gets no label. With
//! [`TrainSpec::keep_unlabelled`] rows with an empty label (or, from the store, items with no
//! source theme) stay in as texts no label applies to, learned as a "no label" class of
//! their own. The held-out measurement reports macro-F1 with and without the thresholds and
//! how many held-out rows got no label. [`TrainSpec::class_weight`] `Balanced` weighs each
//! label's rows by n / (k × n_c). Labels with fewer than [`TrainSpec::min_examples`] rows are
//! named in [`TrainReport::rare_labels`] (the CLI warns).
//!
//! **From the store** ([`App::train_from_themes`]): the items' source-coded themes are the
//! labels (theme ids, so predictions land on the same themes) and their texts the input.
//!
//! **Classifying** ([`App::classify_all`]) loads the newest version of the named model (with
//! no name: the newest model of any name but the sentiment models) and gives every matching stored item with a
//! non-empty text at most one label: the class with the highest score, unless it scores
//! under its label's threshold or the "no label" class wins (counted in
//! [`ClassifyReport::no_label`]). The label becomes a theme whose id is the label's slug
//! ([`Slug::from_name`]); a theme missing from the store is created with the label as its name
//! (an existing theme, e.g. a taxonomy's or a source's with the same id, is left as it is).
//! Each item's prediction is stored in `feedback_themes` with origin `model` and the model's
//! version, replacing that item's earlier model tags; rule tags and source themes are never
//! touched.
//!
//! **The blend with the rules** is a union, decided at read time: with `--themes any` an item's
//! themes are its rule tags, its source themes and its model label, each theme once. Where a
//! rule fires, its theme is kept (the rules are the analyst's certainty) and the model adds its
//! label beside it; where no rule fires, the model's label is the item's only learned theme.
//! Nothing is removed by the model, so a rule theme and a model label that disagree both count;
//! `--themes rule` and `--themes model` read either alone.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::ops::ControlFlow;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use thiserror::Error;
use trove_domain::{Label, Slug, Theme};
use trove_learn::{ClassWeight, Classifier, LearnError, Task, TrainOptions, metrics};
use trove_store::{FeedbackFilter, ItemTags, NewModel, RuleTag, StoreError, ThemeOrigin};

use crate::{App, Progress};

/// The delimiter of labels in a multi-label cell when none is given.
pub const DEFAULT_LABEL_SEPARATOR: &str = ";";

/// Why a model could not be trained, saved, loaded or applied.
#[derive(Debug, Error)]
pub enum ClassifyError {
    /// The labelled file could not be read as CSV.
    #[error("reading the labelled file: {0}")]
    Csv(#[from] csv::Error),
    /// The labelled file lacks a named column.
    #[error("the labelled file has no column {0:?}")]
    MissingColumn(String),
    /// Training failed (no examples, one label only) or the stored model is unreadable.
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// No model of that name is stored (or none at all).
    #[error("{}", no_model_message(.name, .stored))]
    NoModel {
        /// The name asked for (None: any).
        name: Option<String>,
        /// The names that are stored.
        stored: Vec<String>,
    },
    /// Single-label training from the store met items with several themes.
    #[error(
        "{items} items carry several themes (e.g. item {example}); a single-label model cannot \
         learn them: train with --multi-label"
    )]
    SeveralThemes {
        /// How many items.
        items: usize,
        /// One of them.
        example: i64,
    },
    /// The name is kept for sentiment models.
    #[error(
        "the name {0:?} is kept for sentiment models (`trove train --target sentiment`); name \
         the classifier otherwise"
    )]
    ReservedName(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn no_model_message(name: &Option<String>, stored: &[String]) -> String {
    let asked = name.as_ref().map_or_else(
        || "no model is stored".to_owned(),
        |n| format!("no model named {n:?} is stored"),
    );
    if stored.is_empty() {
        format!("{asked}; train one with `trove train --labels FILE`")
    } else {
        format!("{asked}; stored models: {}", stored.join(", "))
    }
}

/// What to train on.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSpec {
    /// The model's name; versions count per name.
    pub name: String,
    /// The labelled file's name as given, recorded with the model.
    pub labels_file: String,
    /// The column holding the text.
    pub text_column: String,
    /// The column holding the label.
    pub label_column: String,
    /// The share of rows held out to measure the model (0 skips the measurement).
    pub holdout: f64,
    /// Seed of the held-out split and of the training shuffles.
    pub seed: u64,
    /// `Some(separator)`: multi-label, each label cell split on the separator; `None`:
    /// multi-class, one label per row.
    pub label_separator: Option<String>,
    /// How each label's rows weigh in training.
    pub class_weight: ClassWeight,
    /// Folds of the cross-fitting that chooses each label's threshold (0: none; the model
    /// then gives every item its best label).
    pub threshold_folds: usize,
    /// Keep rows with no label as texts no label applies to (otherwise skipped).
    pub keep_unlabelled: bool,
    /// Labels with fewer rows than this are named as rare.
    pub min_examples: usize,
}

impl TrainSpec {
    /// A spec with a 20% held-out share and seed 1.
    pub fn new(name: &str, labels_file: &str, text_column: &str, label_column: &str) -> Self {
        Self {
            name: name.to_owned(),
            labels_file: labels_file.to_owned(),
            text_column: text_column.to_owned(),
            label_column: label_column.to_owned(),
            holdout: 0.2,
            seed: 1,
            label_separator: None,
            class_weight: ClassWeight::Uniform,
            threshold_folds: 3,
            keep_unlabelled: false,
            min_examples: 10,
        }
    }
}

/// What training did; also the metrics saved with the model (as JSON).
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// The model's name.
    pub name: String,
    /// The version saved.
    pub version: i64,
    /// Labelled rows used.
    pub examples: usize,
    /// Rows skipped for an empty text or label.
    pub skipped: usize,
    /// Distinct labels.
    pub classes: usize,
    /// Rows held out for the measurement (0: not measured).
    pub held_out: usize,
    /// Accuracy on the held-out rows of a model trained on the others.
    pub accuracy: Option<f64>,
    /// Macro-F1 on the held-out rows (multi-label: the mean of the per-label F1), with the
    /// thresholds when chosen.
    pub macro_f1: Option<f64>,
    /// Macro-F1 on the held-out rows without thresholds (every row its best label).
    pub macro_f1_without_thresholds: Option<f64>,
    /// Held-out rows given no label.
    pub held_out_no_label: usize,
    /// Held-out rows that truly have no label (kept with `keep_unlabelled`).
    pub held_out_unlabelled: usize,
    /// Whether thresholds were chosen and stored with the model.
    pub thresholds: bool,
    /// Rows kept with no label (`keep_unlabelled`).
    pub unlabelled: usize,
    /// Labels with fewer than `min_examples` rows, with their counts, rarest first.
    pub rare_labels: Vec<(String, usize)>,
    /// Whether the model is multi-label.
    pub multi_label: bool,
    /// Multi-label: the separator of labels in the label column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_separator: Option<String>,
    /// Multi-label: micro-F1 on the held-out rows (over every label decision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub micro_f1: Option<f64>,
    /// Multi-label: the share of held-out rows whose predicted label set is exactly right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_match: Option<f64>,
    /// Multi-label: each label's precision, recall and F1 on the held-out rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_label: Vec<LabelScore>,
    /// Seconds to train the saved model on every row.
    pub train_seconds: f64,
    /// Size of the saved model in bytes.
    pub model_bytes: usize,
}

/// One label's scores on held-out rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelScore {
    /// The label.
    pub label: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Held-out rows that carry it.
    pub support: usize,
}

/// What classifying did.
#[derive(Debug, Clone, Serialize)]
pub struct ClassifyReport {
    /// The model's name.
    pub name: String,
    /// The model version used.
    pub version: i64,
    /// Items read.
    pub items: u64,
    /// Items given a label (multi-class: those with a non-empty text; multi-label: those
    /// with at least one label scored positive).
    pub classified: u64,
    /// Items with a text given no label (the model abstained).
    pub no_label: u64,
    /// Whether the model is multi-label (read from its saved metrics).
    pub multi_label: bool,
    /// Model tags stored (multi-class: one per classified item).
    pub tags: u64,
    /// Themes created for labels the store did not have.
    pub new_themes: usize,
    /// Items per label, most first (ties by label).
    pub labels: Vec<LabelCount>,
}

/// How many items got one label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelCount {
    /// The label as trained.
    pub label: String,
    /// Its theme id.
    pub theme: String,
    /// Items.
    pub items: u64,
}

/// Rows of a labelled file.
struct Labelled {
    texts: Vec<String>,
    /// Each row's labels: exactly one when multi-class.
    labels: Vec<Vec<String>>,
    skipped: usize,
}

fn read_labelled(reader: impl Read, spec: &TrainSpec) -> Result<Labelled, ClassifyError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ClassifyError::MissingColumn(name.to_owned()))
    };
    let (text, label) = (column(&spec.text_column)?, column(&spec.label_column)?);
    let mut out = Labelled {
        texts: Vec::new(),
        labels: Vec::new(),
        skipped: 0,
    };
    for record in reader.records() {
        let record = record?;
        let t = record.get(text).unwrap_or("").trim();
        let l = record.get(label).unwrap_or("").trim();
        let labels = split_labels(l, spec.label_separator.as_deref());
        if t.is_empty() || (labels.is_empty() && !spec.keep_unlabelled) {
            out.skipped += 1;
            continue;
        }
        out.texts.push(t.to_owned());
        out.labels.push(labels);
    }
    Ok(out)
}

/// A label cell's labels: the whole trimmed cell, or its trimmed non-empty pieces between
/// separators (each label once, in order of appearance).
fn split_labels(cell: &str, separator: Option<&str>) -> Vec<String> {
    match separator {
        None if cell.is_empty() => Vec::new(),
        None => vec![cell.to_owned()],
        Some(separator) => {
            let mut out: Vec<String> = Vec::new();
            for label in cell.split(separator).map(str::trim) {
                if !label.is_empty() && !out.iter().any(|l| l == label) {
                    out.push(label.to_owned());
                }
            }
            out
        }
    }
}

/// A seeded, reproducible choice of the held-out rows (xorshift64*).
fn held_out(n: usize, share: f64, seed: u64) -> Vec<bool> {
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            rng ^= rng >> 12;
            rng ^= rng << 25;
            rng ^= rng >> 27;
            let r = rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
            (r as f64 / (1u64 << 53) as f64) < share
        })
        .collect()
}

/// Every text's labels scored positive, using `threads` threads.
fn predict_multi_all<'m>(
    model: &'m Classifier,
    texts: &[&str],
    threads: usize,
) -> Vec<Vec<&'m str>> {
    let chunk = texts.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|t| model.predict_multi(t))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Single-label held-out figures: with the thresholds (abstentions count as misses of a
/// labelled row, and as right on a row with no label) and without them.
fn measure_single(
    model: &Classifier,
    texts: &[&str],
    truth: &[&[String]],
    report: &mut TrainReport,
) {
    let truth: Vec<Option<&str>> = truth
        .iter()
        .map(|l| l.first().map(String::as_str))
        .collect();
    let predicted = model.predict_labels_all(texts, threads());
    let evaluation = metrics::evaluate_optional(&truth, &predicted);
    report.accuracy = Some(evaluation.accuracy);
    report.macro_f1 = Some(evaluation.macro_f1);
    report.held_out_no_label = predicted.iter().filter(|p| p.is_none()).count();
    let best: Vec<Option<&str>> = model
        .predict_all(texts, threads())
        .into_iter()
        .map(Some)
        .collect();
    report.macro_f1_without_thresholds = Some(metrics::evaluate_optional(&truth, &best).macro_f1);
}

/// Multi-label held-out figures, with the thresholds and with every label scored above 0.
fn measure_multi(
    model: &Classifier,
    texts: &[&str],
    truth: &[&[String]],
    report: &mut TrainReport,
) {
    let predicted = predict_multi_all(model, texts, threads());
    let evaluation = metrics::evaluate_multi(truth, &predicted);
    report.micro_f1 = Some(evaluation.micro_f1);
    report.macro_f1 = Some(evaluation.macro_f1);
    report.exact_match = Some(evaluation.exact_match);
    report.held_out_no_label = predicted.iter().filter(|p| p.is_empty()).count();
    report.per_label = evaluation
        .per_class
        .into_iter()
        .map(|c| LabelScore {
            label: c.label,
            precision: c.precision,
            recall: c.recall,
            f1: c.f1,
            support: c.support,
        })
        .collect();
    let at_zero: Vec<Vec<&str>> = texts
        .iter()
        .map(|t| {
            model
                .labels()
                .iter()
                .zip(model.decision(t))
                .filter(|(_, s)| *s > 0.0)
                .map(|(l, _)| l.as_str())
                .collect()
        })
        .collect();
    report.macro_f1_without_thresholds = Some(metrics::evaluate_multi(truth, &at_zero).macro_f1);
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl App {
    /// Trains a classifier on a labelled CSV and saves it as the next version of
    /// `spec.name`, with its held-out metrics.
    pub fn train_model(
        &self,
        reader: impl Read,
        spec: &TrainSpec,
    ) -> Result<TrainReport, ClassifyError> {
        let data = read_labelled(reader, spec)?;
        self.train_on(&data, spec)
    }

    /// Trains a classifier on the stored items matching `filter`, their themes of `origin`
    /// (ids; [`ThemeOrigin::Source`]: those the source coded) as labels and their texts as
    /// input, and saves it like [`App::train_model`]. Items with an empty text are skipped;
    /// items with no such theme are skipped unless `spec.keep_unlabelled`. A single-label
    /// spec refuses items with several themes.
    pub fn train_from_themes(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        spec: &TrainSpec,
    ) -> Result<TrainReport, ClassifyError> {
        let store = self.store();
        let mut themes: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        store.scan_item_themes(filter, origin, 5_000, &mut |page| {
            themes.extend(page.into_iter().map(|i| (i.id, i.themes)));
            ControlFlow::Continue(())
        })?;
        let mut data = Labelled {
            texts: Vec::new(),
            labels: Vec::new(),
            skipped: 0,
        };
        let mut several = (0, 0);
        store.scan_feedback(filter, 5_000, &mut |page| {
            for stored in page {
                let text = stored.item.text.as_str().trim();
                let mut labels = themes.remove(&stored.id).unwrap_or_default();
                labels.sort_unstable();
                labels.dedup();
                if text.is_empty() || (labels.is_empty() && !spec.keep_unlabelled) {
                    data.skipped += 1;
                    continue;
                }
                if labels.len() > 1 && spec.label_separator.is_none() {
                    several = (several.0 + 1, stored.id);
                }
                data.texts.push(text.to_owned());
                data.labels.push(labels);
            }
            ControlFlow::Continue(())
        })?;
        if several.0 > 0 {
            return Err(ClassifyError::SeveralThemes {
                items: several.0,
                example: several.1,
            });
        }
        self.train_on(&data, spec)
    }

    fn train_on(&self, data: &Labelled, spec: &TrainSpec) -> Result<TrainReport, ClassifyError> {
        if crate::is_sentiment_model(&spec.name) {
            return Err(ClassifyError::ReservedName(spec.name.clone()));
        }
        let multi = spec.label_separator.is_some();
        let task = if multi {
            Task::AnyLabels
        } else {
            Task::OneLabel
        };
        let options = TrainOptions {
            seed: spec.seed,
            class_weight: spec.class_weight,
            threshold_folds: spec.threshold_folds,
            ..TrainOptions::default()
        };
        let train = |texts: &[&str], labels: &[&[String]]| {
            Classifier::train_sets(texts, labels, task, &options)
        };
        let mut per_label: BTreeMap<&str, usize> = BTreeMap::new();
        for l in data.labels.iter().flatten() {
            *per_label.entry(l).or_default() += 1;
        }
        let mut rare_labels: Vec<(String, usize)> = per_label
            .iter()
            .filter(|(_, n)| **n < spec.min_examples)
            .map(|(l, n)| ((*l).to_owned(), *n))
            .collect();
        rare_labels.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let mut report = TrainReport {
            name: spec.name.clone(),
            version: 0,
            examples: data.texts.len(),
            skipped: data.skipped,
            classes: per_label.len(),
            held_out: 0,
            accuracy: None,
            macro_f1: None,
            macro_f1_without_thresholds: None,
            held_out_no_label: 0,
            held_out_unlabelled: 0,
            thresholds: false,
            unlabelled: data.labels.iter().filter(|l| l.is_empty()).count(),
            rare_labels,
            multi_label: multi,
            label_separator: spec.label_separator.clone(),
            micro_f1: None,
            exact_match: None,
            per_label: Vec::new(),
            train_seconds: 0.0,
            model_bytes: 0,
        };
        if spec.holdout > 0.0 {
            let test = held_out(data.texts.len(), spec.holdout, spec.seed);
            let (mut train_x, mut train_y, mut test_x, mut test_y) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for ((text, labels), is_test) in data.texts.iter().zip(&data.labels).zip(test) {
                if is_test {
                    test_x.push(text.as_str());
                    test_y.push(labels.as_slice());
                } else {
                    train_x.push(text.as_str());
                    train_y.push(labels.as_slice());
                }
            }
            // Too few rows to hold any out (or to keep two labels): train without measuring.
            if !test_x.is_empty()
                && train_y
                    .iter()
                    .copied()
                    .flatten()
                    .collect::<HashSet<_>>()
                    .len()
                    >= 2
            {
                let model = train(&train_x, &train_y)?;
                report.held_out = test_x.len();
                report.held_out_unlabelled = test_y.iter().filter(|l| l.is_empty()).count();
                if multi {
                    measure_multi(&model, &test_x, &test_y, &mut report);
                } else {
                    measure_single(&model, &test_x, &test_y, &mut report);
                }
            }
        }
        let texts: Vec<&str> = data.texts.iter().map(String::as_str).collect();
        let labels: Vec<&[String]> = data.labels.iter().map(Vec::as_slice).collect();
        let started = Instant::now();
        let model = train(&texts, &labels)?;
        report.train_seconds = started.elapsed().as_secs_f64();
        report.thresholds = model.thresholds().is_some();
        let bytes = model.to_bytes();
        report.model_bytes = bytes.len();
        let mut metrics = json!({
            "examples": report.examples,
            "skipped": report.skipped,
            "classes": report.classes,
            "held_out": report.held_out,
            "accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
            "macro_f1_without_thresholds": report.macro_f1_without_thresholds,
            "held_out_no_label": report.held_out_no_label,
            "thresholds": report.thresholds,
            "class_weight": format!("{:?}", spec.class_weight).to_lowercase(),
            "unlabelled": report.unlabelled,
            "train_seconds": report.train_seconds,
            "text_column": spec.text_column,
            "label_column": spec.label_column,
            "seed": spec.seed,
            "multi_label": multi,
        });
        if multi {
            metrics["label_separator"] = json!(spec.label_separator);
            metrics["micro_f1"] = json!(report.micro_f1);
            metrics["exact_match"] = json!(report.exact_match);
            metrics["per_label"] = json!(report.per_label);
        }
        report.version = self.store().save_model(&NewModel {
            name: spec.name.clone(),
            created_at: jiff::Timestamp::now().as_second(),
            labels_file: spec.labels_file.clone(),
            metrics: metrics.to_string(),
            model: bytes,
        })?;
        Ok(report)
    }

    /// Classifies every matching stored item with the newest version of the named model (no
    /// name: the model trained last, whatever its name), a page at a time, each page's model
    /// tags replaced in one transaction.
    pub fn classify_all(
        &self,
        name: Option<&str>,
        filter: &FeedbackFilter,
        progress: &dyn Progress,
    ) -> Result<ClassifyReport, ClassifyError> {
        let store = self.store();
        // Sentiment models live in the same store but are not theme classifiers.
        let models: Vec<_> = store
            .models()?
            .into_iter()
            .filter(|m| !crate::is_sentiment_model(&m.name))
            .collect();
        let newest = models
            .iter()
            .max_by_key(|m| (m.created_at, m.version))
            .map(|m| m.name.clone());
        let missing = || {
            let mut stored: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
            stored.sort_unstable();
            stored.dedup();
            ClassifyError::NoModel {
                name: name.map(str::to_owned),
                stored,
            }
        };
        let name = name.map(str::to_owned).or(newest).ok_or_else(missing)?;
        let stored = store.latest_model(&name)?.ok_or_else(missing)?;
        let model = Classifier::from_bytes(&stored.model)?;
        let multi = serde_json::from_str::<serde_json::Value>(&stored.summary.metrics)
            .ok()
            .and_then(|m| m["multi_label"].as_bool())
            .unwrap_or(false);
        // Each label's theme, or None when the label has no letter or digit to make an id of.
        let themes: Vec<Option<(Slug, Label)>> = model
            .labels()
            .iter()
            .map(|l| Some((Slug::from_name(l)?, Label::parse("label", l).ok()?)))
            .collect();
        let index: BTreeMap<&str, usize> = model
            .labels()
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        let mut known: HashSet<String> = store
            .themes()?
            .into_iter()
            .map(|t| t.id.as_str().to_owned())
            .collect();
        let mut counts = vec![0u64; model.labels().len()];
        let mut report = ClassifyReport {
            name: name.clone(),
            version: stored.summary.version,
            items: 0,
            classified: 0,
            no_label: 0,
            multi_label: multi,
            tags: 0,
            new_themes: 0,
            labels: Vec::new(),
        };
        progress.set_total(store.count_feedback(filter)?);
        let threads = threads();
        let mut failure = None;
        store.scan_feedback(filter, 5_000, &mut |page| {
            let texts: Vec<&str> = page.iter().map(|s| s.item.text.as_str().trim()).collect();
            let predicted: Vec<Vec<&str>> = if multi {
                predict_multi_all(&model, &texts, threads)
            } else {
                model
                    .predict_labels_all(&texts, threads)
                    .into_iter()
                    .map(|l| l.into_iter().collect())
                    .collect()
            };
            let mut new = Vec::new();
            let batch: Vec<ItemTags> = page
                .iter()
                .zip(&texts)
                .zip(predicted)
                .map(|((item, text), labels)| {
                    let mut tags: Vec<RuleTag> = Vec::new();
                    for label in labels.into_iter().filter(|_| !text.is_empty()) {
                        let Some((i, (id, name))) = index
                            .get(label)
                            .and_then(|&i| themes[i].as_ref().map(|t| (i, t)))
                        else {
                            continue;
                        };
                        // Two labels with the same slug make one tag.
                        if tags.iter().any(|t| t.theme == *id) {
                            continue;
                        }
                        counts[i] += 1;
                        if known.insert(id.as_str().to_owned()) {
                            new.push(Theme {
                                id: id.clone(),
                                name: name.clone(),
                                parent: None,
                            });
                        }
                        tags.push(RuleTag {
                            theme: id.clone(),
                            phrase: String::new(),
                            start: 0,
                            end: 0,
                            sentiment: None,
                        });
                    }
                    ItemTags {
                        feedback_id: item.id,
                        tags,
                        sentiment: None,
                        suggestion: false,
                    }
                })
                .collect();
            report.items += batch.len() as u64;
            report.classified += batch.iter().filter(|b| !b.tags.is_empty()).count() as u64;
            report.no_label += batch
                .iter()
                .zip(&texts)
                .filter(|(b, t)| b.tags.is_empty() && !t.is_empty())
                .count() as u64;
            report.tags += batch.iter().map(|b| b.tags.len() as u64).sum::<u64>();
            report.new_themes += new.len();
            let stored = (|| {
                if !new.is_empty() {
                    store.upsert_themes(&new)?;
                }
                store.replace_model_tags(report.version, &batch)
            })();
            if let Err(error) = stored {
                failure = Some(error);
                return ControlFlow::Break(());
            }
            progress.set_done(report.items);
            ControlFlow::Continue(())
        })?;
        if let Some(error) = failure {
            return Err(error.into());
        }
        let mut labels: Vec<LabelCount> = model
            .labels()
            .iter()
            .zip(&themes)
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .filter_map(|((label, theme), items)| {
                Some(LabelCount {
                    label: label.clone(),
                    theme: theme.as_ref()?.0.as_str().to_owned(),
                    items,
                })
            })
            .collect();
        labels.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.label.cmp(&b.label)));
        report.labels = labels;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use std::sync::Arc;

    use trove_store::{Store, ThemeOrigin};
    use trove_store_sqlite::SqliteStore;

    use super::*;
    use crate::NoProgress;

    #[test]
    fn a_model_is_trained_saved_and_tags_stored_items_beside_rule_tags() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.migrate().unwrap();
        let app = App::new(Arc::new(store));
        let mut csv = String::from("text,intent\n");
        for i in 0..40 {
            csv.push_str(&format!(
                "my card {i} was declined at the shop,Card Declined\n"
            ));
            csv.push_str(&format!("where is my refund {i} please,refund\n"));
        }
        csv.push_str(",refund\n");
        let spec = TrainSpec::new("default", "labels.csv", "text", "intent");
        let report = app.train_model(csv.as_bytes(), &spec).unwrap();
        assert_eq!(
            (report.version, report.examples, report.skipped),
            (1, 80, 1)
        );
        assert_eq!(report.classes, 2);
        assert!(report.held_out > 0);
        assert_eq!(report.accuracy, Some(1.0));
        let again = app.train_model(csv.as_bytes(), &spec).unwrap();
        assert_eq!(again.version, 2);
        let models = app.store().models().unwrap();
        assert_eq!(models.len(), 2);
        assert!(models[1].metrics.contains("\"macro_f1\":1.0"));

        let items: Vec<_> = ["the card got declined", "refund please", ""]
            .iter()
            .enumerate()
            .map(|(i, text)| trove_domain::FeedbackItem {
                text: trove_domain::FeedbackText::try_from((*text).to_owned()).unwrap(),
                ..trove_store::contract::item("s", &i.to_string())
            })
            .collect();
        app.store().insert_feedback(&items, None).unwrap();
        let report = app
            .classify_all(Some("default"), &FeedbackFilter::default(), &NoProgress)
            .unwrap();
        assert_eq!((report.version, report.items, report.classified), (2, 3, 2));
        assert_eq!(report.new_themes, 2);
        let themes: Vec<String> = report.labels.iter().map(|l| l.theme.clone()).collect();
        assert_eq!(themes, ["card-declined", "refund"]);
        let mut seen = Vec::new();
        app.store()
            .scan_item_themes(
                &FeedbackFilter::default(),
                ThemeOrigin::Model,
                10,
                &mut |p| {
                    seen.extend(p.into_iter().map(|i| i.themes));
                    ControlFlow::Continue(())
                },
            )
            .unwrap();
        assert_eq!(
            seen,
            [
                vec!["card-declined".to_owned()],
                vec!["refund".to_owned()],
                vec![]
            ]
        );
        let names: Vec<String> = app
            .store()
            .themes()
            .unwrap()
            .into_iter()
            .map(|t| t.name.as_str().to_owned())
            .collect();
        assert_eq!(names, ["Card Declined", "refund"]);
        assert!(matches!(
            app.classify_all(Some("other"), &FeedbackFilter::default(), &NoProgress),
            Err(ClassifyError::NoModel { .. })
        ));
    }

    #[test]
    fn a_model_learns_from_stored_source_themes_and_classify_takes_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.migrate().unwrap();
        let app = App::new(Arc::new(store));
        let none = app.classify_all(None, &FeedbackFilter::default(), &NoProgress);
        assert_eq!(
            none.unwrap_err().to_string(),
            "no model is stored; train one with `trove train --labels FILE`"
        );
        let coded = |i: usize, text: String, themes: &[&str]| trove_domain::FeedbackItem {
            text: trove_domain::FeedbackText::try_from(text).unwrap(),
            source_themes: themes
                .iter()
                .map(|t| Label::parse("theme", t).unwrap())
                .collect(),
            ..trove_store::contract::item("survey", &i.to_string())
        };
        let words = ["red", "blue", "green", "grey", "pink"];
        let mut items = Vec::new();
        for i in 0..25 {
            let w = words[i % 5];
            items.push(coded(3 * i, format!("my {w} card was declined"), &["Card"]));
            items.push(coded(
                3 * i + 1,
                format!("the {w} refund is late"),
                &["Refund"],
            ));
            items.push(coded(3 * i + 2, format!("thank you {w} team"), &[]));
        }
        items.push(coded(900, "my card was lost".into(), &["Lost card"]));
        app.store().insert_feedback(&items, None).unwrap();

        let spec = TrainSpec {
            min_examples: 5,
            ..TrainSpec::new("coded", "themes:source", "", "")
        };
        let report = app
            .train_from_themes(&FeedbackFilter::default(), ThemeOrigin::Source, &spec)
            .unwrap();
        assert_eq!(
            (report.examples, report.skipped, report.classes),
            (51, 25, 3)
        );
        assert_eq!(report.rare_labels, [("lost-card".to_owned(), 1)]);
        assert!(report.thresholds);
        // Kept as texts no label applies to, the thanks teach the model to abstain.
        let spec = TrainSpec {
            keep_unlabelled: true,
            ..spec
        };
        let report = app
            .train_from_themes(&FeedbackFilter::default(), ThemeOrigin::Source, &spec)
            .unwrap();
        assert_eq!((report.examples, report.unlabelled), (76, 25));
        assert_eq!(report.version, 2);
        let classified = app
            .classify_all(None, &FeedbackFilter::default(), &NoProgress)
            .unwrap();
        assert_eq!((classified.name.as_str(), classified.version), ("coded", 2));
        assert_eq!(classified.items, 76);
        assert!(classified.no_label >= 20, "{classified:?}");
        assert!(
            classified
                .labels
                .iter()
                .any(|l| l.theme == "card" && l.items >= 20)
        );
        let missing = app.classify_all(Some("default"), &FeedbackFilter::default(), &NoProgress);
        assert_eq!(
            missing.unwrap_err().to_string(),
            "no model named \"default\" is stored; stored models: coded"
        );
        // An item coded twice cannot teach a single-label model.
        app.store()
            .insert_feedback(
                &[coded(901, "card and refund".into(), &["Card", "Refund"])],
                None,
            )
            .unwrap();
        let several = app.train_from_themes(&FeedbackFilter::default(), ThemeOrigin::Source, &spec);
        assert!(matches!(
            several,
            Err(ClassifyError::SeveralThemes { items: 1, .. })
        ));
    }

    #[test]
    fn a_multi_label_model_records_it_and_stores_every_predicted_label() {
        assert_eq!(
            split_labels(" a; b ;;a", Some(";")),
            ["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(split_labels("a;b", None), ["a;b".to_owned()]);
        assert!(split_labels(" ; ", Some(";")).is_empty());

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.migrate().unwrap();
        let app = App::new(Arc::new(store));
        let mut csv = String::from("text,labels\n");
        for i in 0..30 {
            csv.push_str(&format!("card {i} declined,card\n"));
            csv.push_str(&format!("refund {i} late,refund\n"));
            csv.push_str(&format!(
                "card {i} declined and refund {i} late,card; refund\n"
            ));
        }
        csv.push_str("no labels here, ; \n");
        let spec = TrainSpec {
            label_separator: Some(DEFAULT_LABEL_SEPARATOR.to_owned()),
            ..TrainSpec::new("multi", "labels.csv", "text", "labels")
        };
        let report = app.train_model(csv.as_bytes(), &spec).unwrap();
        assert!(report.multi_label);
        assert_eq!(
            (report.examples, report.skipped, report.classes),
            (90, 1, 2)
        );
        assert!(report.micro_f1.unwrap() > 0.95, "{report:?}");
        assert_eq!(report.per_label.len(), 2);
        assert!(
            app.store().models().unwrap()[0]
                .metrics
                .contains("\"multi_label\":true")
        );

        let items: Vec<_> = [
            "my card was declined and the refund is late",
            "card declined",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| trove_domain::FeedbackItem {
            text: trove_domain::FeedbackText::try_from((*text).to_owned()).unwrap(),
            ..trove_store::contract::item("s", &i.to_string())
        })
        .collect();
        app.store().insert_feedback(&items, None).unwrap();
        let report = app
            .classify_all(None, &FeedbackFilter::default(), &NoProgress)
            .unwrap();
        assert!(report.multi_label);
        assert_eq!((report.items, report.classified, report.tags), (2, 2, 3));
        let mut seen = Vec::new();
        app.store()
            .scan_item_themes(
                &FeedbackFilter::default(),
                ThemeOrigin::Model,
                10,
                &mut |p| {
                    seen.extend(p.into_iter().map(|i| i.themes));
                    ControlFlow::Continue(())
                },
            )
            .unwrap();
        assert_eq!(
            seen,
            [
                vec!["card".to_owned(), "refund".to_owned()],
                vec!["card".to_owned()]
            ]
        );
    }
}
