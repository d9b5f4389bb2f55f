//! Webhooks: subscriptions, the outbox, deliveries and their attempts.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use trove_store::{
    DeliveryStatus, DueDelivery, NewWebhook, NewWebhookEvent, StoreError, StoreResult, Webhook,
    WebhookAttempt, WebhookDelivery, WebhookWatch, join_events, split_events,
};

use crate::decode::db_error;

/// What a removed subscription's waiting deliveries record as their end.
const REMOVED: &str = trove_store::WEBHOOK_REMOVED;

const WEBHOOK_COLUMNS: &str = "id, url, events, secret, created_by, created_at, removed_at";

fn webhook_row(row: &Row<'_>) -> rusqlite::Result<Webhook> {
    Ok(Webhook {
        id: row.get(0)?,
        url: row.get(1)?,
        events: split_events(&row.get::<_, String>(2)?),
        secret: row.get(3)?,
        created_by: row.get(4)?,
        created_at: row.get(5)?,
        removed_at: row.get(6)?,
    })
}

fn status(text: &str) -> StoreResult<DeliveryStatus> {
    DeliveryStatus::parse(text).ok_or_else(|| StoreError::Database {
        context: "reading a webhook delivery",
        reason: format!("unknown delivery status {text:?}"),
    })
}

pub(crate) fn create(connection: &Connection, webhook: &NewWebhook) -> StoreResult<i64> {
    connection
        .execute(
            "INSERT INTO webhooks (url, events, secret, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                webhook.url,
                join_events(&webhook.events),
                webhook.secret,
                webhook.created_by,
                webhook.created_at
            ],
        )
        .map_err(|e| db_error("creating a webhook", e))?;
    Ok(connection.last_insert_rowid())
}

fn list_in(connection: &Connection) -> StoreResult<Vec<Webhook>> {
    let context = "listing webhooks";
    let mut statement = connection
        .prepare(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"
        ))
        .map_err(|e| db_error(context, e))?;
    statement
        .query_map([], webhook_row)
        .map_err(|e| db_error(context, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))
}

pub(crate) fn list(connection: &Connection) -> StoreResult<Vec<Webhook>> {
    list_in(connection)
}

pub(crate) fn remove(connection: &mut Connection, id: i64, at: i64) -> StoreResult<bool> {
    let context = "removing a webhook";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    let changed = tx
        .execute(
            "UPDATE webhooks SET removed_at = ?2 WHERE id = ?1 AND removed_at IS NULL",
            params![id, at],
        )
        .map_err(|e| db_error(context, e))?;
    tx.execute(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
             last_error = ?2
         WHERE webhook_id = ?1 AND status = 'pending'",
        params![id, REMOVED],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(changed == 1)
}

pub(crate) fn watch(connection: &Connection) -> StoreResult<Option<WebhookWatch>> {
    connection
        .query_row(
            "SELECT started_at, workflow_seq FROM webhook_watch WHERE id = 1",
            [],
            |row| {
                Ok(WebhookWatch {
                    started_at: row.get(0)?,
                    workflow_seq: row.get(1)?,
                })
            },
        )
        .optional()
        .map_err(|e| db_error("reading the webhooks' watch", e))
}

pub(crate) fn start_watch(
    connection: &Connection,
    at: i64,
    workflow_seq: i64,
) -> StoreResult<WebhookWatch> {
    connection
        .execute(
            "INSERT INTO webhook_watch (id, started_at, workflow_seq) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            params![at, workflow_seq],
        )
        .map_err(|e| db_error("starting the webhooks' watch", e))?;
    watch(connection)?.ok_or_else(|| StoreError::Database {
        context: "starting the webhooks' watch",
        reason: "the watch was not stored".into(),
    })
}

pub(crate) fn enqueue(
    connection: &mut Connection,
    events: &[NewWebhookEvent],
    workflow_seq: Option<i64>,
    at: i64,
) -> StoreResult<usize> {
    let context = "queueing webhook events";
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    let hooks = list_in(&tx)?;
    let mut queued = 0;
    {
        let mut insert_event = tx
            .prepare(
                "INSERT INTO webhook_events (event_key, kind, body, occurred_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (event_key) DO NOTHING",
            )
            .map_err(|e| db_error(context, e))?;
        let mut insert_delivery = tx
            .prepare(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, status, next_attempt_at, created_at)
                 VALUES (?1, ?2, 'pending', ?3, ?3)",
            )
            .map_err(|e| db_error(context, e))?;
        for event in events {
            let inserted = insert_event
                .execute(params![
                    event.key,
                    event.kind,
                    event.body,
                    event.occurred_at,
                    at
                ])
                .map_err(|e| db_error(context, e))?;
            if inserted == 0 {
                continue;
            }
            let event_id = tx.last_insert_rowid();
            for hook in &hooks {
                let wanted = match event.only_webhook {
                    Some(only) => only == hook.id && hook.removed_at.is_none(),
                    None => hook.wants(&event.kind),
                };
                if wanted {
                    insert_delivery
                        .execute(params![hook.id, event_id, at])
                        .map_err(|e| db_error(context, e))?;
                    queued += 1;
                }
            }
        }
    }
    if let Some(seq) = workflow_seq {
        tx.execute(
            "UPDATE webhook_watch SET workflow_seq = MAX(workflow_seq, ?1) WHERE id = 1",
            [seq],
        )
        .map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(queued)
}

pub(crate) fn claim(
    connection: &mut Connection,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> StoreResult<Vec<DueDelivery>> {
    let context = "claiming webhook deliveries";
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db_error(context, e))?;
    let due: Vec<DueDelivery> = {
        let mut statement = tx
            .prepare(
                "SELECT d.id, d.attempts, w.id, w.url, w.secret, e.event_key, e.body
                 FROM webhook_deliveries d
                 JOIN webhooks w ON w.id = d.webhook_id
                 JOIN webhook_events e ON e.id = d.event_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
                   AND w.removed_at IS NULL
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT ?2",
            )
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map(params![now, limit as i64], |row| {
                Ok(DueDelivery {
                    id: row.get(0)?,
                    attempts: row.get(1)?,
                    webhook_id: row.get(2)?,
                    url: row.get(3)?,
                    secret: row.get(4)?,
                    key: row.get(5)?,
                    body: row.get(6)?,
                })
            })
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))?
    };
    for delivery in &due {
        tx.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1",
            params![delivery.id, lease_until],
        )
        .map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(due)
}

