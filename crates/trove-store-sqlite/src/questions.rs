//! Each source's question.

use rusqlite::{Connection, params};
use trove_store::{SourceQuestion, StoreResult};

use crate::decode::db_error;

pub(crate) fn set(connection: &Connection, question: &SourceQuestion) -> StoreResult<()> {
    connection
        .execute(
            "INSERT INTO source_questions (source, question, kind, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (source) DO UPDATE SET question = excluded.question,
                 kind = excluded.kind, updated_at = excluded.updated_at",
            params![
                question.source,
                question.question,
                question.kind,
                question.updated_at
            ],
        )
        .map_err(|e| db_error("setting a source's question", e))?;
    Ok(())
}

pub(crate) fn list(connection: &Connection) -> StoreResult<Vec<SourceQuestion>> {
    let context = "reading the sources' questions";
    let mut statement = connection
        .prepare("SELECT source, question, kind, updated_at FROM source_questions ORDER BY source")
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([], |row| {
            Ok(SourceQuestion {
                source: row.get(0)?,
                question: row.get(1)?,
                kind: row.get(2)?,
                updated_at: row.get(3)?,
            })
        })
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}
