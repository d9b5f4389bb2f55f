//! The contract's cases of the monthly review by e-mail: recipients per unit, the send day.

use crate::{EVERY_UNIT, ReportRecipient, Store};

fn recipient(unit: &str, address: &str, name: Option<&str>) -> ReportRecipient {
    ReportRecipient {
        business_unit: unit.into(),
        address: address.into(),
        name: name.map(str::to_owned),
        added_at: 100,
        added_by: "admin@example.com".into(),
    }
}

pub fn report_recipients_are_one_per_unit_and_address_and_removed_exactly(store: &dyn Store) {
    assert!(store.report_recipients().unwrap().is_empty());
    let ann = recipient("Motor", "ann@example.com", Some("Ann Lee"));
    assert!(store.add_report_recipient(&ann).unwrap());
    assert!(
        !store
            .add_report_recipient(&recipient("Motor", "ann@example.com", None))
            .unwrap(),
        "the same unit and address once"
    );
    let everyone = recipient(EVERY_UNIT, "ann@example.com", Some("Ann Lee"));
    assert!(store.add_report_recipient(&everyone).unwrap());
    let bob = recipient("Home", "bob@example.com", None);
    assert!(store.add_report_recipient(&bob).unwrap());
    assert_eq!(
        store.report_recipients().unwrap(),
        vec![everyone.clone(), bob.clone(), ann.clone()],
        "by unit, then address; the first record kept as it was"
    );
    assert!(
        !store
            .remove_report_recipient("Home", "ann@example.com")
            .unwrap()
    );
    assert!(
        store
            .remove_report_recipient("Motor", "ann@example.com")
            .unwrap()
    );
    assert_eq!(store.report_recipients().unwrap(), vec![everyone, bob]);
}

pub fn the_report_send_day_is_set_and_replaced(store: &dyn Store) {
    assert_eq!(store.report_send_day().unwrap(), None);
    store.set_report_send_day(5).unwrap();
    assert_eq!(store.report_send_day().unwrap(), Some(5));
    store.set_report_send_day(2).unwrap();
    assert_eq!(store.report_send_day().unwrap(), Some(2));
    assert!(
        store.set_report_send_day(31).is_err(),
        "a day every month has, 1 to 28"
    );
    assert_eq!(store.report_send_day().unwrap(), Some(2));
}