pub(crate) fn record(connection: &mut Connection, attempt: &WebhookAttempt) -> StoreResult<()> {
    let context = "recording a webhook attempt";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO webhook_attempts
             (delivery_id, attempt, at, status_code, duration_ms, error, outcome, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            attempt.delivery_id,
            attempt.attempt,
            attempt.at,
            attempt.status_code,
            attempt.duration_ms,
            attempt.error,
            attempt.outcome.as_str(),
            attempt.next_attempt_at
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4,
             last_status = ?5, last_error = ?6, last_attempt_at = ?7
         WHERE id = ?1",
        params![
            attempt.delivery_id,
            attempt.outcome.as_str(),
            attempt.attempt,
            attempt.next_attempt_at,
            attempt.status_code,
            attempt.error,
            attempt.at
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

pub(crate) fn deliveries(
    connection: &Connection,
    failed_only: bool,
    limit: usize,
) -> StoreResult<Vec<WebhookDelivery>> {
    let context = "listing webhook deliveries";
    let mut statement = connection
        .prepare(
            "SELECT d.id, d.webhook_id, w.url, e.kind, e.event_key, d.status, d.attempts,
                    d.last_status, d.last_error, d.created_at, d.last_attempt_at, d.next_attempt_at
             FROM webhook_deliveries d
             JOIN webhooks w ON w.id = d.webhook_id
             JOIN webhook_events e ON e.id = d.event_id
             WHERE (?1 = 0 OR d.status = 'failed')
             ORDER BY d.id DESC
             LIMIT ?2",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params![i64::from(failed_only), limit as i64], |row| {
            Ok((
                WebhookDelivery {
                    id: row.get(0)?,
                    webhook_id: row.get(1)?,
                    url: row.get(2)?,
                    kind: row.get(3)?,
                    key: row.get(4)?,
                    status: DeliveryStatus::Pending,
                    attempts: row.get(6)?,
                    last_status_code: row.get(7)?,
                    last_error: row.get(8)?,
                    created_at: row.get(9)?,
                    last_attempt_at: row.get(10)?,
                    next_attempt_at: row.get(11)?,
                },
                row.get::<_, String>(5)?,
            ))
        })
        .map_err(|e| db_error(context, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| db_error(context, e))?;
    rows.into_iter()
        .map(|(mut delivery, text)| {
            delivery.status = status(&text)?;
            Ok(delivery)
        })
        .collect()
}

pub(crate) fn attempts(
    connection: &Connection,
    delivery_id: i64,
) -> StoreResult<Vec<WebhookAttempt>> {
    let context = "listing webhook attempts";
    let mut statement = connection
        .prepare(
            "SELECT delivery_id, attempt, at, status_code, duration_ms, error, outcome,
                    next_attempt_at
             FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY attempt, id",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([delivery_id], |row| {
            Ok((
                WebhookAttempt {
                    delivery_id: row.get(0)?,
                    attempt: row.get(1)?,
                    at: row.get(2)?,
                    status_code: row.get(3)?,
                    duration_ms: row.get(4)?,
                    error: row.get(5)?,
                    outcome: DeliveryStatus::Pending,
                    next_attempt_at: row.get(7)?,
                },
                row.get::<_, String>(6)?,
            ))
        })
        .map_err(|e| db_error(context, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| db_error(context, e))?;
    rows.into_iter()
        .map(|(mut attempt, text)| {
            attempt.outcome = status(&text)?;
            Ok(attempt)
        })
        .collect()
}
