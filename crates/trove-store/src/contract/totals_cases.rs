//! The running totals (migration 0028) answer `Store::tally_by` exactly as a tally of the
//! items themselves, after every kind of write that adds, changes or removes an item.

use std::collections::BTreeMap;

use trove_domain::{Ces, Channel, Csat, CustomerId, FeedbackItem, Nps, ScoreTally, Scores};

use super::{at, customer, item, label, new_run, read_all, rule_tag, taxonomy, theme_record};
use crate::{Dimension, FeedbackFilter, ItemTags, Store, month_of};

/// The groups `tally_by` must give, worked out from the items one by one.
fn expected(
    store: &dyn Store,
    dimension: Dimension,
    filter: &FeedbackFilter,
) -> Vec<(Option<String>, ScoreTally)> {
    let mut groups: BTreeMap<Option<String>, ScoreTally> = BTreeMap::new();
    for stored in read_all(store, filter) {
        let item = stored.item;
        let text = |value: Option<trove_domain::Label>| value.map(|l| l.to_string());
        let key = match dimension {
            Dimension::Channel => Some(item.channel.as_str().to_owned()),
            Dimension::Source => Some(item.source.to_string()),
            Dimension::BusinessUnit => text(item.business_unit),
            Dimension::JourneyStage => text(item.journey_stage),
            Dimension::Touchpoint => text(item.touchpoint),
            Dimension::Region => text(item.region),
            Dimension::Product => text(item.product),
            Dimension::Month => Some(month_of(item.received_at.unix_seconds())),
        };
        groups.entry(key).or_default().add(&item.scores);
    }
    groups.into_iter().collect()
}

/// Filters the totals answer (whole months, the item's own labels) and some they leave to the
/// facts (a window inside a month, a customer's segment).
fn filters() -> Vec<FeedbackFilter> {
    let instant = |raw: &str| raw.parse::<jiff::Timestamp>().unwrap().as_second();
    let march = FeedbackFilter {
        since: Some(instant("2025-03-01T00:00:00Z")),
        until: Some(instant("2025-04-01T00:00:00Z")),
        ..FeedbackFilter::default()
    };
    vec![
        FeedbackFilter::default(),
        march.clone(),
        FeedbackFilter {
            business_unit: Some("Air".into()),
            channel: Some(Channel::Chat),
            ..march
        },
        FeedbackFilter {
            journey_stage: Some("pay".into()),
            touchpoint: Some("app".into()),
            source: Some("s".into()),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            since: Some(instant("2025-03-10T00:00:00Z")),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            segment: Some("SMB".into()),
            ..FeedbackFilter::default()
        },
    ]
}

fn assert_in_step(store: &dyn Store, after: &str) {
    for filter in filters() {
        for dimension in Dimension::ALL {
            let got: Vec<(Option<String>, ScoreTally)> = store
                .tally_by(dimension, &filter)
                .unwrap()
                .into_iter()
                .map(|group| (group.key, group.tally))
                .collect();
            assert_eq!(
                got,
                expected(store, dimension, &filter),
                "after {after}, by {} of {filter:?}",
                dimension.as_str()
            );
        }
    }
}

/// Item `id` with every dimension the totals keep, and scores derived from `n`.
fn varied(id: &str, n: u8, when: &str, unit: Option<&str>) -> FeedbackItem {
    let n = i64::from(n);
    FeedbackItem {
        received_at: at(when, -5),
        business_unit: unit.map(label),
        channel: if n % 2 == 0 {
            Channel::Chat
        } else {
            Channel::Survey
        },
        journey_stage: (n % 3 != 0).then(|| label("pay")),
        touchpoint: (n % 4 != 0).then(|| label("app")),
        customer_id: (n % 2 == 1).then(|| CustomerId::parse("C1").unwrap()),
        scores: Scores {
            nps: (n % 5 != 0).then(|| Nps::try_from(n % 11).unwrap()),
            csat: (n % 3 != 1).then(|| Csat::try_from(n % 5 + 1).unwrap()),
            ces: (n % 2 == 0).then(|| Ces::try_from(n % 7 + 1).unwrap()),
        },
        ..item("s", id)
    }
}

pub fn running_totals_equal_the_scan_after_every_write_that_changes_an_item(store: &dyn Store) {
    store.upsert_customers(&[customer("C1", "SMB")]).unwrap();
    assert_in_step(store, "nothing stored");

    // Two months, the first item repeated within the batch (a duplicate, counted once).
    let first: Vec<FeedbackItem> = (0..12u8)
        .map(|n| {
            let when = if n < 6 {
                "2025-03-15T12:00:00Z"
            } else {
                "2025-04-01T02:00:00Z"
            };
            varied(
                &n.to_string(),
                n,
                when,
                [Some("Air"), None][usize::from(n % 2)],
            )
        })
        .chain([varied("0", 9, "2025-05-01T00:00:00Z", Some("Rail"))])
        .collect();
    store.insert_feedback(&first, None).unwrap();
    assert_in_step(store, "a plain insert with a duplicate in the batch");

    store.insert_feedback(&first[..3], None).unwrap();
    assert_in_step(store, "an insert of items already stored");

    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    let hold = store.start_import(&new_run("a.csv")).unwrap();
    let run = hold.id();
    store.begin_bulk_load().unwrap();
    store
        .insert_tagged_feedback(
            &[
                varied("20", 7, "2025-03-31T23:30:00Z", Some("Air")),
                varied("21", 8, "2025-02-28T23:59:59Z", Some("Cargo")),
            ],
            Some(run),
            &[vec![rule_tag("fee", "fee", 0, 3)], Vec::new()],
            version,
        )
        .unwrap();
    store.end_bulk_load().unwrap();
    drop(hold);
    assert_in_step(store, "a tagged bulk insert in an import run");

    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    store
        .replace_rule_tags(
            version,
            &[ItemTags {
                feedback_id: ids[0],
                tags: vec![rule_tag("fee", "fee", 0, 3)],
                sentiment: Some(0.5),
                suggestion: false,
            }],
        )
        .unwrap();
    assert_in_step(store, "re-tagging");

    // Item 1 moves to another unit, month, channel and scores; item 2 is overwritten twice in
    // the batch (its last occurrence wins); item 30 is new.
    store
        .replace_feedback(
            &[
                varied("1", 4, "2025-06-02T00:00:00Z", Some("Sea")),
                varied("2", 5, "2025-03-02T00:00:00Z", None),
                varied("2", 10, "2025-03-03T00:00:00Z", Some("Air")),
                varied("30", 3, "2025-03-20T00:00:00Z", Some("Air")),
            ],
            None,
            None,
        )
        .unwrap();
    assert_in_step(store, "a replacing insert");

    store
        .upsert_customers(&[customer("C1", "Premium")])
        .unwrap();
    assert_in_step(store, "a customer's new segment");

    store.delete_import(run, 2).unwrap();
    assert_in_step(store, "deleting an import");
    let units: Vec<Option<String>> = store
        .tally_by(Dimension::BusinessUnit, &FeedbackFilter::default())
        .unwrap()
        .into_iter()
        .map(|group| group.key)
        .collect();
    assert!(
        !units.contains(&Some("Cargo".into())),
        "a group whose items are all gone is not listed: {units:?}"
    );
}
