//! End-to-end: `trove serve` on a demo database, spoken to over real HTTP on loopback (a
//! plain HTTP/1.1 client over a TCP socket: no redirects followed, every header visible).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::web::{Reply, Server, encode, escaped};
use common::{demo, ok};

const ADMIN: &str = "ann@example.com";
const ADMIN_PASSWORD: &str = "a long admin passphrase";

#[test]
fn the_room_on_the_demo_is_behind_sign_in_and_refuses_forged_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);

    // Nothing without a session: pages go to sign-in, and the security headers are set.
    let anonymous = server.get("/", None);
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/signin"));
    let csp = anonymous.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(anonymous.header("x-content-type-options"), Some("nosniff"));
    assert!(anonymous.header("referrer-policy").is_some());
    assert_eq!(
        server.get("/issues?x=1", None).header("location"),
        Some("/signin?next=/issues%3Fx%3D1")
    );
    let style = server.get("/static/trove.css", None);
    assert_eq!(style.status, 200);
    assert!(style.header("cache-control").unwrap().contains("max-age"));

    // The first admin comes from the one-time setup link.
    let setup = server
        .setup_path
        .clone()
        .expect("a fresh database prints a setup link");
    assert_eq!(server.get(&setup, None).status, 200);
    let form = format!(
        "name=Ann+Admin&email={}&password={}&confirm={}",
        encode(ADMIN),
        encode(ADMIN_PASSWORD),
        encode(ADMIN_PASSWORD)
    );
    let created = server.post(&setup, None, &form);
    assert_eq!(created.status, 303, "{}", created.body);
    let first_session = created.session();
    let again = server.post(&setup, None, &form);
    assert_eq!(again.status, 404, "the setup link works once");
    assert_eq!(server.get(&setup, None).status, 404);

    // Before any recorded analysis, the room analyses what it shows.
    let before = server.get("/", Some(&first_session));
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(
        before.body.contains("Chronic issues over"),
        "{}",
        before.body
    );

    // Sign-in: the same refusal for a wrong password and an unknown e-mail.
    let wrong = server.sign_in(ADMIN, "not the right password");
    let unknown = server.sign_in("nobody@example.com", ADMIN_PASSWORD);
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let refusal = |reply: &Reply| {
        let at = reply
            .body
            .find("class=\"error\"")
            .expect("an error message");
        reply.body[at..].split("</p>").next().unwrap().to_owned()
    };
    assert_eq!(refusal(&wrong), refusal(&unknown));
    assert!(wrong.header("set-cookie").is_none());

    let signed_in = server.sign_in(ADMIN, ADMIN_PASSWORD);
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/"));
    let cookie = signed_in.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Path=/") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let session = signed_in.session();

    // After `trove analyze`, the room shows every stage and the planted chronic issues.
    ok(&db, &["analyze"]);
    let room = server.get("/", Some(&session));
    assert_eq!(room.status, 200);
    assert_eq!(room.header("cache-control"), Some("no-store"));
    let company = trove_demo::generate(&trove_demo::DemoConfig::default()).unwrap();
    let mut last = 0;
    for stage in company.journey.stages() {
        let heading = format!("<h3>{}</h3>", escaped(stage.name.as_str()));
        let at = room
            .body
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading} in the room"));
        assert!(at > last, "stages in journey order: {heading}");
        last = at;
    }
    assert!(
        room.body.contains("as of"),
        "the room says when its analysis ran"
    );
    for planted in company.truth.chronic() {
        let theme = company.themes.iter().find(|t| t.id == planted.id).unwrap();
        assert!(
            room.body.contains(&format!(
                "<a href=\"/themes/{}\">{}</a>",
                theme.id.as_str(),
                escaped(theme.name.as_str())
            )),
            "the planted chronic issue {} is in the room",
            planted.id
        );
    }

    // Forged changes are refused: from another site, or without the form token.
    let evil = server.send(
        "POST",
        "/signout",
        &[
            ("Origin", "https://evil.example"),
            ("Cookie", &format!("trove_session={session}")),
        ],
        Some(&format!("csrf={}", room.form_token())),
    );
    assert_eq!(evil.status, 403);
    let no_origin = server.send("POST", "/signin", &[], Some("email=a&password=b"));
    assert_eq!(
        no_origin.status, 403,
        "a change must show where it comes from"
    );
    let tokenless = server.post("/signout", Some(&session), "");
    assert_eq!(tokenless.status, 403);
    assert_eq!(
        server.get("/", Some(&session)).status,
        200,
        "still signed in"
    );

    // Sign-out ends the session: the old cookie no longer opens the room.
    let out = server.post(
        "/signout",
        Some(&session),
        &format!("csrf={}", room.form_token()),
    );
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(server.get("/", Some(&session)).status, 303);
    assert_eq!(
        server.get("/", Some(&first_session)).status,
        200,
        "other sessions live on"
    );

    // A person an admin adds gets a password from the command line and reads the room.
    ok(
        &db,
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
    set_password(&db, "vic@example.com", "short", false);
    set_password(&db, "vic@example.com", "viewer passphrase 1", true);
    let viewer = server.sign_in("vic@example.com", "viewer passphrase 1");
    assert_eq!(viewer.status, 303);
    let viewer_room = server.get("/", Some(&viewer.session()));
    assert_eq!(viewer_room.status, 200);
    assert!(viewer_room.body.contains("viewer"));

    // Sign-in returns only to a path on this site.
    let form = |next: &str| {
        format!(
            "email=vic%40example.com&password=viewer+passphrase+1&next={}",
            encode(next)
        )
    };
    let back = server.post("/signin", None, &form("/somewhere?a=1"));
    assert_eq!(back.header("location"), Some("/somewhere?a=1"));
    let away = server.post("/signin", None, &form("//evil.example/"));
    assert_eq!(away.header("location"), Some("/"), "no open redirect");

    // Five failures lock an account for a while, even with the right password after them.
    for _ in 0..5 {
        assert_eq!(
            server.sign_in("vic@example.com", "a wrong guess!").status,
            401
        );
    }
    let locked = server.sign_in("vic@example.com", "viewer passphrase 1");
    assert_eq!(locked.status, 429);
    assert!(locked.header("set-cookie").is_none());

    // The log has a line per request, and no secret.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("status=303"), "{logged}");
    for secret in [
        ADMIN_PASSWORD,
        &session,
        &first_session,
        setup.trim_start_matches("/setup/"),
    ] {
        assert!(!logged.contains(secret), "the log shows a secret: {logged}");
    }

    // SIGTERM stops the server gracefully.
    let mut server = server;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly on SIGTERM: {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `trove user password EMAIL --password-stdin --as ADMIN`; whether it should succeed.
fn set_password(db: &Path, email: &str, password: &str, succeeds: bool) {
    let output = common::web::set_password(db, ADMIN, email, password);
    assert_eq!(
        output.status.success(),
        succeeds,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
