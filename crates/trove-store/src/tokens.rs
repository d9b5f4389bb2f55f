//! API tokens: the store keeps a token's owner, name, scopes and times, and only a hash of
//! its secret, so a copy of the database holds no usable token.

use serde::Serialize;

/// A token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// A name its owner recognises (`zendesk sync`).
    pub name: String,
    /// The person it acts as (the workflow user's e-mail, lowercase).
    pub owner: String,
    /// Its scopes as written (`read`, `write`, `ingest:SOURCE`), at least one.
    pub scopes: Vec<String>,
    /// The only business unit it may reach, if limited.
    pub business_unit: Option<String>,
    /// The hash of its secret (hex); never the secret.
    pub secret_hash: String,
    /// When it was made (unix seconds).
    pub created_at: i64,
    /// When it stops working (unix seconds), if ever.
    pub expires_at: Option<i64>,
}

/// A stored token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Its id (what `revoke` and `rotate` name).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The person it acts as.
    pub owner: String,
    /// Its scopes, in the order given.
    pub scopes: Vec<String>,
    /// The only business unit it may reach, if limited.
    pub business_unit: Option<String>,
    /// The hash of its current secret (hex).
    #[serde(skip)]
    pub secret_hash: String,
    /// When it was made (unix seconds).
    pub created_at: i64,
    /// When it stops working (unix seconds), if ever.
    pub expires_at: Option<i64>,
    /// When it was last used (unix seconds).
    pub last_used_at: Option<i64>,
    /// When its secret was last replaced (unix seconds).
    pub rotated_at: Option<i64>,
    /// When it was revoked (unix seconds): a revoked token never works again.
    pub revoked_at: Option<i64>,
}

/// How backends write a token's scopes in one column: space-separated (a scope never holds a
/// space: sources are labels without spaces).
pub fn join_scopes(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// The scopes of a stored column.
pub fn split_scopes(column: &str) -> Vec<String> {
    column.split_whitespace().map(str::to_owned).collect()
}
