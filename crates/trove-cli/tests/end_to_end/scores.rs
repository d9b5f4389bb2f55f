//! End-to-end: a CSAT-only programme over two business units (generated here) is first class:
//! its scores carry intervals and a test that tells the two units apart, its drivers explain
//! CSAT (support, direction, interval), and the ranking's impact column names CSAT.

use crate::common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{json, ok};
use serde_json::Value;

/// Answers per unit, and how many of them are in the top two boxes: 87.1% and 81.4%.
const UNITS: [(&str, usize, usize); 2] =
    [("North Trust", 3_000, 2_613), ("South Trust", 2_500, 2_035)];

/// The CSV: six complete months (2025-01 .. 2025-06). The source coded themes: "slow-claims"
/// on half of the answers under 4 (1-3), "friendly-staff" on every tenth top-2 answer (4-5),
/// "lost-letter" on a handful of low answers (too few to tell).
fn programme_csv() -> String {
    let mut csv = String::from("id,date,unit,csat,comment,theme\n");
    for (unit, answers, top2) in UNITS {
        for i in 0..answers {
            let high = i < top2;
            let csat = if high { 5 - i % 2 } else { 1 + i % 3 };
            let theme = if !high && i % 97 == 1 {
                "lost-letter"
            } else if !high && i % 2 == 0 {
                "slow-claims"
            } else if high && i % 10 == 0 {
                "friendly-staff"
            } else {
                ""
            };
            let date = format!("2025-{:02}-{:02}", 1 + i % 6, 1 + (i / 6) % 28);
            writeln!(csv, "{unit}-{i},{date},{unit},{csat},answer {i},{theme}").expect("a String");
        }
    }
    csv
}

fn csat_programme() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("csat.csv");
    std::fs::write(&file, programme_csv()).expect("write the CSV");
    let db = dir.path().join("csat.db");
    import(&db, &file);
    (dir, db)
}

fn import(db: &Path, file: &Path) {
    let file = file.to_str().expect("a UTF-8 path");
    ok(
        db,
        &[
            "import",
            file,
            "--source",
            "trusts",
            "--channel",
            "survey",
            "--id-column",
            "id",
            "--time-column",
            "date",
            "--csat-column",
            "csat",
            "--text-column",
            "comment",
            "--business-unit-column",
            "unit",
            "--theme-column",
            "theme",
        ],
    );
}

fn unit<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .expect("a list of groups")
        .iter()
        .find(|r| r["group"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {rows:#}"))
}

#[test]
fn a_csat_only_programme_gets_intervals_tests_and_drivers_on_csat() {
    let (_dir, db) = csat_programme();

    // Scores by unit: 87.1% against 81.4%, each with a Wilson interval, significantly apart.
    let rows = json(
        &db,
        &["scores", "--by", "business-unit", "--format", "json"],
    );
    let north = unit(&rows, "North Trust");
    assert!((north["csat"]["value"].as_f64().unwrap() - 87.1).abs() < 1e-9);
    let (low, high) = (
        north["csat"]["ci_low"].as_f64().unwrap(),
        north["csat"]["ci_high"].as_f64().unwrap(),
    );
    assert!(
        (low - 85.853).abs() < 0.01 && (high - 88.252).abs() < 0.01,
        "{north:#}"
    );
    assert_eq!(north["nps"], Value::Null);
    assert_eq!(north["baseline"], "the rest");
    let change = &north["csat_change"];
    assert!(
        (change["difference"].as_f64().unwrap() - 5.7).abs() < 1e-9,
        "{change:#}"
    );
    assert_eq!(change["significant"], true);
    assert!(change["p_value"].as_f64().unwrap() < 1e-6, "{change:#}");
    let south = unit(&rows, "South Trust");
    assert!((south["csat"]["value"].as_f64().unwrap() - 81.4).abs() < 1e-9);
    assert_eq!(south["csat_change"]["significant"], true);
    let table = ok(&db, &["scores", "--by", "business-unit"]);
    assert!(
        table.contains("CSAT top-2 (95% CI)") && !table.contains("NPS"),
        "{table}"
    );
    assert!(table.contains("87.1% (85.9..88.3) n=3,000"), "{table}");
    assert!(table.contains("+5.7 pts (significant, p<0.001)"), "{table}");

    // By quarter: 2025-Q1 and 2025-Q2, the second compared with the first.
    let quarters = json(&db, &["scores", "--period", "quarter", "--format", "json"]);
    let labels: Vec<&str> = quarters
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["group"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2025-Q1", "2025-Q2"]);
    assert_eq!(unit(&quarters, "2025-Q2")["baseline"], "2025-Q1");

    // Drivers on CSAT, the only score, said so; support, direction and an interval.
    let drivers = json(&db, &["drivers", "--format", "json"]);
    assert_eq!(drivers["score"], "csat");
    assert_eq!(drivers["score_asked"], false);
    assert_eq!(drivers["responses"], 5_500);
    assert_eq!(drivers["bootstrap"]["resamples"], 200);
    assert!(drivers["bootstrap"]["seed"].is_u64());
    let list = drivers["drivers"].as_array().unwrap();
    let slow = &list[0];
    assert_eq!(slow["name"], "slow-claims", "{drivers:#}");
    assert_eq!(slow["direction"], "lowers");
    assert!(slow["support"].as_u64().unwrap() >= 30);
    assert!(
        slow["difference_ci_high"].as_f64().unwrap() < 0.0,
        "{slow:#}"
    );
    let (low, high) = (
        slow["ci_low"].as_f64().unwrap(),
        slow["ci_high"].as_f64().unwrap(),
    );
    let value = slow["shapley"].as_f64().unwrap();
    assert!(0.0 < low && low < value && value < high, "{slow:#}");
    let friendly = list.iter().find(|d| d["name"] == "friendly-staff").unwrap();
    assert_eq!(friendly["direction"], "raises");
    let thin = drivers["too_few"].as_array().unwrap();
    assert_eq!(thin.len(), 1, "{thin:?}");
    assert_eq!(thin[0]["name"], "lost-letter");
    assert!(thin[0]["support"].as_u64().unwrap() < 30);
    // Asking for a score the data lacks is a clear error naming what it has.
    let refused = std::process::Command::new(common::TROVE)
        .args(["drivers", "--score", "nps", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("no NPS answers in the window (5,500 CSAT answers)"),
        "{stderr}"
    );

    let words = ok(&db, &["drivers"]);
    assert!(
        words.contains("Key drivers of the CSAT answer (1-5)")
            && words.contains("the score with the most answers in the window")
            && words.contains("percentile bootstrap over 200 resamples")
            && words.contains("Too few to tell (under 30 responses, --min-support): lost-letter"),
        "{words}"
    );
    assert!(
        !words.contains("Sampled {") && !words.contains("Exact {"),
        "{words}"
    );
    // A lower minimum lets the thin theme in.
    let lower = json(&db, &["drivers", "--min-support", "5", "--format", "json"]);
    assert!(lower["too_few"].as_array().unwrap().is_empty(), "{lower:#}");

    // The ranking's impact column is CSAT's, as its sentences are.
    let issues = ok(&db, &["issues", "--all"]);
    assert!(
        issues.contains("CSAT impact") && !issues.contains("NPS impact"),
        "{issues}"
    );
    // The summary's breakdowns show CSAT columns and no NPS ones.
    let summary = ok(&db, &["summary"]);
    assert!(
        summary.contains("CSAT top-2") && !summary.contains("NPS answers"),
        "{summary}"
    );
}
