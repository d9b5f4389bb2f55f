//! Exports: every item of a drill-down filter, one row each with its themes, sentiment,
//! scores and attributes, as CSV (Excel-safe) or as an Excel workbook. The command line
//! (`trove export`), the drill-down page (`/items.csv`, `/items.xlsx`) and the API
//! (`/api/v1/items/export`) all write through [`App::export_items`], so their files agree.
//!
//! The columns are fixed, then one `attr:NAME` column per attribute name that any exported
//! item carries (sorted). Those names are gathered by a first pass over the same items, so a
//! column is never added half way down the file; the export reads the items twice.
//!
//! CSV cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) are
//! prefixed with `'`; the workbook writes every text as a string cell, never a formula, so
//! it needs no prefix. A worksheet holds at most 1,048,575 items under its header: larger
//! exports continue on sheets `Items 2`, `Items 3`... The workbook is built in the
//! writer's constant-memory mode (rows go to a temporary file as they are written).

use std::collections::BTreeSet;
use std::io::Write;

use trove_domain::safe::csv_cell;
use trove_store::{ItemPageAt, ListedItem, NpsBand};

use crate::App;
use crate::items::{ItemView, ItemsError, ItemsRequest, Names, view};

/// Items read per store call while exporting.
const EXPORT_PAGE: usize = 1_000;

/// The longest text a workbook cell holds (Excel's limit, in characters).
const CELL_MAX_CHARS: usize = 32_767;

/// Data rows per worksheet: Excel's 1,048,576 rows less the header.
const SHEET_ROWS: u64 = 1_048_575;

/// The media type of a workbook.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV, UTF-8 with a byte order mark, formula cells neutralised.
    Csv,
    /// An Excel workbook (`.xlsx`).
    Xlsx,
}

impl ExportFormat {
    /// Reads `csv` or `xlsx`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The file extension (and the format's name).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type to serve it with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => XLSX_MEDIA_TYPE,
        }
    }
}

/// The fixed columns of an export, before the attribute columns.
pub const EXPORT_COLUMNS: [&str; 22] = [
    "id",
    "received_at",
    "source",
    "external_id",
    "channel",
    "business_unit",
    "product",
    "region",
    "account",
    "touchpoint",
    "stage",
    "customer",
    "language",
    "nps",
    "nps_band",
    "csat",
    "ces",
    "sentiment",
    "sentiment_class",
    "themes",
    "theme_ids",
    "text",
];

/// A cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// A number (a score, an id, a sentiment rounded to three decimals).
    Number(f64),
    /// Text.
    Text(String),
}

impl Cell {
    fn text(value: Option<&str>) -> Self {
        value.map_or(Self::Empty, |v| Self::Text(v.to_owned()))
    }

    fn number(value: Option<f64>) -> Self {
        value.map_or(Self::Empty, Self::Number)
    }

    /// The cell as CSV writes it (before the formula guard).
    fn as_csv(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Number(n) => n.to_string(),
            Self::Text(t) => t.clone(),
        }
    }
}

/// The row of one item: the fixed columns, then its value of each attribute column.
fn export_row(item: &ListedItem, shown: &ItemView, attributes: &[String]) -> Vec<Cell> {
    let f = &item.feedback.item;
    let label = |l: &Option<trove_domain::Label>| Cell::text(l.as_ref().map(|l| l.as_str()));
    let score = |s: Option<u8>| Cell::number(s.map(f64::from));
    let names: Vec<&str> = shown.themes.iter().map(|(_, name)| name.as_str()).collect();
    let ids: Vec<&str> = shown.themes.iter().map(|(id, _)| id.as_str()).collect();
    let mut row = vec![
        // Store ids stay far below 2^53, so a float holds them exactly.
        Cell::Number(shown.id as f64),
        Cell::Text(shown.received_iso.clone()),
        Cell::Text(shown.source.clone()),
        Cell::Text(shown.external_id.clone()),
        Cell::Text(shown.channel.to_owned()),
        label(&f.business_unit),
        label(&f.product),
        label(&f.region),
        label(&f.account),
        Cell::text(shown.touchpoint.as_deref()),
        Cell::text(shown.stage.as_deref()),
        Cell::text(shown.customer.as_deref()),
        label(&f.language),
        score(shown.nps),
        Cell::text(shown.nps.map(|n| NpsBand::of(n).as_str())),
        score(shown.csat),
        score(shown.ces),
        Cell::number(
            shown
                .sentiment
                .map(|s| (f64::from(s) * 1000.0).round() / 1000.0),
        ),
        Cell::text(shown.sentiment_word),
        Cell::Text(names.join(" | ")),
        Cell::Text(ids.join(" | ")),
        Cell::Text(shown.full_text.clone()),
    ];
    let own: std::collections::HashMap<&str, &str> = f.attributes.iter().collect();
    row.extend(
        attributes
            .iter()
            .map(|name| Cell::text(own.get(name.as_str()).copied())),
    );
    row
}

