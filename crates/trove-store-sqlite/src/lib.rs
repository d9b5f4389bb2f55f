//! The embedded SQLite backend of [`trove_store::Store`]: one file, WAL journal, the default
//! database of the `trove` command on a laptop.
//!
//! SQL lives here (and in the PostgreSQL backend) and nowhere else. This crate depends only on
//! `trove-store` and `trove-domain`. One connection behind a mutex serves the process: SQLite
//! writes one transaction at a time anyway, and WAL lets other processes read meanwhile.

mod analysis_runs;
mod artifacts;
mod auth;
mod bulk;
mod decode;
mod discovery_runs;
mod embeddings;
mod fact_pages;
mod facts;
mod forms;
mod imports;
mod items;
mod mail;
mod migrate;
mod models;
mod multi_insert;
mod questions;
mod report_mail;
mod reports;
mod results;
mod sentiment_labels;
mod surveys;
mod taxonomy;
mod tokens;
mod totals;
mod webhooks;
mod workflow;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use trove_domain::{Customer, CustomerId, FeedbackItem, Journey, Slug, StoredFeedback, Theme};
use trove_store::{
    Coverage, Dimension, FeedbackFilter, GroupTally, ImportHold, ImportRun, ImportStatus,
    ImportTotals, InsertOutcome, ItemTags, KeyedTags, Laps, NewImportRun, NewTaxonomyVersion,
    PageVisitor, RuleTag, Store, StoreError, StoreResult, StoredTag, StoredTheme, TaxonomyVersion,
    ThemeCount, TotalsDelta, TotalsQuery, UpsertOutcome, WriteStages,
};

use crate::decode::{FEEDBACK_COLUMNS, db_error, decode_customer, decode_feedback, label_text};

/// Each connection's page cache (64 MiB) and where its sorts and temporary tables live
/// (memory); `bulk::restore_indexes` changes both for a while and restores them from here.
pub(crate) const CACHE_AND_TEMP_STORE: &str =
    "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Sets the file's page size, WAL journal and connection settings. On a new file two processes
