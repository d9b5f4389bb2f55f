//! The workflow's event log.

use rusqlite::{Connection, Row, TransactionBehavior, params};
use trove_store::{NewEvent, StoreError, StoreResult, StoredEvent};

use crate::decode::db_error;

pub(crate) fn append(
    connection: &mut Connection,
    expected_last: i64,
    events: &[NewEvent],
) -> StoreResult<i64> {
    let context = "appending workflow events";
    // IMMEDIATE takes the write lock before the last seq is read, so another process cannot
    // append between the check and the insert (a DEFERRED transaction would read under a
    // shared lock and could then lose the race to upgrade it). Within this process the
    // connection's mutex already serialises callers.
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    let last: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM workflow_events",
            [],
            |row| row.get(0),
        )
        .map_err(|e| db_error(context, e))?;
    if last != expected_last {
        // Dropping the transaction rolls it back: nothing was written.
        return Err(StoreError::Conflict {
            what: "the workflow log",
            expected: expected_last,
            found: last,
        });
    }
    let mut seq = last;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO workflow_events (seq, at, actor, kind, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(|e| db_error(context, e))?;
        for event in events {
            seq += 1;
            insert
                .execute(params![
                    seq,
                    event.at,
                    event.actor,
                    event.kind,
                    event.payload
                ])
                .map_err(|e| db_error(context, e))?;
        }
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(seq)
}

fn event(row: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        kind: row.get(3)?,
        payload: row.get(4)?,
    })
}

pub(crate) fn after(connection: &Connection, after: i64) -> StoreResult<Vec<StoredEvent>> {
    let context = "reading workflow events";
    let mut statement = connection
        .prepare_cached(
            "SELECT seq, at, actor, kind, payload FROM workflow_events WHERE seq > ?1 ORDER BY seq",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([after], event)
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}
