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
    /// Seed of the coordinate shuffles and of the folds.
    pub seed: u64,
    /// How the rows of each label weigh against the others.
    pub class_weight: ClassWeight,
    /// Folds of the cross-fitting that chooses each label's decision threshold (below 2:
    /// no thresholds, the model never abstains and multi-label cuts at 0).
    pub threshold_folds: usize,
}

/// How the rows of each label weigh in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassWeight {
    /// Every row weighs the same (C for every row).
    #[default]
    Uniform,
    /// liblinear's and scikit-learn's `balanced`: in label c's one-vs-rest problem its own
    /// rows get C × n / (k × n_c) (n rows, k labels, n_c rows carrying c), the rest C, so a
    /// rare label is not drowned by the others.
    Balanced,
}

/// What a text may carry, which decides how thresholds are chosen and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// At most one label: the best-scoring one, or none when its score is under its
    /// label's threshold.
    OneLabel,
    /// Any number of labels: every label scored at or above its threshold.
    AnyLabels,
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
            class_weight: ClassWeight::Uniform,
            threshold_folds: 0,
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
    /// Each label's decision threshold, chosen on out-of-fold scores (None: not chosen).
    thresholds: Option<Vec<f32>>,
    /// The last of `labels` is a learned "no label" class (one-label training with texts no
    /// label applies to): when it scores best, the model gives no label.
    none_class: bool,
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
        Self::train_sets(texts, &sets, Task::OneLabel, options)
    }

    /// Trains a multi-label classifier: each text has any number of labels (possibly none).
    pub fn train_multi<T: AsRef<str> + Sync, S: AsRef<[L]>, L: AsRef<str>>(
        texts: &[T],
        label_sets: &[S],
        options: &TrainOptions,
    ) -> Result<Self, LearnError> {
        Self::train_sets(texts, label_sets, Task::AnyLabels, options)
    }

    /// Trains a classifier on texts with label sets: for [`Task::OneLabel`] a set holds one
    /// label, or none for a text no label applies to (a negative for every label, which
    /// teaches the thresholds to abstain). With `options.threshold_folds` of 2 or more, each
    /// label's threshold is then chosen on out-of-fold scores (see [`Classifier::thresholds`]).
    pub fn train_sets<T: AsRef<str> + Sync, S: AsRef<[L]>, L: AsRef<str>>(
        texts: &[T],
        label_sets: &[S],
        task: Task,
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
        let mut members: Vec<Vec<usize>> = label_sets
            .iter()
            .map(|s| {
                s.as_ref()
                    .iter()
                    .filter_map(|l| labels.binary_search_by(|x| x.as_str().cmp(l.as_ref())).ok())
                    .collect()
            })
            .collect();
        // One label per text, some with none: "no label" is learned as a class of its own, so
        // the model knows what such texts look like rather than only how unlike the others.
        let none_class = task == Task::OneLabel && members.iter().any(Vec::is_empty);
        if none_class {
            let none = labels.len();
            labels.push(String::new());
            members
                .iter_mut()
                .filter(|m| m.is_empty())
                .for_each(|m| m.push(none));
        }
        let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        let mut model = fit(&texts, &members, labels.clone(), options);
        model.none_class = none_class;
        let folds = options.threshold_folds;
        if folds >= 2 && texts.len() >= 2 * folds {
            let scores = out_of_fold_scores(&texts, &members, &labels, options);
            let mut thresholds = choose_thresholds(&scores, &members, task);
            if none_class {
                // Scoring best for "no label" gives no label whatever its score.
                thresholds.pop();
                thresholds.push(f32::NEG_INFINITY);
            }
            model.thresholds = Some(thresholds);
        }
        Ok(model)
    }

    /// Each label's decision threshold, when chosen at training: the score cut that gave the
    /// label its best F1 on out-of-fold scores (cross-fitting: each row scored by a model
    /// trained without its fold). [`Task::OneLabel`]: among the rows whose best label it is,
    /// the cut keeping the best F1 (ties: the lowest cut, abstaining least; `-inf` when
    /// keeping all is best). [`Task::AnyLabels`]: over all rows (ties: the cut nearest 0; 0
    /// when the label was never found). A cut sits halfway between the last score kept and
    /// the next.
    pub fn thresholds(&self) -> Option<&[f32]> {
        self.thresholds.as_deref()
    }

    /// The labels, in the order of [`Classifier::decision`]'s scores.
    pub fn labels(&self) -> &[String] {
        &self.labels[..self.labels.len() - usize::from(self.none_class)]
    }

    /// Whether the model learned a "no label" class (its score comes last in
    /// [`Classifier::decision`]).
    pub fn has_none_class(&self) -> bool {
        self.none_class
    }

    /// The fitted features.
    pub fn features(&self) -> &TextFeatures {
        &self.features
    }

    /// One score per label (positive: the label applies), then the "no label" class's when
    /// the model has one.
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

    /// [`Classifier::decision`] reusing `predictor`'s buffers (no allocation once they have
    /// grown): the scores stay in the predictor until its next use.
    pub fn decision_with<'p>(&self, text: &str, predictor: &'p mut Predictor) -> &'p [f32] {
        self.decision_into(text, &mut predictor.scratch, &mut predictor.scores);
        &predictor.scores
    }

    /// The label with the highest score, reusing `predictor`'s buffers (no allocation once
    /// they have grown): the fast way to classify many texts on one thread.
    pub fn predict_with<'a>(&'a self, text: &str, predictor: &mut Predictor) -> &'a str {
        self.decision_into(text, &mut predictor.scratch, &mut predictor.scores);
        &self.labels[argmax(self.forced(&predictor.scores))]
    }

    /// The scores of the real labels only (a best label is asked for).
    fn forced<'s>(&self, scores: &'s [f32]) -> &'s [f32] {
        &scores[..self.labels().len()]
    }

    /// The label with the highest score (ties: the first in label order).
    pub fn predict(&self, text: &str) -> &str {
        let scores = self.decision(text);
        &self.labels[argmax(self.forced(&scores))]
    }

    /// The predicted label of each text, using `threads` threads.
    pub fn predict_all<T: AsRef<str> + Sync>(&self, texts: &[T], threads: usize) -> Vec<&str> {
        self.map_scores(texts, threads, |scores| {
            self.labels[argmax(self.forced(scores))].as_str()
        })
    }

    /// `pick` applied to each text's decision scores, the texts split over `threads` threads
    /// (each with its own scratch), in input order.
    fn map_scores<T: AsRef<str> + Sync, R: Send>(
        &self,
        texts: &[T],
        threads: usize,
        pick: impl Fn(&[f32]) -> R + Sync,
    ) -> Vec<R> {
        let chunk = texts.len().div_ceil(threads.max(1)).max(1);
        let pick = &pick;
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
                                pick(&scores)
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

    /// Every label scored at or above its threshold (multi-label prediction; without chosen
    /// thresholds: every label scored above 0), in label order.
    pub fn predict_multi(&self, text: &str) -> Vec<&str> {
        self.decision(text)
            .iter()
            .enumerate()
            .take(self.labels().len())
            .filter(|&(i, s)| match &self.thresholds {
                Some(t) => *s >= t[i],
                None => *s > 0.0,
            })
            .map(|(i, _)| self.labels[i].as_str())
            .collect()
    }

    /// The best-scoring label, or None when its score is under that label's threshold (the
    /// model abstains). Without chosen thresholds this is [`Classifier::predict`].
    pub fn predict_label(&self, text: &str) -> Option<&str> {
        let scores = self.decision(text);
        self.keep(&scores)
    }

    fn keep(&self, scores: &[f32]) -> Option<&str> {
        let best = argmax(scores);
        match &self.thresholds {
            _ if self.none_class && best == self.labels.len() - 1 => None,
            Some(t) if scores[best] < t[best] => None,
            _ => Some(self.labels[best].as_str()),
        }
    }

    /// [`Classifier::predict_label`] of each text, using `threads` threads.
    pub fn predict_labels_all<T: AsRef<str> + Sync>(
        &self,
        texts: &[T],
        threads: usize,
    ) -> Vec<Option<&str>> {
        self.map_scores(texts, threads, |scores| self.keep(scores))
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
        put_u32(&mut out, u32::from(self.thresholds.is_some()));
        for v in self.thresholds.iter().flatten() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        put_u32(&mut out, u32::from(self.none_class));
        out
    }

    /// Reads a model written by [`Classifier::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let mut r = Reader(bytes);
        if r.take(MAGIC.len())? != MAGIC {
            return Err(LearnError::Corrupt("wrong magic bytes"));
        }
        let version = r.u32()?;
        if !(1..=VERSION).contains(&version) {
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
        // Version 1 had no thresholds.
        let thresholds = match version {
            1 => None,
            _ => match r.u32()? {
                0 => None,
                1 => Some(r.f32s(k)?),
                _ => return Err(LearnError::Corrupt("bad thresholds flag")),
            },
        };
        let none_class = version > 1 && r.u32()? != 0;
        if none_class && k == 0 {
            return Err(LearnError::Corrupt("a no-label class without labels"));
        }
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
            thresholds,
            none_class,
        })
    }
}

