//! `/imports`: the import runs (what `trove imports` lists): when, which source and file, how
//! many rows came in, were imported, replaced, skipped as duplicates or rejected, and how the
//! run ended.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use trove_analytics::chronic::thousands;
use trove_store::{ImportRun, ImportStatus};

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::render;
use crate::session::{SignedIn, blocking};
use crate::working::minute;

/// How many runs the page lists, newest first.
const RUNS: usize = 100;

/// One run's row.
struct RunRow {
    id: i64,
    started: String,
    took: Option<String>,
    kind: String,
    source: String,
    file: String,
    status: &'static str,
    /// The status badge's class.
    class: &'static str,
    rows: String,
    imported: String,
    replaced: String,
    duplicates: String,
    rejected: String,
    has_rejected: bool,
    reason: Option<String>,
    deleted: Option<String>,
}

impl RunRow {
    fn new(run: ImportRun) -> Self {
        let class = match run.status {
            ImportStatus::Completed => "ok",
            ImportStatus::Running => "open",
            _ => "late",
        };
        let t = &run.totals;
        RunRow {
            id: run.id,
            started: minute(run.started_at),
            took: run.finished_at.map(|end| match end - run.started_at {
                0 => "under a second".to_owned(),
                took => crate::working::span(took),
            }),
            status: run.status.as_str(),
            class,
            rows: thousands(t.rows),
            imported: thousands(t.imported),
            replaced: thousands(t.replaced),
            duplicates: thousands(t.duplicates),
            rejected: thousands(t.rejected),
            has_rejected: t.rejected > 0,
            deleted: run.deleted_at.map(|at| {
                format!(
                    "its {} items were deleted {} UTC",
                    thousands(run.deleted_items.unwrap_or(0)),
                    minute(at)
                )
            }),
            reason: run.reason,
            kind: run.kind,
            source: run.source,
            file: run.file,
        }
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    runs: Vec<RunRow>,
    limit: usize,
}

/// `GET /imports`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let runs = blocking(move || app.import_runs(RUNS)).await?;
    Ok(render(&ImportsPage {
        chrome: Chrome::new(&signed_in, "/imports"),
        runs: runs.into_iter().map(RunRow::new).collect(),
        limit: RUNS,
    })?
    .into_response())
}
