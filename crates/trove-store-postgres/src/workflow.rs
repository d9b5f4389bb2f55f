//! The workflow's event log and the metric values its plans watch.

use std::collections::HashMap;

use postgres::{Client, Row};
use trove_store::{MetricPoint, NewEvent, StoreError, StoreResult, StoredEvent, UpsertOutcome};

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

pub(crate) fn upsert_points(
    client: &mut Client,
    points: &[MetricPoint],
) -> StoreResult<UpsertOutcome> {
    let context = "storing metric points";
    // One statement cannot touch a row twice, so a (metric, day) repeated in the batch is sent
    // once, with its last value, and the earlier ones count as updates: the same outcome as
    // storing the points one after another.
    let mut position: HashMap<(&str, &str), usize> = HashMap::with_capacity(points.len());
    let mut unique: Vec<&MetricPoint> = Vec::with_capacity(points.len());
    let mut repeats = 0_u64;
    for point in points {
        match position.get(&(point.metric.as_str(), point.day.as_str())) {
            Some(&index) => {
                unique[index] = point;
                repeats += 1;
            }
            None => {
                position.insert((point.metric.as_str(), point.day.as_str()), unique.len());
                unique.push(point);
            }
        }
    }
    if unique.is_empty() {
        return Ok(UpsertOutcome::default());
    }
    let metrics: Vec<&str> = unique.iter().map(|p| p.metric.as_str()).collect();
    let days: Vec<&str> = unique.iter().map(|p| p.day.as_str()).collect();
    let values: Vec<f64> = unique.iter().map(|p| p.value).collect();
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // `xmax = 0` holds for a row version this statement inserted, not for one it updated.
    let rows = tx
        .query(
            "INSERT INTO metric_points (metric, day, value)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::float8[])
             ON CONFLICT (metric, day) DO UPDATE SET value = EXCLUDED.value
             RETURNING (xmax = 0)",
            &[&metrics, &days, &values],
        )
        .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    let mut inserted = 0_u64;
    for row in &rows {
        let new: bool = get(row, 0, context)?;
        inserted += u64::from(new);
    }
    Ok(UpsertOutcome {
        inserted,
        updated: rows.len() as u64 - inserted + repeats,
    })
}

pub(crate) fn points(client: &mut Client, metric: &str) -> StoreResult<Vec<MetricPoint>> {
    let context = "reading metric points";
    client
        .query(
            // "C": byte order, whatever the database's collation (YYYY-MM-DD sorts as dates).
            "SELECT metric, day, value FROM metric_points WHERE metric = $1 ORDER BY day COLLATE \"C\"",
            &[&metric],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| {
            Ok(MetricPoint {
                metric: get(row, 0, context)?,
                day: get(row, 1, context)?,
                value: get(row, 2, context)?,
            })
        })
        .collect()
}
