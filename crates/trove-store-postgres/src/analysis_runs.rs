//! Stored analysis runs.

use postgres::{Client, Row};
use trove_store::{AnalysisRun, AnalysisRunSummary, NewAnalysisRun, StoreResult};

use crate::decode::{as_i64, count, db_error, get};

const SUMMARY_COLUMNS: &str = "id, created_at, taxonomy_version, filter, params, items, chronic";

fn summary(row: &Row, context: &'static str) -> StoreResult<AnalysisRunSummary> {
    Ok(AnalysisRunSummary {
        id: get(row, 0, context)?,
        created_at: get(row, 1, context)?,
        taxonomy_version: get(row, 2, context)?,
        filter: get(row, 3, context)?,
        params: get(row, 4, context)?,
        items: count(row, 5, context)?,
        chronic: count(row, 6, context)?,
    })
}

pub(crate) fn save(client: &mut Client, run: &NewAnalysisRun) -> StoreResult<i64> {
    let context = "saving an analysis run";
    let row = client
        .query_one(
            "INSERT INTO analysis_runs (created_at, taxonomy_version, filter, params, items, chronic, result)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &run.created_at,
                &run.taxonomy_version,
                &run.filter,
                &run.params,
                &as_i64(run.items),
                &as_i64(run.chronic),
                &run.result,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    get(&row, 0, context)
}

pub(crate) fn list(client: &mut Client, limit: usize) -> StoreResult<Vec<AnalysisRunSummary>> {
    let context = "reading analysis runs";
    client
        .query(
            &format!("SELECT {SUMMARY_COLUMNS} FROM analysis_runs ORDER BY id DESC LIMIT $1"),
            &[&as_i64(limit as u64)],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| summary(row, context))
        .collect()
}

pub(crate) fn one(client: &mut Client, id: i64) -> StoreResult<Option<AnalysisRun>> {
    let context = "reading an analysis run";
    client
        .query_opt(
            &format!("SELECT {SUMMARY_COLUMNS}, result FROM analysis_runs WHERE id = $1"),
            &[&id],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(AnalysisRun {
                summary: summary(&row, context)?,
                result: get(&row, 7, context)?,
            })
        })
        .transpose()
}
