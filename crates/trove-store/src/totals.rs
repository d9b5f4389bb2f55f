//! Running totals: the counts and score tallies of the items, kept per calendar month (UTC),
//! source, channel, business unit, journey stage and touchpoint in a table of their own
//! (`fact_totals`, migration 0028), so that [`Store::tally_by`] over those dimensions sums a
//! few thousand kept rows instead of scanning a million items.
//!
//! The grain is every dimension a filter or a grouping of the summary and the room names that
//! an item's own row holds; a read that groups or filters by something else (region, product,
//! a customer's segment, a time window that does not start and end on a month) is answered
//! from the facts instead. The segment stays out because it is the customer's, not the item's:
//! a customer file changes it without touching an item. The backends keep the table in step
//! in the transaction of every write that changes an item's row: new items add a
//! [`TotalsDelta`] built in memory (no read back), an overwritten or deleted item is taken out
//! by its stored facts before the change (and an overwritten one added back after it).
//!
//! [`Store::tally_by`]: crate::Store::tally_by

use std::collections::HashMap;

use trove_domain::{FeedbackItem, ScoreTally};

use crate::{Dimension, FeedbackFilter, analytics::month_of};

/// The key columns of `fact_totals`, in its primary key's order. A dimension an item lacks is
/// stored as `''` (a label is never empty), so that the key has no NULL and an upsert finds it.
pub const TOTALS_KEY_COLUMNS: [&str; 6] = [
    "month",
    "business_unit",
    "channel",
    "journey_stage",
    "touchpoint",
    "source",
];

/// The tally columns of `fact_totals`, in [`ScoreTally`]'s field order.
pub const TOTALS_TALLY_COLUMNS: [&str; 10] = [
    "items",
    "nps_n",
    "promoters",
    "detractors",
    "csat_n",
    "csat_top2",
    "ces_n",
    "ces_sum",
    "ces_high",
    "ces_sum_sq",
];

/// One group of the running totals: the values of [`TOTALS_KEY_COLUMNS`], in that order.
pub type TotalsKey = [String; 6];

/// The totals that a batch of new items adds, grouped by [`TotalsKey`]. Built on the writer's
/// path for every item, so it borrows the items' labels and works out each month once.
#[derive(Debug, Default)]
pub struct TotalsDelta<'a> {
    /// Hashed by FxHash: the writer hashes every item's group, and the default SipHash took a
    /// tenth of SQLite's writer thread in a profile of a 1,000,000-row import. Unseeded: a file
    /// crafted to make its labels collide slows only its own batches, never changes a total.
    groups: HashMap<(Month, [&'a str; 5]), ScoreTally, rustc_hash::FxBuildHasher>,
    last_month: Option<MonthSpan>,
}

/// A calendar month (UTC): year and month.
type Month = (i16, i8);

/// A month and the unix seconds it spans, `[start, end)`.
#[derive(Debug, Clone, Copy)]
struct MonthSpan {
    month: Month,
    start: i64,
    end: i64,
}

impl MonthSpan {
    fn of(unix_seconds: i64) -> Self {
        let utc = jiff::tz::TimeZone::UTC;
        let date = jiff::Timestamp::from_second(unix_seconds)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(utc.clone())
            .date();
        let first = date.first_of_month();
        let second = |day: jiff::civil::Date| {
            day.to_zoned(utc.clone())
                .map_or(i64::MAX, |at| at.timestamp().as_second())
        };
        let next = first.checked_add(jiff::Span::new().months(1)).ok();
        Self {
            month: (date.year(), date.month()),
            start: second(first),
            end: next.map_or(i64::MAX, second),
        }
    }
}

impl<'a> TotalsDelta<'a> {
    /// The totals of `items`.
    pub fn of(items: impl IntoIterator<Item = &'a FeedbackItem>) -> Self {
        let mut delta = Self::default();
        for item in items {
            delta.add(item);
        }
        delta
    }

    /// Counts one item in its group.
    pub fn add(&mut self, item: &'a FeedbackItem) {
        let at = item.received_at.unix_seconds();
        let span = match self.last_month {
            Some(span) if (span.start..span.end).contains(&at) => span,
            _ => MonthSpan::of(at),
        };
        self.last_month = Some(span);
        let label = |value: &'a Option<trove_domain::Label>| {
            value.as_ref().map_or("", trove_domain::Label::as_str)
        };
        let labels = [
            label(&item.business_unit),
            item.channel.as_str(),
            label(&item.journey_stage),
            label(&item.touchpoint),
            item.source.as_str(),
        ];
        self.groups
            .entry((span.month, labels))
            .or_default()
            .add(&item.scores);
    }

    /// True when no item was counted.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups and their tallies, sorted by key (so that writers touching the same groups
    /// lock them in the same order).
    pub fn groups(&self) -> Vec<(TotalsKey, ScoreTally)> {
        let mut groups: Vec<(TotalsKey, ScoreTally)> = self
            .groups
            .iter()
            .map(|(((year, month), labels), tally)| {
                let [unit, channel, stage, touchpoint, source] = labels.map(str::to_owned);
                let month = format!("{year:04}-{month:02}");
                ([month, unit, channel, stage, touchpoint, source], *tally)
            })
            .collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        groups
    }
}

