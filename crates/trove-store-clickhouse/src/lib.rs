//! Trove's analytics backend on ClickHouse: the items' facts (no text) streamed out of the
//! system of record (SQLite or PostgreSQL), and the analysis's reads and the grouped score
//! tallies computed by ClickHouse, on one server or across the shards of a cluster.
//!
//! Tables, in the URL's database:
//! - `facts`: one row per item and version, `ReplacingMergeTree(version)` partitioned by month
//!   and ordered by business unit, time and id. With `?cluster=NAME`, `facts` is a
//!   `Distributed` table over each shard's `facts_local` (same columns, sharded by item id);
//!   [`ClickHouse::prepare_shard`] creates a shard's table.
//! - `fact_pages`: the sync's ledger, one row per page of ids (10,000 ids) and version, with the
//!   hash of the page's facts. A page's facts count only at its newest version in the ledger,
//!   so a page is replaced whole, by one insert, and a row written by a sync that died before
//!   recording it is never read.
//! - `sync_state`: the system of record's data version each completed sync reached.
//!
//! The ledger lives beside the facts, not in the system of record: a ClickHouse database that
//! is dropped or replaced takes its ledger along, and the next sync writes everything again.
//!
//! SQL is kept to what ClickHouse 18.16 (Debian's) and current releases both accept: no
//! `Nullable` (absent labels are `''`, absent scores `-1`, absent sentiment NaN), no
//! `LowCardinality`, `RowBinary` without validation, no HTTP compression.

mod reads;
mod sync;
mod url;

use std::future::Future;
use std::time::Duration;

use clickhouse::Client;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use trove_store::{
    Analytics, Dimension, FeedbackFilter, GroupTally, ItemThemes, MonthTally, PageVisitor, Store,
    StoreError, StoreResult, SyncReport, ThemeMonthTally, ThemeOrigin,
};

pub use url::ClickHouseUrl;

/// The columns of a facts table, in the order rows are written.
const FACT_COLUMNS: &str = "id Int64, page UInt32, version UInt64, received_at Int64, \
     source String, channel String, customer_id String, segment String, business_unit String, \
     journey_stage String, touchpoint String, region String, product String, \
     nps Int8, csat Int8, ces Int8, sentiment Float32, \
     rule_themes Array(String), rule_sentiments Array(Float32), \
     source_themes Array(String), source_sentiments Array(Float32), \
     model_themes Array(String), model_sentiments Array(Float32), \
     any_themes Array(String), any_sentiments Array(Float32)";

/// The facts' engine: a newer version of a row replaces an older one when parts merge (the
/// reads do not rely on it: they read each page's newest version only).
const FACT_ENGINE: &str = "ENGINE = ReplacingMergeTree(version) \
     PARTITION BY toYYYYMM(toDateTime(received_at, 'UTC')) \
     ORDER BY (business_unit, received_at, id)";

/// The analytics backend on a ClickHouse server or cluster.
pub struct ClickHouse {
    url: ClickHouseUrl,
    client: Client,
    runtime: tokio::runtime::Runtime,
    /// Facts buffered before an insert.
    rows_per_insert: usize,
    /// For tests: a sync fails after this many inserts, as one whose process died there.
    fail_after_inserts: Option<usize>,
}

impl ClickHouse {
    /// Connects, creates the database and Trove's tables when missing, and checks the server
    /// answers.
    pub fn open(url: &ClickHouseUrl) -> StoreResult<Self> {
        let clickhouse = Self::connect(url)?;
        clickhouse.create_tables()?;
        Ok(clickhouse)
    }

    /// Creates the database and the shard's table of facts (`facts_local`) on the server `url`
    /// names: run once per shard of a cluster, before [`ClickHouse::open`] with `?cluster=`.
    pub fn prepare_shard(url: &ClickHouseUrl) -> StoreResult<()> {
        let shard = Self::connect(url)?;
        shard.execute(&format!(
            "CREATE TABLE IF NOT EXISTS {}.facts_local ({FACT_COLUMNS}) {FACT_ENGINE}",
            url.database
        ))
    }

