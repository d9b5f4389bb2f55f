//! Texts per second of the embedding step on a CSV's text column, and (with a label column)
//! NMI and ARI of spherical k-means on the vectors:
//! `cargo run --release -p trove-embed --example embed_speed -- MODEL_DIR FILE.csv [THREADS]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "an example"
)]

use std::time::Instant;

use trove_embed::Embedder;
use trove_learn::discover::{DiscoverOptions, discover_vectors};
use trove_learn::metrics::{ari, nmi};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut embedder = Embedder::load(args[1].as_ref()).unwrap();
    if let Some(threads) = args.get(3) {
        embedder = embedder.with_threads(threads.parse().unwrap());
    }
    let mut reader = csv::Reader::from_path(&args[2]).unwrap();
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.unwrap();
        texts.push(record[0].to_owned());
        labels.push(record[1].to_owned());
    }
    let tokens: usize = texts.iter().map(|t| embedder.tokenize(t).len()).sum();
    let started = Instant::now();
    let cache = std::env::var("VECTORS_CACHE").ok();
    let vectors: Vec<Vec<f32>> = match cache.as_deref().map(std::fs::read) {
        Some(Ok(bytes)) => bytes
            .chunks_exact(384 * 4)
            .map(|c| {
                c.chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect()
            })
            .collect(),
        _ => {
            let v = embedder.embed(&texts);
            if let Some(path) = &cache {
                let bytes: Vec<u8> = v.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
                std::fs::write(path, bytes).unwrap();
            }
            v
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} texts ({tokens} tokens) in {seconds:.2} s: {:.0} texts/s, {:.0} tokens/s",
        texts.len(),
        texts.len() as f64 / seconds,
        tokens as f64 / seconds
    );
    let k = labels
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    let restarts: usize = std::env::var("RESTARTS")
        .ok()
        .map_or(4, |r| r.parse().unwrap());
    for seed in [1u64, 2, 3, 0x5EED] {
        let started = Instant::now();
        let mut options = DiscoverOptions {
            k: Some(k),
            restarts,
            ..DiscoverOptions::default()
        };
        options.cluster.seed = seed;
        if let Ok(iterations) = std::env::var("ITERATIONS") {
            options.cluster.max_iterations = iterations.parse().unwrap();
            options.cluster.tolerance = 0.0;
        }
        let found = discover_vectors(&texts, &vectors, &options);
        let mut assigned = vec![usize::MAX; texts.len()];
        for (j, topic) in found.topics.iter().enumerate() {
            for &i in &topic.members {
                assigned[i] = j;
            }
        }
        println!(
            "{} passes, k = {k}: NMI {:.4}, ARI {:.4} ({:.1} s)",
            found.iterations,
            nmi(&labels, &assigned),
            ari(&labels, &assigned),
            started.elapsed().as_secs_f64()
        );
    }
}
