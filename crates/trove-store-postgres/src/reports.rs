//! Kept monthly reports.

use postgres::Client;
use trove_store::{ReportHead, StoreResult, StoredReport};

use crate::decode::{db_error, get};

pub(crate) fn save(client: &mut Client, report: &StoredReport, keep: usize) -> StoreResult<()> {
    let context = "keeping a report";
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO reports (business_unit, month, generated_at, json) VALUES ($1, $2, $3, $4)
         ON CONFLICT (business_unit, month) DO UPDATE SET generated_at = EXCLUDED.generated_at,
            json = EXCLUDED.json",
        &[
            &report.business_unit,
            &report.month,
            &report.generated_at,
            &report.json,
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "DELETE FROM reports WHERE business_unit = $1 AND month NOT IN (
            SELECT month FROM reports WHERE business_unit = $1 ORDER BY month DESC LIMIT $2)",
        &[&report.business_unit, &keep],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

pub(crate) fn heads(client: &mut Client) -> StoreResult<Vec<ReportHead>> {
    let context = "listing kept reports";
    client
        .query(
            "SELECT business_unit, month, generated_at FROM reports
             ORDER BY business_unit, month DESC",
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| {
            Ok(ReportHead {
                business_unit: get(row, 0, context)?,
                month: get(row, 1, context)?,
                generated_at: get(row, 2, context)?,
            })
        })
        .collect()
}

pub(crate) fn one(
    client: &mut Client,
    unit: &str,
    month: &str,
) -> StoreResult<Option<StoredReport>> {
    let context = "reading a kept report";
    client
        .query_opt(
            "SELECT business_unit, month, generated_at, json FROM reports
             WHERE business_unit = $1 AND month = $2",
            &[&unit, &month],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(StoredReport {
                business_unit: get(&row, 0, context)?,
                month: get(&row, 1, context)?,
                generated_at: get(&row, 2, context)?,
                json: get(&row, 3, context)?,
            })
        })
        .transpose()
}
