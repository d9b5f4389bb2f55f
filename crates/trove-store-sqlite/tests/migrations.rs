//! A database made by an older Trove opens under this one with nothing lost.

use rusqlite::{Connection, params};
use trove_store::Store;
use trove_store_sqlite::SqliteStore;

/// The migrations up to 0006, as an older Trove applied them.
const BEFORE_0007: [(&str, &str); 6] = [
    (
        "0001_foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (
        "0002_taxonomy",
        include_str!("../migrations/0002_taxonomy.sql"),
    ),
    (
        "0003_analysis_runs",
        include_str!("../migrations/0003_analysis_runs.sql"),
    ),
    ("0004_models", include_str!("../migrations/0004_models.sql")),
    (
        "0005_sentiment",
        include_str!("../migrations/0005_sentiment.sql"),
    ),
    (
        "0006_workflow",
        include_str!("../migrations/0006_workflow.sql"),
    ),
];

#[test]
fn metric_values_stored_before_move_into_the_workflow_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    {
        let mut old = Connection::open(&path).expect("open");
        old.execute_batch(
            "CREATE TABLE schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .expect("bookkeeping");
        for (index, (name, sql)) in BEFORE_0007.iter().enumerate() {
            let tx = old.transaction().expect("tx");
            tx.execute_batch(sql).expect(name);
            tx.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2, 0)",
                params![index as i64 + 1, name],
            )
            .expect("record");
            tx.commit().expect("commit");
        }
        old.execute_batch(
            r#"INSERT INTO workflow_events VALUES (1, 100, 'ada@x.io', 'user_added', '{"change":"user_added"}');
               INSERT INTO metric_points VALUES ('refund-days', '2025-03-01', 12.0);
               INSERT INTO metric_points VALUES ('claims-checked', '2025-03-10', 0.75);
               INSERT INTO metric_points VALUES ('claims-checked', '2025-02-28', 0.1);"#,
        )
        .expect("old records");
    }
    let store = SqliteStore::open(&path).expect("opens and migrates");
    let events = store.events(0).expect("events");
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].kind, "user_added", "the log before is untouched");
    let payloads: Vec<serde_json::Value> = events[1..]
        .iter()
        .map(|e| {
            assert_eq!(
                (e.actor.as_str(), e.kind.as_str()),
                ("trove", "metrics_recorded")
            );
            serde_json::from_str(&e.payload).expect("JSON")
        })
        .collect();
    assert_eq!(events[1].seq, 2);
    assert_eq!(
        payloads,
        [
            serde_json::json!({"change": "metrics_recorded", "metric": "claims-checked",
                "values": [{"day": "2025-02-28", "value": 0.1}, {"day": "2025-03-10", "value": 0.75}]}),
            serde_json::json!({"change": "metrics_recorded", "metric": "refund-days",
                "values": [{"day": "2025-03-01", "value": 12.0}]}),
        ]
    );
    let connection = Connection::open(&path).expect("open");
    let gone: bool = connection
        .query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'metric_points')",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert!(gone, "the log is the only record of metric values");
}

#[test]
fn a_migration_numbered_below_the_newest_applied_is_still_applied() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("between-merges.db");
    drop(SqliteStore::open(&path).expect("a new database"));
    {
        // As if 0014 had been merged after a later migration was applied.
        let connection = Connection::open(&path).expect("open");
        connection
            .execute_batch(
                "DROP TABLE feedback_form_runs; DROP TABLE feedback_forms;
                 DELETE FROM schema_migrations WHERE version = 14;",
            )
            .expect("undo 0014");
    }
    let store = SqliteStore::open(&path).expect("opens and migrates");
    assert!(store.forms().expect("the forms table is back").is_empty());
    assert!(store.migrate().expect("migrate").is_empty(), "nothing left");
}

