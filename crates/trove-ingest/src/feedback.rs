//! Feedback files: each record becomes a [`FeedbackItem`] through the mapping, or a [`RowError`].

use std::borrow::Cow;
use std::io::{Read, Write};

use jiff::Timestamp;
use jiff::tz::Offset;
use trove_domain::{
    Attributes, Ces, Channel, Csat, CustomerId, DomainError, ExternalId, FeedbackItem,
    FeedbackText, Label, Nps, ReceivedAt, Scores,
};

use crate::error::{FileError, RowError, RowErrorKind, RowFailure};
use crate::hash::ContentHasher;
use crate::jsonl_reader::LIST_SEPARATOR;
use crate::mapping::Mapping;
use crate::rejected::RejectedWriter;
use crate::source::{Records, Wanted};
use crate::time::TimeParser;
use crate::{Format, ReadOptions, pii};

/// Where an item's channel comes from.
enum ChannelFrom {
    Fixed(Channel),
    Column(usize),
}

/// Which slot feeds each field of an item.
struct FeedbackPlan {
    source: Label,
    channel: ChannelFrom,
    id: Option<usize>,
    time: Option<usize>,
    text: Option<usize>,
    customer: Option<usize>,
    account: Option<usize>,
    business_unit: Option<usize>,
    product: Option<usize>,
    region: Option<usize>,
    touchpoint: Option<usize>,
    stage: Option<usize>,
    language: Option<usize>,
    nps: Option<usize>,
    csat: Option<usize>,
    ces: Option<usize>,
    themes: Vec<usize>,
    theme_separator: Option<String>,
    attributes: Vec<(usize, String)>,
    time_parser: TimeParser,
    slots: usize,
}

impl FeedbackPlan {
    /// The plan and the columns it reads, in slot order (the content hash's order).
    fn new(mapping: &Mapping) -> (Self, Vec<Wanted>) {
        fn add(wanted: &mut Vec<Wanted>, w: Wanted) -> usize {
            wanted.push(w);
            wanted.len() - 1
        }
        fn slot(wanted: &mut Vec<Wanted>, column: &Option<String>, key: &str) -> Option<usize> {
            column
                .as_deref()
                .map(|col| add(wanted, Wanted::new(col, key)))
        }
        let mut wanted: Vec<Wanted> = Vec::new();
        let c = &mapping.columns;
        let w = &mut wanted;
        let id = slot(w, &c.id, "columns.id");
        let time = slot(w, &c.time, "columns.time");
        let text = slot(w, &c.text, "columns.text");
        let customer = slot(w, &c.customer, "columns.customer");
        let account = slot(w, &c.account, "columns.account");
        let business_unit = slot(w, &c.business_unit, "columns.business_unit");
        let product = slot(w, &c.product, "columns.product");
        let region = slot(w, &c.region, "columns.region");
        let touchpoint = slot(w, &c.touchpoint, "columns.touchpoint");
        let stage = slot(w, &c.stage, "columns.stage");
        let language = slot(w, &c.language, "columns.language");
        let nps = slot(w, &c.nps, "columns.nps");
        let csat = slot(w, &c.csat, "columns.csat");
        let ces = slot(w, &c.ces, "columns.ces");
        let channel = match (mapping.channel, &mapping.channel_column) {
            (Some(fixed), _) => ChannelFrom::Fixed(fixed),
            // `validate` made sure there is a column when there is no fixed channel.
            (None, column) => {
                ChannelFrom::Column(slot(w, column, "channel_column").unwrap_or_default())
            }
        };
        let themes = mapping
            .themes
            .columns
            .iter()
            .map(|col| {
                let mut theme = Wanted::new(col, "themes.columns");
                theme.list = true;
                add(w, theme)
            })
            .collect();
        let attributes = mapping
            .attributes
            .columns
            .iter()
            .map(|col| {
                (
                    add(w, Wanted::new(col, "attributes.columns")),
                    mapping.attribute_key(col).to_owned(),
                )
            })
            .collect();
        let plan = Self {
            source: mapping.source.clone(),
            channel,
            id,
            time,
            text,
            customer,
            account,
            business_unit,
            product,
            region,
            touchpoint,
            stage,
            language,
            nps,
            csat,
            ces,
            themes,
            theme_separator: mapping.themes.separator.clone(),
            attributes,
            time_parser: TimeParser::new(mapping.time.format.clone(), mapping.time.default_offset),
            slots: wanted.len(),
        };
        (plan, wanted)
    }

