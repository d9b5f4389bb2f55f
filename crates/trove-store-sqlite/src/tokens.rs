//! API tokens.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{ApiToken, NewApiToken, StoreResult, join_scopes, split_scopes};

use crate::decode::db_error;

const COLUMNS: &str = "id, name, owner, scopes, business_unit, secret_hash, created_at, \
     expires_at, last_used_at, rotated_at, revoked_at";

fn token_row(row: &Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: row.get(0)?,
        name: row.get(1)?,
        owner: row.get(2)?,
        scopes: split_scopes(&row.get::<_, String>(3)?),
        business_unit: row.get(4)?,
        secret_hash: row.get(5)?,
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
        last_used_at: row.get(8)?,
        rotated_at: row.get(9)?,
        revoked_at: row.get(10)?,
    })
}

pub(crate) fn create(connection: &Connection, token: &NewApiToken) -> StoreResult<i64> {
    connection
        .execute(
            "INSERT INTO api_tokens (name, owner, scopes, business_unit, secret_hash, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                token.name,
                token.owner,
                join_scopes(&token.scopes),
                token.business_unit,
                token.secret_hash,
                token.created_at,
                token.expires_at
            ],
        )
        .map_err(|e| db_error("creating an API token", e))?;
    Ok(connection.last_insert_rowid())
}

pub(crate) fn list(connection: &Connection) -> StoreResult<Vec<ApiToken>> {
    let context = "listing API tokens";
    let mut statement = connection
        .prepare(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))
        .map_err(|e| db_error(context, e))?;
    statement
        .query_map([], token_row)
        .map_err(|e| db_error(context, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))
}

pub(crate) fn by_hash(connection: &Connection, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
    connection
        .query_row(
            &format!("SELECT {COLUMNS} FROM api_tokens WHERE secret_hash = ?1"),
            [secret_hash],
            token_row,
        )
        .optional()
        .map_err(|e| db_error("reading an API token", e))
}

pub(crate) fn touch(connection: &Connection, id: i64, at: i64) -> StoreResult<()> {
    connection
        .execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            params![id, at],
        )
        .map_err(|e| db_error("recording an API token's use", e))?;
    Ok(())
}

pub(crate) fn revoke(connection: &Connection, id: i64, at: i64) -> StoreResult<bool> {
    let changed = connection
        .execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, at],
        )
        .map_err(|e| db_error("revoking an API token", e))?;
    Ok(changed == 1)
}

pub(crate) fn rotate(
    connection: &Connection,
    id: i64,
    secret_hash: &str,
    at: i64,
) -> StoreResult<bool> {
    let changed = connection
        .execute(
            "UPDATE api_tokens SET secret_hash = ?2, rotated_at = ?3, last_used_at = NULL
             WHERE id = ?1 AND revoked_at IS NULL",
            params![id, secret_hash, at],
        )
        .map_err(|e| db_error("rotating an API token", e))?;
    Ok(changed == 1)
}
