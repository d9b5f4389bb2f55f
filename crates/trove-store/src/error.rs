use thiserror::Error;
use trove_domain::DomainError;

/// Why a store call failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be opened or reached.
    #[error("cannot open {url}: {reason}")]
    Open {
        /// The database URL, without password.
        url: String,
        /// Why.
        reason: String,
    },
    /// A migration failed; the database is left at the previous version.
    #[error("migration {name} failed: {reason}")]
    Migration {
        /// The migration's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The database holds a schema newer than this program knows.
    #[error(
        "the database is at schema version {found}, newer than this trove ({known}); upgrade trove"
    )]
    SchemaTooNew {
        /// Version in the database.
        found: i64,
        /// Newest version this program knows.
        known: i64,
    },
    /// A stored value no longer parses as its domain type (the database was edited by hand).
    #[error("stored {table}.{column} of row {row} is not valid: {source}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// Row key.
        row: String,
        /// What is wrong.
        source: DomainError,
    },
    /// A write was made from a stale view: someone else wrote first. Read again and retry.
    #[error(
        "{what} changed while this change was being made (now at {found}, expected {expected}); try again"
    )]
    Conflict {
        /// What changed.
        what: &'static str,
        /// The version the writer saw.
        expected: i64,
        /// The version found.
        found: i64,
    },
    /// Any other database error.
    #[error("database error while {context}: {reason}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// The driver's message.
        reason: String,
    },
}

impl StoreError {
    /// A database error with what the store was doing.
    pub fn database(context: &'static str, reason: impl ToString) -> Self {
        Self::Database {
            context,
            reason: reason.to_string(),
        }
    }
}
