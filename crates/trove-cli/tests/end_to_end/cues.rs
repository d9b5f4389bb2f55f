//! `trove cues` end to end on the airline tweets: the analyst's taxonomy loaded, the tweets
//! imported (and so tagged), then the expectation and advice cues counted overall, per theme,
//! for one theme and under filters. Skipped with a message when `../shared/data` is absent.
//! To see the figures: `cargo test -p trove-cli --test end_to_end cues:: -- --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code"
)]

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{DATA, ROOT, TROVE, json, ok};
use serde_json::Value;

const KINDS: [&str; 5] = ["unmet", "validated", "do_more", "do_less", "keep_doing"];

fn count(report: &Value, kind: &str) -> u64 {
    report["counts"][kind].as_u64().unwrap()
}

fn theme<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["theme"] == id)
        .unwrap_or_else(|| panic!("no theme {id} in {report}"))
}

#[test]
fn the_cues_of_airline_tweets_are_counted_overall_per_theme_and_for_one_theme() {
    let tweets = format!("{DATA}/airline-tweets/Tweets.csv");
    if !Path::new(&tweets).exists() {
        eprintln!("skipped: {tweets} is absent");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cues.db");
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

    let all = json(&db, &["cues", "--themes", "rule", "--format", "json"]);
    let items = all["items"].as_u64().unwrap();
    let with_cues = all["items_with_cues"].as_u64().unwrap();
    eprintln!(
        "{items} items, {with_cues} with cues, {} cue clauses: {}",
        all["clauses"], all["counts"]
    );
    assert_eq!(items, 14_485, "every imported tweet");
    assert!(
        with_cues * 100 > items * 3 && with_cues * 100 < items * 25,
        "{with_cues} of {items} items with a cue"
    );
    // Each kind is found, with clauses that contain their cue, and its counts add up.
    let kinds = all["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 5);
    for (kind, name) in kinds.iter().zip(KINDS) {
        assert_eq!(kind["kind"], name);
        let clauses = kind["clauses"].as_u64().unwrap();
        assert_eq!(clauses, count(&all, name));
        assert!(clauses >= 15, "{name}: {clauses} clauses");
        assert!(kind["items"].as_u64().unwrap() <= clauses);
        let examples = kind["examples"].as_array().unwrap();
        assert_eq!(examples.len(), 3, "{name}");
        for e in examples {
            let clause = e["clause"].as_str().unwrap().to_lowercase();
            let cue = e["cue"].as_str().unwrap().to_lowercase();
            assert!(clause.contains(&cue), "{e}");
        }
    }
    let total: u64 = KINDS.iter().map(|k| count(&all, k)).sum();
    assert!(total >= all["clauses"].as_u64().unwrap());
    // People thank airlines on Twitter more often than they spell out a broken promise.
    assert!(count(&all, "validated") > count(&all, "unmet"));

    // The suggestion flag the import stored: the items with a do-more or do-less clause.
    let kind_items = |i: usize| kinds[i]["items"].as_u64().unwrap();
    let (do_more, do_less) = (kind_items(2), kind_items(3));
    let suggestions = all["suggestions"].as_u64().unwrap();
    eprintln!("{suggestions} suggestions stored ({do_more} items do more, {do_less} do less)");
    assert!(
        suggestions >= do_more.max(do_less) && suggestions <= do_more + do_less,
        "{suggestions} stored against {do_more} + {do_less}"
    );
    let per_theme: u64 = all["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["suggestions"].as_u64().unwrap())
        .sum();
    assert!(per_theme > 0, "themes carry suggestions");
    // Re-tagging reads every text again: the same flags.
    ok(&db, &["tag", "--all"]);
    let again = json(&db, &["cues", "--themes", "rule", "--format", "json"]);
    assert_eq!(again["suggestions"], all["suggestions"]);

    // Per theme: praise is where the validated expectations are; delays carry more unmet ones
    // per item than praise does.
    let praise = theme(&all, "praise");
    let delay = theme(&all, "flight-delay");
    let validated_max = all["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["counts"]["validated"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(praise["counts"]["validated"].as_u64(), Some(validated_max));
    let rate = |t: &Value, kind: &str| {
        t["counts"][kind].as_u64().unwrap() as f64 / t["items"].as_u64().unwrap() as f64
    };
    eprintln!(
        "praise: {}; flight-delay: {}",
        praise["counts"], delay["counts"]
    );
    assert!(rate(delay, "unmet") > rate(praise, "unmet"));
    assert!(rate(praise, "validated") > 2.0 * rate(delay, "validated"));

    // --theme keeps the items carrying it: the same figures as its row above.
    let only = json(
        &db,
        &[
            "cues", "--themes", "rule", "--theme", "praise", "--format", "json",
        ],
    );
    assert_eq!(only["theme"], "praise");
    assert_eq!(only["items"], praise["items"]);
    assert_eq!(only["counts"], praise["counts"]);
    assert!(
        only["themes"].as_array().unwrap().len() > 1,
        "co-occurring themes listed too"
    );

    // The usual filters narrow the items.
    let united = json(
        &db,
        &["cues", "--business-unit", "United", "--format", "json"],
    );
    let late = json(&db, &["cues", "--since", "2015-02-23", "--format", "json"]);
    for narrowed in [&united, &late] {
        let n = narrowed["items"].as_u64().unwrap();
        assert!(n > 1_000 && n < items, "{n}");
    }

    // The human output names the kinds and shows examples; an unknown theme is an error.
    let human = ok(&db, &["cues", "--examples", "2"]);
    assert!(human.contains("keep doing (e.g.):"), "{human}");
    assert!(human.contains("per theme"), "{human}");
    let failed = Command::new(TROVE)
        .args(["cues", "--theme", "no-such-theme", "--db"])
        .arg(&db)
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("no-such-theme"));
}
