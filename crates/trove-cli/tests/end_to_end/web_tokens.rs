//! End-to-end: API tokens on the people page of `trove serve`, over real HTTP. Everyone
//! signed in sees and manages their own tokens (an admin sees all); a new or rotated secret
//! is shown once, on the answer to the post, never cached and never logged; revoked and
//! rotated secrets stop working; a role's limits and other people's tokens are refused in
//! words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use common::ok;
use common::web::{Reply, Server, encode, set_password};

const ANN: &str = "ann@example.com";
const MO: &str = "mo@example.com";
const VIC: &str = "vic@example.com";
const PASSWORD: &str = "correct horse battery";

/// The one `trove_...` secret a page shows, if any.
fn secret_in(body: &str) -> Option<String> {
    let at = body.find("trove_")?;
    let secret: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (secret.len() == 6 + 64).then_some(secret)
}

/// `GET /api/v1/me` with `secret`: its status, and the e-mail it acts as.
fn me(server: &Server, secret: &str) -> (u16, String) {
    let bearer = format!("Bearer {secret}");
    let reply = server.send("GET", "/api/v1/me", &[("Authorization", &bearer)], None);
    let email = serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v["email"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (reply.status, email)
}

fn people(db: &Path) {
    ok(
        db,
        &["user", "add", ANN, "--name", "Ann", "--role", "admin"],
    );
    for (email, name, role) in [(MO, "Mo", "member"), (VIC, "Vic", "viewer")] {
        ok(
            db,
            &[
                "user", "add", email, "--name", name, "--role", role, "--as", ANN,
            ],
        );
    }
    for email in [ANN, MO, VIC] {
        assert!(set_password(db, ANN, email, PASSWORD).status.success());
    }
}

/// The id of the token named `name` on a people page.
fn token_id(page: &Reply, name: &str) -> String {
    let at = page
        .body
        .find(&format!("{name}<span class=\"sub\">#"))
        .unwrap_or_else(|| panic!("{name} listed: {}", page.body));
    page.body[at..]
        .split('#')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn people_make_see_rotate_and_revoke_their_own_tokens_and_secrets_are_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tokens.db");
    people(&db);
    let ann_cli = ok(
        &db,
        &[
            "token", "create", "--name", "ann-cli", "--scope", "read", "--as", ANN,
        ],
    )
    .trim()
    .to_owned();
    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);
    let mo = server.sign_in(MO, PASSWORD).session();
    let page = server.get("/people", Some(&mo));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("You have no tokens yet"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("ann-cli"), "another person's token");
    assert!(!page.body.contains("Add a person"), "people are for admins");
    let csrf = page.form_token();

    // Made: the secret is on the answer to the post only, not cached, and works as Mo.
    let form = format!("csrf={csrf}&name=dashboard&scope=read&scope=write&expires=90d");
    let made = server.post("/people/tokens", Some(&mo), &form);
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.header("cache-control"), Some("no-store"));
    let first = secret_in(&made.body).expect("the secret is shown");
    assert!(made.body.contains("shown only this once"));
    assert_eq!(me(&server, &first), (200, MO.to_owned()));
    let listed = server.get("/people", Some(&mo));
    assert!(secret_in(&listed.body).is_none(), "never shown again");
    assert!(listed.body.contains("read, write"), "{}", listed.body);
    let expires = listed.body.split("data-label=\"Expires\">").nth(1).unwrap();
    assert!(expires.starts_with("20"), "expires in 90 days: {expires}");
    let id = token_id(&listed, "dashboard");
    let last_used = listed
        .body
        .split("data-label=\"Last used\">")
        .nth(1)
        .unwrap();
    assert!(!last_used.starts_with("never"), "its use is shown");

    // Rotated: a new secret, once; the old one stops working.
    let rotated = server.post(
        &format!("/people/tokens/{id}/rotate"),
        Some(&mo),
        &format!("csrf={csrf}"),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let second = secret_in(&rotated.body).unwrap();
    assert_ne!(first, second);
    assert_eq!(me(&server, &first).0, 401);
    assert_eq!(me(&server, &second), (200, MO.to_owned()));

    // Others' tokens are refused in words; a forged post changes nothing.
    let ann_page = server.get("/people", Some(&server.sign_in(ANN, PASSWORD).session()));
    let ann_id = token_id(&ann_page, "ann-cli");
    assert!(
        ann_page.body.contains(MO) && ann_page.body.contains("dashboard"),
        "an admin sees all"
    );
    for work in ["revoke", "rotate"] {
        let refused = server.post(
            &format!("/people/tokens/{ann_id}/{work}"),
            Some(&mo),
            &format!("csrf={csrf}"),
        );
        assert_eq!(refused.status, 422, "{work}: {}", refused.body);
        assert!(refused.body.contains("only they or an admin"), "{work}");
    }
    assert_eq!(me(&server, &ann_cli).0, 200);
    let forged = server.post(&format!("/people/tokens/{id}/revoke"), Some(&mo), "csrf=0");
    assert_eq!(forged.status, 403);
    assert_eq!(me(&server, &second).0, 200);

    // Revoked: it stops working, and stays listed as revoked without controls.
    let revoked = server.post(
        &format!("/people/tokens/{id}/revoke"),
        Some(&mo),
        &format!("csrf={csrf}"),
    );
    assert_eq!(revoked.status, 303);
    assert_eq!(revoked.header("location"), Some("/people#tokens"));
    assert_eq!(me(&server, &second).0, 401);
    let after = server.get("/people", Some(&mo));
    assert!(after.body.contains("revoked"));
    assert!(!after.body.contains(&format!("/people/tokens/{id}/rotate")));

    // A role's limits: a viewer reads but may not hold a write token; a name is needed.
    let vic = server.sign_in(VIC, PASSWORD).session();
    let vic_page = server.get("/people", Some(&vic));
    assert!(
        !vic_page.body.contains("value=\"write\""),
        "no write choice"
    );
    let vic_csrf = vic_page.form_token();
    let refused = server.post(
        "/people/tokens",
        Some(&vic),
        &format!("csrf={vic_csrf}&name=x&scope=write"),
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("cannot hold a write token"),
        "{}",
        refused.body
    );
    assert!(secret_in(&refused.body).is_none());
    let unnamed = server.post(
        "/people/tokens",
        Some(&vic),
        &format!("csrf={vic_csrf}&name=&scope=read"),
    );
    assert_eq!(unnamed.status, 422);
    assert!(unnamed.body.contains("needs a name"));
    let ingest = server.post(
        "/people/tokens",
        Some(&vic),
        &format!("csrf={vic_csrf}&name=feed&ingest={}", encode("web")),
    );
    assert_eq!(ingest.status, 422, "a viewer may not ingest");

    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    for secret in [&first, &second, &ann_cli] {
        assert!(!log.contains(secret.as_str()), "a secret reached the log");
    }
    assert!(
        log.contains("/people/tokens"),
        "the posts are logged by route"
    );
}
