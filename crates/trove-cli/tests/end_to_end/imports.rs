//! End to end: the import history tells the truth (refused, interrupted, failed, deleted),
//! imports can be undone and replaced, and the database is never a surprise.

use crate::common;

use common::Ran;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use common::TROVE;

/// A folder to run `trove` in, its database `trove.db` in it (or a PostgreSQL URL).
struct Folder {
    dir: TempDir,
    db: String,
}

impl Folder {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = dir.path().join("trove.db").display().to_string();
        Self { dir, db }
    }

    fn postgres() -> Option<(Self, common::PgSchema)> {
        let schema = common::PgSchema::fresh()?;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = schema.url_with("");
        Some((Self { dir, db }, schema))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path(name), content).expect("write a file");
    }

    /// `trove ARGS` in the folder, with neither `--db` nor `TROVE_DB`.
    fn bare(&self, args: &[&str]) -> Command {
        let mut command = Command::new(TROVE);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("TROVE_DB")
            .stdin(Stdio::null());
        command
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.bare(args);
        command.args(["--db", &self.db]);
        command
    }

    fn run(&self, args: &[&str]) -> Ran {
        Ran::from_output(self.command(args).output().expect("run trove"))
    }

    fn ok(&self, args: &[&str]) -> Ran {
        let ran = self.run(args);
        assert_eq!(ran.code, Some(0), "`trove {}`: {ran}", args.join(" "));
        ran
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        self.ok(&args).json()
    }

    fn items(&self) -> u64 {
        let ran = self.run(&["summary", "--format", "json"]);
        match ran.code {
            Some(0) => ran.json()["feedback"].as_u64().expect("a count"),
            _ if ran.stderr.contains("holds no feedback")
                || ran.stderr.contains("there is no database") =>
            {
                0
            }
            _ => panic!("summary failed: {ran}"),
        }
    }

    fn runs(&self) -> Vec<Value> {
        match self.json(&["imports"]) {
            Value::Array(runs) => runs,
            other => panic!("not a list: {other}"),
        }
    }
}

const IMPORT_FLAGS: [&str; 10] = [
    "--channel",
    "survey",
    "--id-column",
    "id",
    "--time-column",
    "created",
    "--text-column",
    "comment",
    "--nps-column",
    "nps",
];

fn import(folder: &Folder, file: &str, more: &[&str]) -> Ran {
    let mut args = vec!["import", file];
    args.extend(IMPORT_FLAGS);
    args.extend(more);
    folder.run(&args)
}

/// `n` rows, those whose number `bad(i)` says carrying a time no layout reads.
fn rows(n: usize, bad: impl Fn(usize) -> bool) -> String {
    let mut csv = String::from("id,created,comment,nps\n");
    for i in 1..=n {
        let created = if bad(i) {
            format!("{}/45/2025", i % 12 + 1)
        } else {
            format!("2025-03-{:02} 10:00:00", i % 28 + 1)
        };
        csv.push_str(&format!("{i},{created},comment number {i},{}\n", i % 11));
    }
    csv
}

// -------------------------------------------------------------------------------------------
// Part 5: a sanity stop

#[test]
fn a_mostly_bad_file_is_refused_before_anything_is_stored_with_its_commonest_reasons() {
    let folder = Folder::sqlite();
    // 3,000 rows: three in four of the first 1,000 are bad, and later rows are all good (they
    // must not count: the judgement is on the first 1,000).
    folder.write("bad.csv", &rows(3_000, |i| i <= 1_000 && i % 4 != 0));
    let ran = import(&folder, "bad.csv", &[]);
    assert_eq!(ran.code, Some(1), "a refused import fails: {ran}");
    assert!(
        ran.stderr
            .contains("750 of the first 1,000 rows were rejected"),
        "{ran}"
    );
    assert!(ran.stderr.contains("nothing was stored"), "{ran}");
    assert!(ran.stderr.contains("--allow-mostly-bad"), "{ran}");
    // The reason once, with its count, one example line (the file's) and the row.
    assert!(
        ran.stderr
            .contains("750 rows: column created: cannot read time \"...\""),
        "{ran}"
    );
    assert!(
        ran.stderr
            .contains("e.g. bad.csv:2: cannot read time \"2/45/2025\""),
        "{ran}"
    );
    assert!(
        ran.stderr.contains("1,2/45/2025,comment number 1,1"),
        "{ran}"
    );
    assert_eq!(folder.items(), 0);
    let runs = folder.runs();
    assert_eq!(runs[0]["status"], "refused");
    assert_eq!(runs[0]["totals"]["rejected"], 750);
    assert!(
        runs[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("750 of the first"))
    );

    let ran = import(
        &folder,
        "bad.csv",
        &["--allow-mostly-bad", "--format", "json"],
    );
    assert_eq!(ran.code, Some(0), "{ran}");
    assert_eq!(ran.json()["imported"], 2_250);
    assert_eq!(folder.items(), 2_250);
}

