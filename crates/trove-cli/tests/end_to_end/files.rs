//! `trove import` on the files people have, made here as their programs write them: Excel's
//! "Unicode text", a Windows-1252 semicolon file, an .xlsx workbook, CRLF files with bad rows
//! on known lines, a PDF, a field of 17 MB and a quote never closed.

use crate::common;

use common::Ran;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::TROVE;
use serde_json::Value;
use tempfile::TempDir;
use trove_store::{FeedbackFilter, Store};
use trove_store_sqlite::SqliteStore;

struct Folder {
    dir: TempDir,
}

impl Folder {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write the file");
        path
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("trove.db")
    }

    /// `trove import FILE --channel survey --text-column comment ... MORE --db DB`.
    fn import(&self, file: &str, more: &[&str]) -> Ran {
        let output = Command::new(TROVE)
            .args(["import", file, "--channel", "survey"])
            .args(["--id-column", "id", "--text-column", "comment"])
            .args(["--nps-column", "score", "--time-column", "date"])
            .args(more)
            .arg("--db")
            .arg(self.db())
            .current_dir(self.dir.path())
            .env_remove("TROVE_DB")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .output()
            .expect("run trove");
        Ran {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The stored (id, text) pairs, by id.
    fn stored(&self) -> Vec<(String, String)> {
        if !self.db().exists() {
            return Vec::new();
        }
        let store = SqliteStore::open(&self.db()).expect("open the database");
        let mut items = Vec::new();
        store
            .scan_feedback(&FeedbackFilter::default(), 1000, &mut |page| {
                items.extend(page.into_iter().map(|stored| {
                    let item = stored.item;
                    (
                        item.external_id.as_str().to_owned(),
                        item.text.as_str().to_owned(),
                    )
                }));
                ControlFlow::Continue(())
            })
            .expect("scan the feedback");
        items.sort();
        items
    }
}

fn count(report: &Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {report:#}"))
}

fn error_lines(report: &Value) -> Vec<u64> {
    report["errors"]
        .as_array()
        .expect("an errors list")
        .iter()
        .map(|e| e["line"].as_u64().expect("a line"))
        .collect()
}

/// A survey with accents and a euro sign; row 3 (line 4) has an NPS of 11.
const ROWS: [[&str; 4]; 4] = [
    ["id", "date", "comment", "score"],
    ["1", "2026-01-05", "Très bien, merci", "9"],
    ["2", "2026-01-06", "Trop cher : 12 €", "3"],
    ["3", "2026-01-07", "Déçu", "11"],
];

fn joined(delimiter: &str) -> String {
    ROWS.iter()
        .map(|row| row.join(delimiter) + "\r\n")
        .collect()
}

fn expected_texts() -> Vec<(String, String)> {
    vec![
        ("1".into(), "Très bien, merci".into()),
        ("2".into(), "Trop cher : 12 €".into()),
    ]
}

#[test]
fn excel_unicode_text_imports_without_a_flag_for_its_encoding_or_tabs() {
    let folder = Folder::new();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(joined("\t").encode_utf16().flat_map(u16::to_le_bytes));
    folder.write("export.txt", bytes);
    let ran = folder.import("export.txt", &["--format", "json"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report = ran.json();
    assert_eq!(count(&report, "imported"), 2);
    assert_eq!(error_lines(&report), [4]);
    assert_eq!(folder.stored(), expected_texts());
}

#[test]
fn a_windows_1252_semicolon_file_is_refused_before_storing_then_read_with_its_encoding() {
    let folder = Folder::new();
    let text = joined(";");
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| {
            if c == '€' {
                0x80
            } else {
                u8::try_from(u32::from(c)).expect("Latin-1")
            }
        })
        .collect();
    folder.write("excel.csv", bytes);
    let ran = folder.import("excel.csv", &[]);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("--encoding windows-1252"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("Très bien"),
        "shows the line as Windows-1252: {}",
        ran.stderr
    );
    assert!(!ran.stdout.contains("imported"), "{}", ran.stdout);
    assert!(folder.stored().is_empty());

    let ran = folder.import(
        "excel.csv",
        &["--encoding", "windows-1252", "--format", "json"],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(error_lines(&ran.json()), [4]);
    assert_eq!(folder.stored(), expected_texts());
}

#[test]
fn a_wrong_delimiter_is_answered_with_the_right_one_and_tab_can_be_named() {
    let folder = Folder::new();
    folder.write("semi.csv", joined(";"));
    let ran = folder.import("semi.csv", &["--delimiter", ","]);
    assert_eq!(ran.code, Some(1));
    let message = ran.stderr.trim();
    assert!(message.ends_with("try --delimiter ';'"), "{message}");
    assert!(
        message.contains("column 'date' is not in the header")
            || message.contains("column 'id' is not in the header"),
        "{message}"
    );
    assert!(
        !message.contains("named by the mapping"),
        "flags named it: {message}"
    );
    folder.write("tabs.csv", joined("\t"));
    for tab in ["tab", "\\t", "\t"] {
        let ran = folder.import("tabs.csv", &["--delimiter", tab]);
        assert_eq!(ran.code, Some(0), "--delimiter {tab:?}: {}", ran.stderr);
    }
    assert_eq!(folder.stored(), expected_texts());
}

#[test]
fn an_xlsx_workbook_imports_its_sheet_with_the_sheets_row_numbers() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("Read me")
        .expect("a sheet name");
    let sheet = book.add_worksheet();
    sheet.set_name("Answers").expect("a sheet name");
    for (column, name) in ROWS[0].iter().enumerate() {
        sheet.write_string(0, column as u16, *name).expect("a cell");
    }
    let when = Format::new().set_num_format("dd/mm/yyyy");
    for (i, row) in ROWS[1..].iter().enumerate() {
        let r = i as u32 + 1;
        let day = ExcelDateTime::from_ymd(2026, 1, 5 + i as u8).expect("a date");
        sheet
            .write_number(r, 0, row[0].parse::<f64>().expect("an id"))
            .expect("a cell");
        sheet
            .write_datetime_with_format(r, 1, &day, &when)
            .expect("a cell");
        sheet.write_string(r, 2, row[2]).expect("a cell");
        sheet
            .write_number(r, 3, row[3].parse::<f64>().expect("a score"))
            .expect("a cell");
    }
    let folder = Folder::new();
    folder.write("answers.xlsx", book.save_to_buffer().expect("an xlsx"));
    let ran = folder.import("answers.xlsx", &["--format", "json"]);
    assert_eq!(ran.code, Some(1), "the first sheet is empty");
    assert!(
        ran.stderr.contains(
            "sheet 'Read me' is empty; its sheets are: Read me, Answers; choose one with --sheet"
        ),
        "{}",
        ran.stderr
    );
    let ran = folder.import("answers.xlsx", &["--sheet", "Answers", "--format", "json"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report = ran.json();
    assert_eq!(error_lines(&report), [4]);
    assert_eq!(folder.stored(), expected_texts(), "ids without .0");
    let summary = common::json(&folder.db(), &["summary", "--format", "json"]);
    assert!(
        summary.to_string().contains("2026-01"),
        "dates, not serial numbers: {summary}"
    );
}

#[test]
fn a_pdf_gets_one_line_saying_what_it_seems_to_be() {
    let folder = Folder::new();
    folder.write(
        "report.csv",
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\n",
    );
    let ran = folder.import("report.csv", &[]);
    assert_eq!(ran.code, Some(1));
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("it seems to be a PDF document"),
        "{}",
        ran.stderr
    );
}

#[test]
fn crlf_lines_are_the_files_lines_after_a_multi_line_field() {
    let folder = Folder::new();
    let file = "id,date,comment,score\r\n\
                1,2026-01-05,fine,9\r\n\
                2,2026-01-06,\"two\r\nlines\",8\r\n\
                3,2026-01-07,too high,11\r\n\
                4,yesterday,bad time,5\r\n\
                5,2026-01-08,good,6\r\n";
    folder.write("crlf.csv", file);
    let ran = folder.import("crlf.csv", &["--format", "json"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report = ran.json();
    assert_eq!(count(&report, "imported"), 3);
    assert_eq!(error_lines(&report), [5, 6]);
}

#[test]
fn a_17_mb_field_in_row_21_rejects_that_row_alone_and_the_import_completes() {
    let folder = Folder::new();
    let mut file = b"id,date,comment,score\n".to_vec();
    for row in 1..=50 {
        let comment = if row == 21 {
            "x".repeat(17_000_000)
        } else {
            format!("row {row}")
        };
        file.extend(format!("{row},2026-01-05,\"{comment}\",7\n").as_bytes());
    }
    folder.write("big.csv", file);
    let ran = folder.import("big.csv", &["--format", "json"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report = ran.json();
    assert_eq!(report["status"], "completed");
    assert_eq!(count(&report, "imported"), 49);
    assert_eq!(count(&report, "rejected"), 1);
    assert_eq!(error_lines(&report), [22]);
    assert_eq!(
        report["errors"][0]["reason"],
        "field of 17000000 bytes exceeds the limit of 16 MiB"
    );
    assert_eq!(report["errors"][0]["column"], "comment");
    assert_eq!(folder.stored().len(), 49);
}

#[test]
fn a_quote_never_closed_fails_the_import_naming_the_line_where_reading_stopped() {
    let folder = Folder::new();
    folder.write(
        "quote.csv",
        "id,date,comment,score\r\n1,2026-01-05,ok,9\r\n2,2026-01-06,\"runaway,8\r\n3,2026-01-07,unread,7\r\n",
    );
    let ran = folder.import("quote.csv", &[]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("import stopped early: reading stopped at quote.csv:3: unclosed quote"),
        "{}",
        ran.stderr
    );
    let ran = folder.import("quote.csv", &["--format", "json"]);
    assert_eq!(ran.code, Some(1));
    assert_eq!(ran.json()["status"], "aborted");
    let runs = common::json(&folder.db(), &["imports", "--format", "json"]);
    assert_eq!(runs[0]["status"], "aborted", "{runs:#}");
    assert_eq!(folder.stored().len(), 1);
}
