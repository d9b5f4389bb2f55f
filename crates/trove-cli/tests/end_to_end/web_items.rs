//! End-to-end: the drill-down (`/items`, `/items.csv`) of `trove serve` on a demo database,
//! over real HTTP. Its count must be the number that linked to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::web::{Server, encode};
use common::{demo, json, ok};

const ADMIN: &str = "ann@example.com";
const PASSWORD: &str = "a long admin passphrase";

/// The count in the page's heading ("1,144 items mentioning ...").
fn heading_count(body: &str) -> u64 {
    let h1 = body.find("<h1").expect("a heading");
    let at = h1 + body[h1..].find('>').expect("a heading's tag") + 1;
    let digits: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a count heads the page: {}", &body[at..at + 80]))
}

/// Every link to the drill-down whose text is a number: (path, number).
fn numbers_linked(body: &str) -> Vec<(String, u64)> {
    body.split("<a href=\"/items?")
        .skip(1)
        .filter_map(|rest| {
            let (query, after) = rest.split_once('"')?;
            let text = after.split_once('>')?.1.split('<').next()?;
            let number = text.trim().replace(',', "").parse().ok()?;
            Some((
                format!(
                    "/items?{}",
                    query.replace("&#38;", "&").replace("&amp;", "&")
                ),
                number,
            ))
        })
        .collect()
}

/// The first day of month `YYYY-MM`, and of the month after it.
fn month_bounds(label: &str) -> (String, String) {
    let (year, month) = label.split_once('-').unwrap();
    let (year, month): (u32, u32) = (year.parse().unwrap(), month.parse().unwrap());
    let next = if month == 12 {
        format!("{}-01-01", year + 1)
    } else {
        format!("{year}-{:02}-01", month + 1)
    };
    (format!("{label}-01"), next)
}

#[test]
fn the_drill_down_shows_exactly_the_count_that_links_to_it_and_exports_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    // A customer who writes a formula: the export must not let a spreadsheet run it.
    let csv = dir.path().join("formula.csv");
    std::fs::write(
        &csv,
        "id,time,text\nf1,2026-07-15T10:00:00Z,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"\n",
    )
    .unwrap();
    let mapping = dir.path().join("formula.toml");
    std::fs::write(
        &mapping,
        "source = \"formula-test\"\nchannel = \"email\"\n[columns]\nid = \"id\"\ntime = \"time\"\ntext = \"text\"\n",
    )
    .unwrap();
    ok(
        &db,
        &[
            "import",
            csv.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    let analysis = json(&db, &["analyze", "--format", "json"]);
    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);
    let setup = server.setup_path.clone().unwrap();
    let form = format!(
        "name=Ann&email={}&password={}&confirm={}",
        encode(ADMIN),
        encode(PASSWORD),
        encode(PASSWORD)
    );
    let session = server.post(&setup, None, &form).session();
    let get = |path: &str| server.get(path, Some(&session));

    // Unauthenticated: sent to sign in.
    assert_eq!(server.get("/items", None).status, 303);

    // The analysis' volume of a theme over its window is the drill-down's count.
    let labels = analysis["window_labels"].as_array().unwrap();
    let (from, _) = month_bounds(labels[0].as_str().unwrap());
    let (_, to) = month_bounds(labels[1].as_str().unwrap());
    let themes = analysis["themes"].as_array().unwrap();
    assert!(themes.len() >= 4);
    for theme in themes.iter().take(4) {
        let id = theme["theme"].as_str().unwrap();
        let volume = theme["volume"].as_u64().unwrap();
        let path = format!("/items?from={from}&to={to}&theme={id}");
        let page = get(&path);
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(heading_count(&page.body), volume, "{id}: {path}");
        assert!(page.body.contains("<mark>"), "the matched phrase is marked");
        assert_eq!(page.body.matches("class=\"drill-item\"").count(), 50);
        assert!(page.body.contains("rel=\"next\""), "a next page link");

        // The CSV holds every one of them, a row each, with a BOM and a named file.
        let export = get(&format!("/items.csv?from={from}&to={to}&theme={id}"));
        assert_eq!(export.status, 200);
        assert!(
            export
                .header("content-type")
                .unwrap()
                .starts_with("text/csv")
        );
        let disposition = export.header("content-disposition").unwrap();
        assert!(
            disposition.contains(id) && disposition.ends_with(".csv\""),
            "{disposition}"
        );
        assert!(
            export.body.starts_with('\u{feff}'),
            "a UTF-8 byte order mark"
        );
        let mut reader =
            csv::Reader::from_reader(export.body.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header[0], "id");
        assert!(header.iter().any(|h| h == "themes"), "{header:?}");
        let rows = reader.records().map(Result::unwrap).count() as u64;
        assert_eq!(rows, volume, "{id}: CSV rows");
    }

    // Every number of the room and the ranking that links here shows exactly that many items.
    for page in ["/", "/ranking", "/themes/claim-payout-delay"] {
        let body = get(page).body;
        let mut links = numbers_linked(&body);
        links.sort();
        links.dedup();
        assert!(links.len() >= 2, "{page} links its numbers here: {links:?}");
        for (path, shown) in links.iter().take(30) {
            let drill = get(path);
            assert_eq!(drill.status, 200, "{path}: {}", drill.body);
            assert_eq!(
                heading_count(&drill.body),
                *shown,
                "{page} links {shown} to {path}"
            );
        }
    }

    // The chronic issues' totals over the window, and every item.
    let all = get(&format!("/items?from={from}&to={to}"));
    assert_eq!(
        heading_count(&all.body),
        analysis["items"].as_u64().unwrap(),
        "the window's items"
    );

    // Pages walk the list: the second page differs from the first, and goes back.
    let first = get("/items?theme=claim-payout-delay&band=detractor");
    let count = heading_count(&first.body);
    assert!(count > 50);
    let next = first.body.split("rel=\"next\"").next().unwrap();
    let href = next
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let second = get(&href.replace("&#38;", "&"));
    assert_eq!(second.status, 200);
    assert_eq!(
        heading_count(&second.body),
        count,
        "the count stays on every page"
    );
    assert!(second.body.contains("rel=\"prev\""));
    assert!(second.body.contains("detractor (NPS"));

    // A formula in a customer's words is neutralised in the export.
    let formula = get("/items.csv?source=formula-test");
    let mut reader =
        csv::Reader::from_reader(formula.body.trim_start_matches('\u{feff}').as_bytes());
    let text = reader.headers().unwrap().iter().position(|h| h == "text");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0][text.unwrap()].starts_with("'=HYPERLINK"),
        "{:?}",
        &rows[0]
    );

    // Bad values: 400, naming the field, never a 500.
    for (query, field) in [
        ("from=2026-13-01", "from: 2026-13-01 is not a date"),
        ("to=soon", "to: soon is not a date"),
        ("band=fans", "band: `fans` is not one of"),
        ("sentiment=angry", "sentiment: `angry` is not one of"),
        ("channel=pigeon", "channel: `pigeon` is not a channel"),
        (
            "theme=no-such-theme",
            "theme: no theme has the id `no-such-theme`",
        ),
        ("stage=no-such-stage", "stage: no journey stage has the id"),
        ("colour=red", "colour: is not a filter"),
        ("after=yesterday", "after: `yesterday` is not a position"),
    ] {
        for path in ["/items", "/items.csv"] {
            let reply = get(&format!("{path}?{query}"));
            assert_eq!(reply.status, 400, "{path}?{query}: {}", reply.body);
            assert!(
                reply.body.replace("&#96;", "`").contains(field),
                "{path}?{query} names the field: {}",
                reply.body
            );
        }
    }
}
