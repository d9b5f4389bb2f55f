//! Items' sentence embeddings.

use super::{item, read_all};
use crate::{
    FeedbackFilter, ImportStatus, ImportTotals, ItemEmbedding, NewImportRun, Store, text_hash,
};

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.01)
}

pub fn embeddings_are_kept_per_model_replaced_and_go_with_their_items(store: &dyn Store) {
    store.insert_feedback(&[item("s", "kept")], None).unwrap();
    let hold = store
        .start_import(&NewImportRun {
            kind: "feedback".into(),
            source: "s".into(),
            file: "a.csv".into(),
            started_at: 1_700_000_000,
        })
        .unwrap();
    let run = hold.id();
    store
        .insert_feedback(&[item("s", "1"), item("s", "2")], Some(run))
        .unwrap();
    store
        .finish_import(run, ImportStatus::Completed, &ImportTotals::default(), None)
        .unwrap();
    drop(hold);
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    let vector = |seed: f32| -> Vec<f32> { (0..8).map(|i| (i as f32 - seed) / 10.0).collect() };
    let saved = vec![
        ItemEmbedding {
            id: ids[0],
            text_hash: text_hash("first"),
            vector: vector(1.0),
        },
        ItemEmbedding {
            id: ids[1],
            text_hash: -5,
            vector: vector(4.0),
        },
    ];
    store.save_embeddings("m@1", &saved).unwrap();
    let back = store.embeddings("m@1", &[ids[2], ids[1], ids[0]]).unwrap();
    assert_eq!(back.len(), 2, "the item without a vector is left out");
    assert_eq!((back[0].id, back[1].id), (ids[0], ids[1]), "in id order");
    assert_eq!(
        (back[0].text_hash, back[1].text_hash),
        (text_hash("first"), -5)
    );
    assert!(
        close(&back[0].vector, &saved[0].vector),
        "{:?}",
        back[0].vector
    );
    assert!(close(&back[1].vector, &saved[1].vector));
    assert!(store.embeddings("other", &ids).unwrap().is_empty());
    assert_eq!(store.embedding_count("m@1").unwrap(), 2);
    assert_eq!(store.embedding_count("other").unwrap(), 0);
    // Saving again replaces.
    let replaced = ItemEmbedding {
        id: ids[1],
        text_hash: 7,
        vector: vector(0.0),
    };
    store
        .save_embeddings("m@1", std::slice::from_ref(&replaced))
        .unwrap();
    let back = store.embeddings("m@1", &[ids[1]]).unwrap();
    assert_eq!(back[0].text_hash, 7);
    assert!(close(&back[0].vector, &replaced.vector));
    assert_eq!(store.embedding_count("m@1").unwrap(), 2);
    // Deleting the import deletes its items' vectors.
    store.delete_import(run, 1_800_000_000).unwrap();
    assert_eq!(store.embedding_count("m@1").unwrap(), 1);
    assert_eq!(store.embeddings("m@1", &ids).unwrap()[0].id, ids[0]);
}
