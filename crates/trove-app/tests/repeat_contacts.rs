//! Repeat contacts worked by hand on a small store: who met "3 contacts within 30 days", in
//! which month, with which contacts, and what they were about.
#![allow(clippy::unwrap_used, missing_docs, reason = "test code")]

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::Offset;
use trove_app::{App, RepeatRequest};
use trove_domain::{Channel, CustomerId, FeedbackItem, Label, ReceivedAt};
use trove_store::Store;
use trove_store::contract::item;
use trove_store_sqlite::SqliteStore;

fn contact(id: &str, customer: Option<&str>, channel: Channel, day: &str) -> FeedbackItem {
    let mut it = item("crm", id);
    it.channel = channel;
    it.customer_id = customer.map(|c| CustomerId::parse(c).unwrap());
    let at: Timestamp = format!("{day}T10:00:00Z").parse().unwrap();
    it.received_at = ReceivedAt::new(at, Offset::UTC);
    it
}

#[test]
fn the_third_contact_within_30_days_is_counted_in_its_month() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let late = |mut it: FeedbackItem| {
        it.source_themes = vec![Label::parse("theme", "Late payout").unwrap()];
        it
    };
    let items = vec![
        // Ann: three calls in 8 days about a late payout: a moment on 9 March.
        late(contact("a1", Some("ANN"), Channel::Call, "2026-03-01")),
        late(contact("a2", Some("ANN"), Channel::Call, "2026-03-05")),
        late(contact("a3", Some("ANN"), Channel::Call, "2026-03-09")),
        // Bob: two chats, a survey answer (not a contact) and an e-mail 40 days after his
        // first chat: never three contacts within 30 days.
        contact("b1", Some("BOB"), Channel::Chat, "2026-03-02"),
        contact("b2", Some("BOB"), Channel::Chat, "2026-03-03"),
        contact("b3", Some("BOB"), Channel::Survey, "2026-03-04"),
        contact("b4", Some("BOB"), Channel::Email, "2026-04-12"),
        // Cy: tickets on 25 March, 2 and 9 April: the moment falls in April.
        contact("c1", Some("CY"), Channel::Ticket, "2026-03-25"),
        contact("c2", Some("CY"), Channel::Ticket, "2026-04-02"),
        contact("c3", Some("CY"), Channel::Ticket, "2026-04-09"),
        // No customer named: not a contact anyone can repeat.
        contact("n1", None, Channel::Call, "2026-03-09"),
        contact("n2", None, Channel::Call, "2026-03-09"),
        contact("n3", None, Channel::Call, "2026-03-09"),
    ];
    store.insert_feedback(&items, None).unwrap();
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        store
            .scan_feedback(&Default::default(), 100, &mut |page| {
                ids.extend(page.iter().map(|f| f.id));
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        ids
    };
    let app = App::new(Arc::new(store));
    let report = app.repeat_contacts(&RepeatRequest::default()).unwrap();

    assert_eq!(report.contacts, 9, "Ann 3, Bob 3 (not his survey), Cy 3");
    assert_eq!(report.chained, 6, "Ann's and Cy's chains");
    let march = report.month("2026-03").unwrap();
    assert_eq!(
        (march.contacting, march.repeating),
        (3, 1),
        "Ann, Bob, Cy; Ann"
    );
    assert_eq!(march.items, ids[0..3].to_vec(), "Ann's three calls");
    let april = report.month("2026-04").unwrap();
    assert_eq!((april.contacting, april.repeating), (2, 1), "Bob, Cy; Cy");
    assert_eq!(april.rate, Some(0.5));
    assert_eq!(report.chains.len(), 2);
    assert_eq!(report.chains[0].customer, "CY", "newest first");
    assert_eq!(report.chains[0].items, ids[7..10].to_vec());
    assert_eq!(report.chains[1].customer, "ANN");

    let late = &report.themes[0];
    assert_eq!((late.contacts, late.chained), (3, 3), "{:?}", report.themes);
    assert_eq!(march.top_themes[0].2, 3);

    // A looser rule: 2 contacts within 7 days. Ann (twice: 1-5 and 5-9), Bob (2-3), Cy (2-9
    // April) meet it.
    let two = RepeatRequest {
        rule: trove_analytics::repeats::RepeatRule {
            nth: 2,
            within: 7 * 86_400,
        },
        ..RepeatRequest::default()
    };
    let report = app.repeat_contacts(&two).unwrap();
    assert_eq!(report.month("2026-03").unwrap().repeating, 2, "Ann and Bob");
    assert_eq!(report.month("2026-04").unwrap().repeating, 1, "Cy");
    assert_eq!(report.chains.len(), 4);
}
