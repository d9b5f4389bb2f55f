//! End-to-end: repeat contacts on the demo. The room's tile, `/moments` and
//! `trove moments --format json` give the same figures, and the tile's count links to the
//! month's moments, each contact of which opens its item.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

use common::web::{Server, set_password};
use common::{ROOT, TROVE, demo};

const ADA: &str = "ada@northwind.example";
const PASSWORD: &str = "a long demo passphrase";

fn trove(db: &Path, args: &[&str]) -> String {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("TROVE_NOW")
        .env_remove("TROVE_USER")
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
fn the_rooms_repeat_contacts_match_the_command_and_lead_to_their_items() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("room.db");
    demo(&db, &["demo", "--data-only"]);
    trove(
        &db,
        &["user", "add", ADA, "--name", "Ada Admin", "--role", "admin"],
    );
    assert!(set_password(&db, ADA, ADA, PASSWORD).status.success());
    let report: serde_json::Value =
        serde_json::from_str(&trove(&db, &["moments", "--format", "json"])).unwrap();
    assert_eq!(report["moment"], "3 contacts within 30 days");

    let server = Server::start(&db, &dir.path().join("serve.log"));
    let session = server.sign_in(ADA, PASSWORD).session();
    let room = server.get("/", Some(&session));
    assert_eq!(room.status, 200);
    let at = room
        .body
        .find("<a href=\"/moments?month=")
        .expect("the room links to a month's repeat contacts");
    let rest = &room.body[at + "<a href=\"".len()..];
    let href = &rest[..rest.find('"').unwrap()];
    let month = href.trim_start_matches("/moments?month=");
    let shown: u64 = rest[rest.find('>').unwrap() + 1..rest.find("</a>").unwrap()]
        .parse()
        .unwrap();
    let expected = report["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == month)
        .expect("the month is in the report");
    assert_eq!(shown, expected["repeating"].as_u64().unwrap());
    assert!(shown > 0, "the demo's customers call again: {month}");

    let page = server.get(href, Some(&session));
    assert_eq!(page.status, 200);
    let heading = format!(
        "{month}: {shown} of {} customers",
        expected["contacting"].as_u64().unwrap()
    );
    assert!(page.body.contains(&heading), "{heading}");
    let chains = report["chains"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["month"] == month)
        .count();
    assert_eq!(
        page.body.matches("<tr><th scope=\"row\">C0").count(),
        chains
    );
    let first_item = report["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == month)
        .unwrap()["items"][0]
        .as_i64()
        .unwrap();
    assert!(page.body.contains(&format!("href=\"/items/{first_item}\"")));
    assert_eq!(
        server
            .get(&format!("/items/{first_item}"), Some(&session))
            .status,
        200
    );
    assert_eq!(server.get("/moments?nth=0", Some(&session)).status, 400);
    assert_eq!(
        server.get("/moments?month=1999-01", Some(&session)).status,
        404
    );
}
