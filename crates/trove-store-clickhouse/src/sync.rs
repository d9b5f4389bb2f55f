//! Streaming the facts out of the system of record, page by page of ids.
//!
//! There is no change log to follow. A store with per-page reads (`trove_store::FactPages`:
//! PostgreSQL's compact facts rows) gives a digest of every page of 10,000 ids, and only the
//! pages whose digest differs from the ledger's are read (by id range, no text); from any other
//! store every item is read and each page hashed here. A page is written only when its digest
//! or hash differs from the one the ledger recorded:
//! after an import only the pages of the new ids are written; after a re-tagging, the pages
//! whose items changed. A page is written whole at a new version, then recorded in the ledger;
//! reads take each page at its newest recorded version. So a sync can stop anywhere: what it
//! wrote without recording is never read, and the next sync writes only the pages still out
//! of date.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::sync_channel;

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use trove_store::{
    FactPageDigest, FactRow, OriginThemes, Store, StoreError, StoreResult, SyncReport, read_facts,
};

use crate::{ClickHouse, query_error};

/// Ids per page of the ledger.
const PAGE_IDS: i64 = 10_000;

/// Facts buffered before an insert: a few large inserts, not one per page (each insert makes
/// a part per month it touches, and ClickHouse wants few parts).
pub(crate) const ROWS_PER_INSERT: usize = 200_000;

/// Items read from the store per page.
const READ_PAGE: usize = 10_000;

/// A fact as written: [`FactRow`] with its page and version, without `Option`s.
#[derive(Debug, Row, Serialize)]
struct FactOut {
    id: i64,
    page: u32,
    version: u64,
    received_at: i64,
    source: String,
    channel: String,
    customer_id: String,
    segment: String,
    business_unit: String,
    journey_stage: String,
    touchpoint: String,
    region: String,
    product: String,
    nps: i8,
    csat: i8,
    ces: i8,
    sentiment: f32,
    rule_themes: Vec<String>,
    rule_sentiments: Vec<f32>,
    source_themes: Vec<String>,
    source_sentiments: Vec<f32>,
    model_themes: Vec<String>,
    model_sentiments: Vec<f32>,
    any_themes: Vec<String>,
    any_sentiments: Vec<f32>,
}

/// A score as stored: -1 when absent.
fn score(value: Option<u8>) -> i8 {
    value.and_then(|v| i8::try_from(v).ok()).unwrap_or(-1)
}

/// Mention sentiments as stored: NaN when not scored.
fn sentiments(themes: &OriginThemes) -> Vec<f32> {
    themes
        .mention_sentiments
        .iter()
        .map(|s| s.unwrap_or(f32::NAN))
        .collect()
}

impl FactOut {
    fn new(fact: FactRow, page: u32, version: u64) -> Self {
        let text = |value: Option<String>| value.unwrap_or_default();
        Self {
            id: fact.id,
            page,
            version,
            received_at: fact.received_at,
            source: fact.source,
            channel: fact.channel.as_str().to_owned(),
            customer_id: text(fact.customer_id),
            segment: text(fact.segment),
            business_unit: text(fact.business_unit),
            journey_stage: text(fact.journey_stage),
            touchpoint: text(fact.touchpoint),
            region: text(fact.region),
            product: text(fact.product),
            nps: score(fact.scores.nps.map(u8::from)),
            csat: score(fact.scores.csat.map(u8::from)),
            ces: score(fact.scores.ces.map(u8::from)),
            sentiment: fact.sentiment.unwrap_or(f32::NAN),
            rule_sentiments: sentiments(&fact.rule),
            rule_themes: fact.rule.themes,
            source_sentiments: sentiments(&fact.coded),
            source_themes: fact.coded.themes,
            model_sentiments: sentiments(&fact.model),
            model_themes: fact.model.themes,
            any_sentiments: sentiments(&fact.any),
            any_themes: fact.any.themes,
        }
    }
}

/// A ledger row: a page at a version.
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
struct PageRow {
    page: u32,
    version: u64,
    hash: String,
    rows: u32,
}

#[derive(Debug, Row, Serialize, Deserialize)]
struct SyncState {
    version: u64,
    data_version: i64,
    at: i64,
}

#[derive(Debug, Row, Deserialize)]
struct MaxVersion {
    version: u64,
}

/// The data version the last completed sync reached.
pub(crate) fn synced_version(clickhouse: &ClickHouse) -> StoreResult<Option<i64>> {
    let sql = format!(
        "SELECT version, data_version, at FROM {} ORDER BY version DESC LIMIT 1",
        clickhouse.table("sync_state")
    );
    let state = clickhouse
        .block_on(clickhouse.client.query(&sql).fetch_optional::<SyncState>())
        .map_err(|e| query_error("reading the sync state", &sql, e))?;
    Ok(state.map(|s| s.data_version))
}

