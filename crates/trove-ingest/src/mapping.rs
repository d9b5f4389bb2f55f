//! Column mappings: which input column feeds which field, read from TOML or built in code.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::tz::Offset;
use serde::{Deserialize, Deserializer};
use trove_domain::{Channel, Currency, Label, QuestionKind};

use crate::error::MappingError;
use crate::input::TextEncoding;
use crate::time::{DateOrder, LocalZone, time_zone};

/// The layout of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma (or other delimiter) separated values with a header line.
    Csv,
    /// One JSON object per line.
    #[serde(alias = "ndjson")]
    Jsonl,
    /// A spreadsheet workbook (.xlsx, .xlsm, .xlsb, .xls, .ods); the first sheet unless one is named.
    #[serde(alias = "xlsx", alias = "xls", alias = "ods")]
    Workbook,
}

impl Format {
    /// The format a file name suggests: `.jsonl` and `.ndjson` are JSON Lines, `.xlsx`,
    /// `.xlsm`, `.xlsb`, `.xls` and `.ods` workbooks, anything else CSV. (Workbooks are also
    /// recognised by their content, whatever their name.)
    pub fn from_file_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        let extension = lower.rsplit_once('.').map_or("", |(_, e)| e);
        match extension {
            "jsonl" | "ndjson" => Self::Jsonl,
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => Self::Workbook,
            _ => Self::Csv,
        }
    }
}

/// How a feedback file maps onto [`trove_domain::FeedbackItem`].
///
/// Column names are CSV header names or JSON keys; a dotted name (`user.name`) reaches into
/// nested JSON objects when no top-level key has that exact name. Build one with
/// [`Mapping::new`] and set its fields, or read it from TOML with [`Mapping::from_toml_str`]
/// or [`Mapping::load`]; unknown keys in TOML are errors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The named source; with the external id, the dedup key of an item.
    pub source: Label,
    /// The channel of every item in the file (exclusive with `channel_column`).
    #[serde(default, deserialize_with = "channel_from_text")]
    pub channel: Option<Channel>,
    /// A column holding each item's channel (values as [`Channel`] parses them).
    #[serde(default)]
    pub channel_column: Option<String>,
    /// The file's format; when absent, guessed from the file name ([`Format::from_file_name`]).
    #[serde(default)]
    pub format: Option<Format>,
    /// CSV delimiter (one byte; `"\t"`, `"\\t"` and `"tab"` mean a tab); default: sniffed
    /// among `,` `;` tab and `|`.
    #[serde(default, deserialize_with = "delimiter_from_text")]
    pub delimiter: Option<u8>,
    /// The text encoding (`"windows-1252"`, `"utf-16"`...); default UTF-8, or what the
    /// file's byte-order mark says.
    #[serde(default, deserialize_with = "encoding_from_text")]
    pub encoding: Option<TextEncoding>,
    /// The workbook sheet to read; default the first.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Which column feeds which field.
    #[serde(default)]
    pub columns: Columns,
    /// How times are written.
    #[serde(default)]
    pub time: TimeSpec,
    /// Columns holding themes the source already coded.
    #[serde(default)]
    pub themes: ThemeSpec,
    /// Columns kept as free attributes.
    #[serde(default)]
    pub attributes: AttributeSpec,
    /// Rows after the header that are not data (export preambles such as Qualtrics' question
    /// text and ImportId rows); for JSON Lines, lines at the start.
    #[serde(default)]
    pub skip_rows: u64,
    /// Source words mapped to Trove's, per field: `[values.channel]` with
    /// `"Phone call (inbound)" = "call"`; `[values.default]` with `channel = "ticket"` for
    /// words not listed. Matching ignores case and surrounding spaces; an empty target
    /// (`"n/a" = ""`) means no value (not for the channel). See [`VALUE_FIELDS`].
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// The question the text answers, as the survey asked it (`"What could we improve?"`).
    #[serde(default)]
    pub question: Option<String>,
    /// Its kind: `improve`, `praise` or `open` (required with `question`); it changes how
    /// the answers' sentiment is read (see `trove_text::question`).
    #[serde(default)]
    pub question_kind: Option<QuestionKind>,
}

