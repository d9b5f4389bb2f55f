//! The import history: runs recorded, held by the process working on them, read back with the
//! truth about runs whose process died, and undone.
//!
//! A run is held by a session advisory lock keyed by the schema and the run's id, taken by a
//! connection of its own that the importing process keeps open for as long as it works on the
//! run. The server releases the lock when that session ends, however the process died, so a
//! `running` run whose lock anyone can take has no process left: it reads as interrupted.

use std::sync::Mutex;

use postgres::Client;
use trove_store::{ImportHold, ImportRun, ImportStatus, ImportTotals, NewImportRun, StoreResult};

use crate::decode::{Corrupt, as_i64, count, db_error, get};
use crate::pool::Pool;

/// The advisory lock of a run: a key of the schema, and the run's id folded into an int4.
const RUN_LOCK: &str =
    "hashtext('trove import ' || current_schema()), ($1::bigint % 2147483648)::int4";

/// Records a run on a connection of its own and keeps that connection, holding the run's
/// lock, in the hold. The lock is taken before the row is committed, so no reader ever sees
/// the run unheld while its process lives.
pub(crate) fn start(pool: &Pool, run: &NewImportRun) -> StoreResult<ImportHold> {
    let context = "recording an import";
    let mut client = pool.dedicated()?;
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let row = tx
        .query_one(
            "INSERT INTO import_runs (kind, source, file, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&run.kind, &run.source, &run.file, &run.started_at],
        )
        .map_err(|e| db_error(context, e))?;
    let id: i64 = get(&row, 0, context)?;
    // A session lock taken in a transaction outlives its commit.
    tx.execute(&format!("SELECT pg_advisory_lock({RUN_LOCK})"), &[&id])
        .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(ImportHold::new(
        id,
        Hold {
            client: Mutex::new(client),
            id,
        },
    ))
}

/// The session holding a run's lock.
struct Hold {
    client: Mutex<Client>,
    id: i64,
}

impl Drop for Hold {
    /// Gives the lock back before closing the session: the server would release it too, but
    /// only once it notices the session ended, and a reader right after must not see it held.
    fn drop(&mut self) {
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = client.execute(
            &format!("SELECT pg_advisory_unlock({RUN_LOCK})"),
            &[&self.id],
        );
    }
}

pub(crate) fn finish(
    client: &mut Client,
    id: i64,
    status: ImportStatus,
    totals: &ImportTotals,
    reason: Option<&str>,
) -> StoreResult<()> {
    let now = jiff::Timestamp::now().as_second();
    client
        .execute(
            "UPDATE import_runs SET finished_at = $2, status = $3, rows_read = $4, imported = $5,
                duplicates = $6, rejected = $7, replaced = $8, reason = $9 WHERE id = $1",
            &[
                &id,
                &now,
                &status.as_str(),
                &as_i64(totals.rows),
                &as_i64(totals.imported),
                &as_i64(totals.duplicates),
                &as_i64(totals.rejected),
                &as_i64(totals.replaced),
                &reason,
            ],
        )
        .map(drop)
        .map_err(|e| db_error("recording the end of an import", e))
}

/// Whether a session holds run `id`: if its lock can be taken, nobody does (and it is given
/// back at once).
fn is_held(client: &mut Client, id: i64) -> StoreResult<bool> {
    let context = "checking an import's process";
    let taken: bool = get(
        &client
            .query_one(&format!("SELECT pg_try_advisory_lock({RUN_LOCK})"), &[&id])
            .map_err(|e| db_error(context, e))?,
        0,
        context,
    )?;
    if taken {
        client
            .execute(&format!("SELECT pg_advisory_unlock({RUN_LOCK})"), &[&id])
            .map_err(|e| db_error(context, e))?;
    }
    Ok(!taken)
}

pub(crate) fn list(client: &mut Client, limit: usize) -> StoreResult<Vec<ImportRun>> {
    let context = "reading import runs";
    let rows = client
        .query(
            "SELECT id, kind, source, file, started_at, finished_at, status, rows_read, imported, duplicates,
                rejected, replaced, reason, deleted_at, deleted_items
             FROM import_runs ORDER BY id DESC LIMIT $1",
            &[&i64::try_from(limit).unwrap_or(i64::MAX)],
        )
        .map_err(|e| db_error(context, e))?;
    let mut runs = rows
        .iter()
        .map(|row| {
            let id: i64 = get(row, 0, context)?;
            let status: &str = get(row, 6, context)?;
            let Some(status) = ImportStatus::parse(status) else {
                return Corrupt {
                    table: "import_runs",
                    row: &id,
                }
                .invalid("status", status, "expected an import status");
            };
            let deleted_items: Option<i64> = get(row, 14, context)?;
            Ok(ImportRun {
                id,
                kind: get(row, 1, context)?,
                source: get(row, 2, context)?,
                file: get(row, 3, context)?,
                started_at: get(row, 4, context)?,
                finished_at: get(row, 5, context)?,
                status,
                totals: ImportTotals {
                    rows: count(row, 7, context)?,
                    imported: count(row, 8, context)?,
                    duplicates: count(row, 9, context)?,
                    rejected: count(row, 10, context)?,
                    replaced: count(row, 11, context)?,
                },
                reason: get(row, 12, context)?,
                deleted_at: get(row, 13, context)?,
                deleted_items: deleted_items.map(|n| u64::try_from(n).unwrap_or(0)),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    for run in &mut runs {
        if run.status == ImportStatus::Running && !is_held(client, run.id)? {
            run.status = ImportStatus::Interrupted;
            if run.kind != "feedback" {
                continue;
            }
            let row = client
                .query_one(
                    "SELECT count(*) FROM feedback WHERE import_run_id = $1",
                    &[&run.id],
                )
                .map_err(|e| db_error(context, e))?;
            run.totals.imported = count(&row, 0, context)?;
        }
    }
    Ok(runs)
}

pub(crate) fn items_among(client: &mut Client, run: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
    let context = "finding an import's items";
    let rows = client
        .query(
            "SELECT id FROM feedback WHERE import_run_id = $1 AND id = ANY($2) ORDER BY id",
            &[&run, &ids],
        )
        .map_err(|e| db_error(context, e))?;
    rows.iter().map(|row| get(row, 0, context)).collect()
}

pub(crate) fn delete(client: &mut Client, run: i64, at: i64) -> StoreResult<u64> {
    let context = "deleting an import";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    crate::facts::forget_import(&mut tx, run).map_err(|e| db_error(context, e))?;
    tx.execute(
        "DELETE FROM feedback_tags WHERE feedback_id IN (SELECT id FROM feedback WHERE import_run_id = $1)",
        &[&run],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "DELETE FROM sentiment_labels WHERE feedback_id IN (SELECT id FROM feedback WHERE import_run_id = $1)",
        &[&run],
    )
    .map_err(|e| db_error(context, e))?;
    let deleted = tx
        .execute("DELETE FROM feedback WHERE import_run_id = $1", &[&run])
        .map_err(|e| db_error(context, e))?;
    tx.execute(
        "UPDATE import_runs SET deleted_at = $2, deleted_items = COALESCE(deleted_items, 0) + $3 WHERE id = $1",
        &[&run, &at, &as_i64(deleted)],
    )
    .map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(deleted)
}