/// Brings the facts up to date with `store` (see the module's description).
pub(crate) fn sync(clickhouse: &ClickHouse, store: &dyn Store) -> StoreResult<SyncReport> {
    // Read before the items: a change made during the sync leaves the facts marked older
    // than the store, so the next read syncs again.
    let data_version = store.data_version()?;
    let mut writer = PageWriter::new(clickhouse)?;
    match store.fact_page_digests(PAGE_IDS)? {
        Some(digests) => sync_by_digests(&mut writer, store, &digests)?,
        None => read_facts(store, READ_PAGE, &mut |facts| writer.push(facts))?,
    }
    writer.finish()?;
    let state = SyncState {
        version: writer.next_version(),
        data_version,
        at: now_seconds(),
    };
    clickhouse
        .block_on(async {
            let mut insert = clickhouse
                .client
                .insert_unescaped::<SyncState>(&clickhouse.table("sync_state"))
                .await?;
            insert.write(&state).await?;
            insert.end().await
        })
        .map_err(|e| query_error("recording the sync", "INSERT INTO sync_state", e))?;
    writer.report.data_version = data_version;
    Ok(writer.report)
}

/// Writes the pages whose digest (computed by the store) differs from the ledger's, each read
/// alone by its id range; a reader thread fetches the next pages while this one writes.
fn sync_by_digests(
    writer: &mut PageWriter<'_>,
    store: &dyn Store,
    digests: &[FactPageDigest],
) -> StoreResult<()> {
    let mut stale = Vec::new();
    for digest in digests {
        let page = page_number(digest.page)?;
        writer.report.items += digest.rows;
        if writer.is_current(page, &digest.digest) {
            writer.unchanged(page);
        } else {
            stale.push((page, digest));
        }
    }
    std::thread::scope(|scope| {
        let (pages_out, pages_in) = sync_channel::<StoreResult<Vec<FactRow>>>(2);
        let wanted: Vec<i64> = stale.iter().map(|(_, digest)| digest.page).collect();
        let reader = scope.spawn(move || {
            for page in wanted {
                let first = page * PAGE_IDS;
                let facts = store.fact_range(first, first + PAGE_IDS).and_then(|facts| {
                    facts.ok_or_else(|| {
                        StoreError::database("syncing facts", "the store stopped reading pages")
                    })
                });
                let failed = facts.is_err();
                if pages_out.send(facts).is_err() || failed {
                    return;
                }
            }
        });
        let written = stale
            .iter()
            .zip(&pages_in)
            .try_for_each(|((page, digest), facts)| {
                writer.store_page(*page, facts?, digest.digest.clone())
            });
        // A failed write stops the reader: its next send fails.
        drop(pages_in);
        reader
            .join()
            .map_err(|_| StoreError::database("syncing facts", "the page reader panicked"))?;
        written
    })
}

/// The ledger's page of a store's page number.
fn page_number(page: i64) -> StoreResult<u32> {
    u32::try_from(page)
        .map_err(|_| StoreError::database("syncing facts", format!("page {page} is out of range")))
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Collects the store's facts page by page and writes the pages that changed.
struct PageWriter<'a> {
    clickhouse: &'a ClickHouse,
    /// Each page's newest recorded state.
    ledger: HashMap<u32, PageRow>,
    /// Pages the store holds items of.
    seen: HashSet<u32>,
    /// The page being collected.
    current: Option<(u32, Vec<FactRow>)>,
    /// Facts and ledger rows waiting for the next insert.
    pending_facts: Vec<FactOut>,
    pending_pages: Vec<PageRow>,
    /// The last version handed out.
    version: u64,
    /// Inserts of facts made.
    inserts: usize,
    report: SyncReport,
}

impl<'a> PageWriter<'a> {
    fn new(clickhouse: &'a ClickHouse) -> StoreResult<Self> {
        let ledger_sql = format!(
            "SELECT page, max(version) AS newest, argMax(hash, version) AS newest_hash, \
             argMax(rows, version) AS newest_rows \
             FROM {} GROUP BY page",
            clickhouse.table("fact_pages")
        );
        let ledger = clickhouse
            .block_on(clickhouse.client.query(&ledger_sql).fetch_all::<PageRow>())
            .map_err(|e| query_error("reading the sync ledger", &ledger_sql, e))?;
        // Versions only grow, past every version written before (recorded or not), so a
        // half-written page of an interrupted sync never shares a version with a new one.
        let mut version = 0;
        for table in ["facts", "fact_pages", "sync_state"] {
            let sql = format!(
                "SELECT max(version) AS newest FROM {}",
                clickhouse.table(table)
            );
            let found = clickhouse
                .block_on(clickhouse.client.query(&sql).fetch_one::<MaxVersion>())
                .map_err(|e| query_error("reading the newest version", &sql, e))?;
            version = version.max(found.version);
        }
        Ok(Self {
            clickhouse,
            ledger: ledger.into_iter().map(|row| (row.page, row)).collect(),
            seen: HashSet::new(),
            current: None,
            pending_facts: Vec::new(),
            pending_pages: Vec::new(),
            version,
            inserts: 0,
            report: SyncReport::default(),
        })
    }

