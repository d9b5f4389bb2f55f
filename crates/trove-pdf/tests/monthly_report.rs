//! The monthly review's PDF from a report's JSON: it opens, has its pages, embeds its fonts,
//! says what the report says, and is the same bytes every time.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use lopdf::{Document, Object};
use trove_pdf::{Pdf, PdfDate, PdfError, monthly_report_pdf};

const FIXTURE: &str = include_str!("fixtures/monthly-report.json");

const DAY: PdfDate = PdfDate {
    year: 2026,
    month: 10,
    day: 31,
};

fn render(json: &str) -> Pdf {
    monthly_report_pdf(json.as_bytes(), DAY).expect("the template compiles")
}

/// The text of every page, as lopdf decodes it through the fonts' ToUnicode maps.
fn text_of(doc: &Document) -> String {
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extracts")
}

/// The font descriptors of the document and whether each carries an embedded font file.
fn font_files(doc: &Document) -> Vec<(String, bool)> {
    doc.objects
        .values()
        .filter_map(|object| object.as_dict().ok())
        .filter(|dict| {
            dict.get(b"Type").and_then(Object::as_name).ok() == Some(b"FontDescriptor".as_ref())
        })
        .map(|dict| {
            let name = dict
                .get(b"FontName")
                .and_then(Object::as_name)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            let keys: [&[u8]; 3] = [b"FontFile", b"FontFile2", b"FontFile3"];
            let embedded = keys.iter().any(|key| dict.has(key));
            (name, embedded)
        })
        .collect()
}

#[test]
fn the_example_report_is_a_pdf_with_its_pages_fonts_and_text() {
    let pdf = render(FIXTURE);
    assert!(pdf.bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.warnings.is_empty(), "{:#?}", pdf.warnings);

    let doc = Document::load_mem(&pdf.bytes).expect("lopdf opens it");
    let pages = doc.get_pages().len();
    assert_eq!(pages, pdf.pages, "the file has the pages typst laid out");
    // The example fills more than one A4 page and less than five: every section is there,
    // none is repeated.
    assert!((2..=4).contains(&pages), "{pages} pages");

    let fonts = font_files(&doc);
    assert!(!fonts.is_empty(), "no font in the PDF");
    for (name, embedded) in &fonts {
        assert!(embedded, "font {name} is not embedded");
        assert!(name.contains("OpenSans"), "unexpected font {name}");
    }

    let text = text_of(&doc);
    for expected in [
        "Motor: monthly review, October 2026",
        "Page 1 of",
        "Why it moved",
        "claim-payout-delay",
        "Missed commitments",
        "Automate the payout approval",
        "The annuity ledger",
        "1,735.20 USD",
        "The unit has no satisfaction survey this month.",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(
        text.contains(&format!("Page {pages} of {pages}")),
        "last page number"
    );
    // The unit has NPS and CES but no CSAT: no CSAT section.
    assert!(!text.contains("CSAT"), "a CSAT section was drawn");
    assert!(text.contains("CES (scale 1-7)"));
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let first = render(FIXTURE);
    let second = render(FIXTURE);
    assert!(first.bytes == second.bytes, "two renders differ");
}

#[test]
fn sections_absent_from_the_json_are_left_out() {
    // Keep only the title fields, the issues and the notes: the other sections' keys are gone.
    let start = FIXTURE.find("\"issues\":").unwrap();
    let end = FIXTURE.find("\"action_plan\":").unwrap();
    let issues = FIXTURE[start..end].trim_end().trim_end_matches(',');
    let report = format!(
        r#"{{"business_unit": "Motor", "month": "2026-10", "from": "2026-10-01", "to": "2026-11-01",
            "generated_at": 1793491200, "items": 1234, "scores": [], {issues}}}"#
    );
    let pdf = render(&report);
    let doc = Document::load_mem(&pdf.bytes).unwrap();
    let text = text_of(&doc);
    for absent in [
        "annuity ledger",
        "Why it moved",
        "Missed commitments",
        "Scores",
        "NPS (scale",
    ] {
        assert!(!text.contains(absent), "{absent:?} is shown:\n{text}");
    }
    assert!(text.contains("Chronic issues"), "{text}");
}

#[test]
fn json_that_is_not_json_is_an_error_naming_the_file() {
    let err = monthly_report_pdf(b"{ not json", DAY).unwrap_err();
    assert!(matches!(err, PdfError::Compile(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("report.json"), "{text}");
}

/// Poppler, when installed, reads the file too (the reviewers' `pdftotext`/`pdfinfo`).
#[test]
fn poppler_reads_it_when_installed() {
    let Ok(info) = Command::new("pdfinfo").arg("-v").output() else {
        eprintln!("SKIPPED: pdfinfo (poppler-utils) is not installed");
        return;
    };
    assert!(info.status.success() || !info.stderr.is_empty());
    let pdf = render(FIXTURE);
    let path = std::env::temp_dir().join(format!("trove-pdf-test-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf.bytes).unwrap();
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    // pdffonts' "emb" column is "yes" for every font line.
    for line in fonts.lines().skip(2) {
        assert!(line.contains(" yes "), "not embedded: {line}");
    }
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Motor: monthly review, October 2026"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Page {0} of {0}", pdf.pages)),
        "{text}"
    );
    std::fs::remove_file(&path).unwrap();
}
