//! The store contract on PostgreSQL, each case in a fresh schema, and what only PostgreSQL
//! needs checking (passwords kept out of errors, concurrent openers, schema versions).
//!
//! The server comes from `TROVE_TEST_POSTGRES` (e.g. `postgres://trove:trove@localhost/trove_test`).
//! Without it the cases are skipped, except in CI, where `.ci/run` starts PostgreSQL and sets it.

use std::ops::ControlFlow;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use trove_domain::{FeedbackItem, FeedbackText, Label};
use trove_store::contract::item;
use trove_store::{FeedbackFilter, Store, StoreError};
use trove_store_postgres::PostgresStore;

const URL_VARIABLE: &str = "TROVE_TEST_POSTGRES";

/// The test server's URL; `None` (skip) outside CI when none is configured.
fn server_url() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{URL_VARIABLE} is not set: .ci/run starts PostgreSQL and sets it")
        }
        _ => None,
    }
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos()
}

/// A schema name no other test (in this process or another) uses.
fn fresh_schema_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("trove_test_{}_{n}_{}", std::process::id(), now_nanos())
}

/// Drops the schemas test runs left behind more than an hour ago (a test never drops its own,
/// so a failed case can be inspected for a while), once per test process.
fn drop_stale_schemas(url: &str) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut client =
            postgres::Client::connect(url, postgres::NoTls).expect("connect to the test server");
        let rows = client
            .query(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'trove\\_test\\_%'",
                &[],
            )
            .expect("list test schemas");
        let hour_ago = now_nanos().saturating_sub(Duration::from_secs(3600).as_nanos());
        for row in rows {
            let name: String = row.get(0);
            let created = name.rsplit('_').next().and_then(|n| n.parse::<u128>().ok());
            if created.is_some_and(|created| created < hour_ago) {
                // Another process may be dropping it too; either way it goes.
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        }
    });
}

fn fresh_postgres() -> Option<PostgresStore> {
    let url = server_url()?;
    drop_stale_schemas(&url);
    Some(
        PostgresStore::open_in_schema(&url, &fresh_schema_name())
            .expect("open a fresh PostgreSQL schema"),
    )
}

fn fresh_store() -> Option<Box<dyn Store>> {
    fresh_postgres().map(|store| Box::new(store) as Box<dyn Store>)
}

trove_store::contract_suite!(fresh_store);

#[test]
fn a_wrong_password_is_an_open_error_that_does_not_show_it() {
    let Some(url) = server_url() else { return };
    let secret = "not-the-password-4f2a9c";
    let wrong = match url
        .split_once("://")
        .and_then(|(scheme, rest)| Some((scheme, rest.rsplit_once('@')?)))
    {
        Some((scheme, (userinfo, location))) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:{secret}@{location}")
        }
        None => format!("{url} password={secret}"),
    };
    let error = PostgresStore::open(&wrong).expect_err("a wrong password is refused");
    let message = error.to_string();
    assert!(matches!(error, StoreError::Open { .. }), "{message}");
    assert!(!message.contains(secret), "{message}");
    assert!(!format!("{error:?}").contains(secret), "{error:?}");
    assert!(
        message.contains("password authentication failed"),
        "the server's reason is kept: {message}"
    );
}

#[test]
fn an_unreachable_server_is_an_open_error() {
    // Port 1 on the local machine: nothing listens there.
    let error = PostgresStore::open("postgres://trove:secret@127.0.0.1:1/trove?connect_timeout=5")
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Open { .. }), "{message}");
    assert!(
        message.starts_with("cannot open postgres://trove@127.0.0.1:1/trove"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
}

#[test]
fn stores_opened_at_once_on_a_new_schema_migrate_it_once() {
    let Some(url) = server_url() else { return };
    let schema = fresh_schema_name();
    let stores: Vec<PostgresStore> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PostgresStore::open_in_schema(&url, &schema)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic").expect("every opener succeeds"))
            .collect()
    });
    for store in &stores {
        assert!(store.migrate().unwrap().is_empty());
        assert_eq!(store.schema(), Some(schema.as_str()));
    }
}

/// The highest migration version a schema records, the future one left aside.
fn store_migrations(url: &str, schema: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connects");
    let sql =
        format!("SELECT MAX(version) FROM \"{schema}\".schema_migrations WHERE version < 999");
    client.query_one(&sql, &[]).expect("reads").get(0)
}

