//! Stored classifiers and the tags they predict.

use postgres::{Client, Row};
use trove_store::{ItemTags, ModelSummary, NewModel, StoreResult, StoredModel};

use crate::decode::{count, db_error, get};

const SUMMARY_COLUMNS: &str =
    "name, version, created_at, labels_file, metrics, octet_length(model)::bigint";

fn summary(row: &Row, context: &'static str) -> StoreResult<ModelSummary> {
    Ok(ModelSummary {
        name: get(row, 0, context)?,
        version: get(row, 1, context)?,
        created_at: get(row, 2, context)?,
        labels_file: get(row, 3, context)?,
        metrics: get(row, 4, context)?,
        bytes: count(row, 5, context)?,
    })
}

pub(crate) fn save(client: &mut Client, model: &NewModel) -> StoreResult<i64> {
    let context = "saving a model";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // Two processes saving at once never pick the same version: the second waits here.
    tx.batch_execute("LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE")
        .map_err(|e| db_error(context, e))?;
    let row = tx
        .query_one(
            "INSERT INTO models (name, version, created_at, labels_file, metrics, model)
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 FROM models WHERE name = $1
             RETURNING version",
            &[
                &model.name,
                &model.created_at,
                &model.labels_file,
                &model.metrics,
                &model.model,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    let version = get(&row, 0, context)?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(version)
}

pub(crate) fn latest(client: &mut Client, name: &str) -> StoreResult<Option<StoredModel>> {
    let context = "reading a model";
    client
        .query_opt(
            &format!(
                "SELECT {SUMMARY_COLUMNS}, model FROM models WHERE name = $1
                 ORDER BY version DESC LIMIT 1"
            ),
            &[&name],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(StoredModel {
                summary: summary(&row, context)?,
                model: get(&row, 6, context)?,
            })
        })
        .transpose()
}

pub(crate) fn list(client: &mut Client) -> StoreResult<Vec<ModelSummary>> {
    let context = "reading models";
    client
        .query(
            &format!("SELECT {SUMMARY_COLUMNS} FROM models ORDER BY name, version"),
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| summary(row, context))
        .collect()
}

pub(crate) fn replace_tags(
    client: &mut Client,
    version: i64,
    batch: &[ItemTags],
) -> StoreResult<u64> {
    let context = "storing model tags";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let ids: Vec<i64> = batch.iter().map(|item| item.feedback_id).collect();
    tx.execute(
        "DELETE FROM feedback_tags WHERE origin = 'model' AND feedback_id = ANY($1)",
        &[&ids],
    )
    .map_err(|e| db_error(context, e))?;
    let (mut feedback, mut themes) = (Vec::new(), Vec::new());
    for item in batch {
        for tag in &item.tags {
            feedback.push(item.feedback_id);
            themes.push(tag.theme.as_str());
        }
    }
    let stored = if feedback.is_empty() {
        0
    } else {
        // LEFT JOIN: a theme without a number would be NULL, which the column refuses.
        tx.execute(
            "INSERT INTO feedback_tags (feedback_id, theme, origin, model_version)
             SELECT t.f, n.id, 'model', $3
             FROM UNNEST($1::bigint[], $2::text[]) AS t (f, theme)
                LEFT JOIN theme_numbers n ON n.theme_id = t.theme
             ON CONFLICT DO NOTHING",
            &[&feedback, &themes, &version],
        )
        .map_err(|e| db_error(context, e))?
    };
    crate::facts::refresh(&mut tx, &ids).map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(stored)
}
