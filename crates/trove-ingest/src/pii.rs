//! Masking personal data in free text, in the forms people write it:
//!
//! | what | becomes | recognised when |
//! | --- | --- | --- |
//! | e-mail address | `[email]` | `local@domain.tld`, unicode letters allowed, `+tags`; spelled out as `name at domain dot com`, `name [at] domain [dot] com`, `name(at)domain(dot)com`, `jane.doe at example.com`, `jane at gmail.com`, `jane @ example.com` |
//! | phone number | `[phone]` | international (`+44 …`, `0044 …`, `+44 (0)20 …`) with a known country code; national numbers of US/CA, UK, IE, FR, DE, ES, IT, NL, BE, AU and IN that the `phonenumber` crate (Google's libphonenumber metadata) finds valid, or that are written in a phone's grouping (`(555) 123-4567`, `07700 900123`, `02 123 45 67`); after `call`, `mobile`, `my number is` also `5551234567` and `555-0143`; extensions (`ext. 12`, `x12`) go with them |
//! | payment card | `[card]` | 13-19 digits, any of space, double space, dash or dot between groups, a real scheme's prefix and length (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir, RuPay, Troy) and the Luhn check |
//! | IBAN | `[iban]` | a country's IBAN length and the mod-97 check, with or without spaces |
//! | US Social Security number | `[ssn]` | `ddd-dd-dddd` (after `SSN` also `ddd dd dddd`, `ddddddddd`) outside the ranges the SSA never issues |
//! | UK National Insurance number | `[national-id]` | `AB 12 34 56 C` / `AB123456C` with the prefixes HMRC issues (and its `QQ` example) |
//! | name in a sign-off | `[name]` | a capitalised name (one or two words: `Nancy`, `Mary-Jane O'Brien`, `Tom R.`) after a closing phrase and a comma (`Regards, Nancy`, `Thanks, John`, `Best, Maria`, `Cheers,` then `Tom` on the next line), the name ending its line or the text and the phrase starting a line, a sentence or a clause (`regards`, `sincerely`, `yours truly` anywhere) |
//!
//! Never masked: a number labelled as an order, invoice, ticket, tracking, policy, barcode…
//! number or as an amount (`order 2125550123`, `#…`, `€ …`), amounts, dates, times, flight and
//! version numbers, ISBNs, postcodes, IP addresses (in feedback mostly routers' private
//! addresses, which identify no one) and unix timestamps: a 10- or 13-digit timestamp from
//! 2001-2033 starts with `1`, which no card scheme and no national number without its country
//! code does. A number of fewer than nine digits without a country code or a word such as
//! `call` before it is not a phone: without its area code it identifies no one.
//!
//! A sign-off's name is masked only in that position: "Thanks, great service" and "Thanks,
//! Great service!" stay (the words after the comma are not a name ending the line), and so do
//! a few capitalised words that follow a closing phrase without being a name ("Thanks,
//! Everyone", "Cheers, Mate": [`NOT_NAMES`]). Names anywhere else are not recognised.
//!
//! Built to run on every imported text: a text with no `@`, no word `at`, no comma and fewer
//! than six digits, which is most of them, is returned as it is without running any regular
//! expression;
//! digit runs are found by a hand-written scanner, and the phone library is only asked about
//! the runs that no cheaper rule settled.

use std::borrow::Cow;
use std::sync::LazyLock;

use phonenumber::country::Id;
use regex::Regex;

/// Stands for an e-mail address.
pub const EMAIL: &str = "[email]";
/// Stands for a phone number.
pub const PHONE: &str = "[phone]";
/// Stands for a payment card number.
pub const CARD: &str = "[card]";
/// Stands for an international bank account number.
pub const IBAN: &str = "[iban]";
/// Stands for a US Social Security number.
pub const SSN: &str = "[ssn]";
/// Stands for a UK National Insurance number.
pub const NATIONAL_ID: &str = "[national-id]";
/// Stands for a person's name in a sign-off.
pub const NAME: &str = "[name]";

/// Fewest digits in a text worth scanning (a National Insurance number has six).
const MIN_DIGITS: usize = 6;

/// Replaces the personal data listed in the module documentation in `text`; borrows when
/// there is nothing to mask.
pub fn mask(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let has_at_sign = memchr::memchr(b'@', bytes).is_some();
    let has_at_word = has_word_at(bytes);
    let has_digits = has_min_digits(bytes, MIN_DIGITS);
    let has_comma = memchr::memchr(b',', bytes).is_some();
    if !has_at_sign && !has_at_word && !has_digits && !has_comma {
        return Cow::Borrowed(text);
    }
    let mut found = Vec::new();
    if has_comma && may_have_sign_off(text) {
        find_sign_off_names(text, &mut found);
    }
    if has_at_sign && may_have_email(text) {
        find_emails(text, &mut found);
    }
    if has_at_word || has_at_sign {
        find_spelled_emails(text, &mut found);
    }
    if has_digits {
        if has_iban_start(bytes) {
            find_ibans(text, &mut found);
        }
        find_national_insurance_numbers(bytes, &mut found);
        find_numbers(text, &mut found);
    }
    replace(text, found)
}

/// A stretch of the text to replace by `token`.
#[derive(Debug)]
struct Found {
    start: usize,
    end: usize,
    token: &'static str,
}

/// Replaces the found stretches, the earliest (then longest) winning where they overlap.
fn replace(text: &str, mut found: Vec<Found>) -> Cow<'_, str> {
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in found {
        if f.start < last {
            continue;
        }
        out.push_str(&text[last..f.start]);
        out.push_str(f.token);
        last = f.end;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

fn compile(pattern: &str) -> Regex {
    // The patterns are constants, checked by this module's tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern: {e}"))
}

// ---------------------------------------------------------------------------------------------
// E-mail addresses

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"[\p{L}\p{N}_](?:[\p{L}\p{N}_.%+'-]*[\p{L}\p{N}_])?@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.\p{L}{2,24}\b",
    )
});

fn find_emails(text: &str, found: &mut Vec<Found>) {
    for m in EMAIL_RE.find_iter(text) {
        found.push(Found {
            start: m.start(),
            end: m.end(),
            token: EMAIL,
        });
    }
}

/// Whether an `@` stands between a character that may end an address's name and one that may
/// start its domain, as in every match of [`EMAIL_RE`]. Most `@` in feedback start a mention
/// (`@united`, ` @JetBlue`), and the regular expression, whose Unicode `\b` makes it run its
/// slowest engine on non-ASCII text, need not look at those texts.
fn may_have_email(text: &str) -> bool {
    // `char::is_alphanumeric` holds for every letter (\p{L}) and number (\p{N}): a superset.
    memchr::memchr_iter(b'@', text.as_bytes()).any(|at| {
        let before = text[..at].chars().next_back();
        let after = text[at + 1..].chars().next();
        before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && after.is_some_and(char::is_alphanumeric)
    })
}

/// What stands for the dot between domain labels: `.`, ` dot `, `[dot]`, `(dot)`, `[.]`.
static DOT_RE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)^(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+|\.)"));
/// A spelled dot ending the text before a name: `jane dot| doe at …`.
static DOT_BEFORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)[\p{L}\p{N}_%+-]+(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+)$")
});
/// Mail providers whose name after a bare ` at ` makes an address (`jane at gmail.com`).
const WEBMAIL: &[&str] = &[
    "aol",
    "btinternet",
    "free",
    "gmail",
    "gmx",
    "googlemail",
    "hotmail",
    "icloud",
    "laposte",
    "libero",
    "live",
    "mail",
    "msn",
    "orange",
    "outlook",
    "proton",
    "protonmail",
    "sky",
    "t-online",
    "virgilio",
    "wanadoo",
    "web",
    "yahoo",
    "ymail",
];

