//! Public feedback forms and their import runs of the day.

use postgres::{Client, Row};
use trove_store::{FormRecord, FormScale, ImportTotals, StoreError, StoreResult};

use crate::decode::{db_error, get};

const COLUMNS: &str = "id, secret, title, question, source, touchpoint, business_unit, scale, \
     created_by, created_at, closed_at";

pub(crate) fn create(client: &mut Client, form: &FormRecord) -> StoreResult<()> {
    client
        .execute(
            &format!(
                "INSERT INTO feedback_forms ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ),
            &[
                &form.id,
                &form.secret,
                &form.title,
                &form.question,
                &form.source,
                &form.touchpoint,
                &form.business_unit,
                &form.scale.as_str(),
                &form.created_by,
                &form.created_at,
                &form.closed_at,
            ],
        )
        .map_err(|e| db_error("storing a form", e))?;
    Ok(())
}

fn decode(row: &Row, context: &'static str) -> StoreResult<FormRecord> {
    let id: String = get(row, 0, context)?;
    let scale: String = get(row, 7, context)?;
    let scale = FormScale::parse(&scale).ok_or_else(|| {
        StoreError::database(context, format!("form {id} has an unknown scale {scale:?}"))
    })?;
    Ok(FormRecord {
        id,
        secret: get(row, 1, context)?,
        title: get(row, 2, context)?,
        question: get(row, 3, context)?,
        source: get(row, 4, context)?,
        touchpoint: get(row, 5, context)?,
        business_unit: get(row, 6, context)?,
        scale,
        created_by: get(row, 8, context)?,
        created_at: get(row, 9, context)?,
        closed_at: get(row, 10, context)?,
    })
}

pub(crate) fn one(client: &mut Client, id: &str) -> StoreResult<Option<FormRecord>> {
    let context = "reading a form";
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM feedback_forms WHERE id = $1"),
            &[&id],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| decode(&row, context))
        .transpose()
}

pub(crate) fn list(client: &mut Client) -> StoreResult<Vec<FormRecord>> {
    let context = "listing forms";
    client
        .query(
            &format!("SELECT {COLUMNS} FROM feedback_forms ORDER BY created_at DESC, id"),
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| decode(row, context))
        .collect()
}

pub(crate) fn close(client: &mut Client, id: &str, at: i64) -> StoreResult<bool> {
    let changed = client
        .execute(
            "UPDATE feedback_forms SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL",
            &[&id, &at],
        )
        .map_err(|e| db_error("closing a form", e))?;
    Ok(changed == 1)
}

pub(crate) fn day_run(client: &mut Client, id: &str, day: &str, at: i64) -> StoreResult<i64> {
    let context = "recording a form's answers";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // The form's row is locked first, so two servers never both create the day's run.
    let source: String = match tx
        .query_opt(
            "SELECT source FROM feedback_forms WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .map_err(|e| db_error(context, e))?
    {
        Some(row) => get(&row, 0, context)?,
        None => return Err(StoreError::database(context, format!("no form {id}"))),
    };
    if let Some(row) = tx
        .query_opt(
            // A run whose items were deleted (`trove imports delete`) takes no more.
            "SELECT r.id FROM feedback_form_runs f JOIN import_runs r ON r.id = f.import_run_id
             WHERE f.form_id = $1 AND f.day = $2 AND r.deleted_at IS NULL",
            &[&id, &day],
        )
        .map_err(|e| db_error(context, e))?
    {
        return get(&row, 0, context);
    }
    let row = tx
        .query_one(
            "INSERT INTO import_runs (kind, source, file, started_at, finished_at, status)
             VALUES ('feedback', $1, $2, $3, $3, 'completed') RETURNING id",
            &[&source, &trove_store::form_run_file(id, day), &at],
        )
        .map_err(|e| db_error(context, e))?;
    let run: i64 = get(&row, 0, context)?;
    tx.execute(
        "INSERT INTO feedback_form_runs (form_id, day, import_run_id) VALUES ($1, $2, $3)
         ON CONFLICT (form_id, day) DO UPDATE SET import_run_id = excluded.import_run_id",
        &[&id, &day, &run],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(run)
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn add_to_run(
    client: &mut Client,
    run: i64,
    totals: &ImportTotals,
    at: i64,
) -> StoreResult<()> {
    client
        .execute(
            "UPDATE import_runs SET rows_read = rows_read + $2, imported = imported + $3,
                duplicates = duplicates + $4, rejected = rejected + $5, replaced = replaced + $6,
                finished_at = GREATEST(COALESCE(finished_at, $7), $7)
             WHERE id = $1",
            &[
                &run,
                &as_i64(totals.rows),
                &as_i64(totals.imported),
                &as_i64(totals.duplicates),
                &as_i64(totals.rejected),
                &as_i64(totals.replaced),
                &at,
            ],
        )
        .map_err(|e| db_error("counting a form's answer", e))?;
    Ok(())
}
