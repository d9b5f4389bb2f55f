//! Reading whole files: errors with their lines and columns, formats, ids, customers, and
//! the real data sets in `shared/data` (skipped when absent).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::collections::HashSet;
use std::io::Write;

use jiff::Timestamp;
use trove_domain::{Channel, FeedbackItem};
use trove_ingest::{
    CustomerMapping, FileError, Mapping, ReadOptions, RowError, RowErrorKind, read_customers,
    read_feedback,
};

fn options() -> ReadOptions {
    ReadOptions::new("2025-01-01T00:00:00Z".parse().unwrap())
}

fn mapping(toml: &str) -> Mapping {
    Mapping::from_toml_str(toml, "test.toml").unwrap()
}

const SURVEY: &str = r#"
source = "survey"
channel = "survey"
[columns]
id = "id"
time = "time"
text = "text"
nps = "nps"
"#;

fn read_all(input: &[u8], file: &str, mapping: &Mapping) -> (Vec<FeedbackItem>, Vec<RowError>) {
    read_with(input, file, mapping, &options())
}

fn read_with(
    input: &[u8],
    file: &str,
    mapping: &Mapping,
    options: &ReadOptions,
) -> (Vec<FeedbackItem>, Vec<RowError>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for row in read_feedback(input, file, mapping, options).unwrap() {
        match row {
            Ok(item) => items.push(item),
            Err(error) => errors.push(error),
        }
    }
    (items, errors)
}

fn ids(items: &[FeedbackItem]) -> Vec<&str> {
    items.iter().map(|i| i.external_id.as_str()).collect()
}

/// A CSV with a header and ten records, five of them bad, the last with an unclosed quote.
fn five_bad_lines() -> Vec<u8> {
    let mut csv = Vec::new();
    csv.extend_from_slice(b"id,time,text,nps\n"); // 1
    csv.extend_from_slice("1,2015-02-24 11:35:52 -0800,fine – naïve,9\n".as_bytes()); // 2
    csv.extend_from_slice(b"2,2015-02-24 11:35:52 -0800,ok,8\n"); // 3
    csv.extend_from_slice(b"3,2015-02-24 11:35:52 -0800,too,many,7\n"); // 4: five fields
    csv.extend_from_slice(b"4,yesterday,bad time,5\n"); // 5
    csv.extend_from_slice(b"5,2015-02-24T10:00:00Z,\"quoted, with comma\",11\n"); // 6: nps 11
    // 7: not UTF-8 (as other rows are, so only this row is refused)
    csv.extend_from_slice(b"6,2015-02-24,caf\xe9 in Latin-1,3\n");
    csv.extend_from_slice(b"7,2015-02-24,\"two\nlines\",10\n"); // 8-9
    csv.extend_from_slice(b"8,02/24/2015,good,0\n"); // 10
    csv.extend_from_slice(b"9,2015-02-24,\"never closed,1\n"); // 11
    csv
}

#[test]
fn the_five_bad_lines_are_reported_with_their_lines_and_columns_and_the_rest_is_read() {
    let (items, errors) = read_all(&five_bad_lines(), "five.csv", &mapping(SURVEY));
    assert_eq!(ids(&items), ["1", "2", "7", "8"]);
    let found: Vec<(u64, Option<&str>, String)> = errors
        .iter()
        .map(|e| (e.line, e.column.as_deref(), e.kind.to_string()))
        .collect();
    assert_eq!(found.len(), 5, "{found:#?}");
    assert_eq!(found[0], (4, None, "expected 4 fields, found 5".into()));
    assert_eq!(found[1].0, 5);
    assert_eq!(found[1].1, Some("time"));
    assert!(
        found[1]
            .2
            .starts_with("cannot read time \"yesterday\": expected RFC 3339"),
        "{}",
        found[1].2
    );
    assert_eq!(
        found[2],
        (6, Some("nps"), "nps score 11 is out of range 0..=10".into())
    );
    assert_eq!(
        found[3],
        (
            7,
            Some("text"),
            "invalid UTF-8 at byte 3: it reads as Windows-1252 \"café in Latin-1\": \
             try --encoding windows-1252"
                .into()
        )
    );
    assert_eq!(
        found[4],
        (
            11,
            None,
            "unclosed quote: the record starting here runs to the end of the file".into()
        )
    );
    assert_eq!(
        errors[2].to_string(),
        "five.csv:6: column nps: nps score 11 is out of range 0..=10"
    );
    assert_eq!(items[2].text.as_str(), "two\nlines");
}

