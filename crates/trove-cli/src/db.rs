//! Opening the store a `--db` URL names: the one place that knows the concrete backends.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use trove_store::Store;
use trove_store_postgres::PostgresStore;
use trove_store_sqlite::SqliteStore;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (the URL as given).
    Postgres(String),
}

impl DbUrl {
    /// Reads `sqlite://PATH`, `sqlite:PATH`, `postgres://...`, `postgresql://...`, or a plain path.
    pub fn parse(raw: &str) -> Self {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Self::Postgres(raw.to_owned());
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        Self::Sqlite(PathBuf::from(path))
    }

    /// Opens the store and applies pending migrations.
    pub fn open(&self) -> Result<Arc<dyn Store>> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(
                SqliteStore::open(path)
                    .with_context(|| format!("opening the SQLite database {}", path.display()))?,
            ),
            Self::Postgres(url) => Arc::new(PostgresStore::open(url)?),
        })
    }
}

impl std::fmt::Display for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(_) => f.write_str("the PostgreSQL database"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_backend() {
        assert_eq!(
            DbUrl::parse("sqlite://trove.db"),
            DbUrl::Sqlite("trove.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///tmp/t.db"),
            DbUrl::Sqlite("/tmp/t.db".into())
        );
        assert_eq!(DbUrl::parse("sqlite:t.db"), DbUrl::Sqlite("t.db".into()));
        assert_eq!(DbUrl::parse("data/t.db"), DbUrl::Sqlite("data/t.db".into()));
        assert!(matches!(
            DbUrl::parse("postgresql://u@h/db"),
            DbUrl::Postgres(_)
        ));
    }
}