/// E-mail addresses spelled out to dodge harvesters: `jane at example dot com`,
/// `jane [at] example [dot] com`, `jane(at)example(dot)com`. A bare ` at ` before a plain
/// `site.com` counts only when the name looks like an address (`jane.doe at example.com`),
/// so "bought it at amazon.com" stays.
fn find_spelled_emails(text: &str, found: &mut Vec<Found>) {
    for (at_start, at_end, at) in at_tokens(text.as_bytes()) {
        let local_start = text[..at_start]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local_char(c))
            .last()
            .map(|(i, _)| i);
        let Some(mut start) = local_start else {
            continue;
        };
        // A name starts with a letter or digit, not with the dot ending a sentence.
        start += text[start..at_start]
            .find(|c: char| c.is_alphanumeric())
            .unwrap_or(at_start - start);
        if start == at_start {
            continue;
        }
        let Some((end, spelled_dot)) = spelled_domain_end(text, at_end) else {
            continue;
        };
        let mut spelled_local = false;
        while let Some(dotted) = DOT_BEFORE_RE.find(&text[..start]) {
            start = dotted.start();
            spelled_local = true;
        }
        let local = &text[start..at_start];
        let addressy = spelled_local
            || local
                .chars()
                .any(|c| c.is_ascii_digit() || ".-_+%".contains(c));
        let domain = text[at_end..end].to_ascii_lowercase();
        let webmail = WEBMAIL.iter().any(|name| {
            domain
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('.'))
        });
        let tld = domain
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        let accepted = match at {
            At::Bracketed => true,
            At::SpacedSign => spelled_dot || addressy || webmail || COMMON_TLDS.contains(&tld),
            At::Word => spelled_dot || addressy || webmail,
        };
        if accepted {
            found.push(Found {
                start,
                end,
                token: EMAIL,
            });
        }
    }
}

/// How `@` was written in a spelled-out address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// `[at]`, `(at)`, `{at}`, `<at>`, `(@)`: unmistakable.
    Bracketed,
    /// `jane @ example.com`: an address when the domain ends like one.
    SpacedSign,
    /// `jane at example dot com`: an address when the rest is spelled out too.
    Word,
}

/// Top-level domains that make `name @ site.tld` an address rather than `Sunday @ MCO.Keep`.
const COMMON_TLDS: &[&str] = &[
    "au", "be", "ca", "ch", "co", "com", "de", "edu", "es", "eu", "fr", "gov", "ie", "in", "info",
    "io", "it", "net", "nl", "org", "uk", "us",
];

/// Where `at` stands for `@`: the word `at` (any case) between spaces or in brackets
/// (`[at]`, `(at)`, `{at}`, `<at>`), or an `@` set apart by a space.
fn at_tokens(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, At)> + '_ {
    let space = |b: &u8| b.is_ascii_whitespace();
    let word_at = |i: usize| {
        bytes[i].eq_ignore_ascii_case(&b'a')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.eq_ignore_ascii_case(&b't'))
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && !bytes.get(i + 2).is_some_and(u8::is_ascii_alphanumeric)
    };
    (0..bytes.len()).filter_map(move |i| {
        let sign = bytes[i] == b'@';
        if !sign && !word_at(i) {
            return None;
        }
        let token_end = if sign { i + 1 } else { i + 2 };
        let mut start = i - bytes[..i].iter().rev().take_while(|b| space(b)).count();
        let mut end = token_end + bytes[token_end..].iter().take_while(|b| space(b)).count();
        let bracketed = start > 0
            && b"[({<".contains(&bytes[start - 1])
            && bytes.get(end).is_some_and(|b| b"])}>".contains(b));
        if bracketed {
            start -= 1;
            end += 1;
            start -= bytes[..start].iter().rev().take_while(|b| space(b)).count();
            end += bytes[end..].iter().take_while(|b| space(b)).count();
        }
        let spaced = if sign {
            start < i || end > token_end
        } else {
            start < i && end > token_end
        };
        let at = match (bracketed, sign) {
            (true, _) => At::Bracketed,
            (false, true) => At::SpacedSign,
            (false, false) => At::Word,
        };
        (bracketed || spaced).then_some((start, end, at))
    })
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-".contains(c)
}

/// Where a domain written from `from` ends (at least two labels, the last of 2-24 letters),
/// and whether a dot was spelled out.
fn spelled_domain_end(text: &str, from: usize) -> Option<(usize, bool)> {
    let label_end = |at: usize| {
        at + text[at..]
            .find(|c: char| !(c.is_alphanumeric() || c == '-'))
            .unwrap_or(text.len() - at)
    };
    let mut end = label_end(from);
    if end == from {
        return None;
    }
    let mut labels = 1;
    let mut spelled = false;
    let mut last_label = &text[from..end];
    while let Some(dot) = DOT_RE.find(&text[end..]) {
        let next = end + dot.end();
        let next_end = label_end(next);
        if next_end == next {
            break;
        }
        spelled |= dot.as_str() != ".";
        labels += 1;
        last_label = &text[next..next_end];
        end = next_end;
    }
    let tld_ok = (2..=24).contains(&last_label.chars().count())
        && last_label.chars().all(char::is_alphabetic);
    (labels >= 2 && tld_ok).then_some((end, spelled))
}