#[test]
fn the_reader_counts_rows_and_bytes_for_progress() {
    let input = five_bad_lines();
    let mut reader =
        read_feedback(input.as_slice(), "five.csv", &mapping(SURVEY), &options()).unwrap();
    assert_eq!(reader.rows_read(), 0);
    reader.next();
    assert_eq!(reader.rows_read(), 1);
    for _ in reader.by_ref() {}
    assert_eq!(reader.rows_read(), 9);
    assert_eq!(reader.bytes_read(), input.len() as u64);
}

#[test]
fn rejected_rows_are_written_as_read_with_the_reason_in_a_last_column() {
    let input = five_bad_lines();
    let mut reader =
        read_feedback(input.as_slice(), "five.csv", &mapping(SURVEY), &options()).unwrap();
    let mut rejected = reader.rejected_writer(Vec::new());
    let errors: Vec<RowError> = reader.by_ref().filter_map(Result::err).collect();
    for error in &errors {
        rejected.write(error).unwrap();
    }
    assert_eq!(rejected.rows_written(), 5);
    let out = rejected.finish().unwrap();
    let mut back = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(out.as_slice());
    assert_eq!(
        back.byte_headers().unwrap(),
        &csv::ByteRecord::from(vec!["id", "time", "text", "nps", "trove_error"])
    );
    let records: Vec<csv::ByteRecord> = back.byte_records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 5);
    let first: Vec<&[u8]> = records[0].iter().take(5).collect();
    assert_eq!(
        first,
        [
            &b"3"[..],
            b"2015-02-24 11:35:52 -0800",
            b"too",
            b"many",
            b"7"
        ]
    );
    assert_eq!(
        &records[3][2], b"caf\xe9 in Latin-1",
        "bytes are kept as they were"
    );
    assert_eq!(&records[4][2], b"never closed,1\n");
    let last = String::from_utf8_lossy(&records[4][4]).into_owned();
    assert!(last.starts_with("five.csv:11: unclosed quote"), "{last}");
}

#[test]
fn quoted_fields_with_newlines_and_delimiters_keep_later_line_numbers_right() {
    let csv = "id,time,text,nps\n\
               1,2015-02-24,\"line one\nline two, with comma\nline three\",9\n\
               2,2015-02-24,\"say \"\"hi\"\"\",9\n\
               3,2015-02-24,fine,99\n";
    let (items, errors) = read_all(csv.as_bytes(), "multi.csv", &mapping(SURVEY));
    assert_eq!(
        items[0].text.as_str(),
        "line one\nline two, with comma\nline three"
    );
    assert_eq!(items[1].text.as_str(), "say \"hi\"");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 6);
}

