//! Reading received times: an explicit strftime layout (or an Excel-style one such as
//! `dd/mm/yyyy hh:mm`, translated), or the common layouts recognised.
//!
//! Numeric dates such as `05/04/2026` are read day first or month first as the whole column
//! says, never value by value: [`DateOrderScan`] looks at every value of the column before
//! anything is stored, and a column whose values all fit both orders is refused.

use std::borrow::Cow;
use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::strtime::{self, BrokenDownTime};
use jiff::fmt::temporal::Pieces;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};
use serde::Deserialize;
use trove_domain::ReceivedAt;

use crate::error::{RowErrorKind, excerpt};

/// Layouts tried after ISO 8601 / RFC 3339 and before numeric day/month dates.
const AUTO_LAYOUTS: [&str; 2] = ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %:z"];

const AUTO_EXPECTED: &str = "RFC 3339 (2015-02-24T11:35:52-08:00), \"2015-02-24 11:35:52 -0800\", \
     2015-02-24T11:35:52, 2015-02-24, or a date as Excel writes it (24/02/2015 11:35, \
     2/24/2015 11:35:52 AM, 24.02.2015); set [time] format in the mapping for other layouts";

/// How far after the import a time may be (clocks and time zones differ a little; more than
/// a day ahead is a misread date, not a clock difference).
const FUTURE_TOLERANCE: SignedDuration = SignedDuration::from_hours(24);

/// The order of day and month in numeric dates such as `05/04/2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    /// `05/04/2026` is 5 April 2026 (most of the world).
    DayFirst,
    /// `05/04/2026` is May 4, 2026 (the United States).
    MonthFirst,
}

impl DateOrder {
    /// How the mapping writes it: `day-first` or `month-first`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DayFirst => "day-first",
            Self::MonthFirst => "month-first",
        }
    }
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where times written without an offset are: a fixed offset or an IANA time zone.
#[derive(Debug, Clone)]
pub(crate) enum LocalZone {
    Fixed(Offset),
    Named(TimeZone),
}

impl LocalZone {
    /// The instant a wall-clock time names. In a named zone, a time that happens twice (the
    /// hour repeated when clocks go back) is the earlier one, and a time that never happens
    /// (the hour skipped when clocks go forward) is moved forward by the gap: jiff's
    /// "compatible" rule, the one RFC 5545 and most calendars use.
    fn resolve(&self, datetime: DateTime) -> Result<ReceivedAt, jiff::Error> {
        match self {
            Self::Fixed(offset) => Ok(ReceivedAt::new(offset.to_timestamp(datetime)?, *offset)),
            Self::Named(zone) => {
                let zoned = datetime.to_zoned(zone.clone())?;
                Ok(ReceivedAt::new(zoned.timestamp(), zoned.offset()))
            }
        }
    }
}

/// Finds an IANA time zone by name (`America/Chicago`), with the database bundled into Trove
/// when the system has none.
pub(crate) fn time_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|e| {
        format!("time zone {name:?} is not known ({e}); use an IANA name such as \"America/Chicago\" or \"Europe/Paris\"")
    })
}

/// The strftime layout a mapping's layout means: strftime as is, or an Excel-style layout
/// (`dd/mm/yyyy hh:mm`, `m/d/yyyy h:mm AM/PM`) translated.
pub(crate) fn strftime_layout(layout: &str) -> Result<Cow<'_, str>, String> {
    if layout.contains('%') {
        return Ok(Cow::Borrowed(layout));
    }
    excel_to_strftime(layout).map(Cow::Owned)
}

/// Checks that a layout is usable: strftime with directives jiff knows, or Excel-style.
pub(crate) fn check_layout(layout: &str) -> Result<(), String> {
    let strftime = strftime_layout(layout)?;
    let sample = Timestamp::UNIX_EPOCH.to_zoned(TimeZone::UTC);
    strtime::format(strftime.as_ref(), &sample)
        .map(|_| ())
        .map_err(|e| format!("time layout {layout:?} is not valid: {e}"))
}

