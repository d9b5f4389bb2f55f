//! The labelling page's use cases: which item to label next, storing a label, and training the
//! learned sentiment model from the stored labels.
//!
//! **The sample** is stratified by source and by the lexicon's reading of the text (negative /
//! neutral / positive), with equal allocation: the next item comes from the stratum with the
//! fewest items labelled (or skipped) so far, ties broken by source then reading, and within a
//! stratum in the store's fixed scrambled order. So the first labels cover every source and
//! every reading, and a class the lexicon rarely sees (a source's complaints, say) is not
//! drowned by the common one. Only unlabelled items are offered (a skipped item counts as
//! seen); an item is relabelled by labelling it again by its id.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;
use trove_store::{SentimentLabel, StoreError};
use trove_text::SentimentScorer;
use trove_text::sentiment::Label;

use crate::App;
use crate::sentiment::{
    SENTIMENT_MODEL, SentimentError, SentimentRows, SentimentTrainReport, SentimentTrainSpec,
    parse_sentiment_label,
};

/// Candidates read per source to choose the next item from.
const CANDIDATES_PER_SOURCE: usize = 60;
/// The `labels_file` recorded with a model trained from the stored labels.
pub const STORED_LABELS: &str = "labels given on /label";

/// Why a label could not be stored.
#[derive(Debug, Error)]
pub enum LabelError {
    /// The label is not one of the four.
    #[error("{0:?} is not a label: use negative, neutral, positive or skip")]
    BadLabel(String),
    /// No such item.
    #[error("there is no item {0}")]
    NoItem(i64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An item offered for labelling.
#[derive(Debug, Clone, Serialize)]
pub struct LabelItem {
    /// The item's id.
    pub id: i64,
    /// Its source.
    pub source: String,
    /// Its text.
    pub text: String,
    /// The lexicon's reading (its stratum), not shown to the labeller.
    pub lexicon: &'static str,
}

/// What the labelling page shows.
#[derive(Debug, Clone, Serialize)]
pub struct LabelQueue {
    /// The next item to label (None: every item with a text is labelled or skipped).
    pub next: Option<LabelItem>,
    /// Labels stored per label (`negative`, `neutral`, `positive`, `skip`).
    pub counts: BTreeMap<String, usize>,
    /// Items labelled negative, neutral or positive (skips left out).
    pub labelled: usize,
}

/// The newest default sentiment model, as the labelling page reports it.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentModelNote {
    /// Its version.
    pub version: i64,
    /// What it was trained on (a file's name, or [`STORED_LABELS`]).
    pub trained_on: String,
    /// Labelled rows it was trained on.
    pub examples: u64,
    /// Held-out rows, and the model's and the lexicon's macro-F1 on them (None: not measured).
    pub held_out: Option<(u64, f64, f64)>,
}

impl App {
    /// The newest default sentiment model's note, from its stored metrics.
    pub fn sentiment_model_note(&self) -> Result<Option<SentimentModelNote>, StoreError> {
        let Some(summary) = self
            .store()
            .models()?
            .into_iter()
            .filter(|m| m.name == SENTIMENT_MODEL)
            .max_by_key(|m| m.version)
        else {
            return Ok(None);
        };
        let metrics: serde_json::Value = serde_json::from_str(&summary.metrics).unwrap_or_default();
        let f1 = |key: &str| metrics[key].as_f64();
        let held_out = match (
            metrics["held_out"].as_u64(),
            f1("macro_f1"),
            f1("lexicon_macro_f1"),
        ) {
            (Some(rows), Some(learned), Some(lexicon)) if rows > 0 => {
                Some((rows, learned, lexicon))
            }
            _ => None,
        };
        Ok(Some(SentimentModelNote {
            version: summary.version,
            trained_on: summary.labels_file,
            examples: metrics["examples"].as_u64().unwrap_or(0),
            held_out,
        }))
    }