#[test]
fn semicolon_and_tab_delimiters_work() {
    let semicolon = SURVEY.replace("[columns]", "delimiter = \";\"\n[columns]");
    let (items, errors) = read_all(
        b"id;time;text;nps\n1;2015-02-24;\"a; b\";7\n",
        "semi.csv",
        &mapping(&semicolon),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(items[0].text.as_str(), "a; b");
    let (items, errors) = read_all(
        b"id\ttime\ttext\tnps\n1\t2015-02-24\ta, b\t7\n",
        "tabs.tsv",
        &mapping(SURVEY),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(items[0].text.as_str(), "a, b");
    assert_eq!(items[0].scores.nps.map(|n| n.value()), Some(7));
}

#[test]
fn a_column_the_header_lacks_fails_the_file_naming_the_header() {
    let error = read_feedback(
        &b"id,when,body,nps\n"[..],
        "x.csv",
        &mapping(SURVEY),
        &options(),
    )
    .err()
    .unwrap();
    assert!(matches!(error, FileError::MissingColumn { .. }));
    assert_eq!(
        error.to_string(),
        "file x.csv: the time column 'time' is not in the header; \
         the header has: id, when, body, nps"
    );
    let error = read_feedback(&b""[..], "x.csv", &mapping(SURVEY), &options())
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "file x.csv: no header line: the file is empty"
    );
}

#[test]
fn a_mapping_built_in_code_is_checked_when_the_file_is_opened() {
    let mut built = Mapping::new(
        trove_domain::Label::parse("source", "flags").unwrap(),
        Channel::Survey,
    );
    let error = read_feedback(&b"body\nhi\n"[..], "f.csv", &built, &options())
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "file f.csv: mapping (built in code): name a text column, a score column (nps, csat, ces) or theme columns"
    );
    built.columns.set("text", "body").unwrap();
    let (items, _) = read_all(b"body\nhi\n", "f.csv", &built);
    assert_eq!(items[0].text.as_str(), "hi");
}

#[test]
fn header_names_match_without_case_or_surrounding_spaces_and_a_bom_is_skipped() {
    let (items, errors) = read_all(
        b"\xEF\xBB\xBF\"ID\", Time ,Text,NPS\n1,2015-02-24,hi,3\n",
        "bom.csv",
        &mapping(SURVEY),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ids(&items), ["1"]);
}

#[test]
fn values_over_the_domain_limits_are_rejected_by_name() {
    let toml = format!("{SURVEY}business_unit = \"unit\"\n");
    let long_text = "x".repeat(70_000);
    let long_unit = "u".repeat(201);
    let csv = format!(
        "id,time,text,nps,unit\n1,2015-02-24,{long_text},1,a\n2,2015-02-24,ok,1,{long_unit}\n"
    );
    let (items, errors) = read_all(csv.as_bytes(), "big.csv", &mapping(&toml));
    assert!(items.is_empty());
    assert_eq!(
        errors[0].to_string(),
        "big.csv:2: column text: text is 70000 bytes, over the limit of 65536"
    );
    assert_eq!(
        errors[1].to_string(),
        "big.csv:3: column unit: business unit is 201 bytes, over the limit of 200"
    );
}

