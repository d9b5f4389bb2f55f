//! Rejected-rows files: the rows an import refused, as they were, each with the reason, in
//! the input's own format so they can be fixed and imported again with the same mapping.

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::error::{RawRecord, RowError};

/// The column (CSV) or key (JSON Lines) that holds the reason a row was rejected.
pub const ERROR_COLUMN: &str = "trove_error";

/// Writes rejected rows. For CSV input: the input's header plus a last `trove_error` column,
/// written before the first row, then each rejected record's fields as read (padded with empty
/// fields when the record had too few). For JSON Lines: each rejected line with a
/// `"trove_error"` key inserted first, or, when the line was not a JSON object,
/// `{"trove_error": ..., "trove_original": "<the line>"}`. Nothing is written until the first
/// rejected row.
pub struct RejectedWriter<W: Write> {
    inner: Inner<W>,
    rows: u64,
}

enum Inner<W: Write> {
    Csv {
        writer: Box<csv::Writer<W>>,
        header: Vec<Vec<u8>>,
    },
    Jsonl(W),
}

impl<W: Write> RejectedWriter<W> {
    /// A writer for rows of a CSV file with this header and delimiter.
    pub fn csv<'h>(out: W, header: impl IntoIterator<Item = &'h [u8]>, delimiter: u8) -> Self {
        let writer = Box::new(
            csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_writer(out),
        );
        let header = header.into_iter().map(<[u8]>::to_vec).collect();
        Self {
            inner: Inner::Csv { writer, header },
            rows: 0,
        }
    }

    /// A writer for lines of a JSON Lines file.
    pub fn jsonl(out: W) -> Self {
        Self {
            inner: Inner::Jsonl(out),
            rows: 0,
        }
    }

    /// The usual file extension of what this writes (`csv` or `jsonl`).
    pub fn extension(&self) -> &'static str {
        match self.inner {
            Inner::Csv { .. } => "csv",
            Inner::Jsonl(_) => "jsonl",
        }
    }

    /// Rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Writes one rejected row with its reason.
    pub fn write(&mut self, error: &RowError) -> io::Result<()> {
        let reason = error.to_string();
        match &mut self.inner {
            Inner::Csv { writer, header } => {
                if self.rows == 0 {
                    let mut first: Vec<&[u8]> = header.iter().map(Vec::as_slice).collect();
                    first.push(ERROR_COLUMN.as_bytes());
                    writer.write_record(first).map_err(io::Error::other)?;
                }
                let mut fields: Vec<&[u8]> = match &error.raw {
                    RawRecord::Fields(fields) => fields.iter().map(Vec::as_slice).collect(),
                    RawRecord::Line(line) => vec![line.as_slice()],
                };
                while fields.len() < header.len() {
                    fields.push(b"");
                }
                fields.push(reason.as_bytes());
                writer.write_record(fields).map_err(io::Error::other)?;
            }
            Inner::Jsonl(out) => {
                let line = match &error.raw {
                    RawRecord::Line(line) => line.clone(),
                    RawRecord::Fields(fields) => fields.join(&b","[..]),
                };
                out.write_all(&annotate_line(&line, &reason))?;
                out.write_all(b"\n")?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Csv { writer, .. } => writer
                .into_inner()
                .map_err(|e| io::Error::other(e.to_string())),
            Inner::Jsonl(mut out) => {
                out.flush()?;
                Ok(out)
            }
        }
    }
}

/// The line with `"trove_error"` added as its first key, keeping the rest byte for byte.
fn annotate_line(line: &[u8], reason: &str) -> Vec<u8> {
    let reason_json = Value::String(reason.to_owned()).to_string();
    if serde_json::from_slice::<Map<String, Value>>(line).is_ok() {
        let start = line.iter().position(|b| *b == b'{').unwrap_or(0);
        let rest = &line[start + 1..];
        let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
        let mut out = Vec::with_capacity(line.len() + reason_json.len() + 16);
        out.extend_from_slice(&line[..=start]);
        out.extend_from_slice(format!("\"{ERROR_COLUMN}\":{reason_json}").as_bytes());
        if !empty {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        return out;
    }
    let mut object = Map::new();
    object.insert(ERROR_COLUMN.to_owned(), Value::String(reason.to_owned()));
    object.insert(
        "trove_original".to_owned(),
        Value::String(String::from_utf8_lossy(line).into_owned()),
    );
    Value::Object(object).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RowErrorKind;

    fn error(raw: RawRecord) -> RowError {
        RowError {
            file: "f".into(),
            line: 3,
            column: None,
            kind: RowErrorKind::NoContent,
            raw,
        }
    }

    #[test]
    fn csv_rejects_keep_the_header_and_fields_and_add_the_reason() {
        let header: Vec<&[u8]> = vec![b"a", b"b", b"c"];
        let mut writer = RejectedWriter::csv(Vec::new(), header, b';');
        writer
            .write(&error(RawRecord::Fields(vec![
                b"1".to_vec(),
                b"x;y".to_vec(),
            ])))
            .unwrap();
        let out = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "a;b;c;trove_error\n1;\"x;y\";;f:3: the row has no text, no score and no theme\n"
        );
    }

    #[test]
    fn nothing_is_written_without_a_rejected_row() {
        let writer = RejectedWriter::csv(Vec::new(), vec![&b"a"[..]], b',');
        assert!(writer.finish().unwrap().is_empty());
    }

    #[test]
    fn json_rejects_get_the_reason_as_their_first_key() {
        let mut writer = RejectedWriter::jsonl(Vec::new());
        writer
            .write(&error(RawRecord::Line(br#"{"b": 1, "a": "x"}"#.to_vec())))
            .unwrap();
        writer
            .write(&error(RawRecord::Line(b" {} ".to_vec())))
            .unwrap();
        writer
            .write(&error(RawRecord::Line(b"{not json".to_vec())))
            .unwrap();
        let out = String::from_utf8(writer.finish().unwrap()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        let reason = r#""trove_error":"f:3: the row has no text, no score and no theme""#;
        assert_eq!(lines[0], format!(r#"{{{reason},"b": 1, "a": "x"}}"#));
        assert_eq!(lines[1], format!(" {{{reason}}} "));
        assert_eq!(
            lines[2],
            format!(r#"{{{reason},"trove_original":"{{not json"}}"#)
        );
    }
}
