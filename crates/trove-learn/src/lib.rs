//! `trove-learn`: learning from labelled feedback, and measuring how well it works.
//!
//! - [`Classifier`]: a text classifier trained from labelled examples. Features are TF-IDF
//!   weights of word 1-2-grams and character 2-4-grams taken within words (as scikit-learn's
//!   `char_wb`; both ranges are options), each block L2-normalised; the model is a one-vs-rest
//!   linear SVM (L2-regularised squared hinge loss) trained by dual coordinate descent (Hsieh
//!   et al. 2008, the liblinear algorithm), classes spread over threads, optionally with
//!   balanced class weights ([`ClassWeight`]). Multi-class ([`Classifier::predict`], argmax;
//!   [`Classifier::predict_label`], which may abstain) and multi-label
//!   ([`Classifier::train_multi`], [`Classifier::predict_multi`]). Per-label decision
//!   thresholds are chosen on out-of-fold scores when asked ([`TrainOptions::threshold_folds`],
//!   [`Classifier::thresholds`]); without them multi-label cuts at 0 and multi-class never
//!   abstains.
//!   A trained model round-trips through [`Classifier::to_bytes`] / [`Classifier::from_bytes`].
//!   [`train_linear`] trains the same SVMs on feature rows a caller computed (the learned
//!   sentiment model's hashed n-grams).
//! - [`metrics`]: accuracy, per-class precision / recall / F1, macro-F1, the confusions most
//!   often made, micro- and macro-F1 for multi-label, and NMI / ARI of a clustering against
//!   labels.
//! - [`cluster`]: spherical k-means over the same features, deterministic for a seed, with
//!   representative items per cluster (for theme discovery).
//! - [`ward`]: Ward's agglomerative clustering of dense vectors (sentence embeddings) by the
//!   nearest-neighbour chain, cut at a given or estimated k, refined by k-means, with outliers.
//! - [`discover`]: theme discovery over that clustering: each group named by its most
//!   distinctive words (unigrams and bigrams, stop words left out), with distinct
//!   representative texts; and the terms that make a precise rule for a group
//!   ([`discover::rule_terms`]).
//!
//! Pure and deterministic: the same examples and options give the same model, bit for bit.
//! This crate does no IO (callers read files and pass texts in) and must not depend on the
//! store, any database crate, async runtimes or other Trove crates except `trove-domain`.

pub mod cluster;
pub mod discover;
mod features;
pub mod metrics;
mod model;
mod svm;
pub mod ward;

pub use features::{FeatureOptions, SparseRow, TextFeatures};
pub use model::{
    ClassWeight, Classifier, LearnError, LinearWeights, Predictor, Task, TrainOptions, train_linear,
};
