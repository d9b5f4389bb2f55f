//! The files people have, made here as their programs write them: Excel's "Unicode text"
//! (UTF-16 with tabs), Windows-1252 semicolon files, CRLF and CR-only line ends, workbooks,
//! and files that are not tables at all.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use trove_domain::FeedbackItem;
use trove_ingest::{FileError, Mapping, ReadOptions, RowError, RowErrorKind, read_feedback};

const SURVEY: &str = r#"
source = "survey"
channel = "survey"
[columns]
id = "id"
time = "date"
text = "comment"
nps = "score"
"#;

fn mapping(extra: &str) -> Mapping {
    Mapping::from_toml_str(&format!("{extra}\n{SURVEY}"), "test.toml").unwrap()
}

fn options() -> ReadOptions {
    ReadOptions::new("2026-03-01T00:00:00Z".parse().unwrap())
}

fn read(input: &[u8], file: &str, mapping: &Mapping) -> (Vec<FeedbackItem>, Vec<RowError>) {
    read_with(input, file, mapping, &options())
}

fn read_with(
    input: &[u8],
    file: &str,
    mapping: &Mapping,
    options: &ReadOptions,
) -> (Vec<FeedbackItem>, Vec<RowError>) {
    let (mut items, mut errors) = (Vec::new(), Vec::new());
    for row in read_feedback(input, file, mapping, options).unwrap() {
        match row {
            Ok(item) => items.push(item),
            Err(error) => errors.push(error),
        }
    }
    (items, errors)
}

fn open_error(input: &[u8], file: &str, mapping: &Mapping) -> String {
    read_feedback(input, file, mapping, &options())
        .err()
        .expect("the file is refused")
        .to_string()
}

fn texts(items: &[FeedbackItem]) -> Vec<&str> {
    items.iter().map(|i| i.text.as_str()).collect()
}

/// Rows of a small survey with accents and a euro sign; the third has an NPS out of range.
const ROWS: [[&str; 4]; 4] = [
    ["id", "date", "comment", "score"],
    ["1", "2026-01-05", "Très bien, merci", "9"],
    ["2", "2026-01-06", "Trop cher : 12 €", "3"],
    ["3", "2026-01-07", "Déçu", "11"],
];

fn joined(delimiter: &str, line_end: &str) -> String {
    ROWS.iter()
        .map(|row| row.join(delimiter) + line_end)
        .collect()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes: Vec<u8> = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c => u8::try_from(u32::from(c)).expect("a Latin-1 character"),
        })
        .collect()
}

