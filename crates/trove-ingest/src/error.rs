//! What can go wrong: with a whole file ([`FileError`]) or with one row of it ([`RowError`]).

use std::fmt;

use thiserror::Error;
use trove_domain::DomainError;

/// A file that cannot be read at all: its header does not fit the mapping, the mapping is
/// invalid, or it cannot be opened. Nothing was imported from it.
#[derive(Debug, Error)]
pub enum FileError {
    /// Reading failed before the first row.
    #[error("file {file}: cannot read: {source}")]
    Io {
        /// The file, as the caller named it.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file without even a header line.
    #[error("file {file}: no header line: the file is empty")]
    Empty {
        /// The file.
        file: String,
    },
    /// A column the mapping (or a `--...-column` flag) names is missing from the header.
    #[error(
        "file {file}: the {} column '{column}' is not in the header; the header has: {}{}",
        field_of(key),
        header.join(", "),
        hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default()
    )]
    MissingColumn {
        /// The file.
        file: String,
        /// The column the mapping names.
        column: String,
        /// Where the mapping names it, e.g. `columns.text`.
        key: String,
        /// The header's column names.
        header: Vec<String>,
        /// What may be wrong, e.g. the header looks split on another delimiter.
        hint: Option<String>,
    },
    /// A column the mapping names appears more than once in the header.
    #[error(
        "file {file}: the {} column '{column}' appears {count} times in the header",
        field_of(key)
    )]
    AmbiguousColumn {
        /// The file.
        file: String,
        /// The column the mapping names.
        column: String,
        /// Where the mapping names it.
        key: String,
        /// How often it appears.
        count: usize,
    },
    /// The time column cannot be read without being told how its dates are written (every
    /// date fits both day-first and month-first readings, the column mixes the two, or its
    /// years have two digits). Checked before anything is stored.
    #[error("file {file}: column '{column}': {message}")]
    Time {
        /// The file.
        file: String,
        /// The time column.
        column: String,
        /// What is undecidable, with example values and how to say it.
        message: String,
    },
    /// No delimiter was given and the first lines split evenly on more than one.
    #[error(
        "file {file}: cannot tell the delimiter: the first lines split evenly on {}; name it with --delimiter (e.g. --delimiter '{}') or delimiter = \"...\" in the mapping",
        candidates.iter().map(|d| format!("'{}'", show_delimiter(*d))).collect::<Vec<_>>().join(" and "),
        show_delimiter(candidates.first().copied().unwrap_or(b','))
    )]
    AmbiguousDelimiter {
        /// The file.
        file: String,
        /// The delimiters that fit.
        candidates: Vec<u8>,
    },
    /// The file is not text in the expected encoding (see the message for what to do).
    #[error("file {file}: {message}")]
    Encoding {
        /// The file.
        file: String,
        /// What was found and which `--encoding` to try.
        message: String,
    },
    /// The file is not something Trove reads (a PDF, an archive, an image...).
    #[error(
        "file {file}: cannot read it: it seems to be {what}; Trove reads CSV (any delimiter), JSON Lines and workbooks (.xlsx, .xlsm, .xls, .ods)"
    )]
    NotReadable {
        /// The file.
        file: String,
        /// What it seems to be, from its first bytes.
        what: String,
    },
    /// A workbook whose sheet (the first, or the one named) has no cells.
    #[error(
        "file {file}: sheet '{sheet}' is empty; its sheets are: {}; choose one with --sheet (or sheet = \"...\" in the mapping)",
        sheets.join(", ")
    )]
    EmptySheet {
        /// The file.
        file: String,
        /// The sheet read.
        sheet: String,
        /// The workbook's sheets.
        sheets: Vec<String>,
    },
    /// A workbook without the sheet asked for.
    #[error("file {file}: no sheet named '{sheet}'; its sheets are: {}", sheets.join(", "))]
    NoSheet {
        /// The file.
        file: String,
        /// The sheet asked for.
        sheet: String,
        /// The workbook's sheets.
        sheets: Vec<String>,
    },
    /// The mapping itself is invalid.
    #[error("file {file}: {source}")]
    Mapping {
        /// The file.
        file: String,
        /// What is wrong with the mapping.
        #[source]
        source: MappingError,
    },
}

/// A mapping that cannot be used: bad TOML, an unknown key, or a contradiction.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("mapping {origin}: {message}")]
pub struct MappingError {
    /// Where the mapping came from (a file path, or `in code`).
    pub origin: String,
    /// What is wrong; for TOML errors, the parser's message with the line.
    pub message: String,
}

impl MappingError {
    pub(crate) fn new(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            message: message.into(),
        }
    }
}

