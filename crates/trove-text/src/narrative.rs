//! Contact-centre narratives: the customer's story in five parts, "I was trying to *goal*
//! because *reason*, and I expected *expectation*, but *what happened*, and now *consequence*",
//! each found by its cue words and read up to the end of its clause, with its byte span in
//! the text so a person can check it.
//!
//! The teller is the customer ("I", "we") or, in an agent's note, the customer in the third
//! person ("caller", "customer", "he", "she", "they").
//!
//! The cues are deliberately narrow (precision before recall: a part is only reported when its
//! cue says what it is). A part's text runs from just after its cue to the first of: a
//! sentence end (`.`, `!`, `?`, a line break), `;`, a comma followed by another part's cue, or
//! another part's cue itself; parts shorter than two words are dropped. Each part is reported
//! once per item (its first occurrence).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// The five parts of a narrative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// What the customer was trying to do.
    Goal,
    /// Why.
    Reason,
    /// What they expected.
    Expectation,
    /// What happened instead.
    Happened,
    /// What it means for them now.
    Consequence,
}

impl Part {
    /// Every part, in the story's order.
    pub const ALL: [Part; 5] = [
        Part::Goal,
        Part::Reason,
        Part::Expectation,
        Part::Happened,
        Part::Consequence,
    ];

    /// Its name, as commands and pages show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Goal => "goal",
            Self::Reason => "reason",
            Self::Expectation => "expectation",
            Self::Happened => "happened",
            Self::Consequence => "consequence",
        }
    }

    /// The words that introduce it in the story's sentence.
    pub fn lead(self) -> &'static str {
        match self {
            Self::Goal => "trying to",
            Self::Reason => "because",
            Self::Expectation => "expected",
            Self::Happened => "but",
            Self::Consequence => "now",
        }
    }
}

/// One part found: its kind, its text and its byte range in the item's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// Which part.
    pub part: Part,
    /// Its text (the clause after the cue), trimmed.
    pub text: String,
    /// Where that text is, in bytes.
    pub start: usize,
    /// The end of that text, in bytes.
    pub end: usize,
}

/// The cues of each part. A part's text begins where its cue's match ends, or at the cue's
/// empty group `at` when it has one (the subject after "since" or "now" belongs to the part).
const CUES: [(Part, &str); 5] = [
    (
        Part::Goal,
        r"(?i)\b(?:(?:i|we|he|she|they|customer|caller|client)\s+(?:was|were|is|am|are|has\s+been|have\s+been|had\s+been|'m|'s|'ve\s+been)\s+(?:trying|attempting|hoping)\s+to|(?:i|we|he|she|they|customer|caller|client)\s+(?:tried|wanted|needed|attempted)\s+to|in\s+order\s+to)\s+",
    ),
    (
        Part::Reason,
        r"(?i)\b(?:because(?:\s+of)?|due\s+to|since\s+(?P<at>)(?:i|we|my|our|the|it)\b)\s*",
    ),
    (
        Part::Expectation,
        r"(?i)\b(?:(?:i|we|he|she|they|customer|caller|client)\s+(?:expected|was\s+expecting|were\s+expecting|thought|assumed|was\s+told|were\s+told|was\s+promised|were\s+promised)|(?:was|were|is|are)\s+supposed\s+to|should\s+have)\s+",
    ),
    (
        Part::Happened,
        r"(?i)(?:\bbut\s+(?:instead\s+)?|\bhowever,?\s+)",
    ),
    (
        Part::Consequence,
        r"(?i)(?:(?:\b(?:and|so)\s+|,\s*|^|[.!?]\s+)now,?\s+(?P<at>)(?:i|we|my|our|i'm|i've|it|they|the|he|she|his|her|their|customer|caller)\b|\bas\s+a\s+result,|\bwhich\s+means|\b(?:i|we|he|she|they|customer|caller)\s+(?:had|has|have|will\s+have)\s+to\b)\s*",
    ),
];