const MAGIC: &[u8; 8] = b"TROVELRN";
/// 2 added the thresholds.
const VERSION: u32 = 2;

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

/// Fits the features and one SVM per label on these rows (`members[i]`: row i's labels).
fn fit(
    texts: &[&str],
    members: &[Vec<usize>],
    labels: Vec<String>,
    options: &TrainOptions,
) -> Classifier {
    let features = TextFeatures::fit(texts, &options.features);
    let threads = options.threads.max(1);
    let rows = transform_all(&features, texts, threads);
    let linear = solve(
        &Csr::new(&rows),
        members,
        labels.len(),
        features.columns(),
        options,
    );
    Classifier {
        labels,
        features,
        weights: linear.weights,
        bias: linear.bias,
        thresholds: None,
        none_class: false,
    }
}

/// The weights of a one-vs-rest linear model over `columns` features and `k` classes.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearWeights {
    /// Feature-major: the weights of column `c` are `weights[c * k .. (c + 1) * k]`.
    pub weights: Vec<f32>,
    /// One bias per class.
    pub bias: Vec<f32>,
}

/// Trains one linear SVM per class on rows of features the caller computed (such as hashed
/// n-grams): `rows[i]` holds `(column, value)` pairs with columns below `columns` (unsorted is
/// fine, no column twice), `classes[i]` its class below `k`. The same SVM, class weights,
/// seed and threads as [`Classifier::train`] (`options.features` is not used).
pub fn train_linear(
    rows: &[SparseRow],
    classes: &[usize],
    k: usize,
    columns: usize,
    options: &TrainOptions,
) -> Result<LinearWeights, LearnError> {
    if rows.len() != classes.len() {
        return Err(LearnError::LengthMismatch {
            texts: rows.len(),
            labels: classes.len(),
        });
    }
    if rows.is_empty() {
        return Err(LearnError::NoExamples);
    }
    let in_range = rows.iter().flatten().all(|&(c, _)| (c as usize) < columns);
    if !in_range || classes.iter().any(|&c| c >= k) {
        return Err(LearnError::Corrupt("a column or class out of range"));
    }
    let members: Vec<Vec<usize>> = classes.iter().map(|&c| vec![c]).collect();
    Ok(solve(&Csr::new(rows), &members, k, columns, options))
}