#[test]
fn a_database_with_a_newer_schema_is_refused() {
    let Some(url) = server_url() else { return };
    let schema = fresh_schema_name();
    drop(PostgresStore::open_in_schema(&url, &schema).unwrap());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .execute(
            &format!("INSERT INTO \"{schema}\".schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"),
            &[],
        )
        .unwrap();
    match PostgresStore::open_in_schema(&url, &schema) {
        Err(StoreError::SchemaTooNew { found, known }) => {
            let applied = store_migrations(&url, &schema);
            assert_eq!((found, known), (999, applied));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn a_scan_visitor_can_use_the_store_while_it_runs() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let batch: Vec<FeedbackItem> = (0..30).map(|i| item("s", &i.to_string())).collect();
    store.insert_feedback(&batch, None).unwrap();
    let mut pages = 0;
    store
        .scan_feedback(&FeedbackFilter::default(), 10, &mut |_| {
            pages += 1;
            // More calls than the pool has connections: none may be held by the scan.
            for _ in 0..=trove_store_postgres::MAX_CONNECTIONS {
                assert_eq!(
                    store.count_feedback(&FeedbackFilter::default()).unwrap(),
                    30
                );
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(pages, 3);
}

#[test]
fn threads_insert_at_once_without_losing_or_doubling_items() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    std::thread::scope(|scope| {
        for t in 0..4 {
            let store = &store;
            scope.spawn(move || {
                // Overlapping ids: every thread tries all 200, each is stored once.
                for chunk in 0..4 {
                    let batch: Vec<FeedbackItem> = (0..50)
                        .map(|i| item("s", &format!("{}", (chunk * 50 + i + t * 17) % 200)))
                        .collect();
                    store.insert_feedback(&batch, None).unwrap();
                }
            });
        }
    });
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        200
    );
}

/// `cargo test --release -p trove-store-postgres -- --ignored --nocapture inserting_200k`
#[test]
#[ignore = "a benchmark: run it by name"]
fn inserting_200k_items_in_batches_of_5000_reports_rows_per_second() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let filler = "The agent was helpful but the bill showed a fee nobody had mentioned, and the app kept \
                  logging me out while I tried to pay; it took three calls to sort it out in the end.";
    let themes = [
        Label::parse("theme", "Billing").unwrap(),
        Label::parse("theme", "App login").unwrap(),
    ];
    let total = 200_000;
    let batch_size = 5_000;
    let mut elapsed = Duration::ZERO;
    for start in (0..total).step_by(batch_size) {
        let batch: Vec<FeedbackItem> = (start..start + batch_size)
            .map(|i| FeedbackItem {
                text: FeedbackText::parse(&format!("#{i:06} {filler}")).unwrap(),
                source_themes: if i % 10 == 0 {
                    themes.to_vec()
                } else {
                    Vec::new()
                },
                ..item("bench", &format!("row-{i}"))
            })
            .collect();
        let began = Instant::now();
        let outcome = store.insert_feedback(&batch, None).unwrap();
        elapsed += began.elapsed();
        assert_eq!(outcome.inserted, batch_size as u64);
    }
    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "inserted {total} items in {:.2} s: {rate:.0} rows/s",
        elapsed.as_secs_f64()
    );
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        total as u64
    );
}

/// The migrations up to 0006, as an older Trove applied them.
const BEFORE_0007: [&str; 6] = [
    include_str!("../migrations/0001_foundation.sql"),
    include_str!("../migrations/0002_taxonomy.sql"),
    include_str!("../migrations/0003_analysis_runs.sql"),
    include_str!("../migrations/0004_models.sql"),
    include_str!("../migrations/0005_sentiment.sql"),
    include_str!("../migrations/0006_workflow.sql"),
];

