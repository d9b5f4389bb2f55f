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
