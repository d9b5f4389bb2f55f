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
