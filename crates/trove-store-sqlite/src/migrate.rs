//! Schema migrations, embedded in the binary and applied in order, each in its own transaction.
//! An applied migration is never edited: change the schema with a new file.

use rusqlite::{Connection, params};
use trove_store::{StoreError, StoreResult};

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
        28,
        "0028_running_totals",
        include_str!("../migrations/0028_running_totals.sql"),
    ),
    (
        29,
        "0029_import_run_ranges",
        include_str!("../migrations/0029_import_run_ranges.sql"),
    ),
    (
        31,
        "0031_theme_numbers",
        include_str!("../migrations/0031_theme_numbers.sql"),
    ),
];

/// Applies what is missing; returns the names applied now.
pub(crate) fn apply(connection: &mut Connection) -> StoreResult<Vec<String>> {
    let failed = |name: &str, e: rusqlite::Error| StoreError::Migration {
        name: name.to_owned(),
        reason: e.to_string(),
    };
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .map_err(|e| failed("schema_migrations", e))?;
    let done: Vec<i64> = connection
        .prepare("SELECT version FROM schema_migrations")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|e| failed("schema_migrations", e))?;
    let current = done.iter().copied().max().unwrap_or(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
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
        // IMMEDIATE takes the write lock first, so two processes never apply the same migration.
        let tx = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| failed(name, e))?;
        let already: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(|e| failed(name, e))?;
        if already {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| failed(name, e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![version, name, jiff::Timestamp::now().as_second()],
        )
        .map_err(|e| failed(name, e))?;
        tx.commit().map_err(|e| failed(name, e))?;
        applied.push((*name).to_owned());
    }
    Ok(applied)
}
