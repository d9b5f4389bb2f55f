//! `trove narratives`: the parts of a story read from a CSV file with their spans, and counted
//! per theme on the demo.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::Command;

use common::{ROOT, TROVE, demo};

fn run(args: &[&str]) -> String {
    let output = Command::new(TROVE)
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("run trove");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn call_notes_tell_their_stories_part_by_part() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.csv");
    let first = "Caller was trying to renew her policy online because the letter said so. \
                 She expected a new certificate, but the page froze at payment, and now she \
                 has no proof of cover.";
    std::fs::write(
        &notes,
        format!("id,note\n1,\"{first}\"\n2,Great service thanks\n3,\n"),
    )
    .unwrap();
    let json = run(&[
        "narratives",
        "--file",
        notes.to_str().unwrap(),
        "--text-column",
        "note",
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        2,
        "the empty note is skipped"
    );
    let parts: Vec<(String, String)> = rows[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let (start, end) = (
                p["start"].as_u64().unwrap() as usize,
                p["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&first[start..end], p["text"].as_str().unwrap());
            (
                p["part"].as_str().unwrap().to_owned(),
                p["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("goal", "renew her policy online"),
        ("reason", "the letter said so"),
        ("expectation", "a new certificate"),
        ("happened", "the page froze at payment"),
        ("consequence", "she has no proof of cover"),
    ];
    assert_eq!(
        parts,
        expected
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect::<Vec<_>>(),
        "an agent's note in the third person"
    );
    assert!(rows[1]["parts"].as_array().unwrap().is_empty());

    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    let db = db.to_str().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&run(&["narratives", "--db", db, "--format", "json"])).unwrap();
    let payout = report["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["theme"] == "claim-payout-delay")
        .expect("the demo's payout delays are told");
    let consequences = payout["with_part"][4].as_u64().unwrap();
    assert!(consequences > 0, "{payout}");
    assert!(consequences <= payout["items"].as_u64().unwrap());
}
