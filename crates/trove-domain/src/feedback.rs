use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::tz::Offset;
use serde::{Deserialize, Serialize};

use crate::{CustomerId, DomainError, Label, Scores};

/// The channel a feedback item came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A survey answer (NPS, CSAT, CES or a rating, with or without a comment).
    Survey,
    /// A support ticket.
    Ticket,
    /// A call-centre note or transcript.
    Call,
    /// A chat conversation.
    Chat,
    /// An e-mail.
    Email,
    /// A social-media post.
    Social,
    /// An app-store or web review.
    Review,
    /// A product return with its reason.
    Return,
    /// A note an employee wrote after talking to a customer.
    EmployeeNote,
    /// The public feedback form.
    WebForm,
}

impl Channel {
    /// Every channel, in a fixed order.
    pub const ALL: [Channel; 10] = [
        Self::Survey,
        Self::Ticket,
        Self::Call,
        Self::Chat,
        Self::Email,
        Self::Social,
        Self::Review,
        Self::Return,
        Self::EmployeeNote,
        Self::WebForm,
    ];

    /// The snake_case name used in files, flags and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Survey => "survey",
            Self::Ticket => "ticket",
            Self::Call => "call",
            Self::Chat => "chat",
            Self::Email => "email",
            Self::Social => "social",
            Self::Review => "review",
            Self::Return => "return",
            Self::EmployeeNote => "employee_note",
            Self::WebForm => "web_form",
        }
    }
}

impl FromStr for Channel {
    type Err = DomainError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let named = |name: &str| Self::ALL.into_iter().find(|c| c.as_str() == name);
        // A name as `as_str` writes it (every stored channel, most imported ones) is matched
        // before the lenient reading, which allocates: the analysis parses one per item.
        named(raw)
            .or_else(|| named(&raw.trim().to_ascii_lowercase().replace(['-', ' '], "_")))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                DomainError::invalid(
                    "channel",
                    raw,
                    format!("expected one of {}", names.join(", ")),
                )
            })
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identifier a source system gave an item (a ticket number, a tweet id...), or a
/// content hash when the source gives none. Non-empty, at most 256 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

impl ExternalId {
    /// The longest id accepted, in bytes.
    pub const MAX_BYTES: usize = 256;

