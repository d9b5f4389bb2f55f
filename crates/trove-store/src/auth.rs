//! Passwords and sign-in sessions. They are kept apart from the workflow's append-only log on
//! purpose: a password hash must be replaceable and a session must end, and neither belongs
//! in an audit trail that is never rewritten.

use serde::Serialize;

/// A person's password, as an argon2id PHC string (salt and parameters included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The person's e-mail, lowercase (the workflow's user id).
    pub email: String,
    /// The PHC string (`$argon2id$v=19$...`); never the password.
    pub phc: String,
    /// When it was set (unix seconds).
    pub set_at: i64,
}

/// A sign-in session. The store keeps only a hash of the session's secret id, so a copy of
/// the database does not hold live cookies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    /// The hash of the secret session id (hex).
    pub id_hash: String,
    /// Who signed in, lowercase.
    pub email: String,
    /// When it began (unix seconds).
    pub created_at: i64,
    /// When it ends whatever happens (unix seconds): the absolute expiry.
    pub expires_at: i64,
    /// When it was last used (unix seconds), for the idle expiry.
    pub last_seen_at: i64,
}