    fn next_version(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// Takes the next facts (in id order).
    fn push(&mut self, facts: Vec<FactRow>) -> StoreResult<()> {
        for fact in facts {
            self.report.items += 1;
            let page = page_number(fact.id.div_euclid(PAGE_IDS))?;
            match &mut self.current {
                Some((current, rows)) if *current == page => rows.push(fact),
                _ => {
                    self.close_page()?;
                    self.current = Some((page, vec![fact]));
                }
            }
        }
        Ok(())
    }

    /// Ends the page being collected: queued for writing when its facts changed.
    fn close_page(&mut self) -> StoreResult<()> {
        let Some((page, rows)) = self.current.take() else {
            return Ok(());
        };
        let hash = hash_of(&rows)?;
        if self.is_current(page, &hash) {
            self.unchanged(page);
            return Ok(());
        }
        self.store_page(page, rows, hash)
    }

    /// Whether the ledger holds `page` with this hash.
    fn is_current(&self, page: u32, hash: &str) -> bool {
        self.ledger
            .get(&page)
            .is_some_and(|known| known.hash == hash)
    }

    /// Counts `page` as found unchanged.
    fn unchanged(&mut self, page: u32) {
        self.seen.insert(page);
        self.report.pages_unchanged += 1;
    }

    /// Queues a page's facts for writing at a new version, recorded with `hash`.
    fn store_page(&mut self, page: u32, rows: Vec<FactRow>, hash: String) -> StoreResult<()> {
        self.seen.insert(page);
        let version = self.next_version();
        self.pending_pages.push(PageRow {
            page,
            version,
            hash,
            rows: rows.len() as u32,
        });
        self.pending_facts.extend(
            rows.into_iter()
                .map(|fact| FactOut::new(fact, page, version)),
        );
        if self.pending_facts.len() >= self.clickhouse.rows_per_insert {
            self.flush()?;
        }
        Ok(())
    }

    /// Ends the sync: the last page, and pages whose items are all gone are recorded empty.
    fn finish(&mut self) -> StoreResult<()> {
        self.close_page()?;
        let mut emptied: Vec<u32> = self
            .ledger
            .values()
            .filter(|known| known.rows > 0 && !self.seen.contains(&known.page))
            .map(|known| known.page)
            .collect();
        emptied.sort_unstable();
        let empty_hash = hash_of(&[])?;
        for page in emptied {
            let version = self.next_version();
            self.pending_pages.push(PageRow {
                page,
                version,
                hash: empty_hash.clone(),
                rows: 0,
            });
        }
        self.flush()
    }

    /// Writes the pending facts, then records their pages: a page counts only once all its
    /// facts are stored.
    fn flush(&mut self) -> StoreResult<()> {
        if self.pending_pages.is_empty() {
            return Ok(());
        }
        let clickhouse = self.clickhouse;
        if clickhouse.fail_after_inserts == Some(self.inserts) {
            return Err(StoreError::database(
                "writing facts",
                "stopped on purpose (a test's interruption)",
            ));
        }
        self.inserts += 1;
        let facts = std::mem::take(&mut self.pending_facts);
        let pages = std::mem::take(&mut self.pending_pages);
        let facts_table = clickhouse.table("facts");
        let pages_table = clickhouse.table("fact_pages");
        clickhouse
            .block_on(async {
                if !facts.is_empty() {
                    // On a cluster: stored on the shards before the insert returns.
                    let mut insert = clickhouse
                        .client
                        .insert_unescaped::<FactOut>(&facts_table)
                        .await?
                        .with_setting("insert_distributed_sync", "1");
                    for fact in &facts {
                        insert.write(fact).await?;
                    }
                    insert.end().await?;
                }
                let mut insert = clickhouse
                    .client
                    .insert_unescaped::<PageRow>(&pages_table)
                    .await?;
                for page in &pages {
                    insert.write(page).await?;
                }
                insert.end().await
            })
            .map_err(|e| query_error("writing facts", "INSERT INTO facts", e))?;
        self.report.rows_written += facts.len() as u64;
        self.report.pages_written += pages.len() as u64;
        Ok(())
    }
}

/// The hash of a page's facts, as hex.
fn hash_of(rows: &[FactRow]) -> StoreResult<String> {
    let mut hasher = blake3::Hasher::new();
    for row in rows {
        let bytes =
            serde_json::to_vec(row).map_err(|e| StoreError::database("hashing facts", e))?;
        hasher.update(&bytes);
        hasher.update(b"\n");
    }
    Ok(hasher.finalize().to_hex().to_string())
}
