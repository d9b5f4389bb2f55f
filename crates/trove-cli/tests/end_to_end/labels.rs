//! End-to-end tests of the labels' evidence on a survey written here: small early months, one
//! steady costly theme, one rarer theme that costs the score, tiny themes, a source-coded
//! compliment and a trailing month that has just begun.

use crate::common;

use std::fmt::Write as _;

use common::{json, ok};
use serde_json::Value;

const MAPPING: &str = r#"source = "survey"
channel = "survey"

[columns]
id = "id"
time = "submitted"
customer = "customer"
business_unit = "unit"
nps = "score"
text = "comment"

[time]
format = "%Y-%m-%d %H:%M"
default_offset = "+00:00"

[themes]
columns = ["issue"]
"#;

/// (year, month, items): six months of 12 answers, eight of 400, then 20 of a month begun.
const MONTHS: [(i32, u32, usize); 15] = [
    (2024, 1, 12),
    (2024, 2, 12),
    (2024, 3, 12),
    (2024, 4, 12),
    (2024, 5, 12),
    (2024, 6, 12),
    (2024, 7, 400),
    (2024, 8, 400),
    (2024, 9, 400),
    (2024, 10, 400),
    (2024, 11, 400),
    (2024, 12, 400),
    (2025, 1, 400),
    (2025, 2, 400),
    (2025, 3, 20),
];

/// The theme and NPS answer of answer `j` of a month of `items`, in month number `m`.
fn answer(m: usize, items: usize, j: usize) -> (&'static str, u32) {
    if items < 30 {
        // Small months: a third say "diagnosis" (a share no large month comes near).
        return if j < 4 { ("diagnosis", 5) } else { ("", 9) };
    }
    match j % 100 {
        0..=7 => ("wait-time", (j % 4) as u32),
        20..=22 => ("diagnosis", 7),
        30..=34 => ("compliment", 10),
        _ if j % 200 == 10 || j % 200 == 11 || j % 200 == 12 => ("billing-error", 2),
        _ if m == 11 && j < 300 && j % 100 == 50 => ("tiny-spell", 8),
        _ => ("", [9, 10, 8][j % 3]),
    }
}

fn survey() -> (tempfile::TempDir, std::path::PathBuf) {
    survey_scored_as("nps")
}

/// The survey with its answers as NPS (0-10) or as CSAT (1-5: half the NPS answer, at least 1).
fn survey_scored_as(score: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut csv = String::from("id,submitted,customer,unit,score,comment,issue\n");
    for (m, &(year, month, items)) in MONTHS.iter().enumerate() {
        for j in 0..items {
            let (issue, nps) = answer(m, items, j);
            let score = if score == "csat" {
                (nps / 2).max(1)
            } else {
                nps
            };
            let day = 1 + j % 27;
            writeln!(
                csv,
                "{m}-{j},{year}-{month:02}-{day:02} 10:00,C{},{},{score},ok,{issue}",
                (m * 400 + j) % 900,
                ["Home", "Motor"][j % 2]
            )
            .expect("writing to a string");
        }
    }
    let file = dir.path().join("survey.csv");
    std::fs::write(&file, csv).expect("the survey file");
    let mapping = dir.path().join("survey.toml");
    let mapping_text = MAPPING.replace("nps = ", &format!("{score} = "));
    std::fs::write(&mapping, mapping_text).expect("the mapping");
    let db = dir.path().join("survey.db");
    ok(
        &db,
        &[
            "import",
            file.to_str().expect("a UTF-8 path"),
            "--mapping",
            mapping.to_str().expect("a UTF-8 path"),
        ],
    );
    (dir, db)
}

fn theme<'a>(themes: &'a [Value], id: &str) -> &'a Value {
    themes
        .iter()
        .find(|t| t["theme"] == id)
        .unwrap_or_else(|| panic!("{id} is scored"))
}

