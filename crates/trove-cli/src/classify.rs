//! `trove train`, `trove classify` and `trove models`: a classifier trained on feedback a
//! company has already coded, saved in the store, and applied to the stored items (its labels
//! are stored as themes with origin `model`, beside the rule tags; see `trove-app`'s
//! `classify` module for the blend).
//!
//! `trove train --multi-label` trains a multi-label model: the label column holds several
//! labels separated by `--label-separator` (default `;`, e.g. `United;Late Flight`). The
//! held-out measurement is then micro-F1, macro-F1 and each label's precision, recall and F1;
//! the model records that it is multi-label, and `trove classify` gives each item every label
//! scored positive (possibly none), each stored as a model tag.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use trove_app::TrainSpec;
use trove_store::{FeedbackFilter, ThemeOrigin};

use crate::Format;
use crate::db::DbUrl;
use crate::eval::{Unlabelled, Weight};
use crate::output::{Bar, thousands};

/// Where `trove train` takes its labels from besides a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThemeSource {
    /// The themes the source coded, stored with the items at import.
    Source,
    /// The themes the taxonomy's rules tagged (to generalise the rules beyond their words).
    Rule,
}

/// What `trove train` learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrainTarget {
    /// A theme classifier.
    Themes,
    /// A sentiment model (negative / neutral / positive) that replaces the lexicon for stored
    /// items (all, or --source's).
    Sentiment,
}

/// Arguments of `trove train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// What to learn.
    #[arg(long, value_enum, default_value_t = TrainTarget::Themes)]
    target: TrainTarget,
    /// The labelled CSV file (or --from-themes, or --from-labels).
    #[arg(long, required_unless_present_any = ["from_themes", "from_labels"])]
    labels: Option<PathBuf>,
    /// With --target sentiment: learn from the labels given on the labelling page (/label),
    /// skips left out (with --source: only that source's items, for its own model).
    #[arg(long, conflicts_with_all = ["labels", "from_themes"])]
    from_labels: bool,
    /// Learn from the stored items' themes of this origin: their theme ids are the labels,
    /// their texts the input (items with no such theme are skipped, or kept as texts with no
    /// label with --unlabelled none).
    #[arg(long, value_enum, conflicts_with = "labels")]
    from_themes: Option<ThemeSource>,
    /// With --from-themes: only items of this source. With --target sentiment: the model is
    /// this source's (its items use it; other sources keep the default model).
    #[arg(long)]
    source: Option<String>,
    /// The column holding the text [--target sentiment: default text].
    #[arg(long)]
    text_column: Option<String>,
    /// The column holding the label [--target sentiment: default sentiment; values
    /// negative/neutral/positive, -1/0/1 or neg/neu/pos].
    #[arg(long)]
    label_column: Option<String>,
    /// Rows with an empty label (items with no theme): `skip` them, or keep them as texts
    /// `none` of the labels applies to (the model learns to give such texts no label).
    #[arg(long, value_enum, default_value_t = Unlabelled::Skip)]
    unlabelled: Unlabelled,
    /// Weigh each label's rows by n / (k × n_c) (`balanced`, for rare labels) or all alike.
    #[arg(long, value_enum, default_value_t = Weight::Uniform)]
    class_weight: Weight,
    /// Folds of the cross-fitting that chooses each label's decision threshold, so an item
    /// whose best label scores under it gets no label (0: no thresholds, every item labelled).
    #[arg(long, default_value_t = 3)]
    threshold_folds: usize,
    /// Warn about labels with fewer examples than this.
    #[arg(long, default_value_t = 10)]
    min_examples: usize,
    /// The model's name; each training saves its next version.
    #[arg(long, default_value = "default")]
    name: String,
    /// The share of rows held out to measure the model before training on all of them.
    #[arg(long, default_value_t = 0.2)]
    holdout: f64,
    /// Seed of the held-out split and of training.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multi-label: the label column holds any number of labels separated by
    /// --label-separator; the model predicts every label scored positive.
    #[arg(long)]
    multi_label: bool,
    /// The delimiter of labels in a multi-label cell [default: ;] (giving it implies
    /// --multi-label).
    #[arg(long)]
    label_separator: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Arguments of `trove classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The model's name (its newest version is used) [default: the model trained last].
    #[arg(long)]
    name: Option<String>,
    /// Only items of this source.
    #[arg(long)]
    source: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Arguments of `trove models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header.iter().copied());
    table
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"))
}