#[test]
fn metric_values_stored_before_move_into_the_workflow_log() {
    let Some(url) = server_url() else { return };
    let schema = fresh_schema_name();
    {
        let mut old = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        old.batch_execute(&format!(
            "CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\";
             CREATE TABLE schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        ))
        .expect("schema");
        for (index, sql) in BEFORE_0007.iter().enumerate() {
            old.batch_execute(sql).expect("an old migration");
            old.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2, 0)",
                &[&(index as i64 + 1), &format!("{:04}_old", index + 1)],
            )
            .expect("record");
        }
        old.batch_execute(
            r#"INSERT INTO workflow_events VALUES (1, 100, 'ada@x.io', 'user_added', '{"change":"user_added"}');
               INSERT INTO metric_points VALUES ('refund-days', '2025-03-01', 12.0);
               INSERT INTO metric_points VALUES ('claims-checked', '2025-03-10', 0.75);
               INSERT INTO metric_points VALUES ('claims-checked', '2025-02-28', 0.1);"#,
        )
        .expect("old records");
    }
    let store = PostgresStore::open_in_schema(&url, &schema).expect("opens and migrates");
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
            // PostgreSQL writes 12.0 as 12: the same number to a JSON reader.
            serde_json::json!({"change": "metrics_recorded", "metric": "refund-days",
                "values": [{"day": "2025-03-01", "value": 12}]}),
        ]
    );
}

#[test]
fn links_are_packed_in_theme_order() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let mut client = raw_client(&store);
    trove_store::contract::links_are_packed_in_theme_order(&store, &mut || {
        client
            .query("SELECT themes FROM feedback_facts ORDER BY id", &[])
            .expect("reads")
            .iter()
            .map(|row| row.get(0))
            .collect()
    });
}

/// A connection to the store's schema, for what the store's API cannot do.
fn raw_client(store: &PostgresStore) -> postgres::Client {
    let url = server_url().expect("a configured server");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let schema = store.schema().expect("a test store has its own schema");
    client
        .batch_execute(&format!("SET search_path TO \"{schema}\""))
        .expect("search path");
    client
}

/// The SQLSTATE of a statement's error.
fn refusal(client: &mut postgres::Client, sql: &str) -> String {
    let error = client.batch_execute(sql).expect_err(sql);
    error
        .code()
        .map(|code| code.code().to_owned())
        .unwrap_or_default()
}

#[test]
fn keys_checked_per_statement_refuse_what_a_foreign_key_refused() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    store.insert_feedback(&[item("s", "1")], None).unwrap();
    let mut client = raw_client(&store);
    client
        .batch_execute(
            "INSERT INTO themes (id, name) VALUES ('fee', 'Fee');
             INSERT INTO feedback_tags (feedback_id, theme, origin)
                SELECT f.id, n.id, 'rule' FROM feedback f, theme_numbers n WHERE n.theme_id = 'fee'",
        )
        .expect("a tag naming a stored item and a theme's number");
    let tags = |client: &mut postgres::Client| -> Vec<(String, String)> {
        client
            .query("SELECT theme_id, origin FROM feedback_themes", &[])
            .expect("the tags with their theme ids")
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    };
    assert_eq!(tags(&mut client), [("fee".to_owned(), "rule".to_owned())]);
    let foreign_key = "23503";
    for sql in [
        "INSERT INTO feedback_tags (feedback_id, theme, origin) SELECT id, 424242, 'model' FROM feedback",
        "INSERT INTO feedback_tags (feedback_id, theme, origin) SELECT 424242, id, 'model' FROM theme_numbers",
        "UPDATE feedback_tags SET theme = 424242",
        "INSERT INTO feedback (source, external_id, channel, received_at, received_offset, text,
            import_run_id) VALUES ('s', '2', 'survey', 0, 0, 'x', 424242)",
        "DELETE FROM feedback",
        "DELETE FROM themes",
        "DELETE FROM theme_numbers",
        "UPDATE themes SET id = 'fees'",
        "UPDATE theme_numbers SET id = DEFAULT",
    ] {
        assert_eq!(refusal(&mut client, sql), foreign_key, "{sql}");
    }
    assert_eq!(tags(&mut client), [("fee".to_owned(), "rule".to_owned())]);
    client
        .batch_execute(
            "DELETE FROM feedback_tags; DELETE FROM feedback; DELETE FROM themes;
             INSERT INTO themes (id, name) VALUES ('late', 'Late'), ('later', 'Later');",
        )
        .expect("children first, then their parents");
    let numbered: Vec<String> = client
        .query("SELECT theme_id FROM theme_numbers ORDER BY id", &[])
        .expect("the numbers")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        numbered,
        ["late", "later"],
        "a deleted theme's number goes with it, and each new theme gets one"
    );
}