#[test]
fn a_field_over_the_limit_rejects_its_row_and_reading_goes_on() {
    let mut csv = b"id,time,text,nps\n1,2015-02-24,ok,1\n2,2015-02-24,\"".to_vec();
    csv.extend(std::iter::repeat_n(b'x', 5000));
    csv.extend(b"\",2\n3,2015-02-24,after,3\n");
    let options = ReadOptions {
        max_field_bytes: 1000,
        ..options()
    };
    let (items, errors) = read_with(&csv, "big.csv", &mapping(SURVEY), &options);
    assert_eq!(ids(&items), ["1", "3"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "big.csv:3: column text: field of 5000 bytes exceeds the limit of 1000 bytes"
    );
    assert!(!errors[0].kind.stops_reading());
}

#[test]
fn a_runaway_quote_stops_reading_at_its_line() {
    let mut csv = b"id,time,text,nps\r\n1,2015-02-24,ok,1\r\n2,2015-02-24,\"".to_vec();
    csv.extend(std::iter::repeat_n(b"x\r\n3,2015-02-24,lost,3\r\n", 500).flatten());
    let options = ReadOptions {
        max_field_bytes: 1000,
        ..options()
    };
    let (items, errors) = read_with(&csv, "runaway.csv", &mapping(SURVEY), &options);
    assert_eq!(ids(&items), ["1"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 3);
    assert_eq!(errors[0].kind, RowErrorKind::UnclosedQuote);
    assert!(errors[0].kind.stops_reading());
}

#[test]
fn an_empty_time_is_an_error_and_an_empty_id_falls_back_to_a_content_hash() {
    let csv = "id,time,text,nps\n,2015-02-24,no id,1\n2,,no time,1\n3,2015-02-24,,\n";
    let (items, errors) = read_all(csv.as_bytes(), "gaps.csv", &mapping(SURVEY));
    assert_eq!(items.len(), 1);
    assert!(items[0].external_id.as_str().starts_with("h:"));
    assert_eq!(
        errors[0].to_string(),
        "gaps.csv:3: column time: received time is empty"
    );
    assert_eq!(
        errors[1].to_string(),
        "gaps.csv:4: the row has no text, no score and no theme"
    );
}

#[test]
fn times_with_offsets_are_stored_as_utc_with_the_original_offset_and_the_default_applies_otherwise()
{
    let toml = format!("{SURVEY}[time]\ndefault_offset = \"-05:00\"\n");
    let csv = "id,time,text,nps\n1,2015-02-24 11:35:52 -0800,a,1\n2,2015-02-24T11:35:52,b,1\n3,2015-02-24,c,1\n";
    let (items, errors) = read_all(csv.as_bytes(), "t.csv", &mapping(&toml));
    assert!(errors.is_empty(), "{errors:?}");
    let got: Vec<(String, i32)> = items
        .iter()
        .map(|i| {
            (
                i.received_at.timestamp().to_string(),
                i.received_at.offset_seconds() / 3600,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2015-02-24T19:35:52Z".to_owned(), -8),
            ("2015-02-24T16:35:52Z".to_owned(), -5),
            ("2015-02-24T05:00:00Z".to_owned(), -5)
        ]
    );
}

#[test]
fn files_without_a_time_column_are_received_at_the_import_time() {
    let toml = "source = \"q\"\nchannel = \"chat\"\n[columns]\ntext = \"text\"\n";
    let (items, _) = read_all(b"text\nhello\n", "q.csv", &mapping(toml));
    assert_eq!(
        items[0].received_at.timestamp(),
        "2025-01-01T00:00:00Z".parse::<Timestamp>().unwrap()
    );
}

const NO_ID: &str = r#"
source = "queries"
channel = "chat"
[columns]
text = "text"
[themes]
columns = ["category"]
"#;

#[test]
fn content_hash_ids_are_stable_across_reads_and_differ_for_different_content() {
    let csv = b"text,category\nwhere is my card?,card_arrival\nwhere is my card?,card_lost\nhi,greeting\n";
    let (first, _) = read_all(csv, "q.csv", &mapping(NO_ID));
    let later = ReadOptions {
        import_time: "2030-06-01T00:00:00Z".parse().unwrap(),
        mask_pii: false,
        ..options()
    };
    let (second, _) = read_with(csv, "q.csv", &mapping(NO_ID), &later);
    assert_eq!(ids(&first), ids(&second));
    assert!(
        first
            .iter()
            .all(|i| i.external_id.as_str().starts_with("h:"))
    );
    let distinct: HashSet<&str> = ids(&first).into_iter().collect();
    assert_eq!(distinct.len(), 3, "same text, other category: another id");
    let (other, _) = read_all(
        b"category,text\ngreeting,hi\n",
        "reordered.csv",
        &mapping(NO_ID),
    );
    assert_eq!(
        other[0].external_id, first[2].external_id,
        "column order in the file does not matter"
    );
}

#[test]
fn personal_data_in_text_and_attributes_is_masked_unless_turned_off() {
    let toml = format!("{SURVEY}[attributes]\ncolumns = [\"note\"]\n");
    let csv =
        "id,time,text,nps,note\n1,2015-02-24,mail me at ana@example.com,1,call (555) 123-4567\n";
    let (items, _) = read_all(csv.as_bytes(), "p.csv", &mapping(&toml));
    assert_eq!(items[0].text.as_str(), "mail me at [email]");
    assert_eq!(items[0].attributes.get("note"), Some("call [phone]"));
    let (items, _) = read_with(
        csv.as_bytes(),
        "p.csv",
        &mapping(&toml),
        &ReadOptions {
            mask_pii: false,
            ..options()
        },
    );
    assert_eq!(items[0].text.as_str(), "mail me at ana@example.com");
}

#[test]
fn channels_themes_and_attributes_come_from_their_columns() {
    let toml = r#"
source = "mixed"
channel_column = "via"
[columns]
text = "text"
customer = "who"
[themes]
columns = ["issue", "sub"]
separator = ";"
[attributes]
columns = ["Submitted via", "empty"]
rename = { "Submitted via" = "submitted_via" }
"#;
    let csv = "via,text,who,issue,sub,Submitted via,empty\n\
               Employee note,hello,c-1,Billing;Fees,Fees,Phone,\n\
               fax,hello,c-2,Billing,,Web,\n";
    let (items, errors) = read_all(csv.as_bytes(), "m.csv", &mapping(toml));
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.channel, Channel::EmployeeNote);
    assert_eq!(item.customer_id.as_ref().map(|c| c.as_str()), Some("c-1"));
    let themes: Vec<&str> = item.source_themes.iter().map(|t| t.as_str()).collect();
    assert_eq!(themes, ["Billing", "Fees"]);
    assert_eq!(
        item.attributes.iter().collect::<Vec<_>>(),
        [("submitted_via", "Phone")]
    );
    assert_eq!(errors[0].column.as_deref(), Some("via"));
    assert!(
        errors[0]
            .kind
            .to_string()
            .contains("expected one of survey"),
        "{}",
        errors[0]
    );
}

const JSON: &str = r#"
source = "app"
channel = "review"
[columns]
id = "id"
time = "meta.created"
text = "body"
csat = "rating"
customer = "user.id"
[themes]
columns = ["tags"]
[attributes]
columns = ["meta.version", "store.name"]
"#;

#[test]
fn json_lines_read_nested_keys_numbers_and_arrays_and_report_bad_lines() {
    let lines = concat!(
        r#"{"id": 17, "meta": {"created": "2024-03-01T10:00:00+01:00", "version": 2.5}, "body": "Love it", "rating": 5, "user": {"id": "u-1"}, "tags": ["ui", "speed"], "store.name": "apple"}"#,
        "\n\n",
        "{\"id\": 18, \"body\": \"broken\"\n",
        "[1, 2]\n",
        r#"{"id": "19", "meta": {"created": "2024-03-02"}, "body": {"nested": true}}"#,
        "\r\n",
        r#"{"id": "20", "meta": {"created": "2024-03-02"}, "rating": "4", "body": null, "tags": "plain"}"#,
        "\n",
    );
    let (items, errors) = read_all(lines.as_bytes(), "reviews.jsonl", &mapping(JSON));
    assert_eq!(ids(&items), ["17", "20"]);
    let first = &items[0];
    assert_eq!(
        first.received_at.timestamp().to_string(),
        "2024-03-01T09:00:00Z"
    );
    assert_eq!(first.customer_id.as_ref().map(|c| c.as_str()), Some("u-1"));
    assert_eq!(first.scores.csat.map(|c| c.value()), Some(5));
    assert_eq!(
        first
            .source_themes
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
        ["ui", "speed"]
    );
    assert_eq!(first.attributes.get("meta.version"), Some("2.5"));
    assert_eq!(
        first.attributes.get("store.name"),
        Some("apple"),
        "a key with a dot is found as written"
    );
    assert_eq!(items[1].source_themes[0].as_str(), "plain");
    let found: Vec<(u64, Option<&str>)> = errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert_eq!(found, [(3, None), (4, None), (5, Some("body"))]);
    assert!(
        errors[0]
            .to_string()
            .starts_with("reviews.jsonl:3: invalid JSON at column"),
        "{}",
        errors[0]
    );
    assert_eq!(
        errors[1].kind.to_string(),
        "expected a JSON object, found an array"
    );
    assert_eq!(
        errors[2].kind.to_string(),
        "expected a string, number or boolean, found an object"
    );
}

#[test]
fn rejected_json_lines_keep_the_line_with_the_reason_added() {
    let lines = "{\"id\": 1, \"body\": \"x\", \"meta\": {\"created\": \"soon\"}}\nnot json\n";
    let mut reader =
        read_feedback(lines.as_bytes(), "r.jsonl", &mapping(JSON), &options()).unwrap();
    let mut rejected = reader.rejected_writer(Vec::new());
    for error in reader.by_ref().filter_map(Result::err) {
        rejected.write(&error).unwrap();
    }
    assert_eq!(rejected.extension(), "jsonl");
    let out = String::from_utf8(rejected.finish().unwrap()).unwrap();
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["body"], "x");
    assert!(
        rows[0]["trove_error"]
            .as_str()
            .unwrap()
            .starts_with("r.jsonl:1: column meta.created: cannot read time")
    );
    assert_eq!(rows[1]["trove_original"], "not json");
}

#[test]
fn json_lines_with_invalid_utf8_or_overlong_lines_are_rejected_and_reading_goes_on() {
    let mut lines = b"{\"id\": 1, \"body\": \"caf\xe9\"}\n".to_vec();
    lines.extend_from_slice(
        format!("{{\"id\": 2, \"body\": \"{}\"}}\n", "y".repeat(300)).as_bytes(),
    );
    lines.extend_from_slice(
        "{\"id\": 3, \"body\": \"fine ✓\", \"meta\": {\"created\": \"2024-01-01\"}}".as_bytes(),
    );
    let options = ReadOptions {
        max_field_bytes: 200,
        ..options()
    };
    let (items, errors) = read_with(&lines, "u.jsonl", &mapping(JSON), &options);
    assert_eq!(ids(&items), ["3"]);
    assert_eq!(
        errors[0].to_string(),
        "u.jsonl:1: invalid UTF-8 at byte 22: it reads as Windows-1252 \
         \"{\\\"id\\\": 1, \\\"body\\\": \\\"café\\\"}\": try --encoding windows-1252"
    );
    assert_eq!(
        errors[1].to_string(),
        "u.jsonl:2: the line is over the limit of 200 bytes"
    );
}

#[test]
fn customers_read_with_default_names_and_report_bad_values() {
    let csv = "id,name,email,segment,lifetime_value,currency,first_seen,churned\n\
               c-1,Ana,ana@example.com,SMB,\"1,234.50\",eur,2019-03-01,no\n\
               c-2,Bo,,,,,,\n\
               ,Nobody,,,,,,\n\
               c-4,Al,al-at-example,,,,,\n\
               c-5,Cy,,,,,,maybe\n\
               c-6,Di,,,12,,,\n";
    let mapping = CustomerMapping::default();
    let rows: Vec<_> = read_customers(csv.as_bytes(), "customers.csv", &mapping, &options())
        .unwrap()
        .collect();
    let first = rows[0].as_ref().unwrap();
    assert_eq!(first.id.as_str(), "c-1");
    assert_eq!(
        first.value.map(|m| m.to_string()),
        Some("1234.50 EUR".into())
    );
    assert_eq!(
        first.first_seen.map(|d| d.to_string()),
        Some("2019-03-01".into())
    );
    assert!(!first.churned);
    assert!(rows[1].as_ref().unwrap().value.is_none());
    let errors: Vec<String> = rows
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors[0],
        "customers.csv:4: column id: customer id is empty"
    );
    assert!(
        errors[1]
            .starts_with("customers.csv:5: column email: email \"al-at-example\" is not valid"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].starts_with("customers.csv:6: column churned: churned flag \"maybe\""),
        "{}",
        errors[2]
    );
    assert_eq!(
        errors[3],
        "customers.csv:7: column lifetime_value: lifetime value \"12\" is not valid: \
         no currency: add a currency column or set currency in the mapping"
    );
}

