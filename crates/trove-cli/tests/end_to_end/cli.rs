//! End-to-end tests of the built `trove` binary: each test runs it as a child process on a
//! fresh temporary folder (an SQLite file there, or a fresh schema on the PostgreSQL test
//! server) and checks what it prints and what it stored.
//!
//! Tests that need the real data in `../shared/data` skip with a message when it is absent.
//! PostgreSQL tests take the server from `TROVE_TEST_POSTGRES` (e.g.
//! `postgres://trove:trove@localhost/trove_test`); without it they skip, except in CI (`CI`
//! set), where they fail. Each one works in its own schema, chosen through the URL's
//! `options=-csearch_path=...`, and drops it when it passes.

use crate::common;

use common::Ran;

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::PgSchema;
use serde_json::Value;
use tempfile::TempDir;
use trove_domain::{CustomerId, FeedbackItem};
use trove_store::{FeedbackFilter, Store};
use trove_store_sqlite::SqliteStore;

const TROVE: &str = env!("CARGO_BIN_EXE_trove");
const TWEETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/airline-tweets/Tweets.csv"
);
const TWEETS_MAPPING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../mappings/airline-tweets.toml"
);

// ---------------------------------------------------------------------------------------------
// Running the binary

/// A temporary folder to run `trove` in, with the database the runs use.
struct Sandbox {
    dir: TempDir,
    /// The `--db` value given to every run (an SQLite file in `dir`, or a PostgreSQL URL).
    db: String,
}

impl Sandbox {
    /// A folder with `trove.sqlite` as the database.
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("make a temporary folder");
        let db = dir.path().join("trove.sqlite").display().to_string();
        Self { dir, db }
    }

    /// A folder whose runs use the given PostgreSQL URL.
    fn postgres(url: String) -> Self {
        Self {
            dir: tempfile::tempdir().expect("make a temporary folder"),
            db: url,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db_path(&self) -> &Path {
        Path::new(&self.db)
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write a fixture");
        path
    }

    /// `trove ARGS --db DB` in the folder, without a `TROVE_DB` from the environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = bare_command(self.dir.path(), args);
        command.args(["--db", &self.db]);
        command
    }

    fn run(&self, args: &[&str]) -> Ran {
        run(&mut self.command(args))
    }

    /// Runs and insists on success.
    fn ok(&self, args: &[&str]) -> Ran {
        let ran = self.run(args);
        assert!(ran.succeeded(), "`trove {}` failed: {ran}", args.join(" "));
        ran
    }

    /// Runs with `--format json` and insists on success.
    fn ok_json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        self.ok(&args).json()
    }

    fn summary(&self) -> Value {
        self.ok_json(&["summary"])
    }

    fn imports(&self) -> Vec<Value> {
        match self.ok_json(&["imports"]) {
            Value::Array(runs) => runs,
            other => panic!("`trove imports` printed {other}, not a list"),
        }
    }
}

/// `trove ARGS` in `dir`, with neither `--db` nor `TROVE_DB`.
fn bare_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(TROVE);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("TROVE_DB")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Ran {
    Ran::from_output(command.output().expect("start trove"))
}

/// A count in a JSON report.
fn count(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no count {key:?} in {value:#}"))
}

/// The (key, items) groups of one dimension of `trove summary --format json`.
fn groups(summary: &Value, dimension: &str) -> Vec<(Option<String>, u64)> {
    let by = summary["by"].as_array().expect("a `by` list");
    let tally = by
        .iter()
        .find(|d| d["dimension"] == dimension)
        .unwrap_or_else(|| panic!("no dimension {dimension} in {summary:#}"));
    tally["groups"]
        .as_array()
        .expect("a `groups` list")
        .iter()
        .map(|g| {
            (
                g["key"].as_str().map(str::to_owned),
                count(&g["tally"], "items"),
            )
        })
        .collect()
}

fn keys(groups: &[(Option<String>, u64)]) -> Vec<&str> {
    groups.iter().filter_map(|(k, _)| k.as_deref()).collect()
}

/// Every feedback item stored in an SQLite file, read through the store API.
fn stored_items(db: &Path) -> Vec<FeedbackItem> {
    let store = SqliteStore::open(db).expect("open the SQLite database");
    let mut items = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 1000, &mut |page| {
            items.extend(page.into_iter().map(|stored| stored.item));
            ControlFlow::Continue(())
        })
        .expect("scan the feedback");
    items
}