/// Where rows go: a CSV or a workbook.
trait RowSink {
    fn header(&mut self, columns: &[String]) -> Result<(), ItemsError>;
    fn row(&mut self, cells: &[Cell]) -> Result<(), ItemsError>;
    fn finish(self) -> Result<(), ItemsError>;
}

fn write_error(error: impl std::fmt::Display) -> ItemsError {
    ItemsError::Write(error.to_string())
}

/// CSV: a byte order mark (so spreadsheets read accents), then records, every cell guarded.
struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    fn new(mut out: W) -> Result<Self, ItemsError> {
        out.write_all("\u{feff}".as_bytes()).map_err(write_error)?;
        Ok(Self {
            writer: csv::WriterBuilder::new()
                .buffer_capacity(64 * 1024)
                .from_writer(out),
        })
    }
}

impl<W: Write> RowSink for CsvSink<W> {
    fn header(&mut self, columns: &[String]) -> Result<(), ItemsError> {
        self.writer
            .write_record(columns.iter().map(|c| csv_cell(c)).map(|c| c.into_owned()))
            .map_err(write_error)
    }

    fn row(&mut self, cells: &[Cell]) -> Result<(), ItemsError> {
        let texts: Vec<String> = cells.iter().map(Cell::as_csv).collect();
        self.writer
            .write_record(texts.iter().map(|t| csv_cell(t).into_owned()))
            .map_err(write_error)
    }

    fn finish(mut self) -> Result<(), ItemsError> {
        self.writer.flush().map_err(write_error)
    }
}

/// A workbook: sheet `Items` (then `Items 2`...), a bold frozen header with a filter.
struct XlsxSink<W: Write + Send> {
    workbook: rust_xlsxwriter::Workbook,
    out: W,
    columns: Vec<String>,
    sheets: usize,
    /// Rows written on the current sheet, under its header.
    rows: u64,
}

impl<W: Write + Send> XlsxSink<W> {
    fn new(out: W) -> Self {
        Self {
            workbook: rust_xlsxwriter::Workbook::new(),
            out,
            columns: Vec::new(),
            sheets: 0,
            rows: 0,
        }
    }

    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet, ItemsError> {
        let index = self
            .sheets
            .checked_sub(1)
            .ok_or_else(|| ItemsError::Write("a row was written before the header".to_owned()))?;
        self.workbook
            .worksheet_from_index(index)
            .map_err(write_error)
    }

    fn new_sheet(&mut self) -> Result<(), ItemsError> {
        self.sheets += 1;
        self.rows = 0;
        let name = match self.sheets {
            1 => "Items".to_owned(),
            n => format!("Items {n}"),
        };
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let columns = self.columns.clone();
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(write_error)?
            .set_name(name)
            .map_err(write_error)?;
        for (col, name) in columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, column(col)?, name, &bold)
                .map_err(write_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(write_error)?;
        Ok(())
    }
}

fn column(index: usize) -> Result<u16, ItemsError> {
    u16::try_from(index)
        .ok()
        .filter(|c| *c < 16_384)
        .ok_or_else(|| ItemsError::Write(format!("more than 16,384 columns ({index})")))
}