#[test]
fn customers_read_with_an_explicit_mapping_and_a_fixed_currency() {
    let toml = "currency = \"USD\"\ndelimiter = \";\"\n[columns]\nid = \"Customer\"\nvalue = \"LTV\"\nchurned = \"Left\"\n";
    let mapping = CustomerMapping::from_toml_str(toml, "c.toml").unwrap();
    let csv = "Customer;LTV;Left\nk1;99.9;yes\n";
    let rows: Vec<_> = read_customers(csv.as_bytes(), "c.csv", &mapping, &options())
        .unwrap()
        .collect();
    let customer = rows[0].as_ref().unwrap();
    assert_eq!(customer.value.map(|m| m.minor()), Some(9990));
    assert!(customer.churned);
    let missing = read_customers(&b"Id;LTV\n"[..], "c.csv", &mapping, &options())
        .err()
        .unwrap()
        .to_string();
    assert!(
        missing.contains("the id column 'Customer' is not in the header"),
        "{missing}"
    );
}

// ---- the real data sets -------------------------------------------------------------------

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
const MAPPINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../mappings");

struct Summary {
    items: Vec<FeedbackItem>,
    errors: Vec<RowError>,
}

/// Reads a real file with a shipped mapping, or `None` (with a message) when the data is absent.
fn real(file: &str, mapping_name: &str) -> Option<Summary> {
    let path = format!("{DATA}/{file}");
    let Ok(input) = std::fs::File::open(&path) else {
        eprintln!("skipped: {path} is absent (the shared data sets are not on this machine)");
        return None;
    };
    let mapping = Mapping::load(format!("{MAPPINGS}/{mapping_name}").as_ref()).unwrap();
    let mut summary = Summary {
        items: Vec::new(),
        errors: Vec::new(),
    };
    for row in read_feedback(std::io::BufReader::new(input), file, &mapping, &options()).unwrap() {
        match row {
            Ok(item) => summary.items.push(item),
            Err(error) => summary.errors.push(error),
        }
    }
    Some(summary)
}