/// The input column for each field of a feedback item; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// The source's id for the item; when absent or empty, a content hash is the id.
    pub id: Option<String>,
    /// When the item was received; when absent, the import time is used.
    pub time: Option<String>,
    /// The customer's words.
    pub text: Option<String>,
    /// The customer's id.
    pub customer: Option<String>,
    /// The customer's account.
    pub account: Option<String>,
    /// The business unit.
    pub business_unit: Option<String>,
    /// The product.
    pub product: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The touchpoint.
    pub touchpoint: Option<String>,
    /// The journey stage.
    pub stage: Option<String>,
    /// The language of the text.
    pub language: Option<String>,
    /// An NPS answer (0-10).
    pub nps: Option<String>,
    /// A CSAT answer (1-5).
    pub csat: Option<String>,
    /// A CES answer (1-7).
    pub ces: Option<String>,
}

impl Columns {
    /// The field names accepted by [`Columns::set`], in the order of the struct.
    pub const FIELDS: [&'static str; 14] = [
        "id",
        "time",
        "text",
        "customer",
        "account",
        "business_unit",
        "product",
        "region",
        "touchpoint",
        "stage",
        "language",
        "nps",
        "csat",
        "ces",
    ];

    /// Sets the column of a field named as in TOML (e.g. from a `--column text=body` flag).
    pub fn set(&mut self, field: &str, column: impl Into<String>) -> Result<(), MappingError> {
        let slot = match field {
            "id" => &mut self.id,
            "time" => &mut self.time,
            "text" => &mut self.text,
            "customer" => &mut self.customer,
            "account" => &mut self.account,
            "business_unit" => &mut self.business_unit,
            "product" => &mut self.product,
            "region" => &mut self.region,
            "touchpoint" => &mut self.touchpoint,
            "stage" => &mut self.stage,
            "language" => &mut self.language,
            "nps" => &mut self.nps,
            "csat" => &mut self.csat,
            "ces" => &mut self.ces,
            _ => {
                return Err(MappingError::new(
                    "(built in code)",
                    format!(
                        "unknown field '{field}', expected one of {}",
                        Self::FIELDS.join(", ")
                    ),
                ));
            }
        };
        *slot = Some(column.into());
        Ok(())
    }

    /// Every named column with its TOML key, in field order.
    pub(crate) fn named(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("columns.id", &self.id),
            ("columns.time", &self.time),
            ("columns.text", &self.text),
            ("columns.customer", &self.customer),
            ("columns.account", &self.account),
            ("columns.business_unit", &self.business_unit),
            ("columns.product", &self.product),
            ("columns.region", &self.region),
            ("columns.touchpoint", &self.touchpoint),
            ("columns.stage", &self.stage),
            ("columns.language", &self.language),
            ("columns.nps", &self.nps),
            ("columns.csat", &self.csat),
            ("columns.ces", &self.ces),
        ];
        all.into_iter()
            .filter_map(|(key, column)| column.as_deref().map(|c| (key, c)))
            .collect()
    }
}

/// How the time column is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// A jiff `strftime` layout such as `%d/%m/%Y %H:%M`, or the same written the Excel way
    /// (`dd/mm/yyyy hh:mm`, translated). When absent, these are recognised: RFC 3339 /
    /// ISO 8601 (`2015-02-24T11:35:52-08:00`, with or without offset or time),
    /// `2015-02-24 11:35:52 -0800`, and numeric dates as Excel writes them (`24/02/2015 11:35`,
    /// `2/24/2015 11:35:52 AM`, `24.02.2015`), day first or month first as the whole column
    /// shows (see [`crate::decide_date_order`]).
    #[serde(default)]
    pub format: Option<String>,
    /// The offset of times written without one (default `+00:00`); exclusive with `timezone`.
    #[serde(default, deserialize_with = "offset_from_text")]
    pub default_offset: Option<Offset>,
    /// The IANA time zone of times written without an offset (`America/Chicago`): each time
    /// gets the offset of its own day, daylight saving included.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The order of day and month in numeric dates (`day-first` or `month-first`), when the
    /// file cannot show it; set by the import when the column shows it.
    #[serde(default)]
    pub dates: Option<DateOrder>,
}

