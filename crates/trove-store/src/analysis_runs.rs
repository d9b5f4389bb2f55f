//! Stored analysis runs: which data, which taxonomy version, when, which parameters, and the
//! result, so an analysis can be read again and compared later.

use serde::Serialize;

/// An analysis run about to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnalysisRun {
    /// When it ran (unix seconds).
    pub created_at: i64,
    /// The taxonomy version current when it ran, if one was loaded.
    pub taxonomy_version: Option<i64>,
    /// Which feedback it read (the filter and theme origin), as JSON.
    pub filter: String,
    /// Its parameters, as JSON.
    pub params: String,
    /// Items in its window.
    pub items: u64,
    /// Chronic themes it found.
    pub chronic: u64,
    /// The whole result, as JSON; stored and read back byte for byte.
    pub result: String,
}

/// A stored analysis run without its result, as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalysisRunSummary {
    /// The run's id (1, 2, ...).
    pub id: i64,
    /// When it ran (unix seconds).
    pub created_at: i64,
    /// The taxonomy version current when it ran.
    pub taxonomy_version: Option<i64>,
    /// Which feedback it read, as JSON.
    pub filter: String,
    /// Its parameters, as JSON.
    pub params: String,
    /// Items in its window.
    pub items: u64,
    /// Chronic themes it found.
    pub chronic: u64,
}

/// A stored analysis run with its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalysisRun {
    /// Everything but the result.
    pub summary: AnalysisRunSummary,
    /// The whole result, as JSON, exactly as saved.
    pub result: String,
}
