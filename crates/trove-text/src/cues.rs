//! Expectations and validations, and do more / do less / keep doing: each clause of a comment
//! classified by cue patterns.
//!
//! An **expectation** is what the customer expected and did not get ("I expected…", "should
//! have…", "was supposed to…", "I wish…"); a **validation** is what met or beat expectations
//! ("worked great", "exactly what I needed", "thank you for…"). Independently, a clause may ask
//! the company to **do more** ("please add…", "would be nice if…"), **do less** ("stop
//! sending…", "too many…") or **keep doing** ("keep up the good work", "love that…").
//!
//! Clauses are split at sentence ends (`.`, `!`, `?`, line breaks), `;`, and before "but", so
//! "great crew but the seat was supposed to recline" yields a validation and an expectation.
//! Patterns are matched case-insensitively on word boundaries; the first pattern of each kind
//! that matches a clause is reported with its byte range, so a person can see why.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Regex, RegexSet, bytes};
use regex_automata::{Input, PatternSet, meta};
use serde::Serialize;

/// What a clause says about expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Something expected and not received.
    Unmet,
    /// Something that met or beat expectations.
    Validated,
}

/// What a clause asks the company to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Advice {
    /// Do more of something, or add it.
    DoMore,
    /// Do less of something, or stop it.
    DoLess,
    /// Keep doing something.
    KeepDoing,
}

/// One clause with the cues found in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClauseCues {
    /// Byte offset of the clause in the text.
    pub start: usize,
    /// Byte offset just past the clause.
    pub end: usize,
    /// Its expectation cue, if any, with the matched words.
    pub expectation: Option<(Expectation, String)>,
    /// Its advice cue, if any, with the matched words.
    pub advice: Option<(Advice, String)>,
}

const UNMET: &[&str] = &[
    r"\b(i|we) (had )?expected\b",
    r"\bexpected (better|more)\b",
    r"\bshould (have|'ve|of)\b",
    r"\bshould['’]ve\b",
    r"\bsupposed too?\b",
    r"\b(i|we) (wish|hoped|thought)\b",
    r"\b(was|were) (promised|told)\b",
    r"\bwould have (liked|appreciated|expected)\b",
    r"\bnot what (i|we) (expected|paid for|ordered)\b",
];
const VALIDATED: &[&str] = &[
    r"\b(worked|works|went) (great|perfectly|well|smoothly|fine)\b",
    r"\bexactly what (i|we) (needed|wanted|expected)\b",
    r"\bas (promised|expected|advertised)\b",
    r"\b(exceeded|beat|met) (my|our) expectations\b",
    r"\bthank(s| you) for\b",
    r"\b(great|excellent|amazing|awesome|fantastic|wonderful) (job|service|crew|staff|work|experience|flight)\b",
    r"\b(love|loved|like|liked) (that|the|how|your)\b",
];
const DO_MORE: &[&str] = &[
    r"\bplease (add|offer|bring|consider|make|give|provide|put)\b",
    r"\bwould be (nice|great|good|helpful)\b",
    r"\byou should (add|offer|have|provide|consider|make)\b",
    r"\b(need|want) (more|better)\b",
    r"\b(add|offer) (an? )?(option|way)\b",
    r"\bwish (you|there) (would|was|were|had)\b",
    // Suggestions in answer to "what could we improve?": "more respect, more compassion",
    // "could you open earlier", "staff should listen".
    r"^\W*(more|better|faster|quicker|clearer|cheaper|shorter|improve|add|provide|offer|hire|allow)\b",
    r"\bcould (you|we|they)\b",
    r"\bshould (be|add|offer|provide|make|try|consider|give|get|hire|improve|listen|allow|let|have more|have better)\b",
];
const DO_LESS: &[&str] = &[
    r"\b(please )?stop (sending|charging|making|calling|emailing|cancell?ing|spamming|changing)\b",
    r"\b(too many|too much)\b",
    r"\b(quit|no more) \w+ing\b",
    r"\bdon['’]?t (send|charge|call|email|make) (me|us)\b",
    r"\bfewer\b",
];
const KEEP_DOING: &[&str] = &[
    r"\bkeep (up|it up|doing|going|the)\b",
    r"\bnever change\b",
    r"\b(love|loved) (that|the way|how)\b",
    r"\bcontinue (to|the)\b",
];

struct Patterns<T> {
    set: RegexSet,
    each: Vec<Regex>,
    kinds: Vec<T>,
}

impl<T: Copy> Patterns<T> {
    fn new(groups: &[(T, &[&str])]) -> Self {
        let mut sources = Vec::new();
        let mut kinds = Vec::new();
        for (kind, patterns) in groups {
            for pattern in *patterns {
                sources.push(format!("(?i){pattern}"));
                kinds.push(*kind);
            }
        }
        // The patterns are constants of this module, each compiled in its tests.
        let set = RegexSet::new(&sources).expect("the cue patterns are valid");
        let each = sources
            .iter()
            .map(|s| Regex::new(s).expect("the cue patterns are valid"))
            .collect();
        Self { set, each, kinds }
    }

