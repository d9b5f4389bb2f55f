//! The personal-data corpus: every sentence with personal data is masked exactly as expected,
//! and at most 1% of the look-alikes (order numbers, amounts, dates, timestamps…) are touched.
//! Most of the corpus is written by `tests/pii_corpus/generate.py`; the `handwritten_` files
//! hold sentences written by hand, in formats the generator does not make.

use trove_ingest::pii;

const POSITIVES: [&str; 2] = [
    include_str!("pii_corpus/positives.tsv"),
    include_str!("pii_corpus/handwritten_positives.tsv"),
];
const LOOKALIKES: [&str; 2] = [
    include_str!("pii_corpus/lookalikes.txt"),
    include_str!("pii_corpus/handwritten_lookalikes.txt"),
];

#[test]
fn every_personal_datum_in_the_corpus_is_masked_and_look_alikes_are_left_alone() {
    let mut positives = 0;
    let mut missed = Vec::new();
    for line in POSITIVES.iter().flat_map(|file| file.lines()) {
        let (text, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("no tab in corpus line {line:?}"));
        positives += 1;
        let got = pii::mask(text);
        if got != expected {
            missed.push(format!(
                "  {text}\n    got      {got}\n    expected {expected}"
            ));
        }
    }
    let mut lookalikes = 0;
    let mut false_positives = Vec::new();
    for text in LOOKALIKES.iter().flat_map(|file| file.lines()) {
        lookalikes += 1;
        let got = pii::mask(text);
        if got != text {
            false_positives.push(format!("  {text}\n    got {got}"));
        }
    }
    println!(
        "{positives} sentences with personal data: {} missed; {lookalikes} look-alikes: {} masked ({:.2}%)",
        missed.len(),
        false_positives.len(),
        100.0 * false_positives.len() as f64 / lookalikes as f64
    );
    if !false_positives.is_empty() {
        println!("look-alikes masked:\n{}", false_positives.join("\n"));
    }
    assert!(
        positives >= 500 && lookalikes >= 300,
        "the corpus is complete"
    );
    assert!(
        missed.is_empty(),
        "missed or wrongly masked:\n{}",
        missed.join("\n")
    );
    assert!(
        false_positives.len() * 100 <= lookalikes,
        "more than 1% of look-alikes masked:\n{}",
        false_positives.join("\n")
    );
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

/// Texts of one column of a real data set, or `None` (with a note) when it is absent.
fn real_texts(file: &str, column: &str) -> Option<Vec<String>> {
    let path = format!("{DATA}/{file}");
    let Ok(mut reader) = csv::Reader::from_path(&path) else {
        eprintln!("skipped: {path} is absent (the shared data sets are not on this machine)");
        return None;
    };
    let headers = reader.headers().expect("a header row").clone();
    let at = headers
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{path} has no column {column:?}"));
    let texts = reader
        .records()
        .map(|row| {
            row.expect("a readable row")
                .get(at)
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    Some(texts)
}

/// The CFPB narratives have their personal data redacted as `XXXX` already, and banking77's
/// questions hold none: on 16,626 real texts full of amounts, dates and account talk, masking
/// must leave (almost) everything alone.
#[test]
fn real_texts_without_personal_data_are_left_alone() {
    for (file, column) in [
        (
            "cfpb-sample/complaints_sample.csv",
            "Consumer complaint narrative",
        ),
        ("banking77/train.csv", "text"),
    ] {
        let Some(texts) = real_texts(file, column) else {
            return;
        };
        let masked: Vec<&String> = texts
            .iter()
            .filter(|t| pii::mask(t) != t.as_str())
            .collect();
        println!("{file}: {} of {} texts masked", masked.len(), texts.len());
        assert!(
            masked.len() * 1000 <= texts.len(),
            "more than 0.1% of {file} masked, e.g. {:?}",
            masked.first()
        );
    }
}