/// Why one row was rejected. Messages are lowercase and say what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RowErrorKind {
    /// A CSV record with another number of fields than the header.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the record.
        found: usize,
    },
    /// A value (or, for JSON Lines, the line) that is not UTF-8.
    #[error("invalid UTF-8 at byte {byte}{}", match windows_1252 {
        Some(text) => format!(": it reads as Windows-1252 {text:?}: try --encoding windows-1252"),
        None => ": name the file's encoding with --encoding (e.g. --encoding windows-1252)".into(),
    })]
    InvalidUtf8 {
        /// Offset of the first bad byte within the value (or line), from 0.
        byte: usize,
        /// The value read as Windows-1252, when its bad bytes are letters or signs there.
        windows_1252: Option<String>,
    },
    /// A quote opened in the last record and never closed; reading stopped here.
    #[error("unclosed quote: the record starting here runs to the end of the file")]
    UnclosedQuote,
    /// One CSV field over [`crate::ReadOptions::max_field_bytes`]: the row is rejected and
    /// reading goes on after it.
    #[error("field of {bytes} bytes exceeds the limit of {}", show_bytes(*limit))]
    FieldTooLarge {
        /// The field's size in bytes.
        bytes: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A JSON line over [`crate::ReadOptions::max_field_bytes`]; the line is skipped.
    #[error("the line is over the limit of {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A time that matches none of the expected layouts.
    #[error("cannot read time {value:?}: expected {expected}")]
    BadTime {
        /// The value as given (at most 60 characters).
        value: String,
        /// The layouts that were tried, and why the value failed.
        expected: String,
    },
    /// A time more than a day after the import: a misread date, not a clock difference.
    #[error("time {value:?} is more than a day after the import (latest accepted: {latest})")]
    FutureTime {
        /// The value as given (at most 60 characters).
        value: String,
        /// The latest time accepted.
        latest: String,
    },
    /// A value of a coded field that the mapping's `[values.FIELD]` does not list (or, without
    /// such a table, that is not one of Trove's own values).
    #[error(
        "{field} {value:?} is not in [values.{key}] of the mapping{known}: add it there (e.g. {value:?} = \"...\") or give a default with [values.default] {key} = \"...\""
    )]
    UnmappedValue {
        /// The field, as messages name it (`channel`).
        field: &'static str,
        /// The mapping key of the field (`channel`, `business_unit`).
        key: &'static str,
        /// The value as given (at most 60 characters).
        value: String,
        /// `" nor a Trove channel (expected one of ...)"`, or empty.
        known: String,
    },
    /// A value the domain refused (empty id, score out of range, text too long...).
    #[error(transparent)]
    Value(#[from] DomainError),
    /// A row with no text, no score and no theme: nothing to learn from it.
    #[error("the row has no text, no score and no theme")]
    NoContent,
    /// A JSON line that does not parse.
    #[error("invalid JSON at column {column}: {message}")]
    Json {
        /// Column (1-based character position) in the line.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A JSON line that is not an object.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// What was found (`an array`, `a string`...).
        found: &'static str,
    },
    /// A JSON value that cannot be read as text.
    #[error("expected a string, number or boolean, found {found}")]
    JsonType {
        /// What was found (`an object`, `an array`...).
        found: &'static str,
    },
    /// Reading failed in the middle of the file; reading stops here.
    #[error("cannot read further: {0}")]
    Io(String),
}

impl RowErrorKind {
    /// True when reading stopped at this row: the rows after it, if any, were not read, so an
    /// import that meets it has not completed.
    pub fn stops_reading(&self) -> bool {
        matches!(self, Self::UnclosedQuote | Self::Io(_))
    }

    /// A value that is not UTF-8, with its Windows-1252 reading when that looks like text.
    pub(crate) fn invalid_utf8(value: &[u8], byte: usize) -> Self {
        Self::InvalidUtf8 {
            byte,
            windows_1252: crate::input::as_windows_1252(value, byte).map(|text| excerpt(&text)),
        }
    }
}

/// The field a mapping key feeds, for messages that hold for mappings and flags alike.
fn field_of(key: &str) -> String {
    let field = match key {
        "themes.columns" => "theme",
        "attributes.columns" => "attribute",
        "channel_column" => "channel",
        other => other.strip_prefix("columns.").unwrap_or(other),
    };
    field.replace('_', " ")
}

/// A delimiter as a person types it (`tab` for a tab).
fn show_delimiter(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".into(),
        other => char::from(other).to_string(),
    }
}

/// A size in MiB when it is a whole number of them, else in bytes.
fn show_bytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The original content of a rejected row, kept so it can be written to a rejected-rows file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRecord {
    /// A CSV record's fields, as bytes.
    Fields(Vec<Vec<u8>>),
    /// A JSON line, without its line terminator.
    Line(Vec<u8>),
}

/// One rejected row: where it is, which column, why, and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file, as the caller named it.
    pub file: String,
    /// Line where the row starts (the header is line 1 in CSV files).
    pub line: u64,
    /// The column (CSV header name, JSON key path), when one value is at fault.
    pub column: Option<String>,
    /// Why the row was rejected.
    pub kind: RowErrorKind,
    /// The row as read.
    pub raw: RawRecord,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(column) = &self.column {
            write!(f, "column {column}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for RowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.kind)
    }
}

/// A row failure before the file name and line are attached: the slot of the column at fault.
#[derive(Debug)]
pub(crate) struct RowFailure {
    pub(crate) slot: Option<usize>,
    /// The column by its header name, for a column the mapping does not use.
    pub(crate) column: Option<String>,
    pub(crate) kind: RowErrorKind,
}

impl RowFailure {
    pub(crate) fn at(slot: usize, kind: impl Into<RowErrorKind>) -> Self {
        Self {
            slot: Some(slot),
            column: None,
            kind: kind.into(),
        }
    }

    pub(crate) fn row(kind: impl Into<RowErrorKind>) -> Self {
        Self {
            slot: None,
            column: None,
            kind: kind.into(),
        }
    }

    pub(crate) fn named(column: String, kind: impl Into<RowErrorKind>) -> Self {
        Self {
            slot: None,
            column: Some(column),
            kind: kind.into(),
        }
    }
}

/// Cuts a value for an error message to at most 60 characters.
pub(crate) fn excerpt(value: &str) -> String {
    value.chars().take(60).collect()
}
