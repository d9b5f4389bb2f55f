//! The analytics contract on real ClickHouse servers on loopback, started by the test
//! (scripts/clickhouse-servers.py: own folders, ports the OS chose free), against SQLite as
//! the system of record (and PostgreSQL with TROVE_TEST_POSTGRES): one server, then a
//! two-shard cluster with a `Distributed` table.
//!
//! Without a clickhouse-server binary (apt-get install clickhouse-server) the tests are
//! skipped with a note, or fail when CI=true.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use trove_store::contract;
use trove_store::{Analytics, FeedbackFilter, Store, ThemeOrigin};
use trove_store_clickhouse::{ClickHouse, ClickHouseUrl};
use trove_store_postgres::PostgresStore;
use trove_store_sqlite::SqliteStore;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// ClickHouse servers, stopped when dropped.
struct Servers {
    child: Child,
    http: Vec<u16>,
    cluster: String,
    _folder: tempfile::TempDir,
}

impl Drop for Servers {
    fn drop(&mut self) {
        // Closing its input tells the script to stop the servers and wait for them.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Servers {
    fn start(count: usize) -> Option<Self> {
        let installed = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"]
            .iter()
            .any(|p| Path::new(p).exists())
            || Command::new("clickhouse-server")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok();
        if !installed {
            let why = "no clickhouse-server binary (apt-get install clickhouse-server)";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "ClickHouse test cannot run: {why}"
            );
            eprintln!("skipped: {why}");
            return None;
        }
        let folder = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(Path::new(ROOT).join("scripts/clickhouse-servers.py"))
            .arg(folder.path())
            .arg(count.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scripts/clickhouse-servers.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let started: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("ClickHouse did not start: {line:?}"));
        let http = started["http"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_u64().unwrap() as u16)
            .collect();
        Some(Self {
            child,
            http,
            cluster: started["cluster"].as_str().unwrap().to_owned(),
            _folder: folder,
        })
    }

    /// The URL of database `db` on server `i` (with `?cluster=` when `cluster`).
    fn url(&self, i: usize, db: &str, cluster: bool) -> ClickHouseUrl {
        let mut raw = format!("clickhouse://127.0.0.1:{}/{db}", self.http[i]);
        if cluster {
            raw.push_str(&format!("?cluster={}", self.cluster));
        }
        ClickHouseUrl::parse(&raw).unwrap()
    }

    /// The facts of database `db` over both shards of the cluster (the shards made first).
    fn cluster(&self, db: &str) -> ClickHouse {
        for i in 0..self.http.len() {
            ClickHouse::prepare_shard(&self.url(i, db, false)).unwrap();
        }
        ClickHouse::open(&self.url(0, db, true)).unwrap()
    }
}

/// A fresh SQLite store (kept alive by its folder).
fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let folder = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&folder.path().join("trove.db")).unwrap();
    (folder, store)
}

/// A fresh schema of the PostgreSQL named by TROVE_TEST_POSTGRES, when set (the store's own
/// contract test drops such schemas after an hour).
fn postgres() -> Option<PostgresStore> {
    let url = std::env::var("TROVE_TEST_POSTGRES").ok()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!("trove_test_ch_{}_{nanos}", std::process::id());
    Some(PostgresStore::open_in_schema(&url, &schema).unwrap())
}

/// Rows of a table on one server, by raw SQL.
fn count_rows(url: &ClickHouseUrl, table: &str) -> u64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = clickhouse::Client::default()
            .with_url(url.http())
            .with_validation(false);
        client
            .query(&format!("SELECT count() FROM {}.{table}", url.database))
            .fetch_one::<u64>()
            .await
            .unwrap()
    })
}

/// Runs raw SQL on one server.
fn execute(url: &ClickHouseUrl, sql: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = clickhouse::Client::default()
            .with_url(url.http())
            .with_validation(false);
        client.query(sql).execute().await.unwrap();
    });
}