/// Every item's facts and links as the analysis scans them, for each origin.
fn scanned(store: &SqliteStore) -> Vec<Vec<trove_store::ItemThemes>> {
    use trove_store::{FeedbackFilter, ThemeOrigin};
    [ThemeOrigin::Any, ThemeOrigin::Rule, ThemeOrigin::Source]
        .into_iter()
        .map(|origin| {
            let mut all = Vec::new();
            store
                .scan_item_themes(&FeedbackFilter::default(), origin, 100, &mut |page| {
                    all.extend(page);
                    std::ops::ControlFlow::Continue(())
                })
                .expect("scan");
            all
        })
        .collect()
}

/// Every item's stored tags (by item id, 1 to 50), as the drill-down reads them.
fn item_tags(store: &SqliteStore) -> Vec<Vec<trove_store::StoredTag>> {
    (1..=50)
        .map(|id| store.item_tags(id).expect("an item's tags"))
        .collect()
}

#[test]
fn migration_0024_packs_the_links_stored_before_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    let before = {
        let store = SqliteStore::open(&path).expect("opens");
        let version = store
            .save_taxonomy_version(&trove_store::NewTaxonomyVersion {
                created_at: 1,
                toml: "v1".into(),
                diff: "{}".into(),
                themes: ["fee", "delay"]
                    .iter()
                    .map(|id| trove_store::ThemeRecord {
                        id: trove_domain::Slug::parse("id", id).expect("slug"),
                        name: trove_domain::Label::parse("name", id).expect("name"),
                        parent: None,
                        description: None,
                        stage: None,
                        departments: Vec::new(),
                    })
                    .collect(),
            })
            .expect("taxonomy");
        let items: Vec<trove_domain::FeedbackItem> = (0..50)
            .map(|i| trove_domain::FeedbackItem {
                source_themes: if i % 2 == 0 {
                    vec![trove_domain::Label::parse("theme", "Late Flight").expect("label")]
                } else {
                    Vec::new()
                },
                sentiment: Some(i as f32 / 70.0 - 0.3),
                ..trove_store::contract::item("s", &i.to_string())
            })
            .collect();
        let tag = |theme: &str, sentiment: Option<f32>| trove_store::RuleTag {
            theme: trove_domain::Slug::parse("theme", theme).expect("slug"),
            phrase: "words".into(),
            start: 0,
            end: 5,
            sentiment,
        };
        let tags: Vec<Vec<trove_store::RuleTag>> = (0..50)
            .map(|i| match i % 3 {
                0 => vec![tag("fee", Some(i as f32 / 51.0 - 0.4)), tag("delay", None)],
                1 => vec![tag("delay", Some(-(i as f32) / 97.0))],
                _ => Vec::new(),
            })
            .collect();
        store
            .insert_tagged_feedback(&items, None, &tags, version)
            .expect("tagged insert");
        (scanned(&store), item_tags(&store))
    };
    // As a database before 0024 (and so before 0031): no compact facts, the tags in a table
    // keyed by theme id, neither migration recorded.
    Connection::open(&path)
        .expect("open")
        .execute_batch(
            "DROP TABLE feedback_facts;
             CREATE TABLE old_tags AS SELECT * FROM feedback_themes;
             DROP VIEW feedback_themes; DROP TABLE feedback_tags;
             DROP TRIGGER themes_numbered; DROP TABLE theme_numbers;
             CREATE TABLE feedback_themes (feedback_id INTEGER NOT NULL, theme_id TEXT NOT NULL,
                 origin TEXT NOT NULL, phrase TEXT, start_offset INTEGER, end_offset INTEGER,
                 taxonomy_version INTEGER, model_version INTEGER, sentiment REAL,
                 PRIMARY KEY (feedback_id, theme_id, origin));
             INSERT INTO feedback_themes SELECT * FROM old_tags; DROP TABLE old_tags;
             DELETE FROM schema_migrations WHERE version IN (24, 31);",
        )
        .expect("undo 0024 and 0031");
    let store = SqliteStore::open(&path).expect("opens and migrates");
    assert_eq!((scanned(&store), item_tags(&store)), before);
    let (before, tags) = before;
    assert_eq!(before[0].len(), 50);
    assert_eq!(tags.iter().map(Vec::len).sum::<usize>(), 25 + 17 * 2 + 17);
    assert!(
        before[1]
            .iter()
            .any(|i| i.mention_sentiments.iter().any(Option::is_some))
    );
}

