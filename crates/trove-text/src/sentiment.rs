//! Sentiment of a text and of each of its sentences, in -1..1, by the rules of VADER (Hutto &
//! Gilbert, 2014) applied sentence by sentence.
//!
//! The word valences are VADER's own lexicon (7,500 words, emoticons and slang rated by people
//! from -4 to +4), as the `vader_sentiment` crate ships it; the crate's analyser is not used,
//! because it scores a text as one sequence of words, so a negation reaches across sentences
//! ("The food was not good. Great staff." negates *great*). Here each sentence is scored on its
//! own:
//! - a lexicon word's valence, raised by [`C_INCR`] when it is in CAPITALS in a text that mixes
//!   case;
//! - boosters and dampeners among the 3 words before it ("very", "extremely", "so" add
//!   [`B_INCR`]; "barely", "slightly", "kinda" subtract it; scaled by 1, 0.95, 0.9 with
//!   distance);
//! - a negator among the 3 words before it ("not", "never", "no", "without", every `n't`
//!   form...) multiplies it by [`N_SCALAR`]; "never so/this good" intensifies (× 1.25) instead,
//!   "without doubt" is left alone, "least" (not "at least") negates. The 3 words are counted
//!   **within the sentence and the clause** (`,`, `;`, `:` and "but" open a clause, as in
//!   [`crate::normalize`]): "Unfortunately no, but hoping to" does not negate *hoping*. On the
//!   airline tweets the clause limit changes little (accuracy 0.5526 → 0.5530) but removes
//!   such errors;
//! - "but": the sentence's words before it count half, those after it one and a half times;
//! - exclamation marks add 0.292 each (up to 4) and several question marks 0.18 each (up to
//!   0.96), in the direction of the sentence's sum.
//!
//! A sentence's compound is its sum normalised by `x / sqrt(x² + 15)`. The text's compound is
//! the same normalisation of the sum of its sentences' sums: for a text of one sentence it is
//! exactly VADER's compound, the ±0.05 thresholds of [`Label`] keep their meaning, and several
//! sentences that say the same thing strengthen it, as VADER's do (a length-weighted mean of
//! compounds would instead make "Awful. Awful. Awful." no more negative than "Awful.").
//!
//! Tokens are VADER's: whitespace-separated, punctuation stripped from their ends unless the
//! whole token is a lexicon entry (emoticons such as `:)` or `<3`); emoji become the words of
//! their description ("😡" → "pouting face"). Unlike VADER, @mentions and URLs are not words
//! (VADER reads `@united` as *united*, +1.8, which makes every tweet to that airline happier).
//! Sentences end at `.`, `!`, `?` (a run of them, or an ellipsis, also inside a token:
//! `late!!thanks`) and at line breaks.
//!
//! Checked against Python's `vaderSentiment` 3.3.2: on the 5,046 airline tweets that are one
//! sentence once mentions and URLs are removed, the compounds are equal (to 0.001) for 97.7%;
//! the rest differ on purpose: typographic apostrophes (`won’t` negates here), punctuation
//! stripped from short words (VADER keeps `no,` whole, so it neither counts nor negates),
//! the clause limit, and emoji glued to punctuation.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::features::{HashSpec, NgramHasher};

/// What a booster adds to (or a dampener, negated, takes from) the valence of the next words.
pub const B_INCR: f64 = 0.293;
/// What a word in CAPITALS adds to its own valence when the text mixes case.
pub const C_INCR: f64 = 0.733;
/// What a negation multiplies the valence of the next 3 words by.
pub const N_SCALAR: f64 = -0.74;
/// What each exclamation mark (up to [`MAX_EXCLAMATIONS`]) adds to a sentence's sum.
const EXCLAMATION_INCR: f64 = 0.292;
/// Exclamation marks past this many add nothing.
const MAX_EXCLAMATIONS: u32 = 4;
/// What each question mark adds when there are 2 or 3 of them.
const QUESTION_INCR: f64 = 0.18;
/// What 4 question marks or more add.
const MAX_QUESTION_INCR: f64 = 0.96;
/// The `alpha` of VADER's normalisation `x / sqrt(x² + alpha)`.
const ALPHA: f64 = 15.0;
/// A compound at or above this is positive, at or below its negation negative (VADER's
/// standard thresholds).
pub const THRESHOLD: f64 = 0.05;

