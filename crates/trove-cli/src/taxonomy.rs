//! `trove taxonomy load|export|coverage` and `trove tag`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use trove_store::{FeedbackFilter, Placement};

use crate::Format;
use crate::db::DbUrl;
use crate::output::{Bar, thousands};

/// `trove taxonomy ...`.
#[derive(Debug, Subcommand)]
pub enum TaxonomyCommand {
    /// Load a taxonomy file: a new version when anything changed; prints what changed.
    Load {
        /// The taxonomy (TOML).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the current taxonomy (the file as loaded).
    Export,
    /// How many items carry a theme (overall and per source), and how many are placed in the
    /// journey.
    Coverage {
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Propose a cluster `trove discover` found as a new theme: words and two-word phrases
    /// specific to the cluster, previewed over the whole corpus (items tagged, share in the
    /// cluster, matches outside it); saved as a new taxonomy version only with --yes, and
    /// refused when its matches outside the cluster exceed --max-share of the corpus unless
    /// --force.
    AddFromCluster(Box<crate::discover::AddFromClusterArgs>),
}

/// Arguments of `trove tag`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// Re-tag every stored item with the current taxonomy (required: tagging at import is
    /// automatic).
    #[arg(long)]
    all: bool,
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The JSON of `trove taxonomy coverage --format json`.
#[derive(Debug, Serialize)]
struct CoverageJson {
    coverage: f64,
    total: u64,
    tagged: u64,
    by_source: BTreeMap<String, f64>,
    sources: Vec<SourceJson>,
    placement: Placement,
    unplaced: u64,
    themes: Vec<ThemeJson>,
}

#[derive(Debug, Serialize)]
struct ThemeJson {
    theme: String,
    depth: usize,
    items: u64,
}

#[derive(Debug, Serialize)]
struct SourceJson {
    source: String,
    total: u64,
    tagged: u64,
    coverage: f64,
}

pub fn run(url: &DbUrl, command: TaxonomyCommand) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    match command {
        TaxonomyCommand::Load { file, format } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let load = app
                .load_taxonomy(&file.display().to_string(), &text)
                .map_err(anyhow::Error::msg)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&load)?),
                Format::Human => {
                    match load.version {
                        Some(version) => println!(
                            "taxonomy version {version} loaded into {url}: {} themes",
                            load.themes
                        ),
                        None => println!(
                            "the taxonomy is unchanged (version {}): no new version",
                            load.previous.unwrap_or_default()
                        ),
                    }
                    if !load.unknown_stages.is_empty() {
                        eprintln!(
                            "warning: the journey has no stage {}: themes with it place items outside the journey",
                            load.unknown_stages.join(", ")
                        );
                    }
                    if load.version.is_some() {
                        print!("{}", load.diff);
                        println!("re-tag stored items with `trove tag --all`");
                    }
                }
            }
        }
        TaxonomyCommand::AddFromCluster(args) => {
            return crate::discover::add_from_cluster(url, &args);
        }
        TaxonomyCommand::Export => match app.export_taxonomy()? {
            Some(toml) => print!("{toml}"),
            None => {
                eprintln!(
                    "no taxonomy is loaded in {url}: load one with `trove taxonomy load FILE.toml`"
                );
                return Ok(ExitCode::FAILURE);
            }
        },
        TaxonomyCommand::Coverage { source, format } => {
            let filter = FeedbackFilter {
                source,
                ..FeedbackFilter::default()
            };
            let coverage = app.coverage(&filter)?;
            let themes = app.rule_theme_counts(&filter)?;
            let json = CoverageJson {
                coverage: share(coverage.tagged, coverage.total),
                total: coverage.total,
                tagged: coverage.tagged,
                by_source: coverage
                    .by_source
                    .iter()
                    .map(|s| (s.source.clone(), share(s.tagged, s.total)))
                    .collect(),
                sources: coverage
                    .by_source
                    .iter()
                    .map(|s| SourceJson {
                        source: s.source.clone(),
                        total: s.total,
                        tagged: s.tagged,
                        coverage: share(s.tagged, s.total),
                    })
                    .collect(),
                placement: coverage.placement,
                unplaced: coverage.placement.unplaced,
                themes: themes
                    .iter()
                    .map(|(depth, c)| ThemeJson {
                        theme: c.theme.to_string(),
                        depth: *depth,
                        items: c.items,
                    })
                    .collect(),
            };
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&json)?),
                Format::Human => {
                    println!(
                        "coverage: {} of {} items carry a theme ({:.1}%)",
                        thousands(json.tagged),
                        thousands(json.total),
                        json.coverage * 100.0
                    );
                    for s in &json.sources {
                        println!(
                            "  {:<24} {:>10} of {:>10}  {:5.1}%",
                            s.source,
                            thousands(s.tagged),
                            thousands(s.total),
                            s.coverage * 100.0
                        );
                    }
                    let p = json.placement;
                    println!(
                        "journey placement: {} by touchpoint, {} by the stage given, {} by a theme's stage, {} unplaced",
                        thousands(p.by_touchpoint),
                        thousands(p.by_given_stage),
                        thousands(p.by_theme),
                        thousands(p.unplaced)
                    );
                    if !json.themes.is_empty() {
                        println!(
                            "items per theme (rule tags; a parent counts its children's items):"
                        );
                        for t in &json.themes {
                            println!(
                                "  {:<40} {:>10}",
                                format!("{}{}", "  ".repeat(t.depth), t.theme),
                                thousands(t.items)
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn tag(url: &DbUrl, args: &TagArgs) -> Result<ExitCode> {
    if !args.all {
        anyhow::bail!(
            "say which items: `trove tag --all` (items are tagged at import when a taxonomy is loaded)"
        );
    }
    let app = trove_app::App::new(url.open()?);
    let filter = FeedbackFilter {
        source: args.source.clone(),
        ..FeedbackFilter::default()
    };
    let bar = Bar::new(false);
    let started = std::time::Instant::now();
    let report = app.tag_all(&filter, &bar).map_err(anyhow::Error::msg);
    bar.finish();
    let Some(report) = report? else {
        eprintln!("no taxonomy is loaded in {url}: load one with `trove taxonomy load FILE.toml`");
        return Ok(ExitCode::FAILURE);
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => println!(
            "tagged {} items with taxonomy version {} in {:.1} s: {} carry a theme ({:.1}%), {} tags",
            thousands(report.items),
            report.version,
            started.elapsed().as_secs_f64(),
            thousands(report.tagged),
            share(report.tagged, report.items) * 100.0,
            thousands(report.tags)
        ),
    }
    Ok(ExitCode::SUCCESS)
}