#[test]
fn the_example_row_of_a_refused_file_is_printed_masked() {
    let folder = Folder::sqlite();
    let csv = rows(4, |_| true).replace("comment number 1,", "call me on 020 7946 0958,");
    folder.write("calls.csv", &csv);
    let ran = import(&folder, "calls.csv", &[]);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stderr.contains("call me on [phone]"), "{ran}");
    assert!(!ran.stderr.contains("7946"), "{ran}");
}

#[test]
fn a_small_file_is_judged_on_all_its_rows() {
    let folder = Folder::sqlite();
    folder.write("six.csv", &rows(10, |i| i <= 6));
    let ran = import(&folder, "six.csv", &["--format", "json"]);
    assert_eq!(ran.code, Some(1), "{ran}");
    let report = ran.json();
    assert_eq!(report["status"], "refused");
    assert_eq!(report["top_reasons"][0]["rows"], 6);
    assert_eq!(report["top_reasons"][0]["example"]["line"], 2);
    assert_eq!(folder.items(), 0);

    // Half bad is not "most": imported.
    folder.write("five.csv", &rows(10, |i| i <= 5));
    let ran = import(&folder, "five.csv", &["--format", "json"]);
    assert_eq!(ran.code, Some(0), "{ran}");
    assert_eq!(ran.json()["imported"], 5);
}

// -------------------------------------------------------------------------------------------
// Part 7: undo and replace

/// Dates written day first; read month first (the wrong reading) where the day is <= 12.
const DAY_FIRST: &str = "id,created,comment,nps\n\
1,03/02/2025,the fee was a surprise,3\n\
2,04/02/2025,fine,9\n\
3,11/03/2025,slow claim,5\n";

fn replace_fixes_what_a_wrong_layout_stored(folder: &Folder) {
    folder.write("day-first.csv", DAY_FIRST);
    let wrong = import(
        folder,
        "day-first.csv",
        &["--time-format", "%m/%d/%Y", "--format", "json"],
    );
    assert_eq!(wrong.code, Some(0), "{wrong}");
    let before = stored(folder);
    assert_eq!(
        before["1"].0, "2025-03-02",
        "stored in the wrong month first"
    );

    let again = import(
        folder,
        "day-first.csv",
        &["--time-format", "%d/%m/%Y", "--format", "json"],
    );
    assert_eq!(
        again.json()["duplicates"],
        3,
        "without --replace nothing changes"
    );
    assert_eq!(stored(folder)["1"].0, "2025-03-02");

    let fixed = import(
        folder,
        "day-first.csv",
        &["--time-format", "%d/%m/%Y", "--replace", "--format", "json"],
    );
    assert_eq!(fixed.code, Some(0), "{fixed}");
    let report = fixed.json();
    assert_eq!(
        (report["imported"].as_u64(), report["replaced"].as_u64()),
        (Some(0), Some(3))
    );
    let after = stored(folder);
    assert_eq!(after.len(), 3);
    for (id, day) in [
        ("1", "2025-02-03"),
        ("2", "2025-02-04"),
        ("3", "2025-03-11"),
    ] {
        assert_eq!(after[id].0, day, "item {id}");
        assert_eq!(after[id].1, before[id].1, "item {id} keeps its id");
    }
    let runs = folder.runs();
    assert_eq!(runs[0]["totals"]["replaced"], 3);
}

