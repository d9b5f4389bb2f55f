//! Turns CSV and JSON Lines files of any layout into `trove_domain` records
//! ([`FeedbackItem`](trove_domain::FeedbackItem), [`Customer`](trove_domain::Customer)) through
//! a column [`Mapping`], streaming over [`std::io::Read`] in constant memory. Every bad row is
//! reported as a [`RowError`] naming the file, the line and the column, and reading goes on with
//! the next row (the line is the file's physical line, the header being line 1; a sheet's row
//! number for workbooks); a file that cannot be read at all is a [`FileError`]. Personal data in free text
//! is masked on the way in ([`pii`]), and rows without an id get a stable content-hash id.
//! Numeric dates (`05/04/2026`) are never read day or month first by guess: run
//! [`decide_date_order`] over the file first when the mapping does not say the layout.
//! This crate must not depend on storage, async runtimes or the application: it only reads.
//!
//! ```
//! # use trove_ingest::{Mapping, ReadOptions, read_feedback};
//! let mapping = Mapping::from_toml_str(
//!     "source = \"survey\"\nchannel = \"survey\"\n[columns]\ntext = \"comment\"\nnps = \"score\"\n",
//!     "survey.toml",
//! )?;
//! let csv = "comment,score\nGreat,10\nSlow,11\n";
//! let options = ReadOptions::new(jiff::Timestamp::UNIX_EPOCH);
//! let rows: Vec<_> = read_feedback(csv.as_bytes(), "survey.csv", &mapping, &options)?.collect();
//! assert_eq!(rows[0].as_ref().map(|item| item.text.as_str()).ok(), Some("Great"));
//! assert_eq!(
//!     rows[1].as_ref().unwrap_err().to_string(),
//!     "survey.csv:3: column score: nps score 11 is out of range 0..=10"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod csv_reader;
mod customers;
mod error;
mod feedback;
mod hash;
mod input;
mod jsonl_reader;
mod mapping;
pub mod pii;
mod rejected;
mod sheet;
mod sniff;
mod source;
mod time;

use std::io::Read;

use jiff::Timestamp;

pub use customers::CustomerReader;
pub use error::{FileError, MappingError, RawRecord, RowError, RowErrorKind};
pub use feedback::{FeedbackReader, SkippedRow, decide_date_order};
pub use input::TextEncoding;
pub use mapping::{
    AttributeSpec, Columns, CustomerColumns, CustomerMapping, Format, Mapping, ThemeSpec, TimeSpec,
    VALUE_FIELDS, parse_delimiter, parse_offset,
};
pub use rejected::{ERROR_COLUMN, RejectedWriter};
pub use time::{DateOrder, DateOrderDecision};

/// How to read a file, beyond its mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Mask e-mail addresses, phone numbers and card numbers in text and attributes (default on).
    pub mask_pii: bool,
    /// The received time of items from files without a time column (the app passes "now").
    pub import_time: Timestamp,
    /// The largest CSV field or JSON line accepted, in bytes; the row or line holding a larger
    /// one is rejected (only its first `max_field_bytes` are kept in memory) and reading goes
    /// on after it. Default 16 MiB.
    pub max_field_bytes: usize,
}

impl ReadOptions {
    /// The default largest field, in bytes.
    pub const DEFAULT_MAX_FIELD_BYTES: usize = 16 * 1024 * 1024;

    /// Masking on, the default field limit, and the given import time.
    pub fn new(import_time: Timestamp) -> Self {
        Self {
            mask_pii: true,
            import_time,
            max_field_bytes: Self::DEFAULT_MAX_FIELD_BYTES,
        }
    }
}

impl Default for ReadOptions {
    /// Like [`ReadOptions::new`] with the current time.
    fn default() -> Self {
        Self::new(Timestamp::now())
    }
}

/// Opens a feedback file for reading. `file_label` names the file in every error (and, when
/// the mapping gives no format, its extension chooses one). The file's first bytes tell a
/// workbook (read whole, first sheet unless the mapping names one) from text; text is UTF-8
/// unless a byte-order mark or the mapping's `encoding` says otherwise, and a CSV delimiter
/// the mapping does not give is sniffed among `,` `;` tab `|` (a file where two fit is
/// refused). Files that are none of these (a PDF, an archive) are refused, saying what they
/// seem to be.
/// Fails when the mapping is invalid or names a column the CSV header lacks; after that,
/// each row is an item or a [`RowError`]. JSON Lines have no header: a key missing from an
/// object reads as an empty value.
pub fn read_feedback<R: Read>(
    reader: R,
    file_label: &str,
    mapping: &Mapping,
    options: &ReadOptions,
) -> Result<FeedbackReader<R>, FileError> {
    FeedbackReader::open(reader, file_label, mapping, options)
}

/// Opens a customers file for reading, like [`read_feedback`]; use
/// `CustomerMapping::default()` for a file whose header uses the field names.
pub fn read_customers<R: Read>(
    reader: R,
    file_label: &str,
    mapping: &CustomerMapping,
    options: &ReadOptions,
) -> Result<CustomerReader<R>, FileError> {
    CustomerReader::open(reader, file_label, mapping, options)
}

/// When sniffing finds no delimiter (a one-column file): `\t` for `.tsv` files, `,` otherwise.
fn default_delimiter(file: &str) -> u8 {
    if file.to_ascii_lowercase().ends_with(".tsv") {
        b'\t'
    } else {
        b','
    }
}