#[test]
fn threads_storing_the_same_large_batches_store_each_key_once() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let batch: Vec<FeedbackItem> = (0..4_000).map(|i| item("s", &format!("{i}"))).collect();
    let inserted: u64 = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..3)
            .map(|t| {
                let store = &store;
                let batch = &batch;
                scope.spawn(move || {
                    // Each thread stores the same keys, in a different order of batches.
                    let mut total = 0;
                    for part in 0..2 {
                        let half = &batch[((part + t) % 2) * 2_000..][..2_000];
                        total += store.insert_feedback(half, None).unwrap().inserted;
                    }
                    total
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(inserted, 4_000);
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        4_000
    );
}

/// The first attempt at a batch looks up only a sample of its keys: a stored key the sample
/// misses makes that attempt fail, and the batch is written again with every key looked up.
#[test]
fn a_stored_key_the_sample_misses_is_still_a_duplicate() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    // Keys 7 and 1,500: neither is where a sample of 16 out of each half of 1,000 looks.
    let stored = [item("s", "7"), item("s", "1500")];
    store.insert_feedback(&stored, None).unwrap();
    let batch: Vec<FeedbackItem> = (0..2_000).map(|i| item("s", &format!("{i}"))).collect();
    let outcome = store.insert_feedback(&batch, None).unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (1_998, 2));
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        2_000
    );
    let again = store.insert_feedback(&batch, None).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 2_000));
}

/// The store times each part of its writes for `trove bench import`, as SQLite's does: a batch
/// written in two halves counts two transactions and says that two connections wrote side by
/// side (their times summed); a bulk load's beginning and end count as the indexes' time.
#[test]
fn writes_are_timed_by_part_with_both_halves_of_a_batch_counted() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let before = store.write_stages().expect("PostgreSQL counts its writes");
    assert_eq!((before.batches, before.side_by_side), (0, 0));
    store.begin_bulk_load().unwrap();
    let batch: Vec<FeedbackItem> = (0..2_000).map(|i| item("s", &format!("{i}"))).collect();
    store.insert_feedback(&batch[..500], None).unwrap();
    let small = store.write_stages().unwrap().since(&before);
    assert_eq!((small.batches, small.side_by_side), (1, 1));
    assert!(small.indexes > Duration::ZERO, "{small:?}");
    store.insert_feedback(&batch[500..], None).unwrap();
    store.end_bulk_load().unwrap();
    let spent = store.write_stages().unwrap().since(&before);
    assert_eq!((spent.batches, spent.side_by_side), (3, 2));
    assert!(spent.indexes > small.indexes, "{spent:?}");
    for (part, time) in [
        ("feedback", spent.feedback),
        ("facts", spent.facts),
        ("totals", spent.totals),
        ("commit", spent.commit),
    ] {
        assert!(time > Duration::ZERO, "{part}: {spent:?}");
    }
    // A replacing write is timed too.
    store.replace_feedback(&batch[..10], None, None).unwrap();
    let replaced = store.write_stages().unwrap().since(&before);
    assert_eq!(replaced.batches, 4);
    assert!(replaced.feedback > spent.feedback, "{replaced:?}");
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        2_000
    );
}

