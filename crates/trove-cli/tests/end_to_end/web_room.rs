//! End-to-end: the Customer Room (`GET /`) of `trove serve` on a demo database, over real HTTP.
//! The filter in the URL changes the figures; every stage is shown in journey order; every
//! count links to a drill-down whose query selects exactly that many items (counted here
//! straight from the store, the way the drill-down counts: items, not mentions, a theme with
//! its descendants, a stage by its themes' placement); a viewer sees no edit control.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

use common::web::{Server, escaped};
use common::{demo, ok};
use trove_store::{Dimension, FeedbackFilter, Store, ThemeOrigin};
use trove_store_sqlite::SqliteStore;

const ADMIN: &str = "ada@example.com";
const VIEWER: &str = "val@example.com";
const PASSWORD: &str = "a long room passphrase";

fn set_password(db: &Path, email: &str) {
    let output = common::web::set_password(db, ADMIN, email, PASSWORD);
    assert!(output.status.success());
}

/// Every `href` on the page whose link has class `count`, with its text: (query, number).
fn count_links(body: &str) -> Vec<(String, u64)> {
    body.split("<a href=\"/items?")
        .skip(1)
        .filter_map(|rest| {
            let (query, after) = rest.split_once('"')?;
            let after = after.strip_prefix(" class=\"count\">")?;
            let number = after.split('<').next()?.replace(',', "");
            Some((
                query.replace("&#38;", "&").replace("&amp;", "&"),
                number.parse().ok()?,
            ))
        })
        .collect()
}

fn query_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%20", " ")))
        .collect()
}

/// Unix seconds of the start of a `YYYY-MM-DD` day (UTC).
fn day_start(day: &str) -> i64 {
    let date: jiff::civil::Date = day.parse().unwrap();
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second()
}

/// Each theme's parent and own stage, from the store.
struct Themes(HashMap<String, (Option<String>, Option<String>)>);

impl Themes {
    fn load(store: &SqliteStore) -> Self {
        let records = store.theme_records().unwrap().into_iter().map(|t| {
            let t = t.theme;
            let parent = t.parent.map(|p| p.as_str().to_owned());
            let stage = t.stage.map(|s| s.as_str().to_owned());
            (t.id.as_str().to_owned(), (parent, stage))
        });
        Self(records.collect())
    }

    /// The theme and its ancestors, nearest first.
    fn lineage(&self, theme: &str) -> Vec<String> {
        let mut line = vec![theme.to_owned()];
        while let Some((Some(parent), _)) = self.0.get(line.last().unwrap()) {
            if line.len() > self.0.len() {
                break;
            }
            line.push(parent.clone());
        }
        line
    }

    /// The theme's own stage, else its nearest ancestor's.
    fn stage(&self, theme: &str) -> Option<String> {
        self.lineage(theme)
            .iter()
            .find_map(|t| self.0.get(t).and_then(|(_, stage)| stage.clone()))
    }
}

/// The items a drill-down query selects, counted from the store the way the drill-down
/// counts: each item once, in `[from, to)` and the business unit; with `theme`, items
/// carrying it or a descendant; with `stage`, items carrying a theme placed there; with
/// `band`, items whose NPS answer is in the band.
fn drill_down_count(store: &SqliteStore, themes: &Themes, query: &HashMap<String, String>) -> u64 {
    let filter = FeedbackFilter {
        since: Some(day_start(&query["from"])),
        until: Some(day_start(&query["to"])),
        business_unit: query.get("bu").cloned(),
        ..FeedbackFilter::default()
    };
    let wanted = |item: &trove_store::ItemThemes| {
        let theme_ok = query.get("theme").is_none_or(|wanted| {
            item.themes
                .iter()
                .any(|t| themes.lineage(t).contains(wanted))
        });
        let stage_ok = query.get("stage").is_none_or(|wanted| {
            item.themes
                .iter()
                .any(|t| themes.stage(t).as_ref() == Some(wanted))
        });
        let band_ok = query.get("band").is_none_or(|band| {
            item.scores.nps.is_some_and(|n| {
                let band_of = match n.value() {
                    9.. => "promoter",
                    7..=8 => "passive",
                    _ => "detractor",
                };
                band_of == band
            })
        });
        theme_ok && stage_ok && band_ok
    };
    let mut count = 0;
    store
        .scan_item_themes(&filter, ThemeOrigin::Any, 10_000, &mut |page| {
            count += page.iter().filter(|item| wanted(item)).count() as u64;
            ControlFlow::Continue(())
        })
        .unwrap();
    count
}

