//! The analytics backend: a second home for the items' facts, built for grouped scans over
//! hundreds of millions of items on many machines (ClickHouse), kept beside the system of
//! record (SQLite or PostgreSQL), which stays the only place items, themes, workflow and
//! people are written.
//!
//! The system of record is read into [`FactRow`]s (one per item: no text, the themes of every
//! origin) by [`read_facts`]; a backend's [`Analytics::sync`] streams them out and its reads
//! answer exactly what the store's own reads answer on the same data: [`Analytics::scan_facts`]
//! is [`Store::scan_item_themes`], [`Analytics::tally_by`] is [`Store::tally_by`].

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::Serialize;
use trove_domain::{Channel, ScoreTally, Scores, StoredFeedback};

use crate::{
    Dimension, FeedbackFilter, GroupTally, ItemThemes, PageVisitor, Store, StoreError, StoreResult,
    ThemeOrigin,
};

/// An item's themes of one origin, as [`Store::scan_item_themes`] gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OriginThemes {
    /// Theme ids, each once, sorted.
    pub themes: Vec<String>,
    /// Aligned with `themes`: the mean sentiment of the theme's mentions, when scored.
    pub mention_sentiments: Vec<Option<f32>>,
}

impl OriginThemes {
    /// The themes of `origin` among an item's packed theme links (`feedback_facts.themes`, see
    /// [`crate::pack_new_item`]); none when the item has no links.
    pub fn unpack(
        packed: Option<&str>,
        origin: ThemeOrigin,
    ) -> Result<Self, trove_domain::DomainError> {
        let mut unpacked = Self::default();
        if let Some(packed) = packed {
            crate::unpack_themes(
                packed,
                origin,
                &mut unpacked.themes,
                &mut unpacked.mention_sentiments,
            )?;
        }
        Ok(unpacked)
    }
}

/// One item as the analytics backend keeps it: what the analysis and the grouped reads need,
/// no text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactRow {
    /// The item's id in the system of record.
    pub id: i64,
    /// Received time, unix seconds.
    pub received_at: i64,
    /// The source.
    pub source: String,
    /// The channel.
    pub channel: Channel,
    /// The customer.
    pub customer_id: Option<String>,
    /// The customer's segment (from the customers' table) when the item names a known customer.
    pub segment: Option<String>,
    /// The business unit.
    pub business_unit: Option<String>,
    /// The journey stage as the source gave it.
    pub journey_stage: Option<String>,
    /// The touchpoint.
    pub touchpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The product.
    pub product: Option<String>,
    /// The scores.
    pub scores: Scores,
    /// The text's sentiment, when scored.
    pub sentiment: Option<f32>,
    /// Themes the rule tagger found.
    pub rule: OriginThemes,
    /// Themes the source coded.
    pub coded: OriginThemes,
    /// Themes a classifier predicted.
    pub model: OriginThemes,
    /// All of them (a theme once, its mentions of every origin averaged).
    pub any: OriginThemes,
}

impl FactRow {
    /// The themes of `origin`.
    pub fn themes(&self, origin: ThemeOrigin) -> &OriginThemes {
        match origin {
            ThemeOrigin::Rule => &self.rule,
            ThemeOrigin::Source => &self.coded,
            ThemeOrigin::Model => &self.model,
            ThemeOrigin::Any => &self.any,
        }
    }

    /// The item as [`Store::scan_item_themes`] gives it for `origin`.
    pub fn item_themes(&self, origin: ThemeOrigin) -> ItemThemes {
        let themes = self.themes(origin);
        ItemThemes {
            id: self.id,
            received_at: self.received_at,
            customer_id: self.customer_id.clone(),
            channel: self.channel,
            business_unit: self.business_unit.clone(),
            touchpoint: self.touchpoint.clone(),
            scores: self.scores,
            sentiment: self.sentiment,
            themes: themes.themes.clone(),
            mention_sentiments: themes.mention_sentiments.clone(),
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// The system of record's data version the facts now reflect.
    pub data_version: i64,
    /// Items read from the system of record.
    pub items: u64,
    /// Pages (id ranges) whose facts changed and were written.
    pub pages_written: u64,
    /// Pages found unchanged (nothing written).
    pub pages_unchanged: u64,
    /// Facts written.
    pub rows_written: u64,
    /// True when the facts were already current (nothing was read).
    pub up_to_date: bool,
}

/// Items and score tallies of one theme in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeMonthTally {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// The theme.
    pub theme: String,
    /// The items carrying it that month (each once) and their scores.
    pub tally: ScoreTally,
}

/// The score tally of one group in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthTally {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// The group's value; `None` for items without one.
    pub key: Option<String>,
    /// Its counts.
    pub tally: ScoreTally,
}

