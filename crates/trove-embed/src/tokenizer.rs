//! BERT's uncased WordPiece tokenizer, as `tokenizer.json` of the model describes it
//! (`BertNormalizer` with lowercasing, `BertPreTokenizer`, `WordPiece` with `##`, `[CLS] ...
//! [SEP]`):
//!
//! 1. clean: drop NUL, U+FFFD and other control and format characters (U+200B...), read tab,
//!    newline and every Unicode space as a space;
//! 2. put spaces around CJK ideographs, so each is a word;
//! 3. strip accents (NFD, then drop non-spacing marks) and lowercase;
//! 4. split on spaces, and around every punctuation character (ASCII symbols such as `$` and
//!    `+` count, as in BERT);
//! 5. each word greedily into the longest vocabulary entries from its start, pieces after the
//!    first prefixed `##`; a word that cannot be covered, or longer than 100 characters, is
//!    `[UNK]`.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Words longer than this (in characters) are `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// A WordPiece vocabulary and its special tokens.
#[derive(Debug, Clone)]
pub struct WordPiece {
    ids: HashMap<String, u32>,
    unk: u32,
    cls: u32,
    sep: u32,
}

impl WordPiece {
    /// The vocabulary of a `vocab.txt` (one token a line; the line number is its id). `None`
    /// when `[UNK]`, `[CLS]` or `[SEP]` is missing.
    pub fn from_vocab(text: &str) -> Option<Self> {
        let ids: HashMap<String, u32> = text
            .lines()
            .enumerate()
            .map(|(i, token)| (token.to_owned(), i as u32))
            .collect();
        Some(Self {
            unk: *ids.get("[UNK]")?,
            cls: *ids.get("[CLS]")?,
            sep: *ids.get("[SEP]")?,
            ids,
        })
    }

    /// The token ids of `text`: `[CLS]`, its word pieces, `[SEP]`, cut to at most `max_len`
    /// ids in all (the first pieces kept; `max_len` at least 2).
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let max_len = max_len.max(2);
        let mut out = vec![self.cls];
        let normalized = normalize(text);
        'words: for word in split_words(&normalized) {
            for id in self.pieces(word) {
                if out.len() + 1 >= max_len {
                    break 'words;
                }
                out.push(id);
            }
        }
        out.push(self.sep);
        out
    }

    /// The pieces of one word: greedy longest match from the start.
    fn pieces(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > MAX_WORD_CHARS {
            return vec![self.unk];
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut candidate = String::with_capacity(word.len() + 2);
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while end > start {
                candidate.clear();
                if start > 0 {
                    candidate.push_str("##");
                }
                candidate.push_str(&word[start..end]);
                if let Some(&id) = self.ids.get(&candidate) {
                    found = Some(id);
                    break;
                }
                // One character shorter.
                end = word[..end]
                    .char_indices()
                    .next_back()
                    .map_or(start, |(i, _)| i);
            }
            match found {
                Some(id) => {
                    pieces.push(id);
                    start = end;
                }
                None => return vec![self.unk],
            }
        }
        pieces
    }
}

/// Steps 1 to 3: cleaned, CJK spaced, accents stripped, lowercased.
fn normalize(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            spaced.push(' ');
        } else if is_cjk(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    spaced
        .nfd()
        .filter(|&c| c.general_category() != GeneralCategory::NonspacingMark)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Step 4: the words and punctuation marks of normalised text.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').flat_map(|chunk| {
        let mut parts = Vec::new();
        let mut start = 0;
        for (i, c) in chunk.char_indices() {
            if is_punctuation(c) {
                if start < i {
                    parts.push(&chunk[start..i]);
                }
                parts.push(&chunk[i..i + c.len_utf8()]);
                start = i + c.len_utf8();
            }
        }
        if start < chunk.len() {
            parts.push(&chunk[start..]);
        }
        parts
    })
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control, format, surrogate, private-use and unassigned characters (tab, newline and
/// carriage return are spaces instead).
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.general_category_group() == GeneralCategoryGroup::Other
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.general_category_group() == GeneralCategoryGroup::Punctuation
}

/// The CJK Unified Ideographs blocks BERT spaces out (not Hiragana, Katakana or Hangul).
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\nhello\n!\n,\ncafe\n";
        WordPiece::from_vocab(vocab).expect("special tokens present")
    }

    #[test]
    fn greedy_longest_match_with_continuation_pieces() {
        let wp = tiny();
        assert_eq!(wp.encode("unaffable", 128), [2, 4, 5, 6, 3]);
        // "unaffx" cannot be covered: the whole word is [UNK].
        assert_eq!(wp.encode("unaffx hello", 128), [2, 1, 7, 3]);
        assert_eq!(wp.encode("HELLO, Café!", 128), [2, 7, 9, 10, 8, 3]);
    }

    #[test]
    fn long_texts_are_cut_and_keep_their_end_marker() {
        let wp = tiny();
        assert_eq!(wp.encode("hello hello hello hello", 4), [2, 7, 7, 3]);
        assert_eq!(wp.encode("", 4), [2, 3]);
    }

    #[test]
    fn cleaning_splits_punctuation_and_cjk() {
        assert_eq!(normalize("A\u{200b}b\tÉ"), "ab e");
        assert_eq!(
            split_words("a$b 我 c--d").collect::<Vec<_>>(),
            ["a", "$", "b", "我", "c", "-", "-", "d"]
        );
        assert_eq!(normalize("我们"), " 我  们 ");
    }
}
