//! Normalisation: Unicode word segmentation, lowercasing, English Snowball stemming, with each
//! token's byte offsets into the original text and the sentence and clause it belongs to.
//!
//! Rules of the normaliser, shared by the taxonomy's phrases and the texts they are matched on:
//! - words are the Unicode (UAX #29) word segments that contain a letter or a digit;
//! - a word is lowercased; typographic apostrophes become `'`; a trailing `'s` is dropped and
//!   other apostrophes removed (`don't` → `dont`, `customer's` → `customer`), so tweets that
//!   leave them out match the same phrases;
//! - the English Snowball stemmer maps `delayed`, `delays`, `delay` to `delay`;
//! - `.`, `!`, `?` and line breaks end a sentence; `,`, `;`, `:`, `(`, `)` and the words `but`,
//!   `although`, `though`, `however`, `except` start a new clause within it;
//! - negators (`not`, `no`, `never`, `without`, `hardly`, `barely`, `cannot`, `nothing`, `nobody`,
//!   `nor`, `neither` and every `...n't` form) are flagged.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The lowercased, stemmed form.
    pub stem: String,
    /// Byte offset of the word's first byte in the original text.
    pub start: usize,
    /// Byte offset just past the word.
    pub end: usize,
    /// The sentence it is in (0-based).
    pub sentence: u32,
    /// The clause it is in (0-based, counted over the whole text).
    pub clause: u32,
    /// Whether the word negates what follows.
    pub negator: bool,
}

/// The UAX #29 word segments of a text with their byte offsets. Pure-ASCII text (most
/// feedback) takes a fast path that applies the same rules restricted to ASCII (tested to give
/// the same segments as `unicode-segmentation`); other text goes through `unicode-segmentation`.
pub(crate) fn segments(text: &str) -> Segments<'_> {
    if text.is_ascii() {
        Segments::Ascii { text, at: 0 }
    } else {
        Segments::Unicode(text.split_word_bound_indices())
    }
}

/// The iterator of [`segments`].
pub(crate) enum Segments<'a> {
    Ascii { text: &'a str, at: usize },
    Unicode(unicode_segmentation::UWordBoundIndices<'a>),
}

impl<'a> Iterator for Segments<'a> {
    type Item = (usize, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Segments::Unicode(inner) => inner.next(),
            Segments::Ascii { text, at } => {
                let bytes = text.as_bytes();
                let start = *at;
                let &first = bytes.get(start)?;
                let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
                let mut end = start + 1;
                if word(first) {
                    loop {
                        match bytes.get(end) {
                            Some(&b) if word(b) => end += 1,
                            // WB6/7: letter (MidLetter | MidNumLetQ) letter.
                            Some(b'\'' | b'.' | b':')
                                if bytes[end - 1].is_ascii_alphabetic()
                                    && bytes.get(end + 1).is_some_and(u8::is_ascii_alphabetic) =>
                            {
                                end += 2
                            }
                            // WB11/12: digit (MidNum | MidNumLetQ) digit.
                            Some(b',' | b';' | b'.' | b'\'')
                                if bytes[end - 1].is_ascii_digit()
                                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) =>
                            {
                                end += 2
                            }
                            _ => break,
                        }
                    }
                } else if first == b' ' {
                    // WB3d: horizontal spaces stay together.
                    while bytes.get(end) == Some(&b' ') {
                        end += 1;
                    }
                } else if first == b'\r' && bytes.get(end) == Some(&b'\n') {
                    end += 1;
                }
                *at = end;
                Some((start, &text[start..end]))
            }
        }
    }
}

/// What a word segment is to the tagger: a word, a boundary, or nothing.
pub(crate) enum Segment {
    /// A word, lowercased with apostrophes normalised (not yet stemmed), into the scratch buffer.
    Word,
    /// The end of a sentence.
    SentenceEnd,
    /// The end of a clause.
    ClauseEnd,
    /// Spaces and other punctuation.
    Skip,
}

/// Words that open a new clause (negation and exclusion do not reach across them).
const CLAUSE_WORDS: &[&str] = &["but", "although", "though", "however", "except"];

/// Negators (after apostrophe removal; every word ending in `nt` that was written `n't` is one
/// too, see [`is_negator`]).
const NEGATORS: &[&str] = &[
    "not", "no", "never", "without", "hardly", "barely", "cannot", "nothing", "nobody", "nor",
    "neither", "dont", "didnt", "doesnt", "isnt", "wasnt", "werent", "arent", "cant", "couldnt",
    "wouldnt", "shouldnt", "wont", "havent", "hasnt", "hadnt", "aint", "mustnt", "neednt",
];

/// Whether a lowercased, apostrophe-free word is a negator.
pub(crate) fn is_negator(word: &str) -> bool {
    NEGATORS.contains(&word)
}

/// Whether a lowercased word opens a new clause.
pub(crate) fn is_clause_word(word: &str) -> bool {
    CLAUSE_WORDS.contains(&word)
}

/// Classifies one UAX #29 segment; for a word, writes its lowercased, apostrophe-normalised
/// form into `out` (cleared first).
pub(crate) fn classify(segment: &str, out: &mut String) -> Segment {
    let bytes = segment.as_bytes();
    if segment.is_ascii() {
        if !bytes.iter().any(u8::is_ascii_alphanumeric) {
            return punctuation(segment);
        }
        out.clear();
        let trimmed = segment
            .strip_suffix("'s")
            .or_else(|| segment.strip_suffix("'S"))
            .filter(|s| !s.is_empty())
            .unwrap_or(segment);
        out.push_str(trimmed);
        out.make_ascii_lowercase();
        if out.contains('\'') {
            out.retain(|c| c != '\'');
        }
        return Segment::Word;
    }
    if !segment.chars().any(char::is_alphanumeric) {
        return punctuation(segment);
    }
    out.clear();
    for c in segment.chars().flat_map(char::to_lowercase) {
        out.push(if c == '\u{2019}' || c == '\u{2018}' {
            '\''
        } else {
            c
        });
    }
    if out.ends_with("'s") && out.len() > 2 {
        out.truncate(out.len() - 2);
    }
    if out.contains('\'') {
        out.retain(|c| c != '\'');
    }
    Segment::Word
}

