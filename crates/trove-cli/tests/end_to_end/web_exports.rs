//! End-to-end: exports of the items behind a number, from the command line (`trove export`),
//! the drill-down page (`/items.csv`, `/items.xlsx`) and the API (`/api/v1/items/export`),
//! on a demo database with an imported file of formulas and attributes. The workbook is
//! opened with `calamine` and checked row by row against the store; the counts are the
//! drill-down's; a formula in a customer's words never runs; a token limited to a business
//! unit exports that unit only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::net::TcpStream;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use common::web::{Server, encode, set_password};
use common::{demo, ok};
use trove_app::{EXPORT_COLUMNS, ItemsRequest};
use trove_store::{ItemPageAt, ListedItem, Store};
use trove_store_sqlite::SqliteStore;

const ADMIN: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";

/// The filter exported throughout: a chronic theme's detractors.
const FILTER: [(&str, &str); 2] = [("theme", "claim-payout-delay"), ("band", "detractor")];

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every item of the filter, newest first, as the store lists it.
fn stored(db: &Path, pairs: &[(&str, &str)]) -> Vec<ListedItem> {
    let owned: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let request = ItemsRequest::parse(&owned).unwrap();
    let store = SqliteStore::open(db).unwrap();
    let count = store.count_items(&request.query).unwrap();
    let all = store
        .list_items(&request.query, ItemPageAt::First, 1_000_000, Some(count))
        .unwrap();
    assert_eq!(all.len() as u64, count);
    all
}

/// A workbook's rows (sheet `Items`), header first.
fn sheet(bytes: Vec<u8>) -> Vec<Vec<Data>> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).expect("a workbook");
    assert_eq!(workbook.sheet_names(), ["Items"]);
    let formulas = workbook.worksheet_formula("Items").unwrap();
    assert!(
        formulas.used_cells().next().is_none(),
        "no cell is a formula"
    );
    let range = workbook.worksheet_range("Items").unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(x) => x.to_string(),
        Data::Int(n) => n.to_string(),
        other => panic!("an unexpected cell {other:?}"),
    }
}

/// The rows checked against the store: same items in the same order, the same scores,
/// business unit, themes, text and attributes.
fn check_rows(rows: &[Vec<Data>], items: &[ListedItem]) {
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(&header[..EXPORT_COLUMNS.len()], EXPORT_COLUMNS);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len() - 1, items.len(), "a row per item");
    for (row, item) in rows[1..].iter().zip(items) {
        let f = &item.feedback.item;
        assert_eq!(row[column("id")], Data::Float(item.feedback.id as f64));
        let nps = f.scores.nps.map(|s| f64::from(s.value()));
        assert_eq!(
            nps.map_or(Data::Empty, Data::Float),
            row[column("nps")],
            "{}",
            item.feedback.id
        );
        assert_eq!(text(&row[column("nps_band")]), "detractor");
        assert_eq!(
            text(&row[column("business_unit")]),
            f.business_unit.as_ref().map_or("", |b| b.as_str())
        );
        assert_eq!(text(&row[column("theme_ids")]), item.themes.join(" | "));
        assert_eq!(text(&row[column("text")]), f.text.as_str());
        for (key, value) in f.attributes.iter() {
            assert_eq!(text(&row[column(&format!("attr:{key}"))]), value);
        }
    }
}

/// A raw GET: status, headers (lowercase names) and the body's bytes, de-chunked.
fn fetch(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.address
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 4 + size..];
        }
        body = out;
    }
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, body)
}

