//! Webhooks end to end on SQLite with a receiver on loopback: each event type arrives signed
//! (checked here with HMAC-SHA256 computed independently of Trove's signer), retries follow
//! the schedule and are logged, a dead receiver is given up on, and only admins subscribe.
#![allow(clippy::unwrap_used, missing_docs, reason = "test code")]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use trove_app::{Answer, App, Clock, DeliveryPolicy, NewForm, WebhookError, message_id, sign};
use trove_domain::{
    Attributes, Channel, ExternalId, FeedbackItem, FeedbackText, Label, ReceivedAt, Scores, Slug,
};
use trove_store::{DeliveryStatus, FormScale};
use trove_workflow::Change;
use trove_workflow::model::{Role, Status, Why};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// An HTTP receiver on 127.0.0.1 (port chosen by the system) that records every request and
/// answers with the next status of its script (204 once the script runs out).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let seen = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    headers.push(line.trim_end().to_owned());
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find_map(|h| {
                            let (key, value) = h.split_once(':')?;
                            key.eq_ignore_ascii_case(name)
                                .then(|| value.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                seen.lock().unwrap().push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                    body: String::from_utf8(body).unwrap(),
                });
                let status = statuses.lock().unwrap().pop_front().unwrap_or(204);
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
}

/// Verifies a request the way a receiver's Standard Webhooks library does, written out here so
/// it does not share code with Trove's signer.
fn verifies(secret: &str, request: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", request.id, request.timestamp, request.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    request
        .signature
        .split(' ')
        .any(|signature| signature == expected)
}

const ADMIN: &str = "ann@example.com";
const VIEWER: &str = "vic@example.com";

fn app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let store = trove_store_sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let app = App::new(Arc::new(store));
    app.create_first_admin(ADMIN, "Ann", "admin passphrase")
        .unwrap();
    let ops = Slug::parse("department", "ops").unwrap();
    app.act(Some(ADMIN), Clock::Real, |_| {
        Ok(vec![
            Change::RehearsalMarked {
                reason: "webhook tests pretend the clock moved".into(),
            },
            Change::DepartmentAdded {
                id: ops.clone(),
                name: "Operations".into(),
            },
            Change::UserAdded {
                email: VIEWER.into(),
                name: "Vic".into(),
                role: Role::Viewer,
                departments: Vec::new(),
            },
            Change::UserChanged {
                email: ADMIN.into(),
                role: Role::Admin,
                departments: vec![ops.clone()],
            },
        ])
    })
    .unwrap();
    (dir, app)
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn all_events() -> Vec<String> {
    trove_app::EVENT_TYPES
        .iter()
        .map(|e| e.to_string())
        .collect()
}

/// Feedback of source `web` in `month` (1-12 of 2025): `total` items, `with_theme` of them
/// coded with theme `billing` by the source.
fn month_of_feedback(
    month: jiff::civil::Date,
    total: usize,
    with_theme: usize,
) -> Vec<FeedbackItem> {
    (0..total)
        .map(|i| {
            let day = month.first_of_month() + jiff::Span::new().days((i % 20) as i64);
            let at = day.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp()
                + jiff::Span::new().hours(1);
            FeedbackItem {
                source: Label::parse("source", "web").unwrap(),
                channel: Channel::Survey,
                external_id: ExternalId::parse(&format!("m{}-{i}", month.strftime("%Y-%m")))
                    .unwrap(),
                received_at: ReceivedAt::new(at, jiff::tz::Offset::UTC),
                customer_id: None,
                account: None,
                business_unit: None,
                product: None,
                region: None,
                touchpoint: None,
                journey_stage: None,
                text: FeedbackText::parse("the bill was wrong").unwrap(),
                sentiment: None,
                suggestion: false,
                scores: Scores::default(),
                language: None,
                source_themes: if i < with_theme {
                    vec![Label::parse("theme", "Billing").unwrap()]
                } else {
                    Vec::new()
                },
                attributes: Attributes::default(),
            }
        })
        .collect()
}

/// The first days of the twelve months up to this one, oldest first.
fn last_twelve_months() -> Vec<jiff::civil::Date> {
    let this = trove_workflow::Workflow::day_of(now()).first_of_month();
    (0..12)
        .rev()
        .map(|back| this - jiff::Span::new().months(back))
        .collect()
}