/// Each stored item's UTC day and store id, by external id.
fn stored(folder: &Folder) -> std::collections::BTreeMap<String, (String, i64)> {
    common_items(&folder.db)
        .into_iter()
        .map(|(id, external, day)| (external, (day, id)))
        .collect()
}

/// (id, external id, UTC day) of every stored item, read from the store itself.
fn common_items(db: &str) -> Vec<(i64, String, String)> {
    use trove_store::{FeedbackFilter, Store};
    let store: Box<dyn Store> = if db.starts_with("postgres") {
        Box::new(trove_store_postgres::PostgresStore::open(db).expect("open the database"))
    } else {
        Box::new(trove_store_sqlite::SqliteStore::open(Path::new(db)).expect("open the database"))
    };
    let mut items = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 100, &mut |page| {
            for stored in page {
                let day = stored
                    .item
                    .received_at
                    .timestamp()
                    .strftime("%Y-%m-%d")
                    .to_string();
                items.push((stored.id, stored.item.external_id.as_str().to_owned(), day));
            }
            std::ops::ControlFlow::Continue(())
        })
        .expect("scan");
    items
}

#[test]
fn replace_fixes_the_dates_a_wrong_layout_stored_in_place() {
    replace_fixes_what_a_wrong_layout_stored(&Folder::sqlite());
}

#[test]
fn deleting_an_import_returns_the_item_count_to_what_it_was_and_is_recorded() {
    let folder = Folder::sqlite();
    folder.write("first.csv", &rows(30, |_| false));
    let ran = import(&folder, "first.csv", &[]);
    assert_eq!(ran.code, Some(0), "{ran}");
    let mut second = String::from("id,created,comment,nps\n");
    for i in 100..120 {
        second.push_str(&format!("{i},2025-04-01 09:00:00,later comment {i},7\n"));
    }
    folder.write("second.csv", &second);
    let ran = import(&folder, "second.csv", &["--format", "json"]);
    let run = ran.json()["import_run"].as_i64().expect("a run id");
    assert_eq!(folder.items(), 50);

    let ran = folder.ok(&["imports", "delete", &run.to_string()]);
    assert!(
        ran.stdout.contains("deleted 20 items of import run"),
        "{ran}"
    );
    assert_eq!(folder.items(), 30, "back to what it was");
    let runs = folder.runs();
    assert_eq!(runs[0]["id"], run);
    assert_eq!(runs[0]["deleted_items"], 20);
    assert!(runs[0]["deleted_at"].as_i64().is_some());
    assert_eq!(runs[0]["status"], "completed");
    let table = folder.ok(&["imports"]).stdout;
    assert!(table.contains("deleted"), "{table}");
    let again = folder.run(&["imports", "delete", &run.to_string()]);
    assert_eq!(again.code, Some(1), "a second delete is refused: {again}");
    assert!(again.stderr.contains("already deleted"), "{again}");

    // The same rows import again (nothing blocks a clean re-import).
    let ran = import(&folder, "second.csv", &["--format", "json"]);
    assert_eq!(ran.json()["imported"], 20);

    let unknown = folder.run(&["imports", "delete", "99"]);
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("no import run 99"), "{unknown}");
}

#[test]
fn an_import_whose_items_a_case_refers_to_is_deleted_only_with_force() {
    let folder = Folder::sqlite();
    folder.write("first.csv", &rows(5, |_| false));
    let ran = import(&folder, "first.csv", &["--format", "json"]);
    let run = ran.json()["import_run"]
        .as_i64()
        .expect("a run id")
        .to_string();
    let item = common_items(&folder.db)[2].0.to_string();
    folder.ok(&[
        "user",
        "add",
        "ana@example.com",
        "--name",
        "Ana",
        "--role",
        "admin",
    ]);
    let admin = ["--as", "ana@example.com"];
    let setup: [&[&str]; 2] = [
        &["department", "add", "care", "--name", "Care"],
        &[
            "followups",
            "open",
            "--feedback",
            &item,
            "--department",
            "care",
            "--reason",
            "call back",
        ],
    ];
    for args in setup {
        let mut args = args.to_vec();
        args.extend(admin);
        folder.ok(&args);
    }
    let refused = folder.run(&["imports", "delete", &run]);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused.stderr.contains(&format!("item {item}: case 1"))
            && refused.stderr.contains("--force"),
        "{refused}"
    );
    assert_eq!(folder.items(), 5, "nothing was deleted");
    let forced = folder.ok(&["imports", "delete", &run, "--force"]);
    assert!(forced.stderr.contains(&item), "{forced}");
    assert_eq!(folder.items(), 0);
}

