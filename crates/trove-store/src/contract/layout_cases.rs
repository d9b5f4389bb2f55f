//! The compact facts the analysis scans (migration 0024) follow every write that changes an
//! item or its tags, checked against the per-tag details kept for the drill-down.

use std::ops::ControlFlow;

use trove_domain::{ExternalId, FeedbackItem};

use super::{item, label, read_all, rule_tag, taxonomy, theme_record};
use crate::{
    FactVisitor, FeedbackFilter, ItemFactsRef, ItemTags, ItemThemes, KeyedTags, NewModel, Store,
    ThemeOrigin,
};

/// The items of [`Store::scan_item_facts`] read in `parts` parts, copied out and joined in
/// the parts' order.
fn scanned_in_parts(
    store: &dyn Store,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    parts: usize,
) -> Vec<ItemThemes> {
    let mut read: Vec<Vec<ItemThemes>> = vec![Vec::new(); parts];
    {
        let mut visitors: Vec<Box<FactVisitor<'_>>> = read
            .iter_mut()
            .map(|part| -> Box<FactVisitor<'_>> {
                Box::new(move |item: &ItemFactsRef<'_>| part.push(item.to_item_themes()))
            })
            .collect();
        let mut visitors: Vec<&mut FactVisitor<'_>> =
            visitors.iter_mut().map(|v| &mut **v).collect();
        store
            .scan_item_facts(filter, origin, &mut visitors)
            .unwrap();
    }
    read.concat()
}

fn scanned(store: &dyn Store, origin: ThemeOrigin) -> Vec<ItemThemes> {
    let mut all = Vec::new();
    store
        .scan_item_themes(&FeedbackFilter::default(), origin, 3, &mut |page| {
            all.extend(page);
            ControlFlow::Continue(())
        })
        .unwrap();
    all
}

/// What a scan must give, worked out from the items and their stored tags one by one: each
/// theme of `origin` once, sorted, with the mean of its scored mentions.
fn expected(store: &dyn Store, origin: ThemeOrigin) -> Vec<ItemThemes> {
    read_all(store, &FeedbackFilter::default())
        .into_iter()
        .map(|stored| {
            let mut tags = store.item_tags(stored.id).unwrap();
            tags.retain(|t| origin.stored().is_none_or(|o| o == t.origin));
            tags.sort_by(|a, b| a.theme.cmp(&b.theme));
            let mut themes: Vec<String> = tags.iter().map(|t| t.theme.to_string()).collect();
            themes.dedup();
            let mention_sentiments = themes
                .iter()
                .map(|theme| {
                    let scored: Vec<f64> = tags
                        .iter()
                        .filter(|t| t.theme.as_str() == theme)
                        .filter_map(|t| t.sentiment.map(f64::from))
                        .collect();
                    (!scored.is_empty())
                        .then(|| (scored.iter().sum::<f64>() / scored.len() as f64) as f32)
                })
                .collect();
            let item = stored.item;
            ItemThemes {
                id: stored.id,
                received_at: item.received_at.unix_seconds(),
                customer_id: item.customer_id.map(|c| c.to_string()),
                channel: item.channel,
                business_unit: item.business_unit.map(|l| l.to_string()),
                touchpoint: item.touchpoint.map(|l| l.to_string()),
                scores: item.scores,
                sentiment: item.sentiment,
                themes,
                mention_sentiments,
            }
        })
        .collect()
}

fn assert_in_step(store: &dyn Store, after: &str) {
    for origin in [
        ThemeOrigin::Any,
        ThemeOrigin::Rule,
        ThemeOrigin::Source,
        ThemeOrigin::Model,
    ] {
        let expected = expected(store, origin);
        assert_eq!(
            scanned(store, origin),
            expected,
            "after {after}, origin {origin:?}"
        );
        // The borrowed read gives the same, whatever the number of parts read side by side.
        for parts in [1, 2, 3] {
            assert_eq!(
                scanned_in_parts(store, &FeedbackFilter::default(), origin, parts),
                expected,
                "after {after}, origin {origin:?}, {parts} parts"
            );
        }
        let air = FeedbackFilter {
            business_unit: Some("Air".into()),
            ..FeedbackFilter::default()
        };
        let expected_air: Vec<ItemThemes> = expected
            .into_iter()
            .filter(|i| i.business_unit.as_deref() == Some("Air"))
            .collect();
        assert!(!expected_air.is_empty(), "item 2 stays in Air");
        assert_eq!(
            scanned_in_parts(store, &air, origin, 2),
            expected_air,
            "after {after}, origin {origin:?}, one unit"
        );
    }
}

fn tag(theme: &str, sentiment: Option<f32>) -> crate::RuleTag {
    crate::RuleTag {
        sentiment,
        ..rule_tag(theme, "words", 0, 5)
    }
}

