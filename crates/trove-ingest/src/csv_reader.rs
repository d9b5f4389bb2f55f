//! CSV records: one reused `ByteRecord`, the field count checked against the header, each
//! record's physical line (the `csv` crate's count is one low on CRLF files and stays at 1 on
//! CR-only ones), fields over the size limit cut and their rows rejected, and an unclosed
//! quote at the end of the file detected (the `csv` crate silently accepts it).

use std::collections::VecDeque;
use std::io::{self, Read};

use csv::ByteRecord;

use crate::error::{FileError, RawRecord, RowErrorKind, RowFailure};
use crate::source::Wanted;

/// Watches the bytes the CSV parser reads, with the same rules (RFC 4180 doubled quotes;
/// `\r`, `\n` or `\r\n` ends a record; blank lines are skipped), to note where each record
/// starts (byte and physical line), to drop the bytes of a field past the limit (so one
/// runaway field cannot fill the memory, and reading goes on after it), and to know whether
/// the input ends inside a quoted field.
pub(crate) struct QuoteTracker<R> {
    inner: R,
    delimiter: u8,
    state: QuoteState,
    /// Index of the current field in its record.
    field: usize,
    /// Content bytes of the current field so far (dropped ones included).
    field_bytes: u64,
    max_field_bytes: u64,
    /// Bytes handed to the parser.
    passed: u64,
    /// Physical line of the next byte (the first line is 1).
    line: u64,
    /// The last byte was a `\r` (so a `\n` now does not start another line).
    after_cr: bool,
    /// The records seen but not yet taken by the parser, oldest first.
    marks: VecDeque<RecordMark>,
    /// The input has ended.
    eof: bool,
}

/// Where a record starts, and what is wrong with it that the parser cannot see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordMark {
    /// Offset of its first byte in what the parser reads.
    byte: u64,
    /// Its first physical line.
    pub(crate) line: u64,
    /// Its first field over the limit: the field's index and full size.
    pub(crate) oversized: Option<(usize, u64)>,
    /// A quote opened in it runs to the end of the input.
    pub(crate) unclosed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    /// Between records (blank lines are skipped here).
    StartRecord,
    StartField,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first of a doubled quote.
    QuoteInQuoted,
}

impl<R: Read> QuoteTracker<R> {
    fn new(inner: R, delimiter: u8, max_field_bytes: usize) -> Self {
        Self {
            inner,
            delimiter,
            state: QuoteState::StartRecord,
            field: 0,
            field_bytes: 0,
            max_field_bytes: max_field_bytes as u64,
            passed: 0,
            line: 1,
            after_cr: false,
            marks: VecDeque::new(),
            eof: false,
        }
    }

    /// Follows `buf`, moving the bytes kept to its front: all of them, unless a field runs
    /// over the limit. Returns how many are kept.
    fn scan(&mut self, buf: &mut [u8]) -> usize {
        let (quote, delimiter) = (b'"', self.delimiter);
        let (mut read, mut kept) = (0, 0);
        while read < buf.len() {
            let b = buf[read];
            match self.state {
                QuoteState::StartRecord if b == b'\n' || b == b'\r' => {
                    self.line_break(b);
                    keep(buf, &mut read, &mut kept, 1);
                }
                QuoteState::StartRecord => {
                    self.marks.push_back(RecordMark {
                        byte: self.passed + kept as u64,
                        line: self.line,
                        oversized: None,
                        unclosed: false,
                    });
                    self.field = 0;
                    self.state = QuoteState::StartField;
                }
                QuoteState::StartField => {
                    keep(buf, &mut read, &mut kept, 1);
                    self.field_bytes = 0;
                    self.after_cr = false;
                    if b == quote {
                        self.state = QuoteState::Quoted;
                    } else if b == delimiter {
                        self.field += 1;
                    } else if b == b'\n' || b == b'\r' {
                        self.line_break(b);
                        self.state = QuoteState::StartRecord;
                    } else {
                        self.state = QuoteState::Unquoted;
                        self.field_bytes = 1;
                    }
                }
                QuoteState::Unquoted => {
                    let rest = &buf[read..];
                    let found = memchr::memchr3(delimiter, b'\n', b'\r', rest);
                    let span = found.unwrap_or(rest.len());
                    self.content(buf, &mut read, &mut kept, span);
                    if let Some(&end) = buf.get(read) {
                        keep(buf, &mut read, &mut kept, 1);
                        if end == delimiter {
                            self.field += 1;
                            self.state = QuoteState::StartField;
                        } else {
                            self.line_break(end);
                            self.state = QuoteState::StartRecord;
                        }
                    }
                }
                QuoteState::Quoted => {
                    let rest = &buf[read..];
                    let span = memchr::memchr(quote, rest).unwrap_or(rest.len());
                    self.count_lines(&rest[..span]);
                    self.content(buf, &mut read, &mut kept, span);
                    if read < buf.len() {
                        keep(buf, &mut read, &mut kept, 1);
                        self.after_cr = false;
                        self.state = QuoteState::QuoteInQuoted;
                    }
                }
                QuoteState::QuoteInQuoted => {
                    // Quotes always pass (a doubled quote past the limit too), so the parser
                    // sees the field end where it does.
                    keep(buf, &mut read, &mut kept, 1);
                    self.after_cr = false;
                    if b == quote {
                        self.grow(1);
                        self.state = QuoteState::Quoted;
                    } else if b == delimiter {
                        self.field += 1;
                        self.state = QuoteState::StartField;
                    } else if b == b'\n' || b == b'\r' {
                        self.line_break(b);
                        self.state = QuoteState::StartRecord;
                    } else {
                        self.grow(1);
                        self.state = QuoteState::Unquoted;
                    }
                }
            }
        }
        kept
    }

