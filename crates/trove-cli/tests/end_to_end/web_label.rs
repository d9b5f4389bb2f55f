//! End-to-end over HTTP: the labelling page (`/label`). An analyst labels items one at a time
//! (each post stores the label and the page shows another item), skips one, is refused a label
//! that is not one; "train" saves a sentiment model from the labels with its held-out
//! macro-F1 beside the lexicon's; `trove train --target sentiment --from-labels` trains the
//! next version from the same labels; a viewer and a forged form are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use common::web::{Reply, Server, set_password};
use common::{json, ok};

const ANN: &str = "ann@example.com";
const ADA: &str = "ada@example.com";
const VIC: &str = "vic@example.com";
const PASSWORD: &str = "a long test passphrase";

/// Survey answers and tweets of every tone.
const TEXTS: [&str; 12] = [
    "Awful service, I waited an hour",
    "Still not paid after three weeks",
    "The agent hung up on me, terrible",
    "The form arrived on Monday",
    "I called about my policy number",
    "Flight 12 lands at 9",
    "Lovely staff, thank you so much",
    "Great help from Sam, brilliant",
    "Quick and friendly, well done",
    "Worst airline ever",
    "Where is my bag",
    "Thanks for the upgrade!",
];

fn import(db: &Path, dir: &Path) {
    for (source, rows) in [("survey", &TEXTS[..9]), ("tweets", &TEXTS[9..])] {
        let file = dir.join(format!("{source}.csv"));
        let mut csv = String::from("id,answer\n");
        for (i, text) in rows.iter().enumerate() {
            csv.push_str(&format!("{i},\"{text}\"\n"));
        }
        std::fs::write(&file, csv).unwrap();
        let mapping = dir.join(format!("{source}.toml"));
        std::fs::write(
            &mapping,
            format!(
                "source = \"{source}\"\nchannel = \"survey\"\n[columns]\nid = \"id\"\ntext = \"answer\"\n"
            ),
        )
        .unwrap();
        ok(
            db,
            &[
                "import",
                file.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
            ],
        );
    }
}

/// The shown item's id (None when nothing is left to label).
fn shown_item(page: &Reply) -> Option<String> {
    let at = page.body.find("name=\"item\" value=\"")? + 19;
    Some(page.body[at..].split('"').next().unwrap().to_owned())
}

/// The labelled count the page shows.
fn labelled(page: &Reply) -> u64 {
    let at = page.body.find("id=\"labelled\">").unwrap() + 14;
    page.body[at..].split('<').next().unwrap().parse().unwrap()
}

#[test]
fn analysts_label_items_one_at_a_time_and_train_a_model_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("label.db");
    import(&db, dir.path());
    ok(
        &db,
        &["user", "add", ANN, "--name", "Ann", "--role", "admin"],
    );
    for (email, name, role) in [(ADA, "Ada", "analyst"), (VIC, "Vic", "viewer")] {
        ok(
            &db,
            &[
                "user", "add", email, "--name", name, "--role", role, "--as", ANN,
            ],
        );
        assert!(set_password(&db, ANN, email, PASSWORD).status.success());
    }
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let ada = server.sign_in(ADA, PASSWORD).session();

    let page = server.get("/label", Some(&ada));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<a href=\"/label\" aria-current=\"page\">")
    );
    assert!(page.body.contains("src=\"/static/label.js\""));
    assert_eq!(labelled(&page), 0);
    let script = server.get("/static/label.js", Some(&ada));
    assert_eq!(script.status, 200);
    assert!(script.body.contains("data-key"));

    // A label that is not one is refused in words; nothing is stored.
    let token = page.form_token();
    let first = shown_item(&page).unwrap();
    let refused = server.post(
        "/label",
        Some(&ada),
        &format!("csrf={token}&item={first}&label=mixed"),
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("&#34;mixed&#34; is not a label"),
        "{}",
        refused.body
    );
    let forged = server.post(
        "/label",
        Some(&ada),
        &format!("csrf=forged&item={first}&label=positive"),
    );
    assert_eq!(forged.status, 403);

    // Every item: four negative, four neutral, three positive (by the text's tone as a person
    // reads it) and the first positive one skipped.
    let mut seen = Vec::new();
    let mut skipped = false;
    let mut page = server.get("/label", Some(&ada));
    for _ in 0..TEXTS.len() {
        let item = shown_item(&page).expect("an item to label");
        assert!(!seen.contains(&item), "item {item} shown twice");
        let text = TEXTS
            .iter()
            .position(|t| page.body.contains(t))
            .expect("the page shows an item's text");
        let label = match text {
            0..=2 | 9 => "negative",
            3..=5 | 10 => "neutral",
            _ if !skipped => "skip",
            _ => "positive",
        };
        skipped |= label == "skip";
        let before = labelled(&page);
        let posted = server.post(
            "/label",
            Some(&ada),
            &format!("csrf={token}&item={item}&label={label}"),
        );
        assert_eq!(posted.status, 303, "{}", posted.body);
        assert_eq!(posted.header("location"), Some("/label"));
        page = server.get("/label", Some(&ada));
        assert_eq!(labelled(&page), before + u64::from(label != "skip"));
        seen.push(item);
    }
    assert!(shown_item(&page).is_none(), "nothing is left to label");
    assert!(
        page.body
            .contains("Every item with a text is labelled or skipped.")
    );
    assert_eq!(labelled(&page), 11);
    assert!(
        page.body
            .contains("(4 negative · 4 neutral · 3 positive), 1 skipped"),
        "{}",
        page.body
    );

    // Train: saved as version 1, its held-out macro-F1 beside the lexicon's.
    let trained = server.post("/label/train", Some(&ada), &format!("csrf={token}"));
    assert_eq!(trained.status, 303, "{}", trained.body);
    assert_eq!(trained.header("location"), Some("/label?trained=1"));
    let page = server.get("/label?trained=1", Some(&ada));
    assert!(page.body.contains("Saved sentiment model version 1"));
    assert!(
        page.body
            .contains("The sentiment model in use is version 1, trained on 11 rows"),
        "{}",
        page.body
    );
    assert!(page.body.contains("held-out rows its macro-F1 is"));

    // The command learns from the same stored labels.
    let report = json(
        &db,
        &[
            "train",
            "--target",
            "sentiment",
            "--from-labels",
            "--format",
            "json",
        ],
    );
    assert_eq!(report["version"], 2);
    assert_eq!(report["examples"], 11);
    assert_eq!(report["skipped"], 1);
    let held = &report["held_out"];
    assert!(held["learned"]["macro_f1"].as_f64().is_some(), "{report}");
    assert!(held["lexicon"]["macro_f1"].as_f64().is_some(), "{report}");

    // Viewers may not label.
    let vic = server.sign_in(VIC, PASSWORD).session();
    assert_eq!(server.get("/label", Some(&vic)).status, 403);
    let room = server.get("/", Some(&vic));
    let token = room.form_token();
    let posted = server.post(
        "/label",
        Some(&vic),
        &format!("csrf={token}&item={first}&label=positive"),
    );
    assert_eq!(posted.status, 403);
}
