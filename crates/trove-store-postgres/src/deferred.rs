//! Loading many items into a small database: the two indexes whose entries every new row adds
//! at a random place (or at one of many places) are dropped before the load and built once,
//! sorted, after it, as PostgreSQL's manual advises for a bulk load ("Populating a Database").
//!
//! Measured in SQL on the 1M real texts of the end-to-end benchmark (one `COPY` each, the
//! 2-core development machine): the items took 18.4 s with the drill-down's time index and
//! 11.1 s without it, and the index then built in 0.96 s; the 2.67M tags took 16.7 s with the
//! themes' index and 8.4 s without it, and the index then built in 3.3 s (103 MB instead of
//! the 183 MB it grew to). The other indexes stay: the keys (they keep a load from storing an
//! item or a tag twice) and the run index, whose entries arrive in order.
//!
//! Between the two, the database is consistent, only slower to search. A load holds a shared
//! session lock (an advisory lock keyed by the schema) on a connection of its own from before
//! it drops the indexes until after it built them again; the server releases it when that
//! session ends, however the process died. Opening a store builds the indexes that are missing
//! when it can take that lock alone, that is when no load is under way: a load that died
//! leaves nothing to repair by hand, and a load that lives keeps its indexes set aside.
//! (A migration that touches these indexes must say `IF EXISTS`.)

use std::sync::Mutex;

use postgres::Client;
use trove_store::StoreResult;

use crate::decode::db_error;
use crate::pool::Pool;

/// The indexes a load into a small database builds at its end: name and statement (their
/// migrations', made idempotent).
const DEFERRED_INDEXES: &[(&str, &str)] = &[
    (
        "feedback_received",
        "CREATE INDEX IF NOT EXISTS feedback_received ON feedback (received_at, id)",
    ),
    (
        "feedback_tags_theme_items",
        "CREATE INDEX IF NOT EXISTS feedback_tags_theme_items
            ON feedback_tags (theme, feedback_id, origin)",
    ),
];

/// A load drops the indexes only in a database holding fewer items than this: building them
/// again over this many existing rows costs well under a second, whatever the load's size.
const SMALL_DATABASE: i64 = 100_000;

/// The loads' lock: a key of its own and the schema's, so stores in different schemas do not
/// see each other's loads.
const LOAD_LOCK: &str = "hashtext('trove bulk load'), hashtext(coalesce(current_schema(), ''))";

/// How long dropping the indexes may wait for the tables' readers: dropping needs the tables
/// to itself for an instant, and every query behind it waits as long. A load that cannot have
/// them soon enough keeps its indexes (slower, as correct).
const DROP_WAIT: &str = "1s";

/// The sessions of the loads under way in this store, each holding the loads' lock shared.
#[derive(Default)]
pub(crate) struct Loads {
    sessions: Mutex<Vec<Client>>,
}

impl Loads {
    /// Prepares a load: in a small database, takes the loads' lock on a session of its own and
    /// drops the deferred indexes. A database too big for it, or whose readers hold the tables
    /// past [`DROP_WAIT`], loads with its indexes.
    pub(crate) fn begin(&self, pool: &Pool) -> StoreResult<()> {
        let context = "preparing a bulk load";
        let small: bool = pool
            .get()?
            .query_one(
                "SELECT COUNT(*) < $1 FROM (SELECT 1 FROM feedback LIMIT $1) AS stored",
                &[&SMALL_DATABASE],
            )
            .and_then(|row| row.try_get(0))
            .map_err(|e| db_error(context, e))?;
        if !small {
            return Ok(());
        }
        let mut session = pool.dedicated()?;
        // Taken before the indexes go, so that no opening store builds them meanwhile.
        session
            .execute(&format!("SELECT pg_advisory_lock_shared({LOAD_LOCK})"), &[])
            .map_err(|e| db_error(context, e))?;
        let dropped = (|| {
            let mut tx = session.transaction()?;
            tx.batch_execute(&format!("SET LOCAL lock_timeout = '{DROP_WAIT}'"))?;
            for (name, _) in DEFERRED_INDEXES {
                tx.batch_execute(&format!("DROP INDEX IF EXISTS {name}"))?;
            }
            tx.commit()
        })();
        match dropped {
            Ok(()) => {}
            Err(e) if is_lock_timeout(&e) => {}
            Err(e) => return Err(db_error(context, e)),
        }
        self.held().push(session);
        Ok(())
    }

    /// Ends a load: builds the deferred indexes that are missing and gives the lock back.
    /// Does nothing after a [`Loads::begin`] that found the database too big.
    pub(crate) fn end(&self) -> StoreResult<()> {
        let Some(mut session) = self.held().pop() else {
            return Ok(());
        };
        build_missing(&mut session)?;
        // The server would release it when the session closes, but only once it notices; a
        // store opened right after must find it free.
        session
            .execute(
                &format!("SELECT pg_advisory_unlock_shared({LOAD_LOCK})"),
                &[],
            )
            .map_err(|e| db_error("ending a bulk load", e))?;
        Ok(())
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<Client>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn is_lock_timeout(error: &postgres::Error) -> bool {
    error.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}

/// Builds the deferred indexes left missing by a load that died, unless a load is under way
/// (its own end builds them); takes no lock when none is missing.
pub(crate) fn restore_indexes(client: &mut Client) -> StoreResult<()> {
    let context = "building the indexes after a bulk load";
    if missing(client)
        .map_err(|e| db_error(context, e))?
        .is_empty()
    {
        return Ok(());
    }
    let free: bool = client
        .query_one(&format!("SELECT pg_try_advisory_lock({LOAD_LOCK})"), &[])
        .and_then(|row| row.try_get(0))
        .map_err(|e| db_error(context, e))?;
    if !free {
        return Ok(());
    }
    let built = build_missing(client);
    let unlocked = client
        .execute(&format!("SELECT pg_advisory_unlock({LOAD_LOCK})"), &[])
        .map_err(|e| db_error(context, e));
    built.and(unlocked.map(drop))
}

/// The statements of the deferred indexes that do not exist, found by one query (every
/// store's open asks).
fn missing(client: &mut Client) -> Result<Vec<&'static str>, postgres::Error> {
    let names: Vec<&str> = DEFERRED_INDEXES.iter().map(|(name, _)| *name).collect();
    let absent: Vec<String> = client
        .query(
            "SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NULL",
            &[&names],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(DEFERRED_INDEXES
        .iter()
        .filter(|(name, _)| absent.iter().any(|a| a == name))
        .map(|(_, create)| *create)
        .collect())
}

/// Builds the deferred indexes that are missing, in one transaction.
fn build_missing(client: &mut Client) -> StoreResult<()> {
    let context = "building the indexes after a bulk load";
    let creates = missing(client).map_err(|e| db_error(context, e))?;
    if creates.is_empty() {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    for create in creates {
        tx.batch_execute(create).map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))
}