    /// Takes `span` content bytes of the current field: kept up to the limit, dropped after.
    fn content(&mut self, buf: &mut [u8], read: &mut usize, kept: &mut usize, span: usize) {
        if span == 0 {
            return;
        }
        let room = self.max_field_bytes.saturating_sub(self.field_bytes);
        let take = span.min(usize::try_from(room).unwrap_or(usize::MAX));
        keep(buf, read, kept, take);
        *read += span - take;
        self.grow(span as u64);
        self.after_cr = buf[*read - 1] == b'\r';
    }

    /// Counts content bytes of the current field, and notes a field over the limit.
    fn grow(&mut self, bytes: u64) {
        self.field_bytes += bytes;
        if self.field_bytes > self.max_field_bytes
            && let Some(mark) = self.marks.back_mut()
        {
            match &mut mark.oversized {
                Some((field, size)) if *field == self.field => *size = self.field_bytes,
                Some(_) => {}
                none => *none = Some((self.field, self.field_bytes)),
            }
        }
    }

    /// Counts the line breaks inside quoted content.
    fn count_lines(&mut self, content: &[u8]) {
        for at in memchr::memchr2_iter(b'\n', b'\r', content) {
            let after_cr = if at == 0 {
                self.after_cr
            } else {
                content[at - 1] == b'\r'
            };
            if !(content[at] == b'\n' && after_cr) {
                self.line += 1;
            }
        }
    }

    /// A record-ending `\r` or `\n` (a `\r\n` pair is one line break).
    fn line_break(&mut self, byte: u8) {
        if byte == b'\r' || !self.after_cr {
            self.line += 1;
        }
        self.after_cr = byte == b'\r';
    }

    /// The mark of the record the parser just read, which it says starts at `byte`. Marks
    /// before it (the header's) are dropped. The parser's records come in the tracker's
    /// order, but its start can be a byte early: on CRLF files it starts the next record
    /// before the `\n`, the reason its line numbers are one low there.
    fn take_mark(&mut self, byte: u64) -> Option<RecordMark> {
        while self.marks.front().is_some_and(|m| m.byte < byte) {
            self.marks.pop_front();
        }
        self.marks.pop_front()
    }
}

/// Moves `n` bytes at `read` to `kept` (a copy only after bytes were dropped).
fn keep(buf: &mut [u8], read: &mut usize, kept: &mut usize, n: usize) {
    if *read != *kept {
        buf.copy_within(*read..*read + n, *kept);
    }
    *read += n;
    *kept += n;
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                if !buf.is_empty() && !self.eof {
                    self.eof = true;
                    if self.state == QuoteState::Quoted
                        && let Some(mark) = self.marks.back_mut()
                    {
                        mark.unclosed = true;
                    }
                }
                return Ok(0);
            }
            let kept = self.scan(&mut buf[..n]);
            self.passed += kept as u64;
            // Everything read was dropped (inside a runaway field): read on, as 0 means the end.
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

/// The records of a CSV file after its header, each checked for its field count.
pub(crate) struct CsvRecords<R> {
    reader: csv::Reader<QuoteTracker<R>>,
    header: ByteRecord,
    record: ByteRecord,
    delimiter: u8,
    /// Header index of each wanted column (`None`: an optional column the header lacks).
    index: Vec<Option<usize>>,
    max_field_bytes: usize,
    line: u64,
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
            .map(|w| resolve(file, &names, w, Some(delimiter)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            reader,
            header,
            record: ByteRecord::new(),
            delimiter,
            index,
            max_field_bytes,
            line: 1,
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
                let (byte, line) = self
                    .record
                    .position()
                    .map_or((0, 0), |p| (p.byte(), p.line()));
                let mark = self.reader.get_mut().take_mark(byte);
                let mark = mark.unwrap_or(RecordMark {
                    byte,
                    line,
                    oversized: None,
                    unclosed: false,
                });
                self.line = mark.line;
                Some(self.check(mark))
            }
            Err(e) => {
                self.done = true;
                self.rows += 1;
                self.line = self.reader.get_ref().line;
                Some(Err(RowFailure::row(RowErrorKind::Io(
                    into_io(e).to_string(),
                ))))
            }
        }
    }

    /// What is wrong with the record just read, if anything.
    fn check(&mut self, mark: RecordMark) -> Result<(), RowFailure> {
        if mark.unclosed {
            self.done = true;
            return Err(RowFailure::row(RowErrorKind::UnclosedQuote));
        }
        if let Some((field, bytes)) = mark.oversized {
            let kind = RowErrorKind::FieldTooLarge {
                bytes,
                limit: self.max_field_bytes,
            };
            return Err(match self.header.get(field) {
                Some(name) => RowFailure::named(String::from_utf8_lossy(name).into_owned(), kind),
                None => RowFailure::row(kind),
            });
        }
        if self.record.len() != self.header.len() {
            return Err(RowFailure::row(RowErrorKind::FieldCount {
                expected: self.header.len(),
                found: self.record.len(),
            }));
        }
        Ok(())
    }

    /// The physical line where the current record starts (the header is line 1).
    pub(crate) fn line(&self) -> u64 {
        self.line
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

    pub(crate) fn delimiter(&self) -> u8 {
        self.delimiter
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows
    }
}

