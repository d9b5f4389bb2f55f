//! Artifacts: files attached to a touchpoint or an item.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{Artifact, ArtifactTarget, NewArtifact, StoreError, StoreResult};

use crate::decode::db_error;

const COLUMNS: &str =
    "id, touchpoint, feedback_id, name, media_type, note, content_hash, size, added_by, added_at";

fn artifact_row(row: &Row<'_>) -> rusqlite::Result<(Artifact, Option<String>, Option<i64>)> {
    Ok((
        Artifact {
            id: row.get(0)?,
            target: ArtifactTarget::Item(0),
            name: row.get(3)?,
            media_type: row.get(4)?,
            note: row.get(5)?,
            content_hash: row.get(6)?,
            size: row.get::<_, i64>(7)?.try_into().unwrap_or(0),
            added_by: row.get(8)?,
            added_at: row.get(9)?,
        },
        row.get(1)?,
        row.get(2)?,
    ))
}

/// The artifact of a row, its target set from the row's two columns.
fn with_target(
    (mut artifact, touchpoint, item): (Artifact, Option<String>, Option<i64>),
) -> StoreResult<Artifact> {
    artifact.target = ArtifactTarget::from_columns(touchpoint, item).ok_or_else(|| {
        StoreError::database(
            "reading an artifact",
            format!("artifact {} is attached to nothing", artifact.id),
        )
    })?;
    Ok(artifact)
}

pub(crate) fn add(connection: &Connection, artifact: &NewArtifact) -> StoreResult<i64> {
    let (touchpoint, item) = artifact.target.columns();
    connection
        .execute(
            "INSERT INTO artifacts (touchpoint, feedback_id, name, media_type, note, content_hash,
                 size, content, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                touchpoint,
                item,
                artifact.name,
                artifact.media_type,
                artifact.note,
                artifact.content_hash,
                i64::try_from(artifact.content.len()).unwrap_or(i64::MAX),
                artifact.content,
                artifact.added_by,
                artifact.added_at
            ],
        )
        .map_err(|e| db_error("storing an artifact", e))?;
    Ok(connection.last_insert_rowid())
}

pub(crate) fn list(
    connection: &Connection,
    target: Option<&ArtifactTarget>,
) -> StoreResult<Vec<Artifact>> {
    let context = "listing artifacts";
    let (touchpoint, item) = target.map_or((None, None), ArtifactTarget::columns);
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM artifacts
             WHERE (?1 IS NULL AND ?2 IS NULL) OR touchpoint = ?1 OR feedback_id = ?2
             ORDER BY id"
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params![touchpoint, item], artifact_row)
        .map_err(|e| db_error(context, e))?;
    let mut artifacts = Vec::new();
    for row in rows {
        artifacts.push(with_target(row.map_err(|e| db_error(context, e))?)?);
    }
    Ok(artifacts)
}

pub(crate) fn content(
    connection: &Connection,
    id: i64,
) -> StoreResult<Option<(Artifact, Vec<u8>)>> {
    let context = "reading an artifact";
    let row = connection
        .query_row(
            &format!("SELECT {COLUMNS}, content FROM artifacts WHERE id = ?1"),
            [id],
            |row| Ok((artifact_row(row)?, row.get::<_, Vec<u8>>(10)?)),
        )
        .optional()
        .map_err(|e| db_error(context, e))?;
    row.map(|(artifact, bytes)| Ok((with_target(artifact)?, bytes)))
        .transpose()
}

pub(crate) fn remove(connection: &Connection, id: i64) -> StoreResult<bool> {
    let removed = connection
        .execute("DELETE FROM artifacts WHERE id = ?1", [id])
        .map_err(|e| db_error("removing an artifact", e))?;
    Ok(removed > 0)
}