/// Whether `at` appears as a word (any case), the only way a spelled-out address starts.
fn has_word_at(bytes: &[u8]) -> bool {
    memchr::memchr2_iter(b't', b'T', bytes).any(|i| {
        i >= 1
            && bytes[i - 1].eq_ignore_ascii_case(&b'a')
            && (i < 2 || !bytes[i - 2].is_ascii_alphanumeric())
            && bytes.get(i + 1).is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

// ---------------------------------------------------------------------------------------------
// Names in sign-offs

/// A closing phrase, its comma, at most two line breaks, then a capitalised name of one or
/// two words (the second may be an initial) ending its line or the text (group 1: the name).
static SIGN_OFF_RE: LazyLock<Regex> = LazyLock::new(|| {
    let name_word = r"\p{Lu}[\p{L}'’-]*\p{Ll}";
    compile(&format!(
        r"(?m)\b(?i:(?:(?:kind|best|warm|warmest|with|many|fond)[ \t]+)?regards|(?:many[ \t]+)?thanks(?:[ \t]+(?:again|so[ \t]+much|a[ \t]+lot|in[ \t]+advance))?|thank[ \t]+you(?:[ \t]+(?:again|so[ \t]+much|very[ \t]+much|in[ \t]+advance))?|thx|cheers|(?:all[ \t]+the[ \t]+)?best(?:[ \t]+wishes)?|(?:yours[ \t]+)?sincerely(?:[ \t]+yours)?|yours[ \t]+(?:truly|faithfully)|respectfully|take[ \t]+care|love|warmly|rgds)[ \t]*,[ \t]*(?:\r?\n[ \t]*){{0,2}}({name_word}(?:[ \t]+(?:{name_word}|\p{{Lu}}\.))?)[ \t]*[.!]?[ \t]*\r?$"
    ))
});

/// The words a closing phrase of [`SIGN_OFF_RE`] can end with, before its comma.
const CLOSING_LAST_WORDS: &[&str] = &[
    "regards",
    "thanks",
    "again",
    "much",
    "lot",
    "advance",
    "you",
    "thx",
    "cheers",
    "best",
    "wishes",
    "sincerely",
    "yours",
    "truly",
    "faithfully",
    "respectfully",
    "care",
    "love",
    "warmly",
    "rgds",
];

/// Whether a comma follows (after spaces or tabs) a word a closing phrase ends with, as in
/// every match of [`SIGN_OFF_RE`]: most commas do not, and the texts without such a comma
/// need no search with captures (and, on non-ASCII text, with the slowest engine).
fn may_have_sign_off(text: &str) -> bool {
    memchr::memchr_iter(b',', text.as_bytes()).any(|comma| {
        let before = text[..comma].trim_end_matches([' ', '\t']);
        // The word's end as the case-insensitive pattern reads it: Unicode folds the long s
        // and the Kelvin sign to `s` and `k` too.
        let mut tail = [0_u8; 12];
        let mut len = 0;
        for c in before.chars().rev().take(tail.len()) {
            let folded = match c {
                '\u{17F}' => b's',
                '\u{212A}' => b'k',
                c if c.is_ascii_alphabetic() => c.to_ascii_lowercase() as u8,
                _ => break,
            };
            tail[tail.len() - 1 - len] = folded;
            len += 1;
        }
        let word = &tail[tail.len() - len..];
        CLOSING_LAST_WORDS
            .iter()
            .any(|closing| word.ends_with(closing.as_bytes()))
    })
}

/// Capitalised words that follow a closing phrase without being a name (lowercase).
pub const NOT_NAMES: &[&str] = &[
    "again",
    "all",
    "anyway",
    "bye",
    "everybody",
    "everyone",
    "folks",
    "friends",
    "guys",
    "madam",
    "mate",
    "mates",
    "sir",
    "team",
    "y'all",
    "you",
];

/// Names after a closing phrase (`Regards, Nancy`) that starts a line, a sentence or a
/// clause, so "it was the best, Paris" keeps its city.
fn find_sign_off_names(text: &str, found: &mut Vec<Found>) {
    for captures in SIGN_OFF_RE.captures_iter(text) {
        let (Some(whole), Some(name)) = (captures.get(0), captures.get(1)) else {
            continue;
        };
        let before = text[..whole.start()].trim_end_matches([' ', '\t']);
        let starts_a_clause = before
            .chars()
            .next_back()
            .is_none_or(|c| ".!?,;:\n\r".contains(c));
        // "Regards" and "sincerely" close a message wherever they stand ("it crashed Regards,
        // Laura"); "best", "thanks" or "love" only when they start a clause.
        let closer = text[whole.start()..name.start()].to_lowercase();
        let unambiguous = ["regards", "sincerely", "faithfully", "truly", "rgds"]
            .iter()
            .any(|w| closer.contains(w));
        let first_word = name.as_str().split_whitespace().next().unwrap_or_default();
        let not_a_name = NOT_NAMES.contains(&first_word.to_lowercase().replace('’', "'").as_str());
        if (starts_a_clause || unambiguous) && !not_a_name {
            found.push(Found {
                start: name.start(),
                end: name.end(),
                token: NAME,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// IBANs and National Insurance numbers

static IBAN_RE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)(?-u:\b)[a-z]{2}[0-9]{2}(?:[ \u{A0}-]?[a-z0-9]){11,30}"));

fn find_ibans(text: &str, found: &mut Vec<Found>) {
    for m in IBAN_RE.find_iter(text) {
        if let Some(end) = iban_end(m.as_str()) {
            found.push(Found {
                start: m.start(),
                end: m.start() + end,
                token: IBAN,
            });
        }
    }
}

/// The length of the IBAN that `candidate` starts with, if its country's length and the
/// mod-97 check fit and it does not run on into a longer word.
fn iban_end(candidate: &str) -> Option<usize> {
    let country = candidate.get(..2)?.to_ascii_uppercase();
    let length = iban_length(&country)?;
    let mut compact = String::with_capacity(length);
    let mut end = 0;
    for (i, c) in candidate.char_indices() {
        if c.is_ascii_alphanumeric() {
            compact.push(c.to_ascii_uppercase());
            end = i + 1;
            if compact.len() == length {
                break;
            }
        }
    }
    let runs_on = candidate[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    (compact.len() == length && !runs_on && iban_checksum_ok(&compact)).then_some(end)
}

/// ISO 13616: the first four characters moved to the end, letters as 10-35, mod 97 is 1.
fn iban_checksum_ok(iban: &str) -> bool {
    let (head, tail) = iban.split_at(4);
    let mut rest = 0_u32;
    for c in tail.chars().chain(head.chars()) {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        rest = if value < 10 {
            (rest * 10 + value) % 97
        } else {
            (rest * 100 + value) % 97
        };
    }
    rest == 1
}

/// IBAN lengths from the SWIFT IBAN registry: country code, then length.
const IBAN_LENGTHS: &str = concat!(
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 ",
    "DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 ",
    "IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ",
    "ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 ",
    "SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20"
);

fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .split(' ')
        .find_map(|entry| entry.strip_prefix(country))
        .and_then(|length| length.parse().ok())
}

/// `AB 12 34 56 C`, `AB123456C` (any case), with an issued prefix.
fn find_national_insurance_numbers(bytes: &[u8], found: &mut Vec<Found>) {
    let word_start = |i: usize| i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
    for i in 0..bytes.len().saturating_sub(8) {
        if !(word_start(i) && bytes[i].is_ascii_alphabetic() && bytes[i + 1].is_ascii_alphabetic())
        {
            continue;
        }
        let Some(end) = nino_end(bytes, i + 2) else {
            continue;
        };
        let prefix = [
            bytes[i].to_ascii_uppercase(),
            bytes[i + 1].to_ascii_uppercase(),
        ];
        if nino_prefix_ok(std::str::from_utf8(&prefix).unwrap_or_default()) {
            found.push(Found {
                start: i,
                end,
                token: NATIONAL_ID,
            });
        }
    }
}

/// Where a National Insurance number whose prefix ends at `i` ends: three pairs of digits and
/// a letter A-D, each optionally after one space, and then the end of the word.
fn nino_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut spaces = [false; 4];
    for (k, spaced) in spaces.iter_mut().enumerate() {
        *spaced = bytes.get(i) == Some(&b' ');
        i += usize::from(*spaced);
        if k == 3 {
            break;
        }
        let pair = bytes.get(i..i + 2)?;
        if !pair.iter().all(u8::is_ascii_digit) {
            return None;
        }
        i += 2;
    }
    let suffix_ok = bytes
        .get(i)
        .is_some_and(|b| matches!(b.to_ascii_uppercase(), b'A'..=b'D'));
    let word_ends = !bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric);
    // Spaced everywhere, nowhere, or around the six digits: `PN 320008A` is a part number.
    let spacing_ok = matches!(
        spaces,
        [true, true, true, true] | [false, false, false, false] | [true, false, false, true]
    );
    (suffix_ok && word_ends && spacing_ok).then_some(i + 1)
}

/// HMRC never issues D, F, I, Q, U or V as either letter, O as the second, nor the prefixes
/// BG, GB, KN, NK, NT, TN, ZZ; `QQ` is its own example number, masked as well.
fn nino_prefix_ok(prefix: &str) -> bool {
    let bytes = prefix.as_bytes();
    if prefix == "QQ" {
        return true;
    }
    !b"DFIQUV".contains(&bytes[0])
        && !b"DFIQUVO".contains(&bytes[1])
        && !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&prefix)
}

// ---------------------------------------------------------------------------------------------
// Card numbers, Social Security numbers and phone numbers: runs of digit groups

/// A phone extension right after the number: `ext. 12`, `x12`, `#12`.
static EXTENSION_RE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)^[ ,]{0,2}(?:ext[.:]?|extension|x|\#)[ ]?[0-9]{1,6}(?-u:\b)"));

/// Fewest digits in a run worth classifying (an international number has at least eight; a
/// local number of seven needs a word such as `call` before it).
const MIN_RUN_DIGITS: usize = 8;

fn find_numbers(text: &str, found: &mut Vec<Found>) {
    for (m_start, m_end) in number_runs(text.as_bytes()) {
        let (lead, trail) = unbalanced_parentheses(&text[m_start..m_end]);
        let (start, run_end) = (m_start + lead, m_end - trail);
        let run = &text[start..run_end];
        let end = match EXTENSION_RE.find(&text[m_end..]) {
            Some(ext) if trail == 0 => m_end + ext.end(),
            _ => run_end,
        };
        let glued = text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        let digits = count_digits(run);
        if glued || digits < MIN_RUN_DIGITS - 1 {
            continue;
        }
        let label = if glued_to_code(&text[..start]) {
            Label::Identifier
        } else {
            label_before(&text[..start])
        };
        if digits < MIN_RUN_DIGITS && label != Label::Phone {
            continue;
        }
        classify_run(start, run, end, label, found);
    }
}

/// Whether a run starts right after a capitalised code and a dash (`INV-2026-004512`,
/// `CS-0207946095`): the tail of a reference, neither a phone nor a card. A word written in
/// lower case before the dash (`Tel-020 …`) is not a code.
fn glued_to_code(before: &str) -> bool {
    let Some(head) = before.strip_suffix('-') else {
        return false;
    };
    let code: Vec<char> = head
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    code.iter().any(|c| c.is_alphabetic()) && !code.iter().any(|c| c.is_lowercase())
}

/// The runs of digit groups in a text, as byte ranges: groups joined by what people put
/// between them (one or two spaces, a dash, a dot, a slash, brackets), led by a word boundary,
/// `(` or `+`. A hand-written scanner: a regular expression doing this was most of the time
/// spent masking.
fn number_runs(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let start = at;
            let Some(first_digit) = run_start(bytes, start) else {
                at += 1;
                continue;
            };
            let mut end = digits_end(bytes, first_digit);
            while let Some(next) = separator_end(bytes, end)
                && bytes.get(next).is_some_and(u8::is_ascii_digit)
            {
                end = digits_end(bytes, next);
            }
            if bytes.get(end) == Some(&b')') {
                end += 1;
            }
            at = end;
            return Some((start, end));
        }
        None
    })
}

/// Where the first digit of a run starting at `i` is, if one starts there.
fn run_start(bytes: &[u8], i: usize) -> Option<usize> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let digit_at = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_digit).then_some(j);
    match bytes[i] {
        b'0'..=b'9' if i == 0 || !is_word(bytes[i - 1]) => Some(i),
        b'(' if bytes.get(i + 1) == Some(&b'+') => run_start(bytes, i + 1),
        b'(' => digit_at(i + 1),
        b'+' => {
            let mut j = i + 1;
            j += space_len(bytes, j);
            if bytes.get(j) == Some(&b'(') {
                j += 1;
            }
            digit_at(j)
        }
        _ => None,
    }
}

