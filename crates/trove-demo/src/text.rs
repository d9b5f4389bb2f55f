//! Writes the free text of an item: the theme's words with slots filled, openings and
//! closings in the right tone, the framing of each channel (call notes, chat transcripts,
//! social posts...), and the noise real text has (lowercase, typos, contact details).

use trove_domain::Channel;

use crate::catalog::{AGENTS, HANDLE};
use crate::rng::Rng;
use crate::themes::{GENERAL_SAYS, Kind, ThemeSpec};

/// Values the slots of an item's text are filled with.
pub(crate) struct Slots<'a> {
    pub(crate) product: &'a str,
    pub(crate) agent: &'static str,
    pub(crate) month: &'static str,
    pub(crate) first_name: &'a str,
    pub(crate) email: Option<&'a str>,
}

/// The tone of an item, from its main theme.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tone {
    Negative,
    Positive,
    Neutral,
}

fn tone(theme: Option<&ThemeSpec>) -> Tone {
    match theme.map(|t| t.kind) {
        None => Tone::Neutral,
        Some(Kind::Positive) => Tone::Positive,
        Some(_) => Tone::Negative,
    }
}

const OPEN_NEGATIVE: &[&str] = &[
    "Very disappointed.",
    "Not happy.",
    "I am writing to complain.",
    "Where do I start.",
    "Third time I am raising this.",
    "Honestly, fed up.",
];
const CLOSE_NEGATIVE: &[&str] = &[
    "Please fix this.",
    "Not good enough.",
    "I am considering switching insurer.",
    "Very frustrating.",
    "Sort it out!",
    "I expect better from a company this size.",
    "Will be leaving at renewal.",
    "Thanks in advance for looking into it.",
];
const OPEN_POSITIVE: &[&str] = &[
    "Just wanted to say thanks.",
    "Really pleased.",
    "Credit where it is due.",
];
const CLOSE_POSITIVE: &[&str] = &[
    "Thank you!",
    "Would recommend.",
    "Keep it up.",
    "5 stars.",
    "Will stay with you.",
];
const CLOSE_NEUTRAL: &[&str] = &["Thanks.", "That's all.", "Cheers."];
const JOIN_MORE: &[&str] = &[
    "Also,",
    "On top of that,",
    "And another thing:",
    "Separately,",
];
const JOIN_PLUS: &[&str] = &["On the plus side,", "That said,", "To be fair,"];
const JOIN_MINUS: &[&str] = &["Only downside:", "But", "One complaint though:"];
const CALL_OPEN: &[&str] = &[
    "Inbound call. Customer says:",
    "Caller stated:",
    "Cust called in -",
    "Call notes:",
];
const CALL_CLOSE_NEGATIVE: &[&str] = &[
    "Advised we would escalate.",
    "Advised to allow 5-7 working days.",
    "Explained the complaints process.",
    "Promised a callback within 48 hours.",
    "Pointed customer to the app FAQ.",
    "Logged and closed.",
];
const CALL_CLOSE_OTHER: &[&str] = &[
    "Thanked customer for the feedback.",
    "No further action.",
    "Logged and closed.",
];
const CHAT_REPLY_NEGATIVE: &[&str] = &[
    "I'm sorry to hear that, let me look into it for you.",
    "Thanks for your patience, I have passed this to the right team.",
    "I understand, I have added a note to your account.",
];
const CHAT_REPLY_OTHER: &[&str] = &[
    "Glad to hear it! Is there anything else I can help with?",
    "Thanks for letting us know, have a great day.",
];
const NOTE_OPEN: &[&str] = &[
    "Met customer at the branch office.",
    "Note after policy review call:",
    "Customer mentioned during home visit:",
    "Spoke to customer at the community event.",
];
const RETURN_OPEN: &[&str] = &[
    "Cancelled within the cooling-off period. Reason:",
    "Policy returned in first 14 days:",
];
const TITLE_NEGATIVE: &[&str] = &[
    "Avoid",
    "Disappointed",
    "Terrible service",
    "Frustrating",
    "Not great",
];
const TITLE_POSITIVE: &[&str] = &["Great insurer", "Excellent", "Very happy", "Recommended"];
const TITLE_NEUTRAL: &[&str] = &["OK", "Fine", "Average"];
const TAGS_NEGATIVE: &[&str] = &["#fail", "#customerservice", "#insurance", "#notimpressed"];
const TAGS_POSITIVE: &[&str] = &["#happycustomer", "#insurance", "#thankyou"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The English name of a month (1-12).
pub(crate) fn month_name(month: i8) -> &'static str {
    MONTHS
        .get(usize::try_from(month - 1).unwrap_or(0))
        .copied()
        .unwrap_or("January")
}

