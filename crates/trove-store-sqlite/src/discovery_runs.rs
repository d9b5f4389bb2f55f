//! Stored discovery runs.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{DiscoveryRun, DiscoveryRunSummary, NewDiscoveryRun, StoreResult};

use crate::decode::db_error;

const SUMMARY_COLUMNS: &str = "id, created_at, params, clusters, items";

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn summary(row: &Row<'_>) -> rusqlite::Result<DiscoveryRunSummary> {
    let count = |index: usize| -> rusqlite::Result<u64> {
        let value: i64 = row.get(index)?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(DiscoveryRunSummary {
        id: row.get(0)?,
        created_at: row.get(1)?,
        params: row.get(2)?,
        clusters: count(3)?,
        items: count(4)?,
    })
}

pub(crate) fn save(connection: &Connection, run: &NewDiscoveryRun) -> StoreResult<i64> {
    connection
        .execute(
            "INSERT INTO discovery_runs (created_at, params, clusters, items, result)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                run.created_at,
                run.params,
                as_i64(run.clusters),
                as_i64(run.items),
                run.result,
            ],
        )
        .map_err(|e| db_error("saving a discovery run", e))?;
    Ok(connection.last_insert_rowid())
}

pub(crate) fn list(connection: &Connection, limit: usize) -> StoreResult<Vec<DiscoveryRunSummary>> {
    let context = "reading discovery runs";
    let mut statement = connection
        .prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM discovery_runs ORDER BY id DESC LIMIT ?1"
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([as_i64(limit as u64)], summary)
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}

pub(crate) fn one(connection: &Connection, id: i64) -> StoreResult<Option<DiscoveryRun>> {
    connection
        .query_row(
            &format!("SELECT {SUMMARY_COLUMNS}, result FROM discovery_runs WHERE id = ?1"),
            [id],
            |row| {
                Ok(DiscoveryRun {
                    summary: summary(row)?,
                    result: row.get(5)?,
                })
            },
        )
        .optional()
        .map_err(|e| db_error("reading a discovery run", e))
}