/// What the foreign keys' row locks guaranteed under concurrency, the per-statement checks
/// keep: a tag naming an item locks it, so a concurrent delete of the item waits and then
/// fails; and a tag naming an item being deleted waits and then fails.
#[test]
fn a_tag_and_a_delete_of_its_item_racing_cannot_both_succeed() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    store
        .insert_feedback(&[item("s", "1"), item("s", "2")], None)
        .unwrap();
    let mut setup = raw_client(&store);
    setup
        .batch_execute("INSERT INTO themes (id, name) VALUES ('fee', 'Fee')")
        .expect("a theme");
    let id_of = |client: &mut postgres::Client, key: &str| -> i64 {
        client
            .query_one("SELECT id FROM feedback WHERE external_id = $1", &[&key])
            .expect("a stored item")
            .get(0)
    };
    let first = id_of(&mut setup, "1");
    let second = id_of(&mut setup, "2");
    let tag = |id: i64| {
        format!(
            "INSERT INTO feedback_tags (feedback_id, theme, origin)
                SELECT {id}, id, 'rule' FROM theme_numbers WHERE theme_id = 'fee'"
        )
    };
    let delete = |id: i64| {
        format!("DELETE FROM feedback_facts WHERE id = {id}; DELETE FROM feedback WHERE id = {id}")
    };

    // The tag first: the delete waits for its transaction, then sees the tag.
    let mut tagger = raw_client(&store);
    let mut tagging = tagger.transaction().expect("begin");
    tagging
        .batch_execute(&tag(first))
        .expect("a tag of a stored item");
    let mut deleter = raw_client(&store);
    let waiting = std::thread::spawn(move || {
        let mut deleting = deleter.transaction().expect("begin");
        deleting
            .batch_execute(&delete(first))
            .map_err(|e| e.code().map(|c| c.code().to_owned()))
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !waiting.is_finished(),
        "the delete waits for the tag's lock"
    );
    tagging.commit().expect("commit the tag");
    assert_eq!(
        waiting.join().unwrap(),
        Err(Some("23503".to_owned())),
        "the delete sees the committed tag"
    );

    // The delete first: the tag waits for its transaction, then finds no item.
    let mut deleter = raw_client(&store);
    let mut deleting = deleter.transaction().expect("begin");
    deleting
        .batch_execute(&delete(second))
        .expect("an untagged item can go");
    let mut tagger = raw_client(&store);
    let sql = tag(second);
    let waiting = std::thread::spawn(move || {
        tagger
            .batch_execute(&sql)
            .map_err(|e| e.code().map(|c| c.code().to_owned()))
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_finished(), "the tag waits for the delete");
    deleting.commit().expect("commit the delete");
    assert_eq!(
        waiting.join().unwrap(),
        Err(Some("23503".to_owned())),
        "the tag finds its item gone"
    );
}

/// A database made before migration 0031 (tags keyed by the theme's text id) keeps every tag,
/// with all its details, when it is opened: the tags move to `feedback_tags` under the themes'
/// numbers and read back the same through the `feedback_themes` view.
#[test]
fn tags_stored_before_theme_numbers_read_back_the_same() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    store
        .insert_feedback(&[item("s", "1"), item("s", "2")], None)
        .unwrap();
    let schema = store
        .schema()
        .expect("a test store has its own schema")
        .to_owned();
    let mut client = raw_client(&store);
    client
        .batch_execute(
            "INSERT INTO themes (id, name) VALUES ('fee', 'Fee'), ('wait', 'Wait'), ('unused', 'Unused');
             INSERT INTO feedback_tags (feedback_id, theme, origin, phrase, start_offset, end_offset,
                    taxonomy_version, model_version, sentiment)
                SELECT f.id, n.id, o.origin, 'a phrase', 3, 11, 7, 2, -0.25
                FROM feedback f, theme_numbers n, (VALUES ('rule'), ('model'), ('source')) AS o (origin)
                WHERE n.theme_id <> 'unused' AND (f.external_id = '1' OR o.origin = 'rule');",
        )
        .expect("tags of every origin");
    let tags = |client: &mut postgres::Client| -> Vec<String> {
        client
            .query(
                "SELECT ft::text FROM feedback_themes ft ORDER BY feedback_id, theme_id, origin",
                &[],
            )
            .expect("the tags")
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let before = tags(&mut client);
    assert_eq!(before.len(), 8, "{before:?}");
    // The layout before 0031: the tags in a table keyed by the theme's text id.
    client
        .batch_execute(
            "CREATE TABLE old_tags AS SELECT * FROM feedback_themes;
             DROP VIEW feedback_themes;
             ALTER TABLE old_tags RENAME TO feedback_themes;
             ALTER TABLE feedback_themes ADD PRIMARY KEY (feedback_id, theme_id, origin);
             DROP TABLE feedback_tags;
             DROP TRIGGER themes_numbered ON themes;
             DROP FUNCTION trove_number_themes();
             DROP TABLE theme_numbers;
             DROP TRIGGER feedback_tags_deleted ON feedback;
             CREATE TRIGGER feedback_tags_deleted AFTER DELETE ON feedback
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
                EXECUTE FUNCTION trove_check_children('feedback_themes', 'feedback_id');
             CREATE TRIGGER themes_tags_deleted AFTER DELETE ON themes
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
                EXECUTE FUNCTION trove_check_children('feedback_themes', 'theme_id');
             DELETE FROM schema_migrations WHERE version = 31;",
        )
        .expect("the layout before migration 0031");
    drop(store);
    let url = server_url().expect("a configured server");
    let store = PostgresStore::open_in_schema(&url, &schema).expect("opens and migrates");
    let mut client = raw_client(&store);
    assert_eq!(tags(&mut client), before);
    let numbered: i64 = client
        .query_one("SELECT count(*) FROM theme_numbers", &[])
        .expect("the numbers")
        .get(0);
    assert_eq!(numbered, 3, "every theme has a number, tagged or not");
}

/// The indexes a bulk load into a small database sets aside (`deferred`), as the catalog
/// lists them in the store's schema.
fn deferred_indexes(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()
                AND indexname IN ('feedback_received', 'feedback_tags_theme_items')
             ORDER BY indexname",
            &[],
        )
        .expect("list the indexes")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// How many sessions hold the bulk loads' lock of the client's schema.
fn load_sessions(client: &mut postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
                AND classid = hashtext('trove bulk load')::oid
                AND objid = hashtext(current_schema())::oid",
            &[],
        )
        .expect("count the loads' locks")
        .get(0)
}

