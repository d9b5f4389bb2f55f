//! The contract's e-mail cases: settings, opt-outs, cadences, and deliveries claimed once.

use crate::{MailSettings, Store};

pub fn mail_settings_are_set_once_and_replaced(store: &dyn Store) {
    assert_eq!(store.mail_settings().unwrap(), None);
    let mut settings = MailSettings {
        smtp_url: "smtp://cx@mail.example:587".into(),
        password: Some("secret".into()),
        from_address: "Trove <cx@example.com>".into(),
        public_url: "https://trove.example".into(),
        set_at: 100,
        set_by: "admin@example.com".into(),
    };
    store.set_mail_settings(&settings).unwrap();
    assert_eq!(store.mail_settings().unwrap().as_ref(), Some(&settings));
    settings.password = None;
    settings.set_at = 200;
    store.set_mail_settings(&settings).unwrap();
    assert_eq!(store.mail_settings().unwrap(), Some(settings));
}

pub fn an_address_keeps_its_token_and_opts_out_once(store: &dyn Store) {
    let first = store.mail_address("ann@example.com", "token-a").unwrap();
    assert_eq!(first.token, "token-a");
    assert_eq!(first.opted_out_at, None);
    let again = store.mail_address("ann@example.com", "token-b").unwrap();
    assert_eq!(again.token, "token-a", "a known address keeps its secret");
    assert_eq!(
        store
            .mail_address_by_token("token-a")
            .unwrap()
            .map(|a| a.address),
        Some("ann@example.com".to_owned())
    );
    assert_eq!(store.mail_address_by_token("token-b").unwrap(), None);
    assert!(!store.opt_out_address("nobody", 5).unwrap());
    assert!(store.opt_out_address("token-a", 10).unwrap());
    assert!(store.opt_out_address("token-a", 20).unwrap());
    let out = store.mail_address_by_token("token-a").unwrap().unwrap();
    assert_eq!(out.opted_out_at, Some(10), "the first opt-out counts");
    store.mail_address("bob@example.com", "token-c").unwrap();
    assert_eq!(
        store.opted_out_addresses().unwrap(),
        vec!["ann@example.com"]
    );
    store.set_stream_cadence("billing", "weekly").unwrap();
    store.set_stream_cadence("claims", "monthly").unwrap();
    store.set_stream_cadence("billing", "off").unwrap();
    assert_eq!(
        store.stream_cadences().unwrap(),
        vec![
            ("billing".to_owned(), "off".to_owned()),
            ("claims".to_owned(), "monthly".to_owned())
        ]
    );
}

pub fn a_delivery_is_claimed_once_and_retried_only_after_failing(store: &dyn Store) {
    let run = store
        .start_sending("announcement:1", "News", "cx@example.com", 100)
        .unwrap();
    assert!(
        store
            .claim_delivery("announcement:1", "a@x.com", run, 100, 3)
            .unwrap()
    );
    assert!(
        !store
            .claim_delivery("announcement:1", "a@x.com", run, 100, 3)
            .unwrap(),
        "claimed"
    );
    assert!(
        store
            .claim_delivery("announcement:1", "b@x.com", run, 100, 3)
            .unwrap()
    );
    store
        .finish_delivery("announcement:1", "a@x.com", None, 101)
        .unwrap();
    store
        .finish_delivery("announcement:1", "b@x.com", Some("550 no such user"), 101)
        .unwrap();
    store.finish_sending(run, 102, 2, 1, 1).unwrap();
    assert_eq!(
        store.finished_messages(3).unwrap(),
        Vec::<String>::new(),
        "b is retried"
    );
    let unsent = store.unsent_deliveries("announcement:1").unwrap();
    assert_eq!(unsent.len(), 1);
    assert_eq!(unsent[0].address, "b@x.com");
    assert_eq!(unsent[0].error.as_deref(), Some("550 no such user"));
    let second = store
        .start_sending("announcement:1", "News", "scheduler", 200)
        .unwrap();
    assert!(
        !store
            .claim_delivery("announcement:1", "a@x.com", second, 200, 3)
            .unwrap(),
        "sent"
    );
    assert!(
        store
            .claim_delivery("announcement:1", "b@x.com", second, 200, 3)
            .unwrap()
    );
    store
        .finish_delivery("announcement:1", "b@x.com", Some("550 again"), 201)
        .unwrap();
    store.finish_sending(second, 202, 1, 0, 1).unwrap();
    assert!(
        !store
            .claim_delivery("announcement:1", "b@x.com", second, 300, 2)
            .unwrap(),
        "given up"
    );
    assert_eq!(store.finished_messages(2).unwrap(), vec!["announcement:1"]);
    let log = store.sendings(10).unwrap();
    assert_eq!(
        log.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![second, run]
    );
    assert_eq!((log[1].recipients, log[1].sent, log[1].failed), (2, 1, 1));
    assert_eq!(log[0].triggered_by, "scheduler");
    assert_eq!(log[0].finished_at, Some(202));
}
