//! The monthly review as PDF: the report's JSON typeset by `trove-pdf` (typst, in-process),
//! dated the day the report was made, so the same report always gives the same bytes.

use thiserror::Error;
use trove_pdf::PdfDate;

use crate::report::MonthlyReport;

/// Why a report's PDF could not be made.
#[derive(Debug, Error)]
pub enum ReportPdfError {
    /// The report could not be written as JSON.
    #[error("cannot write the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// typst refused or failed (its diagnostics in words).
    #[error("cannot typeset the report: {0}")]
    Pdf(#[from] trove_pdf::PdfError),
}

/// The report as a PDF document.
pub fn report_pdf(report: &MonthlyReport) -> Result<Vec<u8>, ReportPdfError> {
    let json = serde_json::to_vec(report)?;
    Ok(trove_pdf::monthly_report_pdf(&json, made_on(report.generated_at))?.bytes)
}

/// The UTC day of `unix` seconds (the epoch's first day for a time out of range).
fn made_on(unix: i64) -> PdfDate {
    let day = jiff::Timestamp::from_second(unix)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    PdfDate {
        year: i32::from(day.year()),
        month: u8::try_from(day.month()).unwrap_or(1),
        day: u8::try_from(day.day()).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_report_is_dated_the_utc_day_it_was_made() {
        let day = made_on(1_796_040_383);
        assert_eq!((day.year, day.month, day.day), (2026, 11, 30));
    }

    #[test]
    fn the_example_report_typesets_the_same_bytes_twice() {
        let json = include_str!("../../../docs/examples/monthly-report.json");
        let report: MonthlyReport = serde_json::from_str(json).unwrap();
        let first = report_pdf(&report).unwrap();
        assert!(first.starts_with(b"%PDF"));
        assert_eq!(first, report_pdf(&report).unwrap(), "deterministic");
    }
}
