//! Each source's question.

use postgres::Client;
use trove_store::{SourceQuestion, StoreResult};

use crate::decode::{db_error, get};

pub(crate) fn set(client: &mut Client, question: &SourceQuestion) -> StoreResult<()> {
    client
        .execute(
            "INSERT INTO source_questions (source, question, kind, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (source) DO UPDATE SET question = excluded.question,
                 kind = excluded.kind, updated_at = excluded.updated_at",
            &[
                &question.source,
                &question.question,
                &question.kind,
                &question.updated_at,
            ],
        )
        .map_err(|e| db_error("setting a source's question", e))?;
    Ok(())
}

pub(crate) fn list(client: &mut Client) -> StoreResult<Vec<SourceQuestion>> {
    let context = "reading the sources' questions";
    client
        .query(
            "SELECT source, question, kind, updated_at FROM source_questions ORDER BY source",
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| {
            Ok(SourceQuestion {
                source: get(row, 0, context)?,
                question: get(row, 1, context)?,
                kind: get(row, 2, context)?,
                updated_at: get(row, 3, context)?,
            })
        })
        .collect()
}