/// A set of ids, to compare with [`external_ids`].
fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|&id| id.to_owned()).collect()
}

fn external_ids(items: &[FeedbackItem]) -> BTreeSet<String> {
    items
        .iter()
        .map(|item| item.external_id.as_str().to_owned())
        .collect()
}

/// True (after saying why) when the real data set is not on this machine.
fn real_data_missing(path: &str) -> bool {
    let missing = !Path::new(path).exists();
    if missing {
        eprintln!("skipping: {path} is absent (the shared real data sets are not on this machine)");
    }
    missing
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

// ---------------------------------------------------------------------------------------------
// 1. The airline tweets, and times in UTC

/// Imports the tweets twice and checks both reports and the summary.
fn airline_tweets_import_once(sandbox: &Sandbox) {
    let import = [
        "import",
        TWEETS,
        "--mapping",
        TWEETS_MAPPING,
        "--format",
        "json",
    ];
    let first = sandbox.ok(&import).json();
    assert_eq!(first["status"], "completed", "{first:#}");
    assert_eq!(first["file"], "Tweets.csv");
    assert_eq!(count(&first, "rows"), 14_640);
    assert_eq!(count(&first, "imported"), 14_485);
    assert_eq!(count(&first, "duplicates"), 155);
    assert_eq!(count(&first, "rejected"), 0);
    assert_eq!(first["errors"], Value::Array(Vec::new()));

    let again = sandbox.ok(&import).json();
    assert_eq!(count(&again, "rows"), 14_640);
    assert_eq!(count(&again, "imported"), 0, "{again:#}");
    assert_eq!(count(&again, "duplicates"), 14_640);
    assert_eq!(count(&again, "rejected"), 0);
    assert_ne!(first["import_run"], again["import_run"]);

    let summary = sandbox.summary();
    assert_eq!(count(&summary, "feedback"), 14_485);
    let units = groups(&summary, "business_unit");
    assert_eq!(
        keys(&units),
        [
            "American",
            "Delta",
            "Southwest",
            "US Airways",
            "United",
            "Virgin America"
        ]
    );
    assert_eq!(units.iter().map(|(_, n)| n).sum::<u64>(), 14_485);
    // The tweets run from 2015-02-16 to 2015-02-24 (US offsets): February in UTC too.
    assert_eq!(
        groups(&summary, "month"),
        [(Some("2015-02".to_owned()), 14_485)]
    );
    assert_eq!(
        groups(&summary, "channel"),
        [(Some("social".to_owned()), 14_485)]
    );
    let by_source = sandbox.ok_json(&["summary", "--source", "airline-tweets"]);
    assert_eq!(count(&by_source, "feedback"), 14_485);

    let runs = sandbox.imports();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r["status"] == "completed"), "{runs:#?}");
    assert_eq!(runs[0]["totals"]["duplicates"], 14_640, "newest first");
}

#[test]
fn the_airline_tweets_import_once_into_sqlite_and_a_second_import_adds_nothing() {
    if real_data_missing(TWEETS) {
        return;
    }
    let sandbox = Sandbox::sqlite();
    airline_tweets_import_once(&sandbox);

    // "2015-02-24 11:35:52 -0800" is stored as the UTC instant, with the offset kept.
    let items = stored_items(sandbox.db_path());
    let tweet = items
        .iter()
        .find(|item| item.external_id.as_str() == "570306133677760513")
        .expect("the first tweet of the file is stored");
    let utc: jiff::Timestamp = "2015-02-24T19:35:52Z".parse().expect("a timestamp");
    assert_eq!(tweet.received_at.unix_seconds(), utc.as_second());
    assert_eq!(tweet.received_at.offset_seconds(), -8 * 3600);
    assert_eq!(tweet.text.as_str(), "@VirginAmerica What @dhepburn said.");
    assert_eq!(
        tweet.business_unit.as_ref().map(|u| u.as_str()),
        Some("Virgin America")
    );
}

#[test]
fn the_airline_tweets_import_once_into_postgres_and_a_second_import_adds_nothing() {
    if real_data_missing(TWEETS) {
        return;
    }
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    airline_tweets_import_once(&Sandbox::postgres(schema.url_with("")));
}

/// Two items whose calendar month differs between their own offset and UTC.
const MONTH_EDGES: &str = "id,created,comment
a,2015-02-28 20:00:00 -0800,late on the last day of February in California
b,2015-03-01 01:00:00 +0200,early on the first of March in Athens
";