/// Writes one slot's value.
fn slot(out: &mut String, key: &str, slots: &Slots<'_>, rng: &mut Rng) {
    use std::fmt::Write as _;
    let _ = match key {
        "amount" => write!(out, "${}", rng.range(3, 30) * 5 - rng.range(0, 1)),
        "big" => write!(out, "${},{:03}", rng.range(1, 14), rng.range(0, 19) * 50),
        "days" => write!(out, "{}", rng.range(3, 40)),
        "weeks" => write!(out, "{}", rng.range(2, 9)),
        "hours" => write!(out, "{}", rng.range(2, 6)),
        "minutes" => write!(out, "{}", rng.range(4, 19) * 5),
        "times" => write!(out, "{}", rng.range(2, 6)),
        "years" => write!(out, "{}", rng.range(2, 25)),
        "pct" => write!(out, "{}", rng.range(12, 48)),
        "ref" => write!(out, "CLM-{:06}", rng.range(100_000, 999_999)),
        "product" => write!(out, "{}", slots.product),
        "agent" => write!(out, "{}", slots.agent),
        "month" => write!(out, "{}", slots.month),
        other => write!(out, "{other}"),
    };
}

/// Appends a template with its slots filled.
fn fill(out: &mut String, template: &str, slots: &Slots<'_>, rng: &mut Rng) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        slot(out, &after[..close], slots, rng);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
}

/// Appends a sentence, separated by a space, lowercasing its first letter when it follows a
/// joining phrase (unless it starts with "I" or a name).
fn sentence(out: &mut String, template: &str, slots: &Slots<'_>, rng: &mut Rng, lower: bool) {
    if !out.is_empty() {
        out.push(' ');
    }
    let start = out.len();
    fill(out, template, slots, rng);
    if lower {
        let first_word: &str = out[start..].split([' ', ',', '\'']).next().unwrap_or("");
        let keep = first_word == "I"
            || AGENTS.contains(&first_word)
            || first_word
                .chars()
                .nth(1)
                .is_some_and(|c| c.is_ascii_uppercase());
        if !keep {
            out[start..start + 1].make_ascii_lowercase();
        }
    }
}

/// The body: what the customer says about the main theme, maybe a detail and another theme.
fn body(
    rng: &mut Rng,
    main: Option<&ThemeSpec>,
    other: Option<&ThemeSpec>,
    slots: &Slots<'_>,
    short: bool,
) -> String {
    let mut out = String::with_capacity(160);
    let Some(main) = main else {
        sentence(&mut out, rng.pick(GENERAL_SAYS), slots, rng, false);
        return out;
    };
    sentence(&mut out, rng.pick(main.says), slots, rng, false);
    if !short && rng.chance(0.4) && !main.details.is_empty() {
        sentence(&mut out, rng.pick(main.details), slots, rng, false);
    }
    if let Some(other) = other {
        let join = match (tone(Some(main)), tone(Some(other))) {
            (Tone::Positive, Tone::Negative) => JOIN_MINUS,
            (Tone::Negative, Tone::Positive) => JOIN_PLUS,
            _ => JOIN_MORE,
        };
        out.push(' ');
        out.push_str(rng.pick(join));
        sentence(&mut out, rng.pick(other.says), slots, rng, true);
    }
    out
}

fn push_line(out: &mut String, line: &str) {
    if line.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(line);
}

/// Writes the whole text of an item for its channel.
pub(crate) fn compose(
    rng: &mut Rng,
    channel: Channel,
    main: Option<&ThemeSpec>,
    other: Option<&ThemeSpec>,
    slots: &Slots<'_>,
) -> String {
    let tone = tone(main);
    let short =
        matches!(channel, Channel::Social | Channel::Chat | Channel::Survey) && rng.chance(0.5);
    let said = body(rng, main, other, slots, short);
    let (open, close) = match tone {
        Tone::Negative => (OPEN_NEGATIVE, CLOSE_NEGATIVE),
        Tone::Positive => (OPEN_POSITIVE, CLOSE_POSITIVE),
        Tone::Neutral => (&[][..], CLOSE_NEUTRAL),
    };
    let mut out = String::with_capacity(said.len() + 120);
    match channel {
        Channel::Call => {
            push_line(&mut out, rng.pick(CALL_OPEN));
            push_line(&mut out, &said);
            push_line(
                &mut out,
                rng.pick(if tone == Tone::Negative {
                    CALL_CLOSE_NEGATIVE
                } else {
                    CALL_CLOSE_OTHER
                }),
            );
        }
        Channel::Chat if rng.chance(0.6) => {
            out.push_str("Customer: hi\nAgent: Hi, this is ");
            out.push_str(slots.agent);
            out.push_str(", how can I help?\nCustomer: ");
            out.push_str(&said);
            out.push_str("\nAgent: ");
            out.push_str(rng.pick(if tone == Tone::Negative {
                CHAT_REPLY_NEGATIVE
            } else {
                CHAT_REPLY_OTHER
            }));
        }
        Channel::EmployeeNote => {
            push_line(&mut out, rng.pick(NOTE_OPEN));
            push_line(&mut out, &said);
        }
        Channel::Return => {
            push_line(&mut out, rng.pick(RETURN_OPEN));
            push_line(&mut out, &said);
        }
        Channel::Social => {
            if rng.chance(0.55) {
                push_line(&mut out, HANDLE);
            }
            push_line(&mut out, &said);
            let tags = match tone {
                Tone::Negative => TAGS_NEGATIVE,
                Tone::Positive => TAGS_POSITIVE,
                Tone::Neutral => &["#insurance"][..],
            };
            if rng.chance(0.3) {
                push_line(&mut out, rng.pick(tags));
            }
        }
        Channel::Review => {
            if rng.chance(0.5) {
                let titles = match tone {
                    Tone::Negative => TITLE_NEGATIVE,
                    Tone::Positive => TITLE_POSITIVE,
                    Tone::Neutral => TITLE_NEUTRAL,
                };
                push_line(&mut out, &format!("{}.", rng.pick(titles)));
            }
            push_line(&mut out, &said);
        }
        Channel::Email | Channel::Ticket => {
            if rng.chance(if channel == Channel::Email { 0.6 } else { 0.35 }) {
                push_line(
                    &mut out,
                    if rng.chance(0.5) {
                        "Hi,"
                    } else {
                        "Dear Northwind Mutual,"
                    },
                );
            }
            if rng.chance(0.25) {
                push_line(&mut out, rng.pick(open));
            }
            push_line(&mut out, &said);
            if rng.chance(0.4) {
                push_line(&mut out, rng.pick(close));
            }
            if rng.chance(0.4) {
                push_line(&mut out, &format!("Regards, {}", slots.first_name));
            }
        }
        Channel::Survey | Channel::WebForm | Channel::Chat => {
            if rng.chance(0.15) {
                push_line(&mut out, rng.pick(open));
            }
            push_line(&mut out, &said);
            if rng.chance(0.25) {
                push_line(&mut out, rng.pick(close));
            }
        }
    }
    if matches!(channel, Channel::Email | Channel::Ticket | Channel::WebForm) && rng.chance(0.04) {
        match slots.email {
            Some(email) => push_line(
                &mut out,
                &format!(
                    "You can reach me at {email} or 555-01{:02}.",
                    rng.range(0, 99)
                ),
            ),
            None => push_line(
                &mut out,
                &format!("Call me on 555-01{:02}.", rng.range(0, 99)),
            ),
        }
    }
    roughen(rng, channel, &mut out);
    out
}

