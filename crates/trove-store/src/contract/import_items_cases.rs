//! An import's items are exactly those it added, however imports interleave and whatever ids
//! a deleted import leaves free for the next one (SQLite finds them through id ranges,
//! migration 0029; PostgreSQL through an index).

use trove_domain::FeedbackItem;

use super::{item, new_run, read_all};
use crate::{FeedbackFilter, Store};

fn items(from: u32, to: u32) -> Vec<FeedbackItem> {
    (from..to).map(|i| item("s", &i.to_string())).collect()
}

fn all_ids(store: &dyn Store) -> Vec<i64> {
    read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|stored| stored.id)
        .collect()
}

pub fn an_import_finds_and_deletes_exactly_its_items_when_imports_interleave(store: &dyn Store) {
    let first = store.start_import(&new_run("a.csv")).unwrap();
    let second = store.start_import(&new_run("b.csv")).unwrap();
    // a, b, nobody's, a again (after a duplicate that adds nothing), b again.
    store
        .insert_feedback(&items(0, 3), Some(first.id()))
        .unwrap();
    store
        .insert_feedback(&items(3, 5), Some(second.id()))
        .unwrap();
    store.insert_feedback(&items(5, 6), None).unwrap();
    store
        .insert_feedback(&items(2, 9), Some(first.id()))
        .unwrap();
    store
        .insert_feedback(&items(9, 10), Some(second.id()))
        .unwrap();
    let ids = all_ids(store);
    assert_eq!(ids.len(), 10);
    let of_first: Vec<i64> = [0, 1, 2, 6, 7, 8].iter().map(|&i| ids[i]).collect();
    assert_eq!(
        store.import_items_among(first.id(), &ids).unwrap(),
        of_first
    );
    let first_run = first.id();
    // The process "dies": the run reads as interrupted, counted from its stored items.
    drop(first);
    let runs = store.import_runs(10).unwrap();
    let interrupted = runs.iter().find(|run| run.id == first_run).unwrap();
    assert_eq!(interrupted.totals.imported, 6);
    assert_eq!(store.delete_import(first_run, 1_800_000_000).unwrap(), 6);
    let left: Vec<i64> = [3, 4, 5, 9].iter().map(|&i| ids[i]).collect();
    assert_eq!(all_ids(store), left);
    assert_eq!(
        store.import_items_among(second.id(), &left).unwrap(),
        [left[0], left[1], left[3]]
    );
}

pub fn ids_freed_by_a_deleted_import_belong_to_the_import_that_takes_them(store: &dyn Store) {
    let first = store.start_import(&new_run("a.csv")).unwrap();
    store
        .insert_feedback(&items(0, 4), Some(first.id()))
        .unwrap();
    assert_eq!(store.delete_import(first.id(), 1_800_000_000).unwrap(), 4);
    let second = store.start_import(&new_run("b.csv")).unwrap();
    store
        .insert_feedback(&items(0, 4), Some(second.id()))
        .unwrap();
    let after = all_ids(store);
    assert_eq!(after.len(), 4);
    // Whether the ids come back is the database's business; the first import owns none now.
    assert!(
        store
            .import_items_among(first.id(), &after)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.delete_import(first.id(), 1_800_000_001).unwrap(), 0);
    assert_eq!(
        store.import_items_among(second.id(), &after).unwrap(),
        after
    );
    assert_eq!(store.delete_import(second.id(), 1_800_000_002).unwrap(), 4);
    assert!(all_ids(store).is_empty());
}