    /// The first pattern that matches, its kind and the matched words.
    fn first(&self, clause: &str) -> Option<(T, String)> {
        let index = self.set.matches(clause).into_iter().next()?;
        let found = self.each.get(index)?.find(clause)?;
        Some((self.kinds[index], found.as_str().to_owned()))
    }
}

static EXPECTATIONS: LazyLock<Patterns<Expectation>> = LazyLock::new(|| {
    Patterns::new(&[
        (Expectation::Unmet, UNMET),
        (Expectation::Validated, VALIDATED),
    ])
});
static ADVICE: LazyLock<Patterns<Advice>> = LazyLock::new(|| {
    Patterns::new(&[
        (Advice::DoLess, DO_LESS),
        (Advice::KeepDoing, KEEP_DOING),
        (Advice::DoMore, DO_MORE),
    ])
});
static CLAUSE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[.!?;\n]+|\s+but\s+").expect("a valid constant pattern"));

/// The do-more and do-less patterns, each unanchored (`^\W*` made `\b`), in one set: a text none of them
/// matches has no suggestion in any clause, so most texts are settled by one pass ([`is_suggestion`]
/// runs them compiled for ASCII: this is their definition, for the tests).
#[cfg(test)]
static ADVICE_ANYWHERE: LazyLock<RegexSet> = LazyLock::new(|| {
    let anywhere = [DO_LESS, DO_MORE]
        .concat()
        .iter()
        .map(|p| format!("(?i){}", p.replace(r"^\W*", r"\b")))
        .collect::<Vec<_>>();
    RegexSet::new(anywhere).expect("the cue patterns are valid")
});

/// Whether a clause of `text` asks the company to do more or less (its first advice cue is
/// do more or do less): `question::suggestion(text).is_some()`, without building the clauses'
/// reports, as import and re-tagging ask it of every text.
pub fn is_suggestion(text: &str) -> bool {
    ASCII_ADVICE.asks_more_or_less(&ascii_stand_in(text))
}

/// The patterns [`is_suggestion`] runs, compiled for ASCII text (`(?-u)`: ASCII word
/// boundaries and case), which on ASCII text match exactly as the Unicode ones do. Unicode
/// word boundaries and classes make the regular expressions give up their lazy DFA for
/// their slowest engine, even on ASCII text once the DFA's cache fills: that was a fifth of
/// reading each imported text.
///
/// They run without the literal prefilter `regex` puts in front of them. Their first words
/// ("more", "could", "should", "add"...) are common, so the prefilter stopped every few words
/// and started the automaton there; the automaton alone reads each byte once. On 172,695 real
/// texts (24 MB) the first pass (is any do-more or do-less pattern in the text?) took 48-53 ms
/// instead of 255-342 (a prefilter never changes what matches).
struct AsciiAdvice {
    /// [`ADVICE_ANYWHERE`]'s patterns.
    anywhere: meta::Regex,
    /// [`ADVICE`]'s patterns, in its order, every one of them reported (as a set).
    set: meta::Regex,
    /// Whether each of them is do more or do less.
    suggests: Vec<bool>,
    /// [`CLAUSE_END`].
    clause_end: bytes::Regex,
}

/// `patterns` as one automaton without a prefilter, over bytes as `regex::bytes` reads them
/// (`(?-u)\W` may match a byte that is not UTF-8); `all`: every pattern that matches is
/// reported (as `RegexSet` does), not only the leftmost first.
fn without_prefilter(patterns: &[String], all: bool) -> meta::Regex {
    let kind = if all {
        regex_automata::MatchKind::All
    } else {
        regex_automata::MatchKind::LeftmostFirst
    };
    meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(
            meta::Config::new()
                .auto_prefilter(false)
                .utf8_empty(false)
                .match_kind(kind),
        )
        .build_many(patterns)
        // The patterns are constants of this module, compiled in its tests.
        .expect("the cue patterns are valid")
}

static ASCII_ADVICE: LazyLock<AsciiAdvice> = LazyLock::new(|| {
    // The stand-in writes `’` as `'`.
    let ascii = |pattern: &str| format!("(?i-u){}", pattern.replace("['’]", "'"));
    let groups = [
        (Advice::DoLess, DO_LESS),
        (Advice::KeepDoing, KEEP_DOING),
        (Advice::DoMore, DO_MORE),
    ];
    let each = groups
        .iter()
        .flat_map(|(kind, patterns)| patterns.iter().map(move |p| (*kind, ascii(p))));
    let (kinds, sources): (Vec<Advice>, Vec<String>) = each.unzip();
    let anywhere = [DO_LESS, DO_MORE]
        .concat()
        .iter()
        .map(|p| ascii(&p.replace(r"^\W*", r"\b")))
        .collect::<Vec<_>>();
    AsciiAdvice {
        anywhere: without_prefilter(&anywhere, false),
        set: without_prefilter(&sources, true),
        suggests: kinds
            .iter()
            .map(|kind| matches!(kind, Advice::DoMore | Advice::DoLess))
            .collect(),
        clause_end: bytes::Regex::new(r"(?i-u)[.!?;\n]+|\s+but\s+")
            .expect("a valid constant pattern"),
    }
});