// -------------------------------------------------------------------------------------------
// Part 8: history that tells the truth

/// A file big enough that an import of it runs for a few seconds.
fn big_file(folder: &Folder, rows: usize) -> PathBuf {
    let mut csv = String::with_capacity(rows * 60);
    csv.push_str("id,created,comment,nps\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "{i},2025-03-{:02} 10:00:00,the claim took weeks and nobody called back {i},{}\n",
            i % 28 + 1,
            i % 11
        ));
    }
    let path = folder.path("big.csv");
    std::fs::write(&path, csv).expect("write the big file");
    path
}

fn a_killed_import_reads_as_interrupted_with_what_it_stored(folder: &Folder) {
    big_file(folder, 1_500_000);
    let mut args = vec!["import", "big.csv"];
    args.extend(IMPORT_FLAGS);
    let mut child = folder
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the import");
    // Wait until the first batches are committed, then kill it (SIGKILL: no chance to say
    // how it ended).
    let started = Instant::now();
    while folder.items() < 10_000 {
        assert!(
            child.try_wait().expect("the import").is_none(),
            "the import ended before it could be killed: make the file bigger"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no batch was committed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill the import");
    child.wait().expect("reap the import");
    let stored = folder.items();
    assert!((10_000..1_500_000).contains(&stored), "{stored}");
    let runs = folder.runs();
    assert_eq!(runs[0]["status"], "interrupted", "{runs:#?}");
    assert_eq!(runs[0]["totals"]["imported"], stored);
    let table = folder.ok(&["imports"]).stdout;
    assert!(table.contains("interrupted"), "{table}");

    // Run again, it completes; the interrupted run can be deleted.
    let run = runs[0]["id"].as_i64().expect("an id");
    folder.ok(&["imports", "delete", &run.to_string()]);
    assert_eq!(folder.items(), 0);
}

#[test]
fn a_killed_import_reads_as_interrupted_with_its_stored_count_on_sqlite() {
    a_killed_import_reads_as_interrupted_with_what_it_stored(&Folder::sqlite());
}

#[test]
fn a_killed_import_reads_as_interrupted_with_its_stored_count_on_postgres() {
    let Some((folder, _schema)) = Folder::postgres() else {
        return;
    };
    a_killed_import_reads_as_interrupted_with_what_it_stored(&folder);
}

#[test]
fn replace_fixes_dates_on_postgres_too() {
    let Some((folder, _schema)) = Folder::postgres() else {
        return;
    };
    replace_fixes_what_a_wrong_layout_stored(&folder);
}

#[test]
fn an_import_the_store_fails_in_the_middle_of_shows_what_it_stored_and_why() {
    let folder = Folder::sqlite();
    // Make the database first, so the limit below hits the import's batches.
    folder.write("one.csv", &rows(1, |_| false));
    assert_eq!(import(&folder, "one.csv", &[]).code, Some(0));
    big_file(&folder, 200_000);
    // A full disk, as the import sees it: files may not grow past 4 MiB (the WAL does).
    let mut args = vec!["import", "big.csv"];
    args.extend(IMPORT_FLAGS);
    let script = format!(
        "trap '' XFSZ; ulimit -f 8192; exec \"$0\" \"$@\" --db '{}'",
        folder.db
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(TROVE)
        .args(&args)
        .current_dir(folder.dir.path())
        .env_remove("TROVE_DB")
        .output()
        .expect("run the import under a file size limit");
    let ran = Ran::from_output(output);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(
        ran.stderr.contains("stored"),
        "the error says what was stored: {ran}"
    );
    let stored = folder.items() - 1;
    assert!(stored > 0, "some batches committed before the limit: {ran}");
    let runs = folder.runs();
    assert_eq!(runs[0]["status"], "failed", "{runs:#?}");
    assert_eq!(runs[0]["totals"]["imported"], stored, "{runs:#?}");
    assert!(
        runs[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("the store failed")),
        "{runs:#?}"
    );
    assert!(
        ran.stderr.contains(&format!("stored {stored} items")),
        "{ran}"
    );
}

// -------------------------------------------------------------------------------------------
// Part 9: the database is never a surprise

#[test]
fn an_empty_or_bare_database_url_is_an_error_never_a_temporary_database() {
    let folder = Folder::sqlite();
    folder.write("a.csv", &rows(3, |_| false));
    let mut import_args = vec!["import", "a.csv"];
    import_args.extend(IMPORT_FLAGS);
    for db in ["", "sqlite://", "sqlite:", ":memory:", "postgres://"] {
        let mut args = import_args.clone();
        args.extend(["--db", db]);
        let ran = Ran::from_output(folder.bare(&args).output().expect("run trove"));
        assert_eq!(ran.code, Some(1), "--db {db:?}: {ran}");
        assert!(
            ran.stderr.contains("names no database"),
            "--db {db:?}: {ran}"
        );
        assert!(!ran.stdout.contains("imported"), "--db {db:?}: {ran}");
    }
    let ran = Ran::from_output(
        folder
            .bare(&import_args)
            .env("TROVE_DB", "")
            .output()
            .expect("run trove"),
    );
    assert_eq!(ran.code, Some(1), "TROVE_DB=: {ran}");
    assert!(ran.stderr.contains("TROVE_DB"), "{ran}");
    assert!(!ran.stdout.contains("imported"), "{ran}");
    let left: Vec<_> = std::fs::read_dir(folder.dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["a.csv"], "no database was created");
}

#[test]
fn a_read_command_never_creates_a_database_and_names_the_ones_it_sees() {
    let folder = Folder::sqlite();
    folder.write("a.csv", &rows(3, |_| false));
    let mut args = vec!["import", "a.csv", "--db", "trove-demo.db"];
    args.extend(IMPORT_FLAGS);
    assert_eq!(
        Ran::from_output(folder.bare(&args).output().expect("run")).code,
        Some(0)
    );

    // No ./trove.db: an error naming it and the database present; none is created.
    let ran = Ran::from_output(folder.bare(&["issues"]).output().expect("run"));
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(
        ran.stderr.contains("there is no database trove.db"),
        "{ran}"
    );
    assert!(
        ran.stderr
            .contains("trove-demo.db holds the demo company (3 items): --db trove-demo.db"),
        "{ran}"
    );
    assert!(!folder.path("trove.db").exists());

    // An existing database with no items: told on stderr, exit code 1, nothing on stdout.
    let migrated = Ran::from_output(folder.bare(&["migrate"]).output().expect("run"));
    assert_eq!(migrated.code, Some(0), "{migrated}");
    for command in ["issues", "summary", "scores", "trend", "drivers", "analyze"] {
        let mut args = vec![command];
        if command == "trend" {
            args.push("some-theme");
        }
        let ran = Ran::from_output(folder.bare(&args).output().expect("run"));
        assert_eq!(ran.code, Some(1), "{command}: {ran}");
        assert!(ran.stdout.is_empty(), "{command}: {ran}");
        assert!(
            ran.stderr.contains("holds no feedback yet")
                && ran.stderr.contains("--db trove-demo.db"),
            "{command}: {ran}"
        );
    }
    // Writes create the database.
    let fresh = folder.path("new.db");
    let mut args = vec!["import", "a.csv", "--db"];
    let fresh_name = fresh.display().to_string();
    args.push(&fresh_name);
    args.extend(IMPORT_FLAGS);
    assert_eq!(
        Ran::from_output(folder.bare(&args).output().expect("run")).code,
        Some(0)
    );
    assert!(fresh.exists());
}