/// One SVM per class over the rows, classes spread over threads.
fn solve(
    rows: &Csr,
    members: &[Vec<usize>],
    k: usize,
    columns: usize,
    options: &TrainOptions,
) -> LinearWeights {
    let threads = options.threads.max(1);
    let squared_norms: Vec<f64> = (0..rows.len()).map(|i| rows.squared_norm(i)).collect();
    let mut carrying = vec![0usize; k];
    for m in members {
        for &c in m {
            carrying[c] += 1;
        }
    }
    let c_positive = |class: usize| match options.class_weight {
        ClassWeight::Balanced if carrying[class] > 0 => {
            options.c * rows.len() as f64 / (k * carrying[class]) as f64
        }
        _ => options.c,
    };
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
                        for (p, m) in positive.iter_mut().zip(members) {
                            *p = m.contains(&class);
                        }
                        let svm = SvmOptions {
                            c: options.c,
                            c_positive: c_positive(class),
                            tolerance: options.tolerance,
                            max_iterations: options.max_iterations,
                            seed: options.seed ^ (class as u64).wrapping_mul(0x9E37_79B9),
                        };
                        let (w, b) = train_binary(rows, &squared_norms, &positive, columns, svm);
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
    LinearWeights { weights, bias }
}

/// Every row's scores from a model trained without the row's fold (folds dealt from a
/// seeded shuffle), so thresholds are chosen on scores of unseen rows.
fn out_of_fold_scores(
    texts: &[&str],
    members: &[Vec<usize>],
    labels: &[String],
    options: &TrainOptions,
) -> Vec<Vec<f32>> {
    let folds = options.threshold_folds;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    let mut rng = crate::svm::SplitMix::new(options.seed ^ 0x00F0_1D5E);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut fold_of = vec![0; texts.len()];
    for (position, &row) in order.iter().enumerate() {
        fold_of[row] = position % folds;
    }
    let mut scores = vec![Vec::new(); texts.len()];
    for fold in 0..folds {
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            (0..texts.len()).partition(|&i| fold_of[i] != fold);
        let train_texts: Vec<&str> = inside.iter().map(|&i| texts[i]).collect();
        let train_members: Vec<Vec<usize>> = inside.iter().map(|&i| members[i].clone()).collect();
        let model = fit(&train_texts, &train_members, labels.to_vec(), options);
        let mut scratch = Scratch::default();
        for i in outside {
            model.decision_into(texts[i], &mut scratch, &mut scores[i]);
        }
    }
    scores
}

