//! The data version and the stored results computed on it.

use postgres::{Client, GenericClient};
use trove_store::{StoreResult, StoredResult, StoredResultHead};

use crate::decode::{as_i64, db_error, get};

/// Adds one to the data version; called in the transaction of every write that changes what an
/// analysis reads, so a reader never sees the new data under the old version. (Concurrent
/// writers queue on this one row until the first commits; imports write one batch at a time.)
pub(crate) fn bump(tx: &mut impl GenericClient) -> Result<(), postgres::Error> {
    tx.execute(
        "UPDATE data_version SET version = version + 1 WHERE id = 1",
        &[],
    )?;
    Ok(())
}

pub(crate) fn version(client: &mut Client) -> StoreResult<i64> {
    let context = "reading the data version";
    let row = client
        .query_one("SELECT version FROM data_version WHERE id = 1", &[])
        .map_err(|e| db_error(context, e))?;
    get(&row, 0, context)
}

pub(crate) fn save(client: &mut Client, result: &StoredResult) -> StoreResult<()> {
    client
        .execute(
            "INSERT INTO stored_results (key, request, data_version, computed_at, result)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (key) DO UPDATE SET request = EXCLUDED.request,
                data_version = EXCLUDED.data_version, computed_at = EXCLUDED.computed_at,
                result = EXCLUDED.result",
            &[
                &result.key,
                &result.request,
                &result.data_version,
                &result.computed_at,
                &result.result,
            ],
        )
        .map_err(|e| db_error("storing a result", e))?;
    Ok(())
}

pub(crate) fn one(client: &mut Client, key: &str) -> StoreResult<Option<StoredResult>> {
    let context = "reading a stored result";
    client
        .query_opt(
            "SELECT key, request, data_version, computed_at, result FROM stored_results WHERE key = $1",
            &[&key],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(StoredResult {
                key: get(&row, 0, context)?,
                request: get(&row, 1, context)?,
                data_version: get(&row, 2, context)?,
                computed_at: get(&row, 3, context)?,
                result: get(&row, 4, context)?,
            })
        })
        .transpose()
}

pub(crate) fn list(client: &mut Client, limit: usize) -> StoreResult<Vec<StoredResultHead>> {
    let context = "listing stored results";
    client
        .query(
            "SELECT key, request, data_version, computed_at FROM stored_results
             ORDER BY computed_at DESC, key LIMIT $1",
            &[&as_i64(limit as u64)],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| {
            Ok(StoredResultHead {
                key: get(row, 0, context)?,
                request: get(row, 1, context)?,
                data_version: get(row, 2, context)?,
                computed_at: get(row, 3, context)?,
            })
        })
        .collect()
}