static PATTERNS: LazyLock<Vec<(Part, Regex)>> = LazyLock::new(|| {
    CUES.iter()
        .map(|(part, pattern)| (*part, Regex::new(pattern).expect("a valid cue pattern")))
        .collect()
});

/// Where every cue of every part starts, for cutting a part's text short at the next one.
fn cue_starts(text: &str) -> Vec<usize> {
    let mut starts: Vec<usize> = PATTERNS
        .iter()
        .flat_map(|(_, pattern)| pattern.find_iter(text).map(|m| m.start()))
        .collect();
    starts.sort_unstable();
    starts
}

/// The most words a part keeps: run-on complaints go on for a hundred words, and the part is
/// its first clause.
const MAX_WORDS: usize = 25;

/// `words` cut to its first clause (at a comma after at least four words) when it is longer
/// than [`MAX_WORDS`], then to [`MAX_WORDS`] words.
fn first_clause(words: &str) -> &str {
    if words.split_whitespace().count() <= MAX_WORDS {
        return words;
    }
    let mut seen = 0;
    for (at, c) in words.char_indices() {
        if c == ' ' {
            seen += 1;
            if seen >= MAX_WORDS {
                return words[..at].trim_end_matches(',');
            }
        } else if c == ',' && seen >= 4 {
            return &words[..at];
        }
    }
    words
}

/// Where a goal ends early: "trying to upload the photos and the page fails" holds a goal and
/// what happened.
static GOAL_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i),?\s+and\s+(?:the|it|i|they|my|nothing|no\s+one)\b").expect("a valid pattern")
});

/// Whether a cue's words mean something else after what precedes them: "nothing but" and
/// "including but not limited" are not a contrast, "three months since I paid" is not a
/// reason.
fn not_a_cue(before: &str, cue: &str) -> bool {
    let previous = before
        .trim_end()
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let cue = cue.trim_start().to_lowercase();
    (cue.starts_with("but")
        && ["nothing", "anything", "including", "include"].contains(&previous.as_str()))
        || (cue.starts_with("since")
            && ["days", "weeks", "months", "years", "ever", "long", "time"]
                .contains(&previous.as_str()))
}

/// The end of the clause that starts at `from`: a sentence end, `;`, or the next cue.
fn clause_end(text: &str, from: usize, cues: &[usize]) -> usize {
    let sentence = text[from..]
        .find(['.', '!', '?', ';', '\n'])
        .map_or(text.len(), |at| from + at);
    let next_cue = cues
        .iter()
        .copied()
        .find(|&at| at > from)
        .unwrap_or(text.len());
    let mut end = sentence.min(next_cue);
    // "... the form, but it failed": the comma before the next cue belongs to neither.
    while end > from && text[..end].ends_with([',', ' ', '-']) {
        end -= 1;
    }
    end
}