/// Finds a wanted column in the header: by exact name, else by a unique name equal once
/// trimmed and compared without ASCII case.
/// `delimiter` is the CSV file's, for a hint when the header looks split on another one.
pub(crate) fn resolve(
    file: &str,
    names: &[String],
    wanted: &Wanted,
    delimiter: Option<u8>,
) -> Result<Option<usize>, FileError> {
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
            hint: delimiter.and_then(|d| delimiter_hint(names, &wanted.column, d)),
        }),
        many => Err(FileError::AmbiguousColumn {
            file: file.to_owned(),
            column: wanted.column.clone(),
            key: wanted.key.to_owned(),
            count: many.len(),
        }),
    }
}

/// When the header's names hold another usual delimiter, the file was likely split on the
/// wrong one: say which to use (the one that brings the wanted column out, if any).
fn delimiter_hint(names: &[String], column: &str, delimiter: u8) -> Option<String> {
    let holds = |d: u8| names.iter().any(|n| n.as_bytes().contains(&d));
    let brings_out = |d: u8| {
        names
            .iter()
            .flat_map(|n| n.split(char::from(d)))
            .any(|part| part.trim().eq_ignore_ascii_case(column.trim()))
    };
    let others = crate::sniff::CANDIDATES
        .into_iter()
        .filter(|&d| d != delimiter && holds(d));
    let mut others: Vec<u8> = others.collect();
    others.sort_by_key(|&d| !brings_out(d));
    let best = *others.first()?;
    let shown = if best == b'\t' {
        "tab".to_owned()
    } else {
        char::from(best).to_string()
    };
    Some(format!(
        "the header looks split on the wrong delimiter: try --delimiter '{shown}'"
    ))
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

    fn track(input: &[u8], max: usize) -> QuoteTracker<&[u8]> {
        let mut tracker = QuoteTracker::new(input, b',', max);
        io::copy(&mut tracker, &mut io::sink()).unwrap();
        tracker
    }

    fn lines(input: &[u8]) -> Vec<u64> {
        track(input, 1 << 20).marks.iter().map(|m| m.line).collect()
    }

    #[test]
    fn the_tracker_follows_quotes_like_the_csv_parser() {
        let unclosed = |input: &[u8]| track(input, 1 << 20).marks.back().unwrap().unclosed;
        assert!(!unclosed(b"a,\"b\"\"c\",d\n"));
        assert!(
            !unclosed(b"a,b\"c,d\n"),
            "a quote inside an unquoted field is literal"
        );
        assert!(!unclosed(b"a,\"multi\nline\",d"));
        assert!(unclosed(b"a,b\n1,\"never closed\n2,3\n"));
        let tracker = track(b"a,b\n1,\"never closed\n2,3\n", 1 << 20);
        assert!(
            !tracker.marks[0].unclosed,
            "only the last record is unclosed"
        );
    }

    #[test]
    fn records_start_on_their_physical_lines_whatever_the_line_ends() {
        assert_eq!(lines(b"h\na\nb\n"), [1, 2, 3]);
        assert_eq!(lines(b"h\r\na\r\nb\r\n"), [1, 2, 3]);
        assert_eq!(lines(b"h\ra\rb\r"), [1, 2, 3]);
        assert_eq!(lines(b"h\r\n\r\n\na\r\n"), [1, 4], "blank lines count");
        assert_eq!(lines(b"h\r\n\"x\r\ny\"\r\nb\r\n"), [1, 2, 4]);
        assert_eq!(lines(b"h\r\"x\ry\rz\"\rb"), [1, 2, 5]);
    }

    #[test]
    fn the_tracker_cuts_a_field_over_the_limit_and_notes_its_size() {
        let mut input = b"a,b\n1,\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend(b"\"\n2,yy\n");
        let mut tracker = QuoteTracker::new(input.as_slice(), b',', 50);
        let mut out = Vec::new();
        tracker.read_to_end(&mut out).unwrap();
        let expected = [b"a,b\n1,\"".as_slice(), &[b'x'; 50], b"\"\n2,yy\n"].concat();
        assert_eq!(out, expected);
        assert_eq!(tracker.marks[1].oversized, Some((1, 100)));
        assert_eq!(tracker.marks[2].oversized, None);
        assert_eq!(tracker.marks[2].line, 3);
    }
}