fn distinct_ids(items: &[FeedbackItem]) -> usize {
    items
        .iter()
        .map(|i| i.external_id.as_str())
        .collect::<HashSet<_>>()
        .len()
}

#[test]
fn airline_tweets_read_fully_with_the_shipped_mapping() {
    let Some(s) = real("airline-tweets/Tweets.csv", "airline-tweets.toml") else {
        return;
    };
    assert!(
        s.errors.is_empty(),
        "{:#?}",
        &s.errors[..s.errors.len().min(5)]
    );
    assert_eq!(s.items.len(), 14_640);
    assert_eq!(distinct_ids(&s.items), 14_485);
    let first = &s.items[0];
    assert_eq!(first.external_id.as_str(), "570306133677760513");
    assert_eq!(
        first.received_at.timestamp().to_string(),
        "2015-02-24T19:35:52Z"
    );
    assert_eq!(first.received_at.offset_seconds(), -8 * 3600);
    assert_eq!(
        first.business_unit.as_ref().map(|b| b.as_str()),
        Some("Virgin America")
    );
    assert_eq!(
        first.customer_id.as_ref().map(|c| c.as_str()),
        Some("cairdin")
    );
    assert_eq!(first.attributes.get("airline_sentiment"), Some("neutral"));
    assert_eq!(first.channel, Channel::Social);
    let with_reason = s
        .items
        .iter()
        .filter(|i| !i.source_themes.is_empty())
        .count();
    assert_eq!(
        with_reason,
        14_640 - 5_462,
        "every negativereason becomes a theme"
    );
}