/// Waits (up to 10 s) until no session holds the bulk loads' lock of the client's schema.
fn wait_for_no_load(client: &mut postgres::Client) {
    let started = Instant::now();
    while load_sessions(client) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a load's lock outlived its session"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

const BOTH_DEFERRED: [&str; 2] = ["feedback_received", "feedback_tags_theme_items"];

#[test]
fn a_load_into_a_small_database_builds_its_search_indexes_once_at_its_end() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let mut client = raw_client(&store);
    assert_eq!(deferred_indexes(&mut client), BOTH_DEFERRED);
    store.begin_bulk_load().unwrap();
    assert!(deferred_indexes(&mut client).is_empty());
    assert_eq!(load_sessions(&mut client), 1);
    let batch: Vec<FeedbackItem> = (0..50).map(|i| item("s", &format!("{i}"))).collect();
    store.insert_feedback(&batch, None).unwrap();
    // Reads stay right meanwhile, only slower; and a store opened meanwhile (another process)
    // leaves the indexes to the load's end.
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        50
    );
    let url = server_url().unwrap();
    let other = PostgresStore::open_in_schema(&url, store.schema().unwrap()).unwrap();
    assert!(deferred_indexes(&mut client).is_empty());
    store.end_bulk_load().unwrap();
    assert_eq!(deferred_indexes(&mut client), BOTH_DEFERRED);
    assert_eq!(load_sessions(&mut client), 0);
    drop(other);
}

#[test]
fn a_load_that_never_ended_has_its_indexes_built_by_the_next_open() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    let schema = store.schema().unwrap().to_owned();
    let mut client = raw_client(&store);
    store.begin_bulk_load().unwrap();
    store
        .insert_feedback(&[item("s", "1"), item("s", "2")], None)
        .unwrap();
    // The process "dies" here: no end_bulk_load; its sessions close, and the server lets
    // their locks go once it notices.
    drop(store);
    assert!(deferred_indexes(&mut client).is_empty());
    wait_for_no_load(&mut client);
    let url = server_url().unwrap();
    let store = PostgresStore::open_in_schema(&url, &schema).unwrap();
    assert_eq!(deferred_indexes(&mut client), BOTH_DEFERRED);
    assert_eq!(store.count_feedback(&FeedbackFilter::default()).unwrap(), 2);
}

#[test]
fn a_load_whose_tables_are_busy_keeps_its_indexes() {
    let Some(store) = fresh_postgres() else {
        return;
    };
    // A reader inside a transaction holds the items' table: dropping an index would wait
    // for it, and every query would queue behind the drop.
    let mut reader = raw_client(&store);
    let mut reading = reader.transaction().unwrap();
    reading.query("SELECT count(*) FROM feedback", &[]).unwrap();
    let started = Instant::now();
    store.begin_bulk_load().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let mut client = raw_client(&store);
    assert_eq!(deferred_indexes(&mut client), BOTH_DEFERRED);
    store.insert_feedback(&[item("s", "1")], None).unwrap();
    store.end_bulk_load().unwrap();
    reading.commit().unwrap();
    assert_eq!(deferred_indexes(&mut client), BOTH_DEFERRED);
}
