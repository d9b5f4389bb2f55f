//! Webhooks: subscriptions, the outbox, deliveries and their attempts.

use postgres::{Client, GenericClient, Row};
use trove_store::{
    DeliveryStatus, DueDelivery, NewWebhook, NewWebhookEvent, StoreError, StoreResult, Webhook,
    WebhookAttempt, WebhookDelivery, WebhookWatch, join_events, split_events,
};

use crate::decode::{db_error, get};

const WEBHOOK_COLUMNS: &str = "id, url, events, secret, created_by, created_at, removed_at";

fn webhook_row(row: &Row, context: &'static str) -> StoreResult<Webhook> {
    Ok(Webhook {
        id: get(row, 0, context)?,
        url: get(row, 1, context)?,
        events: split_events(&get::<String>(row, 2, context)?),
        secret: get(row, 3, context)?,
        created_by: get(row, 4, context)?,
        created_at: get(row, 5, context)?,
        removed_at: get(row, 6, context)?,
    })
}

fn status(row: &Row, index: usize, context: &'static str) -> StoreResult<DeliveryStatus> {
    let text: String = get(row, index, context)?;
    DeliveryStatus::parse(&text).ok_or_else(|| StoreError::Database {
        context,
        reason: format!("unknown delivery status {text:?}"),
    })
}

