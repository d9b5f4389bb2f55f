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
use crate::mapping::{Mapping, ValueMap};
use crate::rejected::RejectedWriter;
use crate::source::{InputSpec, Records, Wanted};
use crate::time::{DateOrderDecision, DateOrderScan, TimeParser};
use crate::{ReadOptions, pii};

/// Where an item's channel comes from.
enum ChannelFrom {
    Fixed(Channel),
    /// A column, with the mapping's `[values.channel]` if any.
    Column(usize, Option<ValueMap>),
}

/// A coded field read from a column: its slot, and the `[values.FIELD]` table if any.
struct Coded {
    slot: Option<usize>,
    values: Option<ValueMap>,
    /// How messages name the field (`business unit`).
    what: &'static str,
    /// The mapping key (`business_unit`).
    key: &'static str,
}

impl Coded {
    fn new(mapping: &Mapping, slot: Option<usize>, what: &'static str, key: &'static str) -> Self {
        Self {
            slot,
            values: mapping.value_map(key),
            what,
            key,
        }
    }

    fn read<R: Read>(&self, rec: &Records<R>) -> Result<Option<Label>, RowFailure> {
        let Some(slot) = self.slot else {
            return Ok(None);
        };
        let raw = rec.value(slot)?;
        if raw.is_empty() {
            return Ok(None);
        }
        map_label(raw, self.values.as_ref(), self.what, self.key)
            .map_err(|e| RowFailure::at(slot, e))
    }
}

/// A value through its field's `[values]` table (none: the value itself); `Ok(None)` when
/// the table maps it to nothing.
fn map_label(
    raw: &str,
    values: Option<&ValueMap>,
    what: &'static str,
    key: &'static str,
) -> Result<Option<Label>, RowErrorKind> {
    let Some(values) = values else {
        return Ok(Some(Label::parse(what, raw)?));
    };
    match values.target(raw) {
        Some("") => Ok(None),
        Some(target) => Ok(Some(Label::parse(what, target)?)),
        None => Err(unmapped(what, key, raw, String::new())),
    }
}

fn unmapped(what: &'static str, key: &'static str, raw: &str, known: String) -> RowErrorKind {
    RowErrorKind::UnmappedValue {
        field: what,
        key,
        value: crate::error::excerpt(raw),
        known,
    }
}

/// A channel word: the mapping's `[values.channel]` word, else one of Trove's channels,
/// else the table's default.
fn map_channel(raw: &str, values: Option<&ValueMap>) -> Result<Channel, RowErrorKind> {
    let target = values.and_then(|v| v.listed(raw));
    if let Some(target) = target {
        return Ok(target.parse()?);
    }
    if let Ok(channel) = raw.parse::<Channel>() {
        return Ok(channel);
    }
    if let Some(default) = values.and_then(ValueMap::default) {
        return Ok(default.parse()?);
    }
    let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    Err(unmapped(
        "channel",
        "channel",
        raw,
        format!(
            " nor a Trove channel (expected one of {})",
            names.join(", ")
        ),
    ))
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
    business_unit: Coded,
    product: Coded,
    region: Coded,
    touchpoint: Coded,
    stage: Coded,
    language: Coded,
    nps: Option<usize>,
    csat: Option<usize>,
    ces: Option<usize>,
    themes: Vec<usize>,
    theme_separator: Option<String>,
    theme_values: Option<ValueMap>,
    attributes: Vec<(usize, String)>,
    time_parser: TimeParser,
    slots: usize,
}