#[test]
fn the_standard_webhooks_test_vector_is_reproduced() {
    // Published with the Standard Webhooks libraries (and Svix's): a receiver's library
    // accepts what Trove signs only if this matches byte for byte.
    assert_eq!(
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#
        )
        .unwrap(),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[test]
fn only_admins_manage_webhooks_and_bad_subscriptions_are_named() {
    let (_dir, app) = app();
    let refused = app
        .create_webhook(VIEWER, "http://127.0.0.1:9/x", &all_events(), now())
        .unwrap_err();
    assert!(matches!(refused, WebhookError::NotAdmin(_)), "{refused}");
    assert!(matches!(
        app.webhooks(VIEWER),
        Err(WebhookError::NotAdmin(_))
    ));
    let bad_url = app
        .create_webhook(ADMIN, "ftp://example.com", &all_events(), now())
        .unwrap_err();
    assert!(bad_url.to_string().contains("https://"), "{bad_url}");
    let bad_event = app
        .create_webhook(ADMIN, "https://example.com", &["issue.moved".into()], now())
        .unwrap_err();
    assert!(bad_event.to_string().contains("issue.moved"), "{bad_event}");
    let made = app
        .create_webhook(
            ADMIN,
            "https://example.com/in",
            &["issue.status_changed,commitment.missed".into()],
            now(),
        )
        .unwrap();
    let key = STANDARD
        .decode(made.secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert_eq!(key.len(), 32);
    assert_eq!(made.webhook.events.len(), 2);
    assert!(!format!("{:?}", made.webhook).contains(&made.secret));
    let listed = app.webhooks(ADMIN).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(matches!(
        app.remove_webhook(VIEWER, made.webhook.id, now()),
        Err(WebhookError::NotAdmin(_))
    ));
    app.remove_webhook(ADMIN, made.webhook.id, now()).unwrap();
    assert!(matches!(
        app.remove_webhook(ADMIN, made.webhook.id, now()),
        Err(WebhookError::Unknown(_))
    ));
}

#[test]
fn every_event_type_reaches_a_loopback_receiver_signed_and_once() {
    let (_dir, app) = app();
    // Eight quiet months: the analysis sees no alert, so the watch's baseline is empty.
    let months = last_twelve_months();
    for month in &months[..8] {
        app.store()
            .insert_feedback(&month_of_feedback(*month, 200, 10), None)
            .unwrap();
    }
    let receiver = Receiver::start(&[]);
    let start = now();
    let hook = app
        .create_webhook(ADMIN, &receiver.url, &all_events(), start)
        .unwrap();

    // issue.status_changed
    let ops = Slug::parse("department", "ops").unwrap();
    let today = trove_workflow::Workflow::day_of(start);
    app.act(Some(ADMIN), Clock::Real, |_| {
        Ok(vec![
            Change::IssueOpened {
                issue: 1,
                title: "Wrong bills".into(),
                themes: vec![Slug::parse("theme", "billing").unwrap()],
                lead: ops.clone(),
                departments: vec![ops.clone()],
                pain: None,
            },
            Change::IssueMoved {
                issue: 1,
                to: Status::Acknowledged,
                note: Some("ours".into()),
            },
            Change::WhysRecorded {
                chain: 1,
                issue: 1,
                symptom: "bills are wrong".into(),
                whys: vec![Why {
                    text: "the tariff table is stale".into(),
                    evidence: Vec::new(),
                }],
                workshop_on: today,
                participants: vec![ADMIN.into()],
            },
            // commitment.missed, once the clock passes the day after tomorrow
            Change::ActionPlanned {
                action: 1,
                issue: 1,
                chain: 1,
                what: "refresh the tariff table".into(),
                department: ops.clone(),
                owner: ADMIN.into(),
                due: today.tomorrow().unwrap(),
                public: None,
            },
            // case.sla_breached, once the clock passes its deadline
            Change::CaseOpened {
                case: 1,
                customer: Some("C-1".into()),
                feedback_id: None,
                issue: Some(1),
                reason: "detractor".into(),
                department: ops.clone(),
                owner: None,
                due_at: start + 3_600,
            },
        ])
    })
    .unwrap();
    // spike.detected and shift.detected: four months with many more bills.
    for month in &months[8..] {
        app.store()
            .insert_feedback(&month_of_feedback(*month, 200, 60), None)
            .unwrap();
    }
    // feedback.received
    let form = app
        .create_form(
            ADMIN,
            &NewForm {
                source: "kiosk".into(),
                touchpoint: "store".into(),
                business_unit: None,
                scale: FormScale::Nps,
                question: "How likely are you to recommend us?".into(),
                title: None,
            },
            start,
        )
        .unwrap();
    let served = app.serve_form(&form.id, start).unwrap().unwrap();
    let answer = Answer {
        stamp: served.stamp,
        score: Some("3".into()),
        comment: "the queue was long".into(),
        ..Answer::default()
    };
    assert_eq!(
        app.answer_form(&form.id, &answer, start + 10).unwrap(),
        trove_app::Answered::Stored
    );

    // Three days on: the action is missed and the case breached.
    let later = start + 3 * 86_400;
    let queued = app.watch_webhook_events(Clock::Rehearsed(later)).unwrap();
    // A minute on (the form was answered 10 s after it was served).
    let report = app
        .deliver_webhooks(now() + 60, &DeliveryPolicy::default())
        .unwrap();
    assert_eq!(report.delivered, report.attempted);
    let got = receiver.got();
    assert_eq!(
        got.len(),
        queued + 1,
        "the form's answer was queued when stored"
    );
    for request in &got {
        assert!(verifies(&hook.secret, request), "{request:?}");
        assert!(request.id.starts_with("msg_"));
    }
    let of = |kind: &str| -> Vec<Value> {
        got.iter()
            .map(Received::json)
            .filter(|body| body["type"] == kind)
            .collect()
    };
    let moved = of("issue.status_changed");
    assert_eq!(moved.len(), 1, "{got:?}");
    assert_eq!(moved[0]["data"]["from"], "detected");
    assert_eq!(moved[0]["data"]["to"], "acknowledged");
    assert_eq!(moved[0]["data"]["issue"], 1);
    let missed = of("commitment.missed");
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0]["data"]["kind"], "action");
    assert_eq!(
        missed[0]["data"]["due"],
        today.tomorrow().unwrap().to_string()
    );
    let breached = of("case.sla_breached");
    assert_eq!(breached.len(), 1);
    assert_eq!(breached[0]["data"]["case"], 1);
    let spikes = of("spike.detected");
    assert!(!spikes.is_empty(), "{got:?}");
    assert_eq!(spikes[0]["data"]["theme"], "billing");
    let rise = months[8].strftime("%Y-%m").to_string();
    assert_eq!(spikes[0]["data"]["period"], rise.as_str());
    let shifts = of("shift.detected");
    assert_eq!(shifts.len(), 1, "{got:?}");
    assert_eq!(shifts[0]["data"]["kind"], "shift_up");
    assert_eq!(shifts[0]["data"]["since"], rise.as_str());
    assert_eq!(shifts[0]["data"]["theme_name"], "Billing");
    let answered = of("feedback.received");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0]["data"]["comment"], "the queue was long");
    assert_eq!(answered[0]["data"]["scores"]["nps"], 3);
    for body in got.iter().map(Received::json) {
        let stamp = body["timestamp"].as_str().unwrap();
        assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
    }

    // Looking again finds the same things: nothing new is queued or sent.
    assert_eq!(
        app.watch_webhook_events(Clock::Rehearsed(later)).unwrap(),
        0
    );
    assert_eq!(
        app.deliver_webhooks(now() + 60, &DeliveryPolicy::default())
            .unwrap()
            .attempted,
        0
    );
    // The pretended clock is for rehearsals only: see `trove rehearsal`.
    let log = app.webhook_deliveries(ADMIN, false, 100).unwrap();
    assert_eq!(log.len(), got.len());
    assert!(log.iter().all(|d| d.status == DeliveryStatus::Delivered));
}

