//! End-to-end tests of `trove eval`: the built binary on small generated CSV files, and on the
//! airline tweets from `../shared/data` when present (skipped with a message otherwise).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const TROVE: &str = env!("CARGO_BIN_EXE_trove");
const TWEETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/airline-tweets/Tweets.csv"
);

fn trove(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(TROVE).args(args).output().expect("trove runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A CSV of `n` rows per intent, `text,intent,channel,day` (days 01..n, in two channels).
fn write_csv(path: &Path, n: usize) {
    let phrases = [
        ("card", "my card has not arrived yet"),
        ("card", "where is the new card I ordered"),
        ("refund", "I want my money back, refund please"),
        ("refund", "how do I get a refund for this"),
        ("app", "the app crashes when I log in"),
        ("app", "cannot open the mobile app"),
    ];
    let mut text = String::from("text,intent,channel,day\n");
    for i in 0..n {
        for (j, (intent, phrase)) in phrases.iter().enumerate() {
            let channel = if (i + j) % 2 == 0 { "email" } else { "chat" };
            text.push_str(&format!(
                "\"{phrase} (#{i})\",{intent},{channel},2024-01-{:02}\n",
                i + 1
            ));
        }
    }
    std::fs::write(path, text).expect("writes the CSV");
}

#[test]
fn train_and_test_files_give_the_json_report() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (train, test) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    write_csv(&train, 5);
    write_csv(&test, 2);
    let (ok, stdout, stderr) = trove(&[
        "eval",
        "--train",
        train.to_str().expect("UTF-8"),
        "--test",
        test.to_str().expect("UTF-8"),
        "--text-column",
        "text",
        "--label-column",
        "intent",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["accuracy"], 1.0);
    assert_eq!(report["macro_f1"], 1.0);
    assert_eq!(report["classes"], 3);
    assert_eq!(report["train_items"], 30);
    assert_eq!(report["test_items"], 12);
    assert!(report["train_seconds"].as_f64().expect("a number") >= 0.0);
    let per_class = report["per_class"].as_array().expect("per-class scores");
    assert_eq!(per_class.len(), 3);
    assert_eq!(per_class[0]["label"], "app");
    assert_eq!(per_class[0]["support"], 4);
    for key in ["precision", "recall", "f1"] {
        assert_eq!(per_class[0][key], 1.0);
    }
    assert_eq!(report["confusions"], Value::Array(vec![]));
}

#[test]
fn one_file_with_a_filter_and_a_time_split() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("data.csv");
    write_csv(&data, 10);
    let (ok, stdout, stderr) = trove(&[
        "eval",
        "--data",
        data.to_str().expect("UTF-8"),
        "--text-column",
        "text",
        "--label-column",
        "intent",
        "--where",
        "channel=email",
        "--split-column",
        "day",
        "--split-at",
        "2024-01-08",
    ]);
    assert!(ok, "{stderr}");
    // Days 1-7 train, 8-10 test; half the rows are email.
    assert!(
        stdout.contains("trained on 21 items (3 classes"),
        "{stdout}"
    );
    assert!(stdout.contains("tested on 9 items"), "{stdout}");
    assert!(stdout.contains("accuracy 1.0000"), "{stdout}");
}

#[test]
fn a_missing_column_is_named() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("data.csv");
    write_csv(&data, 3);
    let (ok, _, stderr) = trove(&[
        "eval",
        "--data",
        data.to_str().expect("UTF-8"),
        "--text-column",
        "body",
        "--label-column",
        "intent",
    ]);
    assert!(!ok);
    assert!(stderr.contains("has no column \"body\""), "{stderr}");
}

