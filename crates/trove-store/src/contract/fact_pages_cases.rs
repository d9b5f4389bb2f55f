//! The contract of [`crate::FactPages`]: a store that offers per-page reads gives, page by
//! page, exactly the facts the full read gives, and a page's digest changes when (and only
//! when) one of its items' facts does. A store without per-page reads passes trivially.

use std::collections::BTreeSet;

use super::{customer, rule_tag};
use crate::contract::fill_for_analytics;
use crate::{FactPageDigest, FactRow, ItemTags, Store, read_facts};

/// Ids per page in these cases: the 12,500 items of [`fill_for_analytics`] span 13 pages.
const PAGE: i64 = 1_000;

fn digests(store: &dyn Store) -> Vec<FactPageDigest> {
    store.fact_page_digests(PAGE).unwrap().unwrap()
}

/// The pages whose digest differs between two readings.
fn changed(before: &[FactPageDigest], after: &[FactPageDigest]) -> BTreeSet<i64> {
    let of = |digests: &[FactPageDigest], page: i64| -> Option<FactPageDigest> {
        digests.iter().find(|d| d.page == page).cloned()
    };
    before
        .iter()
        .chain(after)
        .map(|d| d.page)
        .filter(|&page| of(before, page) != of(after, page))
        .collect()
}

fn everything(store: &dyn Store) -> Vec<FactRow> {
    let mut all = Vec::new();
    read_facts(store, 4_000, &mut |facts| {
        all.extend(facts);
        Ok(())
    })
    .unwrap();
    all
}

pub fn fact_pages_give_the_full_reads_facts_and_their_digests_follow_changes(store: &dyn Store) {
    if store.fact_page_digests(PAGE).unwrap().is_none() {
        assert!(store.fact_range(0, PAGE).unwrap().is_none());
        return;
    }
    let (version, ids) = fill_for_analytics(store);
    let all = everything(store);
    let before = digests(store);
    let mut paged = Vec::new();
    for digest in &before {
        let facts = store
            .fact_range(digest.page * PAGE, (digest.page + 1) * PAGE)
            .unwrap()
            .unwrap();
        assert_eq!(facts.len() as u64, digest.rows, "page {}", digest.page);
        assert!(facts.iter().all(|f| f.id.div_euclid(PAGE) == digest.page));
        paged.extend(facts);
    }
    assert_eq!(paged.len(), ids.len());
    assert_eq!(paged, all);
    assert!(
        changed(&before, &digests(store)).is_empty(),
        "unchanged data"
    );

    // Re-tagging one item changes its page alone.
    let target = ids[1_500];
    store
        .replace_rule_tags(
            version,
            &[ItemTags {
                feedback_id: target,
                tags: vec![rule_tag("claim", "claim", 0, 5)],
                sentiment: None,
                suggestion: false,
            }],
        )
        .unwrap();
    let retagged = digests(store);
    assert_eq!(
        changed(&before, &retagged),
        BTreeSet::from([target.div_euclid(PAGE)])
    );

    // A customer's new segment changes the pages of their items alone.
    store
        .upsert_customers(&[customer("C-1", "platinum")])
        .unwrap();
    let expected: BTreeSet<i64> = all
        .iter()
        .filter(|f| f.customer_id.as_deref() == Some("C-1"))
        .map(|f| f.id.div_euclid(PAGE))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(changed(&retagged, &digests(store)), expected);
    assert_eq!(
        store
            .fact_range(target, target + 1)
            .unwrap()
            .unwrap()
            .iter()
            .map(|f| f.rule.themes.clone())
            .collect::<Vec<_>>(),
        vec![vec!["claim".to_owned()]]
    );
}
