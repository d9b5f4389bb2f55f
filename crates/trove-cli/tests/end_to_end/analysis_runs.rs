//! End-to-end: `trove analyze` records each run, and `trove analyze --list` lists them.

use crate::common;

use common::{json, ok};

use serde_json::Value;

#[test]
fn each_analysis_is_recorded_and_listed_newest_first() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("demo.db");
    ok(
        &db,
        &[
            "demo",
            "--data-only",
            "--customers",
            "600",
            "--feedback",
            "3000",
        ],
    );
    assert_eq!(
        json(&db, &["analyze", "--list", "--format", "json"]),
        Value::Array(Vec::new()),
        "the demo records no analysis run"
    );

    let first = json(&db, &["analyze", "--format", "json"]);
    assert_eq!(first["run"], 1);
    assert!(first["items"].as_u64().unwrap() > 0, "{first}");
    assert!(first["themes"].is_array() && first["window_labels"].is_array());
    let second = json(
        &db,
        &[
            "analyze", "--format", "json", "--window", "3", "--themes", "rule",
        ],
    );
    assert_eq!(second["run"], 2);
    let chronic = |analysis: &Value| {
        analysis["themes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["chronic"] == true)
            .count() as u64
    };

    let runs = json(&db, &["analyze", "--list", "--format", "json"]);
    let runs = runs.as_array().expect("a list of runs");
    let ids: Vec<u64> = runs.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, vec![2, 1], "newest first");
    for (run, analysis) in runs.iter().zip([&second, &first]) {
        assert_eq!(run["taxonomy_version"], 1, "the demo loads its taxonomy");
        assert_eq!(run["items"], analysis["items"]);
        assert_eq!(run["chronic"], chronic(analysis));
        assert!(run["created_at"].as_i64().unwrap() > 1_700_000_000);
        assert_eq!(run["params"], analysis["params"]);
    }
    assert_eq!(runs[0]["params"]["window"], 3);
    assert_eq!(runs[0]["filter"]["origin"], "rule");
    assert_eq!(runs[1]["filter"]["origin"], "any");
    assert_eq!(runs[1]["filter"]["source"], Value::Null);

    let limited = json(
        &db,
        &["analyze", "--list", "--limit", "1", "--format", "json"],
    );
    assert_eq!(limited.as_array().unwrap().len(), 1);

    let human = ok(&db, &["analyze"]);
    let last = human.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("as of ") && last.ends_with(" UTC; analysis run 3 recorded"),
        "{human}"
    );
    let table = ok(&db, &["analyze", "--list"]);
    let rows: Vec<&str> = table.lines().filter(|l| l.contains("v1")).collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[0].contains(" 3 ") && rows[2].contains(" 1 "),
        "{table}"
    );
    assert!(rows[1].contains("3 months"), "{table}");

    // The data has not changed since the first run: the same request reads the result kept
    // then, and says when it was computed.
    let computed_at = first["computed_at"].as_i64().expect("when it was computed");
    assert!(computed_at > 1_700_000_000 && computed_at <= runs[1]["created_at"].as_i64().unwrap());
    let again = json(&db, &["analyze", "--format", "json"]);
    assert_eq!(again["run"], 4);
    assert_eq!(again["computed_at"], first["computed_at"]);
    assert_eq!(again["themes"], first["themes"]);
}
