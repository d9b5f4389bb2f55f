//! Undoing an import: its items deleted, unless workflow records still point at them.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;
use trove_store::{ImportRun, ImportStatus, StoreError};

use crate::{App, WorkflowError};

/// What `delete_import` did.
#[derive(Debug, Clone, Serialize)]
pub struct DeletedImport {
    /// The run, as it was before.
    pub run: ImportRun,
    /// Items deleted.
    pub deleted: u64,
    /// Items workflow records referred to, deleted anyway (`force`).
    pub forced: Vec<i64>,
}

/// Why an import cannot be deleted.
#[derive(Debug, Error)]
pub enum DeleteImportError {
    /// No such run.
    #[error("there is no import run {0} (`trove imports` lists them)")]
    Unknown(i64),
    /// Only feedback imports record their items.
    #[error("import run {0} imported customers; only feedback imports can be deleted")]
    NotFeedback(i64),
    /// A process is still importing.
    #[error("import run {0} is still running; wait for it to end (or stop it) first")]
    Running(i64),
    /// Its items were deleted before.
    #[error("import run {run}'s items were already deleted ({at})")]
    AlreadyDeleted {
        /// The run.
        run: i64,
        /// When, as a UTC time.
        at: jiff::Timestamp,
    },
    /// Workflow records refer to some of its items.
    #[error(
        "import run {run}'s items are referred to by workflow records: {}; nothing was deleted (use --force to delete them anyway)",
        .references.join("; ")
    )]
    Referenced {
        /// The run.
        run: i64,
        /// "item 12: case 3", one per referenced item.
        references: Vec<String>,
    },
    /// The workflow could not be read.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl App {
    /// Deletes the items import run `run` added (with their themes, tags and sentiment) and
    /// records it in the run's history. Refused while follow-up cases or five-whys evidence
    /// (`item N`) refer to one of them, unless `force`.
    pub fn delete_import(&self, run: i64, force: bool) -> Result<DeletedImport, DeleteImportError> {
        let store = self.store();
        let Some(found) = store
            .import_runs(usize::MAX)?
            .into_iter()
            .find(|r| r.id == run)
        else {
            return Err(DeleteImportError::Unknown(run));
        };
        if found.kind != "feedback" {
            return Err(DeleteImportError::NotFeedback(run));
        }
        if found.status == ImportStatus::Running {
            return Err(DeleteImportError::Running(run));
        }
        if let Some(at) = found.deleted_at {
            let at = jiff::Timestamp::from_second(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            return Err(DeleteImportError::AlreadyDeleted { run, at });
        }
        let references = self.item_references()?;
        let ids: Vec<i64> = references.keys().copied().collect();
        let referenced = store.import_items_among(run, &ids)?;
        if !referenced.is_empty() && !force {
            let references = referenced
                .iter()
                .map(|id| format!("item {id}: {}", references[id].join(", ")))
                .collect();
            return Err(DeleteImportError::Referenced { run, references });
        }
        let deleted = store.delete_import(run, jiff::Timestamp::now().as_second())?;
        Ok(DeletedImport {
            run: found,
            deleted,
            forced: referenced,
        })
    }

    /// The feedback items workflow records refer to, each with the records: follow-up cases
    /// (`feedback_id`) and five-whys evidence written `item N`.
    fn item_references(&self) -> Result<BTreeMap<i64, Vec<String>>, WorkflowError> {
        let state = self.workflow()?;
        let mut references: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for case in state.cases.values() {
            if let Some(id) = case.feedback_id {
                references
                    .entry(id)
                    .or_default()
                    .push(format!("case {}", case.id));
            }
        }
        for chain in state.chains.values() {
            let evidence = chain.whys.iter().flat_map(|why| &why.evidence);
            for id in evidence.filter_map(|e| evidence_item(e)) {
                references
                    .entry(id)
                    .or_default()
                    .push(format!("why chain {} of issue {}", chain.id, chain.issue));
            }
        }
        Ok(references)
    }
}

/// The item a piece of evidence names: `item 12` (any case).
fn evidence_item(evidence: &str) -> Option<i64> {
    let (word, id) = evidence.trim().split_once(' ')?;
    if !word.eq_ignore_ascii_case("item") {
        return None;
    }
    id.trim().trim_start_matches('#').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::evidence_item;

    #[test]
    fn evidence_names_an_item_as_item_n() {
        assert_eq!(evidence_item("item 12"), Some(12));
        assert_eq!(evidence_item(" Item #7 "), Some(7));
        assert_eq!(evidence_item("items 12"), None);
        assert_eq!(evidence_item("nps-weekly"), None);
        assert_eq!(evidence_item("item twelve"), None);
    }
}
