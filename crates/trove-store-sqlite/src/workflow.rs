//! The workflow's event log and the metric values its plans watch.

use rusqlite::{Connection, Row, TransactionBehavior, params};
use trove_store::{MetricPoint, NewEvent, StoreError, StoreResult, StoredEvent, UpsertOutcome};

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

pub(crate) fn upsert_points(
    connection: &mut Connection,
    points: &[MetricPoint],
) -> StoreResult<UpsertOutcome> {
    let context = "storing metric points";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    let mut outcome = UpsertOutcome::default();
    {
        let mut exists = tx
            .prepare_cached("SELECT 1 FROM metric_points WHERE metric = ?1 AND day = ?2")
            .map_err(|e| db_error(context, e))?;
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO metric_points (metric, day, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (metric, day) DO UPDATE SET value = excluded.value",
            )
            .map_err(|e| db_error(context, e))?;
        for point in points {
            let known = exists
                .exists(params![point.metric, point.day])
                .map_err(|e| db_error(context, e))?;
            upsert
                .execute(params![point.metric, point.day, point.value])
                .map_err(|e| db_error(context, e))?;
            if known {
                outcome.updated += 1;
            } else {
                outcome.inserted += 1;
            }
        }
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(outcome)
}

pub(crate) fn points(connection: &Connection, metric: &str) -> StoreResult<Vec<MetricPoint>> {
    let context = "reading metric points";
    let mut statement = connection
        .prepare_cached(
            "SELECT metric, day, value FROM metric_points WHERE metric = ?1 ORDER BY day",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([metric], |row| {
            Ok(MetricPoint {
                metric: row.get(0)?,
                day: row.get(1)?,
                value: row.get(2)?,
            })
        })
        .map_err(|e| db_error(context, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(context, e))
}
