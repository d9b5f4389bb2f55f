//! Artifacts: files attached to a touchpoint or an item.

use postgres::{Client, Row};
use trove_store::{Artifact, ArtifactTarget, NewArtifact, StoreError, StoreResult};

use crate::decode::{db_error, get};

const COLUMNS: &str =
    "id, touchpoint, feedback_id, name, media_type, note, content_hash, size, added_by, added_at";

fn artifact_row(row: &Row, context: &'static str) -> StoreResult<Artifact> {
    let id: i64 = get(row, 0, context)?;
    let target = ArtifactTarget::from_columns(get(row, 1, context)?, get(row, 2, context)?)
        .ok_or_else(|| {
            StoreError::database(context, format!("artifact {id} is attached to nothing"))
        })?;
    Ok(Artifact {
        id,
        target,
        name: get(row, 3, context)?,
        media_type: get(row, 4, context)?,
        note: get(row, 5, context)?,
        content_hash: get(row, 6, context)?,
        size: get::<i64>(row, 7, context)?.try_into().unwrap_or(0),
        added_by: get(row, 8, context)?,
        added_at: get(row, 9, context)?,
    })
}

pub(crate) fn add(client: &mut Client, artifact: &NewArtifact) -> StoreResult<i64> {
    let context = "storing an artifact";
    let (touchpoint, item) = artifact.target.columns();
    let size = i64::try_from(artifact.content.len()).unwrap_or(i64::MAX);
    let row = client
        .query_one(
            "INSERT INTO artifacts (touchpoint, feedback_id, name, media_type, note, content_hash,
                 size, content, added_by, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &touchpoint,
                &item,
                &artifact.name,
                &artifact.media_type,
                &artifact.note,
                &artifact.content_hash,
                &size,
                &artifact.content,
                &artifact.added_by,
                &artifact.added_at,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    get(&row, 0, context)
}

pub(crate) fn list(
    client: &mut Client,
    target: Option<&ArtifactTarget>,
) -> StoreResult<Vec<Artifact>> {
    let context = "listing artifacts";
    let (touchpoint, item) = target.map_or((None, None), ArtifactTarget::columns);
    client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM artifacts
                 WHERE ($1::text IS NULL AND $2::bigint IS NULL) OR touchpoint = $1
                    OR feedback_id = $2
                 ORDER BY id"
            ),
            &[&touchpoint, &item],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| artifact_row(row, context))
        .collect()
}

pub(crate) fn content(client: &mut Client, id: i64) -> StoreResult<Option<(Artifact, Vec<u8>)>> {
    let context = "reading an artifact";
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS}, content FROM artifacts WHERE id = $1"),
            &[&id],
        )
        .map_err(|e| db_error(context, e))?;
    row.map(|row| Ok((artifact_row(&row, context)?, get(&row, 10, context)?)))
        .transpose()
}

pub(crate) fn remove(client: &mut Client, id: i64) -> StoreResult<bool> {
    let removed = client
        .execute("DELETE FROM artifacts WHERE id = $1", &[&id])
        .map_err(|e| db_error("removing an artifact", e))?;
    Ok(removed > 0)
}