/// Adds the noise of real text: all lowercase, swapped pairs of letters, no apostrophes.
fn roughen(rng: &mut Rng, channel: Channel, text: &mut String) {
    let lowercase = match channel {
        Channel::Social => 0.3,
        Channel::Chat => 0.25,
        _ => 0.05,
    };
    if rng.chance(lowercase) {
        text.make_ascii_lowercase();
    }
    for _ in 0..rng.poisson(0.08).min(3) {
        let words: Vec<(usize, usize)> = word_spans(text).filter(|(s, e)| e - s >= 5).collect();
        if let Some((start, end)) = words.get(rng.index(words.len())).copied() {
            let at = start + 1 + rng.index(end - start - 2);
            // Text is ASCII by construction, so swapping two bytes keeps it valid UTF-8.
            let mut bytes = std::mem::take(text).into_bytes();
            bytes.swap(at, at + 1);
            *text = String::from_utf8(bytes).unwrap_or_default();
        }
    }
    if rng.chance(0.04) {
        text.retain(|c| c != '\'');
    }
}

/// Byte spans of runs of ASCII letters.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        Some((start, i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::themes::THEMES;

    fn slots() -> Slots<'static> {
        Slots {
            product: "Home Plus",
            agent: "Jordan",
            month: "March",
            first_name: "Ana",
            email: Some("ana.lee@example.com"),
        }
    }

    #[test]
    fn every_template_fills_all_its_slots_and_stays_ascii() {
        let mut rng = Rng::new(1, 1);
        for template in THEMES
            .iter()
            .flat_map(|t| t.says.iter().chain(t.details))
            .chain(GENERAL_SAYS)
        {
            let mut out = String::new();
            fill(&mut out, template, &slots(), &mut rng);
            assert!(
                !out.contains('{') && !out.contains('}'),
                "{template} -> {out}"
            );
            assert!(out.is_ascii(), "{out}");
        }
    }

    #[test]
    fn joined_sentences_keep_i_and_names_capitalised() {
        let mut rng = Rng::new(1, 1);
        let mut out = String::from("Also,");
        sentence(&mut out, "I was charged.", &slots(), &mut rng, true);
        sentence(&mut out, "{agent} was great.", &slots(), &mut rng, true);
        sentence(&mut out, "The app crashed.", &slots(), &mut rng, true);
        assert_eq!(
            out,
            "Also, I was charged. Jordan was great. the app crashed."
        );
    }

    #[test]
    fn call_notes_and_chats_are_framed_like_their_channel() {
        let mut rng = Rng::new(3, 3);
        let theme = THEMES.first();
        let call = compose(&mut rng, Channel::Call, theme, None, &slots());
        assert!(
            CALL_OPEN
                .iter()
                .any(|o| call.to_lowercase().starts_with(&o.to_lowercase())),
            "{call}"
        );
        let chats: Vec<String> = (0..20)
            .map(|_| compose(&mut rng, Channel::Chat, theme, None, &slots()))
            .collect();
        assert!(
            chats
                .iter()
                .any(|c| c.to_lowercase().contains("agent: hi, this is jordan")),
            "{chats:?}"
        );
    }
}