#[test]
fn one_server_answers_like_the_store_and_follows_every_change() {
    let Some(servers) = Servers::start(1) else {
        return;
    };
    let (_a, store) = sqlite();
    let analytics = ClickHouse::open(&servers.url(0, "reads", false)).unwrap();
    contract::analytics_reads_match_the_store(&store, &analytics);

    let (_b, store) = sqlite();
    let analytics = ClickHouse::open(&servers.url(0, "changes", false)).unwrap();
    contract::a_sync_follows_every_change_and_writes_only_what_changed(&store, &analytics);

    match postgres() {
        Some(store) => {
            let analytics = ClickHouse::open(&servers.url(0, "postgres", false)).unwrap();
            contract::analytics_reads_match_the_store(&store, &analytics);
        }
        None => {
            eprintln!("PostgreSQL as the system of record skipped: TROVE_TEST_POSTGRES is not set")
        }
    }
}

#[test]
fn an_interrupted_sync_is_completed_by_the_next_and_its_leftovers_are_never_read() {
    let Some(servers) = Servers::start(1) else {
        return;
    };
    let (_folder, store) = sqlite();
    contract::fill_for_analytics(&store);
    let url = servers.url(0, "resume", false);
    // One page per insert; the sync "dies" after the first insert (page 0 recorded).
    let dying = ClickHouse::open(&url)
        .unwrap()
        .with_rows_per_insert(1)
        .failing_after_inserts(1);
    let error = dying.sync(&store).unwrap_err().to_string();
    assert!(error.contains("stopped on purpose"), "{error}");
    assert_eq!(dying.synced_version().unwrap(), None, "not complete");

    // Leftovers of a sync that died after writing facts but before recording their page:
    // a copy of page 0 at a newer version, with a business unit no item has.
    execute(
        &url,
        "INSERT INTO resume.facts SELECT id, page, version + 1000, received_at, source, channel, \
         customer_id, segment, 'Ghost', journey_stage, touchpoint, region, product, nps, csat, ces, \
         sentiment, rule_themes, rule_sentiments, source_themes, source_sentiments, model_themes, \
         model_sentiments, any_themes, any_sentiments FROM resume.facts WHERE page = 0",
    );

    let analytics = ClickHouse::open(&url).unwrap().with_rows_per_insert(1);
    let report = analytics.sync(&store).unwrap();
    assert_eq!(
        (report.pages_unchanged, report.pages_written),
        (1, 1),
        "page 0 kept, page 1 written: {report:?}"
    );
    let ghost = FeedbackFilter {
        business_unit: Some("Ghost".into()),
        ..FeedbackFilter::default()
    };
    let mut ghosts = 0;
    analytics
        .scan_facts(&ghost, ThemeOrigin::Any, 100, &mut |page| {
            ghosts += page.len();
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(ghosts, 0, "unrecorded rows are never read");
    contract::assert_main_reads_match(&store, &analytics);

    // Re-tagging page 0 now writes it past the leftovers' versions.
    let (version, ids) = (1, vec![1_i64]);
    store
        .replace_rule_tags(
            version,
            &[trove_store::ItemTags {
                feedback_id: ids[0],
                tags: Vec::new(),
                sentiment: None,
                suggestion: false,
            }],
        )
        .unwrap();
    let report = analytics.sync(&store).unwrap();
    assert_eq!(report.pages_written, 1, "{report:?}");
    contract::assert_main_reads_match(&store, &analytics);
}

#[test]
fn two_shards_answer_like_the_store_through_a_distributed_table() {
    let Some(servers) = Servers::start(2) else {
        return;
    };
    let (_a, store) = sqlite();
    let analytics = servers.cluster("pair");
    assert!(analytics.describe().contains("cluster trove_shards"));
    contract::analytics_reads_match_the_store(&store, &analytics);
    // Both shards hold part of the facts, and together all of them.
    let on_shards: Vec<u64> = (0..2)
        .map(|i| count_rows(&servers.url(i, "pair", false), "facts_local"))
        .collect();
    assert!(on_shards.iter().all(|&n| n > 0), "{on_shards:?}");
    assert_eq!(
        on_shards.iter().sum::<u64>(),
        contract::ANALYTICS_ITEMS as u64
    );

    let (_b, store) = sqlite();
    let analytics = servers.cluster("pair_changes");
    contract::a_sync_follows_every_change_and_writes_only_what_changed(&store, &analytics);
}
