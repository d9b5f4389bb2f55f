//! What the end-to-end test files share: the built binary, the repository and data folders,
//! and running `trove` on a database.
#![allow(
    dead_code,
    reason = "each test file uses a different part of this module"
)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The `trove` binary under test.
pub const TROVE: &str = env!("CARGO_BIN_EXE_trove");
/// The repository's root (shipped mappings and taxonomies are named relative to it).
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// The real data sets, beside the repository (tests skip when they are absent).
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

/// Runs `trove ARGS --db DB` from the repository's root; panics with its output when it fails,
/// returns its standard output when it succeeds.
pub fn ok(db: &Path, args: &[&str]) -> String {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(ROOT)
        .output()
        .expect("run trove");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "trove {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Like [`ok`], with standard output read as one JSON document.
pub fn json(db: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(db, args)).expect("one JSON document")
}
