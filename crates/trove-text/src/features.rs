//! Hashed n-gram features of a text, computed in the sentiment scorer's own pass over its words
//! (one normalisation, one pass, no allocation per token): a learned sentiment model reads
//! them as buckets of a flat weight array.
//!
//! For each word as the lexicon reads it (lowercased, punctuation stripped from its ends;
//! emoji as the words of their description) the features are:
//! - the word itself (a unigram);
//! - the word with the one before it **in the same sentence** (a bigram; bigrams never cross
//!   a sentence end, so a sentence's features are the same inside a text as alone);
//! - the byte n-grams of the word padded with a space on each side, of the lengths asked for
//!   (2-4: " ok " gives " o", "ok", "k ", " ok", "ok ", " ok "), as scikit-learn's `char_wb`
//!   does with characters.
//!
//! A feature is the top `bits` bits of a 64-bit hash (FxHash-style multiply and rotate per
//! byte, then a finalising mix), so `2^bits` buckets; collisions are accepted (they merge
//! features the model then weighs together).

/// Seeds that keep the kinds of features apart.
const UNIGRAM_SEED: u64 = 0x243f_6a88_85a3_08d3;
const BIGRAM_SEED: u64 = 0x1319_8a2e_0370_7344;
const CHAR_SEED: u64 = 0xa409_3822_299f_31d0;
const K: u64 = 0x517c_c1b7_2722_0a95;

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(K)
}

/// The finalising mix (Murmur3's), so the top bits depend on every input byte.
#[inline]
fn finish(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The bucket of a 64-bit hash among `2^bits`.
#[inline]
fn bucket(hash: u64, bits: u32) -> u32 {
    (finish(hash) >> (64 - bits)) as u32
}

/// Set on the bucket of a character n-gram (the others are word unigrams and bigrams), so a
/// model can weigh the two kinds as separate blocks; the bucket is the rest.
pub const CHAR_FLAG: u32 = 1 << 31;

/// The smallest and largest number of hash bits a model may use.
pub const BITS: std::ops::RangeInclusive<u32> = 10..=24;
/// The longest character n-gram.
pub const MAX_CHARS: u8 = 6;

/// Which features are hashed, into how many buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashSpec {
    /// `2^bits` buckets (within [`BITS`]).
    pub bits: u32,
    /// The shortest and longest character n-gram, inclusive, of the padded word (`(0, 0)`:
    /// none; at most [`MAX_CHARS`]).
    pub chars: (u8, u8),
}

impl HashSpec {
    /// Whether the spec can be used: bits within [`BITS`], character lengths `(0, 0)` or
    /// `2 <= min <= max <= MAX_CHARS`.
    pub fn is_valid(&self) -> bool {
        let (min, max) = self.chars;
        BITS.contains(&self.bits)
            && ((min, max) == (0, 0) || 2 <= min && min <= max && max <= MAX_CHARS)
    }
}

/// Collects the buckets of a text's n-grams word by word.
#[derive(Debug, Default, Clone)]
pub(crate) struct NgramHasher {
    /// What to compute (None: nothing).
    pub(crate) spec: Option<HashSpec>,
    /// The buckets of the text so far, with repeats, in order.
    pub(crate) buckets: Vec<u32>,
    /// The hash of the previous word of the sentence (0: none yet).
    previous: u64,
}

impl NgramHasher {
    /// Starts a text.
    pub(crate) fn clear(&mut self) {
        self.buckets.clear();
        self.previous = 0;
    }

    /// A sentence ends: the next word has no word before it.
    pub(crate) fn sentence_end(&mut self) {
        self.previous = 0;
    }

    /// Adds the features of one lowercase word.
    #[inline]
    pub(crate) fn word(&mut self, word: &[u8]) {
        let Some(HashSpec {
            bits,
            chars: (min, max),
        }) = self.spec
        else {
            return;
        };
        let (min, max) = (usize::from(min), usize::from(max));
        let mut h = UNIGRAM_SEED;
        for &b in word {
            h = mix(h, u64::from(b));
        }
        // Never 0, which marks "no previous word".
        let h = h | 1;
        self.buckets.push(bucket(h, bits));
        if self.previous != 0 {
            self.buckets
                .push(bucket(mix(mix(BIGRAM_SEED, self.previous), h), bits));
        }
        self.previous = h;
        if max == 0 {
            return;
        }
        // The padded word, read without building it.
        let len = word.len() + 2;
        let at = |i: usize| {
            if i == 0 || i == len - 1 {
                b' '
            } else {
                word[i - 1]
            }
        };
        for start in 0..(len + 1).saturating_sub(min) {
            let mut h = mix(CHAR_SEED, u64::from(at(start)));
            for end in start + 1..(start + max).min(len) {
                h = mix(h, u64::from(at(end)));
                if end + 1 - start >= min {
                    self.buckets.push(bucket(h, bits) | CHAR_FLAG);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: HashSpec = HashSpec {
        bits: 20,
        chars: (2, 4),
    };

    fn hashed(words: &[&str]) -> Vec<u32> {
        let mut hasher = NgramHasher {
            spec: Some(SPEC),
            ..NgramHasher::default()
        };
        for w in words {
            hasher.word(w.as_bytes());
        }
        hasher.buckets
    }

    #[test]
    fn a_word_gives_its_unigram_and_padded_byte_ngrams() {
        // " ok " (4 bytes): 2-grams " o", "ok", "k "; 3-grams " ok", "ok "; the 4-gram " ok ".
        assert_eq!(hashed(&["ok"]).len(), 1 + 3 + 2 + 1);
        // "late" padded is 6 bytes: 5 + 4 + 3 n-grams; with "ok": a bigram too.
        assert_eq!(hashed(&["late"]).len(), 1 + 12);
        assert_eq!(hashed(&["ok", "late"]).len(), 7 + 1 + 13);
    }

    #[test]
    fn features_are_deterministic_and_bigrams_stop_at_a_sentence() {
        assert_eq!(hashed(&["not", "good"]), hashed(&["not", "good"]));
        let mut hasher = NgramHasher {
            spec: Some(SPEC),
            ..NgramHasher::default()
        };
        hasher.word(b"not");
        hasher.sentence_end();
        hasher.word(b"good");
        assert_eq!(hasher.buckets.len(), hashed(&["not", "good"]).len() - 1);
        // The same byte n-gram in two words is the same bucket; "ok" and "ko" differ.
        let ok = hashed(&["ok"]);
        let ko = hashed(&["ko"]);
        assert_ne!(ok[0], ko[0]);
        assert!(ok.iter().all(|&b| b & !CHAR_FLAG < 1 << 20));
        assert_eq!(ok.iter().filter(|&&b| b & CHAR_FLAG == 0).count(), 1);
        // Only 3-grams of " ok ": " ok", "ok "; no characters: the word alone.
        let mut hasher = NgramHasher {
            spec: Some(HashSpec {
                bits: 20,
                chars: (3, 3),
            }),
            ..NgramHasher::default()
        };
        hasher.word(b"ok");
        assert_eq!(hasher.buckets.len(), 1 + 2);
        hasher.spec = Some(HashSpec {
            bits: 20,
            chars: (0, 0),
        });
        hasher.word(b"ok");
        assert_eq!(
            hasher.buckets.len(),
            3 + 2,
            "the unigram and the bigram \"ok ok\""
        );
        assert!(
            !HashSpec {
                bits: 20,
                chars: (1, 3)
            }
            .is_valid()
        );
        assert!(
            !HashSpec {
                bits: 30,
                chars: (2, 3)
            }
            .is_valid()
        );
    }
}