/// The values of a tally's columns, in [`TOTALS_TALLY_COLUMNS`] order.
pub fn tally_values(tally: &ScoreTally) -> [u64; 10] {
    [
        tally.items,
        tally.nps_n,
        tally.promoters,
        tally.detractors,
        tally.csat_n,
        tally.csat_top2,
        tally.ces_n,
        tally.ces_sum,
        tally.ces_high,
        tally.ces_sum_sq,
    ]
}

/// The tally whose columns hold `values`, in [`TOTALS_TALLY_COLUMNS`] order: the inverse of
/// [`tally_values`], for a backend decoding a grouped row.
pub fn tally_from_values(values: [u64; 10]) -> ScoreTally {
    let [
        items,
        nps_n,
        promoters,
        detractors,
        csat_n,
        csat_top2,
        ces_n,
        ces_sum,
        ces_high,
        ces_sum_sq,
    ] = values;
    ScoreTally {
        items,
        nps_n,
        promoters,
        detractors,
        csat_n,
        csat_top2,
        ces_n,
        ces_sum,
        ces_high,
        ces_sum_sq,
    }
}

/// How the running totals answer a [`Store::tally_by`](crate::Store::tally_by): group by
/// `key_column`, keep the months in `months` and the rows whose columns equal `equals`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsQuery {
    /// The column grouped by.
    pub key_column: &'static str,
    /// The first month kept (`YYYY-MM`), if bounded.
    pub from_month: Option<String>,
    /// The first month no longer kept, if bounded.
    pub until_month: Option<String>,
    /// Column, value: the rows kept.
    pub equals: Vec<(&'static str, String)>,
}

impl TotalsQuery {
    /// The totals' answer to grouping the items of `filter` by `dimension`, or `None` when the
    /// totals cannot give it exactly (the read then scans the facts).
    pub fn plan(dimension: Dimension, filter: &FeedbackFilter) -> Option<Self> {
        let key_column = match dimension {
            Dimension::Month => "month",
            Dimension::BusinessUnit => "business_unit",
            Dimension::Channel => "channel",
            Dimension::JourneyStage => "journey_stage",
            Dimension::Touchpoint => "touchpoint",
            Dimension::Source => "source",
            Dimension::Region | Dimension::Product => return None,
        };
        // Every field named, so that one added later cannot be left out of the plan unseen:
        // the labels come from `item_labels`.
        let FeedbackFilter {
            since,
            until,
            segment,
            source: _,
            channel: _,
            business_unit: _,
            journey_stage: _,
            touchpoint: _,
        } = filter;
        if segment.is_some() {
            return None;
        }
        let bound = |at: Option<i64>| match at {
            None => Some(None),
            Some(at) => month_starting_at(at).map(Some),
        };
        let from_month = bound(*since)?;
        let until_month = bound(*until)?;
        let mut equals = Vec::new();
        for (column, value) in filter.item_labels() {
            match value {
                // '' is the totals' "none": an empty filter value would match it, the items not.
                Some(value) if value.is_empty() => return None,
                Some(value) => equals.push((column, value)),
                None => {}
            }
        }
        Some(Self {
            key_column,
            from_month,
            until_month,
            equals,
        })
    }
}