/// The parts of a narrative found in `text`, in the order of the text.
pub fn extract(text: &str) -> Vec<Found> {
    let cues = cue_starts(text);
    let mut found: Vec<Found> = Vec::new();
    for (part, pattern) in PATTERNS.iter() {
        for cue in pattern.captures_iter(text) {
            let whole = cue.get(0).expect("a match has its whole");
            if not_a_cue(&text[..whole.start()], &text[whole.start()..whole.end()]) {
                continue;
            }
            let start = cue.name("at").map_or(whole.end(), |at| at.start());
            let mut end = clause_end(text, start, &cues);
            if *part == Part::Goal
                && let Some(and) = GOAL_END.find(&text[start..end])
            {
                end = start + and.start();
            }
            let Some(words) = text.get(start..end) else {
                continue;
            };
            // Trim the span itself, so that it points at exactly the reported text.
            let lead = words.len() - words.trim_start().len();
            let (start, words) = (start + lead, first_clause(words.trim()));
            if words.split_whitespace().count() < 2 {
                continue;
            }
            found.push(Found {
                part: *part,
                text: words.to_owned(),
                start,
                end: start + words.len(),
            });
            break;
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// The story in one sentence, from the parts found ("trying to upload a claim document,
/// expected a confirmation, but the page timed out, and now they call").
pub fn story(parts: &[Found]) -> String {
    let mut ordered: Vec<&Found> = parts.iter().collect();
    ordered.sort_by_key(|f| f.part);
    ordered
        .iter()
        .map(|f| format!("{} {}", f.part.lead(), f.text))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<(Part, &str)> {
        extract(text)
            .into_iter()
            .map(|f| {
                assert_eq!(&text[f.start..f.end], f.text, "the span is the text");
                (f.part, &text[f.start..f.end])
            })
            .collect()
    }

    #[test]
    fn a_whole_story_is_read_part_by_part() {
        let text = "I was trying to upload my claim documents because the adjuster asked for them. \
                    I expected a confirmation e-mail, but the page timed out twice, and now I have \
                    to call every day.";
        assert_eq!(
            parts(text),
            vec![
                (Part::Goal, "upload my claim documents"),
                (Part::Reason, "the adjuster asked for them"),
                (Part::Expectation, "a confirmation e-mail"),
                (Part::Happened, "the page timed out twice"),
                (Part::Consequence, "I have to call every day"),
            ]
        );
        let found = extract(text);
        assert_eq!(
            story(&found),
            "trying to upload my claim documents, because the adjuster asked for them, \
             expected a confirmation e-mail, but the page timed out twice, now I have to call every day"
        );
    }

    #[test]
    fn cues_are_narrow_and_parts_need_two_words() {
        assert!(extract("Great service, thank you!").is_empty());
        assert!(extract("but no.").is_empty(), "one word is not a part");
        // "since" only as a reason when a subject follows, not "since March".
        assert_eq!(
            parts(
                "Since March the app crashes. I was supposed to get a refund since I paid twice."
            ),
            vec![
                (Part::Expectation, "get a refund"),
                (Part::Reason, "I paid twice"),
            ]
        );
        assert_eq!(
            parts("I needed to change my address, however, the website kept logging me out"),
            vec![
                (Part::Goal, "change my address"),
                (Part::Happened, "the website kept logging me out"),
            ]
        );
    }

    #[test]
    fn a_run_on_part_is_cut_to_its_first_clause() {
        let long = "but they said the payment was received on time, applied to the wrong account, \
                    reversed twice and then sent to collections without any notice to me at all";
        let found = parts(long);
        assert_eq!(
            found,
            vec![(Part::Happened, "they said the payment was received on time")]
        );
        assert!(
            parts("we had told them twice").is_empty(),
            "\"had to\" is not in \"had told\""
        );
    }

    #[test]
    fn narrow_cues_leave_out_what_is_not_a_story() {
        assert!(
            parts("They kept me on the phone for an hour instead of just cancelling it.")
                .is_empty()
        );
        assert!(
            parts("Claim approved, money not received, 6 weeks now I have sent every form.")
                .is_empty()
        );
        assert_eq!(
            parts("I tried to upload photos of the damage and the page just fails."),
            vec![(Part::Goal, "upload photos of the damage")]
        );
    }

    #[test]
    fn words_that_look_like_cues_are_not_taken_for_them() {
        assert!(parts("Every rep could do nothing but read a script to me.").is_empty());
        assert!(parts("It has been three months since I fulfilled the terms.").is_empty());
        assert!(parts("The accounts are reporting as a result of identity theft.").is_empty());
        assert_eq!(
            parts("As a result, my credit score dropped by 80 points."),
            vec![(Part::Consequence, "my credit score dropped by 80 points")]
        );
    }

    #[test]
    fn each_part_is_reported_once_at_its_first_occurrence() {
        assert_eq!(
            parts(
                "I tried to pay the bill, but it failed. I tried to pay again, but it failed again."
            ),
            vec![(Part::Goal, "pay the bill"), (Part::Happened, "it failed")]
        );
    }
}