pub(crate) fn create(client: &mut Client, webhook: &NewWebhook) -> StoreResult<i64> {
    let context = "creating a webhook";
    let row = client
        .query_one(
            "INSERT INTO webhooks (url, events, secret, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &webhook.url,
                &join_events(&webhook.events),
                &webhook.secret,
                &webhook.created_by,
                &webhook.created_at,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    get(&row, 0, context)
}

fn list_in(client: &mut impl GenericClient) -> StoreResult<Vec<Webhook>> {
    let context = "listing webhooks";
    client
        .query(
            &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"),
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| webhook_row(row, context))
        .collect()
}

pub(crate) fn list(client: &mut Client) -> StoreResult<Vec<Webhook>> {
    list_in(client)
}

pub(crate) fn remove(client: &mut Client, id: i64, at: i64) -> StoreResult<bool> {
    let context = "removing a webhook";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let changed = tx
        .execute(
            "UPDATE webhooks SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL",
            &[&id, &at],
        )
        .map_err(|e| db_error(context, e))?;
    tx.execute(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
             last_error = $2
         WHERE webhook_id = $1 AND status = 'pending'",
        &[&id, &trove_store::WEBHOOK_REMOVED],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(changed == 1)
}

pub(crate) fn watch(client: &mut Client) -> StoreResult<Option<WebhookWatch>> {
    let context = "reading the webhooks' watch";
    client
        .query_opt(
            "SELECT started_at, workflow_seq FROM webhook_watch WHERE id = 1",
            &[],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(WebhookWatch {
                started_at: get(&row, 0, context)?,
                workflow_seq: get(&row, 1, context)?,
            })
        })
        .transpose()
}

pub(crate) fn start_watch(
    client: &mut Client,
    at: i64,
    workflow_seq: i64,
) -> StoreResult<WebhookWatch> {
    let context = "starting the webhooks' watch";
    client
        .execute(
            "INSERT INTO webhook_watch (id, started_at, workflow_seq) VALUES (1, $1, $2)
             ON CONFLICT (id) DO NOTHING",
            &[&at, &workflow_seq],
        )
        .map_err(|e| db_error(context, e))?;
    watch(client)?.ok_or_else(|| StoreError::Database {
        context,
        reason: "the watch was not stored".into(),
    })
}

pub(crate) fn enqueue(
    client: &mut Client,
    events: &[NewWebhookEvent],
    workflow_seq: Option<i64>,
    at: i64,
) -> StoreResult<usize> {
    let context = "queueing webhook events";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let hooks = list_in(&mut tx)?;
    let mut queued = 0;
    for event in events {
        let Some(row) = tx
            .query_opt(
                "INSERT INTO webhook_events (event_key, kind, body, occurred_at, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_key) DO NOTHING RETURNING id",
                &[
                    &event.key,
                    &event.kind,
                    &event.body,
                    &event.occurred_at,
                    &at,
                ],
            )
            .map_err(|e| db_error(context, e))?
        else {
            continue;
        };
        let event_id: i64 = get(&row, 0, context)?;
        for hook in &hooks {
            let wanted = match event.only_webhook {
                Some(only) => only == hook.id && hook.removed_at.is_none(),
                None => hook.wants(&event.kind),
            };
            if wanted {
                tx.execute(
                    "INSERT INTO webhook_deliveries
                         (webhook_id, event_id, status, next_attempt_at, created_at)
                     VALUES ($1, $2, 'pending', $3, $3)",
                    &[&hook.id, &event_id, &at],
                )
                .map_err(|e| db_error(context, e))?;
                queued += 1;
            }
        }
    }
    if let Some(seq) = workflow_seq {
        tx.execute(
            "UPDATE webhook_watch SET workflow_seq = GREATEST(workflow_seq, $1) WHERE id = 1",
            &[&seq],
        )
        .map_err(|e| db_error(context, e))?;
    }
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(queued)
}

pub(crate) fn claim(
    client: &mut Client,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> StoreResult<Vec<DueDelivery>> {
    let context = "claiming webhook deliveries";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // SKIP LOCKED: a second dispatcher claiming at the same moment takes other rows.
    let rows = client
        .query(
            "WITH due AS (
                 SELECT d.id FROM webhook_deliveries d
                 JOIN webhooks w ON w.id = d.webhook_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                   AND w.removed_at IS NULL
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT $3
                 FOR UPDATE OF d SKIP LOCKED)
             UPDATE webhook_deliveries d SET next_attempt_at = $2
             FROM due, webhooks w, webhook_events e
             WHERE d.id = due.id AND w.id = d.webhook_id AND e.id = d.event_id
             RETURNING d.id, d.attempts, w.id, w.url, w.secret, e.event_key, e.body",
            &[&now, &lease_until, &limit],
        )
        .map_err(|e| db_error(context, e))?;
    let mut due = rows
        .iter()
        .map(|row| {
            Ok(DueDelivery {
                id: get(row, 0, context)?,
                attempts: get(row, 1, context)?,
                webhook_id: get(row, 2, context)?,
                url: get(row, 3, context)?,
                secret: get(row, 4, context)?,
                key: get(row, 5, context)?,
                body: get(row, 6, context)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    due.sort_by_key(|d| d.id);
    Ok(due)
}

pub(crate) fn record(client: &mut Client, attempt: &WebhookAttempt) -> StoreResult<()> {
    let context = "recording a webhook attempt";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO webhook_attempts
             (delivery_id, attempt, at, status_code, duration_ms, error, outcome, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &attempt.delivery_id,
            &attempt.attempt,
            &attempt.at,
            &attempt.status_code,
            &attempt.duration_ms,
            &attempt.error,
            &attempt.outcome.as_str(),
            &attempt.next_attempt_at,
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4,
             last_status = $5, last_error = $6, last_attempt_at = $7
         WHERE id = $1",
        &[
            &attempt.delivery_id,
            &attempt.outcome.as_str(),
            &attempt.attempt,
            &attempt.next_attempt_at,
            &attempt.status_code,
            &attempt.error,
            &attempt.at,
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

pub(crate) fn deliveries(
    client: &mut Client,
    failed_only: bool,
    limit: usize,
) -> StoreResult<Vec<WebhookDelivery>> {
    let context = "listing webhook deliveries";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    client
        .query(
            "SELECT d.id, d.webhook_id, w.url, e.kind, e.event_key, d.status, d.attempts,
                    d.last_status, d.last_error, d.created_at, d.last_attempt_at, d.next_attempt_at
             FROM webhook_deliveries d
             JOIN webhooks w ON w.id = d.webhook_id
             JOIN webhook_events e ON e.id = d.event_id
             WHERE (NOT $1 OR d.status = 'failed')
             ORDER BY d.id DESC
             LIMIT $2",
            &[&failed_only, &limit],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| {
            Ok(WebhookDelivery {
                id: get(row, 0, context)?,
                webhook_id: get(row, 1, context)?,
                url: get(row, 2, context)?,
                kind: get(row, 3, context)?,
                key: get(row, 4, context)?,
                status: status(row, 5, context)?,
                attempts: get(row, 6, context)?,
                last_status_code: get(row, 7, context)?,
                last_error: get(row, 8, context)?,
                created_at: get(row, 9, context)?,
                last_attempt_at: get(row, 10, context)?,
                next_attempt_at: get(row, 11, context)?,
            })
        })
        .collect()
}

pub(crate) fn attempts(client: &mut Client, delivery_id: i64) -> StoreResult<Vec<WebhookAttempt>> {
    let context = "listing webhook attempts";
    client
        .query(
            "SELECT delivery_id, attempt, at, status_code, duration_ms, error, outcome,
                    next_attempt_at
             FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt, id",
            &[&delivery_id],
        )
        .map_err(|e| db_error(context, e))?
        .iter()
        .map(|row| {
            Ok(WebhookAttempt {
                delivery_id: get(row, 0, context)?,
                attempt: get(row, 1, context)?,
                at: get(row, 2, context)?,
                status_code: get(row, 3, context)?,
                duration_ms: get(row, 4, context)?,
                error: get(row, 5, context)?,
                outcome: status(row, 6, context)?,
                next_attempt_at: get(row, 7, context)?,
            })
        })
        .collect()
}
