//! The storage layout made for scans: each item's facts in a narrow table (`feedback_facts`,
//! no text) with its theme links packed into one text value, so that reading every item for
//! an analysis reads one short row per item. Both backends pack the same way; this module
//! reads the packed value back.
//!
//! A packed value lists an item's links separated by spaces, each `theme:o` or
//! `theme:o:sentiment`, where `o` is the first letter of the origin (`s` source, `r` rule,
//! `m` model) and `sentiment` the tone of the sentence carrying the mention, written with
//! enough digits to read back to the same double. Writers pack the links in the order of their
//! themes (byte by byte), then of their origins; a reader takes any order, and sorts only a
//! value that is not in that order (one packed before it was the rule).

use std::fmt::Write as _;

use trove_domain::{DomainError, Label, Slug};

use crate::{ItemThemes, RuleTag, ThemeOrigin};

/// The origin letter of a packed link.
fn origin_letter(origin: ThemeOrigin) -> Option<u8> {
    origin.stored().map(|stored| stored.as_bytes()[0])
}

/// A link as read: where its theme's id lies in the packed value, its origin letter and its
/// sentiment.
type Link = (usize, usize, u8, Option<f64>);

/// The links of a packed value, in the order they were packed. The separators are found with
/// `memchr`: an analysis reads millions of links.
fn links(packed: &str) -> impl Iterator<Item = Result<Link, DomainError>> + '_ {
    let bytes = packed.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        loop {
            if start >= bytes.len() {
                return None;
            }
            let end = memchr::memchr(b' ', &bytes[start..]).map_or(bytes.len(), |len| start + len);
            let link = start;
            start = end + 1;
            if end > link {
                return Some(
                    parse_link(&packed[link..end])
                        .map(|(len, letter, sentiment)| (link, link + len, letter, sentiment)),
                );
            }
        }
    })
}

/// Makes the spans of the links of origin letter `wanted` (all when `None`) in theme order
/// (each theme's mentions together), a theme's sentiment the mean of its scored mentions;
/// `false`, with `spans` left incomplete, at the first link out of that order.
fn spans_in_order(
    packed: &str,
    wanted: Option<u8>,
    links: impl Iterator<Item = Result<Link, DomainError>>,
    spans: &mut Vec<ThemeSpan>,
) -> Result<bool, DomainError> {
    let mut current: Option<Mention> = None;
    for link in links {
        let (start, end, letter, sentiment) = link?;
        if wanted.is_some_and(|w| w != letter) {
            continue;
        }
        let name = &packed[start..end];
        match current.as_mut() {
            Some(theme) if name == theme.name(packed) => theme.add(sentiment),
            Some(theme) if name < theme.name(packed) => return Ok(false),
            _ => {
                let next = Mention::first(start, end, sentiment);
                spans.extend(current.replace(next).map(|done| done.span()));
            }
        }
    }
    spans.extend(current.map(|done| done.span()));
    Ok(true)
}

/// One packed link: the length of its theme, its origin letter and its sentiment.
fn parse_link(link: &str) -> Result<(usize, u8, Option<f64>), DomainError> {
    let invalid = |why: &str| DomainError::Invalid {
        what: "packed theme link",
        value: link.chars().take(80).collect(),
        why: why.to_owned(),
    };
    let bytes = link.as_bytes();
    let theme_len = match memchr::memchr(b':', bytes) {
        Some(len) if len > 0 => len,
        _ => return Err(invalid("expected theme:origin[:sentiment]")),
    };
    let rest = &bytes[theme_len + 1..];
    let origin = match rest {
        [letter @ (b's' | b'r' | b'm')] | [letter @ (b's' | b'r' | b'm'), b':', ..] => *letter,
        _ => return Err(invalid("the origin is not s, r or m")),
    };
    let sentiment = match link.get(theme_len + 3..) {
        Some(number) => Some(
            number
                .parse::<f64>()
                .map_err(|_| invalid("the sentiment is not a number"))?,
        ),
        None => None,
    };
    Ok((theme_len, origin, sentiment))
}

/// A theme's mentions read so far: where its id lies, and the sum and count of the scored
/// ones.
#[derive(Debug)]
struct Mention {
    start: usize,
    end: usize,
    sum: f64,
    scored: u32,
}