    fn build<R: Read>(
        &mut self,
        rec: &Records<R>,
        mask_pii: bool,
        import_time: Timestamp,
    ) -> Result<FeedbackItem, RowFailure> {
        let channel = match self.channel {
            ChannelFrom::Fixed(fixed) => fixed,
            ChannelFrom::Column(slot) => {
                parse_required(rec, slot, "channel", str::parse::<Channel>)?
            }
        };
        let received_at = match self.time {
            None => ReceivedAt::new(import_time, Offset::UTC),
            Some(slot) => {
                let parser = &mut self.time_parser;
                parse_required(rec, slot, "received time", |raw| parser.parse(raw))?
            }
        };
        let external_id = match self.id {
            Some(slot) if !rec.value(slot)?.is_empty() => {
                ExternalId::parse(rec.value(slot)?).map_err(|e| RowFailure::at(slot, e))?
            }
            _ => {
                let mut hasher = ContentHasher::new();
                for slot in 0..self.slots {
                    hasher.value(rec.raw_value(slot));
                }
                hasher.finish()
            }
        };
        let text = match self.text {
            None => FeedbackText::default(),
            Some(slot) => FeedbackText::parse(&masked(rec.value(slot)?, mask_pii))
                .map_err(|e| RowFailure::at(slot, e))?,
        };
        let scores = Scores {
            nps: parse_optional(rec, self.nps, Nps::parse)?,
            csat: parse_optional(rec, self.csat, Csat::parse)?,
            ces: parse_optional(rec, self.ces, Ces::parse)?,
        };
        let mut source_themes: Vec<Label> = Vec::new();
        for &slot in &self.themes {
            for part in split_list(rec.value(slot)?, self.theme_separator.as_deref()) {
                if let Some(theme) =
                    Label::parse_optional("theme", part).map_err(|e| RowFailure::at(slot, e))?
                    && !source_themes.contains(&theme)
                {
                    source_themes.push(theme);
                }
            }
        }
        if text.is_empty() && scores.is_empty() && source_themes.is_empty() {
            return Err(RowFailure::row(RowErrorKind::NoContent));
        }
        let mut attributes = Attributes::default();
        for (slot, key) in &self.attributes {
            attributes
                .insert(key, &masked(rec.value(*slot)?, mask_pii))
                .map_err(|e| RowFailure::at(*slot, e))?;
        }
        Ok(FeedbackItem {
            source: self.source.clone(),
            channel,
            external_id,
            received_at,
            customer_id: parse_optional(rec, self.customer, CustomerId::parse)?,
            account: label(rec, self.account, "account")?,
            business_unit: label(rec, self.business_unit, "business unit")?,
            product: label(rec, self.product, "product")?,
            region: label(rec, self.region, "region")?,
            touchpoint: label(rec, self.touchpoint, "touchpoint")?,
            journey_stage: label(rec, self.stage, "journey stage")?,
            text,
            sentiment: None,
            scores,
            language: label(rec, self.language, "language")?,
            source_themes,
            attributes,
        })
    }
}

