//! Artifacts and items read by id.

use super::{item, read_all};
use crate::{ArtifactTarget, FeedbackFilter, NewArtifact, Store};

fn artifact(target: ArtifactTarget, name: &str, content: &[u8], at: i64) -> NewArtifact {
    NewArtifact {
        target,
        name: name.to_owned(),
        media_type: "image/png".to_owned(),
        note: Some(format!("note on {name}")),
        content_hash: format!("hash-of-{name}"),
        content: content.to_vec(),
        added_by: "ana@example.com".to_owned(),
        added_at: at,
    }
}

pub fn artifacts_are_stored_listed_by_target_read_back_and_removed(store: &dyn Store) {
    store
        .insert_feedback(&[item("s", "1"), item("s", "2")], None)
        .unwrap();
    let item_id = read_all(store, &FeedbackFilter::default())[0].id;
    let letter = ArtifactTarget::Touchpoint("claim-letter".to_owned());
    let bytes: Vec<u8> = (0..=255).collect();
    let first = store
        .add_artifact(&artifact(letter.clone(), "letter.png", &bytes, 10))
        .unwrap();
    let call = store
        .add_artifact(&artifact(
            ArtifactTarget::Item(item_id),
            "call.mp3",
            b"ID3",
            20,
        ))
        .unwrap();
    assert_ne!(first, call);

    let all = store.artifacts(None).unwrap();
    assert_eq!(
        all.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![first, call]
    );
    let on_letter = store.artifacts(Some(&letter)).unwrap();
    assert_eq!(on_letter.len(), 1);
    assert_eq!(on_letter[0].name, "letter.png");
    assert_eq!(on_letter[0].size, 256);
    assert_eq!(on_letter[0].target, letter);
    assert_eq!(on_letter[0].note.as_deref(), Some("note on letter.png"));
    let on_item = store
        .artifacts(Some(&ArtifactTarget::Item(item_id)))
        .unwrap();
    assert_eq!(on_item.len(), 1);
    assert_eq!(on_item[0].target, ArtifactTarget::Item(item_id));
    assert!(
        store
            .artifacts(Some(&ArtifactTarget::Touchpoint("nope".to_owned())))
            .unwrap()
            .is_empty()
    );

    let (head, content) = store.artifact_content(first).unwrap().unwrap();
    assert_eq!(head, on_letter[0]);
    assert_eq!(content, bytes, "bytes come back exactly");
    assert!(store.artifact_content(call + 100).unwrap().is_none());

    assert!(store.remove_artifact(first).unwrap());
    assert!(!store.remove_artifact(first).unwrap(), "removed already");
    assert!(store.artifact_content(first).unwrap().is_none());
    assert_eq!(store.artifacts(None).unwrap().len(), 1);
}

pub fn items_are_read_by_id_with_their_themes(store: &dyn Store) {
    store
        .insert_feedback(&[item("s", "1"), item("s", "2"), item("s", "3")], None)
        .unwrap();
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|f| f.id)
        .collect();
    let wanted = [ids[2], ids[0], ids[2] + 1_000];
    let items = store.feedback_items(&wanted).unwrap();
    assert_eq!(
        items.iter().map(|i| i.feedback.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2]],
        "those that exist, in id order"
    );
    assert_eq!(items[1].feedback.item.external_id.as_str(), "3");
    assert!(store.feedback_items(&[]).unwrap().is_empty());
}
