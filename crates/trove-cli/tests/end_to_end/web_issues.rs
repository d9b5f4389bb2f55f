//! End-to-end: the ranking and a theme's page on a demo database over real HTTP, and the issue
//! loop worked from the web (open, five whys, plan, progress, re-plan, verify) by the roles
//! the rules allow, with refusals in words and forged posts refused. The demo database is a
//! rehearsal, but the web records every change at the real clock's time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

use common::web::{Reply, Server, encode};
use common::{ROOT, TROVE, demo, json, ok};
use jiff::civil::Date;

const PASSWORD: &str = "a long test passphrase";
const ADMIN: &str = "ada@example.com";
const ANALYST: &str = "ana@example.com";
const LEAD: &str = "cleo@example.com";
const VIEWER: &str = "vic@example.com";

/// Adds a person with a password.
fn person(db: &Path, email: &str, role: &str, department: Option<&str>) {
    let mut args = vec!["user", "add", email, "--name", email, "--role", role];
    if let Some(department) = department {
        args.extend(["--department", department]);
    }
    if email != ADMIN {
        args.extend(["--as", ADMIN]);
    }
    ok(db, &args);
    let output = common::web::set_password(db, ADMIN, email, PASSWORD);
    assert!(output.status.success());
}

/// `trove ARGS` as of a pretended day (the demo database is a rehearsal).
fn ok_on(db: &Path, day: &str, args: &[&str]) -> String {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .env("TROVE_NOW", day)
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "trove {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn sign_in(server: &Server, email: &str) -> String {
    let reply = server.sign_in(email, PASSWORD);
    assert_eq!(reply.status, 303, "{email} signs in");
    reply.session()
}

/// Every value of `attribute="..."` that starts with `prefix`, in page order.
fn values(body: &str, attribute: &str, prefix: &str) -> Vec<String> {
    let needle = format!("{attribute}=\"{prefix}");
    body.match_indices(&needle)
        .map(|(at, _)| {
            let start = at + attribute.len() + 2;
            body[start..].split('"').next().unwrap().to_owned()
        })
        .collect()
}