/// VADER's boosters (+) and dampeners (-) of one word.
const BOOSTERS: &[(&str, f64)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", -B_INCR),
    ("barely", -B_INCR),
    ("hardly", -B_INCR),
    ("kinda", -B_INCR),
    ("kindof", -B_INCR),
    ("kind-of", -B_INCR),
    ("less", -B_INCR),
    ("little", -B_INCR),
    ("marginal", -B_INCR),
    ("marginally", -B_INCR),
    ("occasional", -B_INCR),
    ("occasionally", -B_INCR),
    ("partly", -B_INCR),
    ("scarce", -B_INCR),
    ("scarcely", -B_INCR),
    ("slight", -B_INCR),
    ("slightly", -B_INCR),
    ("somewhat", -B_INCR),
    ("sorta", -B_INCR),
    ("sortof", -B_INCR),
    ("sort-of", -B_INCR),
];

/// VADER's negators (every word containing `n't` is one too).
const NEGATORS: &[&str] = &[
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "dont", "hadnt",
    "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither", "neednt", "never", "none", "nope",
    "nor", "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
    "without", "wont", "wouldnt", "rarely", "seldom", "despite", "uh-uh",
];

/// Words the rules look at by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Special {
    #[default]
    None,
    But,
    Never,
    SoOrThis,
    Without,
    Doubt,
    Least,
    AtOrVery,
    Kind,
    Of,
    No,
    OrNor,
}

const SPECIALS: &[(&str, Special)] = &[
    ("but", Special::But),
    ("never", Special::Never),
    ("so", Special::SoOrThis),
    ("this", Special::SoOrThis),
    ("without", Special::Without),
    ("doubt", Special::Doubt),
    ("least", Special::Least),
    ("at", Special::AtOrVery),
    ("very", Special::AtOrVery),
    ("kind", Special::Kind),
    ("of", Special::Of),
    ("no", Special::No),
    ("or", Special::OrNor),
    ("nor", Special::OrNor),
];

/// What the rules know of one lowercased word.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// Its lexicon valence (0 when not in the lexicon).
    valence: f64,
    /// Whether it is in the lexicon.
    in_lexicon: bool,
    /// 1 for a booster, -1 for a dampener, else 0.
    booster: i8,
    /// Whether it negates.
    negator: bool,
    special: Special,
}

/// The Fx hash (rustc's): a multiply and rotate per 8 bytes, several times faster than SipHash
/// on short words; the keys are a fixed lexicon, so hash flooding is no concern.
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        // The last 0-7 bytes as two overlapping reads, without a copy through the stack.
        let tail = chunks.remainder();
        let n = tail.len();
        let last = if n >= 4 {
            let read = |at: usize| {
                u64::from(u32::from_le_bytes([
                    tail[at],
                    tail[at + 1],
                    tail[at + 2],
                    tail[at + 3],
                ]))
            };
            read(0) | read(n - 4) << 32
        } else if n > 0 {
            u64::from(tail[0]) | u64::from(tail[n / 2]) << 8 | u64::from(tail[n - 1]) << 16
        } else {
            0
        };
        self.add(last ^ (n as u64) << 59);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The word table's type.
type Table = HashMap<Box<str>, Entry, BuildHasherDefault<FxHasher>>;

/// What the rules know of a lowercase word (the default [`Entry`] for most words).
fn lookup(word: &str) -> Entry {
    let (table, filter) = table();
    // Most words are in no list: a 64 Kibit filter on the hash, small enough to stay in the
    // L1 cache, answers for them without touching the table's 8,000 entries.
    let bit = filter_bit(table.hasher().hash_one(word));
    if filter[bit / 64] & 1 << (bit % 64) == 0 {
        return Entry::default();
    }
    table.get(word).copied().unwrap_or_default()
}