impl TimeSpec {
    /// Where times written without an offset are.
    pub(crate) fn local_zone(&self) -> Result<LocalZone, String> {
        match (&self.timezone, self.default_offset) {
            (Some(_), Some(_)) => {
                Err("[time] sets both default_offset and timezone: keep one".to_owned())
            }
            (Some(name), None) => time_zone(name).map(LocalZone::Named),
            (None, offset) => Ok(LocalZone::Fixed(offset.unwrap_or(Offset::UTC))),
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.local_zone()?;
        if let Some(layout) = &self.format {
            crate::time::check_layout(layout)?;
            if self.dates.is_some() {
                return Err(
                    "[time] sets both format and dates: the format already says the order".into(),
                );
            }
        }
        Ok(())
    }
}

/// The fields whose source values `[values.FIELD]` tables map to Trove's.
pub const VALUE_FIELDS: [&str; 8] = [
    "channel",
    "business_unit",
    "product",
    "region",
    "touchpoint",
    "stage",
    "language",
    "themes",
];

/// The key of `[values]` that holds each field's default: a sibling of the field tables, so
/// it can never be mistaken for a source word (words live inside `[values.FIELD]`).
const DEFAULT_KEY: &str = "default";

/// Columns whose values are themes the source already coded (e.g. a complaint's issue).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeSpec {
    /// The columns; each non-empty value becomes a source theme.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Splits one cell into several themes (e.g. `";"`); JSON arrays are always split.
    #[serde(default)]
    pub separator: Option<String>,
}

/// Columns kept as free attributes of each item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    /// The columns; the attribute key is the column name unless renamed.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Attribute keys for some of the columns: `{ "Submitted via" = "submitted_via" }`.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
}

impl Mapping {
    /// A mapping with a fixed channel and no columns yet.
    pub fn new(source: Label, channel: Channel) -> Self {
        Self {
            source,
            channel: Some(channel),
            channel_column: None,
            format: None,
            delimiter: None,
            encoding: None,
            sheet: None,
            columns: Columns::default(),
            time: TimeSpec::default(),
            themes: ThemeSpec::default(),
            attributes: AttributeSpec::default(),
            skip_rows: 0,
            values: BTreeMap::new(),
            question: None,
            question_kind: None,
        }
    }

    /// True when the file must be read once before the import to decide the order of day
    /// and month in its dates ([`crate::decide_date_order`]): a time column, and neither a
    /// layout nor an order given.
    pub fn date_order_undecided(&self) -> bool {
        self.columns.time.is_some() && self.time.format.is_none() && self.time.dates.is_none()
    }

    /// The compiled `[values.FIELD]` table and default of a field, when the mapping has one.
    pub(crate) fn value_map(&self, key: &'static str) -> Option<ValueMap> {
        let words = self.values.get(key);
        let default = self
            .values
            .get(DEFAULT_KEY)
            .and_then(|defaults| defaults.get(key));
        if words.is_none() && default.is_none() {
            return None;
        }
        Some(ValueMap {
            words: words
                .into_iter()
                .flatten()
                .map(|(word, target)| (normal_word(word), target.trim().to_owned()))
                .collect(),
            default: default.map(|d| d.trim().to_owned()),
        })
    }

