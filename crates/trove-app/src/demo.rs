//! Loading the generated demo company into the store.

use std::borrow::Cow;

use serde::Serialize;
use thiserror::Error;
use trove_demo::{DemoConfig, DemoError, Truth};
use trove_domain::FeedbackText;
use trove_store::{InsertOutcome, StoreError, StoreResult, UpsertOutcome};

use crate::{App, Progress};

/// What loading the demo company did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The company's name.
    pub company: String,
    /// The source name its feedback carries.
    pub source: String,
    /// Departments.
    pub departments: usize,
    /// Journey stages.
    pub stages: usize,
    /// Touchpoints.
    pub touchpoints: usize,
    /// Touchpoints that are moments of truth.
    pub moments_of_truth: usize,
    /// Themes of its taxonomy.
    pub themes: usize,
    /// Customers stored.
    pub customers: UpsertOutcome,
    /// Feedback stored.
    pub feedback: InsertOutcome,
    /// What tagging the items with the demo taxonomy did.
    pub tagged: Option<crate::TagReport>,
    /// What was planted in the data, for checking the analysis.
    pub truth: Truth,
}

/// Why the demo could not be loaded.
#[derive(Debug, Error)]
pub enum DemoLoadError {
    /// The configuration is out of range.
    #[error("demo: {0}")]
    Config(#[from] DemoError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The demo taxonomy could not be loaded or applied.
    #[error(transparent)]
    Taxonomy(#[from] crate::TaxonomyLoadError),
    /// The database holds real workflow records: the demo would make it a rehearsal.
    #[error(
        "this database has workflow records and is not a rehearsal: the demo marks its database as one \
         (where --now may pretend other days), so load it into a database of its own (--db trove-demo.db)"
    )]
    NotARehearsal,
    /// The workflow log could not be read or written.
    #[error(transparent)]
    Workflow(#[from] crate::WorkflowError),
    /// A generated text, once masked, was not a valid feedback text (a bug in the generator or
    /// the masking).
    #[error("demo: a masked text is not valid: {0}")]
    Text(#[from] trove_domain::DomainError),
}

/// The taxonomy an analyst wrote for the demo company (`taxonomies/demo.toml`).
const DEMO_TAXONOMY: &str = include_str!("../../../taxonomies/demo.toml");

/// Items per transaction when loading.
const BATCH: usize = 5_000;

impl App {
    /// Generates the demo company for `config`, stores it, loads the demo taxonomy and tags
    /// every item. Loading the same seed twice adds nothing the second time (every item has a
    /// stable external id). The database is marked as a rehearsal (its first workflow event),
    /// so the workflow may be rehearsed on the demo's dates; a database whose log already holds
    /// real records is refused.
    pub fn load_demo(
        &self,
        config: &DemoConfig,
        progress: &dyn Progress,
    ) -> Result<DemoReport, DemoLoadError> {
        let store = self.store();
        let state = self.workflow()?;
        if state.rehearsal.is_none() {
            if state.seq > 0 {
                return Err(DemoLoadError::NotARehearsal);
            }
            self.act(None, crate::Clock::Real, |_| {
                Ok(vec![trove_workflow::Change::RehearsalMarked {
                    reason: "the demo company".into(),
                }])
            })?;
        }
        let company = trove_demo::generate(config)?;
        store.replace_journey(&company.journey)?;
        store.upsert_themes(&company.themes)?;
        let mut customers = UpsertOutcome::default();
        for chunk in company.customers.chunks(BATCH) {
            let outcome = store.upsert_customers(chunk)?;
            customers.inserted += outcome.inserted;
            customers.updated += outcome.updated;
        }
        progress.set_total(company.feedback_count() as u64);
        let mut feedback = InsertOutcome::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut flush = |batch: &mut Vec<_>| -> StoreResult<()> {
            let outcome = store.insert_feedback(batch, None)?;
            feedback.inserted += outcome.inserted;
            feedback.duplicates += outcome.duplicates;
            progress.set_done(feedback.inserted + feedback.duplicates);
            batch.clear();
            Ok(())
        };
        for mut item in company.feedback() {
            // Masked as an import masks: the demo's customers write e-mail addresses and phone
            // numbers too, and the room must not show them.
            if let Cow::Owned(masked) = trove_ingest::pii::mask(item.text.as_str()) {
                item.text = FeedbackText::parse(&masked)?;
            }
            batch.push(item);
            if batch.len() == BATCH {
                flush(&mut batch)?;
            }
        }
        flush(&mut batch)?;
        self.load_taxonomy("taxonomies/demo.toml", DEMO_TAXONOMY)?;
        let tagged = self.tag_all(&trove_store::FeedbackFilter::default(), &crate::NoProgress)?;
        let stages = company.journey.stages();
        let touchpoints = stages.iter().flat_map(|s| &s.touchpoints);
        Ok(DemoReport {
            company: company.name.clone(),
            source: company.source.clone(),
            departments: company.journey.departments().len(),
            stages: stages.len(),
            touchpoints: touchpoints.clone().count(),
            moments_of_truth: touchpoints.filter(|t| t.moment_of_truth).count(),
            themes: company.themes.len(),
            customers,
            feedback,
            tagged,
            truth: company.truth.clone(),
        })
    }
}