/// The filter bit of a hash.
fn filter_bit(hash: u64) -> usize {
    usize::from((hash >> 40) as u16)
}

/// The word table and its filter.
fn table() -> &'static (Table, Box<[u64]>) {
    static TABLE: OnceLock<(Table, Box<[u64]>)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let map = words();
        let mut filter = vec![0_u64; 1 << 10].into_boxed_slice();
        for word in map.keys() {
            let bit = filter_bit(map.hasher().hash_one(word));
            filter[bit / 64] |= 1 << (bit % 64);
        }
        (map, filter)
    })
}

/// The lexicon, boosters, negators and special words in one map, keyed by lowercase word.
fn words() -> Table {
    let mut map = Table::with_capacity_and_hasher(8_000, BuildHasherDefault::default());
    for (word, &valence) in vader_sentiment::LEXICON.iter() {
        let word: &str = word.as_ref();
        let entry = map.entry(word.to_lowercase().into()).or_default();
        entry.valence = valence;
        entry.in_lexicon = true;
    }
    // VADER 3.3.2's lexicon has two words the crate's (older) copy lacks; emoji descriptions
    // ("red heart", "two hearts") rely on them.
    for (word, valence) in [("heart", 3.2), ("hearts", 3.3)] {
        let entry = map.entry(word.into()).or_default();
        entry.valence = valence;
        entry.in_lexicon = true;
    }
    for &(word, booster) in BOOSTERS {
        map.entry(word.into()).or_default().booster = if booster > 0.0 { 1 } else { -1 };
    }
    for &word in NEGATORS {
        map.entry(word.into()).or_default().negator = true;
    }
    for &(word, special) in SPECIALS {
        map.entry(word.into()).or_default().special = special;
    }
    map
}

/// Emoji → their description (from VADER's emoji lexicon).
fn emoji() -> &'static HashMap<char, &'static str> {
    static EMOJI: OnceLock<HashMap<char, &'static str>> = OnceLock::new();
    EMOJI.get_or_init(|| {
        vader_sentiment::EMOJI_LEXICON
            .iter()
            .filter_map(|(key, &description)| {
                let mut chars = key.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some((c, description)),
                    _ => None,
                }
            })
            .collect()
    })
}

/// A compound's class by VADER's standard thresholds (±[`THRESHOLD`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// Compound ≤ -0.05.
    Negative,
    /// Between the thresholds.
    Neutral,
    /// Compound ≥ 0.05.
    Positive,
}

impl Label {
    /// The label of a compound score.
    pub fn of(compound: f64) -> Self {
        if compound >= THRESHOLD {
            Self::Positive
        } else if compound <= -THRESHOLD {
            Self::Negative
        } else {
            Self::Neutral
        }
    }

    /// `negative`, `neutral` or `positive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Negative => "negative",
            Self::Neutral => "neutral",
            Self::Positive => "positive",
        }
    }
}

/// One sentence's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentenceScore {
    /// Byte offset of the sentence's first word in the text.
    pub start: usize,
    /// Byte offset just past its last token (its closing punctuation included).
    pub end: usize,
    /// Its compound, in -1..1.
    pub compound: f64,
}

/// The sentiment of a text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sentiment {
    /// The whole text's compound, in -1..1 (0 for a text without sentiment words).
    pub compound: f64,
    /// Its sentences with a word, in order.
    pub sentences: Vec<SentenceScore>,
}

impl Sentiment {
    /// The label of the whole text.
    pub fn label(&self) -> Label {
        Label::of(self.compound)
    }

    /// The compound of the sentence that contains byte `offset` (a theme mention's start):
    /// the sentence whose span contains it, else the last one starting before it, else 0.
    pub fn at(&self, offset: usize) -> f64 {
        sentence_at(&self.sentences, offset)
    }
}

fn sentence_at(sentences: &[SentenceScore], offset: usize) -> f64 {
    let after = sentences.partition_point(|s| s.start <= offset);
    match after.checked_sub(1) {
        Some(i) => sentences[i].compound,
        None => 0.0,
    }
}