fn digits_end(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The length of a space (or no-break space) at `i`, or 0.
fn space_len(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i..) {
        Some([b' ', ..]) => 1,
        Some([0xC2, 0xA0, ..]) => 2,
        _ => 0,
    }
}

/// Where the separator between two digit groups starting at `i` ends: up to two spaces, up
/// to two of `-./()`, up to two spaces, and at least one character.
fn separator_end(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let spaces = |j: &mut usize| {
        for _ in 0..2 {
            let len = space_len(bytes, *j);
            if len == 0 {
                break;
            }
            *j += len;
        }
    };
    spaces(&mut j);
    for _ in 0..2 {
        if bytes.get(j).is_some_and(|b| b"-./()".contains(b)) {
            j += 1;
        }
    }
    spaces(&mut j);
    (j > i).then_some(j)
}

/// How many bytes to drop at each end of a run so that it leaves out the parentheses around
/// it: `(555-123-4567)` is a number in brackets, `(020) 7946 0958` one with its area code
/// bracketed.
fn unbalanced_parentheses(run: &str) -> (usize, usize) {
    let last = run.len().saturating_sub(1);
    let mut open = Vec::new();
    // Where the opening bracket at 0 closes, and where the closing one at the end opened.
    let (mut first_closes, mut last_opened) = (None, None);
    for (i, c) in run.char_indices() {
        match c {
            '(' => open.push(i),
            ')' => {
                let opened = open.pop();
                if opened == Some(0) {
                    first_closes = Some(i);
                }
                if i == last {
                    last_opened = Some(opened);
                }
            }
            _ => {}
        }
    }
    let lead = run.starts_with('(') && first_closes.is_none_or(|i| i == last);
    let trail = last_opened.is_some_and(|opened| opened.is_none_or(|i| i == 0));
    (usize::from(lead), usize::from(trail))
}

/// Masks `run` (at `start`) whole, or else its longest pieces that are personal data, cutting
/// it only where a writer would have separated two things: at a separator holding punctuation
/// and a space (`0958. 12`, ` / `) or next to a date.
fn classify_run(
    start: usize,
    run: &str,
    with_ext_end: usize,
    label: Label,
    found: &mut Vec<Found>,
) {
    if let Some(token) = classify(run, label) {
        let end = if token == PHONE {
            with_ext_end
        } else {
            start + run.len()
        };
        found.push(Found { start, end, token });
        return;
    }
    let words = words(run);
    let n = words.len();
    if !(2..=16).contains(&n) {
        return;
    }
    let cut: Vec<bool> = (0..=n)
        .map(|k| k == 0 || k == n || cut_between(run, &words, k))
        .collect();
    let mut from = 0;
    while from < n {
        let hit = (from + 1..=n).rev().find_map(|to| {
            let (a, b) = (words[from].0, words[to - 1].1);
            let piece = &run[a..b];
            let edges_ok = piece.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '(')
                && piece.ends_with(|c: char| c.is_ascii_digit() || c == ')');
            let whole = from == 0 && to == n;
            if whole || !edges_ok || count_digits(piece) < MIN_RUN_DIGITS {
                return None;
            }
            let label = if from == 0 { label } else { Label::None };
            let token = if cut[from] && cut[to] {
                classify(piece, label)
            } else {
                // A card followed by its expiry or security code: `4111 … 1111 123`.
                let digits: String = piece.chars().filter(char::is_ascii_digit).collect();
                (label != Label::Identifier && is_card(piece, &digits)).then_some(CARD)
            };
            token.map(|token| (to, a, b, token))
        });
        match hit {
            Some((to, a, b, token)) => {
                found.push(Found {
                    start: start + a,
                    end: start + b,
                    token,
                });
                from = to;
            }
            None => from += 1,
        }
    }
}

/// The space-separated words of a run, as byte ranges (a word may hold `-./()`).
fn words(run: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in run.char_indices() {
        let space = c == ' ' || c == '\u{A0}';
        match (space, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, run.len()));
    }
    words
}

