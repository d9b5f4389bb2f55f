//! Results held in memory by a key that names everything they depend on (the data version
//! among it), for views read far more often than that changes. Old keys are never asked for
//! again; when the memo is full it starts again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Values by key, at most `capacity` of them.
pub(crate) struct Memo<V> {
    held: Mutex<HashMap<String, V>>,
    capacity: usize,
}

impl<V: Clone> Memo<V> {
    /// An empty memo of at most `capacity` values.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            held: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, V>> {
        // A panic while holding the lock leaves at worst a missing value: computed again.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value kept under `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.lock().get(key).cloned()
    }

    /// Keeps `value` under `key`.
    pub(crate) fn put(&self, key: String, value: V) {
        let mut held = self.lock();
        if held.len() >= self.capacity {
            held.clear();
        }
        held.insert(key, value);
    }
}
