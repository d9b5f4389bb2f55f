//! End-to-end: `trove demo --serve` makes a room with life in it. The demo seeds its people
//! with one random password, printed once; that password signs in over real HTTP; the loop's
//! records exist (an issue with its whys, actions in three departments, one commitment
//! missed, an announcement, follow-up cases) and the room's analysis is recorded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use common::web::Server;
use common::{PgSchema, json, ok};
use serde_json::Value;

#[test]
fn demo_serve_prints_a_password_that_signs_in_and_seeds_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let log = dir.path().join("serve.log");
    let server = Server::start_with(&["demo", "--serve", "--listen", "127.0.0.1:0"], &db, &log);
    let printed = server.printed.join("\n");
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("Demo password: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo prints its password:\n{printed}"))
        .to_owned();
    assert!(password.chars().count() >= 12, "{password}");
    assert!(
        printed.contains(&format!(
            "Sign in as ada@northwind.example (or anyone above) with the demo password {password}"
        )),
        "{printed}"
    );
    assert!(
        server.setup_path.is_none(),
        "the demo's people need no setup link"
    );
    let people = [
        ("ada@northwind.example", "admin"),
        ("ann@northwind.example", "analyst"),
        ("cleo@northwind.example", "lead"),
        ("cal@northwind.example", "member"),
        ("vic@northwind.example", "viewer"),
    ];
    for (email, role) in people {
        assert!(
            printed
                .lines()
                .any(|l| l.contains(email) && l.contains(role)),
            "{email} ({role}) is printed:\n{printed}"
        );
    }

    // The printed password signs everyone in; a wrong one signs no one in.
    assert_eq!(
        server
            .sign_in("ada@northwind.example", "not the demo password")
            .status,
        401
    );
    for (email, _) in people {
        let signed_in = server.sign_in(email, &password);
        assert_eq!(signed_in.status, 303, "{email}: {}", signed_in.body);
    }
    let session = server.sign_in("vic@northwind.example", &password).session();
    let room = server.get("/", Some(&session));
    assert_eq!(room.status, 200);
    assert!(room.body.contains("Claim payout delay"), "{}", room.body);
    assert!(!room.body.contains("No analysis is recorded yet"));

    // Hashed like any password: the database holds no copy of it.
    let mut stored = std::fs::read(&db).unwrap();
    stored.extend(std::fs::read(dir.path().join("demo.db-wal")).unwrap_or_default());
    let holds = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    assert!(
        !holds(password.as_bytes()),
        "the password is stored in clear"
    );
    assert!(holds(b"$argon2id$"), "argon2id hashes are stored");

    // The loop's records, read by the command line as the viewer.
    let read = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--as", "vic@northwind.example", "--format", "json"]);
        json(&db, &all)
    };
    let issues = read(&["issue", "list"]);
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let issue = &issues[0];
    assert_eq!(issue["themes"], serde_json::json!(["claim-payout-delay"]));
    assert_eq!(issue["status"], "fixing");
    assert_eq!(issue["pain"]["label"], "chronic", "{issue}");
    let commitments = read(&["commitments"]);
    let commitments = commitments.as_array().unwrap();
    let departments: Vec<&str> = commitments
        .iter()
        .filter_map(|c| c["department"].as_str())
        .collect();
    assert_eq!(departments.len(), 3, "three actions: {commitments:?}");
    let missed: Vec<&Value> = commitments
        .iter()
        .filter(|c| c["standing"] == "missed")
        .collect();
    assert_eq!(missed.len(), 1, "one commitment missed: {commitments:?}");
    assert!(
        commitments
            .iter()
            .any(|c| c["promise"]["kind"] == "progress_report" && c["standing"] == "open"),
        "an announcement with its report still to come: {commitments:?}"
    );
    let cases = read(&["followups", "--all"]);
    assert_eq!(cases["cases"].as_array().unwrap().len(), 2, "{cases}");
    assert_eq!(cases["open"], 1, "{cases}");
    let runs = json(&db, &["analyze", "--list", "--format", "json"]);
    assert_eq!(
        runs.as_array().unwrap().len(),
        2,
        "the issue's run and the room's: {runs}"
    );
}

#[test]
fn the_demo_seeds_its_people_and_loop_on_postgres() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let url = schema.url_with("");
    let db = Path::new(&url);
    let printed = ok(db, &["demo", "--customers", "600", "--feedback", "3000"]);
    assert!(printed.contains("Demo password: "), "{printed}");
    let read = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--as", "ann@northwind.example", "--format", "json"]);
        json(db, &all)
    };
    assert_eq!(read(&["issue", "list"]).as_array().unwrap().len(), 1);
    let missed = read(&["commitments", "--missed"]);
    assert_eq!(missed.as_array().unwrap().len(), 1, "{missed}");
    assert_eq!(missed[0]["department"], "billing");
    let again = ok(db, &["demo", "--customers", "600", "--feedback", "3000"]);
    assert!(!again.contains("Demo password: "), "shown once: {again}");
    assert!(again.contains("their passwords are unchanged"), "{again}");
}