fn check_the_survey(items: &[FeedbackItem], errors: &[RowError], file: &str) {
    assert_eq!(texts(items), ["Très bien, merci", "Trop cher : 12 €"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        format!("{file}:4: column score: nps score 11 is out of range 0..=10")
    );
}

#[test]
fn excel_unicode_text_is_utf16_with_tabs_and_reads_without_flags() {
    let file = utf16(&joined("\t", "\r\n"), false);
    let (items, errors) = read(&file, "export.txt", &mapping(""));
    check_the_survey(&items, &errors, "export.txt");
    let file = utf16(&joined("\t", "\n"), true);
    let (items, errors) = read(&file, "export.txt", &mapping(""));
    check_the_survey(&items, &errors, "export.txt");
}

#[test]
fn a_windows_1252_semicolon_file_is_refused_until_its_encoding_is_named() {
    let file = windows_1252(&joined(";", "\r\n"));
    let error = open_error(&file, "excel.csv", &mapping(""));
    assert_eq!(
        error,
        "file excel.csv: not UTF-8: line 2 reads as Windows-1252 \"1;2026-01-05;Très bien, merci;9\": \
         name the encoding with --encoding windows-1252 (or encoding = \"windows-1252\" in the \
         mapping); --encoding utf-8 instead reads it as UTF-8 and rejects the rows with bad bytes"
    );
    for name in ["windows-1252", "latin1", "cp1252"] {
        let (items, errors) = read(
            &file,
            "excel.csv",
            &mapping(&format!("encoding = \"{name}\"")),
        );
        check_the_survey(&items, &errors, "excel.csv");
    }
}

#[test]
fn with_utf8_named_a_windows_1252_row_is_rejected_with_the_encoding_to_try() {
    let file = windows_1252(&joined(";", "\n"));
    let (items, errors) = read(&file, "excel.csv", &mapping("encoding = \"utf-8\""));
    assert!(items.is_empty());
    assert_eq!(
        errors[0].to_string(),
        "excel.csv:2: column comment: invalid UTF-8 at byte 2: it reads as Windows-1252 \
         \"Très bien, merci\": try --encoding windows-1252"
    );
}

#[test]
fn utf8_with_or_without_a_bom_reads_as_is() {
    let text = joined(",", "\n").replace("Très bien, merci", "\"Très bien, merci\"");
    let (items, errors) = read(text.as_bytes(), "plain.csv", &mapping(""));
    check_the_survey(&items, &errors, "plain.csv");
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let (items, errors) = read(&with_bom, "bom.csv", &mapping(""));
    check_the_survey(&items, &errors, "bom.csv");
}

#[test]
fn the_delimiter_is_sniffed_or_refused_when_two_fit() {
    for (delimiter, file) in [(";", "semi.csv"), ("\t", "tabs.txt"), ("|", "pipes.csv")] {
        let text = joined(delimiter, "\n");
        let (items, errors) = read(text.as_bytes(), file, &mapping(""));
        assert_eq!(items.len(), 2, "{delimiter:?}: {errors:?}");
    }
    let ambiguous = "id,date;comment,score\n1,2026-01-05;ok,9\n";
    assert_eq!(
        open_error(ambiguous.as_bytes(), "odd.csv", &mapping("")),
        "file odd.csv: cannot tell the delimiter: the first lines split evenly on ',' and ';'; \
         name it with --delimiter (e.g. --delimiter ',') or delimiter = \"...\" in the mapping"
    );
    let error = open_error(
        ambiguous.as_bytes(),
        "odd.csv",
        &mapping("delimiter = \";\""),
    );
    assert!(error.ends_with("try --delimiter ','"), "{error}");
}

#[test]
fn a_header_split_on_the_wrong_delimiter_suggests_the_right_one() {
    let text = joined(";", "\n");
    let error = open_error(text.as_bytes(), "semi.csv", &mapping("delimiter = \",\""));
    assert_eq!(
        error,
        "file semi.csv: the id column 'id' is not in the header; the header has: \
         id;date;comment;score; the header looks split on the wrong delimiter: try --delimiter ';'"
    );
    let tabs = joined("\t", "\n");
    let error = open_error(tabs.as_bytes(), "t.csv", &mapping("delimiter = \";\""));
    assert!(error.ends_with("try --delimiter 'tab'"), "{error}");
    let (items, _) = read(tabs.as_bytes(), "t.csv", &mapping("delimiter = \"tab\""));
    assert_eq!(items.len(), 2);
}

/// A header, a good row, a multi-line quoted field, then bad rows, with `end` as line end:
/// the bad rows start on lines 5 and 7 of the file.
fn bad_rows_on_known_lines(end: &str) -> String {
    [
        "id,date,comment,score",                                 // 1
        "1,2026-01-05,fine,9",                                   // 2
        &format!("2,2026-01-06,\"three{end}lines{end}here\",8"), // 3-5
        "3,2026-01-07,score too high,11",                        // 6
        "4,2026-01-07,fine again,7",                             // 7
        "",                                                      // 8: blank
        "5,not a date,bad time,5",                               // 9
    ]
    .iter()
    .map(|line| format!("{line}{end}"))
    .collect()
}

#[test]
fn lines_are_the_files_physical_lines_for_lf_crlf_and_cr() {
    for (name, end) in [("LF", "\n"), ("CRLF", "\r\n"), ("CR", "\r")] {
        let text = bad_rows_on_known_lines(end);
        let (items, errors) = read(text.as_bytes(), "lines.csv", &mapping(""));
        assert_eq!(items.len(), 3, "{name}: {errors:?}");
        assert_eq!(items[1].text.as_str(), format!("three{end}lines{end}here"));
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [6, 9], "{name}");
    }
}

#[test]
fn a_50_row_file_with_a_17_mb_field_in_row_21_loses_only_that_row() {
    let mut file = b"id,date,comment,score\n".to_vec();
    for row in 1..=50 {
        let comment = if row == 21 {
            "x".repeat(17_000_000)
        } else {
            format!("comment {row}")
        };
        file.extend(format!("{row},2026-01-05,\"{comment}\",7\n").as_bytes());
    }
    let (items, errors) = read(&file, "big.csv", &mapping(""));
    assert_eq!(items.len(), 49);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "big.csv:22: column comment: field of 17000000 bytes exceeds the limit of 16 MiB"
    );
    assert_eq!(items[20].external_id.as_str(), "22");
}

