//! End-to-end: webhooks on the demo company over real HTTP. An admin subscribes loopback
//! receivers (command line and `/webhooks`), events are triggered the way people trigger them
//! (an issue moved, a public form answered, a case opened, the clock passing due dates), and
//! `trove serve`'s dispatcher delivers each once, signed; a receiver that fails once is
//! retried and the log shows both attempts; a viewer is refused; the secret is never logged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::web::{Reply, Server, encode};
use common::{ROOT, TROVE, demo, json, ok};
use serde_json::Value;

const ADMIN: &str = "ada@northwind.example";
const ANALYST: &str = "ann@northwind.example";
const LEAD: &str = "bea@northwind.example";
const VIEWER: &str = "vic@northwind.example";
const PASSWORD: &str = "a long enough passphrase";

/// One request a receiver got: its Standard Webhooks headers and body.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

impl Received {
    fn kind(&self) -> String {
        let body: Value = serde_json::from_str(&self.body).unwrap();
        body["type"].as_str().unwrap().to_owned()
    }
}

/// A receiver on 127.0.0.1 (port 0) answering with its script's statuses, then 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/in", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let seen = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers: Vec<(String, String)> = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
                    }
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let mut body = vec![0; header("content-length").parse().unwrap_or(0)];
                reader.read_exact(&mut body).unwrap();
                seen.lock().unwrap().push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp").parse().unwrap_or(0),
                    signature: header("webhook-signature"),
                    body: String::from_utf8(body).unwrap(),
                });
                let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Self { url, got }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn kinds(&self) -> Vec<String> {
        self.got().iter().map(Received::kind).collect()
    }

    /// Waits (up to 40 s: the server's dispatcher looks every 5 s) until `done` holds.
    fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) {
        let started = Instant::now();
        while !done(&self.got()) {
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "{what}: still waiting; got {:?}",
                self.kinds()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Runs `trove ARGS --db DB`: whether it succeeded, its standard output and error.
fn attempt(db: &Path, args: &[&str]) -> (bool, String, String) {
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

/// Whether `request` carries a valid signature by `secret`, recomputed with Trove's signer
/// (which reproduces the Standard Webhooks test vector: see trove-app's tests).
fn signed_by(secret: &str, request: &Received) -> bool {
    let expected = trove_app::sign(secret, &request.id, request.timestamp, &request.body).unwrap();
    request.signature.split(' ').any(|s| s == expected)
}

fn stamp(page: &Reply) -> String {
    let at = page.body.find("name=\"stamp\" value=\"").expect("a stamp") + 20;
    page.body[at..].split('"').next().unwrap().to_owned()
}

#[test]
fn each_event_reaches_a_subscribed_receiver_signed_and_failures_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--customers", "600", "--feedback", "3000"]);
    for person in [ADMIN, VIEWER] {
        assert!(
            common::web::set_password(&db, ADMIN, person, PASSWORD)
                .status
                .success()
        );
    }

    // Only an admin subscribes; the secret is printed once, alone on standard output.
    let main = Receiver::start(&[]);
    let add = ["webhook", "add", "--url", &main.url, "--events", "all"];
    let (done, _, refused) = attempt(&db, &[&add[..], &["--as", VIEWER]].concat());
    assert!(!done && refused.contains("not an admin"), "{refused}");
    let secret = ok(&db, &[&add[..], &["--as", ADMIN]].concat())
        .trim()
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");

    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);
    let vic = server.sign_in(VIEWER, PASSWORD).session();
    assert_eq!(server.get("/webhooks", Some(&vic)).status, 403);
    let ada = server.sign_in(ADMIN, PASSWORD).session();
    let page = server.get("/webhooks", Some(&ada));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&main.url));
    assert!(
        !page.body.contains(&secret),
        "the secret is shown only once"
    );
    let token = page.form_token();

    // The web adds a second subscription, to issue moves only, whose receiver fails once.
    let flaky = Receiver::start(&[503]);
    let made = server.post(
        "/webhooks",
        Some(&ada),
        &format!(
            "csrf={token}&url={}&event=issue.status_changed",
            encode(&flaky.url)
        ),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let at = made
        .body
        .find("whsec_")
        .expect("the new secret, shown once");
    let flaky_secret: String = made.body[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    assert!(
        !server
            .get("/webhooks", Some(&ada))
            .body
            .contains(&flaky_secret)
    );
    let forged = server.post(
        "/webhooks",
        Some(&vic),
        &format!(
            "csrf={token}&url={}&event=issue.status_changed",
            encode(&flaky.url)
        ),
    );
    assert_eq!(
        forged.status, 403,
        "a viewer (and another's token) is refused"
    );

    // issue.status_changed: an analyst opens an issue, its lead acknowledges it.
    ok(
        &db,
        &[
            "issue",
            "open",
            "--theme",
            "surprise-fee",
            "--lead",
            "billing",
            "--as",
            ANALYST,
        ],
    );
    ok(&db, &["issue", "move", "2", "acknowledged", "--as", LEAD]);
    // feedback.received: a stranger answers a public form.
    let created = ok(
        &db,
        &[
            "form",
            "create",
            "--source",
            "kiosk",
            "--touchpoint",
            "contact-centre",
            "--score",
            "nps",
            "--question",
            "How did we do?",
            "--as",
            ADMIN,
        ],
    );
    let form = created
        .lines()
        .find_map(|line| line.strip_prefix("created form "))
        .unwrap()
        .trim()
        .to_owned();
    let form_page = server.get(&format!("/f/{form}"), None);
    std::thread::sleep(Duration::from_millis(3_100));
    let answered = server.post(
        &format!("/f/{form}"),
        None,
        &format!(
            "stamp={}&score=2&comment={}",
            encode(&stamp(&form_page)),
            encode("Nobody answered the phone")
        ),
    );
    assert_eq!(answered.status, 303, "{}", answered.body);
    // case.sla_breached and commitment.missed: a case with a one-hour deadline, and the
    // clock moved past it and past the demo's open commitments (a rehearsal allows --now).
    // The demo dates what is still open from the real day (an action due 45 days on, a
    // progress report 90 days on), so the clock moves 120 days past today.
    ok(
        &db,
        &[
            "followups",
            "open",
            "--reason",
            "Called twice",
            "--department",
            "customer-care",
            "--sla-hours",
            "1",
            "--as",
            ADMIN,
        ],
    );
    let later = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(120))
        .unwrap()
        .to_string();
    let pass = ok(&db, &["webhook", "deliver", "--now", &later]);
    assert!(pass.contains("queued"), "{pass}");

    main.wait_for("every event", |got| {
        let kinds: Vec<String> = got.iter().map(Received::kind).collect();
        let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
        count("issue.status_changed") == 1
            && count("feedback.received") == 1
            && count("case.sla_breached") == 1
            && count("commitment.missed") == 2
    });
    flaky.wait_for("the retry", |got| got.len() == 2);
    let got = main.got();
    assert!(
        got.iter().all(|r| signed_by(&secret, r)),
        "every request is signed with the subscription's secret"
    );
    let kinds = main.kinds();
    assert!(
        !kinds.iter().any(|k| k.ends_with(".detected")),
        "the alerts standing when the watch started are its baseline, not news: {kinds:?}"
    );
    let moved: Value = serde_json::from_str(
        &got.iter()
            .find(|r| r.kind() == "issue.status_changed")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(moved["data"]["from"], "detected");
    assert_eq!(moved["data"]["to"], "acknowledged");
    assert_eq!(moved["data"]["by"], LEAD);
    let retried = flaky.got();
    assert!(retried.iter().all(|r| signed_by(&flaky_secret, r)));
    assert_eq!(retried[0].id, retried[1].id, "a retry keeps the webhook-id");
    assert!(
        !signed_by(&secret, &retried[0]),
        "each subscription has its own secret"
    );

    // The log: the flaky delivery took two attempts; nothing failed for good.
    let log_json = json(
        &db,
        &[
            "webhook",
            "deliveries",
            "--attempts",
            "--format",
            "json",
            "--as",
            ADMIN,
        ],
    );
    let flaky_delivery = log_json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["webhook_id"] == 2)
        .unwrap();
    assert_eq!(flaky_delivery["status"], "delivered");
    assert_eq!(flaky_delivery["attempts"], 2);
    let attempts = flaky_delivery["attempt_log"].as_array().unwrap();
    assert_eq!(attempts[0]["status_code"], 503);
    assert_eq!(attempts[0]["outcome"], "pending");
    assert_eq!(attempts[1]["status_code"], 200);
    let failed = json(
        &db,
        &[
            "webhook",
            "deliveries",
            "--failed",
            "--format",
            "json",
            "--as",
            ADMIN,
        ],
    );
    assert_eq!(failed.as_array().unwrap().len(), 0);
    let page = server.get("/webhooks", Some(&ada));
    assert!(page.body.contains("delivered"));
    assert!(
        !page.body.contains("HTTP 503"),
        "the page shows each delivery's last answer"
    );

    // The page's test button, then removing the flaky subscription.
    let tested = server.post("/webhooks/1/test", Some(&ada), &format!("csrf={token}"));
    assert_eq!(tested.status, 303);
    main.wait_for("the test event", |got| {
        got.iter().any(|r| r.kind() == "webhook.test")
    });
    let removed = server.post("/webhooks/2/remove", Some(&ada), &format!("csrf={token}"));
    assert_eq!(removed.status, 303);
    let hooks = json(&db, &["webhook", "list", "--format", "json", "--as", ADMIN]);
    assert!(hooks[1]["removed_at"].is_i64(), "{hooks}");
    assert!(hooks[0]["removed_at"].is_null());
    assert!(
        hooks[0].get("secret").is_none(),
        "listing never shows a secret"
    );

    drop(server);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains(&secret) && !logged.contains(&flaky_secret));
}
