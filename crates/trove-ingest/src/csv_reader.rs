//! CSV records: one reused `ByteRecord`, the field count checked against the header, and an
//! unclosed quote at the end of the file detected (the `csv` crate silently accepts it).

use std::io::{self, Read};

use csv::ByteRecord;

use crate::error::{FileError, RawRecord, RowErrorKind, RowFailure};
use crate::source::Wanted;

/// Watches the bytes the CSV parser reads, with the same quoting rules (RFC 4180 doubled
/// quotes, `\r`, `\n` or `\r\n` ends a record), to know whether the input ends inside a
/// quoted field, and to stop a runaway field before it fills the memory.
pub(crate) struct QuoteTracker<R> {
    inner: R,
    delimiter: u8,
    state: QuoteState,
    field_bytes: usize,
    max_field_bytes: usize,
    bytes: u64,
    eof: bool,
    overflow: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    StartField,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first of a doubled quote.
    QuoteInQuoted,
}

/// The marker error the tracker returns for a field over the limit.
#[derive(Debug)]
struct FieldTooLarge;

impl std::fmt::Display for FieldTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field too large")
    }
}

impl std::error::Error for FieldTooLarge {}

impl<R: Read> QuoteTracker<R> {
    fn new(inner: R, delimiter: u8, max_field_bytes: usize) -> Self {
        Self {
            inner,
            delimiter,
            state: QuoteState::StartField,
            field_bytes: 0,
            max_field_bytes,
            bytes: 0,
            eof: false,
            overflow: false,
        }
    }

    /// Follows `buf` and returns the length of its prefix in which no field runs over the
    /// limit (all of it, normally). Cutting the input inside the runaway field makes the CSV
    /// parser ask for more while still in that record, and the next read fails: so the error
    /// is reported at the record that holds the runaway field.
    fn scan(&mut self, buf: &[u8]) -> usize {
        let (quote, delimiter, max) = (b'"', self.delimiter, self.max_field_bytes);
        // The CSV parser skips a byte-order mark; so must we.
        let mut i = if self.bytes == 0 && buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        while i < buf.len() {
            let rest = &buf[i..];
            match self.state {
                QuoteState::StartField => {
                    let b = rest[0];
                    i += 1;
                    self.field_bytes = 0;
                    if b == quote {
                        self.state = QuoteState::Quoted;
                    } else if b != delimiter && b != b'\n' && b != b'\r' {
                        self.state = QuoteState::Unquoted;
                        self.field_bytes = 1;
                    }
                }
                QuoteState::Unquoted | QuoteState::Quoted => {
                    let found = if self.state == QuoteState::Quoted {
                        memchr::memchr(quote, rest)
                    } else {
                        memchr::memchr3(delimiter, b'\n', b'\r', rest)
                    };
                    let span = found.unwrap_or(rest.len());
                    if self.field_bytes + span > max {
                        return i + (max - self.field_bytes);
                    }
                    self.field_bytes += span;
                    i += span;
                    if found.is_some() {
                        i += 1;
                        self.state = match self.state {
                            QuoteState::Quoted => QuoteState::QuoteInQuoted,
                            _ => QuoteState::StartField,
                        };
                    }
                }
                QuoteState::QuoteInQuoted => {
                    let b = rest[0];
                    i += 1;
                    self.state = if b == quote {
                        self.field_bytes += 1;
                        QuoteState::Quoted
                    } else if b == delimiter || b == b'\n' || b == b'\r' {
                        QuoteState::StartField
                    } else {
                        self.field_bytes += 1;
                        QuoteState::Unquoted
                    };
                }
            }
            if self.field_bytes > max {
                return i - 1;
            }
        }
        buf.len()
    }

    /// True once the input is exhausted while a quoted field is still open.
    fn ended_in_quote(&self) -> bool {
        self.eof && self.state == QuoteState::Quoted
    }
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.overflow {
            return Err(io::Error::other(FieldTooLarge));
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = !buf.is_empty();
            return Ok(0);
        }
        let keep = self.scan(&buf[..n]);
        self.bytes += keep as u64;
        if keep < n {
            // The rest is dropped: reading ends at the runaway field.
            self.overflow = true;
            if keep == 0 {
                return Err(io::Error::other(FieldTooLarge));
            }
        }
        Ok(keep)
    }
}

/// The records of a CSV file after its header, each checked for its field count.
pub(crate) struct CsvRecords<R> {
    reader: csv::Reader<QuoteTracker<R>>,
    header: ByteRecord,
    record: ByteRecord,
    /// Header index of each wanted column (`None`: an optional column the header lacks).
    index: Vec<Option<usize>>,
    max_field_bytes: usize,
    rows: u64,
    done: bool,
}

