//! Trove's PDF documents, typeset in-process by [typst](https://typst.app) used as a library.
//!
//! A document is a typst template plus a virtual folder of files it may read (`json("report.json")`,
//! `image("trend.svg")`): nothing is read from the disk, the network or the clock. Fonts are
//! compiled into the binary and embedded (subset) in every PDF: Open Sans (Apache-2.0) in four
//! faces, see `fonts/README.md`. The date the template sees (`datetime.today()`) and the PDF's
//! creation date are the [`PdfDate`] the caller gives, so the same inputs always give the same
//! bytes.
//!
//! Typst's diagnostics come back as [`PdfError::Compile`], each rendered as
//! `file:line:column: message` with its hints, so a broken template or a missing file reads
//! like a compiler error rather than a panic.

mod world;

use std::fmt;

use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use crate::world::VirtualWorld;

/// The template's own file name in the virtual folder (what diagnostics name).
pub const MAIN_FILE: &str = "main.typ";

/// A document's date: what `datetime.today()` returns in the template and the PDF's creation
/// date. Fixed by the caller (a report uses the day it describes) so output is reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfDate {
    /// The year, e.g. 2025.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
}

impl PdfDate {
    fn datetime(self) -> Result<Datetime, PdfError> {
        Datetime::from_ymd_hms(self.year, self.month, self.day, 0, 0, 0)
            .ok_or(PdfError::BadDate(self))
    }
}

impl fmt::Display for PdfDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A typeset document.
#[derive(Debug, Clone)]
pub struct Pdf {
    /// The PDF file.
    pub bytes: Vec<u8>,
    /// The number of pages.
    pub pages: usize,
    /// Typst's warnings (e.g. a character no bundled font has), as `file:line:column: message`.
    /// The document was still made; callers decide whether a warning matters.
    pub warnings: Vec<String>,
}

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The template did not compile, or a file it reads is missing or malformed.
    #[error("the PDF template failed:\n{}", .0.join("\n"))]
    Compile(Vec<String>),
    /// The typeset document could not be written as PDF.
    #[error("the PDF could not be written:\n{}", .0.join("\n"))]
    Export(Vec<String>),
    /// The date is not a calendar date.
    #[error("{0} is not a calendar date")]
    BadDate(PdfDate),
    /// A file name cannot be a path in the virtual folder (empty, absolute outside it, or `..`).
    #[error("{0:?} is not a file name the template can read")]
    BadFileName(String),
}

/// Typesets `template` (typst markup) with `files` as the folder it reads from, dated `date`.
///
/// File names are paths relative to the template (`report.json`, `charts/trend.svg`). The PDF
/// is identified (its `/ID`) by the document's title and author as the template sets them
/// (typst's default), so the same report gets the same identifier on every run.
pub fn render_pdf(
    template: &str,
    files: &[(&str, Vec<u8>)],
    date: PdfDate,
) -> Result<Pdf, PdfError> {
    let today = date.datetime()?;
    let world = VirtualWorld::new(template, files, today)?;
    let compiled = typst::compile::<PagedDocument>(&world);
    let mut warnings: Vec<String> = compiled
        .warnings
        .iter()
        .map(|diagnostic| world.describe(diagnostic))
        .collect();
    let document = compiled
        .output
        .map_err(|errors| PdfError::Compile(describe_all(&world, errors.as_slice())))?;
    let options = PdfOptions {
        ident: Smart::Auto,
        timestamp: Some(Timestamp::new_utc(today)),
        ..PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| {
        let (fatal, minor): (Vec<_>, Vec<_>) = errors
            .iter()
            .partition(|diagnostic| diagnostic.severity == Severity::Error);
        warnings.extend(minor.into_iter().map(|d| world.describe(d)));
        PdfError::Export(fatal.into_iter().map(|d| world.describe(d)).collect())
    })?;
    Ok(Pdf {
        bytes,
        pages: document.pages().len(),
        warnings,
    })
}

/// The monthly review's template (A4, page numbers, every section of the report it is given).
pub const MONTHLY_REPORT_TEMPLATE: &str = include_str!("../templates/monthly-report.typ");

/// The monthly review of one business unit as a PDF, from the report's JSON (trove-app's
/// `MonthlyReport`, schema version 1) dated `date`.
pub fn monthly_report_pdf(report_json: &[u8], date: PdfDate) -> Result<Pdf, PdfError> {
    render_pdf(
        MONTHLY_REPORT_TEMPLATE,
        &[("report.json", report_json.to_vec())],
        date,
    )
}

fn describe_all(world: &VirtualWorld, diagnostics: &[SourceDiagnostic]) -> Vec<String> {
    diagnostics.iter().map(|d| world.describe(d)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const DAY: PdfDate = PdfDate {
        year: 2025,
        month: 3,
        day: 31,
    };

    #[test]
    fn a_template_with_data_and_an_image_becomes_a_pdf() {
        let template = r#"
            #set text(font: "Open Sans")
            #let data = json("data.json")
            = #data.title
            #image("box.svg", width: 2cm)
            #datetime.today().display()
        "#;
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="teal"/></svg>"#;
        let files = [
            ("data.json", br#"{"title": "Hello"}"#.to_vec()),
            ("box.svg", svg.to_vec()),
        ];
        let pdf = render_pdf(template, &files, DAY).unwrap();
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert_eq!(pdf.pages, 1);
        assert!(pdf.warnings.is_empty(), "{:?}", pdf.warnings);
    }

    #[test]
    fn a_missing_file_is_named_with_its_line() {
        let template = "#set text(font: \"Open Sans\")\nHello\n#json(\"absent.json\")\n";
        let err = render_pdf(template, &[], DAY).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("main.typ:3:"), "{text}");
        assert!(text.contains("absent.json"), "{text}");
    }

    #[test]
    fn a_syntax_error_is_a_compile_error_not_a_panic() {
        let err = render_pdf("#let x = (", &[], DAY).unwrap_err();
        assert!(matches!(err, PdfError::Compile(_)), "{err}");
        assert!(err.to_string().contains("main.typ:1:"), "{err}");
    }

    #[test]
    fn the_template_sees_the_given_date() {
        // A wrong date would make `assert` fail the compilation.
        let template = "#assert.eq(datetime.today().display(), \"2025-03-31\")\n#set text(font: \"Open Sans\")\nok";
        render_pdf(template, &[], DAY).unwrap();
        let wrong = "#assert.eq(datetime.today().display(), \"2025-04-01\")";
        assert!(render_pdf(wrong, &[], DAY).is_err());
    }

    #[test]
    fn an_impossible_date_and_a_path_outside_the_folder_are_refused() {
        let feb30 = PdfDate {
            year: 2025,
            month: 2,
            day: 30,
        };
        assert!(matches!(
            render_pdf("x", &[], feb30),
            Err(PdfError::BadDate(_))
        ));
        let files = [("../secret.json", b"{}".to_vec())];
        assert!(matches!(
            render_pdf("x", &files, DAY),
            Err(PdfError::BadFileName(_))
        ));
    }

    #[test]
    fn an_unknown_font_is_a_warning() {
        let pdf = render_pdf("#set text(font: \"No Such Font\")\nHi", &[], DAY).unwrap();
        assert!(
            pdf.warnings.iter().any(|w| w.contains("no such font")),
            "{:?}",
            pdf.warnings
        );
    }
}
