//! One interface over CSV and JSON Lines records: the values of the columns a mapping wants,
//! by slot (the column's position in the wanted list).

use std::io::Read;

use crate::Format;
use crate::csv_reader::CsvRecords;
use crate::error::{FileError, RawRecord, RowErrorKind, RowFailure};
use crate::jsonl_reader::JsonlRecords;

/// A column a mapping uses.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    /// Header name or JSON key path.
    pub(crate) column: String,
    /// Where the mapping names it, for errors (`columns.text`).
    pub(crate) key: String,
    /// Whether a CSV header must have it.
    pub(crate) required: bool,
    /// Whether a JSON array is accepted (and split into several values).
    pub(crate) list: bool,
}

impl Wanted {
    pub(crate) fn new(column: &str, key: impl Into<String>) -> Self {
        Self {
            column: column.to_owned(),
            key: key.into(),
            required: true,
            list: false,
        }
    }
}

pub(crate) enum Records<R> {
    Csv(CsvRecords<R>),
    Jsonl(JsonlRecords<R>),
}

impl<R: Read> Records<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        format: Format,
        delimiter: u8,
        wanted: &[Wanted],
        max_field_bytes: usize,
    ) -> Result<Self, FileError> {
        Ok(match format {
            Format::Csv => Self::Csv(CsvRecords::open(
                reader,
                file,
                delimiter,
                wanted,
                max_field_bytes,
            )?),
            Format::Jsonl => Self::Jsonl(JsonlRecords::open(reader, wanted, max_field_bytes)),
        })
    }

    pub(crate) fn advance(&mut self) -> Option<Result<(), RowFailure>> {
        match self {
            Self::Csv(r) => r.advance(),
            Self::Jsonl(r) => r.advance(),
        }
    }

    pub(crate) fn line(&self) -> u64 {
        match self {
            Self::Csv(r) => r.line(),
            Self::Jsonl(r) => r.line(),
        }
    }

    /// A wanted value as text, trimmed; CSV values are checked to be UTF-8 here, so columns
    /// the mapping does not use are never checked.
    pub(crate) fn value(&self, slot: usize) -> Result<&str, RowFailure> {
        let text = match self {
            Self::Csv(r) => std::str::from_utf8(r.raw_value(slot)).map_err(|e| {
                RowFailure::at(
                    slot,
                    RowErrorKind::InvalidUtf8 {
                        byte: e.valid_up_to(),
                    },
                )
            })?,
            Self::Jsonl(r) => r.value(slot),
        };
        Ok(text.trim())
    }

    /// A wanted value's bytes as read (for content hashes).
    pub(crate) fn raw_value(&self, slot: usize) -> &[u8] {
        match self {
            Self::Csv(r) => r.raw_value(slot),
            Self::Jsonl(r) => r.raw_value(slot),
        }
    }

    pub(crate) fn raw(&self) -> RawRecord {
        match self {
            Self::Csv(r) => r.raw(),
            Self::Jsonl(r) => r.raw(),
        }
    }

    pub(crate) fn csv_header(&self) -> Option<&csv::ByteRecord> {
        match self {
            Self::Csv(r) => Some(r.header()),
            Self::Jsonl(_) => None,
        }
    }

    pub(crate) fn rows_read(&self) -> u64 {
        match self {
            Self::Csv(r) => r.rows_read(),
            Self::Jsonl(r) => r.rows_read(),
        }
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        match self {
            Self::Csv(r) => r.bytes_read(),
            Self::Jsonl(r) => r.bytes_read(),
        }
    }
}
