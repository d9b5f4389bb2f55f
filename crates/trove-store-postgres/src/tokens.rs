//! API tokens.

use postgres::{Client, Row};
use trove_store::{ApiToken, NewApiToken, StoreResult, join_scopes, split_scopes};

use crate::decode::{db_error, get};

const COLUMNS: &str = "id, name, owner, scopes, business_unit, secret_hash, created_at, \
     expires_at, last_used_at, rotated_at, revoked_at";

fn token_row(row: &Row, context: &'static str) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: get(row, 0, context)?,
        name: get(row, 1, context)?,
        owner: get(row, 2, context)?,
        scopes: split_scopes(&get::<String>(row, 3, context)?),
        business_unit: get(row, 4, context)?,
        secret_hash: get(row, 5, context)?,
        created_at: get(row, 6, context)?,
        expires_at: get(row, 7, context)?,
        last_used_at: get(row, 8, context)?,
        rotated_at: get(row, 9, context)?,
        revoked_at: get(row, 10, context)?,
    })
}

pub(crate) fn create(client: &mut Client, token: &NewApiToken) -> StoreResult<i64> {
    let context = "creating an API token";
    let row = client
        .query_one(
            "INSERT INTO api_tokens (name, owner, scopes, business_unit, secret_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &token.name,
                &token.owner,
                &join_scopes(&token.scopes),
                &token.business_unit,
                &token.secret_hash,
                &token.created_at,
                &token.expires_at,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    get(&row, 0, context)
}

pub(crate) fn list(client: &mut Client) -> StoreResult<Vec<ApiToken>> {
    let context = "listing API tokens";
    client
        .query(
            &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"),
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| token_row(row, context))
        .collect()
}

pub(crate) fn by_hash(client: &mut Client, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
    let context = "reading an API token";
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM api_tokens WHERE secret_hash = $1"),
            &[&secret_hash],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| token_row(&row, context))
        .transpose()
}

pub(crate) fn touch(client: &mut Client, id: i64, at: i64) -> StoreResult<()> {
    client
        .execute(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
            &[&id, &at],
        )
        .map_err(|e| db_error("recording an API token's use", e))?;
    Ok(())
}

pub(crate) fn revoke(client: &mut Client, id: i64, at: i64) -> StoreResult<bool> {
    let changed = client
        .execute(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &at],
        )
        .map_err(|e| db_error("revoking an API token", e))?;
    Ok(changed == 1)
}

pub(crate) fn rotate(
    client: &mut Client,
    id: i64,
    secret_hash: &str,
    at: i64,
) -> StoreResult<bool> {
    let changed = client
        .execute(
            "UPDATE api_tokens SET secret_hash = $2, rotated_at = $3, last_used_at = NULL
             WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &secret_hash, &at],
        )
        .map_err(|e| db_error("rotating an API token", e))?;
    Ok(changed == 1)
}