/// Tags keyed by theme numbers (0031) keep what the theme key guaranteed: a theme made by any
/// path gets a number, a tag naming no theme is refused, and a theme can be deleted only while
/// no tag names it.
#[test]
fn theme_numbers_keep_the_theme_key_guarantees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("numbers.db");
    let store = SqliteStore::open(&path).expect("opens");
    let mut item = trove_store::contract::item("s", "1");
    item.source_themes = vec![trove_domain::Label::parse("theme", "Late Flight").expect("label")];
    store.insert_feedback(&[item], None).expect("insert");
    let connection = Connection::open(&path).expect("open");
    connection
        .execute_batch(
            "PRAGMA foreign_keys = ON;
             INSERT INTO themes (id, name) VALUES ('unused', 'Unused'), ('fee', 'Fee');",
        )
        .expect("themes made directly");
    let numbered: Vec<String> = connection
        .prepare("SELECT theme_id FROM theme_numbers ORDER BY num")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .expect("numbers");
    assert_eq!(numbered, ["late-flight", "unused", "fee"]);
    let tagged: Vec<(String, String)> = connection
        .prepare("SELECT theme_id, origin FROM feedback_themes")
        .and_then(|mut s| {
            s.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .expect("the view");
    assert_eq!(tagged, [("late-flight".to_owned(), "source".to_owned())]);
    let refused = |sql: &str| connection.execute_batch(sql).expect_err(sql).to_string();
    assert!(
        refused("INSERT INTO feedback_tags (feedback_id, theme, origin) VALUES (1, 999, 'rule')")
            .contains("FOREIGN KEY")
    );
    assert!(refused("DELETE FROM themes WHERE id = 'late-flight'").contains("FOREIGN KEY"));
    connection
        .execute_batch("DELETE FROM themes WHERE id = 'unused'")
        .expect("a theme no tag names");
    let left: i64 = connection
        .query_row("SELECT COUNT(*) FROM theme_numbers", [], |row| row.get(0))
        .expect("count");
    assert_eq!(left, 2);
}

#[test]
fn migration_0028_fills_the_running_totals_from_the_facts() {
    use trove_domain::{Channel, Label, Nps, ScoreTally};
    use trove_store::{Dimension, FeedbackFilter};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    // 40 items over four months (30 days apart), three units (one of them none), two channels.
    let items: Vec<trove_domain::FeedbackItem> = (0..40_i64)
        .map(|i| {
            let mut item = trove_store::contract::item("s", &i.to_string());
            let at = jiff::Timestamp::from_second(1_735_689_600 + i % 4 * 30 * 86_400)
                .expect("an instant");
            item.received_at = trove_domain::ReceivedAt::new(at, jiff::tz::Offset::UTC);
            item.business_unit = [Some("Air"), Some("Rail"), None][(i % 3) as usize]
                .map(|unit| Label::parse("unit", unit).expect("a label"));
            item.channel = if i % 2 == 0 {
                Channel::Chat
            } else {
                Channel::Email
            };
            item.scores.nps = (i % 5 != 0).then(|| Nps::try_from(i % 11).expect("a score"));
            item
        })
        .collect();
    SqliteStore::open(&path)
        .expect("opens")
        .insert_feedback(&items, None)
        .expect("insert");
    // As a database before 0028: no running totals, the migration not recorded.
    Connection::open(&path)
        .expect("open")
        .execute_batch("DROP TABLE fact_totals; DELETE FROM schema_migrations WHERE version = 28;")
        .expect("undo 0028");
    let store = SqliteStore::open(&path).expect("opens and migrates");
    for dimension in [
        Dimension::Month,
        Dimension::BusinessUnit,
        Dimension::Channel,
    ] {
        let mut expected: std::collections::BTreeMap<Option<String>, ScoreTally> =
            Default::default();
        for item in &items {
            let key = match dimension {
                Dimension::Month => Some(trove_store::month_of(item.received_at.unix_seconds())),
                Dimension::BusinessUnit => item.business_unit.as_ref().map(ToString::to_string),
                _ => Some(item.channel.as_str().to_owned()),
            };
            expected.entry(key).or_default().add(&item.scores);
        }
        let got: Vec<(Option<String>, ScoreTally)> = store
            .tally_by(dimension, &FeedbackFilter::default())
            .expect("tally")
            .into_iter()
            .map(|group| (group.key, group.tally))
            .collect();
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>());
    }
    let kept: i64 = Connection::open(&path)
        .expect("open")
        .query_row("SELECT count(*) FROM fact_totals", [], |row| row.get(0))
        .expect("count");
    // One row per month and unit (the channel follows the month here).
    assert_eq!(kept, 4 * 3);
}

