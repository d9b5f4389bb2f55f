//! The classifier end to end on banking77: `trove train` on train.csv, `trove import` of
//! test.csv (whose `category` is stored as a source theme), `trove classify`, then the model's
//! stored tags compared with the source themes item by item, read back through the store.
//! Skipped with a message when `../shared/data/banking77` is absent. To see the figures:
//! `cargo test -p trove-cli --test classify -- --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code"
)]

mod common;

use common::{json, ok};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use trove_store::{FeedbackFilter, Store, ThemeOrigin};
use trove_store_sqlite::SqliteStore;

const BANKING77: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/banking77"
);

/// Each item's themes of one origin.
fn themes(store: &SqliteStore, origin: ThemeOrigin) -> BTreeMap<i64, Vec<String>> {
    let mut out = BTreeMap::new();
    store
        .scan_item_themes(&FeedbackFilter::default(), origin, 1000, &mut |page| {
            out.extend(page.into_iter().map(|i| (i.id, i.themes)));
            ControlFlow::Continue(())
        })
        .unwrap();
    out
}

#[test]
fn a_model_trained_on_banking77_labels_the_imported_test_set_as_its_source_coded() {
    let (train, test) = (
        format!("{BANKING77}/train.csv"),
        format!("{BANKING77}/test.csv"),
    );
    if !Path::new(&train).exists() || !Path::new(&test).exists() {
        eprintln!("skipped: {BANKING77} is absent");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b77.db");

    assert!(ok(&db, &["models"]).contains("no models"));
    let trained = json(
        &db,
        &[
            "train",
            "--labels",
            &train,
            "--text-column",
            "text",
            "--label-column",
            "category",
            "--format",
            "json",
        ],
    );
    eprintln!("trained: {trained}");
    assert_eq!(trained["version"], 1);
    assert_eq!(trained["classes"], 77);
    let accuracy = trained["accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.85, "held-out accuracy {accuracy}");
    assert!(trained["macro_f1"].as_f64().unwrap() >= 0.85);

    ok(
        &db,
        &["import", &test, "--mapping", "mappings/banking77.toml"],
    );
    let classified = json(&db, &["classify", "--format", "json"]);
    let items = classified["items"].as_u64().unwrap();
    assert!(items > 3000, "{items} items");
    assert_eq!(classified["classified"].as_u64(), Some(items));
    assert_eq!(classified["version"], 1);
    assert_eq!(
        classified["new_themes"], 0,
        "the labels' theme ids are those of the source-coded categories"
    );

    let store = SqliteStore::open(&db).unwrap();
    let model = themes(&store, ThemeOrigin::Model);
    let source = themes(&store, ThemeOrigin::Source);
    let agree = source
        .iter()
        .filter(|(id, coded)| coded.len() == 1 && model.get(id) == Some(coded))
        .count();
    let agreement = agree as f64 / source.len() as f64;
    eprintln!(
        "held-out accuracy {accuracy:.4}; model tags agree with the category on {agree} of {} \
         imported test items ({agreement:.4})",
        source.len()
    );
    assert!(agreement >= 0.85, "agreement {agreement}");
    assert!(model.values().all(|t| t.len() == 1));
    let any = themes(&store, ThemeOrigin::Any);
    assert!(
        any.iter()
            .all(|(id, t)| t.len() == if model[id] == source[id] { 1 } else { 2 }),
        "`any` is the union of source and model themes, each once"
    );

    // `trove models` lists the model with its metrics.
    let listed = json(&db, &["models", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(ok(&db, &["models"]).contains("default"));
}
