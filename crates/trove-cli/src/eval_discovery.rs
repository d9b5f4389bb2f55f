//! `trove eval --target discovery`: discovery run on a labelled CSV without its labels, scored
//! against them (NMI and ARI, textbook definitions in `trove_learn::metrics`), with the share
//! of texts left in no group (outliers), the speed of the representation step, and which
//! representation was used: sentence embeddings when a model folder is given (`--model DIR`
//! or `TROVE_EMBEDDING_MODEL`), else TF-IDF n-grams, said in the output.
//!
//! K is `--clusters`; without it, with embeddings k is estimated from the vectors (as `trove
//! discover` does, see `trove_learn::ward`), with TF-IDF it is the number of distinct labels
//! (what the labels say is there). Embeddings are clustered as the store keeps them (8-bit),
//! so the figures are those of `trove discover`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::json;
use trove_app::Embedder;
use trove_learn::discover::{DiscoverOptions, discover, discover_vectors};
use trove_learn::metrics::{ari, nmi};
use trove_store::{decode_vector, encode_vector};

use crate::Format;

/// What `trove eval --target discovery` needs.
pub struct EvalDiscovery<'a> {
    /// The labelled CSV.
    pub data: &'a Path,
    /// Its text column.
    pub text_column: &'a str,
    /// Its label column.
    pub label_column: &'a str,
    /// K (default: estimated with embeddings, the number of distinct labels with TF-IDF).
    pub clusters: Option<usize>,
    /// The embedding model folder (none: TF-IDF).
    pub model: Option<&'a PathBuf>,
    /// K-means seed.
    pub seed: u64,
    /// Output format.
    pub format: Format,
}

/// Reads the texts and labels; rows with an empty text or label are skipped and counted.
fn read(
    path: &Path,
    text_column: &str,
    label_column: &str,
) -> Result<(Vec<String>, Vec<String>, u64)> {
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
    let (text, label) = (column(text_column)?, column(label_column)?);
    let (mut texts, mut labels, mut skipped) = (Vec::new(), Vec::new(), 0);
    for (n, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} record {}", path.display(), n + 1))?;
        let t = record.get(text).unwrap_or("").trim();
        let l = record.get(label).unwrap_or("").trim();
        if t.is_empty() || l.is_empty() {
            skipped += 1;
            continue;
        }
        texts.push(t.to_owned());
        labels.push(l.to_owned());
    }
    Ok((texts, labels, skipped))
}

/// Runs `trove eval --target discovery`.
pub fn run(args: &EvalDiscovery<'_>) -> Result<ExitCode> {
    let (texts, labels, skipped) = read(args.data, args.text_column, args.label_column)?;
    if texts.is_empty() {
        bail!(
            "{} has no row with both a text and a label",
            args.data.display()
        );
    }
    let distinct = labels.iter().collect::<HashSet<_>>().len();
    let k = match (args.clusters, args.model) {
        (None, Some(_)) => None,
        (clusters, _) => Some(clusters.unwrap_or(distinct).clamp(1, texts.len())),
    };
    let mut options = DiscoverOptions {
        k,
        ..DiscoverOptions::default()
    };
    options.cluster.seed = args.seed;
    options.vectors.seed = args.seed;
    let started = Instant::now();
    let (found, representation, model, speed) = match args.model {
        Some(dir) => {
            let embedder = Embedder::load(dir)?;
            let embedding = Instant::now();
            let vectors: Vec<Vec<f32>> = embedder
                .embed(&texts)
                .into_iter()
                .map(|v| decode_vector(&encode_vector(&v)).unwrap_or(v))
                .collect();
            let speed = texts.len() as f64 / embedding.elapsed().as_secs_f64();
            let found = discover_vectors(&texts, &vectors, &options);
            (found, "embeddings", Some(embedder.name().to_owned()), speed)
        }
        None => {
            let found = discover(&texts, &options);
            let speed = texts.len() as f64 / started.elapsed().as_secs_f64();
            (found, "tf-idf", None, speed)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let (k, k_estimated) = (found.k, found.k_estimated);
    let mut assigned = vec![usize::MAX; texts.len()];
    for (j, topic) in found.topics.iter().enumerate() {
        for &i in &topic.members {
            assigned[i] = j;
        }
    }
    // Texts in no group count as one more group of their own in NMI and ARI.
    let (nmi, ari) = (nmi(&labels, &assigned), ari(&labels, &assigned));
    let outlier_share = found.unassigned.len() as f64 / texts.len() as f64;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "target": "discovery",
                "representation": representation,
                "model": model,
                "texts": texts.len(),
                "skipped_rows": skipped,
                "labels": distinct,
                "k": k,
                "k_estimated": k_estimated,
                "clusters": found.topics.len(),
                "nmi": nmi,
                "ari": ari,
                "outlier_share": outlier_share,
                "texts_per_second": speed,
                "threads": threads,
                "seconds": seconds,
            }))?
        ),
        Format::Human => {
            match &model {
                Some(m) => println!(
                    "representation: sentence embeddings ({m}), {speed:.0} texts/s on {threads} threads"
                ),
                None => println!(
                    "representation: TF-IDF word and character n-grams (no embedding model: give \
                     --model DIR or set TROVE_EMBEDDING_MODEL); features and clustering {speed:.0} texts/s"
                ),
            }
            let how = if k_estimated { " (estimated)" } else { "" };
            println!(
                "{} texts ({} skipped without text or label), {distinct} labels, k = {k}{how}: {} clusters",
                texts.len(),
                skipped,
                found.topics.len()
            );
            println!(
                "NMI {nmi:.4}  ARI {ari:.4}  outlier share {:.2}% (counted as one more group)  ({seconds:.1} s in all)",
                outlier_share * 100.0
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
