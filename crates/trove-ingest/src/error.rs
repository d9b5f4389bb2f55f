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
    /// A column the mapping names is missing from the header.
    #[error(
        "file {file}: column '{column}' named by the mapping ({key}) is not in the header; the header has: {}",
        header.join(", ")
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
    },
    /// A column the mapping names appears more than once in the header.
    #[error(
        "file {file}: column '{column}' named by the mapping ({key}) appears {count} times in the header"
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
    #[error("invalid UTF-8 at byte {byte}")]
    InvalidUtf8 {
        /// Offset of the first bad byte within the value (or line), from 0.
        byte: usize,
    },
    /// A quote opened in the last record and never closed.
    #[error("unclosed quote: the record starting here runs to the end of the file")]
    UnclosedQuote,
    /// One CSV field (or one JSON line) over [`crate::ReadOptions::max_field_bytes`]; reading
    /// stops here, since the rest of the file cannot be trusted.
    #[error(
        "a value runs over the limit of {limit} bytes (is a quote unclosed?); reading stopped here"
    )]
    FieldTooLarge {
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
    pub(crate) kind: RowErrorKind,
}

impl RowFailure {
    pub(crate) fn at(slot: usize, kind: impl Into<RowErrorKind>) -> Self {
        Self {
            slot: Some(slot),
            kind: kind.into(),
        }
    }

    pub(crate) fn row(kind: impl Into<RowErrorKind>) -> Self {
        Self {
            slot: None,
            kind: kind.into(),
        }
    }
}

/// Cuts a value for an error message to at most 60 characters.
pub(crate) fn excerpt(value: &str) -> String {
    value.chars().take(60).collect()
}