impl FeedbackPlan {
    /// The plan and the columns it reads, in slot order (the content hash's order).
    fn new(mapping: &Mapping, time_parser: TimeParser) -> (Self, Vec<Wanted>) {
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
            (None, column) => ChannelFrom::Column(
                slot(w, column, "channel_column").unwrap_or_default(),
                mapping.value_map("channel"),
            ),
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
            business_unit: Coded::new(mapping, business_unit, "business unit", "business_unit"),
            product: Coded::new(mapping, product, "product", "product"),
            region: Coded::new(mapping, region, "region", "region"),
            touchpoint: Coded::new(mapping, touchpoint, "touchpoint", "touchpoint"),
            stage: Coded::new(mapping, stage, "journey stage", "stage"),
            language: Coded::new(mapping, language, "language", "language"),
            nps,
            csat,
            ces,
            themes,
            theme_separator: mapping.themes.separator.clone(),
            theme_values: mapping.value_map("themes"),
            attributes,
            time_parser,
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
            ChannelFrom::Column(slot, ref values) => parse_required(rec, slot, "channel", |raw| {
                map_channel(raw, values.as_ref())
            })?,
        };
        let received_at = match self.time {
            None => ReceivedAt::new(import_time, Offset::UTC),
            Some(slot) => {
                let parser = &self.time_parser;
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
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                if let Some(theme) = map_label(part, self.theme_values.as_ref(), "theme", "themes")
                    .map_err(|e| RowFailure::at(slot, e))?
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
            business_unit: self.business_unit.read(rec)?,
            product: self.product.read(rec)?,
            region: self.region.read(rec)?,
            touchpoint: self.touchpoint.read(rec)?,
            journey_stage: self.stage.read(rec)?,
            text,
            sentiment: None,
            suggestion: false,
            scores,
            language: self.language.read(rec)?,
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
    pub(crate) columns: Vec<String>,
}

impl<R: Read> Rows<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        spec: &InputSpec<'_>,
        wanted: &[Wanted],
    ) -> Result<Self, FileError> {
        let records = Records::open(reader, file, spec, wanted)?;
        let columns = wanted.iter().map(|w| w.column.clone()).collect();
        Ok(Self {
            records,
            file: file.to_owned(),
            columns,
        })
    }

    pub(crate) fn fail(&self, failure: RowFailure) -> RowError {
        let column = match failure.column {
            Some(name) => Some(name),
            None => failure.slot.map(|slot| self.columns[slot].clone()),
        };
        RowError {
            file: self.file.clone(),
            line: self.records.line(),
            column,
            kind: failure.kind,
            raw: self.records.raw(),
        }
    }

    /// Rejected rows of a CSV file or a sheet are written as CSV, of JSON Lines as JSON Lines.
    pub(crate) fn rejected_writer<W: Write>(&self, out: W) -> RejectedWriter<W> {
        match self.records.header() {
            Some((header, delimiter)) => RejectedWriter::csv(out, header.iter(), delimiter),
            None => RejectedWriter::jsonl(out),
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

/// A row read but not imported because it is not data: one of the mapping's `skip_rows`, or
/// a repeated header (a row whose values are the column names, Qualtrics' question-text
/// row, or its `{"ImportId":...}` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// The line where the row starts.
    pub line: u64,
    /// Why it is not data.
    pub reason: String,
}

impl std::fmt::Display for SkippedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} skipped: {}", self.line, self.reason)
    }
}

/// Reads feedback items from a file, one per row, in constant memory. Made by
/// [`crate::read_feedback`]; yields each row as an item or as the reason it was rejected.
pub struct FeedbackReader<R> {
    rows: Rows<R>,
    plan: FeedbackPlan,
    mask_pii: bool,
    import_time: Timestamp,
    /// `skip_rows` not skipped yet.
    to_skip: u64,
    /// The first skipped rows (at most [`SKIPPED_KEPT`]), and how many there were.
    skipped: Vec<SkippedRow>,
    skipped_total: u64,
    /// Whether the mapping leaves the time zone open, so that an export's own statement of it
    /// (Qualtrics' ImportId row) applies.
    zone_open: bool,
    /// Whether an item was read yet (preamble rows come before the first).
    yielded_item: bool,
}

/// How many skipped rows a reader keeps to report (all are counted): a file of concatenated
/// exports may repeat its header thousands of times.
const SKIPPED_KEPT: usize = 100;

