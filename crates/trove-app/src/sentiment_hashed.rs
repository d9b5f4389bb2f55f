//! The learned sentiment model's fast form: a 3-class linear SVM over hashed n-grams that the
//! lexicon's own pass computes ([`trove_text::features`]), its weights in a flat array indexed
//! by bucket.
//!
//! A text's features, as the SVM sees them, form three blocks:
//! - word unigrams and bigrams: each occurrence `1 / sqrt(n_w)` in its bucket (n_w the text's
//!   word features);
//! - character 2-4-grams: each occurrence `1 / sqrt(n_c)`;
//! - the lexicon's reading: one of five columns after the buckets (strongly / mildly negative,
//!   neutral, mildly / strongly positive compound) set to 1, so the model learns how far to
//!   trust the lexicon from the company's labels (with few labels that is what carries it).
//!
//! A margin is then `bias + w[lexicon] + S_w / sqrt(n_w) + S_c / sqrt(n_c)`, where `S` sums the
//! weights of a block's occurrences: sums add over sentences, so one pass gives the text's
//! margins and every sentence's (a theme mention takes its sentence's).

use trove_learn::{ClassWeight, LearnError, SparseRow, TrainOptions, train_linear};
use trove_text::SentimentScorer;
use trove_text::features::{CHAR_FLAG, HashSpec};
use trove_text::sentiment::THRESHOLD;

/// The features of a newly trained model: 2^18 buckets (3 MB of weights, sparse when
/// stored), character 2-4-grams.
pub const DEFAULT_SPEC: HashSpec = HashSpec {
    bits: 18,
    chars: (2, 4),
};
/// The lexicon's five readings: columns after the buckets.
const LEXICON_COLUMNS: usize = 5;
const MAGIC: &[u8; 8] = b"TROVESNT";
const VERSION: u32 = 1;

/// The column of the lexicon's reading of a compound.
fn lexicon_column(compound: f64) -> usize {
    match compound {
        c if c <= -0.5 => 0,
        c if c <= -THRESHOLD => 1,
        c if c < THRESHOLD => 2,
        c if c < 0.5 => 3,
        _ => 4,
    }
}

/// The weight sums of one sentence's features: per class, word block and character block,
/// and how many occurrences each block has.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BlockSums {
    word: [f32; 3],
    char: [f32; 3],
    words: u32,
    chars: u32,
}

impl BlockSums {
    fn add(&mut self, other: &Self) {
        for i in 0..3 {
            self.word[i] += other.word[i];
            self.char[i] += other.char[i];
        }
        self.words += other.words;
        self.chars += other.chars;
    }
}

/// A hashed-feature sentiment model.
#[derive(Debug, Clone, PartialEq)]
pub struct HashedSentiment {
    spec: HashSpec,
    /// Per column (the buckets, then the lexicon's readings): the three classes' weights.
    weights: Vec<[f32; 3]>,
    bias: [f32; 3],
}

impl HashedSentiment {
    /// Its features (the lexicon computes them as this says).
    pub fn spec(&self) -> HashSpec {
        self.spec
    }