/// Whether a run may be cut before word `k`.
fn cut_between(run: &str, words: &[(usize, usize)], k: usize) -> bool {
    let (before, after) = (
        &run[words[k - 1].0..words[k - 1].1],
        &run[words[k].0..words[k].1],
    );
    let punctuated = before.ends_with(['.', '/', '-', ')']) || after.starts_with(['/', '-']);
    // A date, or an expiry date such as `09/27`.
    let dated = |word: &str| is_date(word) || word.contains('/') && word.len() <= 5;
    punctuated || dated(before) || dated(after) || after.starts_with('+')
}

/// Which personal datum a whole run of digit groups is, if any.
fn classify(run: &str, label: Label) -> Option<&'static str> {
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    if SSN_RE.is_match(run) {
        // Written as a Social Security number, never as a phone number.
        return is_ssn(&digits).then_some(SSN);
    }
    match label {
        Label::Identifier => return None,
        Label::Ssn if LOOSE_SSN_RE.is_match(run) => return is_ssn(&digits).then_some(SSN),
        Label::Phone if CUED_PHONE_RE.is_match(run) => return Some(PHONE),
        Label::Ssn | Label::Phone | Label::None => {}
    }
    if is_card(run, &digits) {
        return Some(CARD);
    }
    let has_date = || words(run).iter().any(|&(a, b)| is_date(&run[a..b]));
    if is_ip_address(run) || is_decimal(run) || has_date() {
        return None;
    }
    is_phone(run, &digits).then_some(PHONE)
}

// --- Social Security numbers

static SSN_RE: LazyLock<Regex> = LazyLock::new(|| compile(r"^\d{3}-\d{2}-\d{4}$"));
/// Nine digits run together or spaced `ddd dd dddd`: a Social Security number only after
/// `SSN` or `social security`.
static LOOSE_SSN_RE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^\d{3}[ \u{A0}.]?\d{2}[ \u{A0}.]?\d{4}$"));

/// The nine digits of a `ddd-dd-dddd` outside what the SSA never issues: area 000, 666 or
/// 900-999, group 00, serial 0000.
fn is_ssn(digits: &str) -> bool {
    let (area, group, serial) = (&digits[..3], &digits[3..5], &digits[5..]);
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

// --- Cards

/// 13-19 digits in one piece or grouped as printed on cards (4-4-4-4…, Amex 4-6-5, Diners
/// 4-6-4), a real scheme's prefix and length, and the Luhn check.
fn is_card(run: &str, digits: &str) -> bool {
    if !(13..=19).contains(&digits.len()) || run.contains(['/', '(', ')', '+']) {
        return false;
    }
    let groups: Vec<usize> = run
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let card_grouping = match groups.as_slice() {
        [_] | [4, 6, 4] | [4, 6, 5] => true,
        [head @ .., last] => head.iter().all(|&g| g == 4) && (1..=4).contains(last),
        [] => false,
    };
    card_grouping && scheme_prefix_ok(digits) && luhn_ok(digits)
}

/// Whether the number starts like a card of a real scheme, with that scheme's length. No
/// scheme starts with `1`, which keeps millisecond timestamps out.
fn scheme_prefix_ok(digits: &str) -> bool {
    let len = digits.len();
    let prefix = |n: usize| digits[..n].parse::<u32>().unwrap_or(0);
    match digits.as_bytes()[0] {
        b'4' => matches!(len, 13 | 16 | 18 | 19), // Visa
        b'5' => {
            let two = prefix(2);
            if (51..=55).contains(&two) {
                len == 16 // Mastercard
            } else {
                true // Maestro 50, 56-59: 12-19 digits
            }
        }
        b'2' => {
            let four = prefix(4);
            ((2221..=2720).contains(&four) || (2200..=2204).contains(&four)) && len == 16 // Mastercard, Mir
        }
        b'3' => match prefix(2) {
            34 | 37 => len == 15,                                  // Amex
            30 | 36 | 38 | 39 => (14..=19).contains(&len),         // Diners
            35 => (3528..=3589).contains(&prefix(4)) && len >= 16, // JCB
            _ => false,
        },
        b'6' => len >= 16 || (prefix(2) != 60 && prefix(2) != 65 && prefix(2) != 62), // Discover, UnionPay, Maestro, RuPay
        b'8' => matches!(prefix(2), 81 | 82) && len == 16,                            // RuPay
        b'9' => digits.starts_with("9792") && len == 16,                              // Troy
        _ => false,
    }
}

/// The Luhn checksum of the digits in `text` (other characters are skipped).
fn luhn_ok(text: &str) -> bool {
    let mut sum = 0;
    let mut double = false;
    for b in text.bytes().rev().filter(u8::is_ascii_digit) {
        let mut d = u32::from(b - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum % 10 == 0
}

// --- Things that are not phone numbers

/// `24/02/2015`, `2.4.15`, `2015-02-24`: one separator used twice, day and month in range.
fn is_date(word: &str) -> bool {
    let Some(separator) = word.chars().find(|c| matches!(c, '.' | '/' | '-')) else {
        return false;
    };
    let parts: Vec<&str> = word.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return false;
    };
    let all_digits = [a, b, c]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|x| x.is_ascii_digit()));
    if !all_digits {
        return false;
    }
    let (day_or_month, other) = match (a.len(), b.len(), c.len()) {
        (1 | 2, 1 | 2, 2 | 4) => (a, b),
        (4, 1 | 2, 1 | 2) => (b, c),
        _ => return false,
    };
    let number = |p: &str| p.parse::<u32>().unwrap_or(0);
    let (x, y) = (number(day_or_month), number(other));
    let in_range = |n: u32| (1..=31).contains(&n);
    in_range(x) && in_range(y) && (x <= 12 || y <= 12)
}

/// `192.168.1.1`: four dotted numbers up to 255.
fn is_ip_address(run: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// `1234567.89` or `1.234.567`: an amount, not a number to call.
fn is_decimal(run: &str) -> bool {
    let all_digits_or_dots = run.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !all_digits_or_dots || run.starts_with('0') {
        return false;
    }
    let parts: Vec<&str> = run.split('.').collect();
    match parts.as_slice() {
        [head, tail] => tail.len() <= 2 || head.len() <= 2,
        [head, rest @ ..] => head.len() <= 3 && rest.iter().all(|p| p.len() == 3),
        _ => false,
    }
}

/// `650 000 000`, `2.000.000`: a round amount written with thousands separators.
fn is_round_amount(run: &str) -> bool {
    let groups: Vec<&str> = run.split([' ', '.', ',', '\u{A0}']).collect();
    groups.len() >= 3
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.ends_with(&["000", "000"])
}

/// Words after which a number is an identifier or an amount, not a phone or card number.
const ID_LABELS: &[&str] = &[
    "account",
    "awb",
    "barcode",
    "booking",
    "case",
    "claim",
    "code",
    "confirmation",
    "consignment",
    "coupon",
    "customer",
    "ean",
    "gtin",
    "id",
    "invoice",
    "isbn",
    "item",
    "member",
    "membership",
    "model",
    "order",
    "parcel",
    "part",
    "pin",
    "pnr",
    "po",
    "policy",
    "product",
    "receipt",
    "ref",
    "reference",
    "reservation",
    "serial",
    "shipment",
    "sku",
    "ticket",
    "tracking",
    "transaction",
    "txn",
    "upc",
    "voucher",
    "waybill",
    "eur",
    "usd",
    "gbp",
    "aud",
    "inr",
    "rs",
];
/// Words after which a number is a phone number (in the languages of the recognised regions).
const PHONE_CUES: &[&str] = &[
    "call",
    "cell",
    "cellphone",
    "cellulare",
    "fax",
    "gsm",
    "handy",
    "landline",
    "mobile",
    "móvil",
    "phone",
    "portable",
    "ring",
    "sms",
    "tel",
    "telefon",
    "telefono",
    "teléfono",
    "telefoon",
    "telephone",
    "téléphone",
    "text",
    "whatsapp",
];
/// Words that may stand between a label and its number (`order no. 123`, `ticket number: 9`).
const LABEL_FILLERS: &[&str] = &["no", "nr", "num", "number", "n°", "id", "is", "was", "#"];

/// What the words before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// Nothing said.
    None,
    /// An identifier or an amount (`order 1234…`, `#1234…`, `€ 650 000 000`): neither a phone
    /// nor a card.
    Identifier,
    /// A Social Security number (`SSN:`, `social security number`).
    Ssn,
    /// A phone number (`call`, `mobile`, `my number is`).
    Phone,
}