fn masked(text: &str, mask_pii: bool) -> Cow<'_, str> {
    if mask_pii {
        pii::mask(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// Splits a cell into its values: JSON array items, then the mapping's separator.
fn split_list<'a>(value: &'a str, separator: Option<&'a str>) -> impl Iterator<Item = &'a str> {
    value.split(LIST_SEPARATOR).flat_map(move |item| {
        let parts: Box<dyn Iterator<Item = &'a str>> = match separator {
            Some(sep) => Box::new(item.split(sep)),
            None => Box::new(std::iter::once(item)),
        };
        parts
    })
}

/// A value that must be present, read with `parse`.
pub(crate) fn parse_required<R: Read, T, E: Into<RowErrorKind>>(
    rec: &Records<R>,
    slot: usize,
    what: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, RowFailure> {
    let raw = rec.value(slot)?;
    if raw.is_empty() {
        return Err(RowFailure::at(slot, DomainError::Empty { what }));
    }
    parse(raw).map_err(|e| RowFailure::at(slot, e))
}

/// A value that may be absent (no column, or an empty cell), read with `parse`.
pub(crate) fn parse_optional<R: Read, T, E: Into<RowErrorKind>>(
    rec: &Records<R>,
    slot: Option<usize>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, RowFailure> {
    let Some(slot) = slot else { return Ok(None) };
    let raw = rec.value(slot)?;
    if raw.is_empty() {
        return Ok(None);
    }
    parse(raw).map(Some).map_err(|e| RowFailure::at(slot, e))
}

pub(crate) fn label<R: Read>(
    rec: &Records<R>,
    slot: Option<usize>,
    what: &'static str,
) -> Result<Option<Label>, RowFailure> {
    parse_optional(rec, slot, |raw| Label::parse(what, raw))
}

/// What both readers share: the records, the file's name, the column of each slot.
pub(crate) struct Rows<R> {
    pub(crate) records: Records<R>,
    file: String,
    columns: Vec<String>,
    format: Format,
    delimiter: u8,
}

impl<R: Read> Rows<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        format: Format,
        delimiter: u8,
        wanted: &[Wanted],
        options: &ReadOptions,
    ) -> Result<Self, FileError> {
        let records = Records::open(
            reader,
            file,
            format,
            delimiter,
            wanted,
            options.max_field_bytes,
        )?;
        let columns = wanted.iter().map(|w| w.column.clone()).collect();
        Ok(Self {
            records,
            file: file.to_owned(),
            columns,
            format,
            delimiter,
        })
    }

    pub(crate) fn fail(&self, failure: RowFailure) -> RowError {
        RowError {
            file: self.file.clone(),
            line: self.records.line(),
            column: failure.slot.map(|slot| self.columns[slot].clone()),
            kind: failure.kind,
            raw: self.records.raw(),
        }
    }

    pub(crate) fn rejected_writer<W: Write>(&self, out: W) -> RejectedWriter<W> {
        match (self.format, self.records.csv_header()) {
            (Format::Csv, Some(header)) => RejectedWriter::csv(out, header.iter(), self.delimiter),
            _ => RejectedWriter::jsonl(out),
        }
    }
}

/// Shared accessors of [`FeedbackReader`] and [`crate::CustomerReader`].
macro_rules! reader_accessors {
    () => {
        /// Records read so far, good and rejected (blank JSON lines are not counted).
        pub fn rows_read(&self) -> u64 {
            self.rows.records.rows_read()
        }

        /// Bytes taken from the input so far (runs a buffer ahead of the rows), for progress bars.
        pub fn bytes_read(&self) -> u64 {
            self.rows.records.bytes_read()
        }

        /// A writer for this file's rejected rows, in the same format: for CSV, the header with
        /// a last `trove_error` column and each rejected record as read; for JSON Lines, each
        /// rejected line with a `trove_error` key added.
        pub fn rejected_writer<W: std::io::Write>(&self, out: W) -> crate::RejectedWriter<W> {
            self.rows.rejected_writer(out)
        }
    };
}
pub(crate) use reader_accessors;

/// Reads feedback items from a file, one per row, in constant memory. Made by
/// [`crate::read_feedback`]; yields each row as an item or as the reason it was rejected.
pub struct FeedbackReader<R> {
    rows: Rows<R>,
    plan: FeedbackPlan,
    mask_pii: bool,
    import_time: Timestamp,
}

impl<R: Read> FeedbackReader<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        mapping: &Mapping,
        options: &ReadOptions,
    ) -> Result<Self, FileError> {
        mapping.validate().map_err(|source| FileError::Mapping {
            file: file.to_owned(),
            source,
        })?;
        let format = mapping
            .format
            .unwrap_or_else(|| Format::from_file_name(file));
        let delimiter = mapping
            .delimiter
            .unwrap_or_else(|| crate::default_delimiter(file));
        let (plan, wanted) = FeedbackPlan::new(mapping);
        let rows = Rows::open(reader, file, format, delimiter, &wanted, options)?;
        Ok(Self {
            rows,
            plan,
            mask_pii: options.mask_pii,
            import_time: options.import_time,
        })
    }

    reader_accessors!();
}

impl<R: Read> Iterator for FeedbackReader<R> {
    type Item = Result<FeedbackItem, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let step = self.rows.records.advance()?;
        let item = step.and_then(|()| {
            self.plan
                .build(&self.rows.records, self.mask_pii, self.import_time)
        });
        Some(item.map_err(|failure| self.rows.fail(failure)))
    }
}