impl<R: Read> CsvRecords<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        delimiter: u8,
        wanted: &[Wanted],
        max_field_bytes: usize,
    ) -> Result<Self, FileError> {
        let tracker = QuoteTracker::new(reader, delimiter, max_field_bytes);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(tracker);
        let mut header = ByteRecord::new();
        let io_error = |e: csv::Error| FileError::Io {
            file: file.to_owned(),
            source: into_io(e),
        };
        if !reader.read_byte_record(&mut header).map_err(io_error)? {
            return Err(FileError::Empty {
                file: file.to_owned(),
            });
        }
        let names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let index = wanted
            .iter()
            .map(|w| resolve(file, &names, w))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            reader,
            header,
            record: ByteRecord::new(),
            index,
            max_field_bytes,
            rows: 0,
            done: false,
        })
    }

    /// Reads the next record; `None` at the end of the file (or after a fatal error).
    pub(crate) fn advance(&mut self) -> Option<Result<(), RowFailure>> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.rows += 1;
                if self.reader.get_ref().ended_in_quote() {
                    return Some(Err(RowFailure::row(RowErrorKind::UnclosedQuote)));
                }
                if self.record.len() != self.header.len() {
                    let kind = RowErrorKind::FieldCount {
                        expected: self.header.len(),
                        found: self.record.len(),
                    };
                    return Some(Err(RowFailure::row(kind)));
                }
                Some(Ok(()))
            }
            Err(e) => {
                self.done = true;
                self.rows += 1;
                let error = into_io(e);
                let kind = if error
                    .get_ref()
                    .is_some_and(|inner| inner.is::<FieldTooLarge>())
                {
                    RowErrorKind::FieldTooLarge {
                        limit: self.max_field_bytes,
                    }
                } else {
                    RowErrorKind::Io(error.to_string())
                };
                Some(Err(RowFailure::row(kind)))
            }
        }
    }

    /// Line where the current record starts (the header is line 1).
    pub(crate) fn line(&self) -> u64 {
        self.record.position().map_or(0, csv::Position::line)
    }

    pub(crate) fn raw_value(&self, slot: usize) -> &[u8] {
        self.index[slot]
            .and_then(|i| self.record.get(i))
            .unwrap_or(b"")
    }

    pub(crate) fn raw(&self) -> RawRecord {
        RawRecord::Fields(self.record.iter().map(<[u8]>::to_vec).collect())
    }

    pub(crate) fn header(&self) -> &ByteRecord {
        &self.header
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.get_ref().bytes
    }
}

/// Finds a wanted column in the header: by exact name, else by a unique name equal once
/// trimmed and compared without ASCII case.
fn resolve(file: &str, names: &[String], wanted: &Wanted) -> Result<Option<usize>, FileError> {
    let exact: Vec<usize> = (0..names.len())
        .filter(|&i| names[i] == wanted.column)
        .collect();
    let found = if exact.is_empty() {
        let target = wanted.column.trim();
        (0..names.len())
            .filter(|&i| names[i].trim().eq_ignore_ascii_case(target))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(Some(*one)),
        [] if !wanted.required => Ok(None),
        [] => Err(FileError::MissingColumn {
            file: file.to_owned(),
            column: wanted.column.clone(),
            key: wanted.key.to_owned(),
            header: names.to_vec(),
        }),
        many => Err(FileError::AmbiguousColumn {
            file: file.to_owned(),
            column: wanted.column.clone(),
            key: wanted.key.to_owned(),
            count: many.len(),
        }),
    }
}

fn into_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(input: &[u8]) -> QuoteTracker<&[u8]> {
        let mut tracker = QuoteTracker::new(input, b',', 1 << 20);
        io::copy(&mut tracker, &mut io::sink()).unwrap();
        tracker
    }

    #[test]
    fn the_tracker_follows_quotes_like_the_csv_parser() {
        assert!(!track(b"a,\"b\"\"c\",d\n").ended_in_quote());
        assert!(
            !track(b"a,b\"c,d\n").ended_in_quote(),
            "a quote inside an unquoted field is literal"
        );
        assert!(!track(b"a,\"multi\nline\",d").ended_in_quote());
        assert!(track(b"a,b\n1,\"never closed\n2,3\n").ended_in_quote());
        assert!(track(b"\xEF\xBB\xBF\"a\nb\",c\n1,\"x").ended_in_quote());
        assert!(!track(b"\xEF\xBB\xBF\"a\nb\",c\n").ended_in_quote());
    }

    #[test]
    fn the_tracker_stops_a_runaway_field() {
        let mut input = b"a,\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        let mut tracker = QuoteTracker::new(input.as_slice(), b',', 50);
        assert!(io::copy(&mut tracker, &mut io::sink()).is_err());
    }
}
