//! End-to-end tests of importing real export layouts with the built `trove` binary: dates
//! whose order of day and month is decided from the whole column (or refused before anything
//! is stored), Excel's layouts, IANA time zones, source value maps, export preambles, and the
//! shipped Qualtrics, Zendesk and Trustpilot mappings with their examples.

use crate::common;

use common::Ran;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;
use trove_domain::{Channel, FeedbackItem};
use trove_store::{FeedbackFilter, Store};
use trove_store_sqlite::SqliteStore;

/// A temporary folder with an SQLite database, where `trove` runs from the repository root
/// (so shipped mappings and examples are named as the README names them).
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("make a temporary folder"),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("trove.sqlite")
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write a fixture");
        path.display().to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(common::TROVE);
        command
            .args(args)
            .arg("--db")
            .arg(self.db())
            .current_dir(common::ROOT)
            .env_remove("TROVE_DB")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Ran {
        let output = self.command(args).output().expect("start trove");
        Ran {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `trove import ARGS --format json`, which must succeed; its report.
    fn import(&self, args: &[&str]) -> Value {
        let mut all = vec!["import"];
        all.extend(args);
        all.extend(["--format", "json"]);
        let ran = self.run(&all);
        assert!(ran.succeeded(), "`trove {}` failed: {ran}", all.join(" "));
        ran.json()
    }

    /// Every stored item, by external id.
    fn items(&self) -> Vec<FeedbackItem> {
        stored_items(&self.db())
    }
}

fn stored_items(db: &Path) -> Vec<FeedbackItem> {
    let store = SqliteStore::open(db).expect("open the SQLite database");
    let mut items = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 1000, &mut |page| {
            items.extend(page.into_iter().map(|stored| stored.item));
            ControlFlow::Continue(())
        })
        .expect("scan the feedback");
    items.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    items
}

fn item<'a>(items: &'a [FeedbackItem], id: &str) -> &'a FeedbackItem {
    items
        .iter()
        .find(|item| item.external_id.as_str() == id)
        .unwrap_or_else(|| panic!("no item {id} among {}", items.len()))
}

fn utc(item: &FeedbackItem) -> String {
    item.received_at.timestamp().to_string()
}