/// Translates an Excel number format for dates (`dd/mm/yyyy hh:mm:ss`, `d.m.yy`,
/// `m/d/yyyy h:mm AM/PM`) into strftime. `m` and `mm` are minutes right after an hour or
/// right before seconds, as in Excel, and months elsewhere.
fn excel_to_strftime(layout: &str) -> Result<String, String> {
    let bad = |why: &str| {
        format!(
            "time layout {layout:?} is neither strftime (%d/%m/%Y %H:%M) nor an Excel layout (dd/mm/yyyy hh:mm): {why}"
        )
    };
    let tokens = excel_tokens(layout);
    let twelve_hour = tokens.iter().any(|t| t == "ampm");
    let kind = |t: &str| t.chars().next().filter(char::is_ascii_alphabetic);
    let mut out = String::new();
    let mut recognised = 0;
    for (n, token) in tokens.iter().enumerate() {
        let previous_letter = tokens[..n].iter().rev().find_map(|t| kind(t));
        let next_letter = tokens[n + 1..].iter().find_map(|t| kind(t));
        let directive = match token.as_str() {
            "yyyy" => "%Y",
            "yy" => "%y",
            "mmmm" => "%B",
            "mmm" => "%b",
            "m" | "mm" if previous_letter == Some('h') || next_letter == Some('s') => "%M",
            "m" | "mm" => "%m",
            "dddd" => "%A",
            "ddd" => "%a",
            "d" | "dd" => "%d",
            "h" | "hh" if twelve_hour => "%I",
            "h" | "hh" => "%H",
            "s" | "ss" => "%S",
            "ampm" => "%p",
            "%" => "%%",
            other if kind(other).is_some() => {
                return Err(bad(&format!("{other:?} is not an Excel date code")));
            }
            other => {
                out.push_str(other);
                continue;
            }
        };
        recognised += 1;
        out.push_str(directive);
    }
    if recognised == 0 {
        return Err(bad("it names no part of a date"));
    }
    Ok(out)
}

/// An Excel layout cut into runs of one letter (`yyyy`, `mm`), `ampm` for `AM/PM` or `A/P`,
/// and single other characters; letters lowercased.
fn excel_tokens(layout: &str) -> Vec<String> {
    let chars: Vec<char> = layout.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let marker = ["am/pm", "a/p"]
            .into_iter()
            .find(|m| rest.iter().take(m.len()).copied().eq(m.chars()));
        let len = match marker {
            Some(marker) => {
                tokens.push("ampm".to_owned());
                i += marker.len();
                continue;
            }
            None if rest[0].is_ascii_alphabetic() => {
                rest.iter().take_while(|&&c| c == rest[0]).count()
            }
            None => 1,
        };
        tokens.push(rest[..len].iter().collect());
        i += len;
    }
    tokens
}

/// A date written with numbers only and its time: `5/4/2026`, `05.04.2026 14:30`,
/// `5/4/2026 2:30:05 PM`, `2026/05/04 14:30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Numeric {
    /// The first and second numbers of a day/month date (for year-first dates: month, day).
    first: i8,
    second: i8,
    year: i16,
    time: Time,
    shape: Shape,
}

/// How a numeric date is written, to suggest a layout for the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    separator: char,
    year_first: bool,
    two_digit_year: bool,
    /// ' ' or 'T' between date and time; `None` without a time.
    time_separator: Option<char>,
    clock: Clock,
}

/// How the time after a numeric date is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Clock {
    seconds: bool,
    fraction: bool,
    twelve_hour: bool,
}

impl Shape {
    /// The strftime layout of this shape with the given order of day and month.
    fn layout(&self, order: DateOrder) -> String {
        let s = self.separator;
        let year = if self.two_digit_year { "%y" } else { "%Y" };
        let mut layout = match (self.year_first, order) {
            (true, _) => format!("{year}{s}%m{s}%d"),
            (false, DateOrder::DayFirst) => format!("%d{s}%m{s}{year}"),
            (false, DateOrder::MonthFirst) => format!("%m{s}%d{s}{year}"),
        };
        if let Some(between) = self.time_separator {
            let clock = self.clock;
            layout.push(between);
            layout.push_str(if clock.twelve_hour { "%I:%M" } else { "%H:%M" });
            if clock.seconds {
                layout.push_str(":%S");
            }
            if clock.fraction {
                layout.push_str("%.f");
            }
            if clock.twelve_hour {
                layout.push_str(" %p");
            }
        }
        layout
    }
}