/// can meet here while the file is still in rollback mode, where SQLite answers "busy" at once
/// instead of calling the busy handler when waiting could deadlock; so a busy answer is retried
/// (with growing pauses) until the busy timeout has passed.
fn configure(connection: &Connection) -> rusqlite::Result<()> {
    // WAL: readers do not block the writer; NORMAL sync is safe with WAL (a crash loses at most
    // the last commits, never consistency).
    let settings = format!(
        "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON; {CACHE_AND_TEMP_STORE}"
    );
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(2);
    loop {
        match connection.execute_batch(&settings) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

/// A Trove database in one SQLite file.
pub struct SqliteStore {
    connection: Mutex<Connection>,
    holds: imports::Holds,
    /// Where feedback writes spent their time (see [`Store::write_stages`]).
    stages: Mutex<WriteStages>,
    /// The background checkpoint of a bulk load under way.
    checkpointer: Mutex<Option<bulk::Checkpointer>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let open_error = |reason: String| StoreError::Open {
            url: format!("sqlite://{}", path.display()),
            reason,
        };
        let connection = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        // The busy timeout comes first: switching a new file to WAL takes a lock, and a second
        // process opening the same new file at that moment must wait for it, not fail with
        // "database is locked".
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_error(e.to_string()))?;
        configure(&connection).map_err(|e| open_error(e.to_string()))?;
        Self::with_connection(connection, imports::Holds::Files(path.to_path_buf()))
    }

    /// How many feedback items the Trove database at `path` holds, read without changing it
    /// (no migration, no file created); `None` when it is not a Trove database.
    pub fn peek_items(path: &Path) -> Option<u64> {
        let connection =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
        let total: i64 = connection
            .query_row("SELECT COUNT(*) FROM feedback", [], |row| row.get(0))
            .ok()?;
        u64::try_from(total).ok()
    }

    /// A private in-memory database (for tests and throw-away runs).
    pub fn open_in_memory() -> StoreResult<Self> {
        let connection = Connection::open_in_memory().map_err(|e| StoreError::Open {
            url: "sqlite::memory:".into(),
            reason: e.to_string(),
        })?;
        connection
            .execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(|e| db_error("configuring", e))?;
        Self::with_connection(connection, imports::Holds::Memory(Default::default()))
    }

    fn with_connection(connection: Connection, holds: imports::Holds) -> StoreResult<Self> {
        connection.set_prepared_statement_cache_capacity(64);
        let store = Self {
            connection: Mutex::new(connection),
            holds,
            stages: Mutex::default(),
            checkpointer: Mutex::default(),
        };
        store.migrate()?;
        bulk::restore_indexes(&mut store.lock())?;
        Ok(store)
    }

    fn checkpointer(&self) -> MutexGuard<'_, Option<bulk::Checkpointer>> {
        self.checkpointer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-written transaction behind (rusqlite
        // rolls back on drop), so the connection is still usable.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The WHERE clause (starting with `WHERE 1=1`) and its parameters for a filter.
fn filter_sql(filter: &FeedbackFilter) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE 1=1");
    let mut values = Vec::new();
    if let Some(since) = filter.since {
        sql.push_str(" AND received_at >= ?");
        values.push(Value::Integer(since));
    }
    if let Some(until) = filter.until {
        sql.push_str(" AND received_at < ?");
        values.push(Value::Integer(until));
    }
    if let Some(source) = &filter.source {
        sql.push_str(" AND source = ?");
        values.push(Value::Text(source.clone()));
    }
    if let Some(channel) = filter.channel {
        sql.push_str(" AND channel = ?");
        values.push(Value::Text(channel.as_str().to_owned()));
    }
    let labels = [
        ("business_unit = ?", &filter.business_unit),
        ("journey_stage = ?", &filter.journey_stage),
        ("touchpoint = ?", &filter.touchpoint),
        (
            "customer_id IN (SELECT id FROM customers WHERE segment = ?)",
            &filter.segment,
        ),
    ];
    for (condition, value) in labels {
        if let Some(value) = value {
            sql.push_str(" AND ");
            sql.push_str(condition);
            values.push(Value::Text(value.clone()));
        }
    }
    (sql, values)
}

/// Keyset pagination over ids: `fetch(last_id, limit)` reads the page after `last_id` (with
/// the store locked); the visitor runs with the store unlocked, until a short page or a stop.
fn visit_pages<T>(
    page_size: usize,
    mut fetch: impl FnMut(i64, usize) -> StoreResult<Vec<T>>,
    id: impl Fn(&T) -> i64,
    visit: &mut PageVisitor<'_, T>,
) -> StoreResult<()> {
    let page_size = page_size.max(1);
    let mut last_id = i64::MIN;
    loop {
        let page = fetch(last_id, page_size)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        last_id = id(last);
        let full = page.len() == page_size;
        if visit(page).is_break() || !full {
            return Ok(());
        }
    }
}

/// A filter's parameters followed by a page's `id >` bound and `LIMIT`.
fn page_values(filter_values: &[Value], last_id: i64, limit: usize) -> Vec<Value> {
    let mut values = filter_values.to_vec();
    values.push(Value::Integer(last_id));
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    values
}

fn dimension_sql(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Channel => "channel",
        Dimension::Source => "source",
        Dimension::BusinessUnit => "business_unit",
        Dimension::JourneyStage => "journey_stage",
        Dimension::Touchpoint => "touchpoint",
        Dimension::Region => "region",
        Dimension::Product => "product",
        Dimension::Month => "strftime('%Y-%m', received_at, 'unixepoch')",
    }
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl SqliteStore {
    /// Inserts a batch, and with `tags`, the rule tags of each item inserted, in one transaction.
    /// With `replace`, an item already stored is overwritten instead of skipped.
    ///
    /// In three passes (feedback rows, then the per-tag details, then the compact facts), each
    /// timed for [`Store::write_stages`]; tags and facts by multi-row statements.
    fn insert_batch(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: Option<(&[Vec<RuleTag>], i64)>,
        replace: bool,
    ) -> StoreResult<InsertOutcome> {
        let context = "inserting feedback";
        let mut connection = self.lock();
        let mut spent = WriteStages::default();
        let mut laps = Laps::start();
        // The batch's keys are checked once (check_keys), so SQLite's per-row checks of the
        // same keys are off while it is written (the setting cannot change inside a
        // transaction, and is restored whatever happens).
        connection
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(|e| db_error(context, e))?;
        let written = (|| {
            // Immediate: the key checks read before the batch writes, and a deferred
            // transaction that reads first cannot wait for another writer (SQLite answers
            // "locked" at once when its snapshot went stale); this one waits at BEGIN.
            let tx = connection
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| db_error(context, e))?;
            let theme_numbers = check_keys(&tx, import_run, tags)?;
            let (stored, outcome) = insert_rows(&tx, batch, import_run, replace)?;
            if let Some(run) = import_run {
                let new_ids: Vec<i64> = stored
                    .iter()
                    .filter(|row| row.new)
                    .map(|row| row.id)
                    .collect();
                imports::record_items(&tx, run, &new_ids)?;
            }
            spent.feedback = laps.lap();
            let rule_tags = |index: usize| {
                tags.and_then(|(tags, _)| tags.get(index))
                    .map_or(&[][..], Vec::as_slice)
            };
            if let Some((_, version)) = tags {
                let batch_tags: Vec<(i64, &RuleTag)> = stored
                    .iter()
                    .flat_map(|row| rule_tags(row.index).iter().map(move |tag| (row.id, tag)))
                    .collect();
                taxonomy::insert_batch_tags(&tx, &batch_tags, &theme_numbers, version)?;
            }
            for row in &stored {
                let item = &batch[row.index];
                if !item.source_themes.is_empty() {
                    link_source_themes(&tx, row.id, item)?;
                }
            }
            spent.tags = laps.lap();
            let new_rows: Vec<(i64, &FeedbackItem, &[RuleTag])> = stored
                .iter()
                .filter(|row| row.new)
                .map(|row| (row.id, &batch[row.index], rule_tags(row.index)))
                .collect();
            facts::insert_new_rows(&tx, &new_rows)?;
            for row in stored.iter().filter(|row| !row.new) {
                facts::refresh_counted(&tx, row.id)?;
            }
            spent.facts = laps.lap();
            totals::add_new(&tx, &TotalsDelta::of(new_rows.iter().map(|row| row.1)))?;
            if stored.iter().any(|row| !row.new) {
                totals::prune(&tx)?;
            }
            spent.totals = laps.lap();
            results::bump(&tx)?;
            spent.facts += laps.lap();
            tx.commit().map_err(|e| db_error(context, e))?;
            spent.commit = laps.lap();
            Ok(outcome)
        })();
        connection
            .execute_batch("PRAGMA foreign_keys = ON")
            .map_err(|e| db_error(context, e))?;
        let outcome = written?;
        spent.batches = 1;
        spent.side_by_side = 1;
        self.add_stages(&spent);
        Ok(outcome)
    }

    /// Adds a write's time to the store's running totals.
    fn add_stages(&self, spent: &WriteStages) {
        let mut stages = self
            .stages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *stages += spent;
    }
}

