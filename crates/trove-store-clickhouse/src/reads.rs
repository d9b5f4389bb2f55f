//! The reads: the analysis's items, and score tallies grouped by ClickHouse.
//!
//! Every read sees each page of ids at its newest version in the ledger (`GLOBAL IN`: on a
//! cluster the ledger is read once, on the server the URL names, and sent to the shards).

use std::ops::ControlFlow;

use clickhouse::Row;
use clickhouse::query::Query;
use serde::Deserialize;
use trove_domain::{Ces, Channel, Csat, Nps, ScoreTally, Scores};
use trove_store::{
    Dimension, FeedbackFilter, GroupTally, ItemThemes, MonthTally, PageVisitor, StoreError,
    StoreResult, ThemeMonthTally, ThemeOrigin,
};

use crate::{ClickHouse, query_error};

/// A value bound into a query (`?`), escaped by the client.
enum Bound {
    Int(i64),
    Text(String),
}

/// The `WHERE` clause of a read: the visible versions and the filter.
fn where_clause(clickhouse: &ClickHouse, filter: &FeedbackFilter) -> (String, Vec<Bound>) {
    let mut sql = format!(
        " WHERE (page, version) GLOBAL IN (SELECT page, max(version) FROM {} GROUP BY page)",
        clickhouse.table("fact_pages")
    );
    let mut values = Vec::new();
    if let Some(since) = filter.since {
        sql.push_str(" AND received_at >= ?");
        values.push(Bound::Int(since));
    }
    if let Some(until) = filter.until {
        sql.push_str(" AND received_at < ?");
        values.push(Bound::Int(until));
    }
    let segment = ("segment", filter.segment.clone());
    for (column, value) in filter.item_labels().into_iter().chain([segment]) {
        if let Some(value) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(Bound::Text(value));
        }
    }
    (sql, values)
}

fn bind_all(mut query: Query, values: Vec<Bound>) -> Query {
    for value in values {
        query = match value {
            Bound::Int(value) => query.bind(value),
            Bound::Text(value) => query.bind(value),
        };
    }
    query
}

/// The column an origin's themes are in (`{prefix}_themes`, `{prefix}_sentiments`).
fn origin_prefix(origin: ThemeOrigin) -> &'static str {
    match origin {
        ThemeOrigin::Rule => "rule",
        ThemeOrigin::Source => "source",
        ThemeOrigin::Model => "model",
        ThemeOrigin::Any => "any",
    }
}

/// A fact as the analysis reads it.
#[derive(Debug, Row, Deserialize)]
struct FactIn {
    id: i64,
    received_at: i64,
    channel: String,
    customer_id: String,
    business_unit: String,
    touchpoint: String,
    nps: i8,
    csat: i8,
    ces: i8,
    sentiment: f32,
    themes: Vec<String>,
    sentiments: Vec<f32>,
}

fn corrupt(id: i64, what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::database(
        "reading facts from ClickHouse",
        format!("item {id}: {what}: {error}"),
    )
}

impl FactIn {
    fn into_item(self) -> StoreResult<ItemThemes> {
        let id = self.id;
        let label = |value: String| (!value.is_empty()).then_some(value);
        let present = |value: f32| (!value.is_nan()).then_some(value);
        let score = |value: i8| (value >= 0).then_some(i64::from(value));
        let scores = Scores {
            nps: score(self.nps)
                .map(Nps::try_from)
                .transpose()
                .map_err(|e| corrupt(id, "nps", e))?,
            csat: score(self.csat)
                .map(Csat::try_from)
                .transpose()
                .map_err(|e| corrupt(id, "csat", e))?,
            ces: score(self.ces)
                .map(Ces::try_from)
                .transpose()
                .map_err(|e| corrupt(id, "ces", e))?,
        };
        Ok(ItemThemes {
            id,
            received_at: self.received_at,
            customer_id: label(self.customer_id),
            channel: self
                .channel
                .parse::<Channel>()
                .map_err(|e| corrupt(id, "channel", e))?,
            business_unit: label(self.business_unit),
            touchpoint: label(self.touchpoint),
            scores,
            sentiment: present(self.sentiment),
            themes: self.themes,
            mention_sentiments: self.sentiments.into_iter().map(present).collect(),
        })
    }
}

/// Like `Store::scan_item_themes`: the matching items in id order, a page at a time.
pub(crate) fn scan_facts(
    clickhouse: &ClickHouse,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    page_size: usize,
    visit: &mut PageVisitor<'_, ItemThemes>,
) -> StoreResult<()> {
    let (where_sql, values) = where_clause(clickhouse, filter);
    let prefix = origin_prefix(origin);
    let sql = format!(
        "SELECT id, received_at, channel, customer_id, business_unit, touchpoint, nps, csat, ces, \
         sentiment, {prefix}_themes, {prefix}_sentiments FROM {}{where_sql} ORDER BY id",
        clickhouse.table("facts")
    );
    let page_size = page_size.max(1);
    let query = bind_all(clickhouse.client.query(&sql), values);
    clickhouse.block_on(async {
        let mut cursor = query
            .fetch::<FactIn>()
            .map_err(|e| query_error("reading facts", &sql, e))?;
        let mut page = Vec::with_capacity(page_size);
        while let Some(row) = cursor
            .next()
            .await
            .map_err(|e| query_error("reading facts", &sql, e))?
        {
            page.push(row.into_item()?);
            if page.len() == page_size
                && visit(std::mem::replace(&mut page, Vec::with_capacity(page_size))).is_break()
            {
                return Ok(());
            }
        }
        if !page.is_empty() {
            let _stopped: ControlFlow<()> = visit(page);
        }
        Ok(())
    })
}