/// The sentiment of a text and of each of its sentences (see the module's documentation).
/// Builds a [`SentimentScorer`] each call; keep one to score many texts.
pub fn sentiment(text: &str) -> Sentiment {
    SentimentScorer::new().sentiment(text)
}

/// The compound of the sentence of `text` that contains byte `offset` (for a theme mention:
/// the tag's start), in -1..1.
pub fn mention_sentiment(text: &str, offset: usize) -> f64 {
    sentiment(text).at(offset)
}

/// One word of a text as the rules see it.
#[derive(Debug, Clone, Copy)]
struct Word {
    entry: Entry,
    negator: bool,
    caps: bool,
    /// The clause it is in (`,`, `;`, `:` and "but" open one).
    clause: u32,
    /// Where its hashed features start among the text's.
    features: u32,
}

/// A sentence: its words `words[first..last]`, span, and punctuation marks.
#[derive(Debug, Clone, Copy)]
struct Span {
    first: usize,
    last: usize,
    start: usize,
    end: usize,
    exclamations: u32,
    questions: u32,
}

/// Scores texts, reusing its buffers: one per thread.
#[derive(Debug, Default)]
pub struct SentimentScorer {
    words: Vec<Word>,
    spans: Vec<Span>,
    valences: Vec<f64>,
    lower: String,
    sentences: Vec<SentenceScore>,
    clause: u32,
    hasher: NgramHasher,
}

impl SentimentScorer {
    /// A scorer with empty buffers (the lexicon is loaded once per process, on first use).
    pub fn new() -> Self {
        Self::default()
    }

    /// The sentiment of a text and its sentences.
    pub fn sentiment(&mut self, text: &str) -> Sentiment {
        let compound = self.score(text);
        Sentiment {
            compound,
            sentences: self.sentences.clone(),
        }
    }

    /// The compound of a text, without allocating once the buffers have grown; its sentences
    /// are then in [`SentimentScorer::sentences`].
    pub fn score(&mut self, text: &str) -> f64 {
        self.tokenize(text);
        let (mut caps, mut other) = (false, false);
        for word in &self.words {
            if word.caps {
                caps = true;
            } else {
                other = true;
            }
        }
        let mixed_caps = caps && other;
        self.sentences.clear();
        let mut total = 0.0;
        for i in 0..self.spans.len() {
            let span = self.spans[i];
            let sum = sentence_sum(
                &self.words[span.first..span.last],
                &span,
                mixed_caps,
                &mut self.valences,
            );
            total += sum;
            self.sentences.push(SentenceScore {
                start: span.start,
                end: span.end,
                compound: normalize(sum),
            });
        }
        normalize(total)
    }

    /// The sentences of the last text [`SentimentScorer::score`]d.
    pub fn sentences(&self) -> &[SentenceScore] {
        &self.sentences
    }

    /// Computes the hashed n-gram features of every text scored from now on as `spec` says
    /// (see [`crate::features`]; None turns them off, the default).
    ///
    /// # Panics
    /// When the spec is not valid ([`HashSpec::is_valid`]).
    pub fn set_features(&mut self, spec: Option<HashSpec>) {
        assert!(
            spec.is_none_or(|s| s.is_valid()),
            "invalid feature spec {spec:?}"
        );
        self.hasher.spec = spec;
    }

    /// The feature buckets (with repeats) of sentence `i` of the last text scored (as in
    /// [`SentimentScorer::sentences`]); empty unless [`SentimentScorer::set_features`]
    /// asked for them.
    pub fn sentence_features(&self, i: usize) -> &[u32] {
        let span = &self.spans[i];
        let start = self.words[span.first].features as usize;
        let end = self
            .words
            .get(span.last)
            .map_or(self.hasher.buckets.len(), |w| w.features as usize);
        &self.hasher.buckets[start..end]
    }

    /// The compound of the sentence of the last scored text that contains byte `offset`.
    pub fn at(&self, offset: usize) -> f64 {
        sentence_at(&self.sentences, offset)
    }