/// How the mapping says to read the file (format, delimiter, encoding, sheet).
fn input_spec<'m>(mapping: &'m Mapping, file: &str, options: &ReadOptions) -> InputSpec<'m> {
    InputSpec::new(
        file,
        mapping.format,
        mapping.delimiter,
        mapping.encoding,
        mapping.sheet.as_deref(),
        options,
    )
}

fn checked(mapping: &Mapping, file: &str) -> Result<(), FileError> {
    mapping.validate().map_err(|source| FileError::Mapping {
        file: file.to_owned(),
        source,
    })
}

impl<R: Read> FeedbackReader<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        mapping: &Mapping,
        options: &ReadOptions,
    ) -> Result<Self, FileError> {
        checked(mapping, file)?;
        let spec = input_spec(mapping, file, options);
        let zone = mapping
            .time
            .local_zone()
            .map_err(|message| FileError::Mapping {
                file: file.to_owned(),
                source: crate::MappingError::new("(built in code)", message),
            })?;
        let time_parser = TimeParser::new(
            mapping.time.format.as_deref(),
            zone,
            mapping.time.dates,
            options.import_time,
        );
        let (plan, wanted) = FeedbackPlan::new(mapping, time_parser);
        let rows = Rows::open(reader, file, &spec, &wanted)?;
        Ok(Self {
            rows,
            plan,
            mask_pii: options.mask_pii,
            import_time: options.import_time,
            to_skip: mapping.skip_rows,
            skipped: Vec::new(),
            skipped_total: 0,
            zone_open: mapping.time.timezone.is_none() && mapping.time.default_offset.is_none(),
            yielded_item: false,
        })
    }

    /// The first rows read so far that were not data (skipped, neither imported nor
    /// rejected); at most 100 are kept, [`FeedbackReader::skipped_total`] counts them all.
    pub fn skipped(&self) -> &[SkippedRow] {
        &self.skipped
    }

    /// How many rows were skipped so far.
    pub fn skipped_total(&self) -> u64 {
        self.skipped_total
    }

    fn skip(&mut self, mut reason: String) {
        if let Some(zone) = self.export_zone() {
            reason.push_str(&zone);
        }
        self.skipped_total += 1;
        if self.skipped.len() < SKIPPED_KEPT {
            let line = self.rows.records.line();
            self.skipped.push(SkippedRow { line, reason });
        }
    }

    /// When a skipped row's time value is an export's statement of its time zone
    /// (`{"ImportId":"recordedDate","timeZone":"America/Chicago"}`) and the mapping gives
    /// none, the times that follow are read in that zone: what the export says, not a guess.
    /// Returns the sentence to add to the skipped row's reason.
    fn export_zone(&mut self) -> Option<String> {
        let slot = self.plan.time?;
        if !self.zone_open {
            return None;
        }
        let value = self.rows.records.value(slot).ok()?;
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(value).ok()?;
        object.get("ImportId")?;
        let name = object.get("timeZone")?.as_str()?;
        self.zone_open = false;
        Some(match crate::time::time_zone(name) {
            Ok(zone) => {
                self.plan
                    .time_parser
                    .set_zone(crate::time::LocalZone::Named(zone));
                format!("; the times that follow are read in {name}, the time zone it names")
            }
            Err(why) => {
                format!("; it names a time zone Trove cannot use, so times stay in UTC: {why}")
            }
        })
    }

    /// Why a row is a header rather than data, if it is: an `{"ImportId":...}` value, or a
    /// value equal to its own column's name (spaces, case and punctuation aside: Qualtrics
    /// writes "Response ID" under `ResponseId`). For a row that read well (`strict`), only
    /// the id and time columns count for the second rule: a name there is never data, while a
    /// label column may hold its own name.
    fn header_like(&self, strict: bool) -> Option<String> {
        let records = &self.rows.records;
        let squeeze = |text: &str| -> String {
            text.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        for (slot, column) in self.rows.columns.iter().enumerate() {
            let Ok(value) = records.value(slot) else {
                continue;
            };
            if value.starts_with("{\"ImportId\"") {
                return Some(format!(
                    "an export's ImportId row (column {column}: {})",
                    crate::error::excerpt(value)
                ));
            }
            let telling = !strict || Some(slot) == self.plan.id || Some(slot) == self.plan.time;
            if telling && !value.is_empty() && squeeze(value) == squeeze(column) {
                return Some(format!(
                    "a second header row (column {column} holds {value:?})"
                ));
            }
        }
        None
    }

    reader_accessors!();
}

