//! The workflow's event log.

use postgres::{Client, Row};
use trove_store::{NewEvent, StoreError, StoreResult, StoredEvent};

use crate::decode::{db_error, get};

pub(crate) fn append(
    client: &mut Client,
    expected_last: i64,
    events: &[NewEvent],
) -> StoreResult<i64> {
    let context = "appending workflow events";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // EXCLUSIVE blocks other appenders (and any other writer) until this transaction ends,
    // while readers go on. So the last seq read below stays the last until the insert
    // commits, and a racing appender waits here, then reads the new last and gets a clean
    // Conflict with the seq it lost to. The alternative, relying on the primary key to fail the
    // second insert, works under READ COMMITTED too but leaves a unique_violation to map, does
    // not say which seq won, and fails after doing the work instead of before.
    tx.batch_execute("LOCK TABLE workflow_events IN EXCLUSIVE MODE")
        .map_err(|e| db_error(context, e))?;
    let row = tx
        .query_one(
            "SELECT COALESCE(MAX(seq), 0)::bigint FROM workflow_events",
            &[],
        )
        .map_err(|e| db_error(context, e))?;
    let last: i64 = get(&row, 0, context)?;
    if last != expected_last {
        // Dropping the transaction rolls it back: nothing was written.
        return Err(StoreError::Conflict {
            what: "the workflow log",
            expected: expected_last,
            found: last,
        });
    }
    if !events.is_empty() {
        let at: Vec<i64> = events.iter().map(|e| e.at).collect();
        let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let payloads: Vec<&str> = events.iter().map(|e| e.payload.as_str()).collect();
        tx.execute(
            "INSERT INTO workflow_events (seq, at, actor, kind, payload)
             SELECT $1 + n, at, actor, kind, payload
             FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[])
                WITH ORDINALITY AS t (at, actor, kind, payload, n)",
            &[&last, &at, &actors, &kinds, &payloads],
        )
        .map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(last + i64::try_from(events.len()).unwrap_or(i64::MAX))
}

fn event(row: &Row, context: &'static str) -> StoreResult<StoredEvent> {
    Ok(StoredEvent {
        seq: get(row, 0, context)?,
        at: get(row, 1, context)?,
        actor: get(row, 2, context)?,
        kind: get(row, 3, context)?,
        payload: get(row, 4, context)?,
    })
}

pub(crate) fn after(client: &mut Client, after: i64) -> StoreResult<Vec<StoredEvent>> {
    let context = "reading workflow events";
    client
        .query(
            "SELECT seq, at, actor, kind, payload FROM workflow_events WHERE seq > $1 ORDER BY seq",
            &[&after],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| event(row, context))
        .collect()
}
