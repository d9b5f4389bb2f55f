//! Workbook records (.xlsx, .xlsm, .xlsb, .xls, .ods, read by `calamine`): the first sheet,
//! or the one named, with its first used row as the header. Cells become text as a person
//! sees them: whole numbers without ".0", dates as ISO date-times (not Excel serial numbers).
//! Lines in errors are the sheet's row numbers. The workbook is held in memory whole.

use std::io::Cursor;

use calamine::{Data, Range, Reader};
use csv::ByteRecord;

use crate::csv_reader::resolve;
use crate::error::{FileError, RawRecord, RowFailure};
use crate::input::not_a_workbook;
use crate::source::Wanted;

pub(crate) struct SheetRecords {
    range: Range<Data>,
    /// The sheet's row number of the range's first row, less one.
    first_row: u64,
    /// The next row of the range to read (0 is the header).
    next: usize,
    header: ByteRecord,
    index: Vec<Option<usize>>,
    cells: Vec<String>,
    line: u64,
    rows: u64,
    bytes: u64,
}

impl SheetRecords {
    pub(crate) fn open(
        bytes: &[u8],
        file: &str,
        sheet: Option<&str>,
        wanted: &[Wanted],
    ) -> Result<Self, FileError> {
        let (range, name, sheets) = first_or_named_sheet(bytes, file, sheet)?;
        let empty = || FileError::EmptySheet {
            file: file.to_owned(),
            sheet: name.clone(),
            sheets: sheets.clone(),
        };
        let Some((first_row, _)) = range.start() else {
            return Err(empty());
        };
        let mut records = Self {
            range,
            first_row: u64::from(first_row),
            next: 0,
            header: ByteRecord::new(),
            index: Vec::new(),
            cells: Vec::new(),
            line: 0,
            rows: 0,
            bytes: bytes.len() as u64,
        };
        if !records.read_row() {
            return Err(empty());
        }
        let names = std::mem::take(&mut records.cells);
        records.header = names.iter().map(String::as_bytes).collect();
        records.index = wanted
            .iter()
            .map(|w| resolve(file, &names, w, None))
            .collect::<Result<_, _>>()?;
        Ok(records)
    }

    /// Reads the next row that is not blank into `cells`; false at the end of the sheet.
    fn read_row(&mut self) -> bool {
        while self.next < self.range.height() {
            let row = self.next;
            self.next += 1;
            self.cells.clear();
            for column in 0..self.range.width() {
                let cell = self.range.get((row, column)).unwrap_or(&Data::Empty);
                self.cells.push(cell_text(cell));
            }
            if self.cells.iter().any(|c| !c.trim().is_empty()) {
                self.line = self.first_row + row as u64 + 1;
                return true;
            }
        }
        false
    }

    pub(crate) fn advance(&mut self) -> Option<Result<(), RowFailure>> {
        if !self.read_row() {
            return None;
        }
        self.rows += 1;
        Some(Ok(()))
    }

    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(crate) fn value(&self, slot: usize) -> &str {
        self.index[slot]
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }

    pub(crate) fn raw(&self) -> RawRecord {
        RawRecord::Fields(self.cells.iter().map(|c| c.as_bytes().to_vec()).collect())
    }

    pub(crate) fn header(&self) -> &ByteRecord {
        &self.header
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

/// The sheet's cells, its name, and the names of all the workbook's sheets.
fn first_or_named_sheet(
    bytes: &[u8],
    file: &str,
    sheet: Option<&str>,
) -> Result<(Range<Data>, String, Vec<String>), FileError> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| {
        FileError::NotReadable {
            file: file.to_owned(),
            what: not_a_workbook(bytes).to_owned(),
        }
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .ok_or_else(|| FileError::NoSheet {
                file: file.to_owned(),
                sheet: wanted.to_owned(),
                sheets: names.clone(),
            })?,
        None => names.first().ok_or_else(|| FileError::Empty {
            file: file.to_owned(),
        })?,
    };
    let range = workbook.worksheet_range(name).map_err(|e| FileError::Io {
        file: file.to_owned(),
        source: std::io::Error::other(format!("sheet '{name}': {e}")),
    })?;
    Ok((range, name.clone(), names.clone()))
}

/// A cell as text, as the workbook shows it.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) => number_text(*x),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(when) if when.is_duration() => {
            let seconds = (when.as_f64() * 86_400.0).round() as i64;
            format!(
                "{}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            )
        }
        Data::DateTime(when) => {
            let (y, mo, d, h, mi, s, ms) = when.to_ymd_hms_milli();
            let time = if ms == 0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else {
                format!("{h:02}:{mi:02}:{s:02}.{ms:03}")
            };
            // A serial below 1 is a time of day without a date.
            if when.as_f64() < 1.0 {
                time
            } else {
                format!("{y:04}-{mo:02}-{d:02}T{time}")
            }
        }
        Data::Error(error) => error.to_string(),
    }
}

/// A number as written: whole numbers without a fraction, others in their shortest form.
fn number_text(x: f64) -> String {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole number below is exact
    if x.fract() == 0.0 && x.abs() < EXACT {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    use super::*;

    #[test]
    fn cells_read_as_a_person_sees_them() {
        let date = |serial, kind| Data::DateTime(ExcelDateTime::new(serial, kind, false));
        assert_eq!(cell_text(&Data::Float(42.0)), "42");
        assert_eq!(cell_text(&Data::Float(-3.0)), "-3");
        assert_eq!(cell_text(&Data::Float(4.5)), "4.5");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Int(7)), "7");
        assert_eq!(
            cell_text(&date(45943.5, ExcelDateTimeType::DateTime)),
            "2025-10-13T12:00:00"
        );
        assert_eq!(
            cell_text(&date(45943.0, ExcelDateTimeType::DateTime)),
            "2025-10-13T00:00:00"
        );
        assert_eq!(
            cell_text(&date(0.75, ExcelDateTimeType::DateTime)),
            "18:00:00"
        );
        assert_eq!(
            cell_text(&date(1.5, ExcelDateTimeType::TimeDelta)),
            "36:00:00"
        );
        assert_eq!(cell_text(&Data::Bool(true)), "true");
    }
}