/// The last month of the data that is not still filling up (under half the median volume of
/// the others), from the store's monthly counts.
fn last_complete_month(store: &SqliteStore) -> String {
    let months = store
        .tally_by(Dimension::Month, &FeedbackFilter::default())
        .unwrap();
    let (last, rest) = months.split_last().unwrap();
    let mut volumes: Vec<u64> = rest.iter().map(|g| g.tally.items).collect();
    volumes.sort_unstable();
    let complete = if last.tally.items * 2 < volumes[volumes.len() / 2] {
        rest.last().unwrap()
    } else {
        last
    };
    complete.key.clone().unwrap()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} on the page"))
        + start.len();
    body[from..].split(end).next().unwrap()
}

#[test]
fn the_room_follows_its_filters_and_links_each_count_to_exactly_its_items() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    ok(
        &db,
        &["user", "add", ADMIN, "--name", "Ada", "--role", "admin"],
    );
    let viewer = [
        "user", "add", VIEWER, "--name", "Val", "--role", "viewer", "--as", ADMIN,
    ];
    ok(&db, &viewer);
    set_password(&db, VIEWER);
    let store = SqliteStore::open(&db).unwrap();
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let session = server.sign_in(VIEWER, PASSWORD).session();

    // By default: the last complete month of the data (not the calendar's), against the one
    // before.
    let room = server.get("/", Some(&session));
    assert_eq!(room.status, 200, "{}", room.body);
    let month = last_complete_month(&store);
    assert!(
        room.body
            .contains(&format!("<option value=\"{month}\" selected>")),
        "{month} is the default period"
    );
    assert!(room.body.contains(&format!("{month} compared with")));

    // Every stage, in journey order.
    let company = trove_demo::generate(&trove_demo::DemoConfig::default()).unwrap();
    let mut last = 0;
    for stage in company.journey.stages() {
        let heading = format!("<h3>{}</h3>", escaped(stage.name.as_str()));
        let at = room
            .body
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading}"));
        assert!(at > last, "stages in journey order: {heading}");
        last = at;
    }

    // A viewer sees no edit control: the only form that posts is sign-out.
    assert_eq!(room.body.matches("method=\"post\"").count(), 1);
    assert!(room.body.contains("action=\"/signout\""));

    // Each count links to the drill-down of exactly those items: the period's, each NPS
    // band's, each stage's, and two per chronic issue (the period and the six months).
    let themes = Themes::load(&store);
    let links = count_links(&room.body);
    let with = |name: &str| {
        links
            .iter()
            .filter(|(q, _)| query_pairs(q).contains_key(name))
            .count()
    };
    assert_eq!(with("stage"), company.journey.stages().len(), "{links:?}");
    assert_eq!(with("band"), 3, "{links:?}");
    assert!(
        with("theme") >= 10,
        "two counts per chronic issue: {links:?}"
    );
    for (query, shown) in &links {
        let pairs = query_pairs(query);
        assert!(
            pairs.contains_key("from") && pairs.contains_key("to"),
            "{query}"
        );
        let counted = drill_down_count(&store, &themes, &pairs);
        assert_eq!(counted, *shown, "/items?{query}");
    }

    // The filter in the URL changes the figures, and the links carry it.
    let home = server.get(&format!("/?period={month}&bu=Home"), Some(&session));
    assert_eq!(home.status, 200);
    assert!(home.body.contains("<option value=\"Home\" selected>"));
    let items = |body: &str| between(body, "<p class=\"as-of\">", "</p>").to_owned();
    let headline = |body: &str| between(body, "<p class=\"big\">", "<").to_owned();
    assert_ne!(
        (items(&room.body), headline(&room.body)),
        (items(&home.body), headline(&home.body))
    );
    let home_links = count_links(&home.body);
    assert!(!home_links.is_empty());
    for (query, shown) in home_links.iter().take(8) {
        let pairs = query_pairs(query);
        assert_eq!(pairs.get("bu").map(String::as_str), Some("Home"), "{query}");
        assert_eq!(
            drill_down_count(&store, &themes, &pairs),
            *shown,
            "/items?{query}"
        );
    }

    // A quarter compared with the same quarter a year before.
    let quarter = between(&room.body, "<optgroup label=\"Quarters\">", "</optgroup>");
    let q = between(quarter, "<option value=\"", "\"").to_owned();
    let yearly = server.get(&format!("/?period={q}&compare=year"), Some(&session));
    assert_eq!(yearly.status, 200);
    let (year, n) = q.split_once("-Q").unwrap();
    let before = format!("{}-Q{n}", year.parse::<i32>().unwrap() - 1);
    assert!(
        yearly
            .body
            .contains(&format!("{q} compared with {before} (a year before)")),
        "{}",
        between(&yearly.body, "<p class=\"as-of\">", "</p>")
    );

    // A period the data does not have is said, not guessed.
    let unknown = server.get("/?period=1999-01", Some(&session));
    assert!(
        unknown
            .body
            .contains("The data has no complete period 1999-01")
    );
}
