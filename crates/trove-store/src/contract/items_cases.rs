//! The drill-down's contract: every filter, each item once, pages without gaps or repeats.

use super::{customer, item, label, rule_tag, taxonomy, theme_record};
use crate::{
    FeedbackFilter, ItemCursor, ItemPageAt, ItemQuery, ItemTags, ListedItem, NpsBand,
    SentimentClass, Store, ThemeOrigin,
};
use trove_domain::{Channel, CustomerId, FeedbackItem, FeedbackText, Nps, Scores};

/// Every matching item, read in pages of 2 (so paging is exercised by every filter case),
/// with the count given as `matching`.
fn all_pages(store: &dyn Store, query: &ItemQuery, matching: Option<u64>) -> Vec<ListedItem> {
    let mut out: Vec<ListedItem> = Vec::new();
    let mut at = ItemPageAt::First;
    loop {
        let page = store.list_items(query, at, 2, matching).unwrap();
        let Some(last) = page.last() else { break };
        at = ItemPageAt::After(last.cursor());
        let full = page.len() == 2;
        out.extend(page);
        if !full {
            break;
        }
    }
    out
}

/// The external ids a query lists, checking that its count agrees and that the listing is
/// the same whichever way the backend reads it (with the count, or without).
fn listed(store: &dyn Store, query: &ItemQuery) -> Vec<String> {
    let count = store.count_items(query).unwrap();
    let items = all_pages(store, query, Some(count));
    assert_eq!(
        count,
        items.len() as u64,
        "count and rows disagree for {query:?}"
    );
    assert_eq!(
        all_pages(store, query, None),
        items,
        "{query:?} read in time order"
    );
    let mut ids: Vec<String> = items
        .iter()
        .map(|i| i.feedback.item.external_id.as_str().to_owned())
        .collect();
    ids.sort();
    ids
}

fn at_day(day: u32) -> trove_domain::ReceivedAt {
    super::at(&format!("2025-03-{day:02}T12:00:00Z"), 2)
}

/// Six items and a taxonomy: `billing` (stage `pay`) > `fee` (no stage of its own) >
/// `surprise`; `claims` (stage `claim`); a source-coded `Late Flight`.
fn seed(store: &dyn Store) -> i64 {
    store
        .upsert_customers(&[customer("C1", "Gold"), customer("C2", "Silver")])
        .unwrap();
    let with = |id: &str, day: u32, f: &dyn Fn(&mut FeedbackItem)| {
        let mut it = item(if id == "6" { "other" } else { "s" }, id);
        it.received_at = at_day(day);
        f(&mut it);
        it
    };
    let items = [
        with("1", 1, &|i| {
            i.text = FeedbackText::parse("A surprise fee on my bill").unwrap();
            i.scores.nps = Some(Nps::try_from(3).unwrap());
            i.sentiment = Some(-0.6);
            i.business_unit = Some(label("Motor"));
            i.customer_id = Some(CustomerId::parse("C1").unwrap());
        }),
        with("2", 2, &|i| {
            i.scores.nps = Some(Nps::try_from(9).unwrap());
            i.sentiment = Some(0.05);
            i.channel = Channel::Chat;
            i.touchpoint = Some(label("first-bill"));
            i.source_themes = vec![label("Late Flight")];
        }),
        with("3", 3, &|i| {
            i.scores.nps = Some(Nps::try_from(7).unwrap());
            i.sentiment = Some(-0.05);
            i.customer_id = Some(CustomerId::parse("C2").unwrap());
        }),
        with("4", 4, &|i| {
            i.scores.nps = Some(Nps::try_from(10).unwrap());
            i.sentiment = Some(0.0);
            i.business_unit = Some(label("Motor"));
        }),
        with("5", 5, &|i| i.sentiment = Some(0.049)),
        with("6", 6, &|_| {}),
    ];
    store.insert_feedback(&items, None).unwrap();
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("billing", None, Some("pay")),
                theme_record("fee", Some("billing"), None),
                theme_record("surprise", Some("fee"), None),
                theme_record("claims", None, Some("claim")),
            ],
        ))
        .unwrap();
    let ids = ids_by_external(store);
    let tagged = |external: &str, tags: Vec<crate::RuleTag>| ItemTags {
        feedback_id: ids[external],
        tags,
        sentiment: None,
        suggestion: false,
    };
    store
        .replace_rule_tags(
            version,
            &[
                // Two themes of one family on one item: the item counts once.
                tagged(
                    "1",
                    vec![
                        rule_tag("surprise", "surprise fee", 2, 14),
                        rule_tag("fee", "fee", 11, 14),
                    ],
                ),
                tagged("2", vec![rule_tag("billing", "bill", 0, 4)]),
                tagged("3", vec![rule_tag("claims", "claim", 0, 4)]),
                tagged("6", vec![rule_tag("fee", "fee", 0, 4)]),
            ],
        )
        .unwrap();
    version
}