/// At most [`CELL_MAX_CHARS`] characters (a longer text is cut, never refused).
fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(CELL_MAX_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

impl<W: Write + Send> RowSink for XlsxSink<W> {
    fn header(&mut self, columns: &[String]) -> Result<(), ItemsError> {
        self.columns = columns.to_vec();
        self.new_sheet()
    }

    fn row(&mut self, cells: &[Cell]) -> Result<(), ItemsError> {
        if self.rows == SHEET_ROWS {
            self.finish_sheet()?;
            self.new_sheet()?;
        }
        self.rows += 1;
        let row = u32::try_from(self.rows).map_err(write_error)?;
        let sheet = self.sheet()?;
        for (col, cell) in cells.iter().enumerate() {
            let col = column(col)?;
            match cell {
                Cell::Empty => {}
                Cell::Number(n) => {
                    sheet.write_number(row, col, *n).map_err(write_error)?;
                }
                // A string cell, never a formula, whatever the text starts with.
                Cell::Text(t) => {
                    sheet
                        .write_string(row, col, cell_text(t))
                        .map_err(write_error)?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), ItemsError> {
        self.finish_sheet()?;
        self.workbook.save_to_writer(self.out).map_err(write_error)
    }
}

impl<W: Write + Send> XlsxSink<W> {
    /// A filter on the header over the sheet's rows.
    fn finish_sheet(&mut self) -> Result<(), ItemsError> {
        let last_col = column(self.columns.len().saturating_sub(1))?;
        let rows = u32::try_from(self.rows).map_err(write_error)?;
        self.sheet()?
            .autofilter(0, 0, rows, last_col)
            .map_err(write_error)?;
        Ok(())
    }
}

impl App {
    /// Writes every item of `request` (its page ignored) to `out` as `format`, and returns
    /// how many. Refuses an unknown theme or stage before anything is written; a write error
    /// (the reader went away) stops the export.
    pub fn export_items<W: Write + Send>(
        &self,
        request: &ItemsRequest,
        format: ExportFormat,
        out: W,
    ) -> Result<u64, ItemsError> {
        let names = Names::load(self)?;
        self.check_names(request, &names)?;
        let mut attributes = BTreeSet::new();
        self.each_item(request, &mut |item| {
            attributes.extend(
                item.feedback
                    .item
                    .attributes
                    .iter()
                    .map(|(k, _)| k.to_owned()),
            );
            Ok(())
        })?;
        let attributes: Vec<String> = attributes.into_iter().collect();
        let mut columns: Vec<String> = EXPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        columns.extend(attributes.iter().map(|a| format!("attr:{a}")));
        match format {
            ExportFormat::Csv => {
                let sink = CsvSink::new(out)?;
                self.write_rows(request, &names, &columns, &attributes, sink)
            }
            ExportFormat::Xlsx => {
                let sink = XlsxSink::new(out);
                self.write_rows(request, &names, &columns, &attributes, sink)
            }
        }
    }

    /// The header and a row per item of `request` into `sink`; how many rows.
    fn write_rows(
        &self,
        request: &ItemsRequest,
        names: &Names,
        columns: &[String],
        attributes: &[String],
        mut sink: impl RowSink,
    ) -> Result<u64, ItemsError> {
        sink.header(columns)?;
        let mut rows = 0;
        self.each_item(request, &mut |item| {
            rows += 1;
            sink.row(&export_row(item, &view(item, names, None), attributes))
        })?;
        sink.finish()?;
        Ok(rows)
    }

    /// Calls `each` on every item of `request`, newest first, a thousand per store call.
    fn each_item(
        &self,
        request: &ItemsRequest,
        each: &mut dyn FnMut(&ListedItem) -> Result<(), ItemsError>,
    ) -> Result<(), ItemsError> {
        let matching = self.item_count(&request.query)?;
        let mut at = ItemPageAt::First;
        loop {
            let page = self
                .store()
                .list_items(&request.query, at, EXPORT_PAGE, Some(matching))?;
            for item in &page {
                each(item)?;
            }
            match page.last() {
                Some(last) if page.len() == EXPORT_PAGE => at = ItemPageAt::After(last.cursor()),
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_name_their_files() {
        assert_eq!(ExportFormat::parse(" XLSX"), Some(ExportFormat::Xlsx));
        assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("xls"), None);
        assert_eq!(ExportFormat::Xlsx.extension(), "xlsx");
    }

    #[test]
    fn a_long_text_is_cut_at_excels_cell_limit_on_a_character_boundary() {
        let long = "é".repeat(CELL_MAX_CHARS + 5);
        assert_eq!(cell_text(&long).chars().count(), CELL_MAX_CHARS);
        assert_eq!(cell_text("short"), "short");
    }

    #[test]
    fn csv_cells_that_would_run_as_formulas_are_prefixed_and_numbers_are_not() {
        let mut out = Vec::new();
        let mut sink = CsvSink::new(&mut out).unwrap_or_else(|e| panic!("{e}"));
        let cells = [
            Cell::Text("=1+1".into()),
            Cell::Number(-0.25),
            Cell::Empty,
            Cell::Text("@SUM(A1)".into()),
        ];
        assert!(sink.row(&cells).is_ok());
        assert!(sink.finish().is_ok());
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(text, "\u{feff}'=1+1,-0.25,,'@SUM(A1)\n");
    }
}
