//! Stored discovery runs.

use postgres::{Client, Row};
use trove_store::{DiscoveryRun, DiscoveryRunSummary, NewDiscoveryRun, StoreResult};

use crate::decode::{as_i64, count, db_error, get};

const SUMMARY_COLUMNS: &str = "id, created_at, params, clusters, items";

fn summary(row: &Row, context: &'static str) -> StoreResult<DiscoveryRunSummary> {
    Ok(DiscoveryRunSummary {
        id: get(row, 0, context)?,
        created_at: get(row, 1, context)?,
        params: get(row, 2, context)?,
        clusters: count(row, 3, context)?,
        items: count(row, 4, context)?,
    })
}

pub(crate) fn save(client: &mut Client, run: &NewDiscoveryRun) -> StoreResult<i64> {
    let context = "saving a discovery run";
    let row = client
        .query_one(
            "INSERT INTO discovery_runs (created_at, params, clusters, items, result)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &run.created_at,
                &run.params,
                &as_i64(run.clusters),
                &as_i64(run.items),
                &run.result,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    get(&row, 0, context)
}

pub(crate) fn list(client: &mut Client, limit: usize) -> StoreResult<Vec<DiscoveryRunSummary>> {
    let context = "reading discovery runs";
    client
        .query(
            &format!("SELECT {SUMMARY_COLUMNS} FROM discovery_runs ORDER BY id DESC LIMIT $1"),
            &[&as_i64(limit as u64)],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| summary(row, context))
        .collect()
}

pub(crate) fn one(client: &mut Client, id: i64) -> StoreResult<Option<DiscoveryRun>> {
    let context = "reading a discovery run";
    client
        .query_opt(
            &format!("SELECT {SUMMARY_COLUMNS}, result FROM discovery_runs WHERE id = $1"),
            &[&id],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(DiscoveryRun {
                summary: summary(&row, context)?,
                result: get(&row, 5, context)?,
            })
        })
        .transpose()
}