impl Mention {
    fn first(start: usize, end: usize, sentiment: Option<f64>) -> Self {
        // From -0, as `Iterator::sum` adds floats: a lone -0 mention stays -0.
        let mut mention = Self {
            start,
            end,
            sum: -0.0,
            scored: 0,
        };
        mention.add(sentiment);
        mention
    }

    /// The theme's id in the packed value it was read from.
    fn name<'a>(&self, packed: &'a str) -> &'a str {
        &packed[self.start..self.end]
    }

    fn add(&mut self, sentiment: Option<f64>) {
        if let Some(sentiment) = sentiment {
            self.sum += sentiment;
            self.scored += 1;
        }
    }

    /// The theme's span, with the mean sentiment of its scored mentions.
    fn span(&self) -> ThemeSpan {
        let mean = (self.scored > 0).then(|| self.sum / f64::from(self.scored));
        ThemeSpan {
            start: self.start as u32,
            end: self.end as u32,
            sentiment: mean.map(|m| m as f32),
        }
    }
}

/// Reads the links of `origin` out of `packed` into `themes` (each theme once, sorted) and,
/// aligned with it, `sentiments`: the mean of the theme's scored mentions (`None` when none
/// was scored), as SQL's `AVG` over the item's rows of that theme would give it.
pub fn unpack_themes(
    packed: &str,
    origin: ThemeOrigin,
    themes: &mut Vec<String>,
    sentiments: &mut Vec<Option<f32>>,
) -> Result<(), DomainError> {
    let mut buffer = LinkBuffer::default();
    for (theme, sentiment) in buffer.unpack(packed, origin)?.iter() {
        themes.push(theme.to_owned());
        sentiments.push(sentiment);
    }
    Ok(())
}

/// An item's themes of one origin, each once, sorted, each with the mean sentiment of its
/// scored mentions (`None` when none was scored): borrowed from the text they were read out
/// of and a [`LinkBuffer`], so that reading them allocates nothing.
#[derive(Debug, Clone, Copy)]
pub struct ThemeLinks<'a> {
    text: &'a str,
    spans: &'a [ThemeSpan],
}

/// Where a theme's id lies in the text read, and its sentiment.
#[derive(Debug, Clone, Copy)]
struct ThemeSpan {
    start: u32,
    end: u32,
    sentiment: Option<f32>,
}

impl<'a> ThemeLinks<'a> {
    /// How many themes.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True without themes.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each theme's id with its sentiment, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<f32>)> + use<'a> {
        let text = self.text;
        self.spans.iter().map(move |span| {
            (
                &text[span.start as usize..span.end as usize],
                span.sentiment,
            )
        })
    }
}

/// Space to read an item's themes into, reused from item to item by a reader.
#[derive(Debug, Default)]
pub struct LinkBuffer {
    spans: Vec<ThemeSpan>,
    /// The links of the asked origin of a value packed out of order, to sort.
    links: Vec<Link>,
    /// The themes of an [`ItemThemes`] joined, for [`LinkBuffer::of_item`].
    joined: String,
}

impl LinkBuffer {
    /// The links of `origin` in `packed`, read as [`unpack_themes`] reads them.
    pub fn unpack<'a>(
        &'a mut self,
        packed: &'a str,
        origin: ThemeOrigin,
    ) -> Result<ThemeLinks<'a>, DomainError> {
        let wanted = origin_letter(origin);
        let Self {
            spans,
            links: sorted,
            ..
        } = self;
        spans.clear();
        // Writers pack the links in theme order, so the spans are made in one pass; a value
        // packed before that was the rule is read again, its links sorted first (stably: a
        // theme's mentions are averaged in the order they were packed).
        if !spans_in_order(packed, wanted, links(packed), spans)? {
            sorted.clear();
            for link in links(packed) {
                let link = link?;
                if wanted.is_none_or(|w| w == link.2) {
                    sorted.push(link);
                }
            }
            sorted.sort_by(|a, b| packed[a.0..a.1].cmp(&packed[b.0..b.1]));
            spans.clear();
            spans_in_order(packed, None, sorted.iter().copied().map(Ok), spans)?;
        }
        Ok(ThemeLinks {
            text: packed,
            spans,
        })
    }

    /// The themes of an item read by [`crate::Store::scan_item_themes`].
    pub fn of_item<'a>(&'a mut self, item: &ItemThemes) -> ThemeLinks<'a> {
        self.joined.clear();
        self.spans.clear();
        for (i, theme) in item.themes.iter().enumerate() {
            let start = self.joined.len() as u32;
            self.joined.push_str(theme);
            self.spans.push(ThemeSpan {
                start,
                end: self.joined.len() as u32,
                sentiment: item.mention_sentiments.get(i).copied().flatten(),
            });
        }
        ThemeLinks {
            text: &self.joined,
            spans: &self.spans,
        }
    }
}

