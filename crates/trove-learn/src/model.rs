//! The trained classifier: a vectoriser and one linear SVM per label.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::features::{FeatureOptions, HashIndex, Scratch, SparseRow, TextFeatures};
use crate::svm::{Csr, SvmOptions, train_binary};

/// Why a model could not be trained or read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LearnError {
    /// There were no training examples.
    #[error("no training examples")]
    NoExamples,
    /// Texts and labels differ in number.
    #[error("{texts} texts but {labels} labels")]
    LengthMismatch {
        /// How many texts.
        texts: usize,
        /// How many labels.
        labels: usize,
    },
    /// A classifier needs at least two labels.
    #[error("only one label ({0:?}) in the training examples; a classifier needs two or more")]
    OneLabel(String),
    /// Bytes given to [`Classifier::from_bytes`] are not a model this version can read.
    #[error("not a trove-learn model: {0}")]
    Corrupt(&'static str),
}

/// How a classifier is trained.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The features.
    pub features: FeatureOptions,
    /// Inverse regularisation strength of the SVM (scikit-learn's `C`).
    pub c: f64,
    /// Stop a binary problem when the projected-gradient spread falls to this (liblinear's eps).
    pub tolerance: f64,
    /// Most passes over the data per binary problem.
    pub max_iterations: usize,
    /// Threads training labels in parallel (at least 1).
    pub threads: usize,
    /// Seed of the coordinate shuffles.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            features: FeatureOptions::default(),
            c: 1.0,
            tolerance: 0.1,
            max_iterations: 1000,
            threads: std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(8),
            seed: 0x7_2023,
        }
    }
}

/// Reusable buffers for [`Classifier::predict_with`]: one per thread.
#[derive(Default)]
pub struct Predictor {
    scratch: Scratch,
    scores: Vec<f32>,
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Predictor")
    }
}

