//! Loading many items into a small database: the secondary indexes that every new row would
//! update at a random place are dropped before the load and built once, sorted, after it.
//!
//! Between the two, the database is consistent, only slower to search: a crash (or a kill)
//! there leaves the indexes missing, and the next open of the file builds them again
//! ([`restore_indexes`]), as the end of the load would have. (A migration that touches these
//! indexes must say `IF EXISTS`.)
//!
//! Meanwhile a thread of its own ([`Checkpointer`]) copies the journal's pages into the
//! database, so the writer's thread spends its time on rows rather than on checkpoints.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;
use trove_store::StoreResult;

use crate::decode::db_error;

/// The secondary indexes a bulk load builds at its end instead of row by row: name and
/// statement (the same as their migrations', made idempotent).
///
/// Only the drill-down's time index is deferred: its rows arrive in no order of time, so each
/// batch touches pages all over it (and writes them again to the journal). The run index and
/// the themes' index take their new entries at a few places and stay (deferring the themes'
/// index was measured twice: sorted in one list, building it over 1,260,000 tags took longer
/// than keeping it did; sorted in runs, over the 2,670,292 tags of 1,000,000 real texts, the
/// writer spent 3-4 s less CPU but the build took 3.1-3.4 s, and the import, bound by both
/// cores' CPU, took as long).
const DEFERRED_INDEXES: &[(&str, &str)] = &[(
    "feedback_received",
    "CREATE INDEX IF NOT EXISTS feedback_received ON feedback (received_at, id)",
)];

/// A load drops the indexes only into a database holding fewer items than this: building them
/// again over this many existing rows costs well under a second, whatever the load's size.
const SMALL_DATABASE: i64 = 100_000;

/// How many WAL pages a bulk load lets pile up before SQLite copies them into the database
/// (the default is 1,000): 160 MiB of 8 KiB pages, so the pages every batch writes again (the
/// tables' right edges, the indexes' busy pages) are copied, and the files synced, once every
/// few dozen batches instead of every two or three.
const BULK_CHECKPOINT_PAGES: u32 = 20_000;

/// SQLite's default, restored when the load ends.
const DEFAULT_CHECKPOINT_PAGES: u32 = 1_000;

/// Prepares a load: checkpoints the journal less often and, when the database is small, drops
/// the deferred indexes. Returns whether it dropped them (then [`end`] must follow the load).
pub(crate) fn begin(connection: &mut Connection) -> StoreResult<bool> {
    let context = "preparing a bulk load";
    // A setting of this connection, not of the file: a killed process leaves nothing behind.
    connection
        .execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}"
        ))
        .map_err(|e| db_error(context, e))?;
    let tx = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    // Counts at most SMALL_DATABASE rows, so it is quick on a big database too.
    let stored: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM feedback LIMIT ?1)",
            [SMALL_DATABASE],
            |row| row.get(0),
        )
        .map_err(|e| db_error(context, e))?;
    if stored >= SMALL_DATABASE {
        return Ok(false);
    }
    for (name, _) in DEFERRED_INDEXES {
        tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
            .map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(true)
}

/// Ends a load: builds the deferred indexes and checkpoints as usual again.
pub(crate) fn end(connection: &mut Connection) -> StoreResult<()> {
    restore_indexes(connection)?;
    connection
        .execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = {DEFAULT_CHECKPOINT_PAGES}"
        ))
        .map_err(|e| db_error("ending a bulk load", e))
}

/// Builds the deferred indexes that are missing (after a load, or at open after a load that
/// never ended); does nothing, and takes no lock, when none is.
pub(crate) fn restore_indexes(connection: &mut Connection) -> StoreResult<()> {
    let context = "building the indexes after a bulk load";
    if missing_indexes(connection)
        .map_err(|e| db_error(context, e))?
        .is_empty()
    {
        return Ok(());
    }
    // SQLite sorts an index's entries on helper threads when allowed (none by default), and
    // only when it sorts them in runs (of the page cache's size) merged from temporary files:
    // with the connection's temporary storage in memory it sorts every entry in one list,
    // whose merges miss the CPU's cache at each step. So the build sorts in runs of 4 MiB in
    // files, then the connection's settings come back. On the 2-core machine, the drill-down
    // index over 1,000,000 real rows: 0.80-0.81 s instead of 1.94-2.17 s (`trove bench import`,
    // its "indexes" line, two alternations). Where no temporary file can be made, it is built
    // in memory as before.
    let helpers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let in_runs =
        format!("PRAGMA threads = {helpers}; PRAGMA temp_store = FILE; PRAGMA cache_size = -4096;");
    let built = connection
        .execute_batch(&in_runs)
        .map_err(|e| db_error(context, e))
        .and_then(|()| build_missing(connection, context));
    connection
        .execute_batch(crate::CACHE_AND_TEMP_STORE)
        .map_err(|e| db_error(context, e))?;
    built.or_else(|_| build_missing(connection, context))
}