fn months_are_utc(sandbox: &Sandbox) {
    sandbox.write("edges.csv", MONTH_EDGES);
    let report = sandbox.ok_json(&[
        "import",
        "edges.csv",
        "--channel",
        "review",
        "--id-column",
        "id",
        "--time-column",
        "created",
        "--text-column",
        "comment",
    ]);
    assert_eq!(count(&report, "imported"), 2, "{report:#}");
    assert_eq!(
        groups(&sandbox.summary(), "month"),
        [
            (Some("2015-02".to_owned()), 1), // b: 2015-02-28 23:00 UTC
            (Some("2015-03".to_owned()), 1), // a: 2015-03-01 04:00 UTC
        ]
    );
}

#[test]
fn months_are_counted_in_utc_whatever_the_offset_a_time_was_written_with_on_sqlite() {
    let sandbox = Sandbox::sqlite();
    months_are_utc(&sandbox);
    let items = stored_items(sandbox.db_path());
    let a = items
        .iter()
        .find(|i| i.external_id.as_str() == "a")
        .expect("item a");
    let utc: jiff::Timestamp = "2015-03-01T04:00:00Z".parse().expect("a timestamp");
    assert_eq!(a.received_at.unix_seconds(), utc.as_second());
}

#[test]
fn months_are_counted_in_utc_even_when_the_postgres_session_has_another_time_zone() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    // The session's zone is Auckland (UTC+13 in February): a month in local time would differ.
    let sandbox = Sandbox::postgres(schema.url_with("%20-cTimeZone%3DPacific%2FAuckland"));
    months_are_utc(&sandbox);
}

// ---------------------------------------------------------------------------------------------
// 2. Bad lines

/// Six good rows (one spanning two lines) and five bad ones, each bad in its own way:
/// line 4 has a field too many, line 6 an unreadable time, line 8 an NPS of 11, line 10 a
/// byte that is not UTF-8 (Latin-1 é, in a file that is UTF-8 otherwise, as line 2 shows),
/// and line 13 has nothing to import.
const FIVE_BAD_LINES: &[u8] = b"id,created,comment,nps
1,2025-03-01 10:00:00 +0100,Great service tr\xc3\xa8s bien,10
2,2025-03-02T09:00:00Z,Slow claim,3
3,2025-03-03,one field too many,5,oops
4,2025-03-03,fine,6
5,yesterday,bad time,7
6,2025-03-04,good,8
7,2025-03-04,too high,11
8,2025-03-05,nice,9
9,2025-03-05,caf\xe9 au lait,8
10,2025-03-06,\"two
lines\",9
11,2025-03-07,,
";

const GOOD_IDS: [&str; 6] = ["1", "10", "2", "4", "6", "8"];

/// (line, column, words the reason must contain) of each bad line, in file order.
const BAD_LINES: [(u64, Option<&str>, &[&str]); 5] = [
    (4, None, &["expected 4 fields", "found 5"]),
    (6, Some("created"), &["cannot read time", "yesterday"]),
    (8, Some("nps"), &["11", "out of range"]),
    (10, Some("comment"), &["UTF-8"]),
    (13, None, &["no text, no score"]),
];

const FLAGS_ONLY: [&str; 11] = [
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
    "five.csv",
];

fn import_five_bad_lines(sandbox: &Sandbox, more: &[&str]) -> Ran {
    let mut args = vec!["import"];
    args.extend(FLAGS_ONLY);
    args.extend(["--format", "json"]);
    args.extend(more);
    sandbox.run(&args)
}

#[test]
fn a_file_with_five_bad_lines_imports_every_good_row_and_names_each_bad_line() {
    let sandbox = Sandbox::sqlite();
    sandbox.write("five.csv", FIVE_BAD_LINES);
    let ran = import_five_bad_lines(&sandbox, &[]);
    assert!(
        ran.succeeded(),
        "bad rows alone do not fail an import: {ran}"
    );
    let report = ran.json();
    assert_eq!(report["status"], "completed");
    assert_eq!(count(&report, "rows"), 11, "{report:#}");
    assert_eq!(count(&report, "imported"), 6, "{report:#}");
    assert_eq!(count(&report, "rejected"), 5);
    assert_eq!(count(&report, "errors_total"), 5);
    let errors = report["errors"].as_array().expect("an errors list");
    assert_eq!(errors.len(), 5, "{report:#}");
    for (error, (line, column, words)) in errors.iter().zip(BAD_LINES) {
        assert_eq!(error["file"], "five.csv");
        assert_eq!(error["line"], line, "{error:#}");
        assert_eq!(error["column"].as_str(), column, "line {line}: {error:#}");
        let reason = error["reason"].as_str().expect("a reason");
        for word in words {
            assert!(
                reason.contains(word),
                "line {line}: {reason:?} lacks {word:?}"
            );
        }
    }

    let items = stored_items(sandbox.db_path());
    assert_eq!(external_ids(&items), ids(&GOOD_IDS));
    let two_lines = items
        .iter()
        .find(|i| i.external_id.as_str() == "10")
        .expect("item 10");
    assert_eq!(two_lines.text.as_str(), "two\nlines");
    assert!(items.iter().all(|i| i.scores.nps.is_some()));
}

