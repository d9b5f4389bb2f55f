//! Reading received times: an explicit strftime layout, or a few common layouts recognised.

use jiff::civil::{Date, DateTime};
use jiff::fmt::strtime::{self, BrokenDownTime};
use jiff::fmt::temporal::Pieces;
use jiff::tz::Offset;
use jiff::{Timestamp, Zoned};
use trove_domain::ReceivedAt;

use crate::error::{RowErrorKind, excerpt};

/// Layouts tried, after ISO 8601 / RFC 3339, when the mapping gives none.
const AUTO_LAYOUTS: [&str; 5] = [
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S %:z",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
];

const AUTO_EXPECTED: &str = "RFC 3339 (2015-02-24T11:35:52-08:00), \"2015-02-24 11:35:52 -0800\", \
     2015-02-24T11:35:52, 2015-02-24 or 02/24/2015; set [time] format in the mapping for other layouts";

/// Checks that a strftime layout only uses directives jiff knows.
pub(crate) fn check_layout(layout: &str) -> Result<(), String> {
    let sample = Timestamp::UNIX_EPOCH.to_zoned(jiff::tz::TimeZone::UTC);
    strtime::format(layout, &sample)
        .map(|_| ())
        .map_err(|e| format!("time layout {layout:?} is not valid: {e}"))
}

/// Reads time values of one column. Remembers which recognised layout matched last, so a
/// file written in one layout costs one attempt per value.
#[derive(Debug, Clone)]
pub(crate) struct TimeParser {
    layout: Option<String>,
    default_offset: Offset,
    /// Index of the automatic layout that matched last: 0 is ISO, `i + 1` is `AUTO_LAYOUTS[i]`.
    last: usize,
}

impl TimeParser {
    pub(crate) fn new(layout: Option<String>, default_offset: Offset) -> Self {
        Self {
            layout,
            default_offset,
            last: 0,
        }
    }

    /// Reads one value (already trimmed and non-empty).
    pub(crate) fn parse(&mut self, raw: &str) -> Result<ReceivedAt, RowErrorKind> {
        if let Some(layout) = &self.layout {
            let parsed = strtime::parse(layout, raw)
                .map_err(|e| e.to_string())
                .and_then(|tm| {
                    from_broken_down(&tm, self.default_offset).map_err(|e| e.to_string())
                });
            return parsed.map_err(|why| RowErrorKind::BadTime {
                value: excerpt(raw),
                expected: format!("the layout \"{layout}\" ({why})"),
            });
        }
        let attempts = AUTO_LAYOUTS.len() + 1;
        for step in 0..attempts {
            let which = (self.last + step) % attempts;
            if let Some(at) = self.try_auto(which, raw) {
                self.last = which;
                return Ok(at);
            }
        }
        Err(RowErrorKind::BadTime {
            value: excerpt(raw),
            expected: AUTO_EXPECTED.to_owned(),
        })
    }

    fn try_auto(&self, which: usize, raw: &str) -> Option<ReceivedAt> {
        if which == 0 {
            let pieces = Pieces::parse(raw).ok()?;
            let time = pieces.time().unwrap_or(jiff::civil::Time::midnight());
            let offset = pieces.to_numeric_offset().unwrap_or(self.default_offset);
            let at = offset.to_timestamp(pieces.date().to_datetime(time)).ok()?;
            return Some(ReceivedAt::new(at, offset));
        }
        let tm = strtime::parse(AUTO_LAYOUTS[which - 1], raw).ok()?;
        from_broken_down(&tm, self.default_offset).ok()
    }
}

fn from_broken_down(
    tm: &BrokenDownTime,
    default_offset: Offset,
) -> Result<ReceivedAt, jiff::Error> {
    if let Some(at) = tm.timestamp() {
        return Ok(ReceivedAt::new(at, tm.offset().unwrap_or(Offset::UTC)));
    }
    if tm.iana_time_zone().is_some() {
        let zoned: Zoned = tm.to_zoned()?;
        return Ok(ReceivedAt::new(zoned.timestamp(), zoned.offset()));
    }
    let datetime = DateTime::from_parts(tm.to_date()?, tm.to_time()?);
    let offset = tm.offset().unwrap_or(default_offset);
    Ok(ReceivedAt::new(offset.to_timestamp(datetime)?, offset))
}

