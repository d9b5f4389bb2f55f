//! JSON Lines records: one object per line, read with a bounded line buffer; the wanted
//! values are converted to text once per line.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read};

use serde_json::{Map, Value};

use crate::error::{RawRecord, RowErrorKind, RowFailure};
use crate::source::Wanted;

/// Separates the items of a JSON array read into one value (only theme columns take arrays).
pub(crate) const LIST_SEPARATOR: char = '\u{1f}';

/// How to find a wanted value in an object: the key as written, else its dotted path.
struct Path {
    key: String,
    segments: Vec<String>,
}

pub(crate) struct JsonlRecords<R> {
    reader: BufReader<R>,
    line: Vec<u8>,
    line_no: u64,
    start_line: u64,
    paths: Vec<Path>,
    lists: Vec<bool>,
    values: Vec<String>,
    max_line_bytes: usize,
    rows: u64,
    done: bool,
}

impl<R: Read> JsonlRecords<R> {
    pub(crate) fn open(reader: R, wanted: &[Wanted], max_line_bytes: usize) -> Self {
        let paths = wanted
            .iter()
            .map(|w| Path {
                key: w.column.clone(),
                segments: w.column.split('.').map(str::to_owned).collect(),
            })
            .collect();
        Self {
            reader: BufReader::with_capacity(64 * 1024, reader),
            line: Vec::new(),
            line_no: 0,
            start_line: 0,
            paths,
            lists: wanted.iter().map(|w| w.list).collect(),
            values: vec![String::new(); wanted.len()],
            max_line_bytes,
            rows: 0,
            done: false,
        }
    }

    /// Reads the next non-blank line and its wanted values; `None` at the end.
    pub(crate) fn advance(&mut self) -> Option<Result<(), RowFailure>> {
        loop {
            if self.done {
                return None;
            }
            let too_long = match self.read_line() {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(too_long)) => too_long,
                Err(e) => {
                    self.done = true;
                    return Some(Err(RowFailure::row(RowErrorKind::Io(e.to_string()))));
                }
            };
            self.line_no += 1;
            self.start_line = self.line_no;
            if self.line_no == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
                self.line.drain(..3);
            }
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if !too_long && self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.rows += 1;
            if too_long {
                return Some(Err(RowFailure::row(RowErrorKind::LineTooLong {
                    limit: self.max_line_bytes,
                })));
            }
            return Some(self.parse());
        }
    }

    /// Reads one line into `self.line` (without `\n`), keeping at most `max_line_bytes` of it;
    /// `Some(true)` when the line was longer.
    fn read_line(&mut self) -> io::Result<Option<bool>> {
        self.line.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any.then_some(too_long));
            }
            any = true;
            let (chunk, used, end) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            if self.line.len() + chunk.len() > self.max_line_bytes {
                too_long = true;
            } else {
                self.line.extend_from_slice(chunk);
            }
            self.reader.consume(used);
            if end {
                return Ok(Some(too_long));
            }
        }
    }

    fn parse(&mut self) -> Result<(), RowFailure> {
        let text = std::str::from_utf8(&self.line).map_err(|e| {
            RowFailure::row(RowErrorKind::invalid_utf8(&self.line, e.valid_up_to()))
        })?;
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_owned(),
                None => message,
            };
            RowFailure::row(RowErrorKind::Json {
                column: e.column(),
                message,
            })
        })?;
        let Value::Object(object) = value else {
            return Err(RowFailure::row(RowErrorKind::NotAnObject {
                found: kind_of(&value),
            }));
        };
        for (slot, path) in self.paths.iter().enumerate() {
            let out = &mut self.values[slot];
            out.clear();
            if let Some(found) = lookup(&object, path) {
                write_text(found, self.lists[slot], out)
                    .map_err(|kind| RowFailure::at(slot, kind))?;
            }
        }
        Ok(())
    }

    pub(crate) fn line(&self) -> u64 {
        self.start_line
    }

    pub(crate) fn raw_value(&self, slot: usize) -> &[u8] {
        self.values[slot].as_bytes()
    }

    /// The wanted value as text (already valid UTF-8).
    pub(crate) fn value(&self, slot: usize) -> &str {
        &self.values[slot]
    }

    pub(crate) fn raw(&self) -> RawRecord {
        RawRecord::Line(self.line.clone())
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows
    }
}

fn lookup<'a>(object: &'a Map<String, Value>, path: &Path) -> Option<&'a Value> {
    if let Some(found) = object.get(&path.key) {
        return Some(found);
    }
    if path.segments.len() < 2 {
        return None;
    }
    let (first, rest) = path.segments.split_first()?;
    let mut current = object.get(first)?;
    for segment in rest {
        current = current.as_object()?.get(segment)?;
    }
    Some(current)
}

fn write_text(value: &Value, list: bool, out: &mut String) -> Result<(), RowErrorKind> {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => out.push_str(s),
        Value::Array(items) if list => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(LIST_SEPARATOR);
                }
                write_text(item, false, out)?;
            }
        }
        other => {
            return Err(RowErrorKind::JsonType {
                found: kind_of(other),
            });
        }
    }
    Ok(())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
