//! Kept monthly reports: each generated report's JSON per business unit and month, the newest
//! per unit and month replacing the one before, the newest months kept per unit.

/// A monthly report as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// The business unit.
    pub business_unit: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// When it was generated (unix seconds).
    pub generated_at: i64,
    /// The report, as JSON; stored and read back byte for byte.
    pub json: String,
}

/// A kept report without its body, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportHead {
    /// The business unit.
    pub business_unit: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// When it was generated (unix seconds).
    pub generated_at: i64,
}