fn ids_by_external(store: &dyn Store) -> std::collections::HashMap<String, i64> {
    super::read_all(store, &FeedbackFilter::default())
        .into_iter()
        .map(|s| (s.item.external_id.as_str().to_owned(), s.id))
        .collect()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

pub fn drill_down_filters_by_every_field_and_counts_each_item_once(store: &dyn Store) {
    seed(store);
    let q = |f: &dyn Fn(&mut ItemQuery)| {
        let mut query = ItemQuery::default();
        f(&mut query);
        listed(store, &query)
    };
    assert_eq!(q(&|_| {}), ids(&["1", "2", "3", "4", "5", "6"]));
    // FeedbackFilter's fields.
    let day = |d: u32| at_day(d).unix_seconds();
    assert_eq!(
        q(&|x| {
            x.filter.since = Some(day(2));
            x.filter.until = Some(day(4));
        }),
        ids(&["2", "3"])
    );
    assert_eq!(q(&|x| x.filter.source = Some("other".into())), ids(&["6"]));
    assert_eq!(q(&|x| x.filter.channel = Some(Channel::Chat)), ids(&["2"]));
    assert_eq!(
        q(&|x| x.filter.business_unit = Some("Motor".into())),
        ids(&["1", "4"])
    );
    assert_eq!(
        q(&|x| x.filter.touchpoint = Some("first-bill".into())),
        ids(&["2"])
    );
    assert_eq!(
        q(&|x| x.filter.segment = Some("Silver".into())),
        ids(&["3"])
    );
    // A theme takes its descendants; each item once.
    assert_eq!(
        q(&|x| x.theme = Some("billing".into())),
        ids(&["1", "2", "6"])
    );
    assert_eq!(q(&|x| x.theme = Some("fee".into())), ids(&["1", "6"]));
    assert_eq!(q(&|x| x.theme = Some("surprise".into())), ids(&["1"]));
    assert_eq!(q(&|x| x.theme = Some("nothing".into())), ids(&[]));
    // Origins.
    assert_eq!(q(&|x| x.theme = Some("late-flight".into())), ids(&["2"]));
    assert_eq!(
        q(&|x| {
            x.theme = Some("late-flight".into());
            x.origin = ThemeOrigin::Rule;
        }),
        ids(&[])
    );
    assert_eq!(
        q(&|x| {
            x.theme = Some("billing".into());
            x.origin = ThemeOrigin::Source;
        }),
        ids(&[])
    );
    // A stage by the theme's own stage or its nearest ancestor's.
    assert_eq!(q(&|x| x.stage = Some("pay".into())), ids(&["1", "2", "6"]));
    assert_eq!(q(&|x| x.stage = Some("claim".into())), ids(&["3"]));
    assert_eq!(
        q(&|x| {
            x.stage = Some("pay".into());
            x.theme = Some("surprise".into());
        }),
        ids(&["1"])
    );
    // NPS bands and sentiment classes, at their edges.
    assert_eq!(q(&|x| x.band = Some(NpsBand::Promoter)), ids(&["2", "4"]));
    assert_eq!(q(&|x| x.band = Some(NpsBand::Passive)), ids(&["3"]));
    assert_eq!(q(&|x| x.band = Some(NpsBand::Detractor)), ids(&["1"]));
    assert_eq!(
        q(&|x| x.sentiment = Some(SentimentClass::Negative)),
        ids(&["1", "3"])
    );
    assert_eq!(
        q(&|x| x.sentiment = Some(SentimentClass::Neutral)),
        ids(&["4", "5"])
    );
    assert_eq!(
        q(&|x| x.sentiment = Some(SentimentClass::Positive)),
        ids(&["2"])
    );
    // Everything at once.
    assert_eq!(
        q(&|x| {
            x.filter.business_unit = Some("Motor".into());
            x.theme = Some("billing".into());
            x.band = Some(NpsBand::Detractor);
            x.sentiment = Some(SentimentClass::Negative);
            x.origin = ThemeOrigin::Rule;
        }),
        ids(&["1"])
    );
}

pub fn drill_down_items_carry_their_themes_and_matched_spans(store: &dyn Store) {
    seed(store);
    let page = store
        .list_items(&ItemQuery::default(), ItemPageAt::First, 50, None)
        .unwrap();
    let order: Vec<&str> = page
        .iter()
        .map(|i| i.feedback.item.external_id.as_str())
        .collect();
    assert_eq!(order, ["6", "5", "4", "3", "2", "1"], "newest first");
    let first = &page[5];
    assert_eq!(
        first.feedback.item.text.as_str(),
        "A surprise fee on my bill"
    );
    assert_eq!(
        first.feedback.item.scores.nps,
        Some(Nps::try_from(3).unwrap())
    );
    assert_eq!(first.feedback.item.sentiment, Some(-0.6));
    assert_eq!(first.themes, ["fee", "surprise"]);
    let spans: Vec<(&str, u32, u32)> = first
        .spans
        .iter()
        .map(|s| (s.theme.as_str(), s.start, s.end))
        .collect();
    assert_eq!(spans, [("surprise", 2, 14), ("fee", 11, 14)]);
    let coded = &page[4];
    assert_eq!(coded.themes, ["billing", "late-flight"]);
    assert_eq!(coded.spans.len(), 1, "a source-coded theme has no span");
    let source_only = store
        .list_items(
            &ItemQuery {
                origin: ThemeOrigin::Source,
                ..ItemQuery::default()
            },
            ItemPageAt::First,
            50,
            Some(6),
        )
        .unwrap();
    assert_eq!(source_only[4].themes, ["late-flight"]);
    assert!(source_only[4].spans.is_empty());
    assert!(source_only[5].themes.is_empty());
}

pub fn drill_down_pages_have_no_gaps_or_repeats_in_either_direction(store: &dyn Store) {
    // 23 items over 7 instants: ties on the received time are broken by id.
    let batch: Vec<FeedbackItem> = (0..23)
        .map(|i| FeedbackItem {
            received_at: at_day(1 + (i * 5) % 7),
            scores: Scores::default(),
            ..item("s", &format!("{i:02}"))
        })
        .collect();
    store.insert_feedback(&batch, None).unwrap();
    let query = ItemQuery::default();
    let expected: Vec<ItemCursor> = all_pages(store, &ItemQuery::default(), None)
        .iter()
        .map(ListedItem::cursor)
        .collect();
    let mut sorted = expected.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(expected, sorted, "newest first, then highest id");
    assert_eq!(expected.len(), 23);
    assert_eq!(store.count_items(&query).unwrap(), 23);
    // Forward in pages of 5, then back from the last page.
    let mut forward: Vec<ItemCursor> = Vec::new();
    let mut pages: Vec<Vec<ItemCursor>> = Vec::new();
    let mut at = ItemPageAt::First;
    loop {
        let page: Vec<ItemCursor> = store
            .list_items(&query, at, 5, Some(23))
            .unwrap()
            .iter()
            .map(ListedItem::cursor)
            .collect();
        let Some(&last) = page.last() else { break };
        forward.extend(&page);
        pages.push(page);
        at = ItemPageAt::After(last);
    }
    assert_eq!(forward, expected);
    assert_eq!(pages.len(), 5);
    let mut first_of_page = pages.last().unwrap()[0];
    for earlier in pages.iter().rev().skip(1) {
        let page: Vec<ItemCursor> = store
            .list_items(&query, ItemPageAt::Before(first_of_page), 5, None)
            .unwrap()
            .iter()
            .map(ListedItem::cursor)
            .collect();
        assert_eq!(&page, earlier, "a page read backwards is the same page");
        first_of_page = page[0];
    }
    assert!(
        store
            .list_items(&query, ItemPageAt::Before(expected[0]), 5, Some(23))
            .unwrap()
            .is_empty()
    );
}
