//! Stored analysis runs.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{AnalysisRun, AnalysisRunSummary, NewAnalysisRun, StoreResult};

use crate::decode::db_error;

const SUMMARY_COLUMNS: &str = "id, created_at, taxonomy_version, filter, params, items, chronic";

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn summary(row: &Row<'_>) -> rusqlite::Result<AnalysisRunSummary> {
    let count = |index: usize| -> rusqlite::Result<u64> {
        let value: i64 = row.get(index)?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(AnalysisRunSummary {
        id: row.get(0)?,
        created_at: row.get(1)?,
        taxonomy_version: row.get(2)?,
        filter: row.get(3)?,
        params: row.get(4)?,
        items: count(5)?,
        chronic: count(6)?,
    })
}

pub(crate) fn save(connection: &Connection, run: &NewAnalysisRun) -> StoreResult<i64> {
    connection
        .execute(
            "INSERT INTO analysis_runs (created_at, taxonomy_version, filter, params, items, chronic, result)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run.created_at,
                run.taxonomy_version,
                run.filter,
                run.params,
                as_i64(run.items),
                as_i64(run.chronic),
                run.result,
            ],
        )
        .map_err(|e| db_error("saving an analysis run", e))?;
    Ok(connection.last_insert_rowid())
}

pub(crate) fn list(connection: &Connection, limit: usize) -> StoreResult<Vec<AnalysisRunSummary>> {
    let context = "reading analysis runs";
    let mut statement = connection
        .prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM analysis_runs ORDER BY id DESC LIMIT ?1"
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([as_i64(limit as u64)], summary)
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}

pub(crate) fn one(connection: &Connection, id: i64) -> StoreResult<Option<AnalysisRun>> {
    connection
        .query_row(
            &format!("SELECT {SUMMARY_COLUMNS}, result FROM analysis_runs WHERE id = ?1"),
            [id],
            |row| {
                Ok(AnalysisRun {
                    summary: summary(row)?,
                    result: row.get(7)?,
                })
            },
        )
        .optional()
        .map_err(|e| db_error("reading an analysis run", e))
}