/// The SQL of a dimension's group key (`''`: items without a value).
fn key_sql(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Channel => "channel",
        Dimension::Source => "source",
        Dimension::BusinessUnit => "business_unit",
        Dimension::JourneyStage => "journey_stage",
        Dimension::Touchpoint => "touchpoint",
        Dimension::Region => "region",
        Dimension::Product => "product",
        Dimension::Month => MONTH_SQL,
    }
}

/// The UTC calendar month of an item, `YYYY-MM`.
const MONTH_SQL: &str = "formatDateTime(toDateTime(received_at, 'UTC'), '%Y-%m', 'UTC')";

/// The score tally of a group, in the order of [`TallyIn`]'s counts.
const TALLY_SQL: &str = "count() AS items, countIf(nps >= 0) AS nps_n, countIf(nps >= 9) AS promoters, \
     countIf(nps >= 0 AND nps <= 6) AS detractors, countIf(csat >= 0) AS csat_n, \
     countIf(csat >= 4) AS csat_top2, countIf(ces >= 0) AS ces_n, \
     sumIf(toUInt64(ces), ces >= 0) AS ces_sum, countIf(ces >= 5) AS ces_high, \
     sumIf(toUInt64(ces * ces), ces >= 0) AS ces_sum_sq";

/// A group's tally as read: two keys (the first `''` when grouped by one) and the counts.
#[derive(Debug, Row, Deserialize)]
struct TallyIn {
    first: String,
    second: String,
    items: u64,
    nps_n: u64,
    promoters: u64,
    detractors: u64,
    csat_n: u64,
    csat_top2: u64,
    ces_n: u64,
    ces_sum: u64,
    ces_high: u64,
    ces_sum_sq: u64,
}

impl TallyIn {
    fn tally(&self) -> ScoreTally {
        ScoreTally {
            items: self.items,
            nps_n: self.nps_n,
            promoters: self.promoters,
            detractors: self.detractors,
            csat_n: self.csat_n,
            csat_top2: self.csat_top2,
            ces_n: self.ces_n,
            ces_sum: self.ces_sum,
            ces_high: self.ces_high,
            ces_sum_sq: self.ces_sum_sq,
        }
    }
}

/// Score tallies grouped by two keys (`first`, `second`), computed by ClickHouse.
fn grouped(
    clickhouse: &ClickHouse,
    first: &str,
    second: &str,
    array_join: &str,
    filter: &FeedbackFilter,
) -> StoreResult<Vec<TallyIn>> {
    let (where_sql, values) = where_clause(clickhouse, filter);
    let sql = format!(
        "SELECT {first} AS first, {second} AS second, {TALLY_SQL} FROM {}{array_join}{where_sql} \
         GROUP BY first, second",
        clickhouse.table("facts")
    );
    let query = bind_all(clickhouse.client.query(&sql), values);
    clickhouse
        .block_on(query.fetch_all::<TallyIn>())
        .map_err(|e| query_error("tallying facts", &sql, e))
}

fn key(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Like `Store::tally_by`.
pub(crate) fn tally_by(
    clickhouse: &ClickHouse,
    dimension: Dimension,
    filter: &FeedbackFilter,
) -> StoreResult<Vec<GroupTally>> {
    let rows = grouped(clickhouse, "''", key_sql(dimension), "", filter)?;
    let mut groups: Vec<GroupTally> = rows
        .into_iter()
        .map(|row| GroupTally {
            tally: row.tally(),
            key: key(row.second),
        })
        .collect();
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(groups)
}

/// Score tallies by month and one dimension.
pub(crate) fn tally_by_month(
    clickhouse: &ClickHouse,
    dimension: Dimension,
    filter: &FeedbackFilter,
) -> StoreResult<Vec<MonthTally>> {
    let rows = grouped(clickhouse, MONTH_SQL, key_sql(dimension), "", filter)?;
    let mut groups: Vec<MonthTally> = rows
        .into_iter()
        .map(|row| MonthTally {
            tally: row.tally(),
            month: row.first,
            key: key(row.second),
        })
        .collect();
    groups.sort_by(|a, b| (&a.month, &a.key).cmp(&(&b.month, &b.key)));
    Ok(groups)
}

/// Items and score tallies by month and theme of `origin`.
pub(crate) fn theme_tallies(
    clickhouse: &ClickHouse,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
) -> StoreResult<Vec<ThemeMonthTally>> {
    let join = format!(" ARRAY JOIN {}_themes AS theme", origin_prefix(origin));
    let rows = grouped(clickhouse, MONTH_SQL, "theme", &join, filter)?;
    let mut groups: Vec<ThemeMonthTally> = rows
        .into_iter()
        .map(|row| ThemeMonthTally {
            tally: row.tally(),
            month: row.first,
            theme: row.second,
        })
        .collect();
    groups.sort_by(|a, b| (&a.month, &a.theme).cmp(&(&b.month, &b.theme)));
    Ok(groups)
}
