//! End-to-end: the self-assessment page over real HTTP. Last month's answers come from the
//! command line (a rehearsal database may pretend the day); this month an admin and a viewer
//! answer through the page's radio groups; an incomplete or forged form changes nothing; the
//! trend table shows both months with their counts, and a low area links to what helps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::web::{Server, escaped};
use common::{json, ok};

const ADMIN: &str = "ann@example.com";
const VIEWER: &str = "vic@example.com";
const PASSWORD: &str = "a long enough passphrase";

/// A form answering every question with `value`, except accountability's, answered `low`.
fn answers(token: &str, value: u8, low: u8) -> String {
    let mut form = format!("csrf={token}");
    for q in trove_app::questions() {
        let v = if q.area == "accountability" {
            low
        } else {
            value
        };
        form.push_str(&format!("&q_{}={v}", q.id));
    }
    form
}

#[test]
fn people_answer_on_the_page_and_the_trend_shows_last_month_and_this_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("assess.db");
    ok(
        &db,
        &["user", "add", ADMIN, "--name", "Ann", "--role", "admin"],
    );
    ok(
        &db,
        &[
            "user", "add", VIEWER, "--name", "Vic", "--role", "viewer", "--as", ADMIN,
        ],
    );
    for email in [ADMIN, VIEWER] {
        assert!(
            common::web::set_password(&db, ADMIN, email, PASSWORD)
                .status
                .success()
        );
    }
    ok(
        &db,
        &["rehearsal", "on", "--reason", "assessment", "--as", ADMIN],
    );
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let last_month = today.first_of_month().yesterday().unwrap();
    let (this, previous) = (
        today.strftime("%Y-%m").to_string(),
        last_month.strftime("%Y-%m").to_string(),
    );
    let day = last_month.strftime("%Y-%m-%d").to_string();
    ok(
        &db,
        &[
            "assess", "answer", "--as", ADMIN, "--now", &day, "--answer", "1=4", "--answer", "11=4",
        ],
    );

    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);
    let ann = server.sign_in(ADMIN, PASSWORD).session();
    let page = server.get("/assess", Some(&ann));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("href=\"/assess\" aria-current=\"page\""));
    let questions = trove_app::questions().len();
    assert_eq!(page.body.matches("type=\"radio\"").count(), questions * 5);
    assert!(page.body.contains(&format!("Your answers for {this}")));
    assert!(page.body.contains(&format!("<th scope=\"col\">{previous}")));
    let token = page.form_token();

    // Incomplete: refused in words, nothing stored; forged: 403.
    let partial = server.post(
        "/assess",
        Some(&ann),
        &format!("csrf={token}&q_clarity-1=3"),
    );
    assert_eq!(partial.status, 422, "{}", partial.body);
    assert!(
        partial.body.contains("Answer every question"),
        "{}",
        partial.body
    );
    let forged = server.post("/assess", Some(&ann), &answers("forged", 3, 3));
    assert_eq!(forged.status, 403);
    let stored = json(&db, &["assess", "show", "--format", "json"]);
    assert_eq!(stored["months"].as_array().unwrap().len(), 1);

    // Ann answers 2 everywhere, then again 4 (accountability 1): the second set replaces the
    // first. Vic answers 3 (accountability 2).
    let sent = server.post("/assess", Some(&ann), &answers(&token, 2, 2));
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.header("location"), Some("/assess?done=answered"));
    assert_eq!(
        server
            .post("/assess", Some(&ann), &answers(&token, 4, 1))
            .status,
        303
    );
    let vic = server.sign_in(VIEWER, PASSWORD).session();
    let vic_token = server.get("/assess", Some(&vic)).form_token();
    assert_eq!(
        server
            .post("/assess", Some(&vic), &answers(&vic_token, 3, 2))
            .status,
        303
    );

    let page = server.get("/assess?done=answered", Some(&ann));
    assert!(
        page.body
            .contains("Your answers for this month are recorded.")
    );
    // Ann's answers of this month are checked on her form.
    assert!(
        page.body
            .contains("id=\"q-clarity-1-4\" name=\"q_clarity-1\" value=\"4\" required checked")
    );
    assert!(
        page.body
            .contains(&format!("{this} <span class=\"hint\">(2 people)")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("{previous} <span class=\"hint\">(1 person)"))
    );
    // This month: clarity (4 + 3) / 2 = 3.50; accountability (1 + 2) / 2 = 1.50, low, with
    // its next step and a link to the departments.
    assert!(
        page.body
            .contains("<span class=\"num\">3.50</span> <span class=\"hint\">n=2</span>")
    );
    assert!(page.body.contains("1.50 of 5, low"), "{}", page.body);
    assert!(
        page.body
            .contains(&escaped("Go to the departments' streams and commitments"))
    );
    assert!(page.body.contains("href=\"/departments\""));

    let trend = json(&db, &["assess", "show", "--format", "json"]);
    let months = trend["months"].as_array().unwrap();
    assert_eq!(months.len(), 2);
    assert_eq!(months[1]["month"], this.as_str());
    assert_eq!(months[1]["people"], 2);
}