fn punctuation(segment: &str) -> Segment {
    match segment.as_bytes() {
        [b'.' | b'!' | b'?' | b'\n' | b'\r'] | b"\r\n" => Segment::SentenceEnd,
        [b',' | b';' | b':' | b'(' | b')'] => Segment::ClauseEnd,
        [b' ', ..] | [_] => Segment::Skip,
        _ => match segment {
            "…" => Segment::SentenceEnd,
            "—" | "–" => Segment::ClauseEnd,
            _ if segment.contains('\n') => Segment::SentenceEnd,
            _ => Segment::Skip,
        },
    }
}

/// Lowercases, segments and stems texts. Cheap to share: build one and reuse it.
pub struct Normalizer {
    stemmer: Stemmer,
}

impl Default for Normalizer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Normalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Normalizer(english)")
    }
}

impl Normalizer {
    /// An English normaliser.
    pub fn new() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }

    /// The stem of one lowercased word.
    pub fn stem<'a>(&self, word: &'a str) -> std::borrow::Cow<'a, str> {
        self.stemmer.stem(word)
    }

    /// The tokens of a text, in order.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut word = String::new();
        let (mut sentence, mut clause) = (0_u32, 0_u32);
        let mut open = false; // whether the current clause has a word yet
        for (start, segment) in segments(text) {
            match classify(segment, &mut word) {
                Segment::Word => {
                    if is_clause_word(&word) && open {
                        clause += 1;
                    }
                    open = true;
                    tokens.push(Token {
                        stem: self.stemmer.stem(&word).into_owned(),
                        start,
                        end: start + segment.len(),
                        sentence,
                        clause,
                        negator: is_negator(&word),
                    });
                }
                Segment::SentenceEnd if open => {
                    sentence += 1;
                    clause += 1;
                    open = false;
                }
                Segment::ClauseEnd if open => {
                    clause += 1;
                    open = false;
                }
                _ => {}
            }
        }
        tokens
    }

    /// The stems of a phrase, as the taxonomy compiles it (boundaries ignored).
    pub fn phrase_stems(&self, phrase: &str) -> Vec<String> {
        self.tokens(phrase).into_iter().map(|t| t.stem).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_segments_as_unicode_segmentation_does() {
        let samples = [
            "@united your website was down all day yesterday- tried 3x put all info in&amp;didnt go thru",
            "It's 3.5 hrs, 1,000 people; e.g. don't   stop... a:b a_b _x x_ 9'9 a'b' 'quoted' $12.50!!",
            "line\r\nnext\nlast\ttab http://t.co/Cm4roIypc2 #fail @AA_help 1-800-433 x.y.z 3a a3 .5 5. ,",
            "",
            " ",
            "a",
            "''",
            "'a",
            "a'",
            "a.",
            ".a",
            "1,",
            ",1",
            "a1.b2",
            "1.a",
            "a.1",
        ];
        for text in samples {
            let fast: Vec<(usize, &str)> = segments(text).collect();
            let reference: Vec<(usize, &str)> = text.split_word_bound_indices().collect();
            assert_eq!(fast, reference, "{text:?}");
        }
    }

    #[test]
    fn the_ascii_fast_path_agrees_on_every_line_of_the_real_data() {
        let mut lines = 0;
        for file in [
            "airline-tweets/Tweets.csv",
            "banking77/test.csv",
            "cfpb-sample/complaints_sample.csv",
        ] {
            let path = format!("{}/../../../shared/data/{file}", env!("CARGO_MANIFEST_DIR"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                eprintln!("skipped: {path} is absent");
                continue;
            };
            for line in text.lines().filter(|l| l.is_ascii()) {
                let fast: Vec<(usize, &str)> = segments(line).collect();
                let reference: Vec<(usize, &str)> = line.split_word_bound_indices().collect();
                assert_eq!(fast, reference, "{line:?}");
                lines += 1;
            }
        }
        eprintln!("{lines} lines compared");
    }

    #[test]
    fn delayed_delays_and_delay_share_a_stem() {
        let n = Normalizer::new();
        let stems: Vec<String> = n.phrase_stems("Delayed delays DELAY delaying");
        assert_eq!(stems, ["delay", "delay", "delay", "delay"]);
    }

    #[test]
    fn positions_point_into_the_original_text() {
        let n = Normalizer::new();
        let text = "L'été: the Fee’s late!";
        let tokens = n.tokens(text);
        let words: Vec<&str> = tokens.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(words, ["L'été", "the", "Fee’s", "late"]);
        assert_eq!(tokens[2].stem, "fee");
    }

    #[test]
    fn sentences_clauses_and_negators_are_marked() {
        let n = Normalizer::new();
        let tokens = n.tokens("It wasn't late, but lost. Don't care");
        let marks: Vec<(u32, u32, bool)> = tokens
            .iter()
            .map(|t| (t.sentence, t.clause, t.negator))
            .collect();
        assert_eq!(
            marks,
            [
                (0, 0, false),
                (0, 0, true),
                (0, 0, false),
                (0, 1, false),
                (0, 1, false),
                (1, 2, true),
                (1, 2, false)
            ]
        );
    }
}
