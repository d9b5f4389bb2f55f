//! Stored results: what a read computed from the data, kept with the data version it was
//! computed on, so the next read (in this process or another) serves it without recomputing
//! while the data has not changed.

/// A computed result, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    /// What it answers, as a stable key (a hash of `request`).
    pub key: String,
    /// The request it answers, as JSON: enough to compute it again.
    pub request: String,
    /// The [`data version`](crate::Store::data_version) it was computed on.
    pub data_version: i64,
    /// When it was computed (unix seconds).
    pub computed_at: i64,
    /// The result, as JSON; stored and read back byte for byte.
    pub result: String,
}

/// A stored result without its body, as a refresh lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResultHead {
    /// Its key.
    pub key: String,
    /// The request it answers, as JSON.
    pub request: String,
    /// The data version it was computed on.
    pub data_version: i64,
    /// When it was computed (unix seconds).
    pub computed_at: i64,
}