/// Packs links as [`unpack_themes`] reads them: `(theme, origin, sentiment)` with the origin
/// as stored (`"rule"`...). For tests and for writers that pack in Rust.
pub fn pack_link(out: &mut String, theme: &str, origin: &str, sentiment: Option<f64>) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(theme);
    out.push(':');
    out.push(char::from(
        origin.as_bytes().first().copied().unwrap_or(b'?'),
    ));
    if let Some(sentiment) = sentiment {
        // Rust's shortest representation reads back to the same double; written in place (a
        // String's Write cannot fail), as every import packs millions of them.
        let _ = write!(out, ":{sentiment}");
    }
}

/// The packed links of an item stored just now with these rule tags and source-coded themes,
/// as the links stored for it read: a theme's first rule tag only (the table keeps one per
/// theme and origin), each source theme once, in the order of their themes. `None` when it has
/// none.
pub fn pack_new_item(rule_tags: &[RuleTag], source_themes: &[Label]) -> Option<String> {
    let mut source_slugs: Vec<Slug> = Vec::with_capacity(source_themes.len());
    for name in source_themes {
        if let Some(slug) = Slug::from_name(name.as_str())
            && !source_slugs.contains(&slug)
        {
            source_slugs.push(slug);
        }
    }
    let mut links: Vec<(&str, &str, Option<f64>)> =
        Vec::with_capacity(rule_tags.len() + source_slugs.len());
    for (i, tag) in rule_tags.iter().enumerate() {
        if !rule_tags[..i].iter().any(|t| t.theme == tag.theme) {
            links.push((tag.theme.as_str(), "rule", tag.sentiment.map(f64::from)));
        }
    }
    links.extend(
        source_slugs
            .iter()
            .map(|slug| (slug.as_str(), "source", None)),
    );
    links.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut packed = String::new();
    for (theme, origin, sentiment) in links {
        pack_link(&mut packed, theme, origin, sentiment);
    }
    (!packed.is_empty()).then_some(packed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpack(packed: &str, origin: ThemeOrigin) -> (Vec<String>, Vec<Option<f32>>) {
        let (mut themes, mut sentiments) = (Vec::new(), Vec::new());
        unpack_themes(packed, origin, &mut themes, &mut sentiments).expect("packed");
        (themes, sentiments)
    }

    #[test]
    fn links_of_an_origin_are_read_once_per_theme_sorted() {
        let packed = "fees:s wait-times:r:-0.5 fees:r:0.25 app:m";
        assert_eq!(
            unpack(packed, ThemeOrigin::Any),
            (
                vec!["app".into(), "fees".into(), "wait-times".into()],
                vec![None, Some(0.25), Some(-0.5)]
            )
        );
        assert_eq!(
            unpack(packed, ThemeOrigin::Source),
            (vec!["fees".into()], vec![None])
        );
        assert_eq!(
            unpack(packed, ThemeOrigin::Rule),
            (
                vec!["fees".into(), "wait-times".into()],
                vec![Some(0.25), Some(-0.5)]
            )
        );
        assert_eq!(unpack("", ThemeOrigin::Any), (vec![], vec![]));
    }

    #[test]
    fn a_themes_sentiment_is_the_mean_of_its_scored_mentions() {
        // Worked by hand: (0.5 + -0.25) / 2 = 0.125; the unscored source link does not count.
        let (_, sentiments) = unpack("fees:r:0.5 fees:m:-0.25 fees:s", ThemeOrigin::Any);
        assert_eq!(sentiments, vec![Some(0.125)]);
    }

    #[test]
    fn a_packed_sentiment_reads_back_exactly() {
        let value = f64::from(-0.123_456_79_f32);
        let mut packed = String::new();
        pack_link(&mut packed, "fees", "rule", Some(value));
        pack_link(&mut packed, "app", "source", None);
        assert_eq!(packed, format!("fees:r:{value} app:s"));
        let (themes, sentiments) = unpack(&packed, ThemeOrigin::Any);
        assert_eq!(themes, vec!["app".to_owned(), "fees".to_owned()]);
        assert_eq!(sentiments, vec![None, Some(value as f32)]);
    }

    #[test]
    fn a_reused_buffer_reads_each_item_afresh() {
        let mut buffer = LinkBuffer::default();
        let first: Vec<(String, Option<f32>)> = buffer
            .unpack(
                "wait:r:-0.5 fees:s app:r:0.25 fees:r:0.75",
                ThemeOrigin::Any,
            )
            .expect("packed")
            .iter()
            .map(|(t, s)| (t.to_owned(), s))
            .collect();
        assert_eq!(
            first,
            vec![
                ("app".into(), Some(0.25)),
                ("fees".into(), Some(0.75)),
                ("wait".into(), Some(-0.5))
            ]
        );
        let second = buffer.unpack("zoo:m", ThemeOrigin::Any).expect("packed");
        assert_eq!(second.iter().collect::<Vec<_>>(), vec![("zoo", None)]);
        assert!(
            buffer
                .unpack("", ThemeOrigin::Rule)
                .expect("empty")
                .is_empty()
        );
    }

    #[test]
    fn a_damaged_value_is_refused() {
        let (mut t, mut s) = (Vec::new(), Vec::new());
        for bad in [
            "fees",
            "fees:x",
            "fees:r:abc",
            ":r",
            "fees:",
            "fees:rs",
            "fees:r:",
            "fees:r:0.5:1",
            "fees:r0.5",
        ] {
            assert!(
                unpack_themes(bad, ThemeOrigin::Any, &mut t, &mut s).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn links_read_the_same_in_any_order() {
        // A theme under two origins, averaged whether or not the reader had to sort; zeros of
        // both signs, as the mean of one mention must keep them.
        let links = [
            "app:r:0.25",
            "fees:r:-0",
            "fees:s",
            "wait:r:0",
            "zoo:m:-0.5",
        ];
        let in_order = unpack(&links.join(" "), ThemeOrigin::Any);
        let rule_in_order = unpack(&links.join(" "), ThemeOrigin::Rule);
        assert_eq!(in_order.0, ["app", "fees", "wait", "zoo"]);
        let bits = |read: &(Vec<String>, Vec<Option<f32>>)| -> Vec<Option<u32>> {
            read.1.iter().map(|s| s.map(f32::to_bits)).collect()
        };
        assert_eq!(
            bits(&in_order),
            [Some(0.25_f32), Some(-0.0), Some(0.0), Some(-0.5)].map(|s| s.map(f32::to_bits))
        );
        for shift in 1..links.len() {
            let mut turned = links.to_vec();
            turned.rotate_left(shift);
            turned.swap(0, 1);
            let packed = turned.join(" ");
            for (origin, expected) in [
                (ThemeOrigin::Any, &in_order),
                (ThemeOrigin::Rule, &rule_in_order),
            ] {
                let read = unpack(&packed, origin);
                assert_eq!(read.0, expected.0, "{packed}");
                assert_eq!(bits(&read), bits(expected), "{packed}");
            }
        }
    }

    #[test]
    fn new_items_are_packed_in_theme_order() {
        let tag = |theme: &str, sentiment: Option<f32>| RuleTag {
            theme: Slug::parse("theme", theme).expect("slug"),
            phrase: "words".into(),
            start: 0,
            end: 5,
            sentiment,
        };
        let source = |name: &str| Label::parse("theme", name).expect("label");
        let packed = pack_new_item(
            &[
                tag("wait", Some(-0.5)),
                tag("app", None),
                tag("wait", Some(0.75)),
            ],
            &[source("Zoo"), source("App"), source("zoo")],
        );
        assert_eq!(
            packed.as_deref(),
            Some("app:r app:s wait:r:-0.5 zoo:s"),
            "a theme's first rule tag, each source theme once, themes in order"
        );
        assert_eq!(pack_new_item(&[], &[]), None);
    }
}
