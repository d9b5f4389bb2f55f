//! The data version and the stored results computed on it.

use rusqlite::{Connection, OptionalExtension, params};
use trove_store::{StoreResult, StoredResult, StoredResultHead};

use crate::decode::db_error;

/// Adds one to the data version; called in the transaction of every write that changes what an
/// analysis reads, so a reader never sees the new data under the old version.
pub(crate) fn bump(connection: &Connection) -> StoreResult<()> {
    connection
        .prepare_cached("UPDATE data_version SET version = version + 1 WHERE id = 1")
        .and_then(|mut update| update.execute([]))
        .map_err(|e| db_error("advancing the data version", e))?;
    Ok(())
}

pub(crate) fn version(connection: &Connection) -> StoreResult<i64> {
    connection
        .prepare_cached("SELECT version FROM data_version WHERE id = 1")
        .and_then(|mut select| select.query_row([], |row| row.get(0)))
        .map_err(|e| db_error("reading the data version", e))
}

pub(crate) fn save(connection: &Connection, result: &StoredResult) -> StoreResult<()> {
    connection
        .prepare_cached(
            "INSERT INTO stored_results (key, request, data_version, computed_at, result)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (key) DO UPDATE SET request = excluded.request,
                data_version = excluded.data_version, computed_at = excluded.computed_at,
                result = excluded.result",
        )
        .and_then(|mut upsert| {
            upsert.execute(params![
                result.key,
                result.request,
                result.data_version,
                result.computed_at,
                result.result
            ])
        })
        .map_err(|e| db_error("storing a result", e))?;
    Ok(())
}

pub(crate) fn one(connection: &Connection, key: &str) -> StoreResult<Option<StoredResult>> {
    connection
        .prepare_cached(
            "SELECT key, request, data_version, computed_at, result FROM stored_results WHERE key = ?1",
        )
        .and_then(|mut select| {
            select
                .query_row([key], |row| {
                    Ok(StoredResult {
                        key: row.get(0)?,
                        request: row.get(1)?,
                        data_version: row.get(2)?,
                        computed_at: row.get(3)?,
                        result: row.get(4)?,
                    })
                })
                .optional()
        })
        .map_err(|e| db_error("reading a stored result", e))
}

pub(crate) fn list(connection: &Connection, limit: usize) -> StoreResult<Vec<StoredResultHead>> {
    let context = "listing stored results";
    let mut select = connection
        .prepare_cached(
            "SELECT key, request, data_version, computed_at FROM stored_results
             ORDER BY computed_at DESC, key LIMIT ?1",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = select
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            Ok(StoredResultHead {
                key: row.get(0)?,
                request: row.get(1)?,
                data_version: row.get(2)?,
                computed_at: row.get(3)?,
            })
        })
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}