#[test]
fn cfpb_bofa_reads_every_complaint_with_its_issue_as_theme() {
    let Some(s) = real("cfpb-bofa/Consumer_Complaints.csv", "cfpb-bofa.toml") else {
        return;
    };
    assert!(
        s.errors.is_empty(),
        "{:#?}",
        &s.errors[..s.errors.len().min(5)]
    );
    assert_eq!(s.items.len(), 62_516);
    assert_eq!(distinct_ids(&s.items), 62_516);
    let first = &s.items[0];
    assert_eq!(first.external_id.as_str(), "4848023");
    assert_eq!(
        first.received_at.timestamp().to_string(),
        "2021-10-27T05:00:00Z"
    );
    assert_eq!(
        first.source_themes[0].as_str(),
        "Applying for a mortgage or refinancing an existing mortgage"
    );
    assert_eq!(first.region.as_ref().map(|r| r.as_str()), Some("NY"));
    assert_eq!(first.attributes.get("submitted_via"), Some("Referral"));
    assert!(
        s.items
            .iter()
            .all(|i| i.text.is_empty() && i.source_themes.len() == 1)
    );
    let issues: HashSet<&str> = s
        .items
        .iter()
        .map(|i| i.source_themes[0].as_str())
        .collect();
    assert_eq!(issues.len(), 76);
}

