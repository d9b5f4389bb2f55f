//! The question an answer replies to, and what it changes in the answer's sentiment.
//!
//! A survey's free-text answer means little without its question: "Nothing" in answer to
//! "What could we improve?" is praise, and "more respect, more compassion" is a suggestion, not
//! the warm comment a lexicon reads in it (+0.92). A source declares its question's kind
//! ([`QuestionKind`]) and [`answer`] reads an answer with it:
//!
//! - **improve** ("What could we improve?"): a *nothing to improve* answer ([`NOTHING`], matched
//!   on the whole normalised answer, never a substring, so "nothing works" stays what it is)
//!   scores [`NOTHING_TO_IMPROVE`] (positive); a suggestion (a clause with a do-more or
//!   do-less cue of [`crate::cues`]: "more X", "please add", "could you", "should offer")
//!   scored positive is brought to neutral (0), while a suggestion scored negative keeps its
//!   score (a complaint worded as advice is still a complaint);
//! - **praise** ("What did you like?"): a *nothing* answer scores [`NOTHING_TO_PRAISE`]
//!   (negative: nothing was liked);
//! - **open**: the score is left alone.
//!
//! Whatever the kind, a suggestion is reported ([`Answer::suggestion`]) with the words that
//! made it one. An answer's normalised form is lowercased, with typographic apostrophes made
//! plain, every character other than a letter, a digit, `'` or `/` made a space, spaces
//! collapsed, and a trailing "thanks" / "thank you" dropped ("Nothing, thank you!" is
//! "nothing").

pub use trove_domain::QuestionKind;

use crate::cues::{Advice, clause_cues};

/// The answers that say "nothing" (to improve, or to praise), in normalised form.
pub const NOTHING: &[&str] = &[
    "nothing",
    "nothing really",
    "nothing at all",
    "nothing else",
    "nothing to improve",
    "nothing to add",
    "nothing to say",
    "nothing comes to mind",
    "nothing i can think of",
    "nothing needs improving",
    "nothing needs to be improved",
    "no",
    "nope",
    "none",
    "nil",
    "n/a",
    "na",
    "no comment",
    "no comments",
    "no improvement",
    "no improvements",
    "no improvement needed",
    "no improvements needed",
    "no suggestions",
    "no complaints",
    "not really",
    "not a thing",
    "all good",
    "all fine",
    "all was good",
    "all was fine",
    "it was all good",
    "can't think of anything",
    "cannot think of anything",
    "i can't think of anything",
    "i cannot think of anything",
    "nothing it was perfect",
    "nothing everything was perfect",
    "nothing everything was fine",
    "nothing everything was great",
    "nothing all good",
];

/// The score of a nothing-to-improve answer: positive, as mild as a plain "good" (VADER 0.44).
pub const NOTHING_TO_IMPROVE: f64 = 0.44;
/// The score of a nothing-to-praise answer: negative, the mirror of [`NOTHING_TO_IMPROVE`].
pub const NOTHING_TO_PRAISE: f64 = -0.44;

/// An answer read with its question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The sentiment after the question's rules, in -1..1.
    pub sentiment: f64,
    /// The answer says "nothing" (one of [`NOTHING`]).
    pub nothing: bool,
    /// The words that make the answer a suggestion, if it is one.
    pub suggestion: Option<String>,
}

/// An answer's normalised form (see the module's documentation).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = if c == '’' || c == '‘' { '\'' } else { c };
        if c.is_alphanumeric() || c == '\'' || c == '/' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let mut out = out.trim_end().to_owned();
    for polite in [" thank you", " thanks", " thankyou"] {
        if let Some(kept) = out.strip_suffix(polite) {
            out = kept.trim_end().to_owned();
        }
    }
    out
}

/// Whether an answer says "nothing" (its normalised form is one of [`NOTHING`]).
pub fn says_nothing(text: &str) -> bool {
    let normalised = normalise(text);
    NOTHING.contains(&normalised.as_str())
}

