//! The import history: runs recorded, held by the process working on them, read back with the
//! truth about runs whose process died, and undone.
//!
//! A run is held through a lock file next to the database (`trove.db-import-12.lock`), locked
//! by the importing process for as long as it works on the run: the operating system releases
//! the lock when the process dies, however it dies. A `running` run whose lock file is gone or
//! can be locked by someone else has no process left: it reads as interrupted. A database in
//! memory is seen by this process only, so a set of held runs stands in for the files.

use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, params};
use trove_store::{
    ImportHold, ImportRun, ImportStatus, ImportTotals, NewImportRun, StoreError, StoreResult,
};

use crate::decode::db_error;

/// Where the holds of a store's runs live.
pub(crate) enum Holds {
    /// Lock files next to this database file.
    Files(PathBuf),
    /// The runs this process holds (a database in memory).
    Memory(Arc<Mutex<HashSet<i64>>>),
}

impl Holds {
    fn lock_path(database: &Path, id: i64) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(format!("-import-{id}.lock"));
        PathBuf::from(name)
    }

    /// Takes the hold of run `id`.
    fn hold(&self, id: i64) -> StoreResult<Hold> {
        match self {
            Self::Files(database) => {
                let path = Self::lock_path(database, id);
                let failed = |e: std::io::Error| {
                    StoreError::database(
                        "holding an import",
                        format!("cannot lock {}: {e}", path.display()),
                    )
                };
                let file = File::create(&path).map_err(failed)?;
                file.try_lock().map_err(|e| failed(e.into()))?;
                Ok(Hold::File { _lock: file, path })
            }
            Self::Memory(held) => {
                lock(held).insert(id);
                Ok(Hold::Memory(Arc::clone(held), id))
            }
        }
    }

    /// Whether some process still holds run `id`. A lock file left by a dead process is
    /// removed on the way.
    fn is_held(&self, id: i64) -> bool {
        match self {
            Self::Files(database) => {
                let path = Self::lock_path(database, id);
                let Ok(file) = OpenOptions::new().write(true).open(&path) else {
                    return false;
                };
                match file.try_lock() {
                    Ok(()) => {
                        let _ = std::fs::remove_file(&path);
                        false
                    }
                    Err(TryLockError::WouldBlock) => true,
                    // Cannot tell (a file system without locks): claim nothing.
                    Err(TryLockError::Error(_)) => true,
                }
            }
            Self::Memory(held) => lock(held).contains(&id),
        }
    }
}

fn lock(held: &Mutex<HashSet<i64>>) -> std::sync::MutexGuard<'_, HashSet<i64>> {
    held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A held run; dropping it releases the hold.
enum Hold {
    /// The locked file (unlocked when closed) and its path.
    File {
        _lock: File,
        path: PathBuf,
    },
    Memory(Arc<Mutex<HashSet<i64>>>, i64),
}

impl Drop for Hold {
    fn drop(&mut self) {
        match self {
            // Removed while still locked, so nobody reads a stale unlocked file as a dead run
            // of a process that finished.
            Self::File { path, .. } => {
                let _ = std::fs::remove_file(path);
            }
            Self::Memory(held, id) => {
                lock(held).remove(id);
            }
        }
    }
}

/// Records a run and holds it; the row becomes visible with the hold already taken.
pub(crate) fn start(
    connection: &mut Connection,
    holds: &Holds,
    run: &NewImportRun,
) -> StoreResult<ImportHold> {
    let context = "recording an import";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO import_runs (kind, source, file, started_at) VALUES (?1, ?2, ?3, ?4)",
        params![run.kind, run.source, run.file, run.started_at],
    )
    .map_err(|e| db_error(context, e))?;
    let id = tx.last_insert_rowid();
    let hold = holds.hold(id)?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(ImportHold::new(id, hold))
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn finish(
    connection: &Connection,
    id: i64,
    status: ImportStatus,
    totals: &ImportTotals,
    reason: Option<&str>,
) -> StoreResult<()> {
    let now = jiff::Timestamp::now().as_second();
    connection
        .execute(
            "UPDATE import_runs SET finished_at = ?2, status = ?3, rows_read = ?4, imported = ?5,
                duplicates = ?6, rejected = ?7, replaced = ?8, reason = ?9 WHERE id = ?1",
            params![
                id,
                now,
                status.as_str(),
                as_i64(totals.rows),
                as_i64(totals.imported),
                as_i64(totals.duplicates),
                as_i64(totals.rejected),
                as_i64(totals.replaced),
                reason
            ],
        )
        .map(drop)
        .map_err(|e| db_error("recording the end of an import", e))
}

