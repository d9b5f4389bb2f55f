//! Sentiment labels people give items on the labelling page (`/label`), from which a learned
//! sentiment model is trained: one label per item, a relabel replaces it.

use serde::Serialize;

use crate::StoreResult;

/// What a person said of an item's sentiment (`skip`: they would not say; never trained on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentimentLabel {
    /// The item.
    pub feedback_id: i64,
    /// `negative`, `neutral`, `positive` or `skip`.
    pub label: String,
    /// Who labelled it (their e-mail).
    pub labelled_by: String,
    /// When (unix seconds).
    pub labelled_at: i64,
}

/// A labelled item with what training needs of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledItem {
    /// The label.
    pub label: SentimentLabel,
    /// The item's source.
    pub source: String,
    /// The item's text.
    pub text: String,
}

/// An item that could be labelled next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelCandidate {
    /// The item.
    pub feedback_id: i64,
    /// Its source.
    pub source: String,
    /// Its text.
    pub text: String,
}

/// The sentiment labels' part of a store.
pub trait LabelStore {
    /// Stores a label, replacing the item's earlier one.
    fn set_sentiment_label(&self, label: &SentimentLabel) -> StoreResult<()>;

    /// Every labelled item (skips included) with its source and text, by item id.
    fn labelled_items(&self) -> StoreResult<Vec<LabelledItem>>;

    /// Items without a label and with a non-blank text: per source at most `per_source`, in a
    /// fixed scrambled order (by `(id mod 1000003) × 999983 mod 1000003`, then id), sorted by source then
    /// that order.
    fn label_candidates(&self, per_source: usize) -> StoreResult<Vec<LabelCandidate>>;
}
