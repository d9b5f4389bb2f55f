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
use trove_store::FeedbackFilter;

use crate::Format;
use crate::db::DbUrl;
use crate::output::{Bar, thousands};

/// Arguments of `trove train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The labelled CSV file.
    #[arg(long)]
    labels: PathBuf,
    /// The column holding the text.
    #[arg(long)]
    text_column: String,
    /// The column holding the label.
    #[arg(long)]
    label_column: String,
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
    /// The model's name (its newest version is used).
    #[arg(long, default_value = "default")]
    name: String,
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
    let file = std::fs::File::open(&args.labels)
        .with_context(|| format!("cannot read {}", args.labels.display()))?;
    let app = trove_app::App::new(url.open()?);
    if args.label_separator.as_deref() == Some("") {
        anyhow::bail!("--label-separator must not be empty");
    }
    let label_separator = (args.multi_label || args.label_separator.is_some()).then(|| {
        args.label_separator
            .clone()
            .unwrap_or_else(|| trove_app::DEFAULT_LABEL_SEPARATOR.to_owned())
    });
    let spec = TrainSpec {
        holdout: args.holdout,
        seed: args.seed,
        label_separator,
        ..TrainSpec::new(
            &args.name,
            &args.labels.display().to_string(),
            &args.text_column,
            &args.label_column,
        )
    };
    let report = app
        .train_model(std::io::BufReader::new(file), &spec)
        .with_context(|| format!("training on {}", args.labels.display()))?;
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
    let report = app.classify_all(&args.name, &filter, &bar);
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
