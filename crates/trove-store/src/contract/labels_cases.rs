//! The contract's sentiment-label cases: candidates per source in a fixed order, labels
//! stored and replaced, labelled items leave the candidates.

use trove_domain::FeedbackText;

use crate::{SentimentLabel, Store};

pub fn sentiment_labels_replace_and_labelled_items_leave_the_candidates(store: &dyn Store) {
    let mut items = Vec::new();
    for (source, n) in [("survey", 5), ("tweets", 3)] {
        for i in 0..n {
            let mut item = super::item(source, &format!("{source}-{i}"));
            item.text = FeedbackText::parse(&format!("{source} text {i}")).unwrap();
            items.push(item);
        }
    }
    store.insert_feedback(&items, None).unwrap();
    let all = store.label_candidates(10).unwrap();
    assert_eq!(all.len(), 8);
    let two = store.label_candidates(2).unwrap();
    let sources: Vec<&str> = two.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(sources, ["survey", "survey", "tweets", "tweets"]);
    // The order is the scrambled one, the same on every call and in every backend.
    let key = |id: i64| ((id % 1_000_003) * 999_983 % 1_000_003, id);
    let survey: Vec<i64> = all
        .iter()
        .filter(|c| c.source == "survey")
        .map(|c| c.feedback_id)
        .collect();
    let mut sorted = survey.clone();
    sorted.sort_by_key(|&id| key(id));
    assert_eq!(survey, sorted);
    assert_eq!(two[0].feedback_id, survey[0]);
    assert!(two[0].text.starts_with("survey text "), "{:?}", two[0].text);

    let first = two[0].feedback_id;
    let mut label = SentimentLabel {
        feedback_id: first,
        label: "negative".into(),
        labelled_by: "ann@example.com".into(),
        labelled_at: 100,
    };
    store.set_sentiment_label(&label).unwrap();
    store
        .set_sentiment_label(&SentimentLabel {
            feedback_id: two[2].feedback_id,
            label: "skip".into(),
            ..label.clone()
        })
        .unwrap();
    label.label = "positive".into();
    label.labelled_by = "bob@example.com".into();
    label.labelled_at = 200;
    store.set_sentiment_label(&label).unwrap();
    let labelled = store.labelled_items().unwrap();
    assert_eq!(labelled.len(), 2, "a relabel replaces: {labelled:?}");
    let mine = labelled
        .iter()
        .find(|l| l.label.feedback_id == first)
        .unwrap();
    assert_eq!(mine.label, label);
    assert_eq!(mine.source, "survey");
    assert!(mine.text.starts_with("survey text"));
    let left = store.label_candidates(10).unwrap();
    assert_eq!(left.len(), 6);
    assert!(
        left.iter()
            .all(|c| c.feedback_id != first && c.feedback_id != two[2].feedback_id)
    );
    assert_eq!(left[0].feedback_id, survey[1], "the order goes on");
}
