//! Sentiment that learns, end to end: `trove train --target sentiment` on the airline tweets
//! of five airlines, `trove tag --all`, and the stored sentiment of the sixth airline's tweets
//! (never trained on) compared with their human labels, before and after; `trove eval
//! --target sentiment`; a label that is not a sentiment; and a survey source whose mapping
//! declares its question. The airline parts skip with a message when
//! `../shared/data/airline-tweets` is absent. Figures: `-- --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code"
)]

use crate::common;

use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

use common::{DATA, ROOT, Ran, TROVE, json, ok};
use trove_store::{FeedbackFilter, Store};
use trove_store_sqlite::SqliteStore;

fn tweets() -> Option<String> {
    let path = format!("{DATA}/airline-tweets/Tweets.csv");
    if Path::new(&path).exists() {
        Some(path)
    } else {
        eprintln!("skipped: {path} is absent");
        None
    }
}

fn run(db: &Path, args: &[&str]) -> Ran {
    Ran::from_output(
        Command::new(TROVE)
            .args(args)
            .arg("--db")
            .arg(db)
            .current_dir(ROOT)
            .output()
            .expect("run trove"),
    )
}

/// Each stored item's (business unit, human label, stored sentiment).
fn stored(db: &Path) -> Vec<(String, String, Option<f32>)> {
    let store = SqliteStore::open(db).unwrap();
    let mut out = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 5_000, &mut |page| {
            out.extend(page.into_iter().map(|s| {
                (
                    s.item
                        .business_unit
                        .map(|b| b.as_str().to_owned())
                        .unwrap_or_default(),
                    s.item
                        .attributes
                        .get("airline_sentiment")
                        .unwrap_or_default()
                        .to_owned(),
                    s.item.sentiment,
                )
            }));
            ControlFlow::Continue(())
        })
        .unwrap();
    out
}

/// The share of `airline`'s stored items whose sentiment's label is the human one.
fn agreement(items: &[(String, String, Option<f32>)], airline: &str) -> (f64, usize) {
    let label = |s: f32| trove_text::Label::of(f64::from(s)).as_str();
    let mine: Vec<_> = items.iter().filter(|i| i.0 == airline).collect();
    let right = mine
        .iter()
        .filter(|i| i.2.is_some_and(|s| label(s) == i.1))
        .count();
    (right as f64 / mine.len() as f64, mine.len())
}

#[test]
fn a_model_learned_on_five_airlines_reads_the_sixths_tweets_better_than_the_lexicon() {
    let Some(tweets) = tweets() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    // Training labels: every airline but Virgin America.
    let train = dir.path().join("train.csv");
    let mut reader = csv::Reader::from_path(&tweets).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (text, label, airline) = (
        column("text"),
        column("airline_sentiment"),
        column("airline"),
    );
    let mut writer = csv::Writer::from_path(&train).unwrap();
    writer.write_record(["comment", "tone"]).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        if &record[airline] != "Virgin America" {
            writer
                .write_record([&record[text], &record[label]])
                .unwrap();
        }
    }
    writer.flush().unwrap();

    ok(&db, &["taxonomy", "load", "taxonomies/airline-tweets.toml"]);
    ok(
        &db,
        &[
            "import",
            &tweets,
            "--mapping",
            "mappings/airline-tweets.toml",
        ],
    );
    let (lexicon, n) = agreement(&stored(&db), "Virgin America");

    let trained = json(
        &db,
        &[
            "train",
            "--target",
            "sentiment",
            "--labels",
            train.to_str().unwrap(),
            "--text-column",
            "comment",
            "--label-column",
            "tone",
            "--format",
            "json",
        ],
    );
    eprintln!("trained: {trained}");
    assert_eq!(
        (trained["name"].as_str(), trained["version"].as_i64()),
        (Some("sentiment"), Some(1))
    );
    let held = &trained["held_out"];
    let (learned_f1, lexicon_f1) = (
        held["learned"]["macro_f1"].as_f64().unwrap(),
        held["lexicon"]["macro_f1"].as_f64().unwrap(),
    );
    assert!(
        learned_f1 > lexicon_f1 + 0.15,
        "{learned_f1} vs {lexicon_f1}"
    );
    // A theme classifier never picks up the sentiment model by default.
    let classify = run(&db, &["classify"]);
    assert!(!classify.succeeded());
    assert!(classify.stderr.contains("no model is stored"), "{classify}");

    ok(&db, &["tag", "--all"]);
    let (learned, m) = agreement(&stored(&db), "Virgin America");
    eprintln!(
        "Virgin America's {n} tweets: stored sentiment agrees with people {lexicon:.3} (lexicon) -> {learned:.3} (learned)"
    );
    assert_eq!(n, m);
    // Measured 0.607 -> 0.700: another airline's customers, so less than on held-out rows
    // of the same airlines (accuracy 0.55 -> 0.83).
    assert!(learned > lexicon + 0.06, "{lexicon} -> {learned}");
    let listed = ok(&db, &["models"]);
    assert!(listed.contains("sentiment"), "{listed}");
}

