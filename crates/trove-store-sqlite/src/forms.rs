//! Public feedback forms and their import runs of the day.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{FormRecord, FormScale, ImportTotals, StoreError, StoreResult};

use crate::decode::db_error;

const COLUMNS: &str = "id, secret, title, question, source, touchpoint, business_unit, scale, \
     created_by, created_at, closed_at";

pub(crate) fn create(connection: &Connection, form: &FormRecord) -> StoreResult<()> {
    connection
        .execute(
            &format!(
                "INSERT INTO feedback_forms ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                form.id,
                form.secret,
                form.title,
                form.question,
                form.source,
                form.touchpoint,
                form.business_unit,
                form.scale.as_str(),
                form.created_by,
                form.created_at,
                form.closed_at
            ],
        )
        .map_err(|e| db_error("storing a form", e))?;
    Ok(())
}

/// A row as read, the scale still text (checked after the row is read).
fn raw_row(row: &Row<'_>) -> rusqlite::Result<(FormRecord, String)> {
    Ok((
        FormRecord {
            id: row.get(0)?,
            secret: row.get(1)?,
            title: row.get(2)?,
            question: row.get(3)?,
            source: row.get(4)?,
            touchpoint: row.get(5)?,
            business_unit: row.get(6)?,
            scale: FormScale::None,
            created_by: row.get(8)?,
            created_at: row.get(9)?,
            closed_at: row.get(10)?,
        },
        row.get(7)?,
    ))
}

fn with_scale((mut form, scale): (FormRecord, String)) -> StoreResult<FormRecord> {
    form.scale = FormScale::parse(&scale).ok_or_else(|| {
        StoreError::database(
            "reading a form",
            format!("form {} has an unknown scale {scale:?}", form.id),
        )
    })?;
    Ok(form)
}

pub(crate) fn one(connection: &Connection, id: &str) -> StoreResult<Option<FormRecord>> {
    connection
        .query_row(
            &format!("SELECT {COLUMNS} FROM feedback_forms WHERE id = ?1"),
            [id],
            raw_row,
        )
        .optional()
        .map_err(|e| db_error("reading a form", e))?
        .map(with_scale)
        .transpose()
}

pub(crate) fn list(connection: &Connection) -> StoreResult<Vec<FormRecord>> {
    let context = "listing forms";
    let mut statement = connection
        .prepare(&format!(
            "SELECT {COLUMNS} FROM feedback_forms ORDER BY created_at DESC, id"
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([], raw_row)
        .map_err(|e| db_error(context, e))?;
    rows.map(|row| with_scale(row.map_err(|e| db_error(context, e))?))
        .collect()
}

pub(crate) fn close(connection: &Connection, id: &str, at: i64) -> StoreResult<bool> {
    let changed = connection
        .execute(
            "UPDATE feedback_forms SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL",
            params![id, at],
        )
        .map_err(|e| db_error("closing a form", e))?;
    Ok(changed == 1)
}

pub(crate) fn day_run(
    connection: &mut Connection,
    id: &str,
    day: &str,
    at: i64,
) -> StoreResult<i64> {
    let context = "recording a form's answers";
    // IMMEDIATE: the write lock first, so two processes never both create the day's run.
    let tx = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    // A run whose items were deleted (`trove imports delete`) takes no more: a new one does.
    let known: Option<i64> = tx
        .query_row(
            "SELECT r.id FROM feedback_form_runs f JOIN import_runs r ON r.id = f.import_run_id
             WHERE f.form_id = ?1 AND f.day = ?2 AND r.deleted_at IS NULL",
            params![id, day],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| db_error(context, e))?;
    if let Some(run) = known {
        return Ok(run);
    }
    let source: String = tx
        .query_row(
            "SELECT source FROM feedback_forms WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| db_error(context, e))?
        .ok_or_else(|| StoreError::database(context, format!("no form {id}")))?;
    tx.execute(
        "INSERT INTO import_runs (kind, source, file, started_at, finished_at, status)
         VALUES ('feedback', ?1, ?2, ?3, ?3, 'completed')",
        params![source, trove_store::form_run_file(id, day), at],
    )
    .map_err(|e| db_error(context, e))?;
    let run = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO feedback_form_runs (form_id, day, import_run_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (form_id, day) DO UPDATE SET import_run_id = excluded.import_run_id",
        params![id, day, run],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(run)
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn add_to_run(
    connection: &Connection,
    run: i64,
    totals: &ImportTotals,
    at: i64,
) -> StoreResult<()> {
    connection
        .execute(
            "UPDATE import_runs SET rows_read = rows_read + ?2, imported = imported + ?3,
                duplicates = duplicates + ?4, rejected = rejected + ?5, replaced = replaced + ?6,
                finished_at = MAX(COALESCE(finished_at, ?7), ?7)
             WHERE id = ?1",
            params![
                run,
                as_i64(totals.rows),
                as_i64(totals.imported),
                as_i64(totals.duplicates),
                as_i64(totals.rejected),
                as_i64(totals.replaced),
                at
            ],
        )
        .map_err(|e| db_error("counting a form's answer", e))?;
    Ok(())
}