/// Reads `digits` as a number when it is 1 to `max` ASCII digits.
fn number(digits: &str, max: usize) -> Option<i32> {
    if digits.is_empty() || digits.len() > max || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads a numeric date with an optional time; `None` when the value is not written so.
fn numeric(raw: &str) -> Option<Numeric> {
    let raw = raw.trim();
    let date_end = raw.find([' ', 'T']).unwrap_or(raw.len());
    let (date, rest) = raw.split_at(date_end);
    let separator = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = date.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let year_first = a.len() == 4;
    // `2026-05-04` is ISO, read elsewhere; a year first with '/' or '.' is y/m/d.
    if year_first && separator == '-' {
        return None;
    }
    let (first, second, year_digits) = if year_first {
        (*b, *c, *a)
    } else {
        (*a, *b, *c)
    };
    let first = number(first, 2)?;
    let second = number(second, 2)?;
    if !matches!(year_digits.len(), 2 | 4) {
        return None;
    }
    let mut year = number(year_digits, 4)?;
    if year_digits.len() == 2 {
        year += 2000; // only a placeholder: two-digit years are refused before use
    }
    let (time, clock) = clock(rest)?;
    Some(Numeric {
        first: i8::try_from(first).ok()?,
        second: i8::try_from(second).ok()?,
        year: i16::try_from(year).ok()?,
        time,
        shape: Shape {
            separator,
            year_first,
            two_digit_year: year_digits.len() == 2,
            time_separator: rest.chars().next(),
            clock,
        },
    })
}

/// Reads the time after a numeric date: empty (midnight), `14:30`, `14:30:05`, `14:30:05.250`,
/// `2:30 PM`, `2:30:05pm`.
fn clock(rest: &str) -> Option<(Time, Clock)> {
    if rest.is_empty() {
        return Some((Time::midnight(), Clock::default()));
    }
    let text = rest[1..].trim();
    let lower = text.to_ascii_lowercase();
    let (text, pm) = if let Some(t) = lower.strip_suffix("pm") {
        (t.trim_end(), Some(true))
    } else if let Some(t) = lower.strip_suffix("am") {
        (t.trim_end(), Some(false))
    } else {
        (lower.as_str(), None)
    };
    let (hms, fraction) = match text.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (text, None),
    };
    let fields: Vec<&str> = hms.split(':').collect();
    let (hour, minute, second) = match fields.as_slice() {
        [h, m] if m.len() == 2 => (number(h, 2)?, number(m, 2)?, 0),
        [h, m, s] if m.len() == 2 && s.len() == 2 => (number(h, 2)?, number(m, 2)?, number(s, 2)?),
        _ => return None,
    };
    let hour = match pm {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 => number(f, 9)? * 10_i32.pow(9 - f.len() as u32),
        Some(_) => return None,
    };
    let shape = Clock {
        seconds: fields.len() == 3,
        fraction: fraction.is_some(),
        twelve_hour: pm.is_some(),
    };
    let time = Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    Some((time, shape))
}

/// What a numeric date can mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// One date whatever the order (year first, dotted, or day = month).
    Fixed(Date),
    /// Only day first makes a date (`13/05/2026`).
    DayFirstOnly(Date),
    /// Only month first makes a date (`05/13/2026`).
    MonthFirstOnly(Date),
    /// Two different dates: the day-first and the month-first reading.
    Both(Date, Date),
    /// No date either way (`13/13/2026`).
    Neither,
}

impl Numeric {
    fn fit(&self) -> Fit {
        let (a, b, year) = (self.first, self.second, self.year);
        if self.shape.year_first {
            return Date::new(year, a, b).map_or(Fit::Neither, Fit::Fixed);
        }
        let day_first = Date::new(year, b, a).ok();
        // No place writes month first with dots: `04.05.2026` is always 4 May.
        if self.shape.separator == '.' {
            return day_first.map_or(Fit::Neither, Fit::Fixed);
        }
        match (day_first, Date::new(year, a, b).ok()) {
            (Some(d), Some(m)) if d == m => Fit::Fixed(d),
            (Some(d), Some(m)) => Fit::Both(d, m),
            (Some(d), None) => Fit::DayFirstOnly(d),
            (None, Some(m)) => Fit::MonthFirstOnly(m),
            (None, None) => Fit::Neither,
        }
    }
}

/// Reads time values of one column.
#[derive(Debug, Clone)]
pub(crate) struct TimeParser {
    layout: Option<String>,
    zone: LocalZone,
    dates: Option<DateOrder>,
    /// Times after this are refused as misread (the import time and a day).
    latest: Timestamp,
}

impl TimeParser {
    /// `layout` is strftime or Excel-style (checked by the mapping); `dates` is the order of
    /// day and month in numeric dates, when decided.
    pub(crate) fn new(
        layout: Option<&str>,
        zone: LocalZone,
        dates: Option<DateOrder>,
        import_time: Timestamp,
    ) -> Self {
        Self {
            layout: layout
                .map(|l| strftime_layout(l).map_or_else(|_| l.to_owned(), Cow::into_owned)),
            zone,
            dates,
            latest: import_time
                .saturating_add(FUTURE_TOLERANCE)
                .unwrap_or(Timestamp::MAX),
        }
    }