/// Builds the deferred indexes that are missing, in one transaction.
fn build_missing(connection: &mut Connection, context: &'static str) -> StoreResult<()> {
    let tx = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    for create in missing_indexes(&tx).map_err(|e| db_error(context, e))? {
        tx.execute_batch(create).map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))
}

/// The statements that build the deferred indexes missing from the database.
fn missing_indexes(connection: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let mut exists =
        connection.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1")?;
    let mut missing = Vec::new();
    for (name, create) in DEFERRED_INDEXES {
        if !exists.exists([name])? {
            missing.push(*create);
        }
    }
    Ok(missing)
}

/// How often the background checkpoint of a bulk load runs.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies the journal's pages into the database on a thread of its own while a bulk load
/// writes (PASSIVE: it never waits for the writer or a reader, nor holds them up), so the
/// copying and syncing leave the writer's thread: its own checkpoint, every
/// [`BULK_CHECKPOINT_PAGES`], finds the pages copied already and only starts the journal over.
/// A checkpoint that fails here loses nothing (the pages stay in the journal for the writer's
/// own checkpoint), so its errors are not reported. Stops when dropped.
pub(crate) struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database file at `path`; `None` when no second connection or
    /// thread could be had (the load then goes on with the writer's own checkpoints).
    pub(crate) fn start(path: &Path) -> Option<Self> {
        let connection = Connection::open(path).ok()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("trove-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            // A panic there changed nothing in the database.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use trove_store::{FeedbackFilter, ItemQuery, Store};

    use crate::SqliteStore;

    fn indexes(store: &SqliteStore) -> Vec<String> {
        let connection = store.lock();
        let mut statement = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn items(from: u32, to: u32) -> Vec<trove_domain::FeedbackItem> {
        (from..to)
            .map(|i| trove_store::contract::item("s", &i.to_string()))
            .collect()
    }

    #[test]
    fn a_load_into_a_small_database_builds_the_drill_down_index_once_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("trove.db")).unwrap();
        let all = indexes(&store);
        assert!(
            all.iter().any(|name| name == "feedback_received"),
            "{all:?}"
        );
        store.begin_bulk_load().unwrap();
        let during = indexes(&store);
        assert!(
            !during.iter().any(|name| name == "feedback_received"),
            "{during:?}"
        );
        let checkpoint = |store: &SqliteStore| -> u32 {
            store
                .lock()
                .query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))
                .unwrap()
        };
        assert_eq!(checkpoint(&store), super::BULK_CHECKPOINT_PAGES);
        store.insert_feedback(&items(0, 50), None).unwrap();
        // Reads stay right meanwhile, only slower.
        assert_eq!(store.count_items(&ItemQuery::default()).unwrap(), 50);
        store.end_bulk_load().unwrap();
        assert_eq!(indexes(&store), all);
        assert_eq!(checkpoint(&store), super::DEFAULT_CHECKPOINT_PAGES);
        // The build sorted in runs in temporary files; the connection's settings are back.
        let (cache, temp): (i64, i64) = store
            .lock()
            .query_row(
                "SELECT cache_size, temp_store FROM pragma_cache_size, pragma_temp_store",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((cache, temp), (-65536, 2));
        let stages = store.write_stages().expect("SQLite counts its writes");
        assert!(stages.indexes > std::time::Duration::ZERO);
    }

    #[test]
    fn a_load_that_never_ended_has_its_indexes_built_by_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trove.db");
        let all = {
            let store = SqliteStore::open(&path).unwrap();
            let all = indexes(&store);
            store.begin_bulk_load().unwrap();
            store.insert_feedback(&items(0, 20), None).unwrap();
            all
            // The process "dies" here: no end_bulk_load.
        };
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(indexes(&store), all);
        assert_eq!(
            store.count_feedback(&FeedbackFilter::default()).unwrap(),
            20
        );
    }
}