/// An analytics backend: the items' facts copied out of the system of record, and the reads
/// that the analysis and the grouped summaries need, computed where the facts are.
pub trait Analytics: Send + Sync {
    /// Where the facts live, for messages (no password).
    fn describe(&self) -> String;

    /// The system of record's data version the facts were last brought up to, if ever.
    fn synced_version(&self) -> StoreResult<Option<i64>>;

    /// Brings the facts up to date with `store`: idempotent (a second sync of the same data
    /// writes nothing) and resumable (a sync interrupted part way keeps what it wrote, and the
    /// next one writes only the rest).
    fn sync(&self, store: &dyn Store) -> StoreResult<SyncReport>;

    /// Like [`Store::scan_item_themes`], on the synced facts.
    fn scan_facts(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        page_size: usize,
        visit: &mut PageVisitor<'_, ItemThemes>,
    ) -> StoreResult<()>;

    /// Like [`Store::tally_by`], on the synced facts.
    fn tally_by(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>>;

    /// Score tallies by calendar month and one dimension, sorted by month, then key (`None`
    /// first).
    fn tally_by_month(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<MonthTally>>;

    /// Items (each once per theme) and score tallies by calendar month and theme of `origin`,
    /// sorted by month, then theme.
    fn theme_tallies(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
    ) -> StoreResult<Vec<ThemeMonthTally>>;
}

/// Brings `analytics` up to date with `store` when the store's data changed since its last
/// sync; says so without reading anything when it did not.
pub fn sync_if_stale(store: &dyn Store, analytics: &dyn Analytics) -> StoreResult<SyncReport> {
    let version = store.data_version()?;
    if analytics.synced_version()? == Some(version) {
        return Ok(SyncReport {
            data_version: version,
            up_to_date: true,
            ..SyncReport::default()
        });
    }
    analytics.sync(store)
}

/// The calendar month (UTC) of a unix instant, as `YYYY-MM`.
pub fn month_of(unix_seconds: i64) -> String {
    let at = jiff::Timestamp::from_second(unix_seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The theme tallies of [`Analytics::theme_tallies`], computed from the store's own reads: the
/// reference every analytics backend is checked against.
pub fn theme_tallies_of(
    store: &dyn Store,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
) -> StoreResult<Vec<ThemeMonthTally>> {
    let mut tallies: BTreeMap<(String, String), ScoreTally> = BTreeMap::new();
    store.scan_item_themes(filter, origin, 10_000, &mut |page| {
        for item in page {
            let month = month_of(item.received_at);
            for theme in item.themes {
                tallies
                    .entry((month.clone(), theme))
                    .or_default()
                    .add(&item.scores);
            }
        }
        ControlFlow::Continue(())
    })?;
    Ok(tallies
        .into_iter()
        .map(|((month, theme), tally)| ThemeMonthTally {
            month,
            theme,
            tally,
        })
        .collect())
}

/// Pages of items read from each of the store's scans, in id order.
type PageStream<T> = Receiver<Vec<T>>;

/// Reads every stored item's facts in id order, `page_size` at a time, from the store's own
/// scans (the items, and their themes of each origin, read side by side on their own threads).
/// An error of the visitor stops the reading and is returned.
pub fn read_facts(
    store: &dyn Store,
    page_size: usize,
    visit: &mut dyn FnMut(Vec<FactRow>) -> StoreResult<()>,
) -> StoreResult<()> {
    let segments = customer_segments(store)?;
    let all = FeedbackFilter::default();
    std::thread::scope(|scope| {
        let (items_out, items_in) = sync_channel::<Vec<StoredFeedback>>(2);
        let items = scope.spawn(move || {
            store.scan_feedback(&all, page_size, &mut |page| forward(&items_out, page))
        });
        let origins = [
            ThemeOrigin::Rule,
            ThemeOrigin::Source,
            ThemeOrigin::Model,
            ThemeOrigin::Any,
        ];
        let mut theme_streams = Vec::new();
        let mut theme_scans = Vec::new();
        for origin in origins {
            let (out, stream) = sync_channel::<Vec<ItemThemes>>(2);
            let all = FeedbackFilter::default();
            theme_scans.push(scope.spawn(move || {
                store.scan_item_themes(&all, origin, page_size, &mut |page| forward(&out, page))
            }));
            theme_streams.push(Cursor::new(stream));
        }
        let merged = merge(&items_in, &mut theme_streams, &segments, visit);
        // A failed visitor stops the scans: dropping the streams makes their senders fail.
        drop(items_in);
        drop(theme_streams);
        let joined = |result: std::thread::Result<StoreResult<()>>| {
            result.unwrap_or_else(|_| {
                Err(StoreError::database(
                    "reading facts",
                    "a scan thread panicked",
                ))
            })
        };
        merged?;
        joined(items.join())?;
        for scan in theme_scans {
            joined(scan.join())?;
        }
        Ok(())
    })
}

/// Sends a page on; stops the scan when the reader is gone.
fn forward<T>(out: &SyncSender<Vec<T>>, page: Vec<T>) -> ControlFlow<()> {
    match out.send(page) {
        Ok(()) => ControlFlow::Continue(()),
        Err(_) => ControlFlow::Break(()),
    }
}

/// Every customer's segment, by customer id.
fn customer_segments(store: &dyn Store) -> StoreResult<HashMap<String, String>> {
    let mut segments = HashMap::new();
    store.scan_customers(10_000, &mut |page| {
        for customer in page {
            if let Some(segment) = customer.segment {
                segments.insert(customer.id.to_string(), segment.to_string());
            }
        }
        ControlFlow::Continue(())
    })?;
    Ok(segments)
}

/// A stream of items read one at a time.
struct Cursor {
    stream: PageStream<ItemThemes>,
    page: std::vec::IntoIter<ItemThemes>,
    next: Option<ItemThemes>,
}

impl Cursor {
    fn new(stream: PageStream<ItemThemes>) -> Self {
        Self {
            stream,
            page: Vec::new().into_iter(),
            next: None,
        }
    }

    /// Item `id` as this stream has it: the stream is in id order, so items before it (stored
    /// after the item scan passed them) are skipped; `None` when it does not hold it.
    fn take(&mut self, id: i64) -> Option<ItemThemes> {
        loop {
            if self.next.is_none() {
                self.next = self.page.next().or_else(|| {
                    self.page = self.stream.recv().ok()?.into_iter();
                    self.page.next()
                });
            }
            match &self.next {
                Some(item) if item.id < id => self.next = None,
                Some(item) if item.id == id => return self.next.take(),
                _ => return None,
            }
        }
    }
}

fn origin_themes(item: Option<&ItemThemes>) -> OriginThemes {
    item.map(|item| OriginThemes {
        themes: item.themes.clone(),
        mention_sentiments: item.mention_sentiments.clone(),
    })
    .unwrap_or_default()
}

fn merge(
    items: &PageStream<StoredFeedback>,
    themes: &mut [Cursor],
    segments: &HashMap<String, String>,
    visit: &mut dyn FnMut(Vec<FactRow>) -> StoreResult<()>,
) -> StoreResult<()> {
    let label = |value: &Option<trove_domain::Label>| value.as_ref().map(ToString::to_string);
    for page in items {
        let mut facts = Vec::with_capacity(page.len());
        for stored in page {
            let item = &stored.item;
            let customer_id = item.customer_id.as_ref().map(ToString::to_string);
            let [rule, coded, model, any] = [0, 1, 2, 3].map(|i| themes[i].take(stored.id));
            // The analysis's own read decides how a score or sentiment reads back.
            let (scores, sentiment) = any
                .as_ref()
                .map_or((item.scores, item.sentiment), |a| (a.scores, a.sentiment));
            facts.push(FactRow {
                id: stored.id,
                received_at: item.received_at.unix_seconds(),
                source: item.source.to_string(),
                channel: item.channel,
                segment: customer_id
                    .as_ref()
                    .and_then(|id| segments.get(id).cloned()),
                customer_id,
                business_unit: label(&item.business_unit),
                journey_stage: label(&item.journey_stage),
                touchpoint: label(&item.touchpoint),
                region: label(&item.region),
                product: label(&item.product),
                scores,
                sentiment,
                rule: origin_themes(rule.as_ref()),
                coded: origin_themes(coded.as_ref()),
                model: origin_themes(model.as_ref()),
                any: origin_themes(any.as_ref()),
            });
        }
        visit(facts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        assert_eq!(month_of(0), "1970-01");
        // 2024-02-29T23:59:59Z, and one second later.
        assert_eq!(month_of(1_709_251_199), "2024-02");
        assert_eq!(month_of(1_709_251_200), "2024-03");
    }
}