/// Reads a calendar date: with `layout` when given, else ISO (`2015-02-24`, also with a time)
/// or `02/24/2015`.
pub(crate) fn parse_date(raw: &str, layout: Option<&str>) -> Result<Date, RowErrorKind> {
    let bad = |expected: String| RowErrorKind::BadTime {
        value: excerpt(raw),
        expected,
    };
    if let Some(layout) = layout {
        return strtime::parse(layout, raw)
            .and_then(|tm| tm.to_date())
            .map_err(|e| bad(format!("the layout \"{layout}\" ({e})")));
    }
    if let Ok(pieces) = Pieces::parse(raw) {
        return Ok(pieces.date());
    }
    strtime::parse("%m/%d/%Y", raw)
        .and_then(|tm| tm.to_date())
        .map_err(|_| bad("a date like 2015-02-24 or 02/24/2015".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(raw: &str) -> Result<ReceivedAt, RowErrorKind> {
        TimeParser::new(None, Offset::UTC).parse(raw)
    }

    fn iso(at: ReceivedAt) -> String {
        at.timestamp().to_string()
    }

    #[test]
    fn times_with_offsets_are_stored_as_utc_with_the_original_offset() {
        let mut parser = TimeParser::new(Some("%Y-%m-%d %H:%M:%S %z".into()), Offset::UTC);
        let at = parser.parse("2015-02-24 11:35:52 -0800").unwrap();
        assert_eq!(iso(at), "2015-02-24T19:35:52Z");
        assert_eq!(at.offset_seconds(), -8 * 3600);
        let at = auto("2015-02-24T11:35:52+05:30").unwrap();
        assert_eq!(iso(at), "2015-02-24T06:05:52Z");
        assert_eq!(at.offset_seconds(), 5 * 3600 + 1800);
    }

    #[test]
    fn the_default_offset_applies_to_times_written_without_one() {
        let mut parser = TimeParser::new(None, Offset::from_hours(-5).unwrap());
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
    fn every_recognised_layout_reads_without_a_format() {
        for (raw, want) in [
            ("2015-02-24T11:35:52Z", "2015-02-24T11:35:52Z"),
            ("2015-02-24 11:35:52", "2015-02-24T11:35:52Z"),
            ("2015-02-24 11:35:52 -0800", "2015-02-24T19:35:52Z"),
            ("2015-02-24 11:35:52 -08:00", "2015-02-24T19:35:52Z"),
            ("2015-02-24", "2015-02-24T00:00:00Z"),
            ("02/24/2015", "2015-02-24T00:00:00Z"),
            ("2/4/2015 13:05", "2015-02-04T13:05:00Z"),
        ] {
            assert_eq!(
                iso(auto(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))),
                want,
                "{raw}"
            );
        }
    }

    #[test]
    fn a_parser_keeps_reading_after_switching_layouts() {
        let mut parser = TimeParser::new(None, Offset::UTC);
        assert!(parser.parse("02/24/2015").is_ok());
        assert!(parser.parse("2015-02-24T11:35:52Z").is_ok());
        assert!(parser.parse("02/25/2015").is_ok());
    }

    #[test]
    fn unreadable_times_say_what_was_expected() {
        let error = auto("yesterday").unwrap_err().to_string();
        assert!(
            error.starts_with("cannot read time \"yesterday\": expected RFC 3339"),
            "{error}"
        );
        let mut parser = TimeParser::new(Some("%Y-%m-%d %H:%M:%S %z".into()), Offset::UTC);
        let error = parser.parse("2015-02-24").unwrap_err().to_string();
        assert!(
            error.contains("expected the layout \"%Y-%m-%d %H:%M:%S %z\""),
            "{error}"
        );
        assert!(auto("2015-02-30").is_err());
    }

    #[test]
    fn dates_read_in_iso_us_or_a_given_layout() {
        assert_eq!(
            parse_date("2019-03-01", None).unwrap().to_string(),
            "2019-03-01"
        );
        assert_eq!(
            parse_date("03/01/2019", None).unwrap().to_string(),
            "2019-03-01"
        );
        assert_eq!(
            parse_date("01.03.2019", Some("%d.%m.%Y"))
                .unwrap()
                .to_string(),
            "2019-03-01"
        );
        assert!(parse_date("soon", None).is_err());
    }

    #[test]
    fn layouts_are_checked_before_use() {
        assert!(check_layout("%Y-%m-%d").is_ok());
        assert!(check_layout("%Y %!").is_err());
    }
}