    /// The next item to label and the counts so far (see the module's documentation).
    pub fn label_queue(&self) -> Result<LabelQueue, StoreError> {
        let store = self.store();
        let mut scorer = SentimentScorer::new();
        let mut reading = |text: &str| Label::of(scorer.score(text)).as_str();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut seen: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
        for item in store.labelled_items()? {
            *counts.entry(item.label.label.clone()).or_default() += 1;
            *seen.entry((item.source, reading(&item.text))).or_default() += 1;
        }
        let mut strata: BTreeMap<(String, &'static str), LabelItem> = BTreeMap::new();
        for candidate in store.label_candidates(CANDIDATES_PER_SOURCE)? {
            let lexicon = reading(&candidate.text);
            strata
                .entry((candidate.source.clone(), lexicon))
                .or_insert(LabelItem {
                    id: candidate.feedback_id,
                    source: candidate.source,
                    text: candidate.text,
                    lexicon,
                });
        }
        // The first stratum (in key order) among those with the fewest seen.
        let next = strata
            .into_iter()
            .min_by_key(|(key, _)| seen.get(key).copied().unwrap_or(0))
            .map(|(_, item)| item);
        let labelled = counts
            .iter()
            .filter(|(label, _)| label.as_str() != "skip")
            .map(|(_, n)| n)
            .sum();
        Ok(LabelQueue {
            next,
            counts,
            labelled,
        })
    }

    /// Stores `who`'s label of an item at `at` (unix seconds), replacing an earlier one.
    pub fn record_label(
        &self,
        who: &str,
        feedback_id: i64,
        label: &str,
        at: i64,
    ) -> Result<(), LabelError> {
        let label = match label.trim() {
            "skip" => "skip",
            other => parse_sentiment_label(other)
                .map(Label::as_str)
                .ok_or_else(|| LabelError::BadLabel(label.to_owned()))?,
        };
        if self.store().feedback_items(&[feedback_id])?.is_empty() {
            return Err(LabelError::NoItem(feedback_id));
        }
        self.store().set_sentiment_label(&SentimentLabel {
            feedback_id,
            label: label.to_owned(),
            labelled_by: who.to_owned(),
            labelled_at: at,
        })?;
        Ok(())
    }

    /// The stored labels (skips left out) as training rows, of one source's items or all.
    pub fn stored_sentiment_rows(
        &self,
        source: Option<&str>,
    ) -> Result<SentimentRows, SentimentError> {
        let mut rows = SentimentRows::default();
        let items = self.store().labelled_items()?;
        for item in items
            .into_iter()
            .filter(|i| source.is_none_or(|s| s == i.source))
        {
            match parse_sentiment_label(&item.label.label) {
                Some(label) => {
                    rows.texts.push(item.text);
                    rows.labels.push(label);
                }
                None => rows.skipped += 1,
            }
        }
        Ok(rows)
    }

    /// Trains a sentiment model from the stored labels (of `source`'s items, for that
    /// source's model, or of all for the default), measured against the lexicon on a
    /// stratified held-out share and saved as its next version, as
    /// `trove train --target sentiment` does with a file.
    pub fn train_sentiment_from_labels(
        &self,
        source: Option<&str>,
        holdout: f64,
        seed: u64,
    ) -> Result<SentimentTrainReport, SentimentError> {
        let rows = self.stored_sentiment_rows(source)?;
        for class in [Label::Negative, Label::Neutral, Label::Positive] {
            if !rows.labels.contains(&class) {
                return Err(SentimentError::MissingClass {
                    file: STORED_LABELS.to_owned(),
                    class: class.as_str(),
                });
            }
        }
        let spec = SentimentTrainSpec {
            labels_file: STORED_LABELS.to_owned(),
            text_column: "text".to_owned(),
            label_column: "label".to_owned(),
            source: source.map(str::to_owned),
            holdout,
            seed,
        };
        self.train_sentiment_on(&rows, &spec)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use std::sync::Arc;

    use trove_domain::FeedbackText;

    use super::*;

    fn app_with(texts: &[(&str, &str)]) -> App {
        let store = trove_store_sqlite::SqliteStore::open_in_memory().unwrap();
        let items: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, (source, text))| {
                let mut item = trove_store::contract::item(source, &format!("x{i}"));
                item.text = FeedbackText::parse(text).unwrap();
                item
            })
            .collect();
        trove_store::Store::insert_feedback(&store, &items, None).unwrap();
        App::new(Arc::new(store))
    }

    #[test]
    fn the_queue_takes_turns_over_sources_and_readings_and_skips_count_as_seen() {
        let app = app_with(&[
            ("survey", "awful, terrible service"),
            ("survey", "the worst wait ever, horrible"),
            ("survey", "the form arrived"),
            ("survey", "lovely staff, great help"),
            ("tweets", "flight 12 lands at 9"),
        ]);
        let mut strata = Vec::new();
        for _ in 0..5 {
            let queue = app.label_queue().unwrap();
            let next = queue.next.unwrap();
            strata.push((next.source.clone(), next.lexicon));
            app.record_label("ann@example.com", next.id, "skip", 1)
                .unwrap();
        }
        // Four strata once each (by source, then reading), then the second negative.
        assert_eq!(
            strata,
            [
                ("survey".to_owned(), "negative"),
                ("survey".to_owned(), "neutral"),
                ("survey".to_owned(), "positive"),
                ("tweets".to_owned(), "neutral"),
                ("survey".to_owned(), "negative"),
            ]
        );
        let done = app.label_queue().unwrap();
        assert!(done.next.is_none());
        assert_eq!(done.counts.get("skip"), Some(&5));
        assert_eq!(done.labelled, 0);
    }

    #[test]
    fn labels_are_checked_replaced_and_trained_on() {
        let app = app_with(&[("survey", "awful"), ("survey", "fine")]);
        let id = app.label_queue().unwrap().next.unwrap().id;
        assert!(matches!(
            app.record_label("ann@example.com", id, "meh", 1),
            Err(LabelError::BadLabel(_))
        ));
        assert!(matches!(
            app.record_label("ann@example.com", 999, "positive", 1),
            Err(LabelError::NoItem(999))
        ));
        app.record_label("ann@example.com", id, "neg", 1).unwrap();
        app.record_label("bob@example.com", id, "positive", 2)
            .unwrap();
        let queue = app.label_queue().unwrap();
        assert_eq!(queue.labelled, 1);
        assert_eq!(queue.counts.get("positive"), Some(&1));
        let error = app.train_sentiment_from_labels(None, 0.2, 1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "labels given on /label: no negative rows; a sentiment model needs rows of all three \
             classes"
        );
    }
}
