//! What the end-to-end test files share: the built binary, the repository and data folders,
//! and running `trove` on a database.

pub mod web;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Makes a demo database at `db` (`trove ARGS --db DB`, ARGS starting with `demo`) and returns
/// what the demo printed. A demo takes tens of seconds in a debug build and two dozen tests start
/// from one, so the first test of this build to ask for these ARGS today makes it once in the
/// target's test folder; every later one, in this run or a later one, copies that file.
pub fn demo(db: &Path, args: &[&str]) -> String {
    assert_eq!(args.first(), Some(&"demo"), "demo() makes demos: {args:?}");
    let made = demo_made_once(args);
    let printed = std::fs::read_to_string(made.join(PRINTED)).expect("the demo's printed output");
    copy_database(&made.join(DEMO_FILE), db);
    printed
}

const DEMO_FILE: &str = "demo.db";
const PRINTED: &str = "printed.txt";

/// The folder holding the demo made by ARGS with this build of `trove` today (the demo's data
/// ends today), made now if no test made it yet.
fn demo_made_once(args: &[&str]) -> std::path::PathBuf {
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = std::fs::metadata(TROVE)
        .and_then(|m| m.modified())
        .expect("the trove binary's time")
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let today = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 86_400;
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demos");
    let made = cache.join(format!("{}-{built}-{today}", args.join("_")));
    if made.join(PRINTED).exists() {
        return made;
    }
    // Made in a folder of its own and renamed into place, so that a second run of these tests
    // beside this one never copies half a demo (the lock above only orders this process).
    let making = cache.join(format!("making-{}-{built}", std::process::id()));
    let _ = std::fs::remove_dir_all(&making);
    std::fs::create_dir_all(&making).expect("a folder for the demo");
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(making.join(DEMO_FILE))
        .env_remove("TROVE_NOW")
        .env_remove("TROVE_USER")
        .current_dir(ROOT)
        .output()
        .expect("run trove demo");
    let ran = Ran::from_output(output);
    assert!(ran.succeeded(), "trove {args:?} failed:\n{ran}");
    std::fs::write(making.join(PRINTED), ran.stdout).expect("keep the demo's output");
    if std::fs::rename(&making, &made).is_err() {
        // Another run made the same demo first: use either.
        let _ = std::fs::remove_dir_all(&making);
    }
    made
}

/// Copies a closed SQLite database with its write-ahead log if one is left.
fn copy_database(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let source = std::path::PathBuf::from(format!("{}{suffix}", from.display()));
        if source.exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display())).expect("copy the demo");
        }
    }
}

/// The variable naming the PostgreSQL test server.
const POSTGRES_VARIABLE: &str = "TROVE_TEST_POSTGRES";

/// The test server's URL; `None` (skip) outside CI when none is configured.
pub fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => {
            assert!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "{POSTGRES_VARIABLE} must be a postgres:// URL for the trove command: {url}"
            );
            Some(url)
        }
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_VARIABLE} is not set: .ci/run starts PostgreSQL and sets it")
        }
        _ => {
            eprintln!("skipping: set {POSTGRES_VARIABLE} to run the PostgreSQL case");
            None
        }
    }
}

/// A schema of its own on the test server, dropped when the test passes (kept for inspection
/// when it fails; the store contract tests drop `trove_test_*` schemas older than an hour).
pub struct PgSchema {
    server: String,
    name: String,
}

impl PgSchema {
    pub fn fresh() -> Option<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let server = postgres_server()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("trove_test_cli_{}_{n}_{nanos}", std::process::id());
        let mut client = postgres::Client::connect(&server, postgres::NoTls)
            .expect("connect to the PostgreSQL test server");
        client
            .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
            .expect("create a test schema");
        Some(Self { server, name })
    }

    /// The server's URL with the schema as the search path, and more server options if given
    /// (already percent-encoded, each starting with `%20-c`).
    pub fn url_with(&self, more_options: &str) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-csearch_path%3D{}{more_options}",
            self.server, self.name
        )
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept schema {} for inspection", self.name);
            return;
        }
        if let Ok(mut client) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

/// What a run of `trove` did.
pub struct Ran {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output, as text.
    pub stdout: String,
    /// Standard error, as text.
    pub stderr: String,
}

impl Ran {
    pub fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn succeeded(&self) -> bool {
        self.code == Some(0)
    }

    /// Standard output as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{self}"))
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