#[test]
fn rejected_rows_are_written_as_read_with_a_trove_error_column_for_correction() {
    let sandbox = Sandbox::sqlite();
    sandbox.write("five.csv", FIVE_BAD_LINES);
    let ran = import_five_bad_lines(&sandbox, &["--rejected", "rejected.csv"]);
    assert!(ran.succeeded(), "{ran}");
    assert_eq!(count(&ran.json(), "rejected"), 5);

    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(sandbox.path("rejected.csv"))
        .expect("the rejected rows were written");
    let header = reader.byte_headers().expect("a header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [&b"id"[..], b"created", b"comment", b"nps", b"trove_error"]
    );
    let records: Vec<csv::ByteRecord> = reader
        .byte_records()
        .collect::<Result<_, _>>()
        .expect("the rejected file is valid CSV");
    assert_eq!(records.len(), 5);
    let ids: Vec<&[u8]> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, [&b"3"[..], b"5", b"7", b"9", b"11"]);
    for (record, (line, _, _)) in records.iter().zip(BAD_LINES) {
        let reason = String::from_utf8_lossy(&record[record.len() - 1]);
        assert!(
            reason.starts_with(&format!("five.csv:{line}: ")),
            "the last field gives the place and the reason: {reason:?}"
        );
    }
    // The bytes are kept as they were, so the row can be fixed and imported again.
    assert_eq!(&records[3][2], b"caf\xe9 au lait");
    assert_eq!(records[0].len(), 6, "the extra field is kept");
}

#[test]
fn max_errors_stops_the_import_keeping_earlier_rows_and_a_rerun_without_it_completes() {
    let sandbox = Sandbox::sqlite();
    sandbox.write("five.csv", FIVE_BAD_LINES);
    let ran = import_five_bad_lines(&sandbox, &["--max-errors", "2"]);
    assert!(!ran.succeeded(), "an aborted import fails: {ran}");
    let report = ran.json();
    assert_eq!(report["status"], "aborted", "{report:#}");
    assert!(
        report["aborted_because"]
            .as_str()
            .is_some_and(|why| why.contains("more than 2")),
        "{report:#}"
    );
    assert_eq!(count(&report, "rejected"), 3);
    assert_eq!(count(&report, "imported"), 4);
    // The third bad row is line 8: rows 1, 2, 4 and 6 came before it, row 8 after.
    assert_eq!(
        external_ids(&stored_items(sandbox.db_path())),
        ids(&["1", "2", "4", "6"])
    );
    assert_eq!(sandbox.imports()[0]["status"], "aborted");

    let ran = import_five_bad_lines(&sandbox, &[]);
    assert!(ran.succeeded(), "{ran}");
    let report = ran.json();
    assert_eq!(report["status"], "completed");
    assert_eq!(count(&report, "imported"), 2, "{report:#}");
    assert_eq!(count(&report, "duplicates"), 4);
    assert_eq!(count(&report, "rejected"), 5);
    let items = stored_items(sandbox.db_path());
    assert_eq!(items.len(), 6, "nothing stored twice");
    assert_eq!(external_ids(&items), ids(&GOOD_IDS));
}

// ---------------------------------------------------------------------------------------------
// 3. Personal data

const PII_TEXT: &str = "Write to jane.doe@example.com or call (555) 123-4567; card 4111 1111 1111 1111 was charged twice";
/// 16 digits that fail the Luhn check: not a card number, so left alone.
const NOT_A_CARD: &str = "Policy 4111 1111 1111 1112 renewed on 2025-03-01 for $1,234.50";