    /// Reads the times that follow in another zone.
    pub(crate) fn set_zone(&mut self, zone: LocalZone) {
        self.zone = zone;
    }

    /// Reads one value (already trimmed and non-empty).
    pub(crate) fn parse(&self, raw: &str) -> Result<ReceivedAt, RowErrorKind> {
        let at = self.read(raw)?;
        if at.timestamp() > self.latest {
            return Err(RowErrorKind::FutureTime {
                value: excerpt(raw),
                latest: self.latest.to_string(),
            });
        }
        Ok(at)
    }

    fn read(&self, raw: &str) -> Result<ReceivedAt, RowErrorKind> {
        let bad = |expected: String| RowErrorKind::BadTime {
            value: excerpt(raw),
            expected,
        };
        if let Some(layout) = &self.layout {
            return strtime::parse(layout, raw)
                .map_err(|e| e.to_string())
                .and_then(|tm| from_broken_down(&tm, &self.zone).map_err(|e| e.to_string()))
                .map_err(|why| bad(format!("the layout \"{layout}\" ({why})")));
        }
        if let Ok(pieces) = Pieces::parse(raw) {
            let time = pieces.time().unwrap_or(Time::midnight());
            let datetime = pieces.date().to_datetime(time);
            let at = match pieces.to_numeric_offset() {
                Some(offset) => offset
                    .to_timestamp(datetime)
                    .map(|at| ReceivedAt::new(at, offset)),
                None => self.zone.resolve(datetime),
            };
            return at.map_err(|e| bad(format!("a time that exists ({e})")));
        }
        for layout in AUTO_LAYOUTS {
            if let Ok(tm) = strtime::parse(layout, raw)
                && let Ok(at) = from_broken_down(&tm, &self.zone)
            {
                return Ok(at);
            }
        }
        let Some(numeric) = numeric(raw) else {
            return Err(bad(AUTO_EXPECTED.to_owned()));
        };
        if numeric.shape.two_digit_year {
            return Err(bad(format!(
                "a four-digit year: two-digit years are not guessed; set [time] format (e.g. \"{}\")",
                numeric
                    .shape
                    .layout(self.dates.unwrap_or(DateOrder::DayFirst))
            )));
        }
        let date = match (numeric.fit(), self.dates) {
            (Fit::Fixed(date), _)
            | (Fit::DayFirstOnly(date), None | Some(DateOrder::DayFirst))
            | (Fit::MonthFirstOnly(date), None | Some(DateOrder::MonthFirst))
            | (Fit::Both(date, _), Some(DateOrder::DayFirst))
            | (Fit::Both(_, date), Some(DateOrder::MonthFirst)) => date,
            (Fit::Both(day_first, month_first), None) => {
                return Err(bad(format!(
                    "a date whose order is known: it is {} day first or {} month first; set [time] format (e.g. \"{}\")",
                    spoken(day_first),
                    spoken(month_first),
                    numeric.shape.layout(DateOrder::DayFirst)
                )));
            }
            (Fit::DayFirstOnly(_) | Fit::MonthFirstOnly(_), Some(order)) => {
                return Err(bad(format!(
                    "a date {order} as the rest of the column (\"{}\")",
                    numeric.shape.layout(order)
                )));
            }
            (Fit::Neither, _) => return Err(bad("a valid calendar date".to_owned())),
        };
        self.zone
            .resolve(date.to_datetime(numeric.time))
            .map_err(|e| bad(format!("a time that exists ({e})")))
    }
}

/// A date as people say it, e.g. `5 April 2026`.
fn spoken(date: Date) -> String {
    date.strftime("%-d %B %Y").to_string()
}

fn from_broken_down(tm: &BrokenDownTime, zone: &LocalZone) -> Result<ReceivedAt, jiff::Error> {
    if let Some(at) = tm.timestamp() {
        return Ok(ReceivedAt::new(at, tm.offset().unwrap_or(Offset::UTC)));
    }
    if tm.iana_time_zone().is_some() {
        let zoned: Zoned = tm.to_zoned()?;
        return Ok(ReceivedAt::new(zoned.timestamp(), zoned.offset()));
    }
    let datetime = DateTime::from_parts(tm.to_date()?, tm.to_time()?);
    match tm.offset() {
        Some(offset) => Ok(ReceivedAt::new(offset.to_timestamp(datetime)?, offset)),
        None => zone.resolve(datetime),
    }
}

