//! One interface over CSV, JSON Lines and workbook records: the values of the columns a
//! mapping wants, by slot (the column's position in the wanted list).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::csv_reader::CsvRecords;
use crate::error::{FileError, RawRecord, RowErrorKind, RowFailure};
use crate::input::{Opened, TextEncoding, TextInput};
use crate::jsonl_reader::JsonlRecords;
use crate::sheet::SheetRecords;
use crate::sniff::{Sniffed, sniff_delimiter};
use crate::{Format, ReadOptions};

/// How to read a file, from its mapping and the read options.
#[derive(Debug, Clone)]
pub(crate) struct InputSpec<'a> {
    /// The format the mapping names, else the one the file name suggests.
    pub(crate) format: Format,
    /// The CSV delimiter the mapping names; sniffed when absent.
    pub(crate) delimiter: Option<u8>,
    /// The text encoding the mapping names.
    pub(crate) encoding: Option<TextEncoding>,
    /// The workbook sheet the mapping names; the first when absent.
    pub(crate) sheet: Option<&'a str>,
    pub(crate) max_field_bytes: usize,
}

impl<'a> InputSpec<'a> {
    pub(crate) fn new(
        file: &str,
        format: Option<Format>,
        delimiter: Option<u8>,
        encoding: Option<TextEncoding>,
        sheet: Option<&'a str>,
        options: &ReadOptions,
    ) -> Self {
        Self {
            format: format.unwrap_or_else(|| Format::from_file_name(file)),
            delimiter,
            encoding,
            sheet,
            max_field_bytes: options.max_field_bytes,
        }
    }
}

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
    Csv(CsvRecords<TextInput<R>>, Arc<AtomicU64>),
    Jsonl(JsonlRecords<TextInput<R>>, Arc<AtomicU64>),
    Sheet(SheetRecords),
}

impl<R: Read> Records<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        spec: &InputSpec<'_>,
        wanted: &[Wanted],
    ) -> Result<Self, FileError> {
        let text = match crate::input::open(reader, file, spec.format, spec.encoding)? {
            Opened::Workbook(bytes) => {
                return Ok(Self::Sheet(SheetRecords::open(
                    &bytes, file, spec.sheet, wanted,
                )?));
            }
            Opened::Text(text) => text,
        };
        let counter = text.raw_bytes();
        Ok(match spec.format {
            Format::Jsonl => Self::Jsonl(
                JsonlRecords::open(text, wanted, spec.max_field_bytes),
                counter,
            ),
            Format::Csv | Format::Workbook => {
                let delimiter = match spec.delimiter {
                    Some(given) => given,
                    None => match sniff_delimiter(text.sample(), text.sample_is_whole()) {
                        Sniffed::Found(found) => found,
                        Sniffed::Nothing => crate::default_delimiter(file),
                        Sniffed::Ambiguous(candidates) => {
                            return Err(FileError::AmbiguousDelimiter {
                                file: file.to_owned(),
                                candidates,
                            });
                        }
                    },
                };
                let records =
                    CsvRecords::open(text, file, delimiter, wanted, spec.max_field_bytes)?;
                Self::Csv(records, counter)
            }
        })
    }

    pub(crate) fn advance(&mut self) -> Option<Result<(), RowFailure>> {
        match self {
            Self::Csv(r, _) => r.advance(),
            Self::Jsonl(r, _) => r.advance(),
            Self::Sheet(r) => r.advance(),
        }
    }

    pub(crate) fn line(&self) -> u64 {
        match self {
            Self::Csv(r, _) => r.line(),
            Self::Jsonl(r, _) => r.line(),
            Self::Sheet(r) => r.line(),
        }
    }

    /// A wanted value as text, trimmed; CSV values are checked to be UTF-8 here, so columns
    /// the mapping does not use are never checked.
    pub(crate) fn value(&self, slot: usize) -> Result<&str, RowFailure> {
        let text = match self {
            Self::Csv(r, _) => {
                let raw = r.raw_value(slot);
                std::str::from_utf8(raw).map_err(|e| {
                    RowFailure::at(slot, RowErrorKind::invalid_utf8(raw, e.valid_up_to()))
                })?
            }
            Self::Jsonl(r, _) => r.value(slot),
            Self::Sheet(r) => r.value(slot),
        };
        Ok(text.trim())
    }

    /// A wanted value's bytes as read (for content hashes).
    pub(crate) fn raw_value(&self, slot: usize) -> &[u8] {
        match self {
            Self::Csv(r, _) => r.raw_value(slot),
            Self::Jsonl(r, _) => r.raw_value(slot),
            Self::Sheet(r) => r.value(slot).as_bytes(),
        }
    }

    pub(crate) fn raw(&self) -> RawRecord {
        match self {
            Self::Csv(r, _) => r.raw(),
            Self::Jsonl(r, _) => r.raw(),
            Self::Sheet(r) => r.raw(),
        }
    }

    /// The header of a CSV file or a sheet, and the delimiter to write its rejected rows with.
    pub(crate) fn header(&self) -> Option<(&csv::ByteRecord, u8)> {
        match self {
            Self::Csv(r, _) => Some((r.header(), r.delimiter())),
            Self::Jsonl(..) => None,
            Self::Sheet(r) => Some((r.header(), b',')),
        }
    }

    pub(crate) fn rows_read(&self) -> u64 {
        match self {
            Self::Csv(r, _) => r.rows_read(),
            Self::Jsonl(r, _) => r.rows_read(),
            Self::Sheet(r) => r.rows_read(),
        }
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        match self {
            Self::Csv(_, bytes) | Self::Jsonl(_, bytes) => bytes.load(Ordering::Relaxed),
            Self::Sheet(r) => r.bytes_read(),
        }
    }
}