#[test]
fn migration_0029_finds_each_import_s_items_stored_before_it_by_their_id_ranges() {
    use trove_store::{FeedbackFilter, NewImportRun};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    let items = |from: u32, to: u32| -> Vec<trove_domain::FeedbackItem> {
        (from..to)
            .map(|i| trove_store::contract::item("s", &i.to_string()))
            .collect()
    };
    let run = |store: &SqliteStore, file: &str| {
        store
            .start_import(&NewImportRun {
                kind: "feedback".into(),
                source: "s".into(),
                file: file.into(),
                started_at: 1_700_000_000,
            })
            .expect("a run")
    };
    let (first, second) = {
        let store = SqliteStore::open(&path).expect("opens");
        let (a, b) = (run(&store, "a.csv"), run(&store, "b.csv"));
        // a a a | b b | none | a a | b: a's items in two islands.
        for (range, hold) in [
            (0..3, Some(&a)),
            (3..5, Some(&b)),
            (5..6, None),
            (6..8, Some(&a)),
            (8..9, Some(&b)),
        ] {
            store
                .insert_feedback(&items(range.start, range.end), hold.map(|h| h.id()))
                .expect("insert");
        }
        (a.id(), b.id())
    };
    // As a database before 0029: the run index, no ranges, the migration not recorded.
    Connection::open(&path)
        .expect("open")
        .execute_batch(
            "DROP TABLE import_run_ranges; DELETE FROM schema_migrations WHERE version = 29;
             CREATE INDEX feedback_import_run ON feedback (import_run_id);",
        )
        .expect("undo 0029");
    let store = SqliteStore::open(&path).expect("opens and migrates");
    let ranges: Vec<(i64, i64, i64)> = {
        let connection = Connection::open(&path).expect("open");
        let mut statement = connection
            .prepare("SELECT run_id, first_id, last_id FROM import_run_ranges ORDER BY first_id")
            .expect("prepare");
        statement
            .query_map(params![], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    // One range per island of consecutive ids among the items with a run.
    assert_eq!(
        ranges,
        [(first, 1, 3), (second, 4, 5), (first, 7, 8), (second, 9, 9)]
    );
    assert_eq!(
        store.delete_import(first, 1_800_000_000).expect("delete"),
        5
    );
    let left: Vec<String> = store
        .feedback_items(&(1..=9).collect::<Vec<_>>())
        .expect("items")
        .into_iter()
        .map(|listed| listed.feedback.item.external_id.as_str().to_owned())
        .collect();
    assert_eq!(left, ["3", "4", "5", "8"]);
    assert_eq!(
        store
            .count_feedback(&FeedbackFilter::default())
            .expect("count"),
        4
    );
    let index: i64 = Connection::open(&path)
        .expect("open")
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'feedback_import_run'",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(index, 0, "the run index is gone");
}