#[test]
fn a_failing_receiver_is_retried_on_schedule_and_each_attempt_is_logged() {
    let (_dir, app) = app();
    let receiver = Receiver::start(&[500, 503]);
    let t = now();
    let hook = app
        .create_webhook(ADMIN, &receiver.url, &all_events(), t)
        .unwrap();
    app.test_webhook(ADMIN, hook.webhook.id, t).unwrap();
    let policy = DeliveryPolicy::default();
    let first = app.deliver_webhooks(t, &policy).unwrap();
    assert_eq!((first.attempted, first.retrying), (1, 1));
    assert_eq!(
        app.deliver_webhooks(t + 4, &policy).unwrap().attempted,
        0,
        "the first retry waits 5 s"
    );
    assert_eq!(app.deliver_webhooks(t + 5, &policy).unwrap().retrying, 1);
    assert_eq!(
        app.deliver_webhooks(t + 5 + 299, &policy)
            .unwrap()
            .attempted,
        0,
        "the second waits 5 min"
    );
    let third = app.deliver_webhooks(t + 5 + 300, &policy).unwrap();
    assert_eq!(third.delivered, 1);

    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| verifies(&hook.secret, r)));
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "every attempt carries the same webhook-id"
    );
    assert_eq!(got[0].json()["type"], "webhook.test");
    let log = app.webhook_deliveries(ADMIN, false, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, DeliveryStatus::Delivered);
    assert_eq!(log[0].attempts, 3);
    let attempts = app.webhook_attempts(ADMIN, log[0].id).unwrap();
    let codes: Vec<_> = attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, vec![Some(500), Some(503), Some(204)]);
    let next: Vec<_> = attempts.iter().map(|a| a.next_attempt_at).collect();
    assert_eq!(next, vec![Some(t + 5), Some(t + 305), None]);
    assert_eq!(attempts[0].error.as_deref(), Some("HTTP 500"));
    assert_eq!(message_id("x"), message_id("x"));
}

#[test]
fn a_receiver_that_never_answers_is_given_up_and_listed_as_failed() {
    let (_dir, app) = app();
    // A port nobody listens on: bound, then closed.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/gone", listener.local_addr().unwrap())
    };
    let t = now();
    let hook = app.create_webhook(ADMIN, &dead, &all_events(), t).unwrap();
    app.test_webhook(ADMIN, hook.webhook.id, t).unwrap();
    let policy = DeliveryPolicy {
        retry_delays: vec![1],
        ..DeliveryPolicy::default()
    };
    assert_eq!(app.deliver_webhooks(t, &policy).unwrap().retrying, 1);
    assert_eq!(app.deliver_webhooks(t + 1, &policy).unwrap().failed, 1);
    assert_eq!(app.deliver_webhooks(t + 100, &policy).unwrap().attempted, 0);
    let failed = app.webhook_deliveries(ADMIN, true, 10).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 2);
    assert!(failed[0].last_status_code.is_none());
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(
        !failed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains(&hook.secret),
        "the secret never reaches the log"
    );
}
