//! End-to-end over HTTP: discovery on the themes page. An analyst or admin runs it from the
//! page; without an embedding model the server clusters TF-IDF n-grams and the page says so;
//! with one (`trove serve --model DIR`, default TROVE_EMBEDDING_MODEL) it clusters sentence
//! embeddings, and the page names the model, says the number of clusters was estimated, and a
//! cluster of that run can be previewed as a theme. A viewer may not run it.
//!
//! The model test skips with a message when TROVE_EMBEDDING_MODEL names no model folder
//! (except under `CI=true`, where it fails).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};

use common::web::{Server, set_password};
use common::{demo, ok};

const ADA: &str = "ada@example.com";
const VIC: &str = "vic@example.com";
const PASSWORD: &str = "a long test passphrase";

fn model_dir() -> Option<PathBuf> {
    match std::env::var_os("TROVE_EMBEDDING_MODEL") {
        Some(dir) if Path::new(&dir).join("model.safetensors").exists() => Some(dir.into()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but TROVE_EMBEDDING_MODEL names no model folder (see .ci/run)")
        }
        _ => {
            eprintln!("skipped: TROVE_EMBEDDING_MODEL names no model folder");
            None
        }
    }
}

/// A small demo database with an admin and a viewer who have passwords.
fn demo_with_people(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    demo(
        &db,
        &[
            "demo",
            "--data-only",
            "--customers",
            "200",
            "--feedback",
            "600",
        ],
    );
    ok(
        &db,
        &["user", "add", ADA, "--name", "Ada", "--role", "admin"],
    );
    ok(
        &db,
        &[
            "user", "add", VIC, "--name", "Vic", "--role", "viewer", "--as", ADA,
        ],
    );
    for email in [ADA, VIC] {
        assert!(set_password(&db, ADA, email, PASSWORD).status.success());
    }
    db
}

/// Runs discovery from the page as Ada and returns the page after the redirect.
fn discover_from_the_page(server: &Server) -> String {
    let ada = server.sign_in(ADA, PASSWORD).session();
    let before = server.get("/taxonomy", Some(&ada));
    assert_eq!(before.status, 200);
    assert!(
        before.body.contains("No discovery run yet"),
        "{}",
        before.body
    );
    assert!(before.body.contains("Discover now"));
    let token = before.form_token();
    let vic = server.sign_in(VIC, PASSWORD).session();
    let viewer = server.get("/taxonomy", Some(&vic));
    assert!(!viewer.body.contains("Discover now"));
    let refused = server.post(
        "/taxonomy/discover",
        Some(&vic),
        &format!("csrf={}", viewer.form_token()),
    );
    assert_eq!(refused.status, 403);
    let ran = server.post("/taxonomy/discover", Some(&ada), &format!("csrf={token}"));
    assert_eq!(ran.status, 303, "{}", ran.body);
    assert_eq!(ran.header("location"), Some("/taxonomy#discovery"));
    let after = server.get("/taxonomy", Some(&ada));
    assert_eq!(after.status, 200);
    assert!(after.body.contains("Discovery run 1 "), "{}", after.body);
    after.body
}

#[test]
fn without_a_model_the_page_discovers_by_tf_idf_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_with_people(dir.path());
    let server = Server::start_without(
        &["serve", "--listen", "127.0.0.1:0"],
        &["TROVE_EMBEDDING_MODEL"],
        &db,
        &dir.path().join("serve.log"),
    );
    let page = discover_from_the_page(&server);
    assert!(
        page.contains("Clustered by TF-IDF word and character n-grams."),
        "{page}"
    );
    assert!(page.contains("No embedding model is configured"), "{page}");
    assert!(!page.contains("estimated from how close"), "{page}");
}

#[test]
fn with_a_model_the_page_discovers_by_sentence_embeddings() {
    let Some(model) = model_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = demo_with_people(dir.path());
    let server = Server::start_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--model",
            model.to_str().unwrap(),
        ],
        &db,
        &dir.path().join("serve.log"),
    );
    let page = discover_from_the_page(&server);
    assert!(
        page.contains("Clustered by sentence embeddings (all-MiniLM-L6-v2@"),
        "{page}"
    );
    assert!(
        page.contains("estimated from how close the items are"),
        "{page}"
    );
    assert!(!page.contains("No embedding model is configured"), "{page}");
    // The clusters shown are the embeddings run's, and its first is what a preview proposes
    // (a rule, or a refusal in words when no phrase is precise enough).
    let ada = server.sign_in(ADA, PASSWORD).session();
    let preview = server.get("/taxonomy/clusters/1", Some(&ada));
    assert!(matches!(preview.status, 200 | 422), "{}", preview.body);
    assert!(
        !preview.body.contains("run `trove discover` first"),
        "{}",
        preview.body
    );
}
