//! The taxonomy end to end: `trove taxonomy load|export|coverage` and `trove tag --all` on a
//! small demo database, and the analyst-written taxonomies measured on the real data sets in
//! `../shared/data` (skipped with a message when they are absent).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trove_text::{Scratch, Tagger, Taxonomy};

const TROVE: &str = env!("CARGO_BIN_EXE_trove");
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const TWEETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/airline-tweets/Tweets.csv"
);

fn trove(db: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(ROOT)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ok(db: &Path, args: &[&str]) -> String {
    let (success, stdout, stderr) = trove(db, args);
    assert!(success, "trove {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

fn taxonomy(name: &str) -> Taxonomy {
    let path = format!("{ROOT}/taxonomies/{name}");
    Taxonomy::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn a_demo_database_is_tagged_and_its_coverage_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let (success, _, stderr) = trove(&dir.path().join("empty.db"), &["taxonomy", "export"]);
    assert!(
        !success && stderr.contains("no taxonomy is loaded"),
        "{stderr}"
    );
    ok(&db, &["demo", "--customers", "600", "--feedback", "3000"]);

    // The demo loads its own taxonomy (version 1) and tags its items: loading the same file
    // again changes nothing.
    let again = ok(&db, &["taxonomy", "load", "taxonomies/demo.toml"]);
    assert!(again.contains("unchanged"), "{again}");
    let exported = ok(&db, &["taxonomy", "export"]);
    assert_eq!(
        Taxonomy::parse("exported", &exported).unwrap(),
        taxonomy("demo.toml")
    );

    let tagged = ok(&db, &["tag", "--all", "--format", "json"]);
    let report: Value = serde_json::from_str(&tagged).unwrap();
    assert_eq!(report["items"], 3000);
    assert!(report["tagged"].as_u64().unwrap() > 1500, "{report}");

    let coverage: Value =
        serde_json::from_str(&ok(&db, &["taxonomy", "coverage", "--format", "json"])).unwrap();
    let share = coverage["coverage"].as_f64().unwrap();
    println!("demo coverage: {coverage}");
    assert!(share > 0.5 && share <= 1.0, "{coverage}");
    assert!(
        coverage["by_source"]["northwind-demo"].is_f64(),
        "{coverage}"
    );
    assert!(coverage["unplaced"].is_u64(), "{coverage}");
    let human = ok(&db, &["taxonomy", "coverage"]);
    assert!(human.contains("journey placement"), "{human}");

    // A changed taxonomy is a new version with its diff; removed themes are retired.
    let edited = std::fs::read_to_string(format!("{ROOT}/taxonomies/demo.toml"))
        .unwrap()
        .replace("\"nickel and dimed\", ", "");
    let file = dir.path().join("edited.toml");
    std::fs::write(&file, edited).unwrap();
    let second = ok(&db, &["taxonomy", "load", file.to_str().unwrap()]);
    assert!(
        second.contains("version 2") && second.contains("~ surprise-fee (phrases)"),
        "{second}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[themes]]\nid = \"x\"\nname = \"X\"\nparent = \"nope\"\nkeywords = [\"a\"]\n",
    )
    .unwrap();
    let (success, _, stderr) = trove(&db, &["taxonomy", "load", bad.to_str().unwrap()]);
    assert!(
        !success && stderr.contains("bad.toml:1: theme `x` field `parent`"),
        "{stderr}"
    );
}

#[test]
fn import_tags_items_when_a_taxonomy_is_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    ok(&db, &["taxonomy", "load", "taxonomies/airline-tweets.toml"]);
    let csv = dir.path().join("f.csv");
    std::fs::write(
        &csv,
        "id,date,comment\n1,2025-01-01,My flight was delayed again\n2,2025-01-02,Nothing to say\n",
    )
    .unwrap();
    ok(
        &db,
        &[
            "import",
            csv.to_str().unwrap(),
            "--channel",
            "survey",
            "--id-column",
            "id",
            "--time-column",
            "date",
            "--text-column",
            "comment",
        ],
    );
    let coverage: Value =
        serde_json::from_str(&ok(&db, &["taxonomy", "coverage", "--format", "json"])).unwrap();
    assert_eq!(coverage["tagged"], 1, "{coverage}");
    assert_eq!(coverage["total"], 2, "{coverage}");
}

/// Every taxonomy in `taxonomies/` parses, and tags something.
#[test]
fn the_shipped_taxonomies_are_valid() {
    for name in [
        "demo.toml",
        "airline-tweets.toml",
        "cfpb-sample.toml",
        "banking77.toml",
    ] {
        let path = format!("{ROOT}/taxonomies/{name}");
        if !Path::new(&path).exists() {
            continue;
        }
        let t = taxonomy(name);
        assert!(t.themes.len() >= 5, "{name}");
        assert_eq!(Taxonomy::parse(name, &t.to_toml()).unwrap(), t, "{name}");
    }
}

/// The airline taxonomy (written from the tweets' text) on the negative tweets with a reason
/// other than "Can't Tell": coverage and the agreement of its themes with `negativereason`.
#[test]
fn the_airline_taxonomy_covers_negative_tweets() {
    if !Path::new(TWEETS).exists() {
        eprintln!("skipped: {TWEETS} is absent");
        return;
    }
    let taxonomy = taxonomy("airline-tweets.toml");
    let tagger = Tagger::new(&taxonomy);
    let mut reader = csv::Reader::from_path(TWEETS).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (sentiment, reason, text) = (
        column("airline_sentiment"),
        column("negativereason"),
        column("text"),
    );
    let mut scratch = Scratch::default();
    let (mut total, mut covered) = (0_u64, 0_u64);
    let mut per_reason: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    // reason -> theme (top level of the hierarchy below the root, i.e. the leaf's id) -> count
    let mut table: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut themes: BTreeSet<String> = BTreeSet::new();
    for record in reader.records() {
        let record = record.unwrap();
        if &record[sentiment] != "negative" || &record[reason] == "Can't Tell" {
            continue;
        }
        total += 1;
        let tags = tagger.tag_with(&record[text], &mut scratch);
        let entry = per_reason.entry(record[reason].to_owned()).or_default();
        entry.0 += 1;
        if !tags.is_empty() {
            covered += 1;
            entry.1 += 1;
        }
        let found: BTreeSet<String> = tags
            .iter()
            .map(|t| tagger.theme_id(t.theme).to_string())
            .collect();
        for theme in found {
            themes.insert(theme.clone());
            *table
                .entry(record[reason].to_owned())
                .or_default()
                .entry(theme)
                .or_default() += 1;
        }
    }
    let coverage = covered as f64 / total as f64;
    println!(
        "airline tweets, negative with a reason: {covered} of {total} tagged ({:.1}%)",
        coverage * 100.0
    );
    println!("\nshare of each negativereason's tweets tagged with each theme (%):");
    let short: Vec<String> = themes.iter().map(|t| t.chars().take(9).collect()).collect();
    println!(
        "{:<28} {:>6} {:>6}  {}",
        "negativereason",
        "n",
        "cov%",
        short.iter().map(|s| format!(" {s:>9}")).collect::<String>()
    );
    for (reason, (n, c)) in &per_reason {
        let row: String = themes
            .iter()
            .map(|t| {
                let k = table
                    .get(reason)
                    .and_then(|r| r.get(t))
                    .copied()
                    .unwrap_or(0);
                format!(" {:>9.0}", 100.0 * k as f64 / *n as f64)
            })
            .collect();
        println!(
            "{reason:<28} {n:>6} {:>6.1}  {row}",
            100.0 * *c as f64 / *n as f64
        );
    }
    assert!(coverage >= 0.8, "coverage {coverage:.3}");
}

/// Per label: its size, its most frequent theme and how many of its texts carry that theme.
type TopThemes = BTreeMap<String, (u64, String, u64)>;

/// The share of a CSV column's non-empty texts the taxonomy tags, and the most frequent theme
/// per label (when a label column is given).
fn coverage_of(
    file: &str,
    taxonomy_name: &str,
    text_column: &str,
    label_column: &str,
) -> Option<(f64, TopThemes)> {
    let path = format!("{ROOT}/../shared/data/{file}");
    if !Path::new(&path).exists() {
        eprintln!("skipped: {path} is absent");
        return None;
    }
    let tagger = Tagger::new(&taxonomy(taxonomy_name));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (text, label) = (column(text_column), column(label_column));
    let mut scratch = Scratch::default();
    let (mut total, mut covered) = (0_u64, 0_u64);
    let mut by_label: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        if record[text].trim().is_empty() {
            continue;
        }
        total += 1;
        *sizes.entry(record[label].to_owned()).or_default() += 1;
        let tags = tagger.tag_with(&record[text], &mut scratch);
        covered += u64::from(!tags.is_empty());
        for tag in tags {
            *by_label
                .entry(record[label].to_owned())
                .or_default()
                .entry(tagger.theme_id(tag.theme).to_string())
                .or_default() += 1;
        }
    }
    let top = sizes
        .iter()
        .map(|(label, n)| {
            let best = by_label
                .get(label)
                .and_then(|m| m.iter().max_by_key(|(_, k)| **k))
                .map(|(t, k)| (t.clone(), *k))
                .unwrap_or_default();
            (label.clone(), (*n, best.0, best.1))
        })
        .collect();
    Some((covered as f64 / total.max(1) as f64, top))
}

#[test]
fn the_banking_and_cfpb_taxonomies_cover_their_texts() {
    if let Some((coverage, top)) =
        coverage_of("banking77/test.csv", "banking77.toml", "text", "category")
    {
        println!("banking77 test texts tagged: {:.1}%", coverage * 100.0);
        for (label, (n, theme, k)) in &top {
            println!(
                "  {label:<50} {n:>4}  {theme:<22} {:>5.1}%",
                100.0 * *k as f64 / *n as f64
            );
        }
        assert!(coverage >= 0.85, "{coverage}");
    }
    if let Some((coverage, top)) = coverage_of(
        "cfpb-sample/complaints_sample.csv",
        "cfpb-sample.toml",
        "Consumer complaint narrative",
        "Product",
    ) {
        println!("cfpb-sample narratives tagged: {:.1}%", coverage * 100.0);
        for (label, (n, theme, k)) in &top {
            println!(
                "  {label:<80} {n:>4}  {theme:<22} {:>5.1}%",
                100.0 * *k as f64 / *n as f64
            );
        }
        assert!(coverage >= 0.9, "{coverage}");
    }
}