#[test]
fn cfpb_sample_reads_fully_with_narratives_where_given() {
    let Some(s) = real("cfpb-sample/complaints_sample.csv", "cfpb-sample.toml") else {
        return;
    };
    assert!(
        s.errors.is_empty(),
        "{:#?}",
        &s.errors[..s.errors.len().min(5)]
    );
    assert_eq!(s.items.len(), 6_623);
    assert_eq!(s.items.iter().filter(|i| !i.text.is_empty()).count(), 1_532);
    let companies: HashSet<&str> = s
        .items
        .iter()
        .filter_map(|i| i.business_unit.as_ref())
        .map(|b| b.as_str())
        .collect();
    assert_eq!(companies.len(), 710);
    let masked = s
        .items
        .iter()
        .filter(|i| i.text.as_str().contains("[email]") || i.text.as_str().contains("[phone]"));
    eprintln!(
        "cfpb-sample: {} narratives had personal data masked",
        masked.count()
    );
}

#[test]
fn banking77_reads_fully_with_content_hash_ids() {
    let Some(train) = real("banking77/train.csv", "banking77.toml") else {
        return;
    };
    let Some(test) = real("banking77/test.csv", "banking77.toml") else {
        return;
    };
    assert!(train.errors.is_empty() && test.errors.is_empty());
    assert_eq!((train.items.len(), test.items.len()), (10_003, 3_080));
    assert_eq!(distinct_ids(&train.items), 10_003);
    let categories: HashSet<&str> = train
        .items
        .iter()
        .map(|i| i.source_themes[0].as_str())
        .collect();
    assert_eq!(categories.len(), 77);
    let again = real("banking77/test.csv", "banking77.toml").map(|s| s.items);
    assert_eq!(
        again.as_deref().map(|items| items[0].external_id.clone()),
        Some(test.items[0].external_id.clone())
    );
}

// ---- throughput ---------------------------------------------------------------------------

/// `cargo test --release -p trove-ingest --test ingest -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check; run in release mode"]
fn throughput_of_reading_and_masking_a_generated_csv() {
    let rows = 500_000;
    let mut csv = Vec::with_capacity(rows * 300);
    csv.extend_from_slice(b"id,time,text,nps,unit\n");
    let words = [
        "the", "flight", "was", "late", "again", "and", "my", "bag", "lost", "gate", "crew",
        "great",
    ];
    for i in 0..rows {
        let mut text = String::with_capacity(220);
        let mut w = i;
        while text.len() < 200 {
            text.push_str(words[w % words.len()]);
            text.push(' ');
            w = w.wrapping_mul(31).wrapping_add(7);
        }
        if i % 50 == 0 {
            text.push_str("call 555-123-4567 or ana@example.com");
        }
        writeln!(
            csv,
            "{i},2015-02-{:02} 11:35:52 -0800,\"{text}\",{},Unit {}",
            1 + i % 28,
            i % 11,
            i % 7
        )
        .unwrap();
    }
    let toml =
        format!("{SURVEY}business_unit = \"unit\"\n[time]\nformat = \"%Y-%m-%d %H:%M:%S %z\"\n");
    let mapping = mapping(&toml);
    for (label, mask) in [("with masking", true), ("without masking", false)] {
        let options = ReadOptions {
            mask_pii: mask,
            ..options()
        };
        let started = std::time::Instant::now();
        let mut good = 0;
        for row in read_feedback(csv.as_slice(), "bench.csv", &mapping, &options).unwrap() {
            good += usize::from(row.is_ok());
        }
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(good, rows);
        eprintln!(
            "{label}: {rows} rows, {:.0} MB in {seconds:.2} s: {:.0} rows/s",
            csv.len() as f64 / 1e6,
            rows as f64 / seconds
        );
    }
}
