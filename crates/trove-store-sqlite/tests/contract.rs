//! The store contract on SQLite: each case on a fresh database file.

use trove_store::Store;
use trove_store_sqlite::SqliteStore;

fn fresh_store() -> Option<Box<dyn Store>> {
    // The directory must outlive the store; leaking it is fine in a test process.
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("trove.db");
    std::mem::forget(dir);
    Some(Box::new(
        SqliteStore::open(&path).expect("open a fresh SQLite store"),
    ))
}

trove_store::contract_suite!(fresh_store);

#[test]
fn links_are_packed_in_theme_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("trove.db");
    let store = SqliteStore::open(&path).expect("open a fresh SQLite store");
    let raw = rusqlite::Connection::open(&path).expect("a second connection");
    trove_store::contract::links_are_packed_in_theme_order(&store, &mut || {
        let mut statement = raw
            .prepare("SELECT themes FROM feedback_facts ORDER BY id")
            .expect("prepares");
        statement
            .query_map([], |row| row.get(0))
            .expect("reads")
            .collect::<Result<_, _>>()
            .expect("reads")
    });
}