/// Checks the keys a batch's rows will refer to, once for the batch: its import run and the
/// themes of its rule tags (the feedback ids are the batch's own rows, source-coded themes are
/// added before they are linked). Returns the numbers of those themes.
fn check_keys<'a>(
    tx: &rusqlite::Transaction<'_>,
    import_run: Option<i64>,
    tags: Option<(&'a [Vec<RuleTag>], i64)>,
) -> StoreResult<taxonomy::ThemeNumbers<'a>> {
    let context = "inserting feedback";
    if let Some(run) = import_run {
        let known = tx
            .prepare_cached("SELECT 1 FROM import_runs WHERE id = ?1")
            .and_then(|mut known| known.exists([run]))
            .map_err(|e| db_error(context, e))?;
        if !known {
            return Err(db_error(context, format!("no import run {run}")));
        }
    }
    let themes = tags
        .into_iter()
        .flat_map(|(tags, _)| tags.iter().flatten().map(|tag| tag.theme.as_str()));
    taxonomy::theme_numbers(tx, context, themes)
}

/// A feedback row a batch wrote.
#[derive(Debug, Clone, Copy)]
struct RowWritten {
    /// The item's index in the batch.
    index: usize,
    /// Its id.
    id: i64,
    /// Inserted now (not overwritten).
    new: bool,
}

/// Inserts (or with `replace`, overwrites) the feedback rows of a batch; returns, for each row
/// written, its index in the batch, its id and whether it is new, in batch order. An item
/// overwritten twice in the batch is listed at its last occurrence only (it is stored from
/// that one).
fn insert_rows(
    tx: &rusqlite::Transaction<'_>,
    batch: &[FeedbackItem],
    import_run: Option<i64>,
    replace: bool,
) -> StoreResult<(Vec<RowWritten>, InsertOutcome)> {
    let context = "inserting feedback";
    let mut outcome = InsertOutcome::default();
    let mut stored = Vec::with_capacity(batch.len());
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO feedback (source, external_id, channel, received_at, received_offset, customer_id,
                account, business_unit, product, region, touchpoint, journey_stage, text, nps, csat, ces,
                language, attributes, import_run_id, sentiment, suggestion)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
             ON CONFLICT (source, external_id) DO NOTHING",
        )
        .map_err(|e| db_error(context, e))?;
    for (index, item) in batch.iter().enumerate() {
        let attributes = if item.attributes.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&item.attributes).map_err(|e| db_error(context, e))?)
        };
        let values = params![
            item.source.as_str(),
            item.external_id.as_str(),
            item.channel.as_str(),
            item.received_at.unix_seconds(),
            item.received_at.offset_seconds(),
            item.customer_id.as_ref().map(CustomerId::as_str),
            label_text(&item.account),
            label_text(&item.business_unit),
            label_text(&item.product),
            label_text(&item.region),
            label_text(&item.touchpoint),
            label_text(&item.journey_stage),
            item.text.as_str(),
            item.scores.nps.map(|s| s.value()),
            item.scores.csat.map(|s| s.value()),
            item.scores.ces.map(|s| s.value()),
            label_text(&item.language),
            attributes,
            import_run,
            item.sentiment,
            item.suggestion,
        ];
        let changed = insert.execute(values).map_err(|e| db_error(context, e))?;
        if changed == 1 {
            outcome.inserted += 1;
            stored.push(RowWritten {
                index,
                id: tx.last_insert_rowid(),
                new: true,
            });
        } else if replace {
            outcome.replaced += 1;
            stored.push(RowWritten {
                index,
                id: overwrite(tx, values)?,
                new: false,
            });
        } else {
            outcome.duplicates += 1;
        }
    }
    if outcome.replaced > 0 {
        // An item written twice keeps its links from its last occurrence only.
        let mut seen = std::collections::HashSet::new();
        stored.reverse();
        stored.retain(|row| seen.insert(row.id));
        stored.reverse();
    }
    Ok((stored, outcome))
}

/// Links item `id` to the themes its source coded it with, creating those themes when new.
fn link_source_themes(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    item: &FeedbackItem,
) -> StoreResult<()> {
    let context = "inserting feedback";
    for name in &item.source_themes {
        let Some(theme_id) = Slug::from_name(name.as_str()) else {
            continue;
        };
        tx.prepare_cached(
            "INSERT INTO themes (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
        )
        .and_then(|mut add| add.execute(params![theme_id.as_str(), name.as_str()]))
        .map_err(|e| db_error(context, e))?;
        tx.prepare_cached(
            "INSERT INTO feedback_tags (feedback_id, theme, origin)
             VALUES (?1, (SELECT num FROM theme_numbers WHERE theme_id = ?2), 'source')
             ON CONFLICT DO NOTHING",
        )
        .and_then(|mut link| link.execute(params![id, theme_id.as_str()]))
        .map_err(|e| db_error(context, e))?;
    }
    Ok(())
}