fn import_pii(sandbox: &Sandbox, keep: bool) -> Vec<FeedbackItem> {
    sandbox.write(
        "pii.csv",
        format!("id,comment\np1,\"{PII_TEXT}\"\np2,\"{NOT_A_CARD}\"\n"),
    );
    let mut args = vec![
        "import",
        "pii.csv",
        "--channel",
        "email",
        "--id-column",
        "id",
        "--text-column",
        "comment",
    ];
    if keep {
        args.push("--keep-pii");
    }
    assert_eq!(count(&sandbox.ok_json(&args), "imported"), 2);
    let mut items = stored_items(sandbox.db_path());
    items.sort_by(|a, b| a.external_id.as_str().cmp(b.external_id.as_str()));
    items
}

#[test]
fn e_mails_phones_and_card_numbers_are_stored_masked_unless_keep_pii_is_given() {
    let masked = import_pii(&Sandbox::sqlite(), false);
    assert_eq!(
        masked[0].text.as_str(),
        "Write to [email] or call [phone]; card [card] was charged twice"
    );
    assert_eq!(masked[1].text.as_str(), NOT_A_CARD);

    let kept = import_pii(&Sandbox::sqlite(), true);
    assert_eq!(kept[0].text.as_str(), PII_TEXT);
    assert_eq!(kept[1].text.as_str(), NOT_A_CARD);
}

// ---------------------------------------------------------------------------------------------
// 4. Standard input