    fn validate_values(&self) -> Result<(), String> {
        let known = || VALUE_FIELDS.join(", ");
        for (key, table) in &self.values {
            if key == DEFAULT_KEY {
                for (field, target) in table {
                    let Some(field) = VALUE_FIELDS.iter().find(|f| *f == field) else {
                        return Err(format!(
                            "values.default.{field}: unknown field, expected one of {}",
                            known()
                        ));
                    };
                    check_target(field, target)
                        .map_err(|why| format!("values.default.{field}: {why}"))?;
                }
                continue;
            }
            let Some(field) = VALUE_FIELDS.iter().find(|f| *f == key) else {
                return Err(format!(
                    "[values.{key}]: unknown field, expected one of {} (or default)",
                    known()
                ));
            };
            let mut seen: BTreeMap<String, (&str, &str)> = BTreeMap::new();
            for (word, target) in table {
                check_target(field, target)
                    .map_err(|why| format!("[values.{key}] {word:?}: {why}"))?;
                let normal = normal_word(word);
                if normal.is_empty() {
                    return Err(format!(
                        "[values.{key}] has an empty word: empty cells are no value, never mapped"
                    ));
                }
                if let Some((other, other_target)) = seen.insert(normal, (word, target))
                    && other_target.trim() != target.trim()
                {
                    return Err(format!(
                        "[values.{key}] maps {other:?} and {word:?}, the same word once case and spaces are ignored, to different values"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads and checks a mapping written in TOML; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, MappingError> {
        parse_checked(text, origin, Self::validate)
    }

    /// Reads and checks a mapping file.
    pub fn load(path: &Path) -> Result<Self, MappingError> {
        load_checked(path, Self::from_toml_str)
    }

    /// Checks what serde cannot: one channel, something to import, a usable time layout.
    pub fn validate(&self) -> Result<(), MappingError> {
        let fail = |message: String| Err(MappingError::new("(built in code)", message));
        match (&self.channel, &self.channel_column) {
            (Some(_), Some(_)) => {
                return fail("set either channel or channel_column, not both".into());
            }
            (None, None) => {
                return fail("set channel (e.g. channel = \"survey\") or channel_column".into());
            }
            _ => {}
        }
        let c = &self.columns;
        let has_content = c.text.is_some()
            || c.nps.is_some()
            || c.csat.is_some()
            || c.ces.is_some()
            || !self.themes.columns.is_empty();
        if !has_content {
            return fail(
                "name a text column, a score column (nps, csat, ces) or theme columns".into(),
            );
        }
        if let Some(delimiter) = self.delimiter {
            check_delimiter(delimiter).or_else(fail)?;
        }
        self.time.validate().or_else(fail)?;
        self.validate_values().or_else(fail)?;
        match (&self.question, self.question_kind) {
            (Some(_), None) => {
                return fail(
                    "question needs question_kind = \"improve\", \"praise\" or \"open\"".into(),
                );
            }
            (None, Some(_)) => {
                return fail("question_kind needs the question (question = \"...\")".into());
            }
            (Some(q), Some(_)) if q.trim().is_empty() => {
                return fail("question is empty".into());
            }
            _ => {}
        }
        if let Some(separator) = &self.themes.separator
            && separator.is_empty()
        {
            return fail("themes.separator is empty".into());
        }
        for (column, key) in &self.attributes.rename {
            if !self.attributes.columns.contains(column) {
                return fail(format!(
                    "attributes.rename names column '{column}', which is not in attributes.columns"
                ));
            }
            if key.trim().is_empty() {
                return fail(format!(
                    "attributes.rename gives column '{column}' an empty name"
                ));
            }
        }
        let named = c.named().into_iter().map(|(_, column)| column);
        let listed = self
            .themes
            .columns
            .iter()
            .chain(&self.attributes.columns)
            .map(String::as_str);
        if let Some(empty) = named
            .chain(listed)
            .chain(self.channel_column.as_deref())
            .find(|c| c.is_empty())
        {
            return fail(format!("a column name is empty ({empty:?})"));
        }
        Ok(())
    }

    /// The attribute key of a kept column.
    pub(crate) fn attribute_key<'a>(&'a self, column: &'a str) -> &'a str {
        self.attributes
            .rename
            .get(column)
            .map_or(column, String::as_str)
    }
}

/// How a customers file maps onto [`trove_domain::Customer`].
///
/// Without `[columns]`, the header names are the field names, and every column but `id` may be
/// absent: `id,name,email,segment,business_unit,region,lifetime_value,currency,first_seen,churned`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerMapping {
    /// The file's format; when absent, guessed from the file name.
    #[serde(default)]
    pub format: Option<Format>,
    /// CSV delimiter, as in [`Mapping::delimiter`].
    #[serde(default, deserialize_with = "delimiter_from_text")]
    pub delimiter: Option<u8>,
    /// The text encoding, as in [`Mapping::encoding`].
    #[serde(default, deserialize_with = "encoding_from_text")]
    pub encoding: Option<TextEncoding>,
    /// The workbook sheet to read; default the first.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Which column feeds which field; `None` means the default header names.
    #[serde(default)]
    pub columns: Option<CustomerColumns>,
    /// The currency of every value, when there is no currency column.
    #[serde(default)]
    pub currency: Option<Currency>,
    /// A jiff `strftime` layout for `first_seen`; by default the layouts of [`TimeSpec::format`].
    #[serde(default)]
    pub date_format: Option<String>,
}

/// The input column for each field of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerColumns {
    /// The customer's id (required).
    pub id: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Segment.
    pub segment: Option<String>,
    /// Business unit.
    pub business_unit: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Lifetime value or revenue (a decimal amount).
    pub value: Option<String>,
    /// The value's currency (ISO code), when it varies by row.
    pub currency: Option<String>,
    /// First day seen.
    pub first_seen: Option<String>,
    /// Whether the customer left (yes/no, true/false, 1/0, y/n).
    pub churned: Option<String>,
}

impl CustomerColumns {
    /// The header names used when a customers file comes without a mapping.
    pub fn defaults() -> Self {
        let name = |s: &str| Some(s.to_owned());
        Self {
            id: name("id"),
            name: name("name"),
            email: name("email"),
            segment: name("segment"),
            business_unit: name("business_unit"),
            region: name("region"),
            value: name("lifetime_value"),
            currency: name("currency"),
            first_seen: name("first_seen"),
            churned: name("churned"),
        }
    }

    /// Every field with its TOML key and column, in field order.
    pub(crate) fn all(&self) -> [(&'static str, Option<&str>); 10] {
        [
            ("columns.id", self.id.as_deref()),
            ("columns.name", self.name.as_deref()),
            ("columns.email", self.email.as_deref()),
            ("columns.segment", self.segment.as_deref()),
            ("columns.business_unit", self.business_unit.as_deref()),
            ("columns.region", self.region.as_deref()),
            ("columns.value", self.value.as_deref()),
            ("columns.currency", self.currency.as_deref()),
            ("columns.first_seen", self.first_seen.as_deref()),
            ("columns.churned", self.churned.as_deref()),
        ]
    }
}

/// Parses a TOML mapping and runs its own checks, every error naming `origin`.
fn parse_checked<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
    validate: impl Fn(&T) -> Result<(), MappingError>,
) -> Result<T, MappingError> {
    let mapping: T = toml::from_str(text).map_err(|e| MappingError::new(origin, e.to_string()))?;
    validate(&mapping).map_err(|e| MappingError::new(origin, e.message))?;
    Ok(mapping)
}

/// Reads a mapping file and parses it with `parse`, naming the file in every error.
fn load_checked<T>(
    path: &Path,
    parse: impl Fn(&str, &str) -> Result<T, MappingError>,
) -> Result<T, MappingError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| MappingError::new(origin.as_str(), format!("cannot read: {e}")))?;
    parse(&text, &origin)
}

impl CustomerMapping {
    /// Reads and checks a customer mapping written in TOML; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, MappingError> {
        parse_checked(text, origin, Self::validate)
    }

    /// Reads and checks a customer mapping file.
    pub fn load(path: &Path) -> Result<Self, MappingError> {
        load_checked(path, Self::from_toml_str)
    }

    /// Checks that an explicit `[columns]` names the id, and the layouts are usable.
    pub fn validate(&self) -> Result<(), MappingError> {
        let fail = |message: String| Err(MappingError::new("(built in code)", message));
        if let Some(columns) = &self.columns
            && columns.id.is_none()
        {
            return fail("columns.id is required".into());
        }
        if let Some(delimiter) = self.delimiter {
            check_delimiter(delimiter).or_else(fail)?;
        }
        if let Some(layout) = &self.date_format {
            crate::time::check_layout(layout).or_else(fail)?;
        }
        Ok(())
    }
}

fn check_delimiter(delimiter: u8) -> Result<(), String> {
    if matches!(delimiter, b'"' | b'\n' | b'\r') || !delimiter.is_ascii() {
        return Err(format!(
            "delimiter {:?} cannot separate fields",
            char::from(delimiter)
        ));
    }
    Ok(())
}

/// A source word as `[values]` tables match it: trimmed, case ignored.
pub(crate) fn normal_word(word: &str) -> String {
    word.trim().to_lowercase()
}

/// Checks a `[values]` target: a Trove channel for `channel`, a label (or empty: no value)
/// for the other fields.
fn check_target(field: &str, target: &str) -> Result<(), String> {
    if field == "channel" {
        return target
            .parse::<Channel>()
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if target.trim().is_empty() {
        return Ok(());
    }
    Label::parse("value", target)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A `[values.FIELD]` table ready for lookups.
#[derive(Debug, Clone)]
pub(crate) struct ValueMap {
    words: std::collections::HashMap<String, String>,
    default: Option<String>,
}

impl ValueMap {
    /// The target of a source word: listed, else the default; `None` when neither.
    pub(crate) fn target(&self, word: &str) -> Option<&str> {
        self.listed(word).or(self.default.as_deref())
    }

    /// The target of a listed word, without the default.
    pub(crate) fn listed(&self, word: &str) -> Option<&str> {
        self.words.get(&normal_word(word)).map(String::as_str)
    }

    /// The default, if any.
    pub(crate) fn default(&self) -> Option<&str> {
        self.default.as_deref()
    }
}

fn channel_from_text<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Channel>, D::Error> {
    let text = String::deserialize(de)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

fn delimiter_from_text<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u8>, D::Error> {
    let text = String::deserialize(de)?;
    parse_delimiter(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn encoding_from_text<'de, D: Deserializer<'de>>(de: D) -> Result<Option<TextEncoding>, D::Error> {
    let text = String::deserialize(de)?;
    TextEncoding::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn offset_from_text<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Offset>, D::Error> {
    let text = String::deserialize(de)?;
    parse_offset(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Reads a delimiter: one ASCII character, or `\t` / `tab` for a tab.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    let byte = match text {
        "\\t" | "tab" | "\t" => b'\t',
        _ if text.len() == 1 => text.as_bytes()[0],
        _ => {
            return Err(format!(
                "delimiter {text:?} must be a single character such as \",\", \";\" or \"\\t\""
            ));
        }
    };
    check_delimiter(byte)?;
    Ok(byte)
}

/// Reads a UTC offset such as `-05:00`, `+0530`, `+02`, `Z` or `UTC`.
pub fn parse_offset(text: &str) -> Result<Offset, String> {
    let bad = || format!("offset {text:?} is not valid: expected a form like -05:00, +0530 or Z");
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("z") || trimmed.eq_ignore_ascii_case("utc") {
        return Ok(Offset::UTC);
    }
    let (sign, rest) = match trimmed.as_bytes().first() {
        Some(b'+') => (1, &trimmed[1..]),
        Some(b'-') => (-1, &trimmed[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    let colons = rest.len() - digits.len();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || colons > 1 || !matches!(digits.len(), 2 | 4) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().map_err(|_| bad())?
    } else {
        0
    };
    if minutes >= 60 {
        return Err(bad());
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIRLINE: &str = r#"
source = "airline-tweets"
channel = "social"
[columns]
id = "tweet_id"
time = "tweet_created"
text = "text"
[time]
format = "%Y-%m-%d %H:%M:%S %z"
default_offset = "-05:00"
[attributes]
columns = ["retweet_count"]
"#;

    #[test]
    fn a_toml_mapping_reads_its_columns_time_and_attributes() {
        let mapping = Mapping::from_toml_str(AIRLINE, "airline.toml").unwrap();
        assert_eq!(mapping.source.as_str(), "airline-tweets");
        assert_eq!(mapping.channel, Some(Channel::Social));
        assert_eq!(mapping.columns.id.as_deref(), Some("tweet_id"));
        assert_eq!(mapping.time.default_offset, Offset::from_hours(-5).ok());
        assert_eq!(mapping.attributes.columns, vec!["retweet_count"]);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_toml_line() {
        let text = AIRLINE.replace("text = \"text\"", "txet = \"text\"");
        let error = Mapping::from_toml_str(&text, "airline.toml")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("mapping airline.toml: "), "{error}");
        assert!(error.contains("line 7"), "{error}");
        assert!(error.contains("unknown field `txet`"), "{error}");
    }

    #[test]
    fn a_mapping_needs_one_channel_and_some_content() {
        let no_text = "source = \"s\"\nchannel = \"survey\"\n[columns]\nid = \"id\"\n";
        let error = Mapping::from_toml_str(no_text, "m.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("name a text column"), "{error}");
        let two = "source = \"s\"\nchannel = \"survey\"\nchannel_column = \"c\"\n[columns]\ntext = \"t\"\n";
        assert!(
            Mapping::from_toml_str(two, "m.toml")
                .unwrap_err()
                .to_string()
                .contains("not both")
        );
        let none = "source = \"s\"\n[columns]\ntext = \"t\"\n";
        assert!(Mapping::from_toml_str(none, "m.toml").is_err());
        let themes_only = "source = \"s\"\nchannel = \"ticket\"\n[themes]\ncolumns = [\"Issue\"]\n";
        assert!(Mapping::from_toml_str(themes_only, "m.toml").is_ok());
    }

    #[test]
    fn bad_channels_delimiters_offsets_and_layouts_are_refused() {
        let base = "source = \"s\"\n[columns]\ntext = \"t\"\n";
        let with = |line: &str| Mapping::from_toml_str(&format!("{line}\n{base}"), "m.toml");
        assert!(
            with("channel = \"fax\"")
                .unwrap_err()
                .to_string()
                .contains("expected one of survey")
        );
        assert!(with("channel = \"social\"\ndelimiter = \";;\"").is_err());
        assert_eq!(
            with("channel = \"social\"\ndelimiter = \"\\t\"")
                .unwrap()
                .delimiter,
            Some(b'\t')
        );
        assert_eq!(
            with("channel = \"social\"\ndelimiter = \"tab\"")
                .unwrap()
                .delimiter,
            Some(b'\t')
        );
        let bad_layout = format!("channel = \"social\"\n{base}[time]\nformat = \"%Y %!\"\n");
        assert!(Mapping::from_toml_str(&bad_layout, "m.toml").is_err());
        let bad_offset = format!("channel = \"social\"\n{base}[time]\ndefault_offset = \"EST\"\n");
        assert!(
            Mapping::from_toml_str(&bad_offset, "m.toml")
                .unwrap_err()
                .to_string()
                .contains("offset \"EST\"")
        );
    }

    #[test]
    fn value_tables_are_checked_when_the_mapping_is_read() {
        let base = "source = \"s\"\nchannel_column = \"via\"\n[columns]\ntext = \"t\"\n";
        let with = |more: &str| Mapping::from_toml_str(&format!("{base}{more}"), "m.toml");
        let ok = with("[values.channel]\n\"Phone call (inbound)\" = \"call\"\n[values.default]\nchannel = \"ticket\"\n")
            .unwrap();
        let map = ok.value_map("channel").unwrap();
        assert_eq!(map.target("  phone CALL (inbound) "), Some("call"));
        assert_eq!(map.target("Fax"), Some("ticket"));
        assert_eq!(map.listed("Fax"), None);
        let refused = |more: &str, part: &str| {
            let error = with(more).unwrap_err().to_string();
            assert!(error.contains(part), "{error}");
        };
        refused(
            "[values.chanel]\nWeb = \"web_form\"\n",
            "[values.chanel]: unknown field",
        );
        refused(
            "[values.channel]\nWeb = \"website\"\n",
            "expected one of survey",
        );
        refused(
            "[values.default]\ncolour = \"red\"\n",
            "values.default.colour",
        );
        refused(
            "[values.stage]\nWeb = \"a\"\n\" web\" = \"b\"\n",
            "the same word once case and spaces are ignored",
        );
        assert!(with("[values.themes]\n\"n/a\" = \"\"\n").is_ok());
        refused("[values.channel]\n\"n/a\" = \"\"\n", "channel");
    }

    #[test]
    fn time_settings_that_contradict_each_other_are_refused() {
        let base =
            "source = \"s\"\nchannel = \"survey\"\n[columns]\ntext = \"t\"\ntime = \"w\"\n[time]\n";
        let with = |more: &str| Mapping::from_toml_str(&format!("{base}{more}"), "m.toml");
        assert!(with("timezone = \"Europe/Paris\"\n").is_ok());
        assert!(with("timezone = \"Europe/Pariss\"\n").is_err());
        assert!(with("timezone = \"Europe/Paris\"\ndefault_offset = \"+01:00\"\n").is_err());
        assert!(with("dates = \"day-first\"\n").is_ok());
        assert!(with("dates = \"day-first\"\nformat = \"%d/%m/%Y\"\n").is_err());
        assert!(with("dates = \"sideways\"\n").is_err());
        assert!(with("format = \"dd/mm/yyyy hh:mm\"\n").is_ok());
        let undecided = with("").unwrap();
        assert!(undecided.date_order_undecided());
        assert!(
            !with("dates = \"month-first\"\n")
                .unwrap()
                .date_order_undecided()
        );
    }

    #[test]
    fn offsets_parse_in_the_usual_forms() {
        assert_eq!(parse_offset("-05:00").unwrap().seconds(), -5 * 3600);
        assert_eq!(parse_offset("+0530").unwrap().seconds(), 5 * 3600 + 30 * 60);
        assert_eq!(parse_offset("+02").unwrap().seconds(), 2 * 3600);
        assert_eq!(parse_offset("Z").unwrap(), Offset::UTC);
        assert!(parse_offset("05:00").is_err());
        assert!(parse_offset("+05:75").is_err());
    }

    #[test]
    fn columns_can_be_set_by_field_name_as_flags_do() {
        let mut mapping = Mapping::new(Label::parse("source", "s").unwrap(), Channel::Survey);
        mapping.columns.set("nps", "score").unwrap();
        assert_eq!(mapping.columns.nps.as_deref(), Some("score"));
        assert!(
            mapping
                .columns
                .set("colour", "x")
                .unwrap_err()
                .to_string()
                .contains("expected one of id, time")
        );
        assert!(mapping.validate().is_ok());
    }

    #[test]
    fn renames_must_name_kept_attribute_columns() {
        let text = "source = \"s\"\nchannel = \"ticket\"\n[columns]\ntext = \"t\"\n[attributes]\ncolumns = [\"a\"]\nrename = { b = \"bee\" }\n";
        assert!(
            Mapping::from_toml_str(text, "m.toml")
                .unwrap_err()
                .to_string()
                .contains("column 'b'")
        );
    }

    #[test]
    fn customer_mappings_default_to_field_names_and_need_an_id_when_explicit() {
        assert_eq!(
            CustomerMapping::from_toml_str("", "c.toml").unwrap(),
            CustomerMapping::default()
        );
        let text = "currency = \"usd\"\n[columns]\nname = \"Name\"\n";
        assert!(
            CustomerMapping::from_toml_str(text, "c.toml")
                .unwrap_err()
                .to_string()
                .contains("columns.id")
        );
        let text = "currency = \"usd\"\n[columns]\nid = \"Id\"\n";
        assert_eq!(
            CustomerMapping::from_toml_str(text, "c.toml")
                .unwrap()
                .currency
                .unwrap()
                .as_str(),
            "USD"
        );
    }

    #[test]
    fn formats_follow_the_file_extension() {
        assert_eq!(Format::from_file_name("a/b.JSONL"), Format::Jsonl);
        assert_eq!(Format::from_file_name("x.ndjson"), Format::Jsonl);
        assert_eq!(Format::from_file_name("x.tsv"), Format::Csv);
    }
}
