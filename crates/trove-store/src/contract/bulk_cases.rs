//! The import's bulk path: a batch large enough that a backend may write it in parts (the
//! PostgreSQL store writes halves on two connections) is stored as if item by item in batch
//! order, its keys already stored are duplicates, and repeating it changes nothing.

use super::{full_item, item, new_run, read_all, rule_tag, taxonomy, theme_record};
use crate::{FeedbackFilter, Store};
use trove_domain::{ExternalId, FeedbackItem, FeedbackText};

pub fn a_large_tagged_batch_keeps_batch_order_and_skips_stored_keys(store: &dyn Store) {
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    let run = store.start_import(&new_run("big.csv")).unwrap();
    // Every third key was stored by an earlier batch.
    let earlier: Vec<FeedbackItem> = (0..3_000)
        .step_by(3)
        .map(|i| item("s", &format!("k{i:05}")))
        .collect();
    store.insert_feedback(&earlier, None).unwrap();
    // Keys in descending order, so batch order is not key order; the last 100 repeat earlier
    // ones of the batch; every item carries attributes; every seventh is tagged.
    let batch: Vec<FeedbackItem> = (0..3_100)
        .map(|n| {
            let i = 2_999 - n % 3_000;
            let mut next = full_item();
            next.source = item("s", "x").source;
            next.external_id = ExternalId::parse(&format!("k{i:05}")).unwrap();
            next.text = FeedbackText::parse(&format!("comment {n} about the fee")).unwrap();
            next
        })
        .collect();
    let tags: Vec<_> = (0..batch.len())
        .map(|n| {
            if n % 7 == 0 {
                vec![rule_tag("fee", "fee", 0, 3)]
            } else {
                vec![]
            }
        })
        .collect();
    let outcome = store
        .insert_tagged_feedback(&batch, Some(run.id()), &tags, version)
        .unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (2_000, 1_100));

    let stored = read_all(store, &FeedbackFilter::default());
    let new: Vec<_> = stored.iter().filter(|s| s.id > stored[999].id).collect();
    let expected: Vec<(&str, &str)> = batch[..3_000]
        .iter()
        .map(|b| (b.external_id.as_str(), b.text.as_str()))
        .filter(|(key, _)| key[1..].parse::<u32>().unwrap() % 3 != 0)
        .collect();
    let got: Vec<(&str, &str)> = new
        .iter()
        .map(|s| (s.item.external_id.as_str(), s.item.text.as_str()))
        .collect();
    assert_eq!(got, expected, "ids follow batch order");
    assert!(new.iter().all(|s| s.item.attributes == batch[0].attributes));
    for (n, b) in batch[..3_000].iter().enumerate() {
        let Some(s) = new.iter().find(|s| s.item.external_id == b.external_id) else {
            continue;
        };
        let tagged = store
            .item_tags(s.id)
            .unwrap()
            .iter()
            .any(|t| t.origin == "rule");
        assert_eq!(tagged, n % 7 == 0, "item {n}");
    }
    assert_eq!(
        store
            .import_items_among(run.id(), &[new[0].id, stored[0].id])
            .unwrap(),
        vec![new[0].id]
    );

    let again = store
        .insert_tagged_feedback(&batch, Some(run.id()), &tags, version)
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 3_100));
    assert_eq!(read_all(store, &FeedbackFilter::default()), stored);
}
