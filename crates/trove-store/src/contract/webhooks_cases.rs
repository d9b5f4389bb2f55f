//! The webhooks' contract: an event is queued once per key and subscription, claims lease
//! deliveries, attempts move deliveries and are logged in order.

use crate::{DeliveryStatus, NewWebhook, NewWebhookEvent, Store, WebhookAttempt};

fn hook(url: &str, events: &[&str], at: i64) -> NewWebhook {
    NewWebhook {
        url: url.to_owned(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret: format!("whsec_{url}"),
        created_by: "ann@example.com".into(),
        created_at: at,
    }
}

fn event(key: &str, kind: &str) -> NewWebhookEvent {
    NewWebhookEvent {
        key: key.to_owned(),
        kind: kind.to_owned(),
        body: format!("{{\"type\":\"{kind}\"}}"),
        occurred_at: 50,
        only_webhook: None,
    }
}

pub fn webhook_events_are_queued_once_per_subscription_claimed_and_logged(store: &dyn Store) {
    assert!(store.webhooks().unwrap().is_empty());
    assert_eq!(store.webhook_watch().unwrap(), None);
    let watch = store.start_webhook_watch(100, 7).unwrap();
    assert_eq!((watch.started_at, watch.workflow_seq), (100, 7));
    assert_eq!(
        store.start_webhook_watch(200, 9).unwrap(),
        watch,
        "a watch starts once"
    );
    let a = store
        .create_webhook(&hook(
            "http://a",
            &["issue.status_changed", "commitment.missed"],
            100,
        ))
        .unwrap();
    let b = store
        .create_webhook(&hook("http://b", &["commitment.missed"], 100))
        .unwrap();
    let listed = store.webhooks().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0].id, listed[1].id), (a, b));
    assert_eq!(listed[0].secret, "whsec_http://a");
    assert_eq!(listed[1].events, vec!["commitment.missed".to_owned()]);

    let queued = store
        .enqueue_webhook_events(
            &[
                event("moved:1", "issue.status_changed"),
                event("missed:1", "commitment.missed"),
                event("other:1", "spike.detected"),
            ],
            Some(12),
            110,
        )
        .unwrap();
    assert_eq!(
        queued, 3,
        "one to a, two for the missed commitment, none for spikes"
    );
    assert_eq!(store.webhook_watch().unwrap().unwrap().workflow_seq, 12);
    let again = store
        .enqueue_webhook_events(&[event("missed:1", "commitment.missed")], Some(10), 120)
        .unwrap();
    assert_eq!(again, 0, "a key already stored is not queued again");
    assert_eq!(
        store.webhook_watch().unwrap().unwrap().workflow_seq,
        12,
        "the watch never moves back"
    );
    let mut test = event("test:1", "webhook.test");
    test.only_webhook = Some(b);
    assert_eq!(store.enqueue_webhook_events(&[test], None, 120).unwrap(), 1);

    assert!(
        store
            .claim_webhook_deliveries(109, 200, 10)
            .unwrap()
            .is_empty()
    );
    let claimed = store.claim_webhook_deliveries(110, 170, 2).unwrap();
    assert_eq!(claimed.len(), 2, "the limit holds");
    assert_eq!(claimed[0].url, "http://a");
    assert_eq!(claimed[0].key, "moved:1");
    assert_eq!(claimed[0].body, "{\"type\":\"issue.status_changed\"}");
    assert_eq!(claimed[0].attempts, 0);
    let rest = store.claim_webhook_deliveries(130, 170, 10).unwrap();
    assert_eq!(rest.len(), 2, "claimed ones are leased: {rest:?}");
    assert!(rest.iter().all(|d| !claimed.iter().any(|c| c.id == d.id)));

    let first = claimed[0].id;
    store
        .record_webhook_attempt(&WebhookAttempt {
            delivery_id: first,
            attempt: 1,
            at: 130,
            status_code: Some(500),
            duration_ms: 12,
            error: Some("HTTP 500".into()),
            outcome: DeliveryStatus::Pending,
            next_attempt_at: Some(135),
        })
        .unwrap();
    let due = store.claim_webhook_deliveries(135, 200, 10).unwrap();
    assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![first]);
    assert_eq!(due[0].attempts, 1);
    store
        .record_webhook_attempt(&WebhookAttempt {
            delivery_id: first,
            attempt: 2,
            at: 136,
            status_code: Some(204),
            duration_ms: 3,
            error: None,
            outcome: DeliveryStatus::Delivered,
            next_attempt_at: None,
        })
        .unwrap();
    store
        .record_webhook_attempt(&WebhookAttempt {
            delivery_id: claimed[1].id,
            attempt: 1,
            at: 137,
            status_code: None,
            duration_ms: 10_000,
            error: Some("timed out".into()),
            outcome: DeliveryStatus::Failed,
            next_attempt_at: None,
        })
        .unwrap();
    let attempts = store.webhook_attempts(first).unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].status_code, Some(500));
    assert_eq!(attempts[0].next_attempt_at, Some(135));
    assert_eq!(attempts[1].outcome, DeliveryStatus::Delivered);

    let log = store.webhook_deliveries(false, 10).unwrap();
    assert_eq!(log.len(), 4);
    assert!(log.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let delivered = log.iter().find(|d| d.id == first).unwrap();
    assert_eq!(delivered.status, DeliveryStatus::Delivered);
    assert_eq!(
        (
            delivered.attempts,
            delivered.last_status_code,
            delivered.last_attempt_at
        ),
        (2, Some(204), Some(136))
    );
    assert_eq!(delivered.kind, "issue.status_changed");
    let failed = store.webhook_deliveries(true, 10).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("timed out"));

    assert!(store.remove_webhook(b, 140).unwrap());
    assert!(!store.remove_webhook(b, 141).unwrap(), "removed once");
    assert!(
        store
            .claim_webhook_deliveries(1_000, 1_100, 10)
            .unwrap()
            .is_empty(),
        "a removed subscription's deliveries are not claimed"
    );
    let ended: Vec<_> = store
        .webhook_deliveries(true, 10)
        .unwrap()
        .into_iter()
        .filter(|d| d.webhook_id == b)
        .collect();
    assert_eq!(ended.len(), 2, "its waiting deliveries end as failed");
    assert!(ended.iter().all(|d| {
        d.last_error.as_deref() == Some(crate::WEBHOOK_REMOVED) && d.next_attempt_at.is_none()
    }));
    assert_eq!(
        store
            .enqueue_webhook_events(&[event("missed:2", "commitment.missed")], None, 150)
            .unwrap(),
        1,
        "a removed subscription gets no new events"
    );
    assert!(store.webhooks().unwrap()[1].removed_at == Some(140));
    assert!(!format!("{:?}", store.webhooks().unwrap()).contains("whsec_"));
}