    fn connect(url: &ClickHouseUrl) -> StoreResult<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| open_error(url, e))?;
        let _entered = runtime.enter();
        // The client's own connector leaves Nagle's algorithm on: every request then waits
        // about 40 ms for a delayed ACK of its headers before its body goes out.
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        let http = HyperClient::builder(TokioExecutor::new())
            // Below the server's keep-alive (3 s in old releases): never reuse a closed socket.
            .pool_idle_timeout(Duration::from_secs(2))
            .build(connector);
        let mut client = Client::with_http_client(http)
            .with_url(url.http())
            .with_validation(false);
        if let Some(user) = &url.user {
            client = client.with_user(user);
        }
        if let Some(password) = &url.password {
            client = client.with_password(password);
        }
        let clickhouse = Self {
            url: url.clone(),
            client,
            runtime,
            rows_per_insert: sync::ROWS_PER_INSERT,
            fail_after_inserts: None,
        };
        clickhouse
            .execute(&format!("CREATE DATABASE IF NOT EXISTS {}", url.database))
            .map_err(|e| open_error(url, e))?;
        Ok(clickhouse)
    }

    fn create_tables(&self) -> StoreResult<()> {
        let db = &self.url.database;
        match &self.url.cluster {
            None => self.execute(&format!(
                "CREATE TABLE IF NOT EXISTS {db}.facts ({FACT_COLUMNS}) {FACT_ENGINE}"
            ))?,
            Some(cluster) => self.execute(&format!(
                "CREATE TABLE IF NOT EXISTS {db}.facts ({FACT_COLUMNS}) \
                 ENGINE = Distributed({cluster}, {db}, facts_local, id)"
            ))?,
        }
        self.execute(&format!(
            "CREATE TABLE IF NOT EXISTS {db}.fact_pages \
             (page UInt32, version UInt64, hash String, rows UInt32) \
             ENGINE = ReplacingMergeTree(version) ORDER BY page"
        ))?;
        self.execute(&format!(
            "CREATE TABLE IF NOT EXISTS {db}.sync_state \
             (version UInt64, data_version Int64, at Int64) ENGINE = MergeTree ORDER BY version"
        ))
    }

    /// Sets how many facts a sync buffers before it inserts them (200,000 by default): larger
    /// inserts make fewer parts for ClickHouse to merge; smaller ones hold less memory. A sync
    /// always writes whole pages, so an insert may hold up to a page more.
    pub fn with_rows_per_insert(mut self, rows: usize) -> Self {
        self.rows_per_insert = rows.max(1);
        self
    }

    /// For tests: each sync fails after `inserts` inserts of facts, as a sync whose process
    /// died there would, so that the next sync can be seen to complete it.
    #[doc(hidden)]
    pub fn failing_after_inserts(mut self, inserts: usize) -> Self {
        self.fail_after_inserts = Some(inserts);
        self
    }

    /// The URL it was opened with.
    pub fn url(&self) -> &ClickHouseUrl {
        &self.url
    }

    /// Runs a statement that returns nothing.
    fn execute(&self, sql: &str) -> StoreResult<()> {
        self.block_on(self.client.query(sql).execute())
            .map_err(|e| query_error("running a ClickHouse statement", sql, e))
    }

    /// Runs a future of the client to its end on this backend's runtime.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A table of Trove's database, qualified.
    fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.url.database)
    }
}

fn open_error(url: &ClickHouseUrl, error: impl ToString) -> StoreError {
    StoreError::Open {
        url: url.to_string(),
        reason: error.to_string(),
    }
}

/// A failed query, with the start of its SQL.
fn query_error(context: &'static str, sql: &str, error: clickhouse::error::Error) -> StoreError {
    let head: String = sql.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
    StoreError::database(context, format!("{error} (in: {head} ...)"))
}

impl Analytics for ClickHouse {
    fn describe(&self) -> String {
        match &self.url.cluster {
            Some(cluster) => format!("ClickHouse cluster {cluster} via {}", self.url),
            None => format!("ClickHouse at {}", self.url),
        }
    }

    fn synced_version(&self) -> StoreResult<Option<i64>> {
        sync::synced_version(self)
    }

    fn sync(&self, store: &dyn Store) -> StoreResult<SyncReport> {
        sync::sync(self, store)
    }

    fn scan_facts(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        page_size: usize,
        visit: &mut PageVisitor<'_, ItemThemes>,
    ) -> StoreResult<()> {
        reads::scan_facts(self, filter, origin, page_size, visit)
    }

    fn tally_by(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>> {
        reads::tally_by(self, dimension, filter)
    }

    fn tally_by_month(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<MonthTally>> {
        reads::tally_by_month(self, dimension, filter)
    }

    fn theme_tallies(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
    ) -> StoreResult<Vec<ThemeMonthTally>> {
        reads::theme_tallies(self, filter, origin)
    }
}