impl<R: Read> Iterator for FeedbackReader<R> {
    type Item = Result<FeedbackItem, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let step = match self.rows.records.advance()? {
                // Reading stopped here: never skipped, whatever the row looks like.
                Err(failure) if failure.kind.stops_reading() => {
                    return Some(Err(self.rows.fail(failure)));
                }
                step => step,
            };
            if self.to_skip > 0 {
                self.to_skip -= 1;
                self.skip("skip_rows in the mapping".to_owned());
                continue;
            }
            let item = step.and_then(|()| {
                self.plan
                    .build(&self.rows.records, self.mask_pii, self.import_time)
            });
            // A row that failed may be a repeated header; so may one that read well before the
            // first item (export preambles), by stricter signs. Later good rows are not asked.
            let header = match &item {
                Err(_) => self.header_like(false),
                Ok(_) if !self.yielded_item => self.header_like(true),
                Ok(_) => None,
            };
            if let Some(reason) = header {
                self.skip(reason);
                continue;
            }
            self.yielded_item |= item.is_ok();
            return Some(item.map_err(|failure| self.rows.fail(failure)));
        }
    }
}

/// Reads the time column of a feedback file once, before anything is imported, to decide
/// the order of day and month of its numeric dates for the whole column: a date that can only
/// be day first (`13/05/2026`) or only month first (`05/13/2026`) decides it. Returns `None`
/// when no date depends on the order (or the mapping already says it); a
/// [`FileError::Time`] when every such date fits both orders, the column mixes both, or its
/// years have two digits. Set the decided order as `mapping.time.dates`, then read the file
/// again with [`crate::read_feedback`].
pub fn decide_date_order<R: Read>(
    reader: R,
    file: &str,
    mapping: &Mapping,
    options: &ReadOptions,
) -> Result<Option<DateOrderDecision>, FileError> {
    checked(mapping, file)?;
    let Some(column) = mapping.columns.time.as_deref() else {
        return Ok(None);
    };
    if !mapping.date_order_undecided() {
        return Ok(None);
    }
    let wanted = [Wanted::new(column, "columns.time")];
    let mut records = Records::open(reader, file, &input_spec(mapping, file, options), &wanted)?;
    let mut scan = DateOrderScan::default();
    let mut to_skip = mapping.skip_rows;
    while let Some(step) = records.advance() {
        if to_skip > 0 {
            to_skip -= 1;
            continue;
        }
        // Bad rows are the reading's to report; here only readable values count.
        if let (Ok(()), Ok(value)) = (step, records.value(0))
            && !scan.see(records.line(), value)
        {
            break;
        }
    }
    scan.decide(column).map_err(|message| FileError::Time {
        file: file.to_owned(),
        column: column.to_owned(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DateOrder;

    fn mapping(toml: &str) -> Mapping {
        Mapping::from_toml_str(toml, "m.toml").unwrap()
    }

    fn options() -> ReadOptions {
        ReadOptions::new("2026-12-01T00:00:00Z".parse().unwrap())
    }

    const DATED: &str = "source = \"s\"\nchannel = \"survey\"\nskip_rows = 1\n[columns]\nid = \"id\"\ntime = \"when\"\ntext = \"text\"\n";

    #[test]
    fn the_order_of_day_and_month_is_decided_over_json_lines_too() {
        let lines = "{\"preamble\": true}\n\
                     {\"id\": \"a\", \"when\": \"01/02/2026\", \"text\": \"x\"}\n\
                     {\"id\": \"b\", \"when\": \"2026-03-04T10:00:00Z\", \"text\": \"y\"}\n\
                     {\"id\": \"c\", \"when\": \"02/13/2026\", \"text\": \"z\"}\n";
        let mut mapping = mapping(DATED);
        let decision = decide_date_order(lines.as_bytes(), "f.jsonl", &mapping, &options())
            .unwrap()
            .unwrap();
        assert_eq!((decision.order, decision.line), (DateOrder::MonthFirst, 4));
        mapping.time.dates = Some(decision.order);
        let reader = crate::read_feedback(lines.as_bytes(), "f.jsonl", &mapping, &options());
        let times: Vec<String> = reader
            .unwrap()
            .map(|row| row.unwrap().received_at.timestamp().to_string())
            .collect();
        assert_eq!(
            times,
            [
                "2026-01-02T00:00:00Z",
                "2026-03-04T10:00:00Z",
                "2026-02-13T00:00:00Z"
            ]
        );
        let error = decide_date_order(
            &b"{\"p\":1}\n{\"id\": \"a\", \"when\": \"01/02/2026\", \"text\": \"x\"}\n"[..],
            "g.jsonl",
            &self::mapping(DATED),
            &options(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("file g.jsonl: column 'when': every date fits both"),
            "{error}"
        );
    }

    #[test]
    fn a_preamble_that_reads_as_data_is_still_skipped_by_its_id_or_importid() {
        // Only an id and a text: Qualtrics' two extra rows would make valid items.
        let mapping = mapping(
            "source = \"s\"\nchannel = \"survey\"\n[columns]\nid = \"ResponseId\"\ntext = \"Q2\"\nbusiness_unit = \"Unit\"\n",
        );
        let csv = "ResponseId,Q2,Unit\n\
                   Response ID,What is the main reason for your score?,Unit\n\
                   \"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\"{\"\"ImportId\"\":\"\"QID2_TEXT\"\"}\",\"{\"\"ImportId\"\":\"\"unit\"\"}\"\n\
                   R_1,Slow line,Unit\n\
                   R_2,Fine,Home\n";
        let mut reader =
            crate::read_feedback(csv.as_bytes(), "q.csv", &mapping, &options()).unwrap();
        let ids: Vec<String> = reader
            .by_ref()
            .map(|row| row.unwrap().external_id.as_str().to_owned())
            .collect();
        assert_eq!(
            ids,
            ["R_1", "R_2"],
            "a unit named Unit is data, not a header"
        );
        assert_eq!(reader.skipped_total(), 2);
    }

    #[test]
    fn later_rows_repeating_the_header_are_skipped_only_when_they_fail() {
        let csv = "id,when,text\n\
                   id,when,text\n\
                   \"{\"\"ImportId\"\":\"\"QID1\"\"}\",\"{\"\"ImportId\"\":\"\"when\"\"}\",x\n\
                   a,2026-01-01,fine\n\
                   b,yesterday,bad time\n\
                   when,2026-01-02,a good row whose id is a column name\n";
        let mapping = mapping(&DATED.replace("skip_rows = 1\n", ""));
        let mut reader =
            crate::read_feedback(csv.as_bytes(), "h.csv", &mapping, &options()).unwrap();
        let rows: Vec<_> = reader.by_ref().collect();
        let ids: Vec<String> = rows
            .iter()
            .map(|row| match row {
                Ok(item) => item.external_id.as_str().to_owned(),
                Err(error) => format!("line {}", error.line),
            })
            .collect();
        assert_eq!(ids, ["a", "line 5", "when"]);
        let skipped: Vec<String> = reader.skipped().iter().map(ToString::to_string).collect();
        assert_eq!(
            skipped,
            [
                "line 2 skipped: a second header row (column id holds \"id\")",
                "line 3 skipped: an export's ImportId row (column id: {\"ImportId\":\"QID1\"})",
            ]
        );
        let repeated = format!("id,when,text\n{}", "id,when,text\n".repeat(150));
        let mut reader =
            crate::read_feedback(repeated.as_bytes(), "r.csv", &mapping, &options()).unwrap();
        assert_eq!(reader.by_ref().count(), 0);
        assert_eq!((reader.skipped().len(), reader.skipped_total()), (100, 150));
    }
}
