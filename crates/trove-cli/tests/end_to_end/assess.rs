//! The maturity self-assessment from the command line: two people answer in March and again
//! in April (a rehearsal database lets them pretend the day with --now); a re-answer in March
//! replaces the first; the trend shows both months with the means and counts worked by hand;
//! bad answers are refused naming the question, the line or the person.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{ROOT, TROVE, json, ok};

const ADA: &str = "ada@example.com";
const BO: &str = "bo@example.com";

fn refused(db: &Path, args: &[&str]) -> String {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(ROOT)
        .output()
        .expect("run trove");
    assert!(!output.status.success(), "trove {args:?} should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn answer(db: &Path, person: &str, day: &str, answers: &[&str]) -> String {
    let mut args = vec!["assess", "answer", "--as", person, "--now", day];
    for a in answers {
        args.extend(["--answer", a]);
    }
    ok(db, &args)
}

/// The mean and count of an area in a month of `trend`.
fn area(trend: &serde_json::Value, month: usize, id: &str) -> (Option<f64>, u64) {
    let score = trend["months"][month]["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .find(|a| a["area"] == id)
        .expect("the area");
    (score["mean"].as_f64(), score["people"].as_u64().expect("n"))
}

#[test]
fn two_people_answer_twice_a_month_apart_and_the_trend_shows_both_months() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("assess.db");
    ok(
        &db,
        &["user", "add", ADA, "--name", "Ada", "--role", "admin"],
    );
    ok(
        &db,
        &[
            "user", "add", BO, "--name", "Bo", "--role", "viewer", "--as", ADA,
        ],
    );
    ok(
        &db,
        &["rehearsal", "on", "--reason", "assessment", "--as", ADA],
    );

    let questions = ok(&db, &["assess", "questions"]);
    assert!(questions.contains("Accountability") && questions.contains("Root causes"));
    assert!(questions.contains(" 1. [clarity-1]"), "{questions}");

    // March. Ada first answers clarity 1 and 1, then changes her mind: 2 and 4 (mean 3).
    answer(&db, ADA, "2026-03-03", &["1=1", "2=1"]);
    let again = answer(
        &db,
        ADA,
        "2026-03-20",
        &["1=2", "clarity-2=4", "accountability-1=2"],
    );
    assert!(again.contains("for 2026-03"), "{again}");
    // Bo answers from a file: clarity 5 (mean 5), accountability 1 and 2 (mean 1.5).
    let file = dir.path().join("answers.toml");
    std::fs::write(
        &file,
        "# Bo, March\nclarity-1 = 5\naccountability-1 = 1\n\"12\" = 2\n",
    )
    .expect("write");
    let file = file.to_str().expect("utf-8");
    ok(
        &db,
        &[
            "assess",
            "answer",
            "--as",
            BO,
            "--now",
            "2026-03-21",
            "--file",
            file,
        ],
    );
    // April: both answer clarity 4 and 2; Bo rates patience 1.
    answer(&db, ADA, "2026-04-15", &["1=4"]);
    answer(&db, BO, "2026-04-16", &["clarity-1=2", "patience-1=1"]);

    let trend = json(&db, &["assess", "show", "--format", "json"]);
    let months = trend["months"].as_array().expect("months");
    assert_eq!(months.len(), 2);
    assert_eq!(
        (months[0]["month"].as_str(), months[0]["people"].as_u64()),
        (Some("2026-03"), Some(2))
    );
    assert_eq!(
        (months[1]["month"].as_str(), months[1]["people"].as_u64()),
        (Some("2026-04"), Some(2))
    );
    // March clarity: Ada (2 + 4) / 2 = 3, Bo 5 -> (3 + 5) / 2 = 4, n = 2 (Ada's first set gone).
    assert_eq!(area(&trend, 0, "clarity"), (Some(4.0), 2));
    // March accountability: Ada 2, Bo (1 + 2) / 2 = 1.5 -> 1.75.
    assert_eq!(area(&trend, 0, "accountability"), (Some(1.75), 2));
    // April clarity: (4 + 2) / 2 = 3; patience: Bo alone, 1.
    assert_eq!(area(&trend, 1, "clarity"), (Some(3.0), 2));
    assert_eq!(area(&trend, 1, "patience"), (Some(1.0), 1));
    assert_eq!(area(&trend, 1, "accountability"), (None, 0));

    let table = ok(&db, &["assess", "show"]);
    assert!(
        table.contains("2026-03 (n=2)") && table.contains("2026-04 (n=2)"),
        "{table}"
    );
    assert!(
        table.contains("Corporate patience (1.00)") && table.contains("/ranking"),
        "{table}"
    );
}

#[test]
fn bad_answers_are_refused_naming_what_is_wrong() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("assess.db");
    ok(
        &db,
        &["user", "add", ADA, "--name", "Ada", "--role", "admin"],
    );
    let out_of_range = refused(&db, &["assess", "answer", "--as", ADA, "--answer", "5=7"]);
    assert!(
        out_of_range.contains("--answer 5=7: question 5 (alignment-2)"),
        "{out_of_range}"
    );
    let unknown = refused(&db, &["assess", "answer", "--as", ADA, "--answer", "99=3"]);
    assert!(unknown.contains("no question \"99\""), "{unknown}");
    let stranger = refused(
        &db,
        &[
            "assess",
            "answer",
            "--as",
            "eve@example.com",
            "--answer",
            "1=3",
        ],
    );
    assert!(stranger.contains("is not a Trove user"), "{stranger}");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "clarity-1 = 3\nclarity-2 = \"often\"\n").expect("write");
    let bad_file = refused(
        &db,
        &[
            "assess",
            "answer",
            "--as",
            ADA,
            "--file",
            file.to_str().expect("utf-8"),
        ],
    );
    assert!(
        bad_file.contains("bad.toml line 2") && bad_file.contains("clarity-2"),
        "{bad_file}"
    );
    // Outside a rehearsal, a pretended day is refused: answers carry the real time.
    let pretended = refused(
        &db,
        &[
            "assess",
            "answer",
            "--as",
            ADA,
            "--now",
            "2026-01-01",
            "--answer",
            "1=3",
        ],
    );
    assert!(pretended.contains("refused (real time)"), "{pretended}");
    ok(&db, &["assess", "answer", "--as", ADA, "--answer", "1=3"]);
    let trend = json(&db, &["assess", "show", "--format", "json"]);
    assert_eq!(trend["months"].as_array().expect("months").len(), 1);
}
