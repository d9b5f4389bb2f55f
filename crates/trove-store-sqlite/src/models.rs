//! Stored classifiers and the tags they predict.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{ItemTags, ModelSummary, NewModel, StoreResult, StoredModel};

use crate::decode::db_error;

const SUMMARY_COLUMNS: &str = "name, version, created_at, labels_file, metrics, length(model)";

fn summary(row: &Row<'_>) -> rusqlite::Result<ModelSummary> {
    let bytes: i64 = row.get(5)?;
    Ok(ModelSummary {
        name: row.get(0)?,
        version: row.get(1)?,
        created_at: row.get(2)?,
        labels_file: row.get(3)?,
        metrics: row.get(4)?,
        bytes: u64::try_from(bytes).unwrap_or(0),
    })
}

pub(crate) fn save(connection: &mut Connection, model: &NewModel) -> StoreResult<i64> {
    let context = "saving a model";
    // IMMEDIATE: two processes saving the same name at once never pick the same version.
    let tx = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    let version: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = ?1",
            [&model.name],
            |row| row.get(0),
        )
        .map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO models (name, version, created_at, labels_file, metrics, model)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            model.name,
            version,
            model.created_at,
            model.labels_file,
            model.metrics,
            model.model
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(version)
}

pub(crate) fn latest(connection: &Connection, name: &str) -> StoreResult<Option<StoredModel>> {
    connection
        .query_row(
            &format!(
                "SELECT {SUMMARY_COLUMNS}, model FROM models WHERE name = ?1
                 ORDER BY version DESC LIMIT 1"
            ),
            [name],
            |row| {
                Ok(StoredModel {
                    summary: summary(row)?,
                    model: row.get(6)?,
                })
            },
        )
        .optional()
        .map_err(|e| db_error("reading a model", e))
}

pub(crate) fn list(connection: &Connection) -> StoreResult<Vec<ModelSummary>> {
    let context = "reading models";
    let mut statement = connection
        .prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM models ORDER BY name, version"
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([], summary)
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}

pub(crate) fn replace_tags(
    connection: &mut Connection,
    version: i64,
    batch: &[ItemTags],
) -> StoreResult<u64> {
    let context = "storing model tags";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    let mut stored = 0;
    {
        let mut delete = tx
            .prepare_cached("DELETE FROM feedback_tags WHERE feedback_id = ?1 AND origin = 'model'")
            .map_err(|e| db_error(context, e))?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO feedback_tags (feedback_id, theme, origin, model_version)
                 VALUES (?1, (SELECT num FROM theme_numbers WHERE theme_id = ?2), 'model', ?3)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(|e| db_error(context, e))?;
        for item in batch {
            delete
                .execute([item.feedback_id])
                .map_err(|e| db_error(context, e))?;
            for tag in &item.tags {
                stored += insert
                    .execute(params![item.feedback_id, tag.theme.as_str(), version])
                    .map_err(|e| db_error(context, e))? as u64;
            }
            crate::facts::refresh(&tx, item.feedback_id)?;
        }
    }
    crate::results::bump(&tx)?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(stored)
}