impl AsciiAdvice {
    /// [`is_suggestion`] on an ASCII text.
    fn asks_more_or_less(&self, text: &str) -> bool {
        debug_assert!(text.is_ascii());
        if !self.anywhere.is_match(text.as_bytes()) {
            return false;
        }
        let mut matched = PatternSet::new(self.set.pattern_len());
        let mut start = 0;
        let ends = self
            .clause_end
            .find_iter(text.as_bytes())
            .map(|m| (m.start(), m.end()))
            .chain([(text.len(), text.len())]);
        for (end, next) in ends {
            let clause = &text[start..end];
            start = next;
            if clause.trim().is_empty() {
                continue;
            }
            matched.clear();
            self.set
                .which_overlapping_matches(&Input::new(clause.as_bytes()), &mut matched);
            // The first pattern in ADVICE's order, as `Patterns::first` takes it.
            if matched.iter().next().is_some_and(|i| self.suggests[i]) {
                return true;
            }
        }
        false
    }
}

/// `text` with each non-ASCII character replaced by an ASCII one that the advice and clause
/// patterns treat alike, so that they run on ASCII: on other text, their Unicode word
/// boundaries make the regular expressions fall back to their slowest engine, which was a
/// fifth of reading each imported text. The stand-in keeps the characters' order, so it has
/// the same clauses and the same matches (at other byte offsets, which a yes or no ignores):
/// - the long s and the Kelvin sign, which the case-insensitive patterns read as `s` and `k`,
///   become those letters, and the typographic apostrophe `’` of `don’t` becomes `'`;
/// - other word characters (as `\w` and `\b` read them) become `_`, a word character no
///   pattern names;
/// - white space becomes a vertical tab (`\s`, which no pattern names but as `\s`), and
///   anything else `#` (neither word nor space, named by no pattern).
fn ascii_stand_in(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let stand_in = text
        .chars()
        .map(|c| match c {
            c if c.is_ascii() => c,
            '\u{17F}' => 's',
            '\u{212A}' => 'k',
            '\u{2019}' => '\'',
            c if regex_syntax::is_word_character(c) => '_',
            c if c.is_whitespace() => '\u{B}',
            _ => '#',
        })
        .collect();
    Cow::Owned(stand_in)
}