#[test]
fn airline_negative_reasons_before_and_after_the_22nd() {
    if !Path::new(TWEETS).exists() {
        eprintln!("skipped: {TWEETS} is absent");
        return;
    }
    let (ok, stdout, stderr) = trove(&[
        "eval",
        "--data",
        TWEETS,
        "--text-column",
        "text",
        "--label-column",
        "negativereason",
        "--where",
        "airline_sentiment=negative",
        "--split-column",
        "tweet_created",
        "--split-at",
        "2015-02-22",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["train_items"], 4212);
    assert_eq!(report["test_items"], 4966);
    assert_eq!(report["classes"], 10);
    // Measured 0.475 (scikit-learn's TF-IDF + LinearSVC with the same features: 0.475).
    let macro_f1 = report["macro_f1"].as_f64().expect("a number");
    assert!(macro_f1 > 0.46, "macro-F1 {macro_f1}");
}

#[test]
fn multi_label_reports_micro_and_macro_f1() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("data.csv");
    let mut text = String::from("text,themes\n");
    for i in 0..20 {
        text.push_str(&format!("\"flight was late again (#{i})\",late\n"));
        text.push_str(&format!("\"the agent was rude (#{i})\",rude\n"));
        text.push_str(&format!(
            "\"late flight and a rude agent (#{i})\",late; rude\n"
        ));
    }
    std::fs::write(&data, text).expect("writes the CSV");
    let (ok, stdout, stderr) = trove(&[
        "eval",
        "--data",
        data.to_str().expect("UTF-8"),
        "--text-column",
        "text",
        "--label-column",
        "themes",
        "--label-separator",
        ";",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["classes"], 2);
    assert_eq!(report["micro_f1"], 1.0, "{stdout}");
    assert_eq!(report["macro_f1"], 1.0);
    assert_eq!(report["exact_match"], 1.0);
}

/// The complaint reason of every tweet, positive and neutral ones kept as tweets with no
/// reason: with thresholds and a learned "no label" class, most of them get no label, and
/// macro-F1 over the reasons rises above the model that gives every tweet its best reason.
#[test]
fn airline_praise_and_neutral_tweets_mostly_get_no_complaint_label() {
    if !Path::new(TWEETS).exists() {
        eprintln!("skipped: {TWEETS} is absent");
        return;
    }
    let run = |weight: &str| {
        let (ok, stdout, stderr) = trove(&[
            "eval",
            "--data",
            TWEETS,
            "--text-column",
            "text",
            "--label-column",
            "negativereason",
            "--unlabelled",
            "none",
            "--class-weight",
            weight,
            "--split-column",
            "tweet_created",
            "--split-at",
            "2015-02-22",
            "--format",
            "json",
        ]);
        assert!(ok, "{stderr}");
        let report: Value = serde_json::from_str(&stdout).expect("JSON");
        eprintln!(
            "{weight}: macro-F1 {} (without thresholds {}), no label {} of {}, of the {} \
             positive or neutral tweets {} given no label",
            report["macro_f1"],
            report["without_thresholds"]["macro_f1"],
            report["no_label"],
            report["test_items"],
            report["unlabelled_test_items"],
            report["unlabelled_given_no_label"]
        );
        report
    };
    let report = run("uniform");
    assert_eq!(report["test_items"], 7451);
    let unlabelled = report["unlabelled_test_items"].as_f64().expect("a count");
    assert_eq!(unlabelled, 2485.0);
    let spared = report["unlabelled_given_no_label"]
        .as_f64()
        .expect("a count");
    // Measured: 1,994 of 2,485 (80%); macro-F1 0.373 without thresholds, 0.424 with.
    assert!(spared / unlabelled > 0.75, "{spared} of {unlabelled}");
    let f1 = |r: &Value| r["macro_f1"].as_f64().expect("a number");
    assert!(f1(&report) > f1(&report["without_thresholds"]) + 0.03);
    // Balanced weights: measured macro-F1 0.387 without thresholds, 0.449 with.
    let balanced = run("balanced");
    assert!(f1(&balanced) > f1(&report), "{balanced}");
}

const CFPB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cfpb-sample/complaints_sample.csv"
);

/// The CFPB complaints' Issue (62 of them on 1,532 narratives, many with a handful of
/// examples) from the narrative: balanced class weights and thresholds raise macro-F1 above
/// the plain model's while abstaining on few complaints.
#[test]
fn cfpb_issues_from_narratives_gain_macro_f1_from_balanced_weights() {
    if !Path::new(CFPB).exists() {
        eprintln!("skipped: {CFPB} is absent");
        return;
    }
    let run = |weight: &str| {
        let (ok, stdout, stderr) = trove(&[
            "eval",
            "--data",
            CFPB,
            "--text-column",
            "Consumer complaint narrative",
            "--label-column",
            "Issue",
            "--class-weight",
            weight,
            "--format",
            "json",
        ]);
        assert!(ok, "{stderr}");
        let report: Value = serde_json::from_str(&stdout).expect("JSON");
        eprintln!(
            "cfpb {weight}: accuracy {} macro-F1 {} (without thresholds: {}), no label {} of {}",
            report["accuracy"],
            report["macro_f1"],
            report["without_thresholds"],
            report["no_label"],
            report["test_items"]
        );
        report
    };
    let plain = run("uniform");
    assert_eq!(plain["skipped_empty_text"], 5091);
    let balanced = run("balanced");
    let f1 = |r: &Value| r["macro_f1"].as_f64().expect("a number");
    // Measured: 0.212 plain (no thresholds), 0.268 balanced with thresholds; 22 of 320 given
    // no label.
    assert!(
        f1(&balanced) > f1(&plain["without_thresholds"]) + 0.03,
        "{balanced}"
    );
    let abstained = balanced["no_label"].as_f64().expect("a count");
    assert!(abstained < 0.15 * balanced["test_items"].as_f64().expect("a count"));
}