    /// Trains on texts with their classes (0 negative, 1 neutral, 2 positive), with balanced
    /// class weights.
    pub fn train(
        texts: &[String],
        classes: &[usize],
        spec: HashSpec,
        seed: u64,
    ) -> Result<Self, LearnError> {
        if !spec.is_valid() {
            return Err(LearnError::Corrupt("invalid hashed feature spec"));
        }
        let bits = spec.bits;
        let mut scorer = SentimentScorer::new();
        scorer.set_features(Some(spec));
        let mut occurrences: Vec<(u32, f32)> = Vec::new();
        let rows: Vec<SparseRow> = texts
            .iter()
            .map(|text| {
                let compound = scorer.score(text);
                let (mut words, mut chars) = (0u32, 0u32);
                for i in 0..scorer.sentences().len() {
                    for &b in scorer.sentence_features(i) {
                        if b & CHAR_FLAG == 0 {
                            words += 1;
                        } else {
                            chars += 1;
                        }
                    }
                }
                let scale = |n: u32| if n > 0 { 1.0 / (n as f32).sqrt() } else { 0.0 };
                let (word_value, char_value) = (scale(words), scale(chars));
                occurrences.clear();
                for i in 0..scorer.sentences().len() {
                    for &b in scorer.sentence_features(i) {
                        let value = if b & CHAR_FLAG == 0 {
                            word_value
                        } else {
                            char_value
                        };
                        occurrences.push((b & !CHAR_FLAG, value));
                    }
                }
                occurrences.sort_unstable_by_key(|&(c, _)| c);
                let mut row: SparseRow = Vec::with_capacity(occurrences.len() + 1);
                for &(c, v) in &occurrences {
                    match row.last_mut() {
                        Some(last) if last.0 == c => last.1 += v,
                        _ => row.push((c, v)),
                    }
                }
                row.push(((1u32 << bits) + lexicon_column(compound) as u32, 1.0));
                row
            })
            .collect();
        let options = TrainOptions {
            seed,
            class_weight: ClassWeight::Balanced,
            ..TrainOptions::default()
        };
        let columns = (1usize << bits) + LEXICON_COLUMNS;
        let linear = train_linear(&rows, classes, 3, columns, &options)?;
        Ok(Self {
            spec,
            weights: linear
                .weights
                .chunks_exact(3)
                .map(|w| [w[0], w[1], w[2]])
                .collect(),
            bias: [linear.bias[0], linear.bias[1], linear.bias[2]],
        })
    }

    /// The weight sums of sentence `i` of the text `scorer` last scored (with this model's
    /// bits).
    pub(crate) fn sentence_sums(&self, scorer: &SentimentScorer, i: usize) -> BlockSums {
        let mut sums = BlockSums::default();
        for &b in scorer.sentence_features(i) {
            let w = self.weights[(b & !CHAR_FLAG) as usize];
            let (block, count) = if b & CHAR_FLAG == 0 {
                (&mut sums.word, &mut sums.words)
            } else {
                (&mut sums.char, &mut sums.chars)
            };
            block[0] += w[0];
            block[1] += w[1];
            block[2] += w[2];
            *count += 1;
        }
        sums
    }

    /// The three margins of features summed in `sums` with the lexicon's `compound`.
    pub(crate) fn margins(&self, sums: &BlockSums, compound: f64) -> [f32; 3] {
        let lexicon = self.weights[(1usize << self.spec.bits) + lexicon_column(compound)];
        let scale = |n: u32| if n > 0 { 1.0 / (n as f32).sqrt() } else { 0.0 };
        let (w, c) = (scale(sums.words), scale(sums.chars));
        std::array::from_fn(|k| self.bias[k] + lexicon[k] + sums.word[k] * w + sums.char[k] * c)
    }

    /// The margins of the whole text `scorer` last scored (its compound given), its
    /// sentences' sums left in `sentences`.
    pub(crate) fn text_margins(
        &self,
        scorer: &SentimentScorer,
        compound: f64,
        sentences: &mut Vec<BlockSums>,
    ) -> [f32; 3] {
        sentences.clear();
        let mut total = BlockSums::default();
        for i in 0..scorer.sentences().len() {
            let sums = self.sentence_sums(scorer, i);
            total.add(&sums);
            sentences.push(sums);
        }
        self.margins(&total, compound)
    }