/// The month (`YYYY-MM`, UTC) that begins exactly at `unix_seconds`, if one does.
fn month_starting_at(unix_seconds: i64) -> Option<String> {
    let month = month_of(unix_seconds);
    let at = jiff::Timestamp::from_second(unix_seconds).ok()?;
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let starts = date.day() == 1 && date.time() == jiff::civil::Time::midnight();
    starts.then_some(month)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(at: i64, unit: Option<&str>, nps: Option<u8>) -> FeedbackItem {
        use trove_domain::{Attributes, Channel, ExternalId, FeedbackText, Label, Nps, Scores};
        let label = |raw: &str| Label::parse("label", raw).expect("a label");
        let time = jiff::Timestamp::from_second(at).expect("an instant");
        FeedbackItem {
            source: label("t"),
            channel: Channel::Survey,
            external_id: ExternalId::parse(&format!("{at}")).expect("an id"),
            received_at: trove_domain::ReceivedAt::new(time, jiff::tz::Offset::UTC),
            customer_id: None,
            account: None,
            business_unit: unit.map(label),
            product: None,
            region: None,
            touchpoint: None,
            journey_stage: None,
            text: FeedbackText::parse("fine").expect("a text"),
            sentiment: None,
            suggestion: false,
            scores: Scores {
                nps: nps.map(|n| Nps::try_from(i64::from(n)).expect("a score")),
                ..Scores::default()
            },
            language: None,
            source_themes: Vec::new(),
            attributes: Attributes::default(),
        }
    }

    #[test]
    fn a_delta_groups_items_by_month_and_labels_with_their_month_worked_out_at_its_edges() {
        // 2024-02-29T23:59:59Z, then 2024-03-01T00:00:00Z (a new month), then back in February.
        let items = [
            item(1_709_251_199, Some("Cards"), Some(10)),
            item(1_709_251_200, Some("Cards"), Some(3)),
            item(1_709_251_000, Some("Cards"), None),
            item(1_709_251_000, None, Some(9)),
        ];
        let groups = TotalsDelta::of(&items).groups();
        let summary: Vec<(&str, &str, u64, u64, u64)> = groups
            .iter()
            .map(|(key, t)| {
                (
                    key[0].as_str(),
                    key[1].as_str(),
                    t.items,
                    t.nps_n,
                    t.promoters,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2024-02", "", 1, 1, 1),
                ("2024-02", "Cards", 2, 1, 1),
                ("2024-03", "Cards", 1, 1, 0),
            ]
        );
    }

    #[test]
    fn a_window_is_answered_only_when_it_runs_from_month_start_to_month_start() {
        // 2024-03-01T00:00:00Z and 2024-05-01T00:00:00Z.
        let march = 1_709_251_200;
        let may = 1_714_521_600;
        let window = FeedbackFilter {
            since: Some(march),
            until: Some(may),
            ..FeedbackFilter::default()
        };
        let query = TotalsQuery::plan(Dimension::BusinessUnit, &window).expect("whole months");
        assert_eq!(query.from_month.as_deref(), Some("2024-03"));
        assert_eq!(query.until_month.as_deref(), Some("2024-05"));
        let mid_month = FeedbackFilter {
            since: Some(march + 1),
            ..window.clone()
        };
        assert_eq!(TotalsQuery::plan(Dimension::Month, &mid_month), None);
    }

    #[test]
    fn segments_regions_products_and_empty_values_go_to_the_facts() {
        let segment = FeedbackFilter {
            segment: Some("gold".into()),
            ..FeedbackFilter::default()
        };
        assert_eq!(TotalsQuery::plan(Dimension::Month, &segment), None);
        let all = FeedbackFilter::default();
        assert_eq!(TotalsQuery::plan(Dimension::Region, &all), None);
        assert_eq!(TotalsQuery::plan(Dimension::Product, &all), None);
        let empty = FeedbackFilter {
            business_unit: Some(String::new()),
            ..FeedbackFilter::default()
        };
        assert_eq!(TotalsQuery::plan(Dimension::Channel, &empty), None);
        let unit = FeedbackFilter {
            business_unit: Some("Cards".into()),
            ..FeedbackFilter::default()
        };
        let query = TotalsQuery::plan(Dimension::Channel, &unit).expect("a unit");
        assert_eq!(query.equals, vec![("business_unit", "Cards".to_owned())]);
    }
}