/// The words that make `text` a suggestion: the first do-more or do-less cue of its clauses.
pub fn suggestion(text: &str) -> Option<String> {
    clause_cues(text).into_iter().find_map(|c| match c.advice {
        Some((Advice::DoMore | Advice::DoLess, words)) => Some(words),
        _ => None,
    })
}

/// Reads an answer to a question of `kind` whose text scored `sentiment` (see the module's
/// documentation for the rules).
pub fn answer(kind: QuestionKind, text: &str, sentiment: f64) -> Answer {
    let nothing = kind != QuestionKind::Open && says_nothing(text);
    let suggestion = if nothing { None } else { suggestion(text) };
    let sentiment = match kind {
        QuestionKind::Improve if nothing => NOTHING_TO_IMPROVE,
        QuestionKind::Praise if nothing => NOTHING_TO_PRAISE,
        QuestionKind::Improve if suggestion.is_some() => sentiment.min(0.0),
        _ => sentiment,
    };
    Answer {
        sentiment,
        nothing,
        suggestion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentiment::{Label, sentiment};

    fn improve(text: &str) -> Answer {
        answer(QuestionKind::Improve, text, sentiment(text).compound)
    }

    #[test]
    fn nothing_to_improve_is_positive_on_the_whole_answer_only() {
        for text in [
            "Nothing",
            "nothing.",
            "No",
            "N/A",
            "n/a",
            "None!",
            "All good",
            "Nothing, thank you!",
            "Nothing to improve",
            "nothing really",
            "Can’t think of anything",
        ] {
            let read = improve(text);
            assert!(read.nothing, "{text}");
            assert_eq!(Label::of(read.sentiment), Label::Positive, "{text}");
        }
        // The lexicon alone reads these as neutral or negative.
        assert_eq!(sentiment("Nothing").label(), Label::Neutral);
        assert_eq!(sentiment("No").label(), Label::Negative);
        // Not the whole answer: left to the scorer.
        for text in [
            "Nothing works",
            "no one answered the phone",
            "nothing was explained",
        ] {
            let read = improve(text);
            assert!(!read.nothing, "{text}");
            assert!(read.sentiment <= 0.0, "{text}: {}", read.sentiment);
        }
    }

    #[test]
    fn suggestions_are_marked_and_not_scored_as_praise() {
        let kind = "more respect, more compassion";
        assert!(sentiment(kind).compound > 0.5, "the lexicon reads praise");
        let read = improve(kind);
        assert_eq!(read.suggestion.as_deref(), Some("more"));
        assert_eq!(Label::of(read.sentiment), Label::Neutral);
        for text in [
            "Please add more parking spaces",
            "Could you call back when you promise to",
            "The nurses should listen to patients more",
            "It would be nice to have better food",
        ] {
            let read = improve(text);
            assert!(read.suggestion.is_some(), "{text}");
            assert!(read.sentiment <= 0.0, "{text}: {}", read.sentiment);
        }
        // A complaint worded as advice keeps its negative score.
        let angry = "Stop sending me useless letters, this is awful";
        let read = improve(angry);
        assert!(read.suggestion.is_some());
        assert_eq!(read.sentiment, sentiment(angry).compound);
        assert!(read.sentiment < 0.0);
        // Praise is not a suggestion.
        assert!(improve("The staff were wonderful").suggestion.is_none());
    }

    #[test]
    fn the_other_kinds() {
        let praise = answer(QuestionKind::Praise, "Nothing.", 0.0);
        assert!(praise.nothing);
        assert_eq!(Label::of(praise.sentiment), Label::Negative);
        let open = answer(QuestionKind::Open, "Nothing", 0.0);
        assert!(!open.nothing);
        assert_eq!(open.sentiment, 0.0);
        // An open question keeps a suggestion's score but still marks it.
        let open = answer(QuestionKind::Open, "more parking please", 0.3);
        assert_eq!((open.sentiment, open.suggestion.is_some()), (0.3, true));
        assert_eq!(normalise("  Nothing,  thanks!! "), "nothing");
        assert_eq!(QuestionKind::parse("improve"), Some(QuestionKind::Improve));
        assert_eq!(QuestionKind::parse("better"), None);
    }
}