#[test]
fn an_unclosed_quote_stops_reading_and_says_so() {
    let file = "id,date,comment,score\r\n1,2026-01-05,ok,9\r\n2,2026-01-05,\"runaway,9\r\n3,2026-01-05,lost,9\r\n";
    let (items, errors) = read(file.as_bytes(), "q.csv", &mapping(""));
    assert_eq!(items.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 3);
    assert_eq!(errors[0].kind, RowErrorKind::UnclosedQuote);
    assert!(errors[0].kind.stops_reading());
    // Not even as a preamble row to skip.
    let skipping = format!("skip_rows = 2\n{SURVEY}");
    let skipping = Mapping::from_toml_str(&skipping, "skip.toml").unwrap();
    let (items, errors) = read(file.as_bytes(), "q.csv", &skipping);
    assert!(items.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, RowErrorKind::UnclosedQuote);
}

fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "not the data").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Data").unwrap();
    let when = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    // The table starts on the sheet's row 3 (two empty rows above, as in many exports).
    for (column, name) in ["id", "date", "comment", "score", "ratio"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, column as u16, *name).unwrap();
    }
    let rows = [
        (101.0, 5, "Très bien", 9.0),
        (102.0, 6, "Trop cher : 12 €", 11.0),
    ];
    for (i, (id, day, comment, score)) in rows.into_iter().enumerate() {
        let row = 3 + i as u32;
        let date = ExcelDateTime::from_ymd(2026, 1, day)
            .unwrap()
            .and_hms(14, 30, 0)
            .unwrap();
        sheet.write_number(row, 0, id).unwrap();
        sheet
            .write_datetime_with_format(row, 1, &date, &when)
            .unwrap();
        sheet.write_string(row, 2, comment).unwrap();
        sheet.write_number(row, 3, score).unwrap();
        sheet.write_number(row, 4, 0.25).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn workbooks_read_their_cells_as_shown_with_the_sheets_row_numbers() {
    let book = workbook();
    let toml = format!("sheet = \"Data\"\n{SURVEY}\n[attributes]\ncolumns = [\"ratio\"]\n");
    let with_sheet = Mapping::from_toml_str(&toml, "test.toml").unwrap();
    let (items, errors) = read(&book, "export.xlsx", &with_sheet);
    assert_eq!(texts(&items), ["Très bien"]);
    let item = &items[0];
    assert_eq!(item.external_id.as_str(), "101", "a whole number has no .0");
    assert_eq!(
        item.received_at.timestamp().to_string(),
        "2026-01-05T14:30:00Z",
        "a date cell is a date, not a serial number"
    );
    assert_eq!(item.attributes.get("ratio"), Some("0.25"));
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "export.xlsx:5: column score: nps score 11 is out of range 0..=10"
    );
    // The content tells a workbook, whatever the name.
    let (items, _) = read(&book, "renamed.csv", &with_sheet);
    assert_eq!(items.len(), 1);
}

#[test]
fn a_workbook_reads_its_first_sheet_unless_one_is_named() {
    let book = workbook();
    let error = open_error(&book, "export.xlsx", &mapping(""));
    assert!(
        error.starts_with("file export.xlsx: the id column 'id' is not in the header; the header has: not the data"),
        "{error}"
    );
    assert_eq!(
        open_error(&book, "export.xlsx", &mapping("sheet = \"Summary\"")),
        "file export.xlsx: no sheet named 'Summary'; its sheets are: Notes, Data"
    );
}

#[test]
fn files_that_are_not_tables_are_named_in_one_line() {
    let cases: [(&[u8], &str, &str); 5] = [
        (
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n",
            "report.csv",
            "a PDF document",
        ),
        (
            b"\x1F\x8B\x08\x00\x00\x00\x00\x00",
            "data.csv.gz",
            "a gzip-compressed file",
        ),
        (
            b"PK\x03\x04\x14\x00\x00\x00junk",
            "bundle.zip",
            "a ZIP archive that is not a workbook",
        ),
        (b"\x89PNG\r\n\x1A\n\x00\x00", "chart.png", "a PNG image"),
        (
            b"id,text\n\x00\x01\x02\x03\xFF\xFE\x00",
            "blob.csv",
            "binary data",
        ),
    ];
    for (bytes, file, what) in cases {
        let error = open_error(bytes, file, &mapping(""));
        assert!(error.contains(what), "{file}: {error}");
        assert!(
            !error.contains('\n') && !error.contains('\u{FFFD}'),
            "{error}"
        );
    }
    let error = open_error(b"a,b\n1,2\n", "text.xlsx", &mapping(""));
    assert!(error.contains("text, not a workbook"), "{error}");
    assert!(matches!(
        read_feedback(&b"%PDF"[..], "x.pdf", &mapping(""), &options()).err(),
        Some(FileError::NotReadable { .. })
    ));
}