fn count(report: &Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no count {key:?} in {report:#}"))
}

fn notes(report: &Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .map(|notes| {
            notes
                .iter()
                .map(|n| n.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The item's source themes, sorted (the store keeps them as a set).
fn themes(item: &FeedbackItem) -> Vec<&str> {
    let mut themes: Vec<&str> = item.source_themes.iter().map(|t| t.as_str()).collect();
    themes.sort_unstable();
    themes
}

/// Flags for a file with columns `id,when,comment`.
const FLAGS: [&str; 8] = [
    "--channel",
    "survey",
    "--id-column",
    "id",
    "--time-column",
    "when",
    "--text-column",
    "comment",
];

fn with_flags<'a>(file: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![file];
    args.extend(FLAGS);
    args.extend(more);
    args
}

/// A file of `rows` dates that fit both orders, then `last` (when given).
fn dates_file(rows: usize, last: Option<&str>) -> String {
    let mut csv = String::from("id,when,comment\n");
    for i in 0..rows {
        let (day, month) = (i % 12 + 1, (i * 5) % 12 + 1);
        csv.push_str(&format!(
            "r{i},{day:02}/{month:02}/2025 10:{:02},fine\n",
            i % 60
        ));
    }
    if let Some(last) = last {
        csv.push_str(&format!("last,{last},fine\n"));
    }
    csv
}

// ---------------------------------------------------------------------------------------------
// Dates that are never guessed

#[test]
fn one_day_first_date_late_in_the_file_decides_the_order_for_every_row() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("dm.csv", &dates_file(300, Some("25/04/2025 08:00")));
    let report = sandbox.import(&with_flags(&file, &[]));
    assert_eq!(count(&report, "imported"), 301, "{report:#}");
    assert_eq!(count(&report, "rejected"), 0, "{report:#}");
    assert!(
        notes(&report)[0].contains("dates read day first, as line 302 (\"25/04/2025 08:00\")"),
        "{report:#}"
    );
    let items = sandbox.items();
    // r1 is 02/06/2026: 2 June, not February 6.
    assert_eq!(utc(item(&items, "r1")), "2025-06-02T10:01:00Z");
    assert_eq!(utc(item(&items, "last")), "2025-04-25T08:00:00Z");
}

#[test]
fn standard_input_is_read_twice_through_a_copy_when_the_order_must_be_decided() {
    use std::io::Write as _;
    let sandbox = Sandbox::new();
    let mut args = vec!["import"];
    args.extend(with_flags("-", &["--format", "json"]));
    let mut child = sandbox
        .command(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start trove");
    child
        .stdin
        .take()
        .expect("a pipe")
        .write_all(dates_file(20, Some("05/13/2025 17:45")).as_bytes())
        .expect("write to trove");
    let output = child.wait_with_output().expect("wait for trove");
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON report");
    assert_eq!(count(&report, "imported"), 21, "{report:#}");
    assert!(
        notes(&report)[0].contains("dates read month first"),
        "{report:#}"
    );
    let items = sandbox.items();
    assert_eq!(utc(item(&items, "r1")), "2025-02-06T10:01:00Z");
    assert_eq!(utc(item(&items, "last")), "2025-05-13T17:45:00Z");
}

#[test]
fn a_file_whose_dates_all_fit_both_orders_is_refused_before_anything_is_stored() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("ambiguous.csv", &dates_file(50, None));
    let mut args = vec!["import"];
    args.extend(with_flags(&file, &[]));
    let ran = sandbox.run(&args);
    assert!(!ran.succeeded(), "{ran}");
    for part in [
        "column 'when'",
        // Line 2 is 01/01: the same date either way, so not shown.
        "line 3 (\"02/06/2025 10:01\") is 2 June 2025 day first or 6 February 2025 month first",
        "line 4 (\"03/11/2025 10:02\") is 3 November 2025 day first or 11 March 2025 month first",
        "--time-format",
        "\"%d/%m/%Y %H:%M\" (day first)",
        "\"%m/%d/%Y %H:%M\" (month first)",
    ] {
        assert!(ran.stderr.contains(part), "no {part:?} in {ran}");
    }
    assert!(!ran.stdout.contains("imported"), "{ran}");
    assert_eq!(stored_items(&sandbox.db()).len(), 0);
    let runs = sandbox.run(&["imports", "--format", "json"]).json();
    assert_eq!(runs, Value::Array(Vec::new()), "no import run is recorded");

    // Saying the layout (the strftime one, or the Excel one) imports it as told.
    let report = sandbox.import(&with_flags(&file, &["--time-format", "dd/mm/yyyy hh:mm"]));
    assert_eq!(count(&report, "imported"), 50, "{report:#}");
    assert_eq!(utc(item(&sandbox.items(), "r1")), "2025-06-02T10:01:00Z");
}

#[test]
fn a_file_mixing_day_first_and_month_first_dates_is_refused() {
    let sandbox = Sandbox::new();
    let csv = "id,when,comment\na,13/01/2026,x\nb,01/02/2026,y\nc,01/13/2026,z\n";
    let file = sandbox.write("mixed.csv", csv);
    let mut args = vec!["import"];
    args.extend(with_flags(&file, &[]));
    let ran = sandbox.run(&args);
    assert!(!ran.succeeded(), "{ran}");
    assert!(
        ran.stderr.contains(
            "the dates mix two orders: line 2 (\"13/01/2026\") can only be day first, line 4 (\"01/13/2026\") can only be month first"
        ),
        "{ran}"
    );
    assert_eq!(stored_items(&sandbox.db()).len(), 0);
}

#[test]
fn excel_us_times_with_am_and_pm_are_read_month_first() {
    let sandbox = Sandbox::new();
    let csv = "id,when,comment\n\
               a,1/2/2026 1:05 PM,x\n\
               b,1/25/2026 12:30 AM,y\n\
               c,2/3/2026 12:00:15 PM,z\n";
    let file = sandbox.write("excel.csv", csv);
    let report = sandbox.import(&with_flags(&file, &[]));
    assert_eq!(count(&report, "imported"), 3, "{report:#}");
    let items = sandbox.items();
    assert_eq!(utc(item(&items, "a")), "2026-01-02T13:05:00Z");
    assert_eq!(utc(item(&items, "b")), "2026-01-25T00:30:00Z");
    assert_eq!(utc(item(&items, "c")), "2026-02-03T12:00:15Z");
}

#[test]
fn a_time_zone_gives_each_time_its_own_days_offset_without_system_zone_files() {
    let sandbox = Sandbox::new();
    // Chicago moved from -06:00 to -05:00 at 2:00 on 8 March 2026.
    let csv = "id,when,comment\n\
               before,2026-03-08 01:30:00,x\n\
               after,2026-03-08 03:30:00,y\n\
               summer,2026-07-01 12:00:00,z\n";
    let file = sandbox.write("dst.csv", csv);
    let empty_zoneinfo = sandbox.dir.path().join("zoneinfo");
    std::fs::create_dir(&empty_zoneinfo).expect("make an empty zoneinfo folder");
    let mut args = vec!["import"];
    args.extend(with_flags(&file, &["--timezone", "America/Chicago"]));
    let output = sandbox
        .command(&args)
        // An empty time zone folder: the zones must come from the copy built into trove.
        .env("TZDIR", &empty_zoneinfo)
        .output()
        .expect("start trove");
    assert!(output.status.success(), "{output:?}");
    let items = sandbox.items();
    let before = item(&items, "before");
    assert_eq!(utc(before), "2026-03-08T07:30:00Z");
    assert_eq!(before.received_at.offset_seconds(), -6 * 3600);
    let after = item(&items, "after");
    assert_eq!(utc(after), "2026-03-08T08:30:00Z");
    assert_eq!(after.received_at.offset_seconds(), -5 * 3600);
    assert_eq!(utc(item(&items, "summer")), "2026-07-01T17:00:00Z");

    let mut both = vec!["import"];
    both.extend(with_flags(
        &file,
        &["--timezone", "America/Chicago", "--time-offset", "-05:00"],
    ));
    assert!(!sandbox.run(&both).succeeded());
    let mapping = sandbox.write(
        "both.toml",
        "source = \"s\"\nchannel = \"survey\"\n[columns]\ntext = \"comment\"\ntime = \"when\"\n\
         [time]\ntimezone = \"America/Chicago\"\ndefault_offset = \"-05:00\"\n",
    );
    let ran = sandbox.run(&["import", &file, "--mapping", &mapping]);
    assert!(
        ran.stderr.contains("both default_offset and timezone"),
        "{ran}"
    );
}

#[test]
fn a_time_more_than_a_day_in_the_future_is_a_row_error() {
    let sandbox = Sandbox::new();
    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(12);
    let next_week = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
    let csv = format!(
        "id,when,comment\nsoon,{},x\nlater,{},y\npast,2026-01-05T10:00:00Z,z\n",
        tomorrow.strftime("%Y-%m-%dT%H:%M:%SZ"),
        next_week.strftime("%Y-%m-%dT%H:%M:%SZ"),
    );
    let file = sandbox.write("future.csv", &csv);
    let report = sandbox.import(&with_flags(&file, &[]));
    assert_eq!(count(&report, "imported"), 2, "{report:#}");
    assert_eq!(count(&report, "rejected"), 1, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["line"], 3, "{report:#}");
    assert_eq!(error["column"], "when");
    assert!(
        error["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("more than a day after the import"),
        "{report:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Value maps

const TICKETS: &str = "id,via,text,stage\n\
                       t1,Phone call (inbound),My line is dead,Onboarding\n\
                       t2, email ,Refund please,Billing\n\
                       t3,Carrier pigeon,Odd one,Billing\n\
                       t4,chat,Trove's own word,Onboarding\n";

fn value_mapping(default: &str) -> String {
    format!(
        "source = \"desk\"\nchannel_column = \"via\"\n[columns]\nid = \"id\"\ntext = \"text\"\nstage = \"stage\"\n\
         [values.channel]\n\"Phone call (inbound)\" = \"call\"\n\"Email\" = \"email\"\n\
         [values.stage]\nonboarding = \"onboard\"\nbilling = \"pay\"\n{default}"
    )
}

#[test]
fn source_words_are_mapped_and_an_unlisted_one_takes_the_default() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("tickets.csv", TICKETS);
    let mapping = sandbox.write(
        "desk.toml",
        &value_mapping("[values.default]\nchannel = \"ticket\"\n"),
    );
    let report = sandbox.import(&[&file, "--mapping", &mapping]);
    assert_eq!(count(&report, "imported"), 4, "{report:#}");
    let items = sandbox.items();
    let channel = |id| item(&items, id).channel;
    assert_eq!(channel("t1"), Channel::Call);
    assert_eq!(channel("t2"), Channel::Email, "case and spaces are ignored");
    assert_eq!(channel("t3"), Channel::Ticket, "the default");
    assert_eq!(
        channel("t4"),
        Channel::Chat,
        "Trove's own channel names pass"
    );
    let stage = |id| {
        item(&items, id)
            .journey_stage
            .as_ref()
            .map(|s| s.as_str().to_owned())
    };
    assert_eq!(stage("t1").as_deref(), Some("onboard"));
    assert_eq!(stage("t2").as_deref(), Some("pay"));
}

#[test]
fn without_a_default_an_unlisted_word_rejects_its_row_naming_the_word_and_the_table() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("tickets.csv", TICKETS);
    let mapping = sandbox.write("desk.toml", &value_mapping(""));
    let report = sandbox.import(&[&file, "--mapping", &mapping]);
    assert_eq!(count(&report, "imported"), 3, "{report:#}");
    assert_eq!(count(&report, "rejected"), 1, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["line"], 4);
    assert_eq!(error["column"], "via");
    let reason = error["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("channel \"Carrier pigeon\""), "{reason}");
    assert!(reason.contains("add it there"), "{reason}");
    assert!(reason.contains("[values.channel]"), "{reason}");

    // Without any table, the message points at one too.
    let plain = sandbox.write(
        "plain.toml",
        "source = \"plain\"\nchannel_column = \"via\"\n[columns]\nid = \"id\"\ntext = \"text\"\n",
    );
    let report = sandbox.import(&[&file, "--mapping", &plain]);
    assert_eq!(count(&report, "rejected"), 2, "{report:#}");
    assert!(
        report["errors"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("\"Phone call (inbound)\" is not in [values.channel]"),
        "{report:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// The shipped mappings and their examples

#[test]
fn the_qualtrics_export_skips_its_two_preamble_rows_and_reads_chicago_time() {
    let sandbox = Sandbox::new();
    let report = sandbox.import(&[
        "examples/qualtrics-survey.csv",
        "--mapping",
        "mappings/qualtrics-survey.toml",
    ]);
    assert_eq!(count(&report, "rows"), 6, "{report:#}");
    assert_eq!(count(&report, "imported"), 6, "{report:#}");
    assert_eq!(count(&report, "rejected"), 0, "{report:#}");
    let items = sandbox.items();
    // 22:14:05 on 7 March is before the change to daylight time (-06:00), 09:30 on 8 March after.
    let before = item(&items, "R_3kVq8XbT2mLp9Aa");
    assert_eq!(utc(before), "2026-03-08T04:14:05Z");
    assert_eq!(before.received_at.offset_seconds(), -6 * 3600);
    let after = item(&items, "R_1dGh4JwQ0sNz7Bb");
    assert_eq!(utc(after), "2026-03-08T14:30:00Z");
    assert_eq!(after.received_at.offset_seconds(), -5 * 3600);
    assert_eq!(before.scores.nps.map(|n| n.value()), Some(3));
    assert_eq!(themes(before), ["speed"]);
    let spanish = item(&items, "R_9pLx2CrV6tHe3Cc");
    assert_eq!(themes(spanish), ["billing"]);
    assert_eq!(spanish.language.as_ref().map(|l| l.as_str()), Some("es"));
    assert_eq!(spanish.channel, Channel::Survey);
}

#[test]
fn without_skip_rows_the_qualtrics_header_rows_are_skipped_and_its_time_zone_taken() {
    let sandbox = Sandbox::new();
    let shipped =
        std::fs::read_to_string(Path::new(common::ROOT).join("mappings/qualtrics-survey.toml"))
            .expect("read the shipped mapping");
    // Neither skip_rows nor a time zone: the export's own rows must say both.
    let without: String = shipped
        .lines()
        .filter(|line| !line.starts_with("skip_rows") && !line.starts_with("timezone"))
        .map(|line| format!("{line}\n"))
        .collect();
    let mapping = sandbox.write("qualtrics.toml", &without);
    let report = sandbox.import(&["examples/qualtrics-survey.csv", "--mapping", &mapping]);
    assert_eq!(count(&report, "imported"), 6, "{report:#}");
    assert_eq!(count(&report, "rejected"), 0, "{report:#}");
    let notes = notes(&report);
    assert_eq!(notes.len(), 2, "{report:#}");
    assert!(
        notes[0].starts_with("line 2 skipped: a second header row"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("line 3 skipped: an export's ImportId row"),
        "{notes:?}"
    );
    assert!(
        notes[1]
            .ends_with("the times that follow are read in America/Chicago, the time zone it names"),
        "{notes:?}"
    );
    let items = sandbox.items();
    assert_eq!(
        utc(item(&items, "R_3kVq8XbT2mLp9Aa")),
        "2026-03-08T04:14:05Z"
    );
    assert_eq!(
        utc(item(&items, "R_1dGh4JwQ0sNz7Bb")),
        "2026-03-08T14:30:00Z"
    );
}

#[test]
fn the_zendesk_export_maps_its_channel_words_and_splits_its_tags() {
    let sandbox = Sandbox::new();
    let report = sandbox.import(&[
        "examples/zendesk-tickets.csv",
        "--mapping",
        "mappings/zendesk-tickets.toml",
    ]);
    assert_eq!(count(&report, "imported"), 6, "{report:#}");
    assert_eq!(count(&report, "rejected"), 0, "{report:#}");
    let items = sandbox.items();
    let channels: Vec<(&str, Channel)> = items
        .iter()
        .map(|i| (i.external_id.as_str(), i.channel))
        .collect();
    assert_eq!(
        channels,
        [
            ("40211", Channel::Call),
            ("40212", Channel::Email),
            ("40213", Channel::Chat),
            ("40214", Channel::WebForm),
            ("40215", Channel::WebForm),
            ("40216", Channel::Call),
        ]
    );
    assert_eq!(themes(item(&items, "40211")), ["connectivity", "speed"]);
    assert_eq!(
        themes(item(&items, "40215")),
        ["evening_congestion", "speed"],
        "two spaces are one separator's worth: no empty theme"
    );
    assert_eq!(utc(item(&items, "40211")), "2026-02-02T09:14:00Z");
    assert_eq!(
        item(&items, "40211").account.as_ref().map(|a| a.as_str()),
        Some("Harbor Dental")
    );
}

#[test]
fn the_trustpilot_reviews_read_nested_fields_stars_and_tags() {
    let sandbox = Sandbox::new();
    let report = sandbox.import(&[
        "examples/trustpilot-reviews.jsonl",
        "--mapping",
        "mappings/trustpilot-reviews.toml",
    ]);
    assert_eq!(count(&report, "imported"), 4, "{report:#}");
    assert_eq!(count(&report, "rejected"), 0, "{report:#}");
    let items = sandbox.items();
    let first = item(&items, "65f1c2a9e4b0a1d2c3f40001");
    assert_eq!(first.channel, Channel::Review);
    assert_eq!(first.scores.csat.map(|c| c.value()), Some(1));
    assert_eq!(first.region.as_ref().map(|r| r.as_str()), Some("GB"));
    assert_eq!(themes(first), ["engineer visit", "waiting time"]);
    assert_eq!(utc(first), "2026-02-11T08:15:42Z");
    let offset = item(&items, "65f1c2a9e4b0a1d2c3f40003");
    assert_eq!(utc(offset), "2026-02-13T11:40:00Z");
    assert_eq!(offset.received_at.offset_seconds(), 3600);
    assert!(themes(item(&items, "65f1c2a9e4b0a1d2c3f40004")).is_empty());
}
