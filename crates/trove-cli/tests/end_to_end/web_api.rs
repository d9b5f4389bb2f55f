//! End-to-end: the JSON API of `trove serve` over real HTTP on loopback, with tokens made by
//! `trove token create`: no read without a token, no write or ingestion without the scope,
//! no ingestion outside a token's source or business unit, 10,000 items posted twice (stored
//! once), bad items named by index and field, every documented path routed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use common::web::{Reply, Server};
use common::{ROOT, TROVE, json, ok};
use serde_json::{Value, json};

const ADMIN: &str = "ann@example.com";

/// One API request with a JSON body (when given) and a bearer token (when given).
fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.address
    );
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    Reply::parse(&raw)
}

fn body(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.body))
}

/// The error envelope's code, checking its shape.
fn code(reply: &Reply) -> String {
    let value = body(reply);
    let error = &value["error"];
    assert!(error["message"].is_string(), "{value}");
    assert!(error.as_object().unwrap().contains_key("field"), "{value}");
    error["code"].as_str().unwrap().to_owned()
}

/// A database with an admin and a viewer.
fn people(db: &Path) {
    ok(
        db,
        &["user", "add", ADMIN, "--name", "Ann", "--role", "admin"],
    );
    ok(
        db,
        &[
            "user",
            "add",
            "vic@example.com",
            "--name",
            "Vic",
            "--role",
            "viewer",
            "--as",
            ADMIN,
        ],
    );
}

/// `trove token create ... --as EMAIL`: the token, alone on standard output.
fn token(db: &Path, who: &str, args: &[&str]) -> String {
    let mut all = vec!["token", "create", "--as", who];
    all.extend_from_slice(args);
    let token = ok(db, &all).trim().to_owned();
    assert!(
        token.starts_with("trove_") && token.len() == 6 + 64,
        "{token}"
    );
    token
}

/// A fresh unlimited read token.
fn all_reader(db: &Path) -> String {
    token(db, ADMIN, &["--name", "all reader", "--scope", "read"])
}

/// The documented (method, path) pairs, with `{id}` filled in.
fn documented(server: &Server) -> Vec<(String, String)> {
    let document = call(server, "GET", "/api/openapi.json", None, None);
    assert_eq!(document.status, 200, "the document needs no token");
    let document = body(&document);
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut pairs = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            pairs.push((method.to_uppercase(), path.replace("{id}", "claims")));
        }
    }
    pairs.sort();
    pairs
}