pub(crate) fn list(
    connection: &Connection,
    holds: &Holds,
    limit: usize,
) -> StoreResult<Vec<ImportRun>> {
    let context = "reading import runs";
    let mut statement = connection
        .prepare(
            "SELECT id, kind, source, file, started_at, finished_at, status, rows_read, imported, duplicates,
                rejected, replaced, reason, deleted_at, deleted_items
             FROM import_runs ORDER BY id DESC LIMIT ?1",
        )
        .map_err(|e| db_error(context, e))?;
    let count = |value: i64| u64::try_from(value).unwrap_or(0);
    let rows = statement
        .query_map(params![as_i64(limit as u64)], |r| {
            let status: String = r.get(6)?;
            Ok(ImportRun {
                id: r.get(0)?,
                kind: r.get(1)?,
                source: r.get(2)?,
                file: r.get(3)?,
                started_at: r.get(4)?,
                finished_at: r.get(5)?,
                status: ImportStatus::parse(&status).unwrap_or(ImportStatus::Failed),
                totals: ImportTotals {
                    rows: count(r.get(7)?),
                    imported: count(r.get(8)?),
                    duplicates: count(r.get(9)?),
                    rejected: count(r.get(10)?),
                    replaced: count(r.get(11)?),
                },
                reason: r.get(12)?,
                deleted_at: r.get(13)?,
                deleted_items: r.get::<_, Option<i64>>(14)?.map(count),
            })
        })
        .map_err(|e| db_error(context, e))?;
    let mut runs: Vec<ImportRun> = rows
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))?;
    for run in &mut runs {
        if run.status == ImportStatus::Running && !holds.is_held(run.id) {
            run.status = ImportStatus::Interrupted;
            if run.kind != "feedback" {
                continue;
            }
            run.totals.imported = count(
                connection
                    .query_row(
                        &format!("SELECT COUNT(*) FROM ({})", run_items_sql(1)),
                        [run.id],
                        |row| row.get(0),
                    )
                    .map_err(|e| db_error(context, e))?,
            );
        }
    }
    Ok(runs)
}

/// The ids of the items import run `?{param}` added (migration 0029): those in the run's id
/// ranges that still name the run (a range may also cover other items).
pub(crate) fn run_items_sql(param: u8) -> String {
    format!(
        "SELECT f.id FROM import_run_ranges r JOIN feedback f ON f.id BETWEEN r.first_id AND r.last_id
         WHERE r.run_id = ?{param} AND f.import_run_id = ?{param}"
    )
}

/// Records that import run `run` added the items `ids` (ascending, as a batch stores them):
/// each stretch of consecutive ids widens the run's range that ends just before it, or starts
/// a range of its own.
pub(crate) fn record_items(connection: &Connection, run: i64, ids: &[i64]) -> StoreResult<()> {
    let context = "recording an import's items";
    let mut widen = connection
        .prepare_cached(
            "UPDATE import_run_ranges SET last_id = ?3 WHERE run_id = ?1 AND last_id = ?2 - 1",
        )
        .map_err(|e| db_error(context, e))?;
    let mut add = connection
        .prepare_cached(
            "INSERT INTO import_run_ranges (run_id, first_id, last_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_id, first_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)",
        )
        .map_err(|e| db_error(context, e))?;
    for (first, last) in stretches(ids) {
        let widened = widen
            .execute(params![run, first, last])
            .map_err(|e| db_error(context, e))?;
        if widened == 0 {
            add.execute(params![run, first, last])
                .map_err(|e| db_error(context, e))?;
        }
    }
    Ok(())
}

/// The stretches of consecutive values in `ids` (ascending), as (first, last).
fn stretches(ids: &[i64]) -> Vec<(i64, i64)> {
    let mut stretches: Vec<(i64, i64)> = Vec::new();
    for &id in ids {
        match stretches.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => stretches.push((id, id)),
        }
    }
    stretches
}

pub(crate) fn items_among(connection: &Connection, run: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
    let context = "finding an import's items";
    let mut statement = connection
        .prepare_cached("SELECT 1 FROM feedback WHERE id = ?1 AND import_run_id = ?2")
        .map_err(|e| db_error(context, e))?;
    let mut found = Vec::new();
    for &id in ids {
        if statement
            .exists(params![id, run])
            .map_err(|e| db_error(context, e))?
        {
            found.push(id);
        }
    }
    Ok(found)
}

pub(crate) fn delete(connection: &mut Connection, run: i64, at: i64) -> StoreResult<u64> {
    let context = "deleting an import";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    crate::facts::forget_import(&tx, run)?;
    let items = run_items_sql(1);
    tx.execute(
        &format!("DELETE FROM feedback_tags WHERE feedback_id IN ({items})"),
        [run],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        &format!("DELETE FROM sentiment_labels WHERE feedback_id IN ({items})"),
        [run],
    )
    .map_err(|e| db_error(context, e))?;
    let deleted = tx
        .execute(
            &format!("DELETE FROM feedback WHERE id IN ({items})"),
            [run],
        )
        .map_err(|e| db_error(context, e))?;
    // The run has no items left; its ranges would only cover ids a later import may reuse.
    tx.execute("DELETE FROM import_run_ranges WHERE run_id = ?1", [run])
        .map_err(|e| db_error(context, e))?;
    tx.execute(
        "UPDATE import_runs SET deleted_at = ?2, deleted_items = COALESCE(deleted_items, 0) + ?3 WHERE id = ?1",
        params![run, at, deleted as i64],
    )
    .map_err(|e| db_error(context, e))?;
    crate::results::bump(&tx)?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(deleted as u64)
}