#[test]
fn eval_prints_the_lexicon_and_the_learned_model_on_the_same_rows() {
    let Some(tweets) = tweets() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.db");
    let report = json(
        &db,
        &[
            "eval",
            "--target",
            "sentiment",
            "--data",
            &tweets,
            "--text-column",
            "text",
            "--label-column",
            "airline_sentiment",
            "--train-rows",
            "300",
            "--format",
            "json",
        ],
    );
    eprintln!("300 labels: {report}");
    assert_eq!(report["train_rows"], 300);
    assert_eq!(report["test_rows"], 2929, "a stratified fifth of 14,640");
    let learned = report["learned"]["macro_f1"].as_f64().unwrap();
    let lexicon = report["lexicon"]["macro_f1"].as_f64().unwrap();
    assert!(learned > lexicon + 0.08, "{learned} vs {lexicon}");
}

#[test]
fn a_label_that_is_not_a_sentiment_is_named_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let labels = dir.path().join("labels.csv");
    std::fs::write(
        &labels,
        "text,sentiment\ngreat staff,positive\nlong wait,-1\nfine,neu\nso so,mixed\n",
    )
    .unwrap();
    let ran = run(
        &db,
        &[
            "train",
            "--target",
            "sentiment",
            "--labels",
            labels.to_str().unwrap(),
        ],
    );
    assert!(!ran.succeeded());
    assert!(
        ran.stderr.contains(&format!(
            "{}, line 5, field \"sentiment\": \"mixed\" is not a sentiment",
            labels.display()
        )),
        "{ran}"
    );
}

#[test]
fn a_survey_sources_question_changes_how_its_answers_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let answers = dir.path().join("answers.csv");
    std::fs::write(
        &answers,
        "id,answer\n1,Nothing\n2,\"Nothing, all good thanks!\"\n3,\"more respect, more compassion\"\n\
         4,N/A\n5,Nothing works in this app\n6,The staff were lovely\n",
    )
    .unwrap();
    let mapping = dir.path().join("survey.toml");
    std::fs::write(
        &mapping,
        "source = \"survey\"\nchannel = \"survey\"\nquestion = \"What could we improve?\"\n\
         question_kind = \"improve\"\n[columns]\nid = \"id\"\ntext = \"answer\"\n",
    )
    .unwrap();
    ok(
        &db,
        &[
            "import",
            answers.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    let read =
        |db: &Path| -> Vec<&'static str> {
            let store = SqliteStore::open(db).unwrap();
            let mut out = Vec::new();
            store
                .scan_feedback(&FeedbackFilter::default(), 100, &mut |page| {
                    out.extend(page.into_iter().map(|s| {
                        trove_text::Label::of(f64::from(s.item.sentiment.unwrap())).as_str()
                    }));
                    ControlFlow::Continue(())
                })
                .unwrap();
            out
        };
    let expected = [
        "positive", "positive", "neutral", "positive", "neutral", "positive",
    ];
    assert_eq!(read(&db), expected);
    // Re-tagging reads with the stored question too.
    ok(&db, &["taxonomy", "load", "taxonomies/demo.toml"]);
    ok(&db, &["tag", "--all"]);
    assert_eq!(read(&db), expected);
    // A question without its kind is refused, naming the mapping.
    std::fs::write(
        &mapping,
        "source = \"survey\"\nchannel = \"survey\"\nquestion = \"What could we improve?\"\n\
         [columns]\nid = \"id\"\ntext = \"answer\"\n",
    )
    .unwrap();
    let ran = run(
        &db,
        &[
            "import",
            answers.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    assert!(!ran.succeeded());
    assert!(ran.stderr.contains("question needs question_kind"), "{ran}");
}