/// The themes of the ranking table's rows, in order.
fn ranked_themes(body: &str) -> Vec<String> {
    let marker = "<th scope=\"row\" data-label=\"Theme\"><a href=\"/themes/";
    body.match_indices(marker)
        .map(|(at, _)| {
            body[at + marker.len()..]
                .split(['"', '?'])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The number after `#issue-` in a redirect.
fn anchor(reply: &Reply, kind: &str) -> u32 {
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").unwrap();
    location
        .split(&format!("#{kind}-"))
        .nth(1)
        .unwrap_or_else(|| panic!("{location} names the {kind}"))
        .parse()
        .unwrap()
}

/// A page with its ampersands unescaped, to compare links.
fn plain(body: &str) -> String {
    body.replace("&#38;", "&").replace("&amp;", "&")
}

/// Praise, suggestions and questions are listed apart, never ranked.
fn is_problem(theme: &serde_json::Value) -> bool {
    !["praise", "suggestion", "question"].contains(&theme["label"].as_str().unwrap())
}

/// The problem themes of `trove issues --format json`, in its order.
fn problem_themes(listed: &serde_json::Value) -> Vec<String> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| is_problem(t))
        .map(|t| t["theme"].as_str().unwrap().to_owned())
        .collect()
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

#[test]
fn the_ranking_and_a_theme_page_run_the_issue_loop_by_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    person(&db, ADMIN, "admin", None);
    person(&db, ANALYST, "analyst", None);
    person(&db, LEAD, "lead", Some("claims"));
    person(&db, VIEWER, "viewer", None);
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let analyst = sign_in(&server, ANALYST);

    // The ranking lists the same themes in the same order as `trove issues --format json`,
    // with the same volumes, each a drill-down to its window's items.
    let listed = json(&db, &["issues", "--format", "json"]);
    let problems: Vec<&serde_json::Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| is_problem(t))
        .collect();
    let ranking = server.get("/ranking", Some(&analyst));
    assert_eq!(ranking.status, 200, "{}", ranking.body);
    assert_eq!(ranked_themes(&ranking.body), problem_themes(&listed));
    let window = values(&plain(&ranking.body), "href", "/items?from=")
        .first()
        .cloned()
        .expect("the window's items are a link");
    for theme in &problems {
        let id = theme["theme"].as_str().unwrap();
        let volume = theme["volume"].as_u64().unwrap();
        let link = format!("{window}&theme={id}");
        let count = format!(
            "<a href=\"{link}\">{}</a>",
            trove_analytics::chronic::thousands(volume)
        );
        assert!(
            plain(&ranking.body).contains(&count),
            "{id}: its {volume} items link to {link}"
        );
    }
    assert!(ranking.body.contains("What the columns and labels mean"));
    assert!(ranking.body.contains("<svg"), "a sparkline per theme");

    // The filter bar's scope is kept in the URL and in every drill-down.
    let by_chat = server.get("/ranking?channel=chat&window=4", Some(&analyst));
    assert_eq!(by_chat.status, 200);
    let chat = json(
        &db,
        &[
            "issues",
            "--format",
            "json",
            "--channel",
            "chat",
            "--window",
            "4",
        ],
    );
    assert_eq!(ranked_themes(&by_chat.body), problem_themes(&chat));
    assert!(by_chat.body.contains("<option value=\"chat\" selected>"));
    assert!(
        values(&plain(&by_chat.body), "href", "/items?")
            .iter()
            .all(|link| link.ends_with("channel=chat")),
        "every drill-down keeps the channel"
    );
    let theme_links = values(&plain(&by_chat.body), "href", "/themes/");
    assert!(!theme_links.is_empty());
    assert!(
        theme_links
            .iter()
            .all(|link| link.ends_with("?window=4&channel=chat")),
        "every theme link keeps the scope: {theme_links:?}"
    );
    // A period named as the room names it ends the window.
    let to_august = server.get("/ranking?period=2026-08", Some(&analyst));
    assert_eq!(to_august.status, 200);
    let august = json(
        &db,
        &["issues", "--format", "json", "--until", "2026-09-01"],
    );
    assert_eq!(ranked_themes(&to_august.body), problem_themes(&august));
    assert!(plain(&to_august.body).contains("/items?from=2026-03-01&to=2026-09-01"));
    assert_eq!(
        server.get("/themes/no-such-theme", Some(&analyst)).status,
        404
    );
    assert_eq!(
        server
            .get("/ranking?period=fortnight", Some(&analyst))
            .status,
        400
    );

    // An analyst opens an issue from a theme (leads may not: the rules give it to analysts).
    let theme_path = "/themes/claim-payout-delay";
    let page = server.get(theme_path, Some(&analyst));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("No issue is open for it"));
    assert!(
        page.body.contains("class=\"chart trend\""),
        "the theme's trend"
    );
    assert_eq!(
        page.body.matches("<blockquote>").count(),
        5,
        "its newest verbatims"
    );
    let lead_page = server.get(theme_path, Some(&sign_in(&server, LEAD)));
    assert!(
        !lead_page.body.contains("/issue\""),
        "a lead is not offered to open an issue"
    );
    let token = page.form_token();
    let opened = server.post(
        &format!("{theme_path}/issue"),
        Some(&analyst),
        &format!("csrf={token}&scope=&lead=claims"),
    );
    let issue = anchor(&opened, "issue");
    let page = server.get(theme_path, Some(&analyst));
    assert!(page.body.contains(&format!("id=\"issue-{issue}\"")));
    assert!(page.body.contains("<span class=\"status\">detected</span>"));

    // A lead of one of its departments records a why chain and plans an action.
    let lead = sign_in(&server, LEAD);
    let page = server.get(theme_path, Some(&lead));
    let token = page.form_token();
    assert!(
        page.body
            .contains(&format!("action=\"/issues/{issue}/whys\""))
    );
    let whys = format!(
        "csrf={token}&scope=&symptom={}&why1={}&evidence1={}&why2={}&why3={}&participants={}&workshop_on={}",
        encode("Payouts arrive weeks late"),
        encode("Claims wait for a manual check"),
        encode("item 7, item 9"),
        encode("Every claim over 500 is checked by hand"),
        encode("The threshold was never revised since 2015"),
        encode(LEAD),
        today()
    );
    let recorded = server.post(&format!("/issues/{issue}/whys"), Some(&lead), &whys);
    assert_eq!(anchor(&recorded, "issue"), issue);
    let page = server.get(theme_path, Some(&lead));
    assert!(
        page.body
            .contains("Root cause: The threshold was never revised since 2015"),
        "{}",
        page.body
    );
    let moved = server.post(
        &format!("/issues/{issue}/move"),
        Some(&lead),
        &format!(
            "csrf={token}&scope=&to=acknowledged&note={}",
            encode("Ours")
        ),
    );
    assert_eq!(anchor(&moved, "issue"), issue);
    let skipped = server.post(
        &format!("/issues/{issue}/move"),
        Some(&lead),
        &format!("csrf={token}&scope=&to=fixing"),
    );
    assert_eq!(skipped.status, 422, "the lifecycle has no jumps");
    assert!(skipped.body.contains("Refused (lifecycle)"));
    assert!(
        skipped
            .body
            .contains("<span class=\"status\">acknowledged</span>")
    );
    let chain = values(&page.body, "id", "chain-")[0]
        .trim_start_matches("chain-")
        .to_owned();
    let due = today().checked_add(jiff::Span::new().days(30)).unwrap();
    let plan = format!(
        "csrf={token}&scope=&chain={chain}&what={}&department=claims&owner={}&due={due}&public={}",
        encode("Raise the manual-check threshold"),
        encode(LEAD),
        encode("Most claims are paid without waiting for a check")
    );
    let planned = server.post(&format!("/issues/{issue}/actions"), Some(&lead), &plan);
    let action = {
        assert_eq!(anchor(&planned, "issue"), issue);
        let page = server.get(theme_path, Some(&lead));
        assert!(page.body.contains("Raise the manual-check threshold"));
        assert!(page.body.contains(&format!("{due}")));
        values(&page.body, "action", "/actions/")[0]
            .trim_start_matches("/actions/")
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };

    // Progress and a re-plan; a re-plan without a reason is refused in words (422).
    let progressed = server.post(
        &format!("/actions/{action}/progress"),
        Some(&lead),
        &format!(
            "csrf={token}&scope=&percent=40&note={}",
            encode("Rule drafted")
        ),
    );
    assert_eq!(anchor(&progressed, "action").to_string(), action);
    let later = due.checked_add(jiff::Span::new().days(14)).unwrap();
    let no_reason = server.post(
        &format!("/actions/{action}/replan"),
        Some(&lead),
        &format!("csrf={token}&scope=&due={later}&reason="),
    );
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    assert!(
        no_reason.body.contains("re-planning needs a reason"),
        "the refusal is shown in words"
    );
    let replanned = server.post(
        &format!("/actions/{action}/replan"),
        Some(&lead),
        &format!(
            "csrf={token}&scope=&due={later}&reason={}",
            encode("Legal review first")
        ),
    );
    assert_eq!(replanned.status, 303, "{}", replanned.body);
    let page = server.get(theme_path, Some(&lead));
    assert!(page.body.contains("40% by cleo@example.com: Rule drafted"));
    assert!(
        page.body
            .contains(&format!("due {due} → {later}, because Legal review first"))
    );

    // An action past its due date shows as missed, in red and in words.
    ok_on(
        &db,
        "2026-01-10",
        &[
            "action",
            "add",
            &issue.to_string(),
            "--root-cause",
            &chain,
            "--what",
            "Old promise",
            "--department",
            "claims",
            "--owner",
            LEAD,
            "--due",
            "2026-02-15",
            "--as",
            LEAD,
        ],
    );
    let page = server.get(theme_path, Some(&lead));
    let late = (today() - "2026-02-15".parse::<Date>().unwrap()).get_days();
    let missed = format!("<strong class=\"missed\">missed, {late} days late</strong>");
    assert!(page.body.contains(&missed), "{missed} in {}", page.body);
    assert!(page.body.contains("class=\"row-missed\""));
    let ranking = server.get("/ranking", Some(&lead));
    assert!(ranking.body.contains("1 missed"), "the ranking counts it");

    // An analyst records a verification; the page shows its verdict.
    let verified = server.post(
        &format!("/issues/{issue}/verify"),
        Some(&analyst),
        &format!(
            "csrf={}&scope=&fixed_on=2026-03-15&periods=3",
            page_token(&server, &analyst)
        ),
    );
    assert_eq!(verified.status, 303, "{}", verified.body);
    let page = server.get(theme_path, Some(&analyst));
    assert!(
        page.body.contains("for a fix on 2026-03-15"),
        "{}",
        page.body
    );
    assert!(page.body.contains("The fix counts from 2026-03-15"));

    // A viewer reads the page without a single edit control, and a forged post is refused
    // even with the viewer's valid form token.
    let viewer = sign_in(&server, VIEWER);
    let page = server.get(theme_path, Some(&viewer));
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body.matches("<form method=\"post\"").count(),
        1,
        "only the sign-out form"
    );
    let forged = server.post(
        &format!("/issues/{issue}/whys"),
        Some(&viewer),
        &whys.replace(
            &format!("csrf={token}"),
            &format!("csrf={}", page.form_token()),
        ),
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("viewers change nothing"));
    let chains =
        |session: &str| values(&server.get(theme_path, Some(session)).body, "id", "chain-").len();
    assert_eq!(chains(&viewer), 1, "nothing was recorded");

    // A post without the form token is refused, whoever sends it.
    let tokenless = server.post(
        &format!("/issues/{issue}/whys"),
        Some(&lead),
        &whys.replace(&format!("csrf={token}&"), ""),
    );
    assert_eq!(tokenless.status, 403);
    assert_eq!(chains(&lead), 1);
}

/// The form token of the theme page for a session.
fn page_token(server: &Server, session: &str) -> String {
    server.get("/ranking", Some(session)).form_token()
}
