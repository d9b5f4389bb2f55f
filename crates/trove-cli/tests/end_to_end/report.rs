//! End-to-end: `trove report monthly` and `trove report list`. On the demo, each business
//! unit's report in every format: the JSON's contributions add up to the score's change (and
//! the change is the difference of the month's and the previous month's scores), the HTML and
//! Markdown have every section, the reports are kept and listed, and `--all` writes one file
//! per unit. On a small programme made here: a unit without CSAT answers has no CSAT section,
//! and the change of NPS is split by theme exactly as computed by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use common::{ROOT, TROVE, demo, json, ok};
use serde_json::Value;

/// The month before this one, `YYYY-MM`: the demo's last complete month.
fn last_month() -> String {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let first = today
        .first_of_month()
        .checked_sub(jiff::Span::new().days(1))
        .unwrap();
    format!("{:04}-{:02}", first.year(), first.month())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

/// The JSON's own arithmetic: each score change adds up, and agrees with the scores.
fn check_json(report: &Value) {
    assert_eq!(report["schema_version"], 1);
    let changes = report["why_it_moved"].as_array().unwrap();
    assert!(
        !changes.is_empty(),
        "the demo's units have scores in both months"
    );
    for change in changes {
        let total = f(&change["total_change"]);
        for list in ["contributions", "all_contributions"] {
            let sum: f64 = change[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| f(&c["total"]))
                .sum();
            assert!(
                (sum - total).abs() < 1e-9,
                "{list} add up to {sum}, not {total}"
            );
        }
        let last = change["contributions"].as_array().unwrap().last().unwrap();
        assert_eq!(last["group"], "other and untagged");
        // The change is the month's score minus the previous month's, as the tests show them.
        let score = report["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == change["kind"])
            .unwrap();
        assert!((f(&score["estimate"]["value"]) - f(&change["after"])).abs() < 1e-9);
        let previous = &score["vs_previous_month"];
        assert!((f(&previous["estimate"]["value"]) - f(&change["before"])).abs() < 1e-9);
        assert!((f(&previous["comparison"]["difference"]) - total).abs() < 1e-9);
        assert_eq!(score["trend"].as_array().unwrap().len(), 12);
    }
    assert!(!report["issues"]["themes"].as_array().unwrap().is_empty());
}

const SECTIONS: [&str; 7] = [
    "Why NPS moved",
    "Chronic issues",
    "Action plans",
    "Missed commitments",
    "Closing the loop",
    "Coverage",
    "Annuity ledger",
];

/// The demo's business units.
const UNITS: [&str; 3] = ["Home", "Personal Motor", "Small Business"];

/// The demo's viewer: reading a report needs no more.
const READER: &str = "vic@northwind.example";

#[test]
fn every_units_monthly_report_of_the_demo_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo"]);
    let month = last_month();
    for unit in UNITS {
        let report = |format: &str| {
            ok(
                &db,
                &[
                    "report",
                    "monthly",
                    "--business-unit",
                    unit,
                    "--month",
                    &month,
                    "--format",
                    format,
                    "--as",
                    READER,
                ],
            )
        };
        let report_json: Value = serde_json::from_str(&report("json")).unwrap();
        assert_eq!(report_json["business_unit"], unit);
        assert_eq!(report_json["month"], month.as_str());
        check_json(&report_json);
        // The demo's loop: the claim-payout issue's late action, by department, in days.
        let missed = report_json["action_plan"]["missed"].as_array().unwrap();
        assert!(
            missed.iter().any(|d| d["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| f(&a["days_late"]) > 0.0)),
            "{missed:#?}"
        );
        assert_eq!(report_json["annuity"]["cost_source"], "default");

        let html = report("html");
        assert!(html.starts_with("<!doctype html>"), "a standalone page");
        for section in SECTIONS {
            assert!(html.contains(section), "{unit}: the HTML has {section}");
        }
        assert!(
            html.contains("<svg") && html.contains("role=\"img\""),
            "the trend chart"
        );
        assert!(
            html.contains("@media print"),
            "the style sheet with its print rules is inside"
        );
        assert!(
            html.contains("id=\"score-csat\""),
            "the demo's units have CSAT"
        );
        let md = report("md");
        for section in SECTIONS {
            assert!(md.contains(section), "{unit}: the Markdown has {section}");
        }
        let csv = report("csv");
        assert!(csv.starts_with("section,subject,measure,value\n"));
        assert!(csv.contains("why_NPS_moved,,total_change,"), "{csv}");
    }

    // Kept, one per unit and month, and listed.
    let kept = json(&db, &["report", "list", "--format", "json", "--as", READER]);
    let kept: Vec<(String, String)> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["business_unit"].as_str().unwrap().into(),
                k["month"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = UNITS
        .iter()
        .map(|u| (u.to_string(), month.clone()))
        .collect();
    assert_eq!(kept, expected);

    // --all: one file per unit.
    let out = dir.path().join("all");
    ok(
        &db,
        &[
            "report",
            "monthly",
            "--all",
            "--month",
            &month,
            "--format",
            "md",
            "--out",
            out.to_str().unwrap(),
            "--as",
            READER,
        ],
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let expected: Vec<String> = ["home", "personal-motor", "small-business"]
        .iter()
        .map(|stem| format!("{stem}-{month}.md"))
        .collect();
    assert_eq!(files, expected);

    // The PDF: typeset in-process, the same bytes twice, several A4 pages.
    let pdf = dir.path().join("home.pdf");
    let pdf_again = dir.path().join("home-again.pdf");
    for path in [&pdf, &pdf_again] {
        let output = Command::new(TROVE)
            .args([
                "report",
                "monthly",
                "--business-unit",
                "Home",
                "--month",
                &month,
            ])
            .args(["--format", "pdf", "--as", READER, "--out"])
            .arg(path)
            .arg("--db")
            .arg(&db)
            .current_dir(ROOT)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    assert!(
        String::from_utf8_lossy(&bytes)
            .matches("/Type /Page\n")
            .count()
            >= 2
            || String::from_utf8_lossy(&bytes).contains("/Count "),
        "a document with pages"
    );
    assert_eq!(bytes, std::fs::read(&pdf_again).unwrap(), "deterministic");

    // A PDF on the terminal, a bad month and an unknown unit are refused in words. Once the
    // workflow has people, a reader says who they are, as for every workflow read.
    for (args, says) in [
        (
            vec!["--business-unit", "Home", "--format", "pdf", "--as", READER],
            "name the file with --out",
        ),
        (
            vec![
                "--business-unit",
                "Home",
                "--month",
                "2026-13",
                "--as",
                READER,
            ],
            "YYYY-MM",
        ),
        (
            vec!["--business-unit", "Nowhere", "--as", READER],
            "has no feedback",
        ),
        (vec!["--business-unit", "Home"], "say who you are"),
        (
            vec!["--business-unit", "Home", "--as", "nobody@example.com"],
            "not a Trove user",
        ),
    ] {
        let output = Command::new(TROVE)
            .args(["report", "monthly"])
            .args(&args)
            .arg("--db")
            .arg(&db)
            .current_dir(ROOT)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// The example report in docs/ reads as the current `MonthlyReport`: the PDF helper's input
/// keeps its shape.
#[test]
fn the_documented_example_reads_as_a_monthly_report() {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("docs/examples/monthly-report.json")).unwrap();
    let report: trove_app::report::MonthlyReport = serde_json::from_str(&text).unwrap();
    check_json(&serde_json::to_value(&report).unwrap());
}

/// Two units over February and March 2025. "Nps Only" answers NPS alone; "Both" answers NPS
/// and CSAT. The Nps Only answers, with the source's theme:
///
/// February: promoter {a}, detractor {b}, promoter {}, detractor {b}      → NPS 0
/// March:    promoter {a}, promoter {b},  detractor {}, promoter {b}      → NPS 50
///
/// By hand (shares w, rates r; the change of each group is (w1−w0)·r̄ + (r1−r0)·w̄):
///   a: w .25 → .25, r 100 → 100:  0
///   b: w .50 → .50, r −100 → 100: 200 × .5 = +100
///   untagged: w .25 → .25, r 100 → −100: −200 × .25 = −50
///   total +50 = 50 − 0.
fn programme(db: &Path, dir: &Path) {
    let mut csv = String::from("id,date,unit,nps,csat,theme\n");
    let rows = [
        ("2025-02-03", 10, "a"),
        ("2025-02-04", 2, "b"),
        ("2025-02-05", 9, ""),
        ("2025-02-06", 0, "b"),
        ("2025-03-03", 10, "a"),
        ("2025-03-04", 9, "b"),
        ("2025-03-05", 3, ""),
        ("2025-03-06", 10, "b"),
    ];
    for (i, (day, nps, theme)) in rows.iter().enumerate() {
        writeln!(csv, "n{i},{day},Nps Only,{nps},,{theme}").unwrap();
        writeln!(csv, "b{i},{day},Both,{nps},{},{theme}", 1 + i % 5).unwrap();
    }
    let file = dir.join("programme.csv");
    std::fs::write(&file, csv).unwrap();
    ok(
        db,
        &[
            "import",
            file.to_str().unwrap(),
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
            "--csat-column",
            "csat",
            "--business-unit-column",
            "unit",
            "--theme-column",
            "theme",
        ],
    );
}

#[test]
fn a_unit_without_csat_has_no_csat_section_and_its_nps_change_splits_as_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    check_programme(&dir.path().join("programme.db"), dir.path());
}

/// The same on PostgreSQL (a schema of its own), skipped without `TROVE_TEST_POSTGRES`.
#[test]
fn on_postgres_too() {
    let Some(schema) = common::PgSchema::fresh() else {
        return;
    };
    let url = schema.url_with("");
    let dir = tempfile::tempdir().unwrap();
    check_programme(Path::new(&url), dir.path());
    // Kept there too.
    let kept = json(Path::new(&url), &["report", "list", "--format", "json"]);
    assert_eq!(
        kept.as_array().unwrap().len(),
        2,
        "one per unit and month: {kept:#}"
    );
}

fn check_programme(db: &Path, dir: &Path) {
    let db = db.to_path_buf();
    programme(&db, dir);
    let report = |unit: &str, format: &str| {
        ok(
            &db,
            &[
                "report",
                "monthly",
                "--business-unit",
                unit,
                "--month",
                "2025-03",
                "--format",
                format,
            ],
        )
    };
    let only: Value = serde_json::from_str(&report("Nps Only", "json")).unwrap();
    let kinds: Vec<&str> = only["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["nps"]);
    let html = report("Nps Only", "html");
    assert!(html.contains("id=\"score-nps\"") && !html.contains("id=\"score-csat\""));
    assert!(!html.contains("Why CSAT moved"));
    assert!(!report("Nps Only", "md").contains("## CSAT"));
    // The unit that has CSAT shows it.
    assert!(report("Both", "html").contains("id=\"score-csat\""));

    let change = &only["why_it_moved"][0];
    assert_eq!(change["kind"], "nps");
    assert!((f(&change["before"]) - 0.0).abs() < 1e-9 && (f(&change["after"]) - 50.0).abs() < 1e-9);
    let part = |group: &str| {
        change["all_contributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["group"] == group)
            .map(|c| f(&c["total"]))
            .unwrap()
    };
    assert!(part("a").abs() < 1e-9);
    assert!((part("b") - 100.0).abs() < 1e-9);
    assert!((part("untagged") + 50.0).abs() < 1e-9);
    assert_eq!(only["coverage"]["tagged"], 3);
    assert_eq!(only["coverage"]["items"], 4);
}
