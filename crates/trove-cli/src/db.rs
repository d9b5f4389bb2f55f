//! Opening the store a `--db` URL names: the one place that knows the concrete backends.
//!
//! The database is never a surprise: an empty or bare URL is an error (never a temporary
//! database), a command that only reads refuses a database file that does not exist (rather
//! than creating an empty one), and a command that reads feedback says so when there is none,
//! naming the Trove databases beside it.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use trove_store::{FeedbackFilter, Store};
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

/// What a command does with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// It may write: the database is created when missing.
    Write,
    /// It only reads: the database must exist.
    Read,
    /// It reads feedback: the database must exist and hold some.
    ReadItems,
}

impl DbUrl {
    /// Reads `sqlite://PATH`, `sqlite:PATH`, `postgres://...`, `postgresql://...`, or a plain
    /// path. An empty value, a scheme without a database, or `:memory:` is an error: each
    /// would open a database that vanishes at exit.
    pub fn parse(raw: &str) -> Result<Self> {
        let empty = |what: &str| {
            anyhow::anyhow!(
                "--db {what} names no database (is TROVE_DB set but empty?): give a file (--db trove.db) or a postgres:// URL"
            )
        };
        if raw.trim().is_empty() {
            bail!(empty("is empty: it"));
        }
        for scheme in ["postgres://", "postgresql://"] {
            if let Some(rest) = raw.strip_prefix(scheme) {
                if rest.trim().is_empty() {
                    bail!(empty(&format!("{raw:?}")));
                }
                return Ok(Self::Postgres(raw.to_owned()));
            }
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.trim().is_empty() || path == ":memory:" {
            bail!(empty(&format!("{raw:?}")));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// Opens the store and applies pending migrations (an SQLite file is created if missing).
    pub fn open(&self) -> Result<Arc<dyn Store>> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(
                SqliteStore::open(path)
                    .with_context(|| format!("opening the SQLite database {}", path.display()))?,
            ),
            Self::Postgres(url) => Arc::new(PostgresStore::open(url)?),
        })
    }

    /// Checks the database is fit for a command with this access before it runs: `Ok(None)`
    /// to go on, `Ok(Some(code))` to stop with that exit code (the reason was printed), or an
    /// error (a read of a database file that does not exist).
    pub fn check(&self, access: Access) -> Result<Option<ExitCode>> {
        if access == Access::Write {
            return Ok(None);
        }
        if let Self::Sqlite(path) = self
            && !path.exists()
        {
            bail!(
                "there is no database {}{}; `trove import`, `trove demo` or `trove migrate` creates one",
                path.display(),
                others_here(path)
            );
        }
        if access == Access::ReadItems && is_empty(&*self.open()?)? {
            let others = match self {
                Self::Sqlite(path) => others_here(path),
                Self::Postgres(_) => String::new(),
            };
            eprintln!("{self} holds no feedback yet{others}; import some with `trove import FILE`");
            return Ok(Some(ExitCode::FAILURE));
        }
        Ok(None)
    }
}

/// Whether a database holds nothing to read: no feedback and no customers. Every read command
/// asks this before it starts, so it reads at most one item instead of counting them all.
fn is_empty(store: &dyn Store) -> Result<bool> {
    let mut any_feedback = false;
    store.scan_feedback(&FeedbackFilter::default(), 1, &mut |page| {
        any_feedback = !page.is_empty();
        ControlFlow::Break(())
    })?;
    Ok(!any_feedback && store.count_customers()? == 0)
}

/// The Trove databases holding feedback in the folder of `path` (not `path` itself), as
/// `; here trove-demo.db holds the demo company (50,000 items): --db trove-demo.db`.
fn others_here(path: &Path) -> String {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return String::new();
    };
    let mut found: Vec<(PathBuf, u64)> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|candidate| {
            candidate.extension().is_some_and(|e| e == "db")
                && candidate.file_name() != path.file_name()
        })
        .filter_map(|candidate| {
            let items = SqliteStore::peek_items(&candidate).filter(|n| *n > 0)?;
            Some((candidate, items))
        })
        .collect();
    found.sort();
    let described: Vec<String> = found
        .iter()
        .map(|(candidate, items)| {
            let shown = if folder == Path::new(".") {
                candidate
                    .file_name()
                    .map_or_else(|| candidate.clone(), PathBuf::from)
            } else {
                candidate.clone()
            };
            let what = if shown.file_name().is_some_and(|n| n == "trove-demo.db") {
                format!(
                    "the demo company ({} items)",
                    crate::output::thousands(*items)
                )
            } else {
                format!("{} items", crate::output::thousands(*items))
            };
            format!("{} holds {what}: --db {}", shown.display(), shown.display())
        })
        .collect();
    if described.is_empty() {
        String::new()
    } else {
        format!("; here {}", described.join("; "))
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
        let parse = |raw: &str| DbUrl::parse(raw).unwrap();
        assert_eq!(parse("sqlite://trove.db"), DbUrl::Sqlite("trove.db".into()));
        assert_eq!(
            parse("sqlite:///tmp/t.db"),
            DbUrl::Sqlite("/tmp/t.db".into())
        );
        assert_eq!(parse("sqlite:t.db"), DbUrl::Sqlite("t.db".into()));
        assert_eq!(parse("data/t.db"), DbUrl::Sqlite("data/t.db".into()));
        assert!(matches!(parse("postgresql://u@h/db"), DbUrl::Postgres(_)));
    }

    #[test]
    fn a_url_naming_no_database_is_an_error() {
        for raw in [
            "",
            "  ",
            "sqlite://",
            "sqlite:",
            ":memory:",
            "sqlite://:memory:",
            "postgres://",
        ] {
            let error = DbUrl::parse(raw).expect_err(raw).to_string();
            assert!(error.contains("names no database"), "{raw:?}: {error}");
        }
    }
}