/// Overwrites the stored item with `item`'s key from the insert's `values` (keeping its id and
/// the run that added it) and drops its source-coded themes and rule tags, which the caller
/// stores afresh; returns its id.
fn overwrite(tx: &rusqlite::Transaction<'_>, values: &[&dyn rusqlite::ToSql]) -> StoreResult<i64> {
    let context = "replacing feedback";
    let mut update = tx
        .prepare_cached(
            "UPDATE feedback SET channel = ?3, received_at = ?4, received_offset = ?5, customer_id = ?6,
                account = ?7, business_unit = ?8, product = ?9, region = ?10, touchpoint = ?11,
                journey_stage = ?12, text = ?13, nps = ?14, csat = ?15, ces = ?16, language = ?17,
                attributes = ?18, sentiment = ?19, suggestion = ?20
             WHERE source = ?1 AND external_id = ?2 RETURNING id",
        )
        .map_err(|e| db_error(context, e))?;
    // The insert's values without its import run (the item keeps the run that added it).
    let values: Vec<&dyn rusqlite::ToSql> = values
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != IMPORT_RUN_VALUE)
        .map(|(_, value)| *value)
        .collect();
    let id: i64 = update
        .query_row(values.as_slice(), |row| row.get(0))
        .map_err(|e| db_error(context, e))?;
    tx.prepare_cached(
        "DELETE FROM feedback_tags WHERE feedback_id = ?1 AND origin IN ('source', 'rule')",
    )
    .and_then(|mut delete| delete.execute([id]))
    .map_err(|e| db_error(context, e))?;
    Ok(id)
}

/// The position of the import run among the insert's values.
const IMPORT_RUN_VALUE: usize = 18;

/// An analytics backend's sync reads the compact facts page by page (see `fact_pages`).
impl trove_store::FactPages for SqliteStore {
    fn fact_page_digests(
        &self,
        page_ids: i64,
    ) -> StoreResult<Option<Vec<trove_store::FactPageDigest>>> {
        fact_pages::digests(self, page_ids).map(Some)
    }

    fn fact_range(&self, first: i64, end: i64) -> StoreResult<Option<Vec<trove_store::FactRow>>> {
        fact_pages::range(self, first, end).map(Some)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn migrate(&self) -> StoreResult<Vec<String>> {
        migrate::apply(&mut self.lock())
    }

    fn insert_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
    ) -> StoreResult<InsertOutcome> {
        self.insert_batch(batch, import_run, None, false)
    }