    /// Trims and checks an id.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Empty {
                what: "external id",
            });
        }
        if trimmed.len() > Self::MAX_BYTES {
            return Err(DomainError::TooLong {
                what: "external id",
                len: trimmed.len(),
                max: Self::MAX_BYTES,
            });
        }
        crate::error::refuse_nul("external id", trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The id standing for content that had no id of its own: `h:` and 32 hex digits.
    pub fn from_content_hash(hash: [u8; 16]) -> Self {
        let mut out = String::with_capacity(34);
        out.push_str("h:");
        for byte in hash {
            out.push_str(&format!("{byte:02x}"));
        }
        Self(out)
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ExternalId> for String {
    fn from(value: ExternalId) -> Self {
        value.0
    }
}

/// When an item was received: an instant (UTC, whole seconds) and the UTC offset the source
/// wrote it with, so "11:35 in the customer's evening" can still be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReceivedAt {
    unix_seconds: i64,
    offset_seconds: i32,
}

impl ReceivedAt {
    /// An instant as written with a given offset (sub-second precision is dropped).
    pub fn new(at: Timestamp, offset: Offset) -> Self {
        Self {
            unix_seconds: at.as_second(),
            offset_seconds: offset.seconds(),
        }
    }

    /// Rebuilds a stored value; refuses instants or offsets outside jiff's range.
    pub fn from_parts(unix_seconds: i64, offset_seconds: i32) -> Result<Self, DomainError> {
        Timestamp::from_second(unix_seconds).map_err(|e| {
            DomainError::invalid("received time", &unix_seconds.to_string(), e.to_string())
        })?;
        Offset::from_seconds(offset_seconds).map_err(|e| {
            DomainError::invalid("utc offset", &offset_seconds.to_string(), e.to_string())
        })?;
        Ok(Self {
            unix_seconds,
            offset_seconds,
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// The offset the source wrote the time with, in seconds east of UTC.
    pub fn offset_seconds(&self) -> i32 {
        self.offset_seconds
    }

    /// The instant.
    pub fn timestamp(&self) -> Timestamp {
        // Checked on construction.
        Timestamp::from_second(self.unix_seconds).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

impl fmt::Display for ReceivedAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.timestamp())
    }
}

/// The free text of an item, possibly empty (a score-only survey answer), at most
/// [`FeedbackText::MAX_BYTES`] bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FeedbackText(String);

impl FeedbackText {
    /// The longest text accepted, in bytes (long complaint narratives fit).
    pub const MAX_BYTES: usize = 64 * 1024;

    /// Trims and checks a text.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.len() > Self::MAX_BYTES {
            return Err(DomainError::TooLong {
                what: "text",
                len: trimmed.len(),
                max: Self::MAX_BYTES,
            });
        }
        crate::error::refuse_nul("text", trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a score-only answer.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<String> for FeedbackText {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FeedbackText> for String {
    fn from(value: FeedbackText) -> Self {
        value.0
    }
}

/// Free key/value attributes a source carries beyond Trove's fields (sorted by key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes(BTreeMap<String, String>);

impl Attributes {
    /// Longest key, in bytes.
    pub const MAX_KEY_BYTES: usize = 100;
    /// Longest value, in bytes.
    pub const MAX_VALUE_BYTES: usize = 4096;

    /// Adds an attribute; blank values are skipped, keys must be non-empty.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), DomainError> {
        let key = key.trim();
        let value = value.trim();
        if key.is_empty() {
            return Err(DomainError::Empty {
                what: "attribute name",
            });
        }
        if key.len() > Self::MAX_KEY_BYTES {
            return Err(DomainError::TooLong {
                what: "attribute name",
                len: key.len(),
                max: Self::MAX_KEY_BYTES,
            });
        }
        if value.len() > Self::MAX_VALUE_BYTES {
            return Err(DomainError::TooLong {
                what: "attribute value",
                len: value.len(),
                max: Self::MAX_VALUE_BYTES,
            });
        }
        crate::error::refuse_nul("attribute name", key)?;
        crate::error::refuse_nul("attribute value", value)?;
        if !value.is_empty() {
            self.0.insert(key.to_owned(), value.to_owned());
        }
        Ok(())
    }

    /// The value of one attribute.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// All attributes, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One piece of customer feedback from any channel, normalised, before it has a store id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackItem {
    /// The named source it was imported from (`airline-tweets`, `zendesk`...); with
    /// `external_id` it identifies the item, so re-imports add nothing.
    pub source: Label,
    /// The channel it came through.
    pub channel: Channel,
    /// The source's id for it, or a content hash.
    pub external_id: ExternalId,
    /// When it was received.
    pub received_at: ReceivedAt,
    /// The customer who gave it, when known.
    pub customer_id: Option<CustomerId>,
    /// The customer's account (a contract, a household, a company).
    pub account: Option<Label>,
    /// The business unit it concerns.
    pub business_unit: Option<Label>,
    /// The product it concerns.
    pub product: Option<Label>,
    /// The region it came from.
    pub region: Option<Label>,
    /// The touchpoint it concerns (a journey touchpoint id or name).
    pub touchpoint: Option<Label>,
    /// The journey stage it concerns, when the source says so.
    pub journey_stage: Option<Label>,
    /// The customer's words; may be empty.
    pub text: FeedbackText,
    /// The tone of the words, -1 (most negative) to 1 (most positive): the compound score of
    /// the lexicon sentiment, scored per sentence; `None` when not scored (no text).
    #[serde(default)]
    pub sentiment: Option<f32>,
    /// Whether the text is a suggestion: a clause asks the company to do more or less ("please
    /// add", "more compassion"; see `trove_text::cues`), read with the sentiment (on import and
    /// by re-tagging); false until read.
    #[serde(default)]
    pub suggestion: bool,
    /// Survey scores.
    pub scores: Scores,
    /// The language of the text (an ISO 639 code when known).
    pub language: Option<Label>,
    /// Themes the source already coded it with (e.g. a complaint's "Issue"), by name.
    pub source_themes: Vec<Label>,
    /// Everything else the source carried that the mapping kept.
    pub attributes: Attributes,
}

/// A feedback item as stored, with the id the store gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFeedback {
    /// The store's id, increasing in insertion order.
    pub id: i64,
    /// The item.
    pub item: FeedbackItem,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_parse_from_their_names_in_any_case_and_separator() {
        assert_eq!(
            "Employee-Note".parse::<Channel>().unwrap(),
            Channel::EmployeeNote
        );
        assert_eq!("web form".parse::<Channel>().unwrap(), Channel::WebForm);
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>().unwrap(), channel);
        }
        let error = "fax".parse::<Channel>().unwrap_err().to_string();
        assert!(error.contains("expected one of survey"), "{error}");
    }

    #[test]
    fn content_hash_ids_are_stable_hex() {
        let id = ExternalId::from_content_hash([0xab; 16]);
        assert_eq!(id.as_str(), format!("h:{}", "ab".repeat(16)));
    }

    #[test]
    fn received_at_keeps_the_instant_and_the_original_offset() {
        let ts: Timestamp = "2015-02-24T19:35:52Z".parse().unwrap();
        let at = ReceivedAt::new(ts, Offset::from_hours(-8).unwrap());
        assert_eq!(at.unix_seconds(), 1_424_806_552);
        assert_eq!(at.offset_seconds(), -8 * 3600);
        assert_eq!(
            ReceivedAt::from_parts(at.unix_seconds(), at.offset_seconds()).unwrap(),
            at
        );
        assert!(ReceivedAt::from_parts(0, 100 * 3600).is_err());
    }

    #[test]
    fn attributes_skip_blank_values_and_refuse_blank_keys() {
        let mut attributes = Attributes::default();
        attributes.insert("state", " NY ").unwrap();
        attributes.insert("zip", "").unwrap();
        assert!(attributes.insert(" ", "x").is_err());
        assert!(attributes.insert("k", "a\0b").is_err());
        assert!(
            FeedbackText::parse("nul\0here")
                .unwrap_err()
                .to_string()
                .contains("NUL character at byte 3")
        );
        assert_eq!(attributes.iter().collect::<Vec<_>>(), vec![("state", "NY")]);
    }
}
