//! End-to-end: the demo's analysis through ClickHouse equals the analysis through SQLite,
//! theme by theme (items, persistence, chronic flags, scores...), on one ClickHouse server and
//! on a two-shard cluster on loopback with a `Distributed` table; and so do `trove summary`
//! and `trove scores`, whose tallies ClickHouse groups; and `trove serve --analytics` serves
//! the same pages as without, bringing ClickHouse up to date itself.
//!
//! The servers are started by scripts/clickhouse-servers.py (own folders, ports the OS chose
//! free). Without a clickhouse-server binary (apt-get install clickhouse-server) the test is
//! skipped with a note, or fails when CI=true.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::web::{Reply, Server};
use common::{ROOT, TROVE, ok};
use serde_json::Value;

/// ClickHouse servers, stopped when dropped.
struct Servers {
    child: Child,
    http: Vec<u64>,
    cluster: String,
    _folder: tempfile::TempDir,
}

impl Drop for Servers {
    fn drop(&mut self) {
        // Closing its input tells the script to stop the servers and wait for them.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Servers {
    fn start(count: usize) -> Option<Self> {
        let installed = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"]
            .iter()
            .any(|p| Path::new(p).exists());
        if !installed {
            let why = "no clickhouse-server binary (apt-get install clickhouse-server)";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "ClickHouse test cannot run: {why}"
            );
            eprintln!("skipped: {why}");
            return None;
        }
        let folder = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(Path::new(ROOT).join("scripts/clickhouse-servers.py"))
            .arg(folder.path())
            .arg(count.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scripts/clickhouse-servers.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("ClickHouse did not start: {line:?}"));
        Some(Self {
            child,
            http: started["http"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_u64().unwrap())
                .collect(),
            cluster: started["cluster"].as_str().unwrap().to_owned(),
            _folder: folder,
        })
    }

    fn url(&self, i: usize, db: &str) -> String {
        format!("clickhouse://127.0.0.1:{}/{db}", self.http[i])
    }
}

/// `trove ARGS --db DB [--analytics URL]` as JSON.
fn json(db: &Path, args: &[&str], analytics: Option<&str>) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--format", "json"]);
    if let Some(url) = analytics {
        all.extend(["--analytics", url]);
    }
    serde_json::from_str(&ok(db, &all)).unwrap()
}

/// The analysis of `trove analyze --format json` without what differs between two runs on
/// the same data (the run's number, when it was computed).
fn analysis(db: &Path, analytics: Option<&str>) -> Value {
    let mut analysis = json(db, &["analyze"], analytics);
    let fields = analysis.as_object_mut().unwrap();
    fields.remove("run");
    fields.remove("computed_at");
    analysis
}

/// The analysis, `summary` and `scores` through `analytics` equal those through the database.
fn assert_same_as_sqlite(db: &Path, analytics: &str) {
    let expected = analysis(db, None);
    let found = analysis(db, Some(analytics));
    let themes = |a: &Value| a["themes"].as_array().unwrap().clone();
    let (expected_themes, found_themes) = (themes(&expected), themes(&found));
    assert!(
        expected_themes.len() > 10,
        "the demo has themes: {expected_themes:?}"
    );
    assert!(
        expected_themes.iter().any(|t| t["chronic"] == true),
        "the demo has chronic themes"
    );
    assert_eq!(found_themes.len(), expected_themes.len());
    for (found, expected) in found_themes.iter().zip(&expected_themes) {
        assert_eq!(found, expected, "theme {}", expected["theme"]);
    }
    assert_eq!(found, expected, "the whole analysis");

    for args in [
        &["summary"][..],
        &["scores", "--by", "business-unit"][..],
        &["scores", "--period", "month"][..],
    ] {
        let strip = |mut v: Value| {
            // When it was computed differs; what it says must not.
            if let Some(object) = v.as_object_mut() {
                object.remove("computed_at");
                object.remove("as_of");
            }
            v
        };
        assert_eq!(
            strip(json(db, args, Some(analytics))),
            strip(json(db, args, None)),
            "trove {args:?}"
        );
    }
}

#[test]
fn the_demos_analysis_through_clickhouse_equals_sqlites_on_one_server_and_two_shards() {
    let Some(servers) = Servers::start(2) else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("demo.db");
    ok(&db, &["demo", "--customers", "2000", "--feedback", "20000"]);

    // One server.
    let single = servers.url(1, "single");
    assert_same_as_sqlite(&db, &single);

    // Two shards: each prepared, then the Distributed table on the first.
    for i in 0..2 {
        let shard = servers.url(i, "pair");
        let printed = ok(&db, &["analytics", "prepare-shard", &shard]);
        assert!(printed.contains("facts_local"), "{printed}");
    }
    let pair = format!("{}?cluster={}", servers.url(0, "pair"), servers.cluster);
    let printed = ok(&db, &["analytics", "sync", "--analytics", &pair]);
    assert!(printed.contains("cluster trove_shards"), "{printed}");
    assert!(printed.contains("items read"), "{printed}");
    assert_same_as_sqlite(&db, &pair);

    // A change through the CLI is synced by the command that makes it.
    let output = Command::new(TROVE)
        .args(["tag", "--all", "--analytics", &pair, "--db"])
        .arg(&db)
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("synced") || said.contains("up to date"),
        "{said}"
    );
    assert_same_as_sqlite(&db, &pair);
}

/// A page's body without the form token, which differs per session.
fn page_without_token(reply: &Reply) -> String {
    assert_eq!(reply.status, 200);
    reply
        .body
        .lines()
        .filter(|line| !line.contains("name=\"csrf\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_web_server_reads_through_clickhouse_and_serves_the_same_pages() {
    let Some(servers) = Servers::start(1) else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("demo.db");
    ok(&db, &["demo", "--customers", "500", "--feedback", "5000"]);
    let admin = "ada@northwind.example";
    let password = "a long test password";
    let output = common::web::set_password(&db, admin, admin, password);
    assert!(output.status.success(), "{output:?}");

    let analytics = servers.url(0, "served");
    let through = Server::start_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--analytics",
            &analytics,
        ],
        &db,
        &folder.path().join("through.log"),
    );
    assert!(
        through
            .printed
            .iter()
            .any(|line| line.starts_with("The analyses read through ClickHouse at")),
        "{:?}",
        through.printed
    );
    let plain = Server::start(&db, &folder.path().join("plain.log"));
    let session = |server: &Server| {
        let reply = server.sign_in(admin, password);
        assert_eq!(reply.status, 303, "signed in");
        reply.session()
    };
    let (through_session, plain_session) = (session(&through), session(&plain));
    for path in ["/", "/ranking", "/items?channel=email"] {
        let found = page_without_token(&through.get(path, Some(&through_session)));
        let expected = page_without_token(&plain.get(path, Some(&plain_session)));
        assert!(expected.contains("<main"), "{path}: {expected}");
        assert_eq!(
            found, expected,
            "{path} through ClickHouse and SQLite alone"
        );
    }
    // The server synced the facts itself: a sync that checks every page writes nothing.
    let printed = ok(&db, &["analytics", "sync", "--analytics", &analytics]);
    assert!(
        printed.contains("5,000 items read, 0 facts written"),
        "{printed}"
    );
}
