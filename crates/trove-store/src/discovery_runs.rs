//! Stored discovery runs: the groups `trove discover` found (names, terms, members, seed), so
//! `trove discover show` and promotion read them again instead of clustering anew.

use serde::Serialize;

/// A discovery run about to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDiscoveryRun {
    /// When it ran (unix seconds).
    pub created_at: i64,
    /// Which items and how (filter, clusters asked, seed, sample size), as JSON: two runs with
    /// equal parameters on the same items find the same groups.
    pub params: String,
    /// Groups found.
    pub clusters: u64,
    /// Items clustered.
    pub items: u64,
    /// The whole result, each group with its members' ids, as JSON; read back byte for byte.
    pub result: String,
}

/// A stored discovery run without its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveryRunSummary {
    /// The run's id (1, 2, ...).
    pub id: i64,
    /// When it ran (unix seconds).
    pub created_at: i64,
    /// Its parameters, as JSON.
    pub params: String,
    /// Groups found.
    pub clusters: u64,
    /// Items clustered.
    pub items: u64,
}

/// A stored discovery run with its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveryRun {
    /// Everything but the result.
    pub summary: DiscoveryRunSummary,
    /// The whole result, as JSON, exactly as saved.
    pub result: String,
}