    /// Splits a text into words and sentences.
    fn tokenize(&mut self, text: &str) {
        self.words.clear();
        self.spans.clear();
        self.hasher.clear();
        let mut open = Span {
            first: 0,
            last: 0,
            start: 0,
            end: 0,
            exclamations: 0,
            questions: 0,
        };
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            // Whitespace; a line break ends the sentence.
            let b = bytes[at];
            if b.is_ascii_whitespace() {
                if b == b'\n' || b == b'\r' {
                    self.close(&mut open);
                }
                at += 1;
                continue;
            }
            let mut end = at;
            let mut plain = true;
            while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
                plain &= bytes[end].is_ascii_alphanumeric();
                end += 1;
            }
            let chunk = &text[at..end];
            if plain {
                self.plain_word(chunk, at, &mut open);
            } else if chunk.is_ascii() {
                self.chunk(chunk, at, &mut open);
            } else {
                // Unicode whitespace splits too; emoji become their description's words.
                let mut piece = at;
                for (i, c) in chunk.char_indices() {
                    let here = at + i;
                    if c.is_whitespace() {
                        self.chunk(&text[piece..here], piece, &mut open);
                        piece = here + c.len_utf8();
                    } else if let Some(description) = emoji().get(&c) {
                        self.chunk(&text[piece..here], piece, &mut open);
                        for word in description.split(' ') {
                            self.push_word(word, here, here + c.len_utf8(), &mut open);
                        }
                        piece = here + c.len_utf8();
                    }
                }
                self.chunk(&text[piece..end], piece, &mut open);
            }
            at = end;
        }
        self.close(&mut open);
    }

    /// One whitespace-free chunk: a word (or several, split at sentence ends inside it).
    fn chunk(&mut self, chunk: &str, offset: usize, open: &mut Span) {
        if chunk.is_empty() {
            return;
        }
        if chunk.bytes().all(|b| b.is_ascii_alphanumeric()) {
            self.plain_word(chunk, offset, open);
            return;
        }
        if chunk.starts_with('@') && chunk.len() > 1
            || chunk.as_bytes().contains(&b':') && chunk.contains("://")
        {
            // An @mention or a URL: no sentiment, but its trailing marks still count.
            let marks = chunk.len()
                - chunk
                    .trim_end_matches(|c: char| c.is_ascii_punctuation())
                    .len();
            self.marks(&chunk[chunk.len() - marks..], offset + chunk.len(), open);
            return;
        }
        let bytes = chunk.as_bytes();
        // Split inside the chunk at a run of terminators that holds `!`/`?` or is `..`+,
        // followed by more text ("late!!thanks", "delayed...again").
        let mut piece = 0;
        let mut i = 0;
        while i < bytes.len() {
            if matches!(bytes[i], b'.' | b'!' | b'?') {
                let mut j = i;
                while j < bytes.len() && matches!(bytes[j], b'.' | b'!' | b'?') {
                    j += 1;
                }
                let strong = j - i >= 2 || bytes[i..j].iter().any(|&b| b != b'.');
                if strong && i > piece && j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                    self.piece(&chunk[piece..j], offset + piece, open);
                    self.close(open);
                    piece = j;
                }
                i = j;
            } else {
                i += 1;
            }
        }
        self.piece(&chunk[piece..], offset + piece, open);
    }

    /// A chunk of ASCII letters and digits only (most chunks): one word, no marks; what
    /// [`SentimentScorer::chunk`] does with it, without its scans for mentions, URLs, sentence
    /// ends and punctuation.
    fn plain_word(&mut self, chunk: &str, offset: usize, open: &mut Span) {
        let mut lower = std::mem::take(&mut self.lower);
        lower.clear();
        lower.push_str(chunk);
        lower.make_ascii_lowercase();
        self.push_cased(&lower, chunk, offset, offset + chunk.len(), open);
        self.lower = lower;
    }

    /// One token: its word, then its trailing marks (which may end the sentence).
    fn piece(&mut self, piece: &str, offset: usize, open: &mut Span) {
        let end = offset + piece.len();
        self.lower.clear();
        self.lower.push_str(piece);
        if !piece.is_ascii() {
            self.lower = self
                .lower
                .to_lowercase()
                .replace(['\u{2019}', '\u{2018}'], "'");
        } else {
            self.lower.make_ascii_lowercase();
        }
        let is_punct = |c: char| c.is_ascii_punctuation();
        let trailing = piece.len() - piece.trim_end_matches(is_punct).len();
        let lower = std::mem::take(&mut self.lower);
        let edged = trailing > 0 || lower.starts_with(is_punct);
        if !edged || lookup(&lower).in_lexicon {
            // An emoticon or a word as the lexicon writes it.
            self.push_cased(&lower, piece, offset, end, open);
        } else {
            let lead = lower.len() - lower.trim_start_matches(is_punct).len();
            let stripped = lower[lead..].trim_end_matches(is_punct);
            if !stripped.is_empty() {
                let cased = piece.get(lead..lead + stripped.len()).unwrap_or(stripped);
                self.push_cased(stripped, cased, offset + lead, end, open);
            }
        }
        self.lower = lower;
        self.marks(&piece[piece.len() - trailing..], end, open);
    }

    /// Counts a token's trailing marks; a `.`, `!` or `?` among them ends the sentence.
    fn marks(&mut self, marks: &str, end: usize, open: &mut Span) {
        if marks.is_empty() {
            return;
        }
        let mut ends = false;
        for b in marks.bytes() {
            match b {
                b'!' => {
                    open.exclamations += 1;
                    ends = true;
                }
                b'?' => {
                    open.questions += 1;
                    ends = true;
                }
                b'.' => ends = true,
                b',' | b';' | b':' => self.clause = self.clause.wrapping_add(1),
                _ => {}
            }
        }
        if open.last > open.first {
            open.end = open.end.max(end);
        }
        if ends {
            self.close(open);
        }
    }

    /// Adds a lowercase word whose case is read from `word` itself.
    fn push_word(&mut self, word: &str, start: usize, end: usize, open: &mut Span) {
        self.push_cased(word, word, start, end, open);
    }

    /// Adds a lowercase word; `cased` is how it was written.
    fn push_cased(&mut self, word: &str, cased: &str, start: usize, end: usize, open: &mut Span) {
        let entry = lookup(word);
        let negator = entry.negator || word.contains('\'') && word.contains("n't");
        // All capitals: 2 letters or more, none lowercase (most words fail on the first byte).
        let mut letters = 0;
        let mut caps = !cased.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
        if caps {
            for c in cased.chars().filter(|c| c.is_alphabetic()) {
                letters += 1;
                caps &= c.is_uppercase();
            }
        }
        if open.last == open.first {
            open.start = start;
        }
        if entry.special == Special::But {
            self.clause = self.clause.wrapping_add(1);
        }
        let features = self.hasher.buckets.len() as u32;
        self.hasher.word(word.as_bytes());
        self.words.push(Word {
            clause: self.clause,
            entry,
            negator,
            caps: caps && letters >= 2,
            features,
        });
        open.last = self.words.len();
        open.end = end;
    }

    /// Ends the open sentence (if it has a word) and opens the next.
    fn close(&mut self, open: &mut Span) {
        if open.last > open.first {
            self.spans.push(*open);
        }
        self.hasher.sentence_end();
        *open = Span {
            first: self.words.len(),
            last: self.words.len(),
            start: 0,
            end: 0,
            exclamations: 0,
            questions: 0,
        };
    }
}