/// A value of the column that shows the order of day and month.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Evidence {
    line: u64,
    value: String,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} ({:?})", self.line, self.value)
    }
}

/// The order of day and month the whole column showed, and the value that showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOrderDecision {
    /// The column.
    pub column: String,
    /// The order every numeric date of the column is read in.
    pub order: DateOrder,
    /// The first line whose date can only be read in this order.
    pub line: u64,
    /// Its value.
    pub value: String,
}

impl fmt::Display for DateOrderDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = match self.order {
            DateOrder::DayFirst => "day first",
            DateOrder::MonthFirst => "month first",
        };
        write!(
            f,
            "column '{}': dates read {order}, as line {} ({:?}) can only be read so",
            self.column, self.line, self.value
        )
    }
}

/// Looks at every value of a time column to decide the order of day and month once for
/// the whole column.
#[derive(Debug, Default)]
pub(crate) struct DateOrderScan {
    day_first: Option<Evidence>,
    month_first: Option<Evidence>,
    /// Up to two values with two different readings, with the readings and shape.
    ambiguous: Vec<(Evidence, Date, Date, Shape)>,
    two_digit_year: Option<(Evidence, Shape)>,
    /// Whether some numeric date has a four-digit year (then two-digit ones are row errors).
    four_digit_years: bool,
    /// The shape of the first date that can only be read day first (for the layouts to offer).
    day_first_shape: Option<Shape>,
}

impl DateOrderScan {
    /// Notes one value; returns false once the column cannot be decided (no need to read on).
    pub(crate) fn see(&mut self, line: u64, raw: &str) -> bool {
        let Some(numeric) = numeric(raw) else {
            return true; // ISO, empty or unreadable: the reading reports it, the order is moot
        };
        let evidence = || Evidence {
            line,
            value: excerpt(raw),
        };
        if numeric.shape.two_digit_year {
            self.two_digit_year
                .get_or_insert_with(|| (evidence(), numeric.shape));
            return true;
        }
        self.four_digit_years = true;
        match numeric.fit() {
            Fit::DayFirstOnly(_) => {
                self.day_first.get_or_insert_with(evidence);
                self.day_first_shape.get_or_insert(numeric.shape);
            }
            Fit::MonthFirstOnly(_) => {
                self.month_first.get_or_insert_with(evidence);
            }
            Fit::Both(d, m) => {
                // Two different dates show the two readings best.
                let known = self.ambiguous.iter().any(|(_, seen, ..)| *seen == d);
                if self.ambiguous.len() < 2 && !known {
                    self.ambiguous.push((evidence(), d, m, numeric.shape));
                }
            }
            Fit::Fixed(_) | Fit::Neither => {}
        }
        !(self.day_first.is_some() && self.month_first.is_some())
    }

    /// The order the column showed (`None` when no value depends on it), or why the
    /// column cannot be read without being told.
    pub(crate) fn decide(self, column: &str) -> Result<Option<DateOrderDecision>, String> {
        let decided = |order, evidence: Evidence| DateOrderDecision {
            column: column.to_owned(),
            order,
            line: evidence.line,
            value: evidence.value,
        };
        if let Some((evidence, shape)) = self.two_digit_year
            && !self.four_digit_years
        {
            return Err(format!(
                "{evidence} has a two-digit year, which Trove does not guess (is 05/04/26 in 2026 or 1926, day or month first?); \
                 say how the dates are written with [time] format in the mapping or --time-format, e.g. \"{}\" (day first) or \"{}\" (month first)",
                shape.layout(DateOrder::DayFirst),
                shape.layout(DateOrder::MonthFirst)
            ));
        }
        match (self.day_first, self.month_first, self.day_first_shape) {
            (Some(day), Some(month), shape) => {
                let example = shape.map_or_else(String::new, |shape| {
                    format!(
                        ", e.g. \"{}\" (day first) or \"{}\" (month first)",
                        shape.layout(DateOrder::DayFirst),
                        shape.layout(DateOrder::MonthFirst)
                    )
                });
                Err(format!(
                    "the dates mix two orders: {day} can only be day first, {month} can only be month first; \
                     fix the column, or say how it is written with [time] format in the mapping or --time-format{example}"
                ))
            }
            (Some(day), None, _) => Ok(Some(decided(DateOrder::DayFirst, day))),
            (None, Some(month), _) => Ok(Some(decided(DateOrder::MonthFirst, month))),
            (None, None, _) if self.ambiguous.is_empty() => Ok(None),
            (None, None, _) => {
                let shape = self.ambiguous[0].3;
                let readings: Vec<String> = self
                    .ambiguous
                    .iter()
                    .map(|(evidence, d, m, _)| {
                        format!(
                            "{evidence} is {} day first or {} month first",
                            spoken(*d),
                            spoken(*m)
                        )
                    })
                    .collect();
                Err(format!(
                    "every date fits both day-first and month-first readings: {}; \
                     say which with [time] format in the mapping or --time-format, e.g. \"{}\" (day first) or \"{}\" (month first)",
                    readings.join("; "),
                    shape.layout(DateOrder::DayFirst),
                    shape.layout(DateOrder::MonthFirst)
                ))
            }
        }
    }
}

