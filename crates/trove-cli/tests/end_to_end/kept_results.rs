//! End-to-end: `trove issues`, `trend`, `summary` and `scores` read results computed once per
//! version of the data. A second read serves the kept result (its "as of" does not move); an
//! import, or deleting one, makes the next read show the new data.

use crate::common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use common::{json, ok};
use serde_json::Value;

/// Six months of survey answers (2025-01 .. 2025-06), `per_month` a month; every fifth one
/// names "slow-claims" and scores 2, the rest score 9. Ids start at `first`.
fn answers_csv(first: usize, per_month: usize) -> String {
    let mut csv = String::from("id,date,nps,comment,theme\n");
    for month in 1..=6 {
        for i in 0..per_month {
            let id = first + month * 10_000 + i;
            let (nps, theme) = if i % 5 == 0 {
                (2, "slow-claims")
            } else {
                (9, "")
            };
            let day = 1 + i % 28;
            writeln!(
                csv,
                "a{id},2025-{month:02}-{day:02},{nps},answer {id},{theme}"
            )
            .expect("a String");
        }
    }
    csv
}

fn import(db: &Path, dir: &Path, name: &str, csv: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, csv).expect("write the CSV");
    let file = file.to_str().expect("a UTF-8 path");
    ok(
        db,
        &[
            "import",
            file,
            "--source",
            "survey",
            "--channel",
            "survey",
            "--id-column",
            "id",
            "--time-column",
            "date",
            "--nps-column",
            "nps",
            "--text-column",
            "comment",
            "--theme-column",
            "theme",
        ],
    )
}

/// The "as of ..." line of a human output.
fn as_of(output: &str) -> String {
    output
        .lines()
        .find(|l| l.starts_with("as of "))
        .unwrap_or_else(|| panic!("no \"as of\" line in:\n{output}"))
        .to_owned()
}

fn slow_claims_volume(db: &Path) -> u64 {
    let issues = json(db, &["issues", "--all", "--format", "json"]);
    issues
        .as_array()
        .expect("a list of themes")
        .iter()
        .find(|t| t["theme"] == "slow-claims")
        .and_then(|t| t["volume"].as_u64())
        .unwrap_or_else(|| panic!("no slow-claims in {issues:#}"))
}

#[test]
fn a_second_read_serves_the_kept_result_and_an_import_brings_new_figures() {
    let dir = tempfile::tempdir().expect("temporary folder");
    kept_results_follow_the_data(&dir.path().join("kept.db"), dir.path());
}

#[test]
fn on_postgres_too() {
    let Some(schema) = common::PgSchema::fresh() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    kept_results_follow_the_data(Path::new(&schema.url_with("")), dir.path());
}

fn kept_results_follow_the_data(db: &Path, dir: &Path) {
    let db = db.to_path_buf();
    import(&db, dir, "first.csv", &answers_csv(0, 100));

    let summary = json(&db, &["summary", "--format", "json"]);
    assert_eq!(summary["feedback"], 600);
    let computed_at = summary["computed_at"].as_i64().expect("computed_at");
    let issues = ok(&db, &["issues"]);
    let trend = ok(&db, &["trend", "slow-claims"]);
    let scores = ok(&db, &["scores"]);
    assert_eq!(slow_claims_volume(&db), 120);
    // Later reads, over a second on: the same results, computed at the same instant.
    std::thread::sleep(Duration::from_millis(1_100));
    let again = json(&db, &["summary", "--format", "json"]);
    assert_eq!(again, summary);
    assert_eq!(ok(&db, &["issues"]), issues);
    assert_eq!(ok(&db, &["trend", "slow-claims"]), trend);
    assert_eq!(ok(&db, &["scores"]), scores);
    for output in [&issues, &trend, &scores] {
        as_of(output);
    }

    // 50 more answers a month, 10 of them about slow claims: every read shows them.
    import(&db, dir, "second.csv", &answers_csv(500, 50));
    let summary = json(&db, &["summary", "--format", "json"]);
    assert_eq!(summary["feedback"], 900);
    assert!(summary["computed_at"].as_i64().expect("computed_at") > computed_at);
    assert_eq!(slow_claims_volume(&db), 180);
    let moved = ok(&db, &["trend", "slow-claims"]);
    assert_ne!(moved, trend);
    assert!(moved.contains("30 of 150"), "{moved}");
    assert_ne!(as_of(&moved), as_of(&trend));
    let scores_after = ok(&db, &["scores"]);
    assert_ne!(scores_after, scores);

    // Deleting the second import (the newest run): back to the first figures.
    let runs = json(&db, &["imports", "--format", "json"]);
    let newest = runs[0]["id"].as_i64().expect("an import run id");
    ok(&db, &["imports", "delete", &newest.to_string(), "--force"]);
    assert_eq!(json(&db, &["summary", "--format", "json"])["feedback"], 600);
    assert_eq!(slow_claims_volume(&db), 120);
    assert!(ok(&db, &["trend", "slow-claims"]).contains("20 of 100"));
}

#[test]
fn the_json_of_summary_says_when_it_was_computed() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("kept.db");
    import(&db, dir.path(), "first.csv", &answers_csv(0, 10));
    let summary: Value = json(&db, &["summary", "--format", "json"]);
    let computed_at = summary["computed_at"].as_i64().expect("computed_at");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    assert!((now - 600..=now).contains(&computed_at), "{computed_at}");
}