/// Reads the label, if any, in the last few words of `before`.
fn label_before(before: &str) -> Label {
    let trimmed = before.trim_end();
    if trimmed.ends_with(['#', '€', '$', '£', '¥', '₹']) {
        return Label::Identifier;
    }
    let mut words = trimmed
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '°' || c == '#'))
        .filter(|w| !w.is_empty())
        .take(4)
        .map(str::to_lowercase)
        .peekable();
    let mut said_number = false;
    while let Some(word) = words.next() {
        if word == "ssn" || (word == "security" && words.peek().is_some_and(|w| w == "social")) {
            return Label::Ssn;
        }
        if ID_LABELS.contains(&word.as_str()) {
            return Label::Identifier;
        }
        if PHONE_CUES.contains(&word.as_str()) {
            return Label::Phone;
        }
        said_number |= word == "number";
        if !LABEL_FILLERS.contains(&word.as_str()) {
            break;
        }
    }
    // `my number is …`, but not `order number …`, settled above.
    if said_number {
        Label::Phone
    } else {
        Label::None
    }
}

// --- Phone numbers

/// Regions whose national numbers are written with a leading `0` (a trunk prefix, or in Italy
/// part of a fixed-line number).
const TRUNK_REGIONS: &[Id] = &[
    Id::GB,
    Id::FR,
    Id::DE,
    Id::IT,
    Id::NL,
    Id::BE,
    Id::IE,
    Id::AU,
    Id::IN,
];
/// Country codes of the recognised regions, for numbers dialled with `00`, with the fewest and
/// most digits a national number has after them (so that a baggage tag `0016 964012` is not
/// a call to the US).
const COUNTRY_CODES: &[(&str, usize, usize)] = &[
    ("1", 10, 10),
    ("44", 9, 10),
    ("353", 7, 9),
    ("33", 9, 9),
    ("49", 6, 13),
    ("34", 9, 9),
    ("39", 6, 11),
    ("31", 9, 9),
    ("32", 8, 9),
    ("61", 9, 9),
    ("91", 10, 10),
];

/// After a word such as `call` or `mobile`, a North American number whatever its area code
/// (`5551234567`), or without one (`555-0143`).
static CUED_PHONE_RE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^(?:1?[2-9]\d{9}|[2-9]\d{2}[-. ]\d{4})$"));

/// `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `1-800-555-1234`: North American
/// numbers in their own layout are phones even where the area code is fictional.
static NANP_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"^(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}$")
});

fn is_phone(run: &str, digits: &str) -> bool {
    // `(+91) 98765 43210`
    let run = run
        .strip_prefix('(')
        .filter(|rest| rest.starts_with('+'))
        .unwrap_or(run);
    if digits.starts_with("000") || is_round_amount(run) {
        // No number is dialled with three zeros first, nor ends in `000 000`.
        return false;
    }
    if run.starts_with('+') || run.starts_with("00") {
        return is_international_phone(run, digits);
    }
    if NANP_RE.is_match(run) {
        return true;
    }
    if !(9..=12).contains(&digits.len()) {
        return false;
    }
    let separated = digits.len() != run.len();
    if digits.starts_with('0') {
        // Written in a phone's grouping (`07700 900123`, `02 123 45 67`): a phone even when
        // the number is one the regulator keeps free for fiction; run together, it must be
        // valid in a region, or have a UK mobile's eleven digits.
        return (separated && phone_grouping(run))
            || (digits.len() == 11 && digits.starts_with("07"))
            || valid_in(run, TRUNK_REGIONS);
    }
    // Without a trunk prefix the first digit tells the region: US/CA area codes start with
    // 2-9, Indian mobiles with 6-9, Spanish numbers (nine digits) with 6-9, Italian mobiles
    // with 3. Nothing starts with 1 but a US number led by its country code, so ten digits
    // from 1 (a unix timestamp in seconds) are not a phone.
    let first = digits.as_bytes()[0];
    let country_codes: &[&str] = match (digits.len(), first) {
        (10, b'3') => &["1", "39"],
        (10, b'6'..=b'9') => &["1", "91"],
        (10, b'2'..=b'9') => &["1"],
        (11, b'1') => &[""],
        (9, b'6'..=b'9') => &["34"],
        (9, b'3') => &["39"],
        _ => &[],
    };
    // Asked in international form: read as a national number, `39…` or `91…` would lose its
    // first two digits as a country code.
    country_codes.iter().any(|code| {
        phonenumber::parse(None, format!("+{code}{digits}"))
            .is_ok_and(|parsed| phonenumber::is_valid(&parsed))
    })
}

/// `+44 20 7946 0958`, `0044 7700 900123`, `+44 (0)20 …`: a country code the numbering plan
/// knows and 8-15 digits after the `+`/`00` (the `(0)` not counted).
fn is_international_phone(run: &str, digits: &str) -> bool {
    let plus = run.starts_with('+');
    let mut significant = if plus { digits.len() } else { digits.len() - 2 };
    if run.contains("(0)") {
        significant -= 1;
    }
    if !(8..=15).contains(&significant) {
        return false;
    }
    if plus {
        return phonenumber::parse(None, run).is_ok();
    }
    let after = &digits[2..];
    let separated = digits.len() != run.len();
    let fits = COUNTRY_CODES.iter().any(|&(code, shortest, longest)| {
        after.starts_with(code) && (shortest..=longest).contains(&(significant - code.len()))
    });
    fits && (separated || valid_in(&format!("+{after}"), &[Id::US]))
}

/// Groups of two to eight digits (a `(0)` aside), two to six of them: how phone numbers are
/// written, unlike `0-306-40615-2` or `0 7 12`.
fn phone_grouping(run: &str) -> bool {
    let groups: Vec<&str> = run
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let first_is_trunk = run.starts_with("(0)") || run.starts_with("0 ");
    let sized = groups
        .iter()
        .enumerate()
        .all(|(i, g)| (2..=8).contains(&g.len()) || (i == 0 && first_is_trunk));
    (2..=6).contains(&groups.len()) && sized
}

/// Whether the phone-number library finds `number` valid, read as a national number of one
/// of `regions` (or an international one).
fn valid_in(number: &str, regions: &[Id]) -> bool {
    regions.iter().any(|&region| {
        phonenumber::parse(Some(region), number).is_ok_and(|parsed| phonenumber::is_valid(&parsed))
    })
}

/// Whether a word starts with two letters and two digits (`GB82…`), as IBANs do.
fn has_iban_start(bytes: &[u8]) -> bool {
    bytes.windows(4).enumerate().any(|(i, w)| {
        w[0].is_ascii_alphabetic()
            && w[1].is_ascii_alphabetic()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
    })
}