#[test]
fn labels_rest_on_counts_and_tests() {
    let (_dir, db) = survey();
    let all = json(&db, &["issues", "--all", "--format", "json"]);
    let all = all.as_array().expect("a list");
    // 8% of every month, all detractors: chronic, first.
    let wait = theme(all, "wait-time");
    assert_eq!(
        (wait["label"].as_str(), wait["rank"].as_u64()),
        (Some("chronic"), Some(1))
    );
    assert_eq!(wait["periods_above"], 6);
    // 1.5% of answers (under the chronic share) but all detractors: a significant loss, listed.
    let billing = theme(all, "billing-error");
    assert_eq!(billing["label"], "occasional", "{billing}");
    assert_eq!(billing["listed"], true, "{billing}");
    assert!(billing["impact_p_value"].as_f64().unwrap() < 0.05);
    // Three answers in one month: no spike, not listed.
    let tiny = theme(all, "tiny-spell");
    assert_eq!(
        (tiny["label"].as_str(), &tiny["listed"]),
        (Some("occasional"), &Value::Bool(false))
    );
    // The compliment raises the score: praise, no money at risk, not in the ranked list.
    let compliment = theme(all, "compliment");
    assert_eq!(compliment["label"], "praise", "{compliment}");
    assert_eq!(compliment["listed"], false);
    let listed = json(&db, &["issues", "--format", "json"]);
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["theme"].as_str().unwrap())
        .collect();
    // "diagnosis" answers are passives (7) against a mostly promoting rest: a loss too.
    assert_eq!(listed, ["wait-time", "billing-error", "diagnosis"]);
    assert_eq!(theme(all, "diagnosis")["label"], "occasional");
    // The small early months set no baseline: no shift for "diagnosis", whose share there was a
    // third. The periods are named.
    let analysis = json(&db, &["analyze", "--format", "json", "--window", "8"]);
    let alerts = analysis["alerts"].as_array().unwrap();
    assert!(
        !alerts.iter().any(|a| a["theme"] == "diagnosis"),
        "{alerts:?}"
    );
    assert_eq!(analysis["window"][0]["period"], "2024-07");
    assert_eq!(analysis["left_out"]["period"], "2025-03");
    assert_eq!(analysis["left_out"]["items"], 20);
}

#[test]
fn nothing_is_left_out_silently() {
    let (_dir, db) = survey();
    let human = ok(&db, &["issues"]);
    assert!(
        human.contains("2025-03 left out: incomplete, 20 items; `--include-partial` keeps it"),
        "{human}"
    );
    for column in ["NPS impact:", "at risk:", "tone:", "chronic:", "customers:"] {
        assert!(
            human.contains(column),
            "the legend misses {column}: {human}"
        );
    }
    assert!(
        human.contains("Praise, suggestions and questions"),
        "{human}"
    );
    let kept = json(&db, &["analyze", "--include-partial", "--format", "json"]);
    assert_eq!(kept["left_out"], Value::Null);
    let window = kept["window"].as_array().unwrap();
    assert_eq!(window.last().unwrap()["period"], "2025-03");
    // Quarters are named like 2024-Q4, and the trend shows the window only.
    let quarters = json(
        &db,
        &[
            "analyze", "--period", "quarter", "--window", "2", "--format", "json",
        ],
    );
    let named: Vec<&str> = quarters["window"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    // The first quarter of 2025 holds 820 items, more than half the median quarter (1,200), so
    // the volume rule keeps it although March has just begun.
    assert_eq!(named, ["2024-Q4", "2025-Q1"]);
    let trend = json(
        &db,
        &["trend", "wait-time", "--window", "3", "--format", "json"],
    );
    let periods: Vec<&str> = trend
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2024-12", "2025-01", "2025-02"]);
}

#[test]
fn a_csat_only_programme_names_its_score_and_lists_its_losses() {
    let (_dir, db) = survey_scored_as("csat");
    let human = ok(&db, &["issues"]);
    assert!(human.contains("CSAT impact"), "{human}");
    let listed = json(&db, &["issues", "--format", "json"]);
    let listed = listed.as_array().unwrap();
    let billing = theme(listed, "billing-error");
    assert!(billing["csat_impact"].as_f64().unwrap() < 0.0, "{billing}");
    assert!(
        billing["impact_p_value"].as_f64().unwrap() < 0.05,
        "{billing}"
    );
    assert!(
        billing["explanation"]
            .as_str()
            .unwrap()
            .contains("CSAT impact"),
        "{billing}"
    );
}