#[test]
fn json_lines_piped_on_standard_input_are_imported() {
    let sandbox = Sandbox::sqlite();
    let lines = concat!(
        r#"{"id": "c1", "text": "The chat bot could not find my policy", "when": "2025-01-02T03:04:05Z", "csat": 2}"#,
        "\n",
        r#"{"id": "c2", "text": "Quick and friendly", "when": "2025-01-03T10:00:00+02:00", "csat": 5}"#,
        "\n",
        "{\"id\": \"c3\", \"text\": \"broken\n",
    );
    let mut child = sandbox
        .command(&[
            "import",
            "-",
            "--input-format",
            "jsonl",
            "--channel",
            "chat",
            "--id-column",
            "id",
            "--text-column",
            "text",
            "--time-column",
            "when",
            "--csat-column",
            "csat",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start trove");
    child
        .stdin
        .take()
        .expect("a pipe")
        .write_all(lines.as_bytes())
        .expect("write to trove's standard input");
    let ran = Ran::from_output(child.wait_with_output().expect("wait for trove"));
    assert!(ran.succeeded(), "{ran}");
    let report = ran.json();
    assert_eq!(report["file"], "stdin");
    assert_eq!(count(&report, "imported"), 2, "{report:#}");
    assert_eq!(count(&report, "rejected"), 1);
    assert_eq!(report["errors"][0]["line"], 3);

    let items = stored_items(sandbox.db_path());
    assert_eq!(external_ids(&items), ids(&["c1", "c2"]));
    assert!(
        items.iter().all(|i| i.source.as_str() == "stdin"),
        "{items:?}"
    );
    let summary = sandbox.summary();
    assert_eq!(count(&summary["tally"], "csat_n"), 2);
    assert_eq!(sandbox.imports()[0]["source"], "stdin");
}

// ---------------------------------------------------------------------------------------------
// 5. Customers

const CUSTOMERS: &str =
    "id,name,email,segment,business_unit,region,lifetime_value,currency,first_seen,churned
C1,Ana Lima,ana@example.com,Gold,Motor,North,1200.50,EUR,2021-04-01,no
C2,Bo Chen,bo@example.com,Silver,Home,South,300,EUR,2022-01-15,yes
C3,Cy Dube,not-an-email,Bronze,Home,East,10,EUR,2023-02-01,no
C4,Di Eze,,Gold,Business,West,,,,
";

#[test]
fn customers_import_then_update_on_reimport_and_a_bad_e_mail_is_rejected_with_its_line() {
    let sandbox = Sandbox::sqlite();
    sandbox.write("customers.csv", CUSTOMERS);
    let first = sandbox.ok_json(&["import", "customers", "customers.csv"]);
    assert_eq!(count(&first, "rows"), 4, "{first:#}");
    assert_eq!(count(&first, "imported"), 3);
    assert_eq!(count(&first, "duplicates"), 0);
    assert_eq!(count(&first, "rejected"), 1);
    let error = &first["errors"][0];
    assert_eq!(error["line"], 4, "{first:#}");
    assert_eq!(error["column"], "email");
    assert!(
        error["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not-an-email")),
        "{error:#}"
    );
    assert_eq!(count(&sandbox.summary(), "customers"), 3);

    sandbox.write("customers.csv", CUSTOMERS.replace("Bo Chen", "Bo Chen-Ito"));
    let again = sandbox.ok_json(&["import", "customers", "customers.csv"]);
    assert_eq!(count(&again, "imported"), 0, "{again:#}");
    assert_eq!(
        count(&again, "duplicates"),
        3,
        "known customers are updated"
    );
    assert_eq!(count(&again, "rejected"), 1);
    assert_eq!(count(&sandbox.summary(), "customers"), 3);

    let store = SqliteStore::open(sandbox.db_path()).expect("open the database");
    let bo = store
        .customer(&CustomerId::parse("C2").expect("an id"))
        .expect("read a customer")
        .expect("C2 is stored");
    assert_eq!(bo.name.as_ref().map(|n| n.as_str()), Some("Bo Chen-Ito"));
    assert!(bo.churned);
    assert!(
        store
            .customer(&CustomerId::parse("C3").expect("an id"))
            .expect("read a customer")
            .is_none()
    );
    let runs = sandbox.imports();
    assert_eq!(runs[0]["kind"], "customers");
}

// ---------------------------------------------------------------------------------------------
// 6. The journey

const JOURNEY: &str = r#"
[[departments]]
id = "billing"
name = "Billing"

[[departments]]
id = "claims"
name = "Claims"

[[stages]]
id = "pay"
name = "Pay"

[[stages.touchpoints]]
id = "first-bill"
name = "First bill"
moment_of_truth = true
departments = ["billing"]

[[stages]]
id = "claim"
name = "Make a claim"

[[stages.touchpoints]]
id = "fnol"
name = "First notice of loss"
departments = ["claims", "billing"]
"#;

#[test]
fn a_loaded_journey_is_shown_as_toml_that_loads_back_to_the_same_journey() {
    let sandbox = Sandbox::sqlite();
    let none = sandbox.run(&["journey", "show"]);
    assert!(!none.succeeded(), "{none}");
    assert!(none.stderr.contains("there is no database"), "{none}");
    sandbox.ok(&["migrate"]);
    let none = sandbox.run(&["journey", "show"]);
    assert!(!none.succeeded(), "{none}");
    assert!(none.stderr.contains("no journey is loaded"), "{none}");

    sandbox.write("journey.toml", JOURNEY);
    let loaded = sandbox.ok(&["journey", "load", "journey.toml"]);
    assert!(
        loaded
            .stdout
            .contains("loaded 2 stages, 2 touchpoints and 2 departments"),
        "{loaded}"
    );
    let shown = sandbox.ok(&["journey", "show"]).stdout;
    let original = trove_app::parse_journey("journey.toml", JOURNEY).expect("a valid journey");
    let back = trove_app::parse_journey("shown", &shown).expect("the shown journey parses");
    assert_eq!(back, original, "shown:\n{shown}");

    // The shown file loads into another database and shows the same again.
    let other = Sandbox::sqlite();
    other.write("shown.toml", &shown);
    other.ok(&["journey", "load", "shown.toml"]);
    assert_eq!(other.ok(&["journey", "show"]).stdout, shown);
}

#[test]
fn a_journey_naming_an_unknown_department_fails_with_a_message_naming_the_file() {
    let sandbox = Sandbox::sqlite();
    sandbox.write("journey.toml", JOURNEY);
    sandbox.ok(&["journey", "load", "journey.toml"]);
    let before = sandbox.ok(&["journey", "show"]).stdout;

    sandbox.write(
        "bad-journey.toml",
        JOURNEY.replace(r#"["claims", "billing"]"#, r#"["legal"]"#),
    );
    let ran = sandbox.run(&["journey", "load", "bad-journey.toml"]);
    assert!(!ran.succeeded(), "{ran}");
    assert!(ran.stderr.contains("bad-journey.toml"), "{ran}");
    assert!(ran.stderr.contains("legal"), "{ran}");
    assert_eq!(
        sandbox.ok(&["journey", "show"]).stdout,
        before,
        "the stored journey is unchanged"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. The demo

#[test]
fn the_demo_loads_prints_its_planted_chronic_themes_and_a_second_run_stores_nothing_new() {
    let sandbox = Sandbox::sqlite();
    let demo = ["demo", "--customers", "600", "--feedback", "3000"];
    let first = sandbox.ok(&demo);
    assert!(
        first.stdout.contains("Planted for Trove to find"),
        "{first}"
    );
    let company = trove_demo::generate(&trove_demo::DemoConfig {
        customers: 600,
        feedback: 3000,
        ..trove_demo::DemoConfig::default()
    })
    .expect("the demo company");
    let chronic: Vec<String> = company.truth.chronic().map(|t| t.id.to_string()).collect();
    assert_eq!(chronic.len(), 3);
    for id in &chronic {
        assert!(
            first.stdout.contains(id.as_str()),
            "chronic theme {id} is not printed: {first}"
        );
    }
    assert!(
        first.stdout.contains(
            "600 customers (600 new) and 3,000 feedback items (3,000 new, 0 already there)"
        ),
        "{first}"
    );

    let second = sandbox.ok(&demo);
    assert!(
        second.stdout.contains(
            "600 customers (0 new) and 3,000 feedback items (0 new, 3,000 already there)"
        ),
        "{second}"
    );

    let summary = sandbox.summary();
    assert_eq!(count(&summary, "feedback"), 3000);
    assert_eq!(count(&summary, "customers"), 600);
    assert_eq!(
        count(&summary, "stages"),
        company.journey.stages().len() as u64
    );
}

// ---------------------------------------------------------------------------------------------
// 8. An interrupted import

const BIG_ROWS: u64 = 300_000;
const BATCH: u64 = 5_000;

fn write_big_csv(path: &Path) {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create the big CSV"));
    writeln!(out, "id,created,nps,comment").expect("write");
    for i in 0..BIG_ROWS {
        writeln!(
            out,
            "R{i},2025-{:02}-{:02} {:02}:{:02}:00 -0500,{},Comment {i} about the bill and the claim and the app that logs me out",
            i % 12 + 1,
            i % 28 + 1,
            i % 24,
            i % 60,
            i % 11,
        )
        .expect("write");
    }
    out.flush().expect("flush the big CSV");
}

#[test]
fn a_killed_import_leaves_whole_batches_and_running_it_again_stores_every_row_once() {
    let sandbox = Sandbox::sqlite();
    write_big_csv(&sandbox.path("big.csv"));
    sandbox.ok(&["migrate"]);
    let import = [
        "import",
        "big.csv",
        "--channel",
        "survey",
        "--id-column",
        "id",
        "--time-column",
        "created",
        "--nps-column",
        "nps",
        "--text-column",
        "comment",
        "--format",
        "json",
    ];
    let watcher = SqliteStore::open(sandbox.db_path()).expect("open the database");
    let mut child = sandbox
        .command(&import)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the import");
    let started = Instant::now();
    // Kill it once a batch is stored, and not before 0.3 s.
    loop {
        let stored = watcher
            .count_feedback(&FeedbackFilter::default())
            .expect("count while the import runs");
        if stored >= BATCH && started.elapsed() >= Duration::from_millis(300) {
            break;
        }
        assert!(
            child.try_wait().expect("poll the import").is_none(),
            "the import ended before it could be killed (stored {stored}); make the file bigger"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no batch stored after a minute"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("kill the import");
    child.wait().expect("reap the import");
    drop(watcher);

    let store = SqliteStore::open(sandbox.db_path()).expect("the database opens after a kill");
    let stored = store
        .count_feedback(&FeedbackFilter::default())
        .expect("count");
    drop(store);
    eprintln!(
        "killed the import after {:.2} s with {stored} items stored",
        started.elapsed().as_secs_f64()
    );
    assert!(stored >= BATCH, "{stored}");
    assert!(
        stored % BATCH == 0 || stored == BIG_ROWS,
        "{stored} items: not whole batches of {BATCH}"
    );
    let runs = sandbox.imports();
    assert_eq!(runs.len(), 1);
    if stored < BIG_ROWS {
        // No process holds the run any more: interrupted, with what it stored.
        assert_eq!(runs[0]["status"], "interrupted", "{runs:#?}");
        assert_eq!(runs[0]["totals"]["imported"], stored, "{runs:#?}");
        assert_eq!(runs[0]["finished_at"], Value::Null);
    }

    let rerun = sandbox.ok(&import).json();
    assert_eq!(rerun["status"], "completed");
    assert_eq!(count(&rerun, "rows"), BIG_ROWS);
    assert_eq!(count(&rerun, "imported"), BIG_ROWS - stored, "{rerun:#}");
    assert_eq!(count(&rerun, "duplicates"), stored);
    assert_eq!(count(&sandbox.summary(), "feedback"), BIG_ROWS);
    let runs = sandbox.imports();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["status"], "completed");
}

// ---------------------------------------------------------------------------------------------
// 9. Naming the database, and mistakes

const SMALL: &str = "id,comment\n1,The app logs me out\n2,Fast payout\n";

#[test]
fn the_database_can_be_named_by_the_trove_db_variable_and_the_flag_wins_over_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("small.csv"), SMALL).expect("write");
    let from_env = dir.path().join("from-env.sqlite");
    let import = [
        "import",
        "small.csv",
        "--channel",
        "review",
        "--text-column",
        "comment",
    ];
    let ran = run(bare_command(dir.path(), &import).env("TROVE_DB", &from_env));
    assert!(ran.succeeded(), "{ran}");
    assert_eq!(stored_items(&from_env).len(), 2);
    assert!(
        !dir.path().join("trove.db").exists(),
        "the default database is not used when TROVE_DB is set"
    );
    let ran =
        run(bare_command(dir.path(), &["summary", "--format", "json"]).env("TROVE_DB", &from_env));
    assert_eq!(count(&ran.json(), "feedback"), 2);

    let from_flag = dir.path().join("from-flag.sqlite");
    let ran = run(bare_command(dir.path(), &import)
        .env("TROVE_DB", &from_env)
        .arg("--db")
        .arg(&from_flag));
    assert!(ran.succeeded(), "{ran}");
    assert_eq!(stored_items(&from_flag).len(), 2);

    // Neither: trove.db in the current folder.
    let ran = run(&mut bare_command(dir.path(), &import));
    assert!(ran.succeeded(), "{ran}");
    assert_eq!(stored_items(&dir.path().join("trove.db")).len(), 2);
}

#[test]
fn a_missing_input_file_is_an_error_naming_it() {
    let sandbox = Sandbox::sqlite();
    let ran = sandbox.run(&[
        "import",
        "no-such-file.csv",
        "--channel",
        "survey",
        "--text-column",
        "comment",
    ]);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stdout.is_empty(), "{ran}");
    assert!(ran.stderr.contains("cannot open no-such-file.csv"), "{ran}");
    let ran = sandbox.run(&["import", "customers", "no-such-customers.csv"]);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stderr.contains("no-such-customers.csv"), "{ran}");
    let ran = sandbox.run(&["journey", "load", "no-such-journey.toml"]);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stderr.contains("no-such-journey.toml"), "{ran}");
}

