//! The suggestion flag's contract: stored with each item, replaced with the sentiment by
//! re-tagging (and by a replacing import), and filtered by the drill-down.

use super::{item, read_all, rule_tag, taxonomy, theme_record};
use crate::{FeedbackFilter, ItemQuery, ItemTags, Store, ThemeOrigin};
use trove_domain::FeedbackItem;

/// The external ids the drill-down lists for `query`, checking its count agrees.
fn listed(store: &dyn Store, query: &ItemQuery) -> Vec<String> {
    let count = store.count_items(query).unwrap();
    let items = store
        .list_items(query, crate::ItemPageAt::First, 50, Some(count))
        .unwrap();
    assert_eq!(count, items.len() as u64, "{query:?}");
    let mut ids: Vec<String> = items
        .iter()
        .map(|i| i.feedback.item.external_id.as_str().to_owned())
        .collect();
    ids.sort();
    ids
}

fn flags(store: &dyn Store) -> Vec<(String, bool)> {
    read_all(store, &FeedbackFilter::default())
        .into_iter()
        .map(|s| (s.item.external_id.as_str().to_owned(), s.item.suggestion))
        .collect()
}

pub fn the_suggestion_flag_is_stored_retagged_and_filtered(store: &dyn Store) {
    let suggestion = |external: &str| FeedbackItem {
        suggestion: true,
        sentiment: Some(0.0),
        ..item("s", external)
    };
    store
        .insert_feedback(&[suggestion("1"), item("s", "2"), suggestion("3")], None)
        .unwrap();
    assert_eq!(
        flags(store),
        [("1".into(), true), ("2".into(), false), ("3".into(), true)]
    );
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    // Re-tagging reads the text again: item 1 is no longer a suggestion, item 2 is one;
    // item 3 is tagged without a new reading (no sentiment), so its flag stays.
    let retag = |id: i64, sentiment: Option<f32>, suggestion: bool| ItemTags {
        feedback_id: id,
        tags: vec![rule_tag("fee", "fee", 0, 3)],
        sentiment,
        suggestion,
    };
    store
        .replace_rule_tags(
            version,
            &[
                retag(ids[0], Some(0.5), false),
                retag(ids[1], Some(-0.5), true),
                retag(ids[2], None, false),
            ],
        )
        .unwrap();
    assert_eq!(
        flags(store),
        [("1".into(), false), ("2".into(), true), ("3".into(), true)]
    );

    let query = |suggestion: Option<bool>, theme: Option<&str>| ItemQuery {
        suggestion,
        theme: theme.map(str::to_owned),
        origin: ThemeOrigin::Any,
        ..ItemQuery::default()
    };
    assert_eq!(listed(store, &query(Some(true), None)), ["2", "3"]);
    assert_eq!(listed(store, &query(Some(false), None)), ["1"]);
    assert_eq!(listed(store, &query(None, None)), ["1", "2", "3"]);
    assert_eq!(listed(store, &query(Some(true), Some("fee"))), ["2", "3"]);

    // A replacing import stores the flag the file's new reading gives.
    store
        .replace_feedback(&[suggestion("1")], None, None)
        .unwrap();
    assert_eq!(listed(store, &query(Some(true), None)), ["1", "2", "3"]);
    let mut plain = item("s", "3");
    plain.sentiment = Some(0.1);
    store.replace_feedback(&[plain], None, None).unwrap();
    assert_eq!(listed(store, &query(Some(true), None)), ["1", "2"]);
}