fn has_min_digits(bytes: &[u8], min: usize) -> bool {
    let mut seen = 0;
    for &b in bytes {
        seen += usize::from(b.is_ascii_digit());
        if seen >= min {
            return true;
        }
    }
    false
}

fn count_digits(text: &str) -> usize {
    text.bytes().filter(u8::is_ascii_digit).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask(text).into_owned()
    }

    fn unchanged(text: &str) {
        assert_eq!(mask(text), text, "{text:?} should not be masked");
    }

    #[test]
    fn email_addresses_are_masked() {
        assert_eq!(
            masked("write to ana.lopez+vip@mail.example.co.uk today"),
            "write to [email] today"
        );
        assert_eq!(masked("A@B.COM, c_d@e-f.org."), "[email], [email].");
    }

    #[test]
    fn unicode_email_addresses_are_masked_whole() {
        assert_eq!(masked("from renée.dupont@exemple.fr"), "from [email]");
        assert_eq!(
            masked("José Müller <jörg@bücher.de>"),
            "José Müller <[email]>"
        );
        assert_eq!(masked("用户@例子.广告 wrote"), "[email] wrote");
    }

    #[test]
    fn spelled_out_email_addresses_are_masked() {
        assert_eq!(masked("mail jane at example dot com"), "mail [email]");
        assert_eq!(
            masked("mail jane [at] example [dot] co [dot] uk."),
            "mail [email]."
        );
        assert_eq!(masked("mail jane(at)example(dot)com"), "mail [email]");
        assert_eq!(masked("mail JANE AT EXAMPLE DOT ORG"), "mail [email]");
        assert_eq!(masked("mail jane.doe at example.com"), "mail [email]");
    }

    #[test]
    fn the_word_at_alone_is_not_an_address() {
        unchanged("I bought it at amazon.com and met him at the store.");
        unchanged("look at this. Then at 5 pm at gate B.");
        unchanged("at the gate on Sunday @ MCO.Keep up the good work, Flight @12am.Today");
    }

    #[test]
    fn twitter_handles_and_bare_at_signs_are_not_emails() {
        unchanged("@VirginAmerica What @dhepburn said.");
        unchanged("meet me @ 5pm or at gate@B12");
        unchanged("user@localhost is not an address");
    }

    #[test]
    fn international_phone_numbers_are_masked() {
        assert_eq!(masked("call +44 20 7946 0958 now"), "call [phone] now");
        assert_eq!(masked("call +15551234567."), "call [phone].");
        assert_eq!(masked("+1 (555) 123-4567"), "[phone]");
        assert_eq!(masked("+33 1 42 68 53 00"), "[phone]");
        assert_eq!(masked("+44 (0)20 7946 0958"), "[phone]");
        assert_eq!(masked("0044 7700 900123"), "[phone]");
        unchanged("@united tag numbers 0016 964012, 0016 964077");
        assert_eq!(masked("+91 98765 43210"), "[phone]");
    }

    #[test]
    fn north_american_phone_numbers_are_masked() {
        assert_eq!(
            masked("my number is (555) 123-4567"),
            "my number is [phone]"
        );
        assert_eq!(masked("555-123-4567 or 555.123.4567"), "[phone] or [phone]");
        assert_eq!(masked("call 1-800-555-1234!"), "call [phone]!");
        assert_eq!(masked("(555)123-4567"), "[phone]");
        assert_eq!(masked("212 555 0123 or 2125550123"), "[phone] or [phone]");
    }

    #[test]
    fn national_phone_numbers_of_the_listed_regions_are_masked() {
        for number in [
            "020 7946 0958",  // UK London
            "07700 900123",   // UK mobile (Ofcom drama range)
            "01 234 5678",    // IE Dublin
            "087 123 4567",   // IE mobile
            "01 42 68 53 00", // FR
            "06.12.34.56.78", // FR mobile
            "030 12345678",   // DE Berlin
            "030/1234-5678",  // DE
            "0151 23456789",  // DE mobile
            "912 345 678",    // ES Madrid
            "612 34 56 78",   // ES mobile
            "06 1234 5678",   // IT Rome
            "347 123 4567",   // IT mobile
            "020 123 4567",   // NL Amsterdam
            "06-12345678",    // NL mobile
            "02 123 45 67",   // BE Brussels
            "0470 12 34 56",  // BE mobile
            "(02) 9876 5432", // AU Sydney
            "0412 345 678",   // AU mobile
            "98765-43210",    // IN mobile
        ] {
            assert_eq!(
                masked(&format!("ring {number} today")),
                "ring [phone] today",
                "{number}"
            );
        }
    }

    #[test]
    fn extensions_go_with_the_phone_number() {
        assert_eq!(masked("call 020 7946 0958 ext. 123."), "call [phone].");
        assert_eq!(masked("call (555) 123-4567 x42 now"), "call [phone] now");
    }

    #[test]
    fn a_run_is_cut_where_a_writer_separates_two_things() {
        assert_eq!(
            masked("on 12/05/2024 020 7946 0958"),
            "on 12/05/2024 [phone]"
        );
        assert_eq!(masked("020 7946 0958 / 07700 900123"), "[phone] / [phone]");
    }

    #[test]
    fn more_ways_of_writing_numbers_and_addresses_are_masked() {
        assert_eq!(masked("call (+91) 98765 43210"), "call [phone]");
        assert_eq!(masked("call 212-555-0123 ext: 45"), "call [phone]");
        assert_eq!(
            masked("mail jane dot doe at example dot com"),
            "mail [email]"
        );
        assert_eq!(masked("mail jane at gmail.com"), "mail [email]");
        assert_eq!(masked("mail jane @ example.com"), "mail [email]");
        assert_eq!(masked("mail jane [at] example [.] com"), "mail [email]");
        assert_eq!(
            masked("card 4111 1111 1111 1111 12/26 123"),
            "card [card] 12/26 123"
        );
        assert_eq!(masked("card 4111 1111 1111 1111 123"), "card [card] 123");
        assert_eq!(
            masked("SSN: 123 45 6789, social security number 123456789"),
            "SSN: [ssn], social security number [ssn]"
        );
        assert_eq!(masked("iban DE89-3704-0044-0532-0130-00"), "iban [iban]");
        assert_eq!(masked("my number is 5551234567"), "my number is [phone]");
        assert_eq!(
            masked("call 555-0143 or text 5550143"),
            "call [phone] or text 5550143"
        );
        unchanged("order number 5551234567, account number 555-0143");
        assert_eq!(masked("ni ab 12 34 56 c"), "ni [national-id]");
    }

    #[test]
    fn card_numbers_with_any_separators_are_masked() {
        assert_eq!(
            masked("card 4111 1111 1111 1111 was charged"),
            "card [card] was charged"
        );
        assert_eq!(masked("4111-1111-1111-1111"), "[card]");
        assert_eq!(masked("4111.1111.1111.1111"), "[card]");
        assert_eq!(masked("4111  1111  1111  1111"), "[card]");
        assert_eq!(masked("4111111111111111"), "[card]");
        assert_eq!(masked("amex 3782 822463 10005"), "amex [card]");
        assert_eq!(masked("mc 5555 5555 5555 4444"), "mc [card]");
    }

    #[test]
    fn long_numbers_failing_luhn_or_without_a_scheme_prefix_are_not_cards() {
        unchanged("order 4111111111111112 shipped");
        unchanged("tweet 570306133677760513");
        unchanged("logged at 1700000000000 and 1700000000");
        // Luhn-valid, but no card scheme starts with 1.
        assert!(luhn_ok("1000000000009"));
        unchanged("id 1000000000009");
    }

    #[test]
    fn ibans_passing_mod_97_are_masked() {
        assert_eq!(
            masked("pay GB82 WEST 1234 5698 7654 32 now"),
            "pay [iban] now"
        );
        assert_eq!(masked("IBAN: DE89370400440532013000."), "IBAN: [iban].");
        assert_eq!(
            masked("iban fr14 2004 1010 0505 0001 3m02 606"),
            "iban [iban]"
        );
        unchanged("pay GB82 WEST 1234 5698 7654 33 now");
    }

    #[test]
    fn ssns_outside_the_never_issued_ranges_are_masked() {
        assert_eq!(masked("SSN 123-45-6789."), "SSN [ssn].");
        unchanged("SSN 000-45-6789, 666-45-6789, 912-45-6789, 123-00-6789, 123-45-0000");
    }

    #[test]
    fn national_insurance_numbers_are_masked() {
        assert_eq!(masked("NI AB 12 34 56 C"), "NI [national-id]");
        assert_eq!(masked("NI: JG103759A."), "NI: [national-id].");
        assert_eq!(masked("NI QQ123456C"), "NI [national-id]");
        unchanged("NI GB123456A or DA123456A or AB123456E");
        unchanged("our PN 320008A wheel");
    }

    #[test]
    fn dates_times_money_and_short_numbers_are_left_alone() {
        unchanged("on 2015-02-24 at 11:35:52 -0800 I paid $1,234.56");
        unchanged("02/24/2015 and 2/4/15, then 2015-02-24 2015-02-25");
        unchanged("UA 1234 from gate 22 was 3 hours late, $25.00 fee, 1,000,000 miles");
        unchanged("a refund of $12,345,678.90 on 10/12/2019 12:30");
        unchanged("account XXXX XXXX XXXX 1234 on XX/XX/XXXX, ref XXXX-XXXX");
        unchanged("complaint 3571115 and zip 330XX");
        unchanged("v1.2.3 and 192.168.1.1 and 3.14159265");
        unchanged("2 000 000 customers, €1.234.567 and 12.05.2024 14.30");
        unchanged("tracking 1Z999AA10123456784 and 9400 1000 0000 0000 0000 00");
        unchanged("ISBN 978-3-16-148410-0 and order no. 2125550123");
    }

    #[test]
    fn numbers_glued_to_a_reference_code_are_left_alone() {
        unchanged("Invoice INV-2026-004512 is wrong.");
        unchanged("Ref ABC-2125551234 and case CS-0207946095, tracking ZX-7700900123");
        assert_eq!(masked("Tel-020 7946 0958"), "Tel-[phone]");
        assert_eq!(
            masked("Invoice INV-2 call 020 7946 0958"),
            "Invoice INV-2 call [phone]"
        );
    }

    #[test]
    fn texts_with_nothing_to_mask_are_borrowed() {
        assert!(matches!(
            mask("no digits or at signs here"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(mask("flight 1234 at 5:30"), Cow::Borrowed(_)));
        assert!(matches!(mask("on 2015-02-24 at 11:35"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_word_at_is_found_in_any_case_and_only_as_a_word() {
        assert!(has_word_at(b"at home"));
        assert!(has_word_at(b"x AT y"));
        assert!(has_word_at(b"end at"));
        assert!(!has_word_at(b"cat that attic"));
    }

    #[test]
    fn everything_in_one_text_is_masked_at_once() {
        let text = "I'm a@b.io, +44 20 7946 0958, card 4111 1111 1111 1111, (555) 123-4567.";
        assert_eq!(masked(text), "I'm [email], [phone], card [card], [phone].");
    }

    #[test]
    fn names_in_sign_offs_are_masked() {
        assert_eq!(
            masked("The claim took months. Regards, Nancy"),
            "The claim took months. Regards, [name]"
        );
        assert_eq!(masked("Thanks, John"), "Thanks, [name]");
        assert_eq!(
            masked("Fixed at last. Best, Maria."),
            "Fixed at last. Best, [name]."
        );
        assert_eq!(
            masked("Still waiting.\nCheers,\nTom"),
            "Still waiting.\nCheers,\n[name]"
        );
        assert_eq!(
            masked("Kind regards,\r\nMary-Jane O'Brien\r\n"),
            "Kind regards,\r\n[name]\r\n"
        );
        assert_eq!(
            masked("Great job, many thanks, Tom R."),
            "Great job, many thanks, [name]"
        );
        assert_eq!(
            masked("Thank you so much, Ana!\nSent from my phone"),
            "Thank you so much, [name]!\nSent from my phone"
        );
        assert_eq!(masked("Regards, Renée"), "Regards, [name]");
        assert_eq!(
            masked("the app keeps crashing Regards, Elizabeth"),
            "the app keeps crashing Regards, [name]"
        );
    }

    #[test]
    fn words_after_a_closing_phrase_that_are_not_a_sign_off_name_stay() {
        unchanged("Thanks, great service");
        unchanged("Thanks, Great service!");
        unchanged("Thanks, everyone. Cheers, Team");
        unchanged("Thanks, John. The app is still broken.");
        unchanged("We liked it the best, Paris");
        unchanged("Regards, NORTHWIND");
        unchanged("Cheers, Mate!");
        // A name elsewhere is not recognised: only the sign-off position is.
        unchanged("Nancy at the desk was kind, Tom was not");
    }

    #[test]
    fn the_checksums_follow_their_standards() {
        assert!(luhn_ok("79927398713"));
        assert!(!luhn_ok("79927398710"));
        assert!(luhn_ok("4111 1111 1111 1111"));
        assert!(iban_checksum_ok("GB82WEST12345698765432"));
        assert!(!iban_checksum_ok("GB82WEST12345698765433"));
    }

    /// Whether each prefilter lets through a text its pattern matches in (the prefilters
    /// only ever skip a search that would find nothing).
    fn prefilters_pass(text: &str) -> bool {
        (!SIGN_OFF_RE.is_match(text) || may_have_sign_off(text))
            && (!EMAIL_RE.is_match(text) || may_have_email(text))
    }

    #[test]
    fn the_prefilters_skip_only_texts_their_pattern_cannot_match() {
        for text in [
            "The claim took months. Regards, Nancy",
            "Kind regards ,\r\nMary-Jane O'Brien",
            "thank you very much,\tAna",
            "REGARDS, Nancy",
            // Unicode case folding: the long s and the Kelvin sign fold to ASCII letters.
            "Regard\u{17F}, Nancy",
            "Than\u{212A}s, John",
            "write to ana.lopez+vip@mail.example.co.uk today",
            "用户@例子.广告 wrote",
            "x_@b.io",
            "1@2.io",
        ] {
            assert!(prefilters_pass(text), "{text:?}");
        }
        assert!(masked("Regard\u{17F}, Nancy").ends_with("[name]"));
        // What they skip: commas after other words, @mentions.
        assert!(!may_have_sign_off(
            "Thanks for nothing, United. Late once more, as usual"
        ));
        assert!(!may_have_email("@united where is my bag? @ gate 12"));
        assert!(!may_have_email("a @b.io"));
    }

    #[test]
    fn the_prefilters_skip_no_real_text_their_pattern_matches() {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
        let sets = [
            ("airline-tweets/Tweets.csv", "text"),
            (
                "cfpb-sample/complaints_sample.csv",
                "Consumer complaint narrative",
            ),
            ("banking77/train.csv", "text"),
        ];
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
                assert!(prefilters_pass(text), "{file}: {text:?}");
            }
        }
    }
}