/// Whether negation and boosters stop at the clause (else at the sentence).
const CLAUSE_WINDOW: bool = true;

/// VADER's normalisation of a sum into -1..1.
fn normalize(sum: f64) -> f64 {
    (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// The valence a booster or dampener before a word of valence `valence` adds.
fn boost(modifier: &Word, valence: f64, mixed_caps: bool) -> f64 {
    if modifier.entry.booster == 0 {
        return 0.0;
    }
    let mut scalar = f64::from(modifier.entry.booster) * B_INCR;
    if valence < 0.0 {
        scalar = -scalar;
    }
    if modifier.caps && mixed_caps {
        scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    scalar
}

/// The sum of one sentence's valences with its punctuation emphasis.
fn sentence_sum(words: &[Word], span: &Span, mixed_caps: bool, valences: &mut Vec<f64>) -> f64 {
    use Special as S;
    valences.clear();
    let sp = |i: usize| words[i].entry.special;
    for (i, word) in words.iter().enumerate() {
        let entry = word.entry;
        let skip = entry.booster != 0
            || entry.special == S::Kind && i + 1 < words.len() && sp(i + 1) == S::Of
            || !entry.in_lexicon;
        if skip {
            valences.push(0.0);
            continue;
        }
        let mut v = entry.valence;
        // "no" before a lexicon word negates it rather than counting itself.
        if entry.special == S::No && i + 1 < words.len() && words[i + 1].entry.in_lexicon {
            v = 0.0;
        }
        // How many words back the rules reach: 3, within the clause.
        let reach = (1..=3)
            .take_while(|&n| i >= n && (!CLAUSE_WINDOW || words[i - n].clause == word.clause))
            .count();
        if reach > 0 && sp(i - 1) == S::No
            || reach > 1 && sp(i - 2) == S::No
            || reach > 2 && sp(i - 3) == S::No && sp(i - 1) == S::OrNor
        {
            v = entry.valence * N_SCALAR;
        }
        if word.caps && mixed_caps {
            v += if v > 0.0 { C_INCR } else { -C_INCR };
        }
        for k in 0..reach {
            if words[i - k - 1].entry.in_lexicon {
                continue;
            }
            let s = boost(&words[i - k - 1], v, mixed_caps);
            v += s * [1.0, 0.95, 0.9][k];
            // Negation (VADER's _negation_check, with its intended grouping for 3 back).
            let before = |n: usize| sp(i - n);
            v *= match k {
                1 if before(2) == S::Never && before(1) == S::SoOrThis => 1.25,
                1 if before(2) == S::Without && before(1) == S::Doubt => 1.0,
                2 if before(3) == S::Never
                    && (before(2) == S::SoOrThis || before(1) == S::SoOrThis) =>
                {
                    1.25
                }
                2 if before(3) == S::Without
                    && (before(2) == S::Doubt || before(1) == S::Doubt) =>
                {
                    1.0
                }
                _ if words[i - k - 1].negator => N_SCALAR,
                _ => 1.0,
            };
        }
        // "least" negates, except in "at least" and "very least".
        if i > 0 && sp(i - 1) == S::Least && !words[i - 1].entry.in_lexicon {
            let at_least = i > 1 && sp(i - 2) == S::AtOrVery;
            if !at_least {
                v *= N_SCALAR;
            }
        }
        valences.push(v);
    }
    if let Some(but) = words.iter().position(|w| w.entry.special == S::But) {
        for (i, v) in valences.iter_mut().enumerate() {
            if i < but {
                *v *= 0.5;
            } else if i > but {
                *v *= 1.5;
            }
        }
    }
    let mut sum: f64 = valences.iter().sum();
    let questions = match span.questions {
        0 | 1 => 0.0,
        n @ 2..=3 => f64::from(n) * QUESTION_INCR,
        _ => MAX_QUESTION_INCR,
    };
    let emphasis =
        f64::from(span.exclamations.min(MAX_EXCLAMATIONS)) * EXCLAMATION_INCR + questions;
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str) -> f64 {
        sentiment(text).compound
    }

    #[test]
    fn good_food_is_positive_and_not_good_food_negative() {
        assert_eq!(Label::of(c("The food was good.")), Label::Positive);
        assert_eq!(Label::of(c("The food was not good.")), Label::Negative);
        // VADER's own figures: good is 1.9; 1.9 / sqrt(1.9² + 15) = 0.4404.
        assert!((c("The food was good.") - 0.4404).abs() < 1e-4);
        assert!((c("The food was not good.") + 0.3412).abs() < 1e-4);
    }

    #[test]
    fn negation_does_not_leak_into_the_next_sentence() {
        let s = sentiment("The food was not good. The staff were great.");
        assert_eq!(s.sentences.len(), 2);
        assert!(s.sentences[0].compound < 0.0);
        assert_eq!(s.sentences[1].compound, c("The staff were great."));
        assert_eq!(s.sentences[0].compound, c("The food was not good."));
        // The same text as one sentence: "not" reaches "great" only within 3 words, so use a
        // closer case: "not. Great" must not be negated.
        assert!(c("It was not. Great!") > 0.0);
        assert!(c("It was not great!") < 0.0);
    }

    #[test]
    fn negation_stops_at_the_clause() {
        assert!(c("Unfortunately no, but hoping I can catch one soon!") > 0.0);
        assert!(c("The seats were not, comfortable") > 0.0);
        assert!(c("The seats were not comfortable") < 0.0);
    }

    #[test]
    fn boosters_raise_and_dampeners_lower_the_magnitude() {
        assert!(c("The food was very good.") > c("The food was good."));
        assert!(c("The food was extremely bad.") < c("The food was bad."));
        assert!(c("The food was slightly good.") < c("The food was good."));
        assert!(c("The food was GOOD.") > c("The food was good."));
        assert!(c("The food was good!!") > c("The food was good."));
    }

    #[test]
    fn but_weighs_the_second_half() {
        // good 1.9, terrible -2.5: 0.5·1.9 − 1.5·2.5 < 0, while plain sum 1.9 − 2.5 is milder.
        let but = c("The food was good but the service was terrible.");
        let and = c("The food was good and the service was terrible.");
        assert!(but < and && but < 0.0);
        let reverse = c("The service was terrible but the food was good.");
        assert!(reverse > 0.0);
    }

    #[test]
    fn compound_stays_within_bounds_and_empty_is_zero() {
        assert_eq!(c(""), 0.0);
        assert_eq!(c("   \n "), 0.0);
        assert_eq!(c("The flight is at 9."), 0.0);
        assert!(sentiment("").sentences.is_empty());
        let great = "GREAT GREAT AMAZING wonderful love love best!!!! ".repeat(50);
        let awful = "TERRIBLE horrible awful hate worst!!!! ".repeat(50);
        for text in [great.as_str(), awful.as_str()] {
            let s = sentiment(text);
            assert!((-1.0..=1.0).contains(&s.compound));
            assert!(
                s.sentences
                    .iter()
                    .all(|x| (-1.0..=1.0).contains(&x.compound))
            );
        }
        assert!(c(&great) > 0.99 && c(&awful) < -0.99);
    }

    #[test]
    fn mentions_take_their_sentence() {
        let text = "The food was not good. The staff were great.";
        let staff = text.find("staff").unwrap();
        let food = text.find("food").unwrap();
        assert!(mention_sentiment(text, food) < 0.0);
        assert!(mention_sentiment(text, staff) > 0.0);
        let s = sentiment(text);
        assert_eq!(
            &text[s.sentences[1].start..s.sentences[1].end],
            "The staff were great."
        );
    }

    #[test]
    fn emoticons_emoji_mentions_and_urls() {
        assert!(c("@united thanks :)") > 0.0);
        assert!(c("flight 2 hours late :(") < 0.0);
        assert!(c("my flight 😠") < 0.0);
        // VADER's lexicon rates "united" +1.8; a mention is not a word.
        assert_eq!(c("@united flight 123 http://t.co/x?good=1"), 0.0);
        // Sentences split inside a token at "!!" or "...".
        assert_eq!(sentiment("not bad...great").sentences.len(), 2);
        assert!(c("Don\u{2019}t like it") < 0.0);
    }

    #[test]
    fn labels_use_vaders_thresholds() {
        assert_eq!(Label::of(0.05), Label::Positive);
        assert_eq!(Label::of(-0.05), Label::Negative);
        assert_eq!(Label::of(0.0499), Label::Neutral);
        assert_eq!(Label::Neutral.as_str(), "neutral");
    }
}