#[test]
fn tokens_are_checked_on_every_documented_path_and_scopes_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("api.db");
    people(&db);
    let read = token(&db, ADMIN, &["--name", "reader", "--scope", "read"]);
    let ingest = token(&db, ADMIN, &["--name", "web", "--scope", "ingest:web"]);
    let retail = token(
        &db,
        ADMIN,
        &[
            "--name",
            "retail",
            "--scope",
            "ingest:web",
            "--business-unit",
            "retail",
            "--expires",
            "90d",
        ],
    );
    let write = token(&db, ADMIN, &["--name", "writer", "--scope", "write"]);
    let viewer = token(
        &db,
        "vic@example.com",
        &["--name", "mine", "--scope", "read"],
    );
    let refused = Command::new(TROVE)
        .args([
            "token",
            "create",
            "--name",
            "x",
            "--scope",
            "ingest:web",
            "--as",
        ])
        .arg("vic@example.com")
        .arg("--db")
        .arg(&db)
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "a viewer cannot hold an ingest token"
    );
    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);

    let pairs = documented(&server);
    let paths: Vec<&str> = pairs.iter().map(|(_, p)| p.as_str()).collect();
    for wanted in [
        "/api/v1/me",
        "/api/v1/ranking",
        "/api/v1/themes/claims",
        "/api/v1/themes/claims/trend",
        "/api/v1/scores",
        "/api/v1/issues",
        "/api/v1/actions",
        "/api/v1/commitments",
        "/api/v1/feedback",
        "/api/v1/actions/claims/progress",
        "/api/v1/actions/claims/replan",
        "/api/v1/issues/claims/move",
        "/api/v1/items",
        "/api/v1/items/export",
        "/api/v1/departments",
        "/api/v1/departments/claims/stream",
        "/api/v1/cases",
        "/api/v1/cases/claims",
    ] {
        assert!(paths.contains(&wanted), "{wanted} documented: {paths:?}");
    }
    // Every documented path is routed and refuses a request without a live token (an unrouted
    // one would answer 404).
    for (method, path) in &pairs {
        let none = call(&server, method, path, None, Some("{}"));
        assert_eq!(none.status, 401, "{method} {path}: {}", none.body);
        assert_eq!(code(&none), "unauthorized");
        assert!(
            none.header("www-authenticate")
                .unwrap()
                .starts_with("Bearer")
        );
        let forged = format!("trove_{}", "0".repeat(64));
        let bad = call(&server, method, path, Some(&forged), Some("{}"));
        assert_eq!((bad.status, code(&bad)), (401, "invalid_token".into()));
    }
    let unknown = call(&server, "GET", "/api/v1/nothing", Some(&read), None);
    assert_eq!((unknown.status, code(&unknown)), (404, "not_found".into()));

    // Reads: the read token reads every GET path; the others may not.
    for (method, path) in pairs.iter().filter(|(m, _)| m == "GET") {
        let reply = call(&server, method, path, Some(&read), None);
        let expected = if path.contains("/themes/") || path.contains("/departments/") {
            404
        } else {
            200
        };
        assert_eq!(reply.status, expected, "{path}: {}", reply.body);
        if path != "/api/v1/me" {
            for other in [&ingest, &write] {
                let reply = call(&server, method, path, Some(other), None);
                assert_eq!(
                    (reply.status, code(&reply)),
                    (403, "forbidden".into()),
                    "{path}"
                );
            }
        }
    }
    let me = body(&call(&server, "GET", "/api/v1/me", Some(&viewer), None));
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some("vic@example.com"), Some("viewer"))
    );
    let bad_page = call(
        &server,
        "GET",
        "/api/v1/issues?cursor=zz",
        Some(&read),
        None,
    );
    assert_eq!(bad_page.status, 422);
    assert_eq!(body(&bad_page)["error"]["field"], "cursor");
    let bad_flag = call(
        &server,
        "GET",
        "/api/v1/ranking?all=maybe",
        Some(&read),
        None,
    );
    assert_eq!(
        (bad_flag.status, code(&bad_flag)),
        (422, "validation".into())
    );

    // Workflow changes need the write scope, and then the rules judge them as the owner.
    let changes = [
        (
            "/api/v1/actions/1/progress",
            r#"{"percent":40,"note":"halfway"}"#,
        ),
        (
            "/api/v1/actions/1/replan",
            r#"{"due":"2026-12-01","reason":"supplier late"}"#,
        ),
        ("/api/v1/issues/1/move", r#"{"to":"acknowledged"}"#),
        ("/api/v1/cases/1", r#"{"work":"take"}"#),
    ];
    let posts: Vec<&str> = pairs
        .iter()
        .filter(|(m, p)| m == "POST" && p != "/api/v1/feedback")
        .map(|(_, p)| p.as_str())
        .collect();
    assert_eq!(
        posts.len(),
        changes.len(),
        "every change is tried: {posts:?}"
    );
    for (path, change) in changes {
        for other in [&read, &ingest, &viewer] {
            let reply = call(&server, "POST", path, Some(other), Some(change));
            assert_eq!(
                (reply.status, code(&reply)),
                (403, "forbidden".into()),
                "{path}"
            );
        }
        // Nothing of the workflow exists yet: the rules refuse, as the pages' would.
        let reply = call(&server, "POST", path, Some(&write), Some(change));
        assert_eq!(reply.status, 422, "{path}: {}", reply.body);
        let bad = call(&server, "POST", path, Some(&write), Some("{\"nope\":1}"));
        assert_eq!(
            (bad.status, code(&bad)),
            (400, "invalid_json".into()),
            "{path}"
        );
    }
    let progress = changes[0].1;
    let judged = call(
        &server,
        "POST",
        "/api/v1/actions/1/progress",
        Some(&write),
        Some(progress),
    );
    assert_eq!(
        (judged.status, code(&judged)),
        (422, "refused".into()),
        "{}",
        judged.body
    );

    // Feedback: only an ingest token of the source posts it.
    let item = r#"{"id":"w1","text":"The claim took weeks","nps":2,"channel":"survey","customer":"c-17","time":"2026-11-02T10:00:00Z"}"#;
    for other in [&read, &write] {
        let reply = call(&server, "POST", "/api/v1/feedback", Some(other), Some(item));
        assert_eq!((reply.status, code(&reply)), (403, "forbidden".into()));
    }
    let elsewhere = call(
        &server,
        "POST",
        "/api/v1/feedback?source=crm",
        Some(&ingest),
        Some(item),
    );
    assert_eq!(elsewhere.status, 403);
    assert_eq!(body(&elsewhere)["error"]["field"], "source");
    let stored = call(
        &server,
        "POST",
        "/api/v1/feedback",
        Some(&ingest),
        Some(item),
    );
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(body(&stored)["stored"], 1);

    // A token limited to a business unit posts that unit's items only.
    let units = r#"[{"id":"r1","text":"fine","channel":"survey"},
                    {"id":"r2","text":"fine","channel":"survey","business_unit":"retail"},
                    {"id":"r3","text":"fine","channel":"survey","business_unit":"commercial"}]"#;
    let result = body(&call(
        &server,
        "POST",
        "/api/v1/feedback",
        Some(&retail),
        Some(units),
    ));
    assert_eq!(
        (result["stored"].as_u64(), result["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{result}"
    );
    assert_eq!(result["errors"][0]["index"], 2);
    assert_eq!(result["errors"][0]["field"], "business_unit");
    let by_unit = json(&db, &["summary", "--format", "json"]);
    assert_eq!(by_unit["feedback"], 3, "{by_unit}");
    // A read token limited to a unit reads that unit's feedback only.
    let unit_reader = token(
        &db,
        ADMIN,
        &[
            "--name",
            "retail reader",
            "--scope",
            "read",
            "--business-unit",
            "retail",
        ],
    );
    let items_read = |token: &str| -> u64 {
        let scores = body(&call(&server, "GET", "/api/v1/scores", Some(token), None));
        scores["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["items"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        (items_read(&all_reader(&db)), items_read(&unit_reader)),
        (3, 2)
    );

    // A follow-up case of the posted detractor: read, taken with the write scope through the
    // rules, and seen in its department's stream.
    ok(
        &db,
        &[
            "department",
            "add",
            "claims",
            "--name",
            "Claims",
            "--as",
            ADMIN,
        ],
    );
    let opened = ok(
        &db,
        &[
            "followups",
            "create",
            "--since",
            "2020-01-01",
            "--department",
            "claims",
            "--as",
            ADMIN,
        ],
    );
    assert!(opened.contains("opened 1 follow-up"), "{opened}");
    let cases = body(&call(&server, "GET", "/api/v1/cases", Some(&read), None));
    let case = cases["data"][0].clone();
    assert_eq!(case["department"], "claims", "{cases}");
    assert_eq!(
        (case["status"].as_str(), case["owner"].as_str()),
        (Some("open"), None)
    );
    let path = format!("/api/v1/cases/{}", case["id"]);
    let taken = call(
        &server,
        "POST",
        &path,
        Some(&write),
        Some(r#"{"work":"take"}"#),
    );
    assert_eq!(taken.status, 200, "{}", taken.body);
    assert_eq!(body(&taken)["owner"], ADMIN);
    let closed = call(
        &server,
        "POST",
        &path,
        Some(&write),
        Some(r#"{"work":"close"}"#),
    );
    assert_eq!(
        (closed.status, code(&closed)),
        (422, "refused".into()),
        "closing needs an outcome: {}",
        closed.body
    );
    let stream = body(&call(
        &server,
        "GET",
        "/api/v1/departments/claims/stream",
        Some(&read),
        None,
    ));
    assert_eq!(stream["cases"][0]["owner"], ADMIN, "{stream}");
    let departments = body(&call(
        &server,
        "GET",
        "/api/v1/departments",
        Some(&read),
        None,
    ));
    assert!(
        departments["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == "claims" && d["open_cases"].as_u64() >= Some(1)),
        "{departments}"
    );

    // Revoked and rotated secrets stop working.
    let listed = json(&db, &["token", "list", "--format", "json", "--as", ADMIN]);
    let reader = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "reader")
        .unwrap();
    assert!(
        reader["last_used_at"].is_i64(),
        "the use is recorded: {reader}"
    );
    assert!(
        !listed.to_string().contains("trove_"),
        "no secret is listed"
    );
    let id = reader["id"].to_string();
    let rotated = ok(&db, &["token", "rotate", &id, "--as", ADMIN])
        .trim()
        .to_owned();
    assert_eq!(
        call(&server, "GET", "/api/v1/me", Some(&read), None).status,
        401
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/me", Some(&rotated), None).status,
        200
    );
    ok(&db, &["token", "revoke", &id, "--as", ADMIN]);
    assert_eq!(
        call(&server, "GET", "/api/v1/me", Some(&rotated), None).status,
        401
    );

    // The rate limit: 300 requests a minute per token, then 429 with Retry-After.
    let mut limited = None;
    for n in 0..400 {
        let reply = call(&server, "GET", "/api/v1/me", Some(&viewer), None);
        if reply.status == 429 {
            limited = Some((n, reply));
            break;
        }
        assert_eq!(reply.status, 200);
    }
    let (n, reply) = limited.expect("the token is limited");
    assert!(n <= 300, "limited after {n} requests");
    assert_eq!(code(&reply), "rate_limited");
    assert!(reply.header("retry-after").is_some());
    assert_eq!(
        call(&server, "GET", "/api/v1/me", Some(&write), None).status,
        200,
        "another token has its own limit"
    );

    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    for secret in [&read, &ingest, &retail, &write, &viewer, &rotated] {
        assert!(!log.contains(secret.as_str()), "a token reached the log");
    }
    assert!(
        log.contains("/api/v1/feedback"),
        "requests are logged by route"
    );
}

/// `count` items in Trove's own shape, ids from `first`.
fn items(first: usize, count: usize) -> Vec<Value> {
    (first..first + count)
        .map(|n| {
            json!({
                "id": format!("t{n}"),
                "time": format!("2026-{:02}-{:02}T10:00:00Z", 1 + n % 9, 1 + n % 28),
                "text": format!("Ticket {n}: the refund took {} days, call me on 07700 900{:03}", n % 30, n % 1000),
                "nps": n % 11,
                "channel": "ticket",
                "attributes": {"queue": if n % 2 == 0 { "billing" } else { "claims" }},
            })
        })
        .collect()
}

#[test]
fn ten_thousand_items_posted_twice_are_stored_once_and_bad_items_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("api.db");
    people(&db);
    let ingest = token(
        &db,
        ADMIN,
        &["--name", "tickets", "--scope", "ingest:helpdesk"],
    );
    let server = Server::start(&db, &dir.path().join("serve.log"));

    let all = items(0, 10_000);
    let mut stored = 0;
    for batch in all.chunks(1_000) {
        let text = json!({ "items": batch }).to_string();
        assert!(text.len() > 64 * 1024, "larger than the forms' limit");
        let reply = call(
            &server,
            "POST",
            "/api/v1/feedback",
            Some(&ingest),
            Some(&text),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let result = body(&reply);
        assert_eq!(result["rejected"], 0, "{result}");
        stored += result["stored"].as_u64().unwrap();
    }
    assert_eq!(stored, 10_000);

    // The second time, through the example client reading a JSON Lines file: nothing added.
    let file = dir.path().join("tickets.jsonl");
    let lines: Vec<String> = all.iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let client = Command::new("python3")
        .arg(Path::new(ROOT).join("examples/post-feedback.py"))
        .args(["--url", &server.origin(), "--batch", "1000"])
        .arg(&file)
        .env("TROVE_TOKEN", &ingest)
        .output();
    match client {
        Ok(output) => {
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let totals: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(
                (
                    totals["received"].as_u64(),
                    totals["stored"].as_u64(),
                    totals["duplicates"].as_u64()
                ),
                (Some(10_000), Some(0), Some(10_000)),
                "{totals}"
            );
        }
        Err(e) => {
            eprintln!("skipped the example client (no python3: {e}); posting again directly");
            for batch in all.chunks(1_000) {
                let text = json!(batch).to_string();
                let result = body(&call(
                    &server,
                    "POST",
                    "/api/v1/feedback",
                    Some(&ingest),
                    Some(&text),
                ));
                assert_eq!(
                    (result["stored"].as_u64(), result["duplicates"].as_u64()),
                    (Some(0), Some(1_000))
                );
            }
        }
    }
    let summary = json(&db, &["summary", "--format", "json"]);
    assert_eq!(summary["feedback"], 10_000, "{summary}");

    let runs = ok(&db, &["imports", "--format", "json"]);
    assert!(
        runs.contains("api:token"),
        "the posts are recorded as import runs: {runs}"
    );

    // Bad items come back by index and field; the good ones in the same batch are kept.
    let mixed = json!([
        {"id": "b0", "text": "fine", "channel": "ticket"},
        {"id": "b1", "text": "score out of range", "nps": 11, "channel": "ticket"},
        {"text": "no id", "channel": "ticket"},
        {"id": "b3", "text": "no channel"},
        {"id": "b4", "txt": "a misspelt field", "channel": "ticket"},
        {"id": "b5", "text": "bad time", "time": "yesterday", "channel": "ticket"},
        {"id": "b6", "text": "bad channel", "channel": "pigeon"},
        "not an object",
        {"id": "b8", "text": "fine too", "channel": "ticket", "attributes": {"nested": {"a": 1}}},
        {"id": "b9", "text": "fine at last", "channel": "ticket"},
    ]);
    let result = body(&call(
        &server,
        "POST",
        "/api/v1/feedback",
        Some(&ingest),
        Some(&mixed.to_string()),
    ));
    let named: Vec<(u64, Option<&str>)> = result["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["field"].as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (1, Some("nps")),
            (2, Some("id")),
            (3, Some("channel")),
            (4, Some("txt")),
            (5, Some("time")),
            (6, Some("channel")),
            (7, None),
            (8, Some("attributes.nested")),
        ],
        "{result}"
    );
    assert_eq!(
        (result["stored"].as_u64(), result["rejected"].as_u64()),
        (Some(2), Some(8))
    );

    // Limits: more than 1,000 items, or a body that is not JSON.
    let too_many = json!(items(20_000, 1_001)).to_string();
    let reply = call(
        &server,
        "POST",
        "/api/v1/feedback",
        Some(&ingest),
        Some(&too_many),
    );
    assert_eq!(
        (reply.status, code(&reply)),
        (413, "payload_too_large".into())
    );
    let reply = call(
        &server,
        "POST",
        "/api/v1/feedback",
        Some(&ingest),
        Some("{not json"),
    );
    assert_eq!((reply.status, code(&reply)), (400, "invalid_json".into()));
    assert_eq!(
        json(&db, &["summary", "--format", "json"])["feedback"],
        10_002
    );
}

/// `trove serve --mappings mappings/` (the repository's).
fn serve_with_mappings(db: &Path, log: &Path) -> Server {
    let args = ["serve", "--listen", "127.0.0.1:0", "--mappings", "mappings"];
    Server::start_with(&args, db, log)
}

#[test]
fn items_in_a_sources_own_shape_go_through_a_named_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("api.db");
    people(&db);
    let reviews = token(
        &db,
        ADMIN,
        &["--name", "reviews", "--scope", "ingest:trustpilot"],
    );
    let other = token(
        &db,
        ADMIN,
        &["--name", "other", "--scope", "ingest:helpdesk"],
    );
    let server = serve_with_mappings(&db, &dir.path().join("serve.log"));
    let lines =
        std::fs::read_to_string(Path::new(ROOT).join("examples/trustpilot-reviews.jsonl")).unwrap();
    let items: Vec<Value> = lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let batch = json!(items).to_string();
    let path = "/api/v1/feedback?mapping=trustpilot-reviews";
    let first = body(&call(&server, "POST", path, Some(&reviews), Some(&batch)));
    assert_eq!(first["rejected"], 0, "{first}");
    assert_eq!(
        first["stored"].as_u64(),
        Some(items.len() as u64),
        "{first}"
    );
    let again = body(&call(&server, "POST", path, Some(&reviews), Some(&batch)));
    assert_eq!(
        (again["stored"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(items.len() as u64))
    );
    // The mapping's source decides which token may post through it.
    let refused = call(&server, "POST", path, Some(&other), Some(&batch));
    assert_eq!((refused.status, code(&refused)), (403, "forbidden".into()));
    for (query, status) in [("mapping=nope", 404), ("mapping=../x", 422)] {
        let reply = call(
            &server,
            "POST",
            &format!("/api/v1/feedback?{query}"),
            Some(&reviews),
            Some(&batch),
        );
        assert_eq!(reply.status, status, "{query}: {}", reply.body);
        assert_eq!(body(&reply)["error"]["field"], "mapping", "{query}");
    }
}
