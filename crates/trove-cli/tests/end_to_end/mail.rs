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

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::web::Server;
use common::{ROOT, TROVE, demo, ok};
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

/// `trove send due` with more ARGS, its reports read from JSON.
fn send_due(db: &Path, args: &[&str]) -> (bool, Vec<Value>) {
    let mut all = vec!["send", "due", "--as", ANALYST, "--format", "json"];
    all.extend_from_slice(args);
    let (success, stdout, stderr) = run(db, &all);
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
    // A smaller demo: its announcement still reaches a few hundred customers (the full demo's
    // 1,700 made this the slowest test of the suite without testing anything more).
    demo(&db, &["demo", "--customers", "600", "--feedback", "8000"]);
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
    let (success, first) = send_due(&db, &[]);
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
    let (_, second) = send_due(&db, &[]);
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

/// `YYYY-MM` of the month before this one (UTC): the month closed, whose reports are due.
fn last_month() -> String {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let last = today.first_of_month().yesterday().unwrap();
    format!("{:04}-{:02}", last.year(), last.month())
}

/// The body of a message's PDF attachment as sent (base64), if it has one.
fn pdf_attachment(mail: &Mail) -> Option<String> {
    let start = mail.raw.find("Content-Type: application/pdf")?;
    let part = &mail.raw[start..];
    let body = part.split("\r\n\r\n").nth(1)?;
    Some(body.split("\r\n--").next()?.replace("\r\n", ""))
}

#[test]
fn each_units_monthly_review_is_mailed_with_its_pdf_once_to_its_recipients_only() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = Sink::start(&dir.path().join("sink")) else {
        return;
    };
    let db = dir.path().join("demo.db");
    demo(&db, &["demo"]);
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
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
            "https://trove.northwind.example",
            "--as",
            ADMIN,
        ],
    );
    let recipients = |args: &[&str]| {
        let mut all = vec!["report", "recipients"];
        all.extend_from_slice(args);
        run(&db, &all)
    };

    // Admins choose the recipients: people of Trove or plain addresses, per unit or all.
    let (refused, _, stderr) = recipients(&[
        "add",
        "cfo@partner.example",
        "--business-unit",
        "Home",
        "--as",
        ANALYST,
    ]);
    assert!(!refused && stderr.contains("only an admin"), "{stderr}");
    let (refused, _, stderr) = recipients(&[
        "add",
        "cfo@partner.example",
        "--business-unit",
        "Motor",
        "--as",
        ADMIN,
    ]);
    assert!(
        !refused
            && stderr.contains("\"Motor\" has no feedback")
            && stderr.contains("Personal Motor"),
        "an unknown unit is refused, the units named: {stderr}"
    );
    let (refused, _, stderr) = recipients(&[
        "add",
        "not an address",
        "--business-unit",
        "Home",
        "--as",
        ADMIN,
    ]);
    assert!(
        !refused && stderr.contains("not an e-mail address"),
        "{stderr}"
    );
    for args in [
        &["add", ANALYST, "--business-unit", "Home"][..],
        &[
            "add",
            "CFO@partner.example",
            "--name",
            "Chief Financial Officer",
            "--business-unit",
            "Home",
        ],
        &[
            "add",
            "motor@partner.example",
            "--business-unit",
            "Personal Motor",
        ],
        &[
            "add",
            "refuse-motor@partner.example",
            "--business-unit",
            "Personal Motor",
        ],
        &["add", "everyone@partner.example", "--all-units"],
        &["remove", "everyone@partner.example", "--all-units"],
        &["day", "1"],
    ] {
        let mut with_actor = args.to_vec();
        with_actor.extend_from_slice(&["--as", ADMIN]);
        let (success, _, stderr) = recipients(&with_actor);
        assert!(success, "{args:?}: {stderr}");
    }
    let listed = ok(
        &db,
        &[
            "report",
            "recipients",
            "list",
            "--format",
            "json",
            "--as",
            ADMIN,
        ],
    );
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["send_day"], 1);
    let listed: Vec<(String, String, Value)> = listed["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["business_unit"].as_str().unwrap().to_owned(),
                r["address"].as_str().unwrap().to_owned(),
                r["name"].clone(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(
        listed.contains(&("Home".into(), ANALYST.into(), Value::from("Ann Silva"))),
        "a person of Trove is named from their record: {listed:?}"
    );
    assert!(
        listed.contains(&(
            "Home".into(),
            "cfo@partner.example".into(),
            Value::from("Chief Financial Officer")
        )),
        "lowercased, with its name: {listed:?}"
    );

    // A dry run lists what would go and sends and keeps nothing.
    let month = last_month();
    let (_, stdout, stderr) = run(
        &db,
        &[
            "send",
            "due",
            "--dry-run",
            "--as",
            ANALYST,
            "--format",
            "json",
        ],
    );
    let dry: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let dry = dry.as_array().unwrap();
    let monthly = report(dry, "monthly:");
    let due: BTreeMap<&str, u64> = monthly
        .iter()
        .map(|r| {
            (
                r["message"].as_str().unwrap(),
                r["recipients"].as_u64().unwrap(),
            )
        })
        .collect();
    let home_key = format!("monthly:Home:{month}");
    let motor_key = format!("monthly:Personal Motor:{month}");
    assert_eq!(
        due,
        BTreeMap::from([(home_key.as_str(), 2), (motor_key.as_str(), 2)]),
        "a unit without recipients (Small Business) gets nothing"
    );
    assert!(sink.messages().is_empty(), "a dry run sends nothing");
    assert_eq!(
        ok(
            &db,
            &["report", "list", "--format", "json", "--as", ANALYST]
        )
        .trim(),
        "[]"
    );

    // Sent: each unit's report to its recipients, once each, the PDF attached (only the
    // monthly reviews: the demo's announcement to its customers is another test's).
    let (_, first) = send_due(&db, &["--only", "monthly"]);
    assert!(report(&first, "announcement:").is_empty(), "{first:?}");
    let sent = report(&first, "monthly:");
    assert_eq!(sent.len(), 2, "{first:?}");
    let home = sent
        .iter()
        .find(|r| r["message"] == home_key.as_str())
        .unwrap();
    assert_eq!(
        (
            home["sent"].as_u64(),
            home["failures"].as_array().unwrap().len()
        ),
        (Some(2), 0)
    );
    let motor = sent
        .iter()
        .find(|r| r["message"] == motor_key.as_str())
        .unwrap();
    assert_eq!(motor["sent"], 1);
    let failures = motor["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0][0], "refuse-motor@partner.example");
    let reviews: Vec<Mail> = sink
        .messages()
        .into_iter()
        .filter(|m| m.subject().contains("the monthly review of"))
        .collect();
    let to: BTreeMap<String, String> = reviews
        .iter()
        .map(|m| {
            assert_eq!(m.to.len(), 1, "one recipient per message");
            (m.to[0].clone(), m.subject().to_owned())
        })
        .collect();
    assert_eq!(
        to,
        BTreeMap::from([
            (
                ANALYST.to_owned(),
                format!("Home: the monthly review of {month}")
            ),
            (
                "cfo@partner.example".to_owned(),
                format!("Home: the monthly review of {month}")
            ),
            (
                "motor@partner.example".to_owned(),
                format!("Personal Motor: the monthly review of {month}")
            ),
        ]),
        "the right recipients only, each once"
    );
    for mail in &reviews {
        let pdf = pdf_attachment(mail).expect("the PDF is attached");
        // "JVBERi0" is "%PDF-" in base64: the attachment is a PDF file.
        assert!(pdf.starts_with("JVBERi0"), "{}", &pdf[..pdf.len().min(40)]);
        assert!(
            pdf.len() > 10_000,
            "a whole report, not a stub: {} bytes of base64",
            pdf.len()
        );
        assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
        assert!(
            mail.raw.contains("Missed commitments"),
            "the body says what matters"
        );
        assert!(mail.opt_out_token().is_none(), "staff mail has no opt-out");
    }
    let home_mail = reviews.iter().find(|m| m.to[0] == ANALYST).unwrap();
    assert!(
        home_mail.raw.contains(&format!(
            "https://trove.northwind.example/reports/Home/{month}"
        )),
        "the link to the report in Trove"
    );
    assert!(home_mail.raw.contains("filename=\"home-") && home_mail.raw.contains(".pdf\""));
    let motor_mail = reviews
        .iter()
        .find(|m| m.to[0] == "motor@partner.example")
        .unwrap();
    // Long lines of the quoted-printable text are folded with soft breaks ("=" at the end).
    let motor_text = motor_mail.raw.replace("=\r\n", "");
    assert!(
        motor_text.contains(&format!("/reports/Personal%20Motor/{month}")),
        "{motor_text}"
    );

    // The reports sent are kept in the history, like `trove report monthly` keeps them.
    let kept: Value = serde_json::from_str(&ok(
        &db,
        &["report", "list", "--format", "json", "--as", ANALYST],
    ))
    .unwrap();
    let kept: Vec<(String, String)> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["business_unit"].as_str().unwrap().to_owned(),
                h["month"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        vec![
            ("Home".to_owned(), month.clone()),
            ("Personal Motor".to_owned(), month.clone())
        ]
    );

    // A second run sends nobody anything again; the refused recipient is tried again.
    let before = sink.messages().len();
    let (_, second) = send_due(&db, &["--only", "monthly"]);
    assert_eq!(sink.messages().len(), before, "nothing new arrived");
    assert!(
        report(&second, &home_key).is_empty(),
        "Home's report is done"
    );
    let again = report(&second, &motor_key);
    assert_eq!(
        (
            again[0]["sent"].as_u64(),
            again[0]["already"].as_u64(),
            again[0]["failures"].as_array().unwrap().len()
        ),
        (Some(0), Some(1), 1)
    );
    let log = ok(&db, &["send", "log"]);
    assert!(log.contains(&home_key) && log.contains("2 sent"), "{log}");
    assert!(
        log.contains("refuse-motor@partner.example: failed after 2 attempts"),
        "{log}"
    );
}
