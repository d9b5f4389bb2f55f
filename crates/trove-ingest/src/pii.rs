//! Masking personal data in free text: e-mail addresses, phone numbers and payment card
//! numbers become `[email]`, `[phone]` and `[card]`.
//!
//! Built to run on every imported text: a text without `@` and with fewer than seven digits,
//! which is most of them, is returned as it is without running any regular expression.
//! Dates, times, money amounts, short numbers, flight numbers and the `XXXX` masks of
//! already-redacted data are left alone.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Stands for an e-mail address.
pub const EMAIL: &str = "[email]";
/// Stands for a phone number.
pub const PHONE: &str = "[phone]";
/// Stands for a payment card number.
pub const CARD: &str = "[card]";

/// Fewest digits in anything masked here (a North-American number without area code is not).
const MIN_DIGITS: usize = 7;

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b",
    )
});

/// Card numbers: 13-19 digits in one run, or in groups of four (the last group 1-4 digits)
/// separated by one space or one dash, or the 4-6-4/4-6-5 grouping of Amex and Diners.
static CARD_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:\d{13,19}|\d{4}(?: \d{4}){2}(?: \d{1,4}){1,2}|\d{4}(?:-\d{4}){2}(?:-\d{1,4}){1,2}|\d{4} \d{6} \d{4,5}|\d{4}-\d{6}-\d{4,5})\b",
    )
});

/// Phones: `+` and 8-15 digits in groups, or the North-American `(555) 123-4567`,
/// `555-123-4567`, `555.123.4567` (optionally led by `1-` or `+1 `).
static PHONE_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        \+\d{1,3}(?:[\ .-]?\(\d{1,4}\))?(?:[\ .-]?\d{1,5}){1,5}\b
        | (?:\b1[\ .-])?(?:\(\d{3}\)\ ?|\b\d{3}-)\d{3}-\d{4}\b
        | (?:\b1\.)?\b\d{3}\.\d{3}\.\d{4}\b
        | (?:\b1\ )?\(\d{3}\)\ ?\d{3}[\ .]\d{4}\b",
    )
});

fn compile(pattern: &str) -> Regex {
    // The patterns are constants, checked by this module's tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern: {e}"))
}

/// Replaces e-mail addresses, phone numbers and payment card numbers (those passing the
/// Luhn check) in `text`; borrows when there is nothing to mask.
pub fn mask(text: &str) -> Cow<'_, str> {
    let has_at = memchr::memchr(b'@', text.as_bytes()).is_some();
    let has_digits = has_min_digits(text.as_bytes(), MIN_DIGITS);
    if !has_at && !has_digits {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    if has_at {
        out = replace(out, &EMAIL_RE, |_| Some(EMAIL));
    }
    if has_digits {
        out = replace(out, &CARD_RE, |found| {
            let ok = (13..=19).contains(&count_digits(found)) && luhn_ok(found);
            ok.then_some(CARD)
        });
        out = replace(out, &PHONE_RE, |found| {
            let digits = count_digits(found);
            let ok = if found.starts_with('+') {
                (8..=15).contains(&digits)
            } else {
                digits >= 10
            };
            ok.then_some(PHONE)
        });
    }
    out
}

/// Runs one pattern, replacing the matches `keep` accepts; borrows when nothing changed.
fn replace<'a>(
    text: Cow<'a, str>,
    re: &Regex,
    keep: impl Fn(&str) -> Option<&'static str>,
) -> Cow<'a, str> {
    let mut out: Option<String> = None;
    let mut last = 0;
    for whole in re.find_iter(&text) {
        if let Some(token) = keep(whole.as_str()) {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(&text[last..whole.start()]);
            buf.push_str(token);
            last = whole.end();
        }
    }
    match out {
        None => text,
        Some(mut buf) => {
            buf.push_str(&text[last..]);
            Cow::Owned(buf)
        }
    }
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
    }

    #[test]
    fn card_numbers_passing_luhn_are_masked() {
        assert_eq!(
            masked("card 4111 1111 1111 1111 was charged"),
            "card [card] was charged"
        );
        assert_eq!(masked("4111-1111-1111-1111"), "[card]");
        assert_eq!(masked("4111111111111111"), "[card]");
        assert_eq!(masked("amex 3782 822463 10005"), "amex [card]");
    }

    #[test]
    fn long_numbers_failing_luhn_are_not_cards() {
        unchanged("order 4111111111111112 shipped");
        unchanged("tweet 570306133677760513");
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
    fn everything_in_one_text_is_masked_at_once() {
        let text = "I'm a@b.io, +44 20 7946 0958, card 4111 1111 1111 1111, (555) 123-4567.";
        assert_eq!(masked(text), "I'm [email], [phone], card [card], [phone].");
    }

    #[test]
    fn the_luhn_check_follows_the_standard() {
        assert!(luhn_ok("79927398713"));
        assert!(!luhn_ok("79927398710"));
        assert!(luhn_ok("4111 1111 1111 1111"));
    }
}