/// Each label's threshold: the cut of its best F1 on the out-of-fold scores (see
/// [`Classifier::thresholds`]).
fn choose_thresholds(scores: &[Vec<f32>], members: &[Vec<usize>], task: Task) -> Vec<f32> {
    let k = scores.first().map_or(0, Vec::len);
    (0..k)
        .map(|label| {
            let support = members.iter().filter(|m| m.contains(&label)).count();
            // (score, whether the row carries the label) of the rows the label could go to.
            let mut candidates: Vec<(f32, bool)> = scores
                .iter()
                .zip(members)
                .filter(|(s, _)| task == Task::AnyLabels || argmax(s) == label)
                .map(|(s, m)| (s[label], m.contains(&label)))
                .collect();
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
            best_cut(&candidates, support, task)
        })
        .collect()
}

/// One-label cuts within this much F1 of the best count as tied (out-of-fold F1 of a label
/// with a few hundred rows moves by more than this from one seed to the next), so the model
/// abstains only where that clearly pays.
const F1_NOISE: f64 = 0.01;

/// The threshold keeping the best F1 over `candidates` (sorted by score, highest first).
fn best_cut(candidates: &[(f32, bool)], support: usize, task: Task) -> f32 {
    let (mut tp, mut fp) = (0usize, 0usize);
    // (F1, threshold) of each cut between two different scores, and of keeping all.
    let mut cuts: Vec<(f64, f32)> = Vec::new();
    for (j, &(score, carries)) in candidates.iter().enumerate() {
        if carries {
            tp += 1;
        } else {
            fp += 1;
        }
        let next = candidates.get(j + 1).map(|c| c.0);
        if next == Some(score) {
            continue;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + (support - tp)) as f64;
        let threshold = next.map_or(f32::NEG_INFINITY, |n| (score + n) / 2.0);
        cuts.push((f1, threshold));
    }
    let best = cuts.iter().map(|c| c.0).fold(0.0, f64::max);
    match task {
        Task::OneLabel if best <= 0.0 => f32::NEG_INFINITY,
        Task::OneLabel => cuts
            .iter()
            .filter(|c| c.0 >= best - F1_NOISE)
            .map(|c| c.1)
            .fold(f32::INFINITY, f32::min),
        Task::AnyLabels if best <= 0.0 => 0.0,
        Task::AnyLabels => cuts
            .iter()
            .filter(|c| c.0 >= best)
            .map(|c| c.1)
            .min_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(0.0),
    }
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
    fn the_cut_of_the_best_f1_worked_by_hand() {
        // Label carried by 4 rows, 1 of them scored best for another label (a miss whatever
        // the cut). Cuts: keep 1 → F1 2/5 = 0.4; 2 → 4/6 = 0.667; 3 → 4/7 = 0.571;
        // 4 → 6/8 = 0.75 (best); 5 → 6/9 = 0.667. The cut sits halfway between 0.5 and 0.2.
        let c = [
            (2.0, true),
            (1.5, true),
            (1.0, false),
            (0.5, true),
            (0.2, false),
        ];
        assert_eq!(best_cut(&c, 4, Task::OneLabel), 0.35);
        assert_eq!(best_cut(&c, 4, Task::AnyLabels), 0.35);
        // A tie (keep 1: 2/3; keep all: 4/6): one label abstains least, any-labels keeps the
        // cut nearest 0.
        let c = [(1.0, true), (0.5, false), (0.2, false), (0.1, true)];
        assert_eq!(best_cut(&c, 2, Task::OneLabel), f32::NEG_INFINITY);
        assert_eq!(best_cut(&c, 2, Task::AnyLabels), 0.75);
        // Equal scores are never split; never right: a one-label model keeps all, any-labels
        // keeps 0.
        let c = [(1.0, true), (1.0, false), (0.0, true)];
        assert_eq!(best_cut(&c, 2, Task::OneLabel), f32::NEG_INFINITY);
        let c = [(1.0, false), (0.5, false)];
        assert_eq!(best_cut(&c, 3, Task::OneLabel), f32::NEG_INFINITY);
        assert_eq!(best_cut(&c, 3, Task::AnyLabels), 0.0);
        assert_eq!(best_cut(&[], 0, Task::OneLabel), f32::NEG_INFINITY);
    }

    #[test]
    fn texts_no_label_fits_are_left_without_one() {
        let mut texts = Vec::new();
        let mut sets: Vec<Vec<&str>> = Vec::new();
        let words = [
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
        ];
        for i in 0..30 {
            let w = words[i % words.len()];
            texts.push(format!("my card {w} was declined"));
            sets.push(vec!["card"]);
            texts.push(format!("refund {w} is late"));
            sets.push(vec!["refund"]);
            texts.push(format!("thanks {w} great service"));
            sets.push(vec![]);
        }
        let options = TrainOptions {
            threshold_folds: 3,
            ..TrainOptions::default()
        };
        let model =
            Classifier::train_sets(&texts, &sets, Task::OneLabel, &options).expect("trains");
        // Two labels and the learned "no label" class (which wins whatever its score).
        assert!(model.has_none_class());
        assert_eq!(model.labels(), ["card", "refund"]);
        let thresholds = model.thresholds().expect("chosen");
        assert_eq!(thresholds.len(), 3);
        assert_eq!(thresholds[2], f32::NEG_INFINITY);
        assert_eq!(
            model.predict_label("my card was declined again"),
            Some("card")
        );
        assert_eq!(model.predict_label("thanks, great service"), None);
        let all = model.predict_labels_all(&["refund late", "great service thanks"], 2);
        assert_eq!(all, [Some("refund"), None]);
        let copy = Classifier::from_bytes(&model.to_bytes()).expect("reads");
        assert_eq!(copy, model);
        // Without folds no threshold is chosen; the "no label" class still abstains, and a
        // best label, when asked for, is always a real one.
        let plain = Classifier::train_sets(&texts, &sets, Task::OneLabel, &TrainOptions::default())
            .expect("trains");
        assert_eq!(plain.thresholds(), None);
        assert_eq!(plain.predict_label("thanks, great service"), None);
        assert!(["card", "refund"].contains(&plain.predict("thanks, great service")));
    }

    #[test]
    fn balanced_weights_change_nothing_when_labels_are_equally_common() {
        // n / (k × n_c) = 9 / (3 × 3) = 1 for every label.
        let (texts, labels) = toy();
        let balanced = TrainOptions {
            class_weight: ClassWeight::Balanced,
            ..TrainOptions::default()
        };
        assert_eq!(
            Classifier::train(&texts, &labels, &balanced),
            Classifier::train(&texts, &labels, &TrainOptions::default())
        );
        // Unequal labels (card 6 of 12 rows: weight 12 / (3 × 6) = 2/3; refund and app 4/3):
        // the model differs.
        let mut texts = texts.clone();
        let mut labels = labels.clone();
        texts.extend(["card lost", "card stolen", "card gone"]);
        labels.extend(["card"; 3]);
        assert_ne!(
            Classifier::train(&texts, &labels, &balanced),
            Classifier::train(&texts, &labels, &TrainOptions::default())
        );
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