/// A text classifier: TF-IDF n-gram features and one-vs-rest linear SVMs.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    labels: Vec<String>,
    features: TextFeatures,
    /// Feature-major: the weights of column `c` are `weights[c * k .. (c + 1) * k]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Classifier {
    /// Trains a multi-class classifier: each text has exactly one label.
    pub fn train<T: AsRef<str> + Sync, L: AsRef<str>>(
        texts: &[T],
        labels: &[L],
        options: &TrainOptions,
    ) -> Result<Self, LearnError> {
        if texts.len() != labels.len() {
            return Err(LearnError::LengthMismatch {
                texts: texts.len(),
                labels: labels.len(),
            });
        }
        let sets: Vec<[&str; 1]> = labels.iter().map(|l| [l.as_ref()]).collect();
        Self::train_multi(texts, &sets, options)
    }

    /// Trains a multi-label classifier: each text has any number of labels (possibly none).
    pub fn train_multi<T: AsRef<str> + Sync, S: AsRef<[L]>, L: AsRef<str>>(
        texts: &[T],
        label_sets: &[S],
        options: &TrainOptions,
    ) -> Result<Self, LearnError> {
        if texts.len() != label_sets.len() {
            return Err(LearnError::LengthMismatch {
                texts: texts.len(),
                labels: label_sets.len(),
            });
        }
        if texts.is_empty() {
            return Err(LearnError::NoExamples);
        }
        let mut labels: Vec<String> = label_sets
            .iter()
            .flat_map(|s| s.as_ref().iter().map(|l| l.as_ref().to_owned()))
            .collect();
        labels.sort_unstable();
        labels.dedup();
        if labels.len() < 2 {
            return Err(LearnError::OneLabel(labels.pop().unwrap_or_default()));
        }
        // Each example's label numbers.
        let members: Vec<Vec<usize>> = label_sets
            .iter()
            .map(|s| {
                s.as_ref()
                    .iter()
                    .filter_map(|l| labels.binary_search_by(|x| x.as_str().cmp(l.as_ref())).ok())
                    .collect()
            })
            .collect();
        let features = TextFeatures::fit(texts, &options.features);
        let threads = options.threads.max(1);
        let rows = transform_all(&features, texts, threads);
        let rows = Csr::new(&rows);
        let squared_norms: Vec<f64> = (0..rows.len()).map(|i| rows.squared_norm(i)).collect();
        let columns = features.columns();
        let k = labels.len();
        let next = AtomicUsize::new(0);
        let mut solved: Vec<(usize, Vec<f64>, f64)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads.min(k))
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        let mut positive = vec![false; rows.len()];
                        loop {
                            let class = next.fetch_add(1, Ordering::Relaxed);
                            if class >= k {
                                return done;
                            }
                            for (p, m) in positive.iter_mut().zip(&members) {
                                *p = m.contains(&class);
                            }
                            let svm = SvmOptions {
                                c: options.c,
                                tolerance: options.tolerance,
                                max_iterations: options.max_iterations,
                                seed: options.seed ^ (class as u64).wrapping_mul(0x9E37_79B9),
                            };
                            let (w, b) =
                                train_binary(&rows, &squared_norms, &positive, columns, svm);
                            done.push((class, w, b));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        solved.sort_by_key(|s| s.0);
        let mut weights = vec![0.0f32; columns * k];
        let mut bias = vec![0.0f32; k];
        for (class, w, b) in solved {
            bias[class] = b as f32;
            for (c, v) in w.into_iter().enumerate() {
                weights[c * k + class] = v as f32;
            }
        }
        Ok(Self {
            labels,
            features,
            weights,
            bias,
        })
    }

    /// The labels, in the order of [`Classifier::decision`]'s scores.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The fitted features.
    pub fn features(&self) -> &TextFeatures {
        &self.features
    }

    /// One score per label (positive: the label applies).
    pub fn decision(&self, text: &str) -> Vec<f32> {
        let mut scores = Vec::new();
        self.decision_into(text, &mut Scratch::default(), &mut scores);
        scores
    }

    fn decision_into(&self, text: &str, scratch: &mut Scratch, scores: &mut Vec<f32>) {
        let k = self.labels.len();
        let row = self.features.transform_with(text, scratch);
        scores.clear();
        scores.extend_from_slice(&self.bias);
        for (c, v) in row {
            let w = &self.weights[c as usize * k..(c as usize + 1) * k];
            for (s, &w) in scores.iter_mut().zip(w) {
                *s += v * w;
            }
        }
    }

    /// The label with the highest score, reusing `predictor`'s buffers (no allocation once
    /// they have grown): the fast way to classify many texts on one thread.
    pub fn predict_with<'a>(&'a self, text: &str, predictor: &mut Predictor) -> &'a str {
        self.decision_into(text, &mut predictor.scratch, &mut predictor.scores);
        &self.labels[argmax(&predictor.scores)]
    }

    /// The label with the highest score (ties: the first in label order).
    pub fn predict(&self, text: &str) -> &str {
        let scores = self.decision(text);
        &self.labels[argmax(&scores)]
    }

    /// The predicted label of each text, using `threads` threads.
    pub fn predict_all<T: AsRef<str> + Sync>(&self, texts: &[T], threads: usize) -> Vec<&str> {
        let chunk = texts.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = texts
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut scratch = Scratch::default();
                        let mut scores = Vec::new();
                        part.iter()
                            .map(|t| {
                                self.decision_into(t.as_ref(), &mut scratch, &mut scores);
                                self.labels[argmax(&scores)].as_str()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    /// Every label whose score is positive (multi-label prediction), in label order.
    pub fn predict_multi(&self, text: &str) -> Vec<&str> {
        self.decision(text)
            .iter()
            .zip(&self.labels)
            .filter(|(s, _)| **s > 0.0)
            .map(|(_, l)| l.as_str())
            .collect()
    }

    /// The model as bytes (a versioned little-endian format), for storing.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(16 + self.weights.len() * 4 + self.features.idf.len() * 16);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, VERSION);
        let o = &self.features.options;
        for n in [
            o.word_ngrams.0,
            o.word_ngrams.1,
            o.char_ngrams.0,
            o.char_ngrams.1,
        ] {
            put_u32(&mut out, n as u32);
        }
        put_u32(&mut out, u32::from(o.sublinear_tf));
        put_u32(&mut out, o.min_df);
        put_u32(&mut out, self.labels.len() as u32);
        for l in &self.labels {
            put_u32(&mut out, l.len() as u32);
            out.extend_from_slice(l.as_bytes());
        }
        put_u32(&mut out, self.features.word_columns);
        let mut vocabulary: Vec<(u32, u64)> = self
            .features
            .vocabulary
            .iter()
            .map(|(&h, &c)| (c, h))
            .collect();
        vocabulary.sort_unstable();
        put_u32(&mut out, vocabulary.len() as u32);
        for (c, h) in vocabulary {
            out.extend_from_slice(&h.to_le_bytes());
            put_u32(&mut out, c);
        }
        for v in self
            .features
            .idf
            .iter()
            .chain(&self.weights)
            .chain(&self.bias)
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads a model written by [`Classifier::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let mut r = Reader(bytes);
        if r.take(MAGIC.len())? != MAGIC {
            return Err(LearnError::Corrupt("wrong magic bytes"));
        }
        if r.u32()? != VERSION {
            return Err(LearnError::Corrupt("unknown format version"));
        }
        let mut n = [0usize; 4];
        for x in &mut n {
            *x = r.u32()? as usize;
        }
        let options = FeatureOptions {
            word_ngrams: (n[0], n[1]),
            char_ngrams: (n[2], n[3]),
            sublinear_tf: r.u32()? != 0,
            min_df: r.u32()?,
        };
        let k = r.u32()? as usize;
        let mut labels = Vec::with_capacity(k.min(1 << 16));
        for _ in 0..k {
            let len = r.u32()? as usize;
            let text = std::str::from_utf8(r.take(len)?)
                .map_err(|_| LearnError::Corrupt("label is not UTF-8"))?;
            labels.push(text.to_owned());
        }
        let word_columns = r.u32()?;
        let columns = r.u32()? as usize;
        let mut vocabulary = HashIndex::default();
        vocabulary.reserve(columns.min(bytes.len() / 12));
        for _ in 0..columns {
            let h = u64::from_le_bytes(
                r.take(8)?
                    .try_into()
                    .map_err(|_| LearnError::Corrupt("short"))?,
            );
            let c = r.u32()?;
            if c as usize >= columns {
                return Err(LearnError::Corrupt("column out of range"));
            }
            vocabulary.insert(h, c);
        }
        let idf = r.f32s(columns)?;
        let weights = r.f32s(
            columns
                .checked_mul(k)
                .ok_or(LearnError::Corrupt("too large"))?,
        )?;
        let bias = r.f32s(k)?;
        if !r.0.is_empty() {
            return Err(LearnError::Corrupt("trailing bytes"));
        }
        Ok(Self {
            labels,
            features: TextFeatures {
                options,
                vocabulary,
                word_columns,
                idf,
            },
            weights,
            bias,
        })
    }
}

const MAGIC: &[u8; 8] = b"TROVELRN";
const VERSION: u32 = 1;

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LearnError> {
        if self.0.len() < n {
            return Err(LearnError::Corrupt("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, LearnError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, LearnError> {
        let b = self.take(n.checked_mul(4).ok_or(LearnError::Corrupt("too large"))?)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

fn argmax(scores: &[f32]) -> usize {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = i;
        }
    }
    best
}

fn transform_all<T: AsRef<str> + Sync>(
    features: &TextFeatures,
    texts: &[T],
    threads: usize,
) -> Vec<SparseRow> {
    let chunk = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scratch = Scratch::default();
                    part.iter()
                        .map(|t| features.transform_with(t.as_ref(), &mut scratch))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<&'static str>, Vec<&'static str>) {
        let texts = vec![
            "my card has not arrived",
            "card still not delivered",
            "where is my new card",
            "refund my money please",
            "I want a refund",
            "money back refund now",
            "the app crashes on login",
            "app keeps crashing",
            "cannot log in to the app",
        ];
        let labels = vec![
            "card", "card", "card", "refund", "refund", "refund", "app", "app", "app",
        ];
        (texts, labels)
    }

    #[test]
    fn a_separable_set_is_learned_perfectly() {
        let (texts, labels) = toy();
        let model = Classifier::train(&texts, &labels, &TrainOptions::default()).expect("trains");
        assert_eq!(model.labels(), ["app", "card", "refund"]);
        for (t, l) in texts.iter().zip(&labels) {
            assert_eq!(model.predict(t), *l, "{t}");
        }
        assert_eq!(model.predict_all(&texts, 2), labels);
        assert_eq!(model.predict("my card never arrived"), "card");
        assert_eq!(model.predict("refund please"), "refund");
    }

    #[test]
    fn multi_label() {
        let texts = [
            "late and rude",
            "late flight",
            "rude staff",
            "late again",
            "so rude",
            "fine",
        ];
        let sets: Vec<Vec<&str>> = vec![
            vec!["late", "rude"],
            vec!["late"],
            vec!["rude"],
            vec!["late"],
            vec!["rude"],
            vec![],
        ];
        let model =
            Classifier::train_multi(&texts, &sets, &TrainOptions::default()).expect("trains");
        for (t, s) in texts.iter().zip(&sets) {
            assert_eq!(&model.predict_multi(t), s, "{t}");
        }
    }

    #[test]
    fn deterministic_and_round_trips_through_bytes() {
        let (texts, labels) = toy();
        let options = TrainOptions {
            threads: 2,
            ..TrainOptions::default()
        };
        let a = Classifier::train(&texts, &labels, &options).expect("trains");
        let b = Classifier::train(
            &texts,
            &labels,
            &TrainOptions {
                threads: 1,
                ..options
            },
        )
        .expect("trains");
        assert_eq!(a, b);
        let bytes = a.to_bytes();
        let c = Classifier::from_bytes(&bytes).expect("reads");
        assert_eq!(a, c);
        assert_eq!(c.to_bytes(), bytes);
        assert!(Classifier::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Classifier::from_bytes(b"nonsense").is_err());
    }

    #[test]
    fn bad_input_is_refused() {
        let o = TrainOptions::default();
        assert_eq!(
            Classifier::train(&["a", "b"], &["x"], &o),
            Err(LearnError::LengthMismatch {
                texts: 2,
                labels: 1
            })
        );
        assert_eq!(
            Classifier::train::<&str, &str>(&[], &[], &o),
            Err(LearnError::NoExamples)
        );
        assert_eq!(
            Classifier::train(&["a", "b"], &["x", "x"], &o),
            Err(LearnError::OneLabel("x".into()))
        );
    }
}