    /// The model as bytes: magic, version, hash bits, shortest and longest character n-gram,
    /// the bias, then only the columns with a non-zero weight (column, three weights),
    /// little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        let (min, max) = self.spec.chars;
        for v in [VERSION, self.spec.bits, u32::from(min), u32::from(max)] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        let kept: Vec<(usize, &[f32; 3])> = self
            .weights
            .iter()
            .enumerate()
            .filter(|(_, w)| w.iter().any(|&x| x != 0.0))
            .collect();
        out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
        for (c, w) in kept {
            out.extend_from_slice(&(c as u32).to_le_bytes());
            for x in w {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Whether stored bytes are a model of this form.
    pub fn is_hashed(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// Reads a model written by [`HashedSentiment::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LearnError> {
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or(LearnError::Corrupt("not a hashed sentiment model"))?;
        if body.len() % 4 != 0 {
            return Err(LearnError::Corrupt(
                "hashed sentiment model of a wrong length",
            ));
        }
        let mut words = body.chunks(4);
        let mut next = || -> Result<[u8; 4], LearnError> {
            words
                .next()
                .and_then(|w| w.try_into().ok())
                .ok_or(LearnError::Corrupt("short hashed sentiment model"))
        };
        if u32::from_le_bytes(next()?) != VERSION {
            return Err(LearnError::Corrupt(
                "unknown hashed sentiment format version",
            ));
        }
        let bits = u32::from_le_bytes(next()?);
        let mut chars = [0u8; 2];
        for c in &mut chars {
            *c = u8::try_from(u32::from_le_bytes(next()?))
                .map_err(|_| LearnError::Corrupt("character n-gram length out of range"))?;
        }
        let spec = HashSpec {
            bits,
            chars: (chars[0], chars[1]),
        };
        if !spec.is_valid() {
            return Err(LearnError::Corrupt("hashed feature spec out of range"));
        }
        let mut bias = [0.0f32; 3];
        for b in &mut bias {
            *b = f32::from_le_bytes(next()?);
        }
        let columns = (1usize << bits) + LEXICON_COLUMNS;
        let mut weights = vec![[0.0f32; 3]; columns];
        for _ in 0..u32::from_le_bytes(next()?) {
            let c = u32::from_le_bytes(next()?) as usize;
            let w = weights
                .get_mut(c)
                .ok_or(LearnError::Corrupt("column out of range"))?;
            for x in w {
                *x = f32::from_le_bytes(next()?);
            }
        }
        if next().is_ok() {
            return Err(LearnError::Corrupt("trailing bytes"));
        }
        Ok(Self {
            spec,
            weights,
            bias,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use super::*;

    #[test]
    fn sentence_sums_add_up_to_the_texts_and_the_model_round_trips() {
        let texts: Vec<String> = [
            "still not paid. awful",
            "the form came",
            "lovely staff!",
            "no refund yet",
        ]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
        let spec = HashSpec {
            bits: 12,
            chars: (2, 4),
        };
        let model = HashedSentiment::train(&texts, &[0, 1, 2, 0], spec, 1).unwrap();
        let mut scorer = SentimentScorer::new();
        scorer.set_features(Some(spec));
        let text = "Still not paid. The staff were lovely though!";
        let compound = scorer.score(text);
        let mut sentences = Vec::new();
        let margins = model.text_margins(&scorer, compound, &mut sentences);
        assert_eq!(sentences.len(), 2);
        let mut total = sentences[0];
        total.add(&sentences[1]);
        assert_eq!(model.margins(&total, compound), margins);
        // A sentence's features are the same alone as inside the text.
        let alone = scorer.score("The staff were lovely though!");
        let sums = model.sentence_sums(&scorer, 0);
        let mut again = Vec::new();
        assert_eq!(
            model.margins(&sums, alone),
            model.text_margins(&scorer, alone, &mut again)
        );
        assert_eq!(sums.words, sentences[1].words);
        assert_eq!(sums.chars, sentences[1].chars);
        let back = HashedSentiment::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(back, model);
        assert!(HashedSentiment::is_hashed(&model.to_bytes()));
        let mut cut = model.to_bytes();
        cut.pop();
        assert!(HashedSentiment::from_bytes(&cut).is_err());
    }
}
