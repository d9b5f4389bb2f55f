//! End-to-end: the Reports page of `trove serve` on the demo, over real HTTP. An analyst makes
//! a unit's monthly review from the page (kept, then listed); the report shows its sections
//! and its downloads (HTML, Markdown, CSV, JSON, whose contributions add up); the unit's item
//! count links to a drill-down of exactly that many items; a viewer reads but cannot make one;
//! an unknown unit or month is a 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::web::Server;
use common::{demo, ok};
use serde_json::Value;
use trove_analytics::chronic::thousands;

fn last_month() -> String {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let last = today
        .first_of_month()
        .checked_sub(jiff::Span::new().days(1))
        .unwrap();
    format!("{:04}-{:02}", last.year(), last.month())
}

#[test]
fn reports_are_made_kept_listed_shown_and_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let printed = demo(&db, &["demo"]);
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("Demo password: "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the demo prints its password")
        .to_owned();
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let anonymous = server.get("/reports", None);
    assert_eq!(anonymous.status, 303, "signed-in people only");

    let viewer = server.sign_in("vic@northwind.example", &password).session();
    let analyst = server.sign_in("ann@northwind.example", &password).session();
    let month = last_month();

    // Nothing kept yet; a viewer sees no form to make one.
    let empty = server.get("/reports", Some(&viewer));
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.body.contains("No report kept yet"));
    assert!(
        empty.body.contains("aria-current=\"page\">Reports<"),
        "the section is marked"
    );
    assert!(!empty.body.contains("action=\"/reports\""));
    let token = empty.form_token();
    let refused = server.post(
        "/reports",
        Some(&viewer),
        &format!("csrf={token}&unit=Home&month={month}"),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    // The analyst makes Home's report: kept, then shown.
    let page = server.get("/reports", Some(&analyst));
    assert!(page.body.contains("action=\"/reports\""));
    let bad_cost = server.post(
        "/reports",
        Some(&analyst),
        &format!(
            "csrf={}&unit=Home&month={month}&cost=lots",
            page.form_token()
        ),
    );
    assert_eq!(bad_cost.status, 422, "{}", bad_cost.body);
    assert!(bad_cost.body.contains("cost per contact"), "said in words");
    let made = server.post(
        "/reports",
        Some(&analyst),
        &format!(
            "csrf={}&unit=Home&month={month}&cost=6.50%20USD",
            page.form_token()
        ),
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let at = format!("/reports/Home/{month}");
    assert_eq!(made.header("location"), Some(at.as_str()));
    let listed = server.get("/reports", Some(&viewer));
    assert!(
        listed
            .body
            .contains(&format!("<a href=\"{at}\">{month}</a>")),
        "{}",
        listed.body
    );

    let mut shown = server.get(&at, Some(&viewer));
    // Ampersands in links as one spelling, whichever the template engine writes.
    shown.body = shown.body.replace("&#38;", "&amp;");
    assert_eq!(shown.status, 200, "{}", shown.body);
    for section in [
        "Why NPS moved",
        "Chronic issues",
        "Action plans",
        "Closing the loop",
        "Coverage",
        "Annuity ledger",
    ] {
        assert!(shown.body.contains(section), "{section}");
    }
    assert!(
        !shown.body.contains("it is not kept yet"),
        "the kept one is shown"
    );
    for format in ["html", "md", "csv", "json"] {
        assert!(
            shown.body.contains(&format!("href=\"{at}/{format}\"")),
            "{format} download"
        );
    }

    // The JSON download: every figure, contributions adding up to the change.
    let download = server.get(&format!("{at}/json"), Some(&viewer));
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/json"));
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .contains(&format!("home-{month}.json"))
    );
    let report: Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(report["annuity"]["cost_per_contact"]["text"], "6.50 USD");
    assert_eq!(report["annuity"]["cost_source"], "given");
    for change in report["why_it_moved"].as_array().unwrap() {
        let sum: f64 = change["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["total"].as_f64().unwrap())
            .sum();
        assert!((sum - change["total_change"].as_f64().unwrap()).abs() < 1e-9);
    }
    let md = server.get(&format!("{at}/md"), Some(&viewer));
    assert!(
        md.body
            .starts_with(&format!("# Monthly review: Home, {month}"))
    );
    let csv = server.get(&format!("{at}/csv"), Some(&viewer));
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let pdf = server.get(&format!("{at}/pdf"), Some(&viewer));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF"), "a PDF document");

    // The month's item count links to a drill-down of exactly that many items.
    let items = report["items"].as_u64().unwrap();
    let link = format!(
        "/items?bu=Home&amp;from={}&amp;to={}",
        report["from"].as_str().unwrap(),
        report["to"].as_str().unwrap()
    );
    assert!(
        shown.body.contains(&format!(
            "<a href=\"{link}\">{} items</a>",
            thousands(items)
        )),
        "{link}"
    );
    let drill = server.get(&link.replace("&amp;", "&"), Some(&viewer));
    assert_eq!(drill.status, 200);
    assert!(
        drill.body.contains(&format!("{} items", thousands(items))),
        "the drill-down counts {items}"
    );

    // A month not kept is made for the view and says so; an unknown unit or month is a 404.
    let other = server.get("/reports/Personal%20Motor/2026-01", Some(&viewer));
    assert_eq!(other.status, 200, "{}", other.body);
    assert!(other.body.contains("it is not kept yet"));
    assert_eq!(
        server.get("/reports/Nowhere/2026-01", Some(&viewer)).status,
        404
    );
    assert_eq!(
        server.get("/reports/Home/2026-13", Some(&viewer)).status,
        404
    );
}

#[test]
fn admins_choose_the_report_recipients_on_the_reports_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let printed = demo(&db, &["demo"]);
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("Demo password: "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the demo prints its password")
        .to_owned();
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let admin = server.sign_in("ada@northwind.example", &password).session();
    let analyst = server.sign_in("ann@northwind.example", &password).session();

    let page = server.get("/reports", Some(&admin));
    assert!(page.body.contains("Sent by e-mail"), "{}", page.body);
    assert!(page.body.contains("from day 2 of the following month"));
    assert!(
        page.body
            .contains("Nobody receives the reports by e-mail yet.")
    );
    let token = page.form_token();
    let added = server.post(
        "/reports/recipients",
        Some(&admin),
        &format!("csrf={token}&action=add&unit=Home&address=CFO%40partner.example&name=Chief+Financial+Officer"),
    );
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.header("location"), Some("/reports#by-e-mail"));
    let everyone = server.post(
        "/reports/recipients",
        Some(&admin),
        &format!("csrf={token}&action=add&unit=*&address=ann%40northwind.example"),
    );
    assert_eq!(everyone.status, 303);
    let day = server.post(
        "/reports/recipients",
        Some(&admin),
        &format!("csrf={token}&action=day&day=5"),
    );
    assert_eq!(day.status, 303);
    let page = server.get("/reports", Some(&admin));
    assert!(
        page.body.contains("<th scope=\"row\">Home</th><td>cfo@partner.example</td><td>Chief Financial Officer</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "<th scope=\"row\">every unit</th><td>ann@northwind.example</td><td>Ann Silva</td>"
        ),
        "a person of Trove named from their record: {}",
        page.body
    );
    assert!(page.body.contains("from day 5 of the following month"));
    let listed = ok(
        &db,
        &[
            "report",
            "recipients",
            "list",
            "--as",
            "ada@northwind.example",
        ],
    );
    assert!(
        listed.contains("cfo@partner.example") && listed.contains("day 5"),
        "{listed}"
    );

    // Refusals in words, on the page.
    let bad = server.post(
        "/reports/recipients",
        Some(&admin),
        &format!("csrf={token}&action=add&unit=Nowhere&address=x%40partner.example"),
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("Nowhere") && bad.body.contains("has no feedback"),
        "{}",
        bad.body
    );
    let bad = server.post(
        "/reports/recipients",
        Some(&admin),
        &format!("csrf={token}&action=day&day=31"),
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("choose 1 to 28"), "{}", bad.body);

    // Others see no recipients and may not change them.
    let seen = server.get("/reports", Some(&analyst));
    assert!(!seen.body.contains("Sent by e-mail") && !seen.body.contains("cfo@partner.example"));
    let analyst_token = seen.form_token();
    let refused = server.post(
        "/reports/recipients",
        Some(&analyst),
        &format!("csrf={analyst_token}&action=remove&unit=Home&address=cfo%40partner.example"),
    );
    assert_eq!(refused.status, 403);
    let forged = server.post(
        "/reports/recipients",
        Some(&admin),
        "csrf=forged&action=remove&unit=Home&address=cfo%40partner.example",
    );
    assert_eq!(forged.status, 403, "the form token is checked");

    let removed = server.post(
        "/reports/recipients",
        Some(&admin),
        &format!("csrf={token}&action=remove&unit=Home&address=cfo%40partner.example"),
    );
    assert_eq!(removed.status, 303);
    let page = server.get("/reports", Some(&admin));
    assert!(!page.body.contains("cfo@partner.example"));
    assert!(page.body.contains("ann@northwind.example"));
}