fn heading_count(body: &str) -> u64 {
    let h1 = body.find("<h1").expect("a heading");
    let at = h1 + body[h1..].find('>').expect("a heading's tag") + 1;
    let digits: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[test]
fn exports_from_the_command_line_the_page_and_the_api_hold_the_drill_downs_items() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    // Customers who write formulas, with attributes of their own.
    let file = dir.path().join("formula.csv");
    std::fs::write(
        &file,
        "id,time,text,queue,nps\n\
         f1,2026-07-15T10:00:00Z,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",=1+1,2\n\
         f2,2026-07-16T10:00:00Z,@SUM(A1) and -2+3,billing,9\n",
    )
    .unwrap();
    let mapping = dir.path().join("formula.toml");
    std::fs::write(
        &mapping,
        "source = \"formula-test\"\nchannel = \"email\"\n[columns]\nid = \"id\"\ntime = \"time\"\n\
         text = \"text\"\nnps = \"nps\"\n[attributes]\ncolumns = [\"queue\"]\n",
    )
    .unwrap();
    ok(
        &db,
        &[
            "import",
            file.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );

    // The command line: the workbook and the CSV hold the same rows as the store.
    let items = stored(&db, &FILTER);
    assert!(items.len() > 100, "{} items", items.len());
    let xlsx = dir.path().join("out.xlsx");
    let csv = dir.path().join("out.csv");
    for (format, out) in [("xlsx", &xlsx), ("csv", &csv)] {
        ok(
            &db,
            &[
                "export",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
                "--theme",
                FILTER[0].1,
                "--band",
                FILTER[1].1,
            ],
        );
    }
    let rows = sheet(std::fs::read(&xlsx).unwrap());
    check_rows(&rows, &items);
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(csv_text.starts_with('\u{feff}'), "a byte order mark");
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, rows[0].iter().map(text).collect::<Vec<_>>());
    let ids: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    let workbook_ids: Vec<String> = rows[1..].iter().map(|r| text(&r[0])).collect();
    assert_eq!(ids, workbook_ids, "the CSV and the workbook agree");
    let refused = std::process::Command::new(common::TROVE)
        .args(["export", "--format", "csv", "--out"])
        .arg(dir.path().join("x.csv"))
        .args(["--band", "fans", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--band: `fans`"));
    assert!(!dir.path().join("x.csv").exists(), "no file when refused");

    // Formulas: prefixed in the CSV, plain strings in the workbook; attributes get columns.
    let formula = dir.path().join("formula-out");
    for format in ["csv", "xlsx"] {
        ok(
            &db,
            &[
                "export",
                "--format",
                format,
                "--out",
                formula.with_extension(format).to_str().unwrap(),
                "--source",
                "formula-test",
            ],
        );
    }
    let text_csv = std::fs::read_to_string(formula.with_extension("csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text_csv.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let by_queue: HashMap<&str, &csv::StringRecord> = records
        .iter()
        .map(|r| (r.get(at("attr:queue")).unwrap(), r))
        .collect();
    assert!(by_queue["'=1+1"][at("text")].starts_with("'=HYPERLINK"));
    assert!(by_queue["billing"][at("text")].starts_with("'@SUM"));
    let rows = sheet(std::fs::read(formula.with_extension("xlsx")).unwrap());
    let texts: Vec<String> = rows[1..].iter().map(|r| text(&r[at("text")])).collect();
    assert!(
        texts.iter().any(|t| t.starts_with("=HYPERLINK")),
        "{texts:?}"
    );

    // The page: the same count as the drill-down, the same rows as the command line.
    let log = dir.path().join("serve.log");
    ok(
        &db,
        &["user", "add", ADMIN, "--name", "Ann", "--role", "admin"],
    );
    assert!(set_password(&db, ADMIN, ADMIN, PASSWORD).status.success());
    let read = ok(
        &db,
        &[
            "token",
            "create",
            "--name",
            "motor",
            "--scope",
            "read",
            "--business-unit",
            "Personal Motor",
            "--as",
            ADMIN,
        ],
    )
    .trim()
    .to_owned();
    let server = Server::start(&db, &log);
    let session = server.sign_in(ADMIN, PASSWORD).session();
    let cookie = format!("trove_session={session}");
    let query = query_string(&FILTER);
    let page = server.get(&format!("/items?{query}"), Some(&session));
    assert_eq!(heading_count(&page.body), items.len() as u64);
    assert!(
        page.body
            .contains("/items.xlsx?theme=claim-payout-delay&#38;band=detractor")
    );
    let (status, head, body) = fetch(
        &server,
        &format!("/items.xlsx?{query}"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 200);
    assert!(head.contains("spreadsheetml.sheet"), "{head}");
    assert!(head.contains(".xlsx\""), "{head}");
    check_rows(&sheet(body), &items);

    // The API: a token limited to a business unit exports that unit only, counted as listed.
    let bearer = format!("Bearer {read}");
    let motor: Vec<ListedItem> = stored(&db, &[FILTER[0], FILTER[1], ("bu", "Personal Motor")]);
    assert!(!motor.is_empty() && motor.len() < items.len());
    let (status, _, listed) = fetch(
        &server,
        &format!("/api/v1/items?{query}&limit=500"),
        &[("Authorization", &bearer)],
    );
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_slice(&listed).unwrap();
    assert_eq!(listed["count"], motor.len() as u64, "{listed}");
    let (status, head, body) = fetch(
        &server,
        &format!("/api/v1/items/export?format=xlsx&{query}"),
        &[("Authorization", &bearer)],
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(head.contains("spreadsheetml.sheet"));
    check_rows(&sheet(body), &motor);
    let (status, _, body) = fetch(
        &server,
        &format!("/api/v1/items/export?format=csv&{query}&bu=Home"),
        &[("Authorization", &bearer)],
    );
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = fetch(&server, &format!("/api/v1/items/export?{query}"), &[]);
    assert_eq!(status, 401);
    let (status, _, body) = fetch(
        &server,
        "/api/v1/items/export?format=pdf",
        &[("Authorization", &bearer)],
    );
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("\"field\":\"format\""));
}
