//! End-to-end: e-mail really sent to a local SMTP sink (scripts/smtp-sink.py, aiosmtpd from
//! PyPI) from the demo database: the announcement to its customers and the department streams
//! to their leads, each message read back from the sink; a rerun sends nothing twice; a
//! refused recipient is recorded as a failure; a customer opts out through the link over real
//! HTTP; and the scheduler inside `trove serve` sends the published report, to everyone but
//! that customer.
//!
//! The sink needs a Python with aiosmtpd: TROVE_SMTP_SINK_PYTHON, else
//! `${TMPDIR:-/tmp}/trove-smtp-venv/bin/python` (as `.ci/run` makes it), else `python3`.
//! Without one the test is skipped with a note, or fails when CI=true.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::web::Server;
use common::{ROOT, TROVE, ok};
use serde_json::Value;

const ADMIN: &str = "ada@northwind.example";
const ANALYST: &str = "ann@northwind.example";

/// The SMTP sink, stopped when dropped.
struct Sink {
    child: Child,
    port: u16,
    folder: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sink_python() -> Option<String> {
    let venv =
        std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()) + "/trove-smtp-venv/bin/python";
    let candidates = [
        std::env::var("TROVE_SMTP_SINK_PYTHON").ok(),
        Some(venv),
        Some("python3".into()),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

impl Sink {
    fn start(folder: &Path) -> Option<Self> {
        let Some(python) = sink_python() else {
            let why =
                "no Python with aiosmtpd (pip install aiosmtpd, or set TROVE_SMTP_SINK_PYTHON)";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "e-mail test cannot run: {why}"
            );
            eprintln!("skipped: {why}");
            return None;
        };
        let mut child = Command::new(python)
            .arg(Path::new(ROOT).join("scripts/smtp-sink.py"))
            .arg(folder)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .expect(&line);
        Some(Self {
            child,
            port,
            folder: folder.to_path_buf(),
        })
    }

    /// Every message received so far, in order.
    fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| Mail::parse(&std::fs::read_to_string(f).unwrap()))
            .collect()
    }
}

/// A received message: its envelope recipients, headers and whole text.
struct Mail {
    to: Vec<String>,
    headers: BTreeMap<String, String>,
    raw: String,
}

impl Mail {
    fn parse(raw: &str) -> Self {
        let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
        // Folded header lines continue the one before.
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let mut to = Vec::new();
        let mut headers = BTreeMap::new();
        for line in unfolded.split("\r\n") {
            if let Some((name, value)) = line.split_once(": ") {
                if name == "X-Sink-To" {
                    to.push(value.to_lowercase());
                } else {
                    headers.insert(name.to_lowercase(), value.to_owned());
                }
            }
        }
        Self {
            to,
            headers,
            raw: raw.to_owned(),
        }
    }

    fn subject(&self) -> &str {
        self.headers.get("subject").map_or("", String::as_str)
    }

    /// The opt-out secret of its List-Unsubscribe link.
    fn opt_out_token(&self) -> Option<String> {
        let link = self.headers.get("list-unsubscribe")?;
        let token = link.split("/optout/").nth(1)?.trim_end_matches('>');
        Some(token.to_owned())
    }
}

/// `trove ARGS --db DB` (may fail: its exit status is returned too), from the repository root.
fn run(db: &Path, args: &[&str]) -> (bool, String, String) {
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

fn send_due(db: &Path) -> (bool, Vec<Value>) {
    let (success, stdout, stderr) = run(db, &["send", "due", "--as", ANALYST, "--format", "json"]);
    let reports: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (success, reports.as_array().unwrap().clone())
}

fn report<'a>(reports: &'a [Value], prefix: &str) -> Vec<&'a Value> {
    reports
        .iter()
        .filter(|r| r["message"].as_str().unwrap().starts_with(prefix))
        .collect()
}