/// Reads a calendar date: with `layout` when given (strftime or Excel-style), else ISO
/// (`2015-02-24`, also with a time) or a numeric date whose day and month cannot be swapped
/// (`24/02/2015`, `02/24/2015`, `24.02.2015`); `03/01/2019` is refused, never guessed.
pub(crate) fn parse_date(raw: &str, layout: Option<&str>) -> Result<Date, RowErrorKind> {
    let bad = |expected: String| RowErrorKind::BadTime {
        value: excerpt(raw),
        expected,
    };
    if let Some(layout) = layout {
        let strftime = strftime_layout(layout).map_err(&bad)?;
        return strtime::parse(strftime.as_ref(), raw)
            .and_then(|tm| tm.to_date())
            .map_err(|e| bad(format!("the layout \"{layout}\" ({e})")));
    }
    if let Ok(pieces) = Pieces::parse(raw) {
        return Ok(pieces.date());
    }
    match numeric(raw)
        .filter(|n| !n.shape.two_digit_year)
        .map(|n| (n, n.fit()))
    {
        Some((_, Fit::Fixed(date) | Fit::DayFirstOnly(date) | Fit::MonthFirstOnly(date))) => {
            Ok(date)
        }
        Some((n, Fit::Both(d, m))) => Err(bad(format!(
            "a date whose order is known: it is {} day first or {} month first; set date_format (e.g. \"{}\")",
            spoken(d),
            spoken(m),
            n.shape.layout(DateOrder::DayFirst)
        ))),
        _ => Err(bad("a date like 2015-02-24 or 24/02/2015".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    fn parser(layout: Option<&str>, dates: Option<DateOrder>) -> TimeParser {
        TimeParser::new(layout, LocalZone::Fixed(Offset::UTC), dates, now())
    }

    fn auto(raw: &str) -> Result<ReceivedAt, RowErrorKind> {
        parser(None, None).parse(raw)
    }

    fn iso(at: ReceivedAt) -> String {
        at.timestamp().to_string()
    }

    #[test]
    fn times_with_offsets_are_stored_as_utc_with_the_original_offset() {
        let parser = parser(Some("%Y-%m-%d %H:%M:%S %z"), None);
        let at = parser.parse("2015-02-24 11:35:52 -0800").unwrap();
        assert_eq!(iso(at), "2015-02-24T19:35:52Z");
        assert_eq!(at.offset_seconds(), -8 * 3600);
        let at = auto("2015-02-24T11:35:52+05:30").unwrap();
        assert_eq!(iso(at), "2015-02-24T06:05:52Z");
        assert_eq!(at.offset_seconds(), 5 * 3600 + 1800);
    }

    #[test]
    fn the_default_offset_applies_to_times_written_without_one() {
        let zone = LocalZone::Fixed(Offset::from_hours(-5).unwrap());
        let parser = TimeParser::new(None, zone, None, now());
        let at = parser.parse("2021-10-27").unwrap();
        assert_eq!(iso(at), "2021-10-27T05:00:00Z");
        assert_eq!(at.offset_seconds(), -5 * 3600);
        let at = parser.parse("2021-10-27T08:00:00").unwrap();
        assert_eq!(iso(at), "2021-10-27T13:00:00Z");
        let at = parser.parse("2021-10-27T08:00:00Z").unwrap();
        assert_eq!(
            (iso(at), at.offset_seconds()),
            ("2021-10-27T08:00:00Z".into(), 0)
        );
    }

    #[test]
    fn a_time_zone_gives_each_time_the_offset_of_its_day() {
        // US daylight saving time began on 8 March 2026 at 2:00 in Chicago.
        let zone = LocalZone::Named(time_zone("America/Chicago").unwrap());
        let parser = TimeParser::new(None, zone, None, now());
        let before = parser.parse("2026-03-08 01:30:00").unwrap();
        assert_eq!(iso(before), "2026-03-08T07:30:00Z");
        assert_eq!(before.offset_seconds(), -6 * 3600);
        let after = parser.parse("2026-03-08 03:30:00").unwrap();
        assert_eq!(iso(after), "2026-03-08T08:30:00Z");
        assert_eq!(after.offset_seconds(), -5 * 3600);
        // An explicit offset still wins over the zone.
        let explicit = parser.parse("2026-03-08T03:30:00+01:00").unwrap();
        assert_eq!(iso(explicit), "2026-03-08T02:30:00Z");
        // The repeated hour of 1 November 2026 is the earlier one (daylight time).
        let repeated = parser.parse("2026-11-01 01:30:00").unwrap();
        assert_eq!(iso(repeated), "2026-11-01T06:30:00Z");
        assert!(time_zone("America/Chicag").is_err());
    }

    #[test]
    fn every_recognised_layout_reads_without_a_format() {
        for (raw, want) in [
            ("2015-02-24T11:35:52Z", "2015-02-24T11:35:52Z"),
            ("2015-02-24 11:35:52", "2015-02-24T11:35:52Z"),
            ("2015-02-24 11:35:52 -0800", "2015-02-24T19:35:52Z"),
            ("2015-02-24 11:35:52 -08:00", "2015-02-24T19:35:52Z"),
            ("2015-02-24", "2015-02-24T00:00:00Z"),
            ("02/24/2015", "2015-02-24T00:00:00Z"),
            ("24/02/2015 13:05", "2015-02-24T13:05:00Z"),
            ("24.2.2015 13:05:09", "2015-02-24T13:05:09Z"),
            ("2/24/2015 1:05:09 PM", "2015-02-24T13:05:09Z"),
            ("2/24/2015 12:05 am", "2015-02-24T00:05:00Z"),
            ("2015/02/24 13:05", "2015-02-24T13:05:00Z"),
            ("04/04/2015", "2015-04-04T00:00:00Z"),
        ] {
            assert_eq!(
                iso(auto(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))),
                want,
                "{raw}"
            );
        }
    }

    #[test]
    fn a_date_that_fits_both_orders_is_read_only_in_the_decided_one() {
        let error = auto("05/04/2026 09:15").unwrap_err().to_string();
        assert!(
            error.contains("5 April 2026 day first or 4 May 2026 month first"),
            "{error}"
        );
        assert!(error.contains("%d/%m/%Y %H:%M"), "{error}");
        let day_first = parser(None, Some(DateOrder::DayFirst));
        assert_eq!(
            iso(day_first.read("05/04/2026 09:15").unwrap()),
            "2026-04-05T09:15:00Z"
        );
        let month_first = parser(None, Some(DateOrder::MonthFirst));
        assert_eq!(
            iso(month_first.read("05/04/2026 9:15 PM").unwrap()),
            "2026-05-04T21:15:00Z"
        );
        let error = month_first.read("13/04/2026").unwrap_err().to_string();
        assert!(error.contains("month-first as the rest"), "{error}");
        assert!(
            auto("05/04/26")
                .unwrap_err()
                .to_string()
                .contains("two-digit")
        );
    }

    #[test]
    fn the_scan_decides_from_one_telling_value_and_refuses_the_undecidable() {
        let scan = |values: &[&str]| {
            let mut scan = DateOrderScan::default();
            for (i, value) in values.iter().enumerate() {
                if !scan.see(i as u64 + 2, value) {
                    break;
                }
            }
            scan.decide("Date")
        };
        let decided = scan(&["01/02/2026", "03/04/2026", "2026-01-01", "25/04/2026"])
            .unwrap()
            .unwrap();
        assert_eq!((decided.order, decided.line), (DateOrder::DayFirst, 5));
        assert_eq!(
            decided.to_string(),
            "column 'Date': dates read day first, as line 5 (\"25/04/2026\") can only be read so"
        );
        let decided = scan(&["1/2/2026 3:04 PM", "1/25/2026 3:04 PM"])
            .unwrap()
            .unwrap();
        assert_eq!(decided.order, DateOrder::MonthFirst);
        assert_eq!(
            scan(&["2026-01-01", "04.05.2026", "05/05/2026"]).unwrap(),
            None
        );
        let error =
            scan(&["01/02/2026 10:00", "01/02/2026 11:00", "03/04/2026 12:00"]).unwrap_err();
        assert!(
            error.contains("line 2 (\"01/02/2026 10:00\") is 1 February 2026 day first or 2 January 2026 month first; line 4 (\"03/04/2026 12:00\") is 3 April 2026 day first or 4 March 2026 month first"),
            "{error}"
        );
        assert!(error.contains("\"%d/%m/%Y %H:%M\" (day first)"), "{error}");
        let error = scan(&["13/01/2026", "01/13/2026"]).unwrap_err();
        assert!(error.contains("mix two orders"), "{error}");
        assert!(
            error.contains("e.g. \"%d/%m/%Y\" (day first) or \"%m/%d/%Y\" (month first)"),
            "{error}"
        );
        assert!(scan(&["13/01/26"]).unwrap_err().contains("two-digit year"));
        // One stray two-digit year does not decide the file: its row is rejected alone.
        let decided = scan(&["05/04/26", "13/01/2026"]).unwrap().unwrap();
        assert_eq!(decided.order, DateOrder::DayFirst);
    }

    #[test]
    fn times_more_than_a_day_ahead_are_refused() {
        let parser = parser(None, None);
        assert!(parser.parse("2026-12-01T23:00:00Z").is_ok());
        let error = parser
            .parse("2026-12-02T00:00:01Z")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("more than a day after the import"),
            "{error}"
        );
    }

    #[test]
    fn unreadable_times_say_what_was_expected() {
        let error = auto("yesterday").unwrap_err().to_string();
        assert!(
            error.starts_with("cannot read time \"yesterday\": expected RFC 3339"),
            "{error}"
        );
        let parser = parser(Some("%Y-%m-%d %H:%M:%S %z"), None);
        let error = parser.parse("2015-02-24").unwrap_err().to_string();
        assert!(
            error.contains("expected the layout \"%Y-%m-%d %H:%M:%S %z\""),
            "{error}"
        );
        assert!(auto("2015-02-30").is_err());
        assert!(auto("13/13/2015").is_err());
    }

    #[test]
    fn excel_layouts_are_translated_to_strftime() {
        for (excel, strftime) in [
            ("dd/mm/yyyy hh:mm", "%d/%m/%Y %H:%M"),
            ("d.m.yy", "%d.%m.%y"),
            ("m/d/yyyy h:mm:ss AM/PM", "%m/%d/%Y %I:%M:%S %p"),
            ("yyyy-mm-dd hh:mm:ss", "%Y-%m-%d %H:%M:%S"),
            ("mm:ss", "%M:%S"),
        ] {
            assert_eq!(strftime_layout(excel).unwrap(), strftime, "{excel}");
        }
        assert_eq!(strftime_layout("%d/%m/%Y").unwrap(), "%d/%m/%Y");
        assert!(strftime_layout("dd/qq/yyyy").is_err());
        assert!(strftime_layout("---").is_err());
        let parser = parser(Some("dd/mm/yyyy hh:mm"), None);
        assert_eq!(
            iso(parser.parse("05/04/2026 09:15").unwrap()),
            "2026-04-05T09:15:00Z"
        );
        let parser = parser_with("m/d/yyyy h:mm AM/PM");
        assert_eq!(
            iso(parser.parse("5/4/2026 9:15 PM").unwrap()),
            "2026-05-04T21:15:00Z"
        );
    }

    fn parser_with(layout: &str) -> TimeParser {
        parser(Some(layout), None)
    }

    #[test]
    fn dates_read_in_iso_unswappable_numeric_or_a_given_layout() {
        assert_eq!(
            parse_date("2019-03-01", None).unwrap().to_string(),
            "2019-03-01"
        );
        assert_eq!(
            parse_date("03/21/2019", None).unwrap().to_string(),
            "2019-03-21"
        );
        assert_eq!(
            parse_date("21/03/2019", None).unwrap().to_string(),
            "2019-03-21"
        );
        assert!(parse_date("03/01/2019", None).is_err());
        assert_eq!(
            parse_date("01.03.2019", Some("%d.%m.%Y"))
                .unwrap()
                .to_string(),
            "2019-03-01"
        );
        assert_eq!(
            parse_date("03/01/2019", Some("mm/dd/yyyy"))
                .unwrap()
                .to_string(),
            "2019-03-01"
        );
        assert!(parse_date("soon", None).is_err());
    }

    #[test]
    fn layouts_are_checked_before_use() {
        assert!(check_layout("%Y-%m-%d").is_ok());
        assert!(check_layout("dd/mm/yyyy").is_ok());
        assert!(check_layout("%Y %!").is_err());
    }
}