    fn insert_tagged_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: &[Vec<RuleTag>],
        taxonomy_version: i64,
    ) -> StoreResult<InsertOutcome> {
        self.insert_batch(batch, import_run, Some((tags, taxonomy_version)), false)
    }

    fn replace_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: Option<(&[Vec<RuleTag>], i64)>,
    ) -> StoreResult<InsertOutcome> {
        self.insert_batch(batch, import_run, tags, true)
    }

    fn begin_bulk_load(&self) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let mut connection = self.lock();
        bulk::begin(&mut connection)?;
        drop(connection);
        if let imports::Holds::Files(path) = &self.holds {
            *self.checkpointer() = bulk::Checkpointer::start(path);
        }
        self.add_stages(&WriteStages {
            indexes: started.elapsed(),
            ..WriteStages::default()
        });
        Ok(())
    }

    fn end_bulk_load(&self) -> StoreResult<()> {
        let started = std::time::Instant::now();
        // Stopped (and waited for) before the indexes are built.
        self.checkpointer().take();
        bulk::end(&mut self.lock())?;
        self.add_stages(&WriteStages {
            indexes: started.elapsed(),
            ..WriteStages::default()
        });
        Ok(())
    }

    fn write_stages(&self) -> Option<WriteStages> {
        Some(
            *self
                .stages
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    fn import_items_among(&self, run: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
        imports::items_among(&self.lock(), run, ids)
    }

    fn delete_import(&self, run: i64, at: i64) -> StoreResult<u64> {
        imports::delete(&mut self.lock(), run, at)
    }

    fn count_feedback(&self, filter: &FeedbackFilter) -> StoreResult<u64> {
        let (where_sql, values) = filter_sql(filter);
        let connection = self.lock();
        let total: i64 = connection
            .query_row(
                &format!("SELECT COUNT(*) FROM feedback{where_sql}"),
                params_from_iter(values),
                |row| row.get(0),
            )
            .map_err(|e| db_error("counting feedback", e))?;
        Ok(count(total))
    }

    fn scan_feedback(
        &self,
        filter: &FeedbackFilter,
        page_size: usize,
        visit: &mut PageVisitor<'_, StoredFeedback>,
    ) -> StoreResult<()> {
        let context = "reading feedback";
        let (where_sql, values) = filter_sql(filter);
        let page_sql = format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback{where_sql} AND id > ? ORDER BY id LIMIT ?"
        );
        visit_pages(
            page_size,
            |last_id, limit| {
                let connection = self.lock();
                let mut statement = connection
                    .prepare_cached(&page_sql)
                    .map_err(|e| db_error(context, e))?;
                let rows = statement
                    .query_map(
                        params_from_iter(page_values(&values, last_id, limit)),
                        decode_feedback,
                    )
                    .map_err(|e| db_error(context, e))?;
                let mut page = Vec::with_capacity(limit);
                for row in rows {
                    page.push(row.map_err(|e| db_error(context, e))??);
                }
                attach_source_themes(&connection, &mut page)?;
                Ok(page)
            },
            |stored| stored.id,
            visit,
        )
    }

    fn scan_item_themes(
        &self,
        filter: &FeedbackFilter,
        origin: trove_store::ThemeOrigin,
        page_size: usize,
        visit: &mut PageVisitor<'_, trove_store::ItemThemes>,
    ) -> StoreResult<()> {
        facts::scan(self, filter, origin, page_size, visit)
    }

    fn scan_item_facts(
        &self,
        filter: &FeedbackFilter,
        origin: trove_store::ThemeOrigin,
        parts: &mut [&mut trove_store::FactVisitor<'_>],
    ) -> StoreResult<()> {
        facts::scan_parts(self, filter, origin, parts)
    }

    fn tally_by(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>> {
        if let Some(query) = TotalsQuery::plan(dimension, filter) {
            return totals::tally(&self.lock(), &query);
        }
        // The facts carry every dimension but the region and the product (the feedback rows').
        let table = match dimension {
            Dimension::Region | Dimension::Product => "feedback",
            _ => "feedback_facts",
        };
        let (where_sql, values) = filter_sql(filter);
        let sql = format!(
            "SELECT {key} AS k, COUNT(*), COUNT(nps), TOTAL(nps >= 9), TOTAL(nps <= 6), COUNT(csat),
                    TOTAL(csat >= 4), COUNT(ces), TOTAL(ces), TOTAL(ces >= 5), TOTAL(ces * ces)
             FROM {table}{where_sql} GROUP BY k ORDER BY k",
            key = dimension_sql(dimension)
        );
        let connection = self.lock();
        let mut statement = connection
            .prepare(&sql)
            .map_err(|e| db_error("tallying feedback", e))?;
        let rows = statement
            .query_map(params_from_iter(values), group_tally)
            .map_err(|e| db_error("tallying feedback", e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| db_error("tallying feedback", e))
    }

    fn upsert_customers(&self, batch: &[Customer]) -> StoreResult<UpsertOutcome> {
        let context = "storing customers";
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(|e| db_error(context, e))?;
        let mut outcome = UpsertOutcome::default();
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM customers WHERE id = ?1")
                .map_err(|e| db_error(context, e))?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO customers (id, name, email, segment, business_unit, region, value_minor, currency,
                        first_seen, churned)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
                        segment = excluded.segment, business_unit = excluded.business_unit, region = excluded.region,
                        value_minor = excluded.value_minor, currency = excluded.currency,
                        first_seen = excluded.first_seen, churned = excluded.churned",
                )
                .map_err(|e| db_error(context, e))?;
            for customer in batch {
                let known = exists
                    .exists(params![customer.id.as_str()])
                    .map_err(|e| db_error(context, e))?;
                upsert
                    .execute(params![
                        customer.id.as_str(),
                        label_text(&customer.name),
                        label_text(&customer.email),
                        label_text(&customer.segment),
                        label_text(&customer.business_unit),
                        label_text(&customer.region),
                        customer.value.map(|m| m.minor()),
                        customer.value.map(|m| m.currency().as_str().to_owned()),
                        customer.first_seen.map(|d| d.to_string()),
                        customer.churned,
                    ])
                    .map_err(|e| db_error(context, e))?;
                if known {
                    outcome.updated += 1
                } else {
                    outcome.inserted += 1
                }
            }
        }
        results::bump(&tx)?;
        tx.commit().map_err(|e| db_error(context, e))?;
        Ok(outcome)
    }

    fn customer(&self, id: &CustomerId) -> StoreResult<Option<Customer>> {
        let connection = self.lock();
        let found = connection
            .query_row(
                &format!(
                    "SELECT {} FROM customers WHERE id = ?1",
                    decode::CUSTOMER_COLUMNS
                ),
                params![id.as_str()],
                decode_customer,
            )
            .optional()
            .map_err(|e| db_error("reading a customer", e))?;
        found.transpose()
    }

    fn count_customers(&self) -> StoreResult<u64> {
        let connection = self.lock();
        let total: i64 = connection
            .query_row("SELECT COUNT(*) FROM customers", [], |row| row.get(0))
            .map_err(|e| db_error("counting customers", e))?;
        Ok(count(total))
    }

    fn scan_customers(
        &self,
        page_size: usize,
        visit: &mut PageVisitor<'_, Customer>,
    ) -> StoreResult<()> {
        let context = "reading customers";
        let sql = format!(
            "SELECT {} FROM customers WHERE id > ?1 ORDER BY id LIMIT ?2",
            decode::CUSTOMER_COLUMNS
        );
        let page_size = page_size.max(1);
        let mut last_id = String::new();
        loop {
            let page = {
                let connection = self.lock();
                let mut statement = connection
                    .prepare_cached(&sql)
                    .map_err(|e| db_error(context, e))?;
                let rows = statement
                    .query_map(
                        params![last_id, i64::try_from(page_size).unwrap_or(i64::MAX)],
                        decode_customer,
                    )
                    .map_err(|e| db_error(context, e))?;
                let mut page = Vec::with_capacity(page_size);
                for row in rows {
                    page.push(row.map_err(|e| db_error(context, e))??);
                }
                page
            };
            let Some(last) = page.last() else {
                return Ok(());
            };
            last_id = last.id.to_string();
            let full = page.len() == page_size;
            if visit(page).is_break() || !full {
                return Ok(());
            }
        }
    }

    fn replace_journey(&self, journey: &Journey) -> StoreResult<()> {
        let context = "storing the journey";
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(|e| db_error(context, e))?;
        let run = |sql: &str, values: &[&dyn rusqlite::ToSql]| -> StoreResult<()> {
            tx.execute(sql, values)
                .map(drop)
                .map_err(|e| db_error(context, e))
        };
        for (position, department) in journey.departments().iter().enumerate() {
            run(
                "INSERT INTO departments (id, name, position) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, position = excluded.position",
                &[
                    &department.id.as_str(),
                    &department.name.as_str(),
                    &(position as i64),
                ],
            )?;
        }
        run("DELETE FROM touchpoint_departments", &[])?;
        run("DELETE FROM touchpoints", &[])?;
        run("DELETE FROM stages", &[])?;
        let mut touchpoint_position = 0_i64;
        for (position, stage) in journey.stages().iter().enumerate() {
            run(
                "INSERT INTO stages (id, name, position) VALUES (?1, ?2, ?3)",
                &[&stage.id.as_str(), &stage.name.as_str(), &(position as i64)],
            )?;
            for touchpoint in &stage.touchpoints {
                run(
                    "INSERT INTO touchpoints (id, stage_id, name, moment_of_truth, position) VALUES (?1, ?2, ?3, ?4, ?5)",
                    &[
                        &touchpoint.id.as_str(),
                        &stage.id.as_str(),
                        &touchpoint.name.as_str(),
                        &touchpoint.moment_of_truth,
                        &touchpoint_position,
                    ],
                )?;
                touchpoint_position += 1;
                for (order, department) in touchpoint.departments.iter().enumerate() {
                    run(
                        "INSERT INTO touchpoint_departments (touchpoint_id, department_id, position) VALUES (?1, ?2, ?3)",
                        &[
                            &touchpoint.id.as_str(),
                            &department.as_str(),
                            &(order as i64),
                        ],
                    )?;
                }
            }
        }
        results::bump(&tx)?;
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn journey(&self) -> StoreResult<Option<Journey>> {
        decode::load_journey(&self.lock())
    }

    fn upsert_themes(&self, themes: &[Theme]) -> StoreResult<()> {
        let context = "storing themes";
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(|e| db_error(context, e))?;
        for theme in themes {
            tx.execute(
                "INSERT INTO themes (id, name, parent_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id",
                params![theme.id.as_str(), theme.name.as_str(), theme.parent.as_ref().map(Slug::as_str)],
            )
            .map_err(|e| db_error(context, e))?;
        }
        results::bump(&tx)?;
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn themes(&self) -> StoreResult<Vec<Theme>> {
        decode::load_themes(&self.lock())
    }

    fn start_import(&self, run: &NewImportRun) -> StoreResult<ImportHold> {
        imports::start(&mut self.lock(), &self.holds, run)
    }

    fn finish_import(
        &self,
        id: i64,
        status: ImportStatus,
        totals: &ImportTotals,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        imports::finish(&self.lock(), id, status, totals, reason)
    }

    fn import_runs(&self, limit: usize) -> StoreResult<Vec<ImportRun>> {
        imports::list(&self.lock(), &self.holds, limit)
    }

    fn save_taxonomy_version(&self, version: &NewTaxonomyVersion) -> StoreResult<i64> {
        taxonomy::save_version(&mut self.lock(), version)
    }

    fn current_taxonomy(&self) -> StoreResult<Option<TaxonomyVersion>> {
        taxonomy::current(&self.lock())
    }

    fn theme_records(&self) -> StoreResult<Vec<StoredTheme>> {
        taxonomy::theme_records(&self.lock())
    }

    fn replace_rule_tags(&self, taxonomy_version: i64, batch: &[ItemTags]) -> StoreResult<u64> {
        taxonomy::replace_tags(&mut self.lock(), taxonomy_version, batch)
    }

    fn replace_model_tags(&self, model_version: i64, batch: &[ItemTags]) -> StoreResult<u64> {
        models::replace_tags(&mut self.lock(), model_version, batch)
    }

    fn replace_rule_tags_by_key(
        &self,
        taxonomy_version: i64,
        batch: &[KeyedTags],
    ) -> StoreResult<u64> {
        taxonomy::replace_tags_by_key(&mut self.lock(), taxonomy_version, batch)
    }

    fn item_tags(&self, feedback_id: i64) -> StoreResult<Vec<StoredTag>> {
        taxonomy::item_tags(&self.lock(), feedback_id)
    }

    fn theme_counts(&self, filter: &FeedbackFilter, origin: &str) -> StoreResult<Vec<ThemeCount>> {
        taxonomy::theme_counts(&self.lock(), filter, origin)
    }

    fn count_items(&self, query: &trove_store::ItemQuery) -> StoreResult<u64> {
        items::count(&self.lock(), query)
    }

    fn list_items(
        &self,
        query: &trove_store::ItemQuery,
        at: trove_store::ItemPageAt,
        limit: usize,
        matching: Option<u64>,
    ) -> StoreResult<Vec<trove_store::ListedItem>> {
        if matching == Some(0) {
            return Ok(Vec::new());
        }
        items::list(
            &self.lock(),
            query,
            at,
            limit,
            trove_store::ItemPlan::for_matches(matching),
        )
    }

    fn coverage(&self, filter: &FeedbackFilter) -> StoreResult<Coverage> {
        taxonomy::coverage(&self.lock(), filter)
    }

    fn save_analysis_run(&self, run: &trove_store::NewAnalysisRun) -> StoreResult<i64> {
        analysis_runs::save(&self.lock(), run)
    }

    fn analysis_runs(&self, limit: usize) -> StoreResult<Vec<trove_store::AnalysisRunSummary>> {
        analysis_runs::list(&self.lock(), limit)
    }

    fn analysis_run(&self, id: i64) -> StoreResult<Option<trove_store::AnalysisRun>> {
        analysis_runs::one(&self.lock(), id)
    }

    fn data_version(&self) -> StoreResult<i64> {
        results::version(&self.lock())
    }

    fn save_result(&self, result: &trove_store::StoredResult) -> StoreResult<()> {
        results::save(&self.lock(), result)
    }

    fn stored_result(&self, key: &str) -> StoreResult<Option<trove_store::StoredResult>> {
        results::one(&self.lock(), key)
    }

    fn stored_results(&self, limit: usize) -> StoreResult<Vec<trove_store::StoredResultHead>> {
        results::list(&self.lock(), limit)
    }

    fn save_report(&self, report: &trove_store::StoredReport, keep: usize) -> StoreResult<()> {
        reports::save(&mut self.lock(), report, keep)
    }

    fn report_heads(&self) -> StoreResult<Vec<trove_store::ReportHead>> {
        reports::heads(&self.lock())
    }

    fn stored_report(
        &self,
        business_unit: &str,
        month: &str,
    ) -> StoreResult<Option<trove_store::StoredReport>> {
        reports::one(&self.lock(), business_unit, month)
    }

    fn save_discovery_run(&self, run: &trove_store::NewDiscoveryRun) -> StoreResult<i64> {
        discovery_runs::save(&self.lock(), run)
    }

    fn discovery_runs(&self, limit: usize) -> StoreResult<Vec<trove_store::DiscoveryRunSummary>> {
        discovery_runs::list(&self.lock(), limit)
    }

    fn discovery_run(&self, id: i64) -> StoreResult<Option<trove_store::DiscoveryRun>> {
        discovery_runs::one(&self.lock(), id)
    }

    fn save_model(&self, model: &trove_store::NewModel) -> StoreResult<i64> {
        models::save(&mut self.lock(), model)
    }

    fn latest_model(&self, name: &str) -> StoreResult<Option<trove_store::StoredModel>> {
        models::latest(&self.lock(), name)
    }

    fn models(&self) -> StoreResult<Vec<trove_store::ModelSummary>> {
        models::list(&self.lock())
    }

    fn set_source_question(&self, question: &trove_store::SourceQuestion) -> StoreResult<()> {
        questions::set(&self.lock(), question)
    }

    fn source_questions(&self) -> StoreResult<Vec<trove_store::SourceQuestion>> {
        questions::list(&self.lock())
    }

    fn append_events(
        &self,
        expected_last: i64,
        events: &[trove_store::NewEvent],
    ) -> StoreResult<i64> {
        workflow::append(&mut self.lock(), expected_last, events)
    }

    fn events(&self, after: i64) -> StoreResult<Vec<trove_store::StoredEvent>> {
        workflow::after(&self.lock(), after)
    }

    fn set_credential(&self, credential: &trove_store::Credential) -> StoreResult<()> {
        auth::set_credential(&mut self.lock(), credential)
    }

    fn credential(&self, email: &str) -> StoreResult<Option<trove_store::Credential>> {
        auth::credential(&self.lock(), email)
    }

    fn create_session(&self, session: &trove_store::SessionRecord) -> StoreResult<()> {
        auth::create_session(&self.lock(), session)
    }

    fn session(&self, id_hash: &str) -> StoreResult<Option<trove_store::SessionRecord>> {
        auth::session(&self.lock(), id_hash)
    }

    fn touch_session(&self, id_hash: &str, at: i64) -> StoreResult<()> {
        auth::touch_session(&self.lock(), id_hash, at)
    }

    fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        auth::delete_session(&self.lock(), id_hash)
    }

    fn delete_expired_sessions(&self, now: i64, idle_before: i64) -> StoreResult<u64> {
        auth::delete_expired(&self.lock(), now, idle_before)
    }

    fn create_webhook(&self, webhook: &trove_store::NewWebhook) -> StoreResult<i64> {
        webhooks::create(&self.lock(), webhook)
    }

    fn webhooks(&self) -> StoreResult<Vec<trove_store::Webhook>> {
        webhooks::list(&self.lock())
    }

    fn remove_webhook(&self, id: i64, at: i64) -> StoreResult<bool> {
        webhooks::remove(&mut self.lock(), id, at)
    }

    fn webhook_watch(&self) -> StoreResult<Option<trove_store::WebhookWatch>> {
        webhooks::watch(&self.lock())
    }

    fn start_webhook_watch(
        &self,
        at: i64,
        workflow_seq: i64,
    ) -> StoreResult<trove_store::WebhookWatch> {
        webhooks::start_watch(&self.lock(), at, workflow_seq)
    }

    fn enqueue_webhook_events(
        &self,
        events: &[trove_store::NewWebhookEvent],
        workflow_seq: Option<i64>,
        at: i64,
    ) -> StoreResult<usize> {
        webhooks::enqueue(&mut self.lock(), events, workflow_seq, at)
    }

    fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> StoreResult<Vec<trove_store::DueDelivery>> {
        webhooks::claim(&mut self.lock(), now, lease_until, limit)
    }

    fn record_webhook_attempt(&self, attempt: &trove_store::WebhookAttempt) -> StoreResult<()> {
        webhooks::record(&mut self.lock(), attempt)
    }

    fn webhook_deliveries(
        &self,
        failed_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<trove_store::WebhookDelivery>> {
        webhooks::deliveries(&self.lock(), failed_only, limit)
    }

    fn webhook_attempts(&self, delivery_id: i64) -> StoreResult<Vec<trove_store::WebhookAttempt>> {
        webhooks::attempts(&self.lock(), delivery_id)
    }

    fn create_form(&self, form: &trove_store::FormRecord) -> StoreResult<()> {
        forms::create(&self.lock(), form)
    }

    fn form(&self, id: &str) -> StoreResult<Option<trove_store::FormRecord>> {
        forms::one(&self.lock(), id)
    }

    fn forms(&self) -> StoreResult<Vec<trove_store::FormRecord>> {
        forms::list(&self.lock())
    }

    fn close_form(&self, id: &str, at: i64) -> StoreResult<bool> {
        forms::close(&self.lock(), id, at)
    }

    fn form_import_run(&self, id: &str, day: &str, at: i64) -> StoreResult<i64> {
        forms::day_run(&mut self.lock(), id, day, at)
    }

    fn add_to_import_run(&self, run: i64, totals: &ImportTotals, at: i64) -> StoreResult<()> {
        forms::add_to_run(&self.lock(), run, totals, at)
    }

    fn create_api_token(&self, token: &trove_store::NewApiToken) -> StoreResult<i64> {
        tokens::create(&self.lock(), token)
    }

    fn api_tokens(&self) -> StoreResult<Vec<trove_store::ApiToken>> {
        tokens::list(&self.lock())
    }

    fn api_token_by_hash(&self, secret_hash: &str) -> StoreResult<Option<trove_store::ApiToken>> {
        tokens::by_hash(&self.lock(), secret_hash)
    }

    fn touch_api_token(&self, id: i64, at: i64) -> StoreResult<()> {
        tokens::touch(&self.lock(), id, at)
    }

    fn revoke_api_token(&self, id: i64, at: i64) -> StoreResult<bool> {
        tokens::revoke(&self.lock(), id, at)
    }

    fn rotate_api_token(&self, id: i64, secret_hash: &str, at: i64) -> StoreResult<bool> {
        tokens::rotate(&self.lock(), id, secret_hash, at)
    }

    fn feedback_items(&self, ids: &[i64]) -> StoreResult<Vec<trove_store::ListedItem>> {
        items::by_ids(&self.lock(), ids)
    }

    fn add_artifact(&self, artifact: &trove_store::NewArtifact) -> StoreResult<i64> {
        artifacts::add(&self.lock(), artifact)
    }

    fn artifacts(
        &self,
        target: Option<&trove_store::ArtifactTarget>,
    ) -> StoreResult<Vec<trove_store::Artifact>> {
        artifacts::list(&self.lock(), target)
    }

    fn artifact_content(&self, id: i64) -> StoreResult<Option<(trove_store::Artifact, Vec<u8>)>> {
        artifacts::content(&self.lock(), id)
    }

    fn remove_artifact(&self, id: i64) -> StoreResult<bool> {
        artifacts::remove(&self.lock(), id)
    }
}

/// Fills in the source-coded themes of a page of items with one query.
fn attach_source_themes(connection: &Connection, page: &mut [StoredFeedback]) -> StoreResult<()> {
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(());
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT ft.feedback_id, t.name FROM feedback_themes ft JOIN themes t ON t.id = ft.theme_id
             WHERE ft.origin = 'source' AND ft.feedback_id BETWEEN ?1 AND ?2 ORDER BY ft.feedback_id",
        )
        .map_err(|e| db_error("reading feedback themes", e))?;
    let rows = statement
        .query_map(params![first.id, last.id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(|e| db_error("reading feedback themes", e))?;
    for row in rows {
        let (feedback_id, name) = row.map_err(|e| db_error("reading feedback themes", e))?;
        // The page is sorted by id, but a filter may have skipped ids inside the range.
        if let Ok(index) = page.binary_search_by_key(&feedback_id, |s| s.id) {
            let label = trove_domain::Label::parse("theme name", &name).map_err(|source| {
                StoreError::Corrupt {
                    table: "themes",
                    column: "name",
                    row: name.clone(),
                    source,
                }
            })?;
            page[index].item.source_themes.push(label);
        }
    }
    Ok(())
}

/// A grouped tally row: the group's key, then the ten counts of [`trove_domain::ScoreTally`] in
/// [`trove_store::TOTALS_TALLY_COLUMNS`] order. Read as floats: `TOTAL()` sums are floats in
/// SQLite (exact here: small integers), and an integer column reads as one too.
fn group_tally(row: &rusqlite::Row<'_>) -> rusqlite::Result<GroupTally> {
    let mut values = [0_u64; 10];
    for (index, value) in values.iter_mut().enumerate() {
        *value = row.get::<_, f64>(index + 1)? as u64;
    }
    Ok(GroupTally {
        key: row.get(0)?,
        tally: trove_store::tally_from_values(values),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_database_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trove.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .insert_feedback(&[trove_store::contract::item("s", "1")], None)
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.count_feedback(&FeedbackFilter::default()).unwrap(), 1);
        assert!(store.migrate().unwrap().is_empty());
    }

    #[test]
    fn a_batch_whose_rule_tag_names_an_unknown_theme_is_refused_whole() {
        let store = SqliteStore::open_in_memory().unwrap();
        let tag = |theme: &str| RuleTag {
            theme: Slug::parse("theme", theme).unwrap(),
            phrase: "late".into(),
            start: 0,
            end: 4,
            sentiment: None,
        };
        store
            .upsert_themes(&[Theme {
                id: Slug::parse("theme", "delay").unwrap(),
                name: trove_domain::Label::parse("name", "Delay").unwrap(),
                parent: None,
            }])
            .unwrap();
        let batch = [
            trove_store::contract::item("s", "1"),
            trove_store::contract::item("s", "2"),
        ];
        let refused = store.insert_tagged_feedback(
            &batch,
            None,
            &[vec![tag("delay")], vec![tag("nowhere")]],
            1,
        );
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(store.count_feedback(&FeedbackFilter::default()).unwrap(), 0);
        let stored = store
            .insert_tagged_feedback(&batch, None, &[vec![tag("delay")], vec![]], 1)
            .unwrap();
        assert_eq!(stored.inserted, 2);
    }

    #[test]
    fn a_file_database_uses_the_wal_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("trove.db")).unwrap();
        let mode: String = store
            .lock()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