#[test]
fn e_mail_is_sent_once_to_who_it_is_for_and_an_opt_out_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = Sink::start(&dir.path().join("sink")) else {
        return;
    };
    let db = dir.path().join("demo.db");
    ok(&db, &["demo"]);
    // A second lead of claims whose mailbox the sink refuses.
    ok(
        &db,
        &[
            "user",
            "add",
            "refuse-lead@northwind.example",
            "--name",
            "Refused Lead",
            "--role",
            "lead",
            "--department",
            "claims",
            "--as",
            ADMIN,
        ],
    );
    let (refused, _, stderr) = run(&db, &["send", "due", "--as", ANALYST]);
    assert!(
        !refused && stderr.contains("no SMTP server is configured"),
        "{stderr}"
    );
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let (refused, _, stderr) = run(
        &db,
        &[
            "mail",
            "configure",
            "--smtp",
            &smtp,
            "--from",
            "Trove <cx@northwind.example>",
            "--public-url",
            "http://trove.invalid",
            "--as",
            ANALYST,
        ],
    );
    assert!(!refused && stderr.contains("only an admin"), "{stderr}");
    ok(
        &db,
        &[
            "mail",
            "configure",
            "--smtp",
            &smtp,
            "--from",
            "Northwind CX <cx@northwind.example>",
            "--public-url",
            "http://trove.invalid/",
            "--as",
            ADMIN,
        ],
    );

    // What is due, sent: the announcement to its customers, a stream per department with leads.
    let (success, first) = send_due(&db);
    assert!(!success, "a failed delivery makes the run fail");
    let received = sink.messages();
    let announcement = report(&first, "announcement:");
    assert_eq!(announcement.len(), 1, "the demo made one announcement");
    let sent = announcement[0]["sent"].as_u64().unwrap();
    assert!(
        sent > 100,
        "the demo's announcement reaches its customers: {sent}"
    );
    assert!(announcement[0]["failures"].as_array().unwrap().is_empty());
    let to_customers: Vec<&Mail> = received
        .iter()
        .filter(|m| m.subject().starts_with("What we are changing"))
        .collect();
    assert_eq!(
        to_customers.len() as u64,
        sent,
        "every sent message arrived"
    );
    let addresses: BTreeSet<&String> = to_customers.iter().flat_map(|m| &m.to).collect();
    assert_eq!(addresses.len() as u64, sent, "each customer once");
    for mail in &to_customers {
        assert_eq!(mail.to.len(), 1, "one recipient per message");
        assert!(mail.headers["from"].contains("cx@northwind.example"));
        let token = mail
            .opt_out_token()
            .expect("List-Unsubscribe with the opt-out link");
        assert_eq!(token.len(), 32, "{token}");
        assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
        assert!(
            mail.raw
                .contains(&format!("http://trove.invalid/optout/{token}")),
            "the link is in the body"
        );
    }
    let streams = report(&first, "stream:");
    assert!(
        streams.len() >= 3,
        "a stream per department with a lead: {first:?}"
    );
    let claims = streams
        .iter()
        .find(|r| r["message"].as_str().unwrap().starts_with("stream:claims:"))
        .unwrap();
    assert_eq!(claims["sent"], 1);
    let failures = claims["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0][0], "refuse-lead@northwind.example");
    assert!(
        failures[0][1].as_str().unwrap().contains("550"),
        "{failures:?}"
    );
    let stream_mail: Vec<&Mail> = received
        .iter()
        .filter(|m| m.subject().contains(" stream, "))
        .collect();
    let stream_sent: u64 = streams.iter().map(|r| r["sent"].as_u64().unwrap()).sum();
    assert_eq!(stream_mail.len() as u64, stream_sent);
    assert!(
        stream_mail.iter().all(|m| m.opt_out_token().is_none()),
        "staff mail has no opt-out"
    );
    assert!(
        stream_mail
            .iter()
            .all(|m| m.to[0].ends_with("@northwind.example"))
    );

    // A rerun sends nobody anything twice; the refused lead is tried again, and fails again.
    let (_, second) = send_due(&db);
    assert_eq!(sink.messages().len(), received.len(), "nothing new arrived");
    assert!(
        report(&second, "announcement:").is_empty(),
        "the announcement is done"
    );
    let again = report(&second, "stream:claims:");
    assert_eq!(
        (again[0]["sent"].as_u64(), again[0]["already"].as_u64()),
        (Some(0), Some(1))
    );
    let log = ok(&db, &["send", "log"]);
    assert!(
        log.contains("announcement:1") && log.contains(&format!("{sent} sent")),
        "{log}"
    );
    assert!(
        log.contains("refuse-lead@northwind.example: failed after 2 attempts"),
        "{log}"
    );
    assert!(log.contains("550"), "{log}");

    // One customer opts out through the link, over real HTTP.
    let leaving = to_customers[0];
    let token = leaving.opt_out_token().unwrap();
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let asked = server.get(&format!("/optout/{token}"), None);
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("send me no more e-mails"),
        "{}",
        asked.body
    );
    let unknown = server.get("/optout/0123456789abcdef0123456789abcdef", None);
    assert_eq!(unknown.status, 404);
    // As a mail program's one-click unsubscribe posts it: no Origin, no cookie.
    let done = server.post(
        &format!("/optout/{token}"),
        None,
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("gets no more e-mails"), "{}", done.body);
    drop(server);

    // The report is published; the scheduler inside `trove serve` sends it, to all but them.
    ok(&db, &["report", "publish", "1", "--as", ANALYST]);
    let before = sink.messages().len();
    let server = Server::start(&db, &dir.path().join("serve2.log"));
    let started = Instant::now();
    loop {
        let log = ok(&db, &["send", "log", "--format", "json"]);
        let done = serde_json::from_str::<Value>(&log)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["message"] == "report:1" && s["finished_at"].is_i64());
        if done {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the scheduler sent no report"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(server);
    let report_mail: Vec<Mail> = sink.messages().into_iter().skip(before).collect();
    let reports: Vec<&Mail> = report_mail
        .iter()
        .filter(|m| m.subject() == "You said, we did")
        .collect();
    assert_eq!(
        reports.len() as u64,
        sent - 1,
        "everyone but the customer who opted out"
    );
    assert!(
        reports.iter().all(|m| m.to != leaving.to),
        "never mailed again"
    );
    assert!(reports.iter().all(|m| m.opt_out_token().is_some()));
    let log = ok(&db, &["send", "log"]);
    assert!(
        log.lines()
            .any(|l| l.contains("report:1") && l.contains("by scheduler")),
        "{log}"
    );
}