/// Runs `trove train`.
pub fn train(url: &DbUrl, args: &TrainArgs) -> Result<ExitCode> {
    if !(0.0..1.0).contains(&args.holdout) {
        anyhow::bail!("--holdout must be in [0, 1)");
    }
    if args.target == TrainTarget::Sentiment {
        if args.from_themes.is_some() {
            anyhow::bail!("--target sentiment learns from --labels FILE or --from-labels");
        }
        return crate::sentiment::train(
            url,
            &crate::sentiment::TrainSentiment {
                labels: args.labels.as_deref(),
                text_column: args
                    .text_column
                    .as_deref()
                    .unwrap_or(crate::sentiment::DEFAULT_TEXT_COLUMN),
                label_column: args
                    .label_column
                    .as_deref()
                    .unwrap_or(crate::sentiment::DEFAULT_LABEL_COLUMN),
                source: args.source.as_deref(),
                holdout: args.holdout,
                seed: args.seed,
                format: args.format,
            },
        );
    }
    if args.from_labels {
        anyhow::bail!("--from-labels is for --target sentiment");
    }
    if args.labels.is_some() && (args.text_column.is_none() || args.label_column.is_none()) {
        anyhow::bail!("--labels needs --text-column and --label-column");
    }
    if args.source.is_some() && args.from_themes.is_none() {
        anyhow::bail!("--source needs --from-themes (or --target sentiment)");
    }
    let app = trove_app::App::new(url.open()?);
    if args.label_separator.as_deref() == Some("") {
        anyhow::bail!("--label-separator must not be empty");
    }
    let label_separator = (args.multi_label || args.label_separator.is_some()).then(|| {
        args.label_separator
            .clone()
            .unwrap_or_else(|| trove_app::DEFAULT_LABEL_SEPARATOR.to_owned())
    });
    let column = |c: &Option<String>| c.clone().unwrap_or_default();
    let origin = match args.from_themes {
        Some(ThemeSource::Rule) => ThemeOrigin::Rule,
        _ => ThemeOrigin::Source,
    };
    let described = format!(
        "themes:{}{}",
        origin.stored().unwrap_or("any"),
        args.source
            .as_ref()
            .map_or_else(String::new, |s| format!(":{s}"))
    );
    let spec = TrainSpec {
        holdout: args.holdout,
        seed: args.seed,
        label_separator,
        class_weight: args.class_weight.into(),
        threshold_folds: args.threshold_folds,
        keep_unlabelled: args.unlabelled == Unlabelled::None,
        min_examples: args.min_examples,
        ..TrainSpec::new(
            &args.name,
            &args
                .labels
                .as_ref()
                .map_or(described, |l| l.display().to_string()),
            &column(&args.text_column),
            &column(&args.label_column),
        )
    };
    let report = match &args.labels {
        Some(labels) => {
            let file = std::fs::File::open(labels)
                .with_context(|| format!("cannot read {}", labels.display()))?;
            app.train_model(std::io::BufReader::new(file), &spec)
                .with_context(|| format!("training on {}", labels.display()))?
        }
        None => {
            let filter = FeedbackFilter {
                source: args.source.clone(),
                ..FeedbackFilter::default()
            };
            app.train_from_themes(&filter, origin, &spec)
                .context("training on the stored themes")?
        }
    };
    if !report.rare_labels.is_empty() {
        let named: Vec<String> = report
            .rare_labels
            .iter()
            .map(|(l, n)| format!("{l:?} ({n})"))
            .collect();
        eprintln!(
            "warning: {} labels have fewer than {} examples, too few to learn or measure \
             reliably: {}",
            named.len(),
            args.min_examples,
            named.join(", ")
        );
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => {
            println!(
                "saved {}model {:?} version {} in {url}: {} examples, {} {}, trained in {:.2} s",
                if report.multi_label {
                    "multi-label "
                } else {
                    ""
                },
                report.name,
                report.version,
                thousands(report.examples as u64),
                report.classes,
                if report.multi_label {
                    "labels"
                } else {
                    "classes"
                },
                report.train_seconds
            );
            if report.skipped > 0 {
                println!(
                    "skipped {} rows with an empty text or label",
                    thousands(report.skipped as u64)
                );
            }
            match (report.accuracy, report.micro_f1, report.macro_f1) {
                (_, Some(micro_f1), Some(macro_f1)) => {
                    println!(
                        "held out {} rows: micro-F1 {micro_f1:.4}, macro-F1 {macro_f1:.4}, \
                         exact match {}",
                        thousands(report.held_out as u64),
                        optional(report.exact_match)
                    );
                    let mut out = table(&["label", "precision", "recall", "F1", "support"]);
                    for l in &report.per_label {
                        out.add_row(vec![
                            Cell::new(&l.label),
                            Cell::new(format!("{:.3}", l.precision))
                                .set_alignment(CellAlignment::Right),
                            Cell::new(format!("{:.3}", l.recall))
                                .set_alignment(CellAlignment::Right),
                            Cell::new(format!("{:.3}", l.f1)).set_alignment(CellAlignment::Right),
                            Cell::new(thousands(l.support as u64))
                                .set_alignment(CellAlignment::Right),
                        ]);
                    }
                    println!("{out}");
                }
                (Some(accuracy), _, Some(macro_f1)) => println!(
                    "held out {} rows: accuracy {accuracy:.4}, macro-F1 {macro_f1:.4}",
                    thousands(report.held_out as u64)
                ),
                _ => println!("not measured: too few rows to hold any out"),
            }
            if report.held_out > 0 && report.thresholds {
                println!(
                    "thresholds: {} of {} held-out rows got no label ({} of them have none); \
                     macro-F1 without thresholds {}",
                    thousands(report.held_out_no_label as u64),
                    thousands(report.held_out as u64),
                    thousands(report.held_out_unlabelled as u64),
                    optional(report.macro_f1_without_thresholds)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trove classify`.
pub fn classify(url: &DbUrl, args: &ClassifyArgs) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    let filter = FeedbackFilter {
        source: args.source.clone(),
        ..FeedbackFilter::default()
    };
    let bar = Bar::new(false);
    let started = std::time::Instant::now();
    let report = app.classify_all(args.name.as_deref(), &filter, &bar);
    bar.finish();
    let report = report?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => {
            println!(
                "classified {} of {} items with {}model {:?} version {} in {:.1} s ({} tags, {} new themes)",
                thousands(report.classified),
                thousands(report.items),
                if report.multi_label {
                    "multi-label "
                } else {
                    ""
                },
                report.name,
                report.version,
                started.elapsed().as_secs_f64(),
                thousands(report.tags),
                report.new_themes
            );
            if report.no_label > 0 {
                println!(
                    "{} items got no label ({})",
                    thousands(report.no_label),
                    if report.multi_label {
                        "no label scored at or above its threshold"
                    } else {
                        "their best label scored under its threshold, or \"no label\" scored best"
                    }
                );
            }
            let mut out = table(&["label", "theme", "items"]);
            for label in &report.labels {
                out.add_row(vec![
                    Cell::new(&label.label),
                    Cell::new(&label.theme),
                    Cell::new(thousands(label.items)).set_alignment(CellAlignment::Right),
                ]);
            }
            println!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trove models`.
pub fn models(url: &DbUrl, args: &ModelsArgs) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    let models = app.store().models()?;
    match args.format {
        Format::Json => {
            let listed: Vec<serde_json::Value> = models
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "name": m.name,
                        "version": m.version,
                        "created_at": m.created_at,
                        "labels_file": m.labels_file,
                        "bytes": m.bytes,
                        "metrics": serde_json::from_str::<serde_json::Value>(&m.metrics)
                            .unwrap_or(serde_json::Value::Null),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&listed)?);
        }
        Format::Human if models.is_empty() => {
            println!("no models in {url}: train one with `trove train --labels FILE`");
        }
        Format::Human => {
            let mut out = table(&[
                "name",
                "version",
                "trained",
                "labels file",
                "accuracy",
                "macro-F1",
                "size",
            ]);
            for m in &models {
                let metrics: serde_json::Value =
                    serde_json::from_str(&m.metrics).unwrap_or_default();
                let trained = jiff::Timestamp::from_second(m.created_at)
                    .map_or_else(|_| m.created_at.to_string(), |t| t.to_string());
                out.add_row(vec![
                    Cell::new(&m.name),
                    Cell::new(m.version).set_alignment(CellAlignment::Right),
                    Cell::new(trained),
                    Cell::new(&m.labels_file),
                    Cell::new(optional(metrics["accuracy"].as_f64())),
                    Cell::new(optional(metrics["macro_f1"].as_f64())),
                    Cell::new(format!("{} KB", thousands(m.bytes / 1024)))
                        .set_alignment(CellAlignment::Right),
                ]);
            }
            println!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
