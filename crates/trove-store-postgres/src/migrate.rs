//! Schema migrations, embedded in the binary and applied in order, each in its own transaction.
//! An applied migration is never edited: change the schema with a new file.
//!
//! Every transaction here first takes a transaction-scoped advisory lock keyed by the current
//! schema, so two processes starting at once never apply the same migration twice; the second
//! waits, then finds it applied.

use postgres::{Client, Transaction};
use trove_store::{StoreError, StoreResult};

use crate::decode::{db_error, describe};

/// (version, name, SQL), in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "0001_foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (
        2,
        "0002_taxonomy",
        include_str!("../migrations/0002_taxonomy.sql"),
    ),
    (
        3,
        "0003_analysis_runs",
        include_str!("../migrations/0003_analysis_runs.sql"),
    ),
    (
        4,
        "0004_models",
        include_str!("../migrations/0004_models.sql"),
    ),
    (
        5,
        "0005_sentiment",
        include_str!("../migrations/0005_sentiment.sql"),
    ),
    (
        6,
        "0006_workflow",
        include_str!("../migrations/0006_workflow.sql"),
    ),
    (
        7,
        "0007_metric_values_in_the_log",
        include_str!("../migrations/0007_metric_values_in_the_log.sql"),
    ),
    (
        8,
        "0008_discovery_runs",
        include_str!("../migrations/0008_discovery_runs.sql"),
    ),
    (
        9,
        "0009_import_history",
        include_str!("../migrations/0009_import_history.sql"),
    ),
    (
        10,
        "0010_credentials_and_sessions",
        include_str!("../migrations/0010_credentials_and_sessions.sql"),
    ),
    (
        11,
        "0011_stored_results",
        include_str!("../migrations/0011_stored_results.sql"),
    ),
    (
        12,
        "0012_drill_down_indexes",
        include_str!("../migrations/0012_drill_down_indexes.sql"),
    ),
    (
        13,
        "0013_api_tokens",
        include_str!("../migrations/0013_api_tokens.sql"),
    ),
    (
        14,
        "0014_feedback_forms",
        include_str!("../migrations/0014_feedback_forms.sql"),
    ),
    (
        15,
        "0015_webhooks",
        include_str!("../migrations/0015_webhooks.sql"),
    ),
    (16, "0016_mail", include_str!("../migrations/0016_mail.sql")),
    (
        17,
        "0017_reports",
        include_str!("../migrations/0017_reports.sql"),
    ),
    (
        18,
        "0018_samples_and_assessment",
        include_str!("../migrations/0018_samples_and_assessment.sql"),
    ),
    (
        19,
        "0019_artifacts",
        include_str!("../migrations/0019_artifacts.sql"),
    ),
    (
        20,
        "0020_source_questions",
        include_str!("../migrations/0020_source_questions.sql"),
    ),
    (
        21,
        "0021_report_mail",
        include_str!("../migrations/0021_report_mail.sql"),
    ),
    (
        22,
        "0022_embeddings",
        include_str!("../migrations/0022_embeddings.sql"),
    ),
    (
        23,
        "0023_sentiment_labels",
        include_str!("../migrations/0023_sentiment_labels.sql"),
    ),
    (
        24,
        "0024_storage_layout",
        include_str!("../migrations/0024_storage_layout.sql"),
    ),
    (
        25,
        "0025_suggestion_flag",
        include_str!("../migrations/0025_suggestion_flag.sql"),
    ),
    (
        27,
        "0027_facts_for_analytics",
        include_str!("../migrations/0027_facts_for_analytics.sql"),
    ),
    (
        28,
        "0028_running_totals",
        include_str!("../migrations/0028_running_totals.sql"),
    ),
    (
        30,
        "0030_keys_checked_per_statement",
        include_str!("../migrations/0030_keys_checked_per_statement.sql"),
    ),
    (
        31,
        "0031_theme_numbers",
        include_str!("../migrations/0031_theme_numbers.sql"),
    ),
];

/// The newest version this program knows.
pub(crate) fn known_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The first half of the advisory lock key ("trove" in ASCII, folded into an int4); the
/// second half is a hash of the schema, so stores in different schemas do not wait on each other.
const LOCK_KEY: i32 = 0x7472_6f76;

fn failed(name: &str, error: postgres::Error) -> StoreError {
    StoreError::Migration {
        name: name.to_owned(),
        reason: describe(&error),
    }
}

fn locked(client: &mut Client) -> Result<Transaction<'_>, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))",
        &[&LOCK_KEY],
    )?;
    Ok(tx)
}

/// Creates `schema` when missing, under the same lock as its migrations, so two processes
/// opening a new schema at once do not collide.
pub(crate) fn create_schema(client: &mut Client, schema: &str, quoted: &str) -> StoreResult<()> {
    let failed = |e: postgres::Error| db_error("creating the schema", e);
    let mut tx = client.transaction().map_err(failed)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&LOCK_KEY, &schema],
    )
    .map_err(failed)?;
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {quoted}"))
        .map_err(failed)?;
    tx.commit().map_err(failed)
}

