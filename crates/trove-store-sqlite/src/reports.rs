//! Kept monthly reports.

use rusqlite::{Connection, OptionalExtension, params};
use trove_store::{ReportHead, StoreResult, StoredReport};

use crate::decode::db_error;

pub(crate) fn save(
    connection: &mut Connection,
    report: &StoredReport,
    keep: usize,
) -> StoreResult<()> {
    let context = "keeping a report";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO reports (business_unit, month, generated_at, json) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (business_unit, month) DO UPDATE SET generated_at = excluded.generated_at,
            json = excluded.json",
        params![
            report.business_unit,
            report.month,
            report.generated_at,
            report.json
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "DELETE FROM reports WHERE business_unit = ?1 AND month NOT IN (
            SELECT month FROM reports WHERE business_unit = ?1 ORDER BY month DESC LIMIT ?2)",
        params![
            report.business_unit,
            i64::try_from(keep).unwrap_or(i64::MAX)
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

pub(crate) fn heads(connection: &Connection) -> StoreResult<Vec<ReportHead>> {
    let context = "listing kept reports";
    let mut select = connection
        .prepare_cached(
            "SELECT business_unit, month, generated_at FROM reports
             ORDER BY business_unit, month DESC",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = select
        .query_map([], |row| {
            Ok(ReportHead {
                business_unit: row.get(0)?,
                month: row.get(1)?,
                generated_at: row.get(2)?,
            })
        })
        .map_err(|e| db_error(context, e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))
}

pub(crate) fn one(
    connection: &Connection,
    unit: &str,
    month: &str,
) -> StoreResult<Option<StoredReport>> {
    connection
        .prepare_cached(
            "SELECT business_unit, month, generated_at, json FROM reports
             WHERE business_unit = ?1 AND month = ?2",
        )
        .and_then(|mut select| {
            select
                .query_row([unit, month], |row| {
                    Ok(StoredReport {
                        business_unit: row.get(0)?,
                        month: row.get(1)?,
                        generated_at: row.get(2)?,
                        json: row.get(3)?,
                    })
                })
                .optional()
        })
        .map_err(|e| db_error("reading a kept report", e))
}
