//! Sentence embeddings of items (`trove embed`, and discovery with a model): each item's vector
//! is computed once per model and stored with a digest of its text, so a later run embeds only
//! the items it has not seen or whose text changed.
//!
//! The model folder is the one given (`--model DIR`), else the one `TROVE_EMBEDDING_MODEL`
//! names ([`embedding_model_dir`]); nothing is downloaded.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use trove_store::{
    FeedbackFilter, ItemEmbedding, StoreError, decode_vector, encode_vector, text_hash,
};

pub use trove_embed::{EmbedError, Embedder};

use crate::{App, Progress};

/// The environment variable naming the default model folder.
pub const EMBEDDING_MODEL_ENV: &str = "TROVE_EMBEDDING_MODEL";

/// Items embedded and stored together: an interrupted run keeps what it finished.
const CHUNK: usize = 2048;

const PAGE: usize = 10_000;

/// The model folder to use: `explicit`, else the one `TROVE_EMBEDDING_MODEL` names (an empty
/// value counts as none).
pub fn embedding_model_dir(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit.or_else(|| {
        std::env::var_os(EMBEDDING_MODEL_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// What embedding a set of items did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedReport {
    /// The model's name (with its weights' digest), as vectors are stored under it.
    pub model: String,
    /// Items with text considered.
    pub items: u64,
    /// Of those, items whose stored vector was used.
    pub stored: u64,
    /// Items embedded now (new, or their text changed).
    pub embedded: u64,
    /// Seconds spent computing vectors.
    pub seconds: f64,
    /// `embedded / seconds` (0 when nothing was embedded).
    pub texts_per_second: f64,
}

impl App {
    /// Embeds every item with text matching `filter` that has no current vector under the
    /// model, and stores the vectors.
    pub fn embed_items(
        &self,
        embedder: &Embedder,
        filter: &FeedbackFilter,
        progress: &dyn Progress,
    ) -> Result<EmbedReport, StoreError> {
        progress.stage("reading texts");
        let mut items: Vec<(i64, String)> = Vec::new();
        self.store().scan_feedback(filter, PAGE, &mut |page| {
            items.extend(
                page.into_iter()
                    .filter(|s| !s.item.text.as_str().trim().is_empty())
                    .map(|s| (s.id, s.item.text.as_str().to_owned())),
            );
            ControlFlow::Continue(())
        })?;
        let refs: Vec<(i64, &str)> = items.iter().map(|(id, t)| (*id, t.as_str())).collect();
        self.item_vectors(embedder, &refs, progress)
            .map(|(_, report)| report)
    }

    /// The vectors of `items` (id and text) in order: stored ones whose text is unchanged are
    /// read back, the others embedded and stored, `CHUNK` at a time.
    pub(crate) fn item_vectors(
        &self,
        embedder: &Embedder,
        items: &[(i64, &str)],
        progress: &dyn Progress,
    ) -> Result<(Vec<Vec<f32>>, EmbedReport), StoreError> {
        let store = self.store();
        let model = embedder.name();
        progress.stage("reading stored vectors");
        let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
        let stored: std::collections::HashMap<i64, ItemEmbedding> = store
            .embeddings(model, &ids)?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let mut vectors: Vec<Vec<f32>> = Vec::with_capacity(items.len());
        let mut missing: Vec<usize> = Vec::new();
        for (i, (id, text)) in items.iter().enumerate() {
            match stored.get(id) {
                Some(e) if e.text_hash == text_hash(text) => vectors.push(e.vector.clone()),
                _ => {
                    vectors.push(Vec::new());
                    missing.push(i);
                }
            }
        }
        drop(stored);
        progress.stage(&format!("embedding {} items", missing.len()));
        progress.set_total(missing.len() as u64);
        let mut seconds = 0.0;
        for (done, chunk) in missing.chunks(CHUNK).enumerate() {
            let texts: Vec<&str> = chunk.iter().map(|&i| items[i].1).collect();
            let started = Instant::now();
            let computed = embedder.embed(&texts);
            seconds += started.elapsed().as_secs_f64();
            // Used as stored (quantised), so this run and later ones cluster the same vectors.
            let rows: Vec<ItemEmbedding> = chunk
                .iter()
                .zip(computed)
                .map(|(&i, vector)| ItemEmbedding {
                    id: items[i].0,
                    text_hash: text_hash(items[i].1),
                    vector: decode_vector(&encode_vector(&vector)).unwrap_or(vector),
                })
                .collect();
            store.save_embeddings(model, &rows)?;
            for (&i, row) in chunk.iter().zip(rows) {
                vectors[i] = row.vector;
            }
            progress.set_done((done * CHUNK + chunk.len()) as u64);
        }
        let embedded = missing.len() as u64;
        let report = EmbedReport {
            model: model.to_owned(),
            items: items.len() as u64,
            stored: items.len() as u64 - embedded,
            embedded,
            seconds,
            texts_per_second: if embedded > 0 && seconds > 0.0 {
                embedded as f64 / seconds
            } else {
                0.0
            },
        };
        Ok((vectors, report))
    }
}