/// Applies what is missing; returns the names applied now.
pub(crate) fn apply(client: &mut Client) -> StoreResult<Vec<String>> {
    let bookkeeping = "schema_migrations";
    let done: Vec<i64> = {
        let mut tx = locked(client).map_err(|e| failed(bookkeeping, e))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .map_err(|e| failed(bookkeeping, e))?;
        let done = tx
            .query("SELECT version FROM schema_migrations", &[])
            .and_then(|rows| rows.iter().map(|row| row.try_get(0)).collect())
            .map_err(|e| failed(bookkeeping, e))?;
        tx.commit().map_err(|e| failed(bookkeeping, e))?;
        done
    };
    let current = done.iter().copied().max().unwrap_or(0);
    let known = known_version();
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }
    let mut applied = Vec::new();
    // Every migration not recorded yet, in order: also one numbered below the newest applied
    // (a database made between two merges), which a "newer than the newest" test would skip.
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| !done.contains(&m.0)) {
        let mut tx = locked(client).map_err(|e| failed(name, e))?;
        let already: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
                &[version],
            )
            .and_then(|row| row.try_get(0))
            .map_err(|e| failed(name, e))?;
        if already {
            // Another process applied it while this one waited for the lock.
            continue;
        }
        tx.batch_execute(sql).map_err(|e| failed(name, e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[version, name, &jiff::Timestamp::now().as_second()],
        )
        .map_err(|e| failed(name, e))?;
        tx.commit().map_err(|e| failed(name, e))?;
        applied.push((*name).to_owned());
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Table name to column names, read crudely from `CREATE TABLE` statements.
    fn tables(sql: &str) -> BTreeMap<String, Vec<String>> {
        let mut tables = BTreeMap::new();
        let mut current: Option<(String, Vec<String>)> = None;
        for line in sql
            .lines()
            .map(|l| l.split("--").next().unwrap_or_default().trim())
        {
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                let name = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                current = Some((name, Vec::new()));
            } else if line.starts_with(");") {
                if let Some((name, columns)) = current.take() {
                    tables.insert(name, columns);
                }
            } else if let Some((_, columns)) = current.as_mut() {
                let first = line.split_whitespace().next().unwrap_or_default();
                if !first.is_empty() && !matches!(first, "UNIQUE" | "PRIMARY") {
                    columns.push(first.to_owned());
                }
            }
        }
        tables
    }

    #[test]
    fn the_schema_has_the_tables_and_columns_of_the_sqlite_backend() {
        let sqlite = include_str!("../../trove-store-sqlite/migrations/0001_foundation.sql");
        let postgres = MIGRATIONS[0].2;
        let expected = tables(sqlite);
        assert!(
            expected.contains_key("feedback")
                && expected["feedback"].contains(&"attributes".to_owned())
        );
        assert_eq!(tables(postgres), expected);
        let sqlite = include_str!("../../trove-store-sqlite/migrations/0002_taxonomy.sql");
        assert_eq!(tables(MIGRATIONS[1].2), tables(sqlite));
        let added = |sql: &str| -> Vec<String> {
            sql.lines()
                .filter(|l| l.starts_with("ALTER TABLE"))
                .map(|l| l.split_whitespace().take(6).collect::<Vec<_>>().join(" "))
                .collect()
        };
        assert_eq!(added(MIGRATIONS[1].2), added(sqlite));
        let sqlite = include_str!("../../trove-store-sqlite/migrations/0003_analysis_runs.sql");
        let expected = tables(sqlite);
        assert!(expected.contains_key("analysis_runs"));
        assert_eq!(tables(MIGRATIONS[2].2), expected);
        let sqlite = include_str!("../../trove-store-sqlite/migrations/0004_models.sql");
        let expected = tables(sqlite);
        assert!(expected.contains_key("models"));
        assert_eq!(tables(MIGRATIONS[3].2), expected);
        assert_eq!(added(MIGRATIONS[3].2), added(sqlite));
        let sqlite = include_str!("../../trove-store-sqlite/migrations/0005_sentiment.sql");
        assert_eq!(added(MIGRATIONS[4].2), added(sqlite));
        let sqlite = include_str!("../../trove-store-sqlite/migrations/0006_workflow.sql");
        let expected = tables(sqlite);
        assert_eq!(
            expected.get("workflow_events"),
            Some(
                &["seq", "at", "actor", "kind", "payload"]
                    .map(str::to_owned)
                    .to_vec()
            )
        );
        assert_eq!(
            expected.get("metric_points"),
            Some(&["metric", "day", "value"].map(str::to_owned).to_vec())
        );
        assert_eq!(tables(MIGRATIONS[5].2), expected);
    }

    #[test]
    fn migrations_are_numbered_in_order_and_named_after_their_files() {
        // Increasing, not contiguous: branches reserve numbers ahead of their merge.
        let mut previous = 0;
        for (version, name, _) in MIGRATIONS {
            assert!(*version > previous, "{name} after version {previous}");
            previous = *version;
            assert!(name.starts_with(&format!("{version:04}_")), "{name}");
        }
    }
}
