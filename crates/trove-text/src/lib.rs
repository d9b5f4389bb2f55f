//! Trove's text engine: it turns free text into the themes of an analyst's taxonomy.
//!
//! - [`cues`]: expectations (unmet / validated) and do more / do less / keep doing, per clause;
//! - [`question`]: the question an answer replies to (improve / praise / open): "nothing" to
//!   an improvement question is positive, suggestions are marked and not scored as praise;
//! - [`normalize`]: Unicode word segmentation, lowercasing, English Snowball stemming, with byte
//!   offsets, sentences, clauses and negators per token;
//! - [`taxonomy`]: the TOML file an analyst edits (hierarchical themes with phrases, keywords,
//!   exclusions, negation, journey stage and departments), its validation, diff and export;
//! - [`sentiment`](mod@sentiment): VADER's lexicon and rules scored sentence by sentence, per
//!   text and per theme mention; in the same pass, on request, the hashed n-gram
//!   [`features`] a learned sentiment model reads;
//! - [`tagger`]: the taxonomy compiled into one Aho-Corasick automaton that tags a text with all
//!   its themes in one pass, each tag with the phrase that matched and where.
//!
//! Pure and deterministic: no IO, no store; it depends on `trove-domain` only.

mod cache;
pub mod cues;
pub mod features;
pub mod narrative;
pub mod normalize;
pub mod question;
pub mod sentiment;
pub mod tagger;
pub mod taxonomy;

pub use cues::{Advice, ClauseCues, Expectation, clause_cues, is_suggestion};
pub use normalize::{Normalizer, Token};
pub use question::QuestionKind;
pub use sentiment::{
    Label, SentenceScore, Sentiment, SentimentScorer, mention_sentiment, sentiment,
};
pub use tagger::{Scratch, Tag, Tagger};
pub use taxonomy::{Taxonomy, TaxonomyDiff, TaxonomyError, ThemeChange, ThemeDef, diff};