/// The clauses of `text` that carry a cue (clauses without one are left out).
pub fn clause_cues(text: &str) -> Vec<ClauseCues> {
    let mut cues = Vec::new();
    let mut start = 0;
    let ends = CLAUSE_END
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .chain([(text.len(), text.len())]);
    for (end, next) in ends {
        let clause = &text[start..end];
        if !clause.trim().is_empty() {
            let expectation = EXPECTATIONS.first(clause);
            let advice = ADVICE.first(clause);
            if expectation.is_some() || advice.is_some() {
                cues.push(ClauseCues {
                    start,
                    end,
                    expectation,
                    advice,
                });
            }
        }
        start = next;
    }
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Option<Expectation>, Option<Advice>)> {
        clause_cues(text)
            .into_iter()
            .map(|c| (c.expectation.map(|e| e.0), c.advice.map(|a| a.0)))
            .collect()
    }

    #[test]
    fn suggestions_are_told_apart_from_other_advice_and_plain_comments() {
        for text in [
            "More respect, more compassion",
            "Please add a tracking page!",
            "Great crew. Could you open earlier?",
            "Stop sending me emails",
            "staff should listen",
        ] {
            assert!(is_suggestion(text), "{text}");
        }
        for text in [
            "Keep up the good work",
            "The staff were wonderful",
            "I want a refund",
            "",
            "The seat should have reclined",
        ] {
            assert!(!is_suggestion(text), "{text}");
        }
    }

    /// [`is_suggestion`] as the Unicode patterns read the text itself (the definition).
    fn asks_more_or_less(text: &str) -> bool {
        if !ADVICE_ANYWHERE.is_match(text) {
            return false;
        }
        clauses(text).any(|clause| {
            ADVICE
                .set
                .matches(clause)
                .into_iter()
                .next()
                .is_some_and(|i| matches!(ADVICE.kinds[i], Advice::DoMore | Advice::DoLess))
        })
    }

    /// The non-blank clauses of `text` (see the module's documentation).
    fn clauses(text: &str) -> impl Iterator<Item = &str> {
        let mut start = 0;
        CLAUSE_END
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .chain([(text.len(), text.len())])
            .filter_map(move |(end, next)| {
                let clause = &text[start..end];
                start = next;
                (!clause.trim().is_empty()).then_some(clause)
            })
    }

    #[test]
    fn the_ascii_stand_in_reads_as_the_text_itself() {
        for text in [
            "Please add more flights 😡",
            "Ple\u{17F}e \u{17F}top sending me emails ✈️",
            "Stop \u{17F}ending me emails, thanks 🙂",
            "don’t send me offers 🙄",
            "too\u{A0}many emails 🙄",
            "été: too many emails",
            "étoo many emails",
            "no more éing ✈",
            "Café — could you open earlier?",
            "« plus » — more respect",
            "Great crew…\u{2028}but please add wifi",
        ] {
            assert_eq!(is_suggestion(text), asks_more_or_less(text), "{text:?}");
        }
        assert!(is_suggestion("Ple\u{17F}e \u{17F}top sending me emails ✈️"));
        assert!(!is_suggestion("étoo many emails"));
        assert!(is_suggestion("don’t send me offers 🙄"));
    }

    #[test]
    fn the_ascii_stand_in_reads_every_real_text_as_the_text_itself() {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
        let sets = [
            ("airline-tweets/Tweets.csv", "text"),
            (
                "cfpb-sample/complaints_sample.csv",
                "Consumer complaint narrative",
            ),
            ("banking77/train.csv", "text"),
        ];
        let mut non_ascii = 0;
        for (file, column) in sets {
            let path = format!("{data}/{file}");
            let Ok(mut reader) = csv::Reader::from_path(&path) else {
                eprintln!(
                    "skipped: {path} is absent (the shared data sets are not on this machine)"
                );
                continue;
            };
            let headers = reader.headers().expect("a header row").clone();
            let at = headers
                .iter()
                .position(|h| h == column)
                .expect("the text column");
            for record in reader.records() {
                let record = record.expect("a CSV record");
                let text = record.get(at).unwrap_or_default();
                non_ascii += usize::from(!text.is_ascii());
                assert_eq!(
                    is_suggestion(text),
                    asks_more_or_less(text),
                    "{file}: {text:?}"
                );
            }
        }
        eprintln!("{non_ascii} non-ASCII texts compared");
    }

    #[test]
    fn every_pattern_compiles() {
        for pattern in [UNMET, VALIDATED, DO_MORE, DO_LESS, KEEP_DOING].concat() {
            assert!(Regex::new(&format!("(?i){pattern}")).is_ok(), "{pattern}");
        }
        assert_eq!(EXPECTATIONS.each.len(), UNMET.len() + VALIDATED.len());
    }

    // Written in the style of the airline tweets; tests/cues_airline.rs runs on the real ones.
    #[test]
    fn unmet_expectations_are_found_in_real_tweets() {
        let tweet = "@airline Is flight 123 on its way? Was supposed to take off 30 minutes ago.";
        let cues = clause_cues(tweet);
        assert_eq!(cues.len(), 1);
        let (kind, words) = cues[0].expectation.clone().unwrap();
        assert_eq!(kind, Expectation::Unmet);
        assert_eq!(words, "supposed to");
        assert_eq!(
            &tweet[cues[0].start..cues[0].end],
            " Was supposed to take off 30 minutes ago"
        );
        assert_eq!(
            kinds("@airline cancelled and no notification #expected better"),
            vec![(Some(Expectation::Unmet), None)]
        );
    }

    #[test]
    fn advice_is_found_in_real_tweets() {
        assert_eq!(
            kinds("@airline please add more flights to Portland"),
            vec![(None, Some(Advice::DoMore))]
        );
        assert_eq!(
            kinds("@airline it would be nice if my ticket showed up in the system"),
            vec![(None, Some(Advice::DoMore))]
        );
        assert_eq!(
            kinds("@airline - too many apologies! Just fix it!"),
            vec![(None, Some(Advice::DoLess))]
        );
        assert_eq!(
            kinds("@airline Keep up the great work :)"),
            vec![(Some(Expectation::Validated), Some(Advice::KeepDoing))]
        );
    }

    #[test]
    fn a_but_splits_a_validation_from_an_expectation() {
        let cues =
            kinds("Great crew but the seat was supposed to recline. Thank you for the snacks");
        assert_eq!(
            cues,
            vec![
                (Some(Expectation::Validated), None),
                (Some(Expectation::Unmet), None),
                (Some(Expectation::Validated), None)
            ]
        );
    }

    #[test]
    fn plain_comments_carry_no_cue() {
        assert!(clause_cues("My flight left at 9.").is_empty());
        assert!(clause_cues("").is_empty());
    }
}