pub fn compact_facts_follow_every_write_that_changes_an_item_or_its_tags(store: &dyn Store) {
    let coded = |id: &str, themes: &[&str], unit: &str| FeedbackItem {
        source_themes: themes.iter().map(|t| label(t)).collect(),
        business_unit: Some(label(unit)),
        sentiment: Some(-0.25),
        ..item("s", id)
    };
    store
        .insert_feedback(
            &[
                coded("1", &["Late Flight", "Bad Food"], "Air"),
                coded("2", &[], "Air"),
            ],
            None,
        )
        .unwrap();
    assert_in_step(store, "a plain insert");

    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("fee", None, None),
                theme_record("delay", None, None),
            ],
        ))
        .unwrap();
    let hold = store.start_import(&super::new_run("a.csv")).unwrap();
    let run = hold.id();
    store
        .insert_tagged_feedback(
            &[coded("3", &["Fee"], "Home"), item("s", "4")],
            Some(run),
            &[
                vec![tag("fee", Some(-0.123_456_79)), tag("delay", None)],
                vec![tag("delay", Some(0.7))],
            ],
            version,
        )
        .unwrap();
    drop(hold);
    assert_in_step(store, "a tagged insert");

    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    store
        .replace_rule_tags(
            version,
            &[ItemTags {
                feedback_id: ids[0],
                tags: vec![tag("fee", Some(0.3))],
                sentiment: Some(0.5),
                suggestion: false,
            }],
        )
        .unwrap();
    assert_in_step(store, "re-tagging by id");

    store
        .replace_rule_tags_by_key(
            version,
            &[KeyedTags {
                source: label("s"),
                external_id: ExternalId::parse("3").unwrap(),
                tags: vec![tag("delay", Some(-0.9))],
            }],
        )
        .unwrap();
    assert_in_step(store, "re-tagging by key");

    let model = store
        .save_model(&NewModel {
            name: "default".into(),
            created_at: 1,
            labels_file: "train.csv".into(),
            metrics: "{}".into(),
            model: vec![1],
        })
        .unwrap();
    store
        .replace_model_tags(
            model,
            &[ItemTags {
                feedback_id: ids[1],
                tags: vec![tag("fee", None), tag("bad-food", None)],
                sentiment: None,
                suggestion: false,
            }],
        )
        .unwrap();
    assert_in_step(store, "model tags");

    store
        .replace_feedback(
            &[coded("1", &["Lost Bag"], "Cargo")],
            None,
            Some((&[vec![tag("delay", Some(0.1))]], version)),
        )
        .unwrap();
    assert_in_step(store, "a replacing insert");

    store.delete_import(run, 2).unwrap();
    assert_eq!(scanned(store, ThemeOrigin::Any).len(), 2);
    assert_in_step(store, "deleting an import");
}

/// Both ways of writing an item's facts row (from memory as an import stores it, and in SQL
/// as every later write refreshes it) pack its links in the order of their themes, then of
/// their origins, whatever the order of the mentions in the text: the analysis's reader then
/// has nothing to sort. `packed` reads the facts rows' packed links, in id order (the column
/// itself, which the trait does not show). The sentiments are exact in binary, so that both
/// writers spell them alike.
pub fn links_are_packed_in_theme_order(
    store: &dyn Store,
    packed: &mut dyn FnMut() -> Vec<Option<String>>,
) {
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            ["wait", "fee", "app"]
                .map(|id| theme_record(id, None, None))
                .to_vec(),
        ))
        .unwrap();
    let coded = FeedbackItem {
        source_themes: vec![label("Zoo"), label("Fee")],
        ..item("s", "1")
    };
    // In the order a text mentions them, as the tagger gives them.
    let mentions = vec![
        tag("wait", Some(-0.5)),
        tag("app", Some(0.25)),
        tag("fee", None),
    ];
    store
        .insert_tagged_feedback(
            &[coded, item("s", "2")],
            None,
            &[mentions.clone(), Vec::new()],
            version,
        )
        .unwrap();
    let sorted = "app:r:0.25 fee:r fee:s wait:r:-0.5 zoo:s".to_owned();
    assert_eq!(packed(), vec![Some(sorted.clone()), None], "as imported");

    let id = read_all(store, &FeedbackFilter::default())
        .iter()
        .find(|s| s.item.external_id.as_str() == "1")
        .map(|s| s.id)
        .unwrap();
    let mut reversed = mentions;
    reversed.reverse();
    store
        .replace_rule_tags(
            version,
            &[ItemTags {
                feedback_id: id,
                tags: reversed,
                sentiment: None,
                suggestion: false,
            }],
        )
        .unwrap();
    assert_eq!(packed(), vec![Some(sorted), None], "as refreshed");
}