#[test]
fn an_unknown_channel_is_refused_with_the_valid_channels_listed() {
    let sandbox = Sandbox::sqlite();
    sandbox.write("small.csv", SMALL);
    let ran = sandbox.run(&[
        "import",
        "small.csv",
        "--channel",
        "carrier-pigeon",
        "--text-column",
        "comment",
    ]);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stderr.contains("carrier-pigeon"), "{ran}");
    for channel in [
        "survey",
        "ticket",
        "call",
        "chat",
        "email",
        "social",
        "review",
        "return",
        "employee_note",
        "web_form",
    ] {
        assert!(
            ran.stderr.contains(channel),
            "{channel} is not listed: {ran}"
        );
    }
    assert!(
        !sandbox.db_path().exists() || stored_items(sandbox.db_path()).is_empty(),
        "nothing is stored"
    );
}

/// `bench import` prints the parts of the store's time on both databases; on PostgreSQL, whose
/// batch is written in two halves at once, it says that their times are summed.
#[test]
fn bench_import_shows_the_store_s_parts_on_both_databases() {
    let sqlite = Sandbox::sqlite();
    let on = sqlite.path("bench.db").display().to_string();
    let ran = sqlite.ok(&["bench", "import", "--rows", "2000", "--on", &on]);
    assert!(
        ran.stdout.contains("inside the store (1 transactions):"),
        "{ran}"
    );
    assert!(ran.stdout.contains("    feedback rows "), "{ran}");
    // The whole machine's CPU beside the process's (the rest is a local server's share).
    assert!(
        ran.stdout.contains("CPU of the whole machine meanwhile: "),
        "{ran}"
    );
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let postgres = Sandbox::postgres(schema.url_with(""));
    let ran = postgres.ok(&["bench", "import", "--rows", "2000", "--on", &postgres.db]);
    assert!(
        ran.stdout.contains(
            "inside the store (2 transactions, up to 2 connections side by side: their times \
             summed):"
        ),
        "{ran}"
    );
    assert!(ran.stdout.contains("    feedback rows "), "{ran}");
    assert!(!ran.stdout.contains("not timed"), "{ran}");
}
