//! Typesets a monthly report's JSON: `cargo run -p trove-pdf --example render -- in.json out.pdf`.
#![allow(clippy::expect_used)]

use std::time::Instant;

use trove_pdf::{PdfDate, monthly_report_pdf};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = (&args[1], &args[2]);
    let json = std::fs::read(input).expect("the report's JSON reads");
    let date = PdfDate {
        year: 2026,
        month: 10,
        day: 31,
    };
    let started = Instant::now();
    let pdf = monthly_report_pdf(&json, date).expect("the report typesets");
    let elapsed = started.elapsed();
    std::fs::write(output, &pdf.bytes).expect("the PDF writes");
    println!(
        "{} pages, {} bytes, {:.0} ms, {} warnings",
        pdf.pages,
        pdf.bytes.len(),
        elapsed.as_secs_f64() * 1000.0,
        pdf.warnings.len()
    );
    for warning in &pdf.warnings {
        println!("{warning}");
    }
}
