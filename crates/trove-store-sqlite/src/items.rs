//! The drill-down: counting a query's items and reading one page of them, newest first, with
//! their themes and the spans of their rule tags.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use trove_store::{
    ItemPageAt, ItemPlan, ItemQuery, ListedItem, SqlValue, StoreResult, add_theme_link,
    item_conditions, page_clause,
};

use crate::decode::{FEEDBACK_COLUMNS, db_error, decode_feedback};
use crate::filter_sql;

/// The WHERE clause of `query` (on `feedback f`) and its values.
fn where_sql(query: &ItemQuery, plan: ItemPlan) -> (String, Vec<Value>) {
    let (mut sql, mut values) = filter_sql(&query.filter);
    sql.push_str(&item_conditions(query, plan, &mut |value| {
        values.push(sql_value(value));
        "?".to_owned()
    }));
    (sql, values)
}

/// The table as the query reads it. Without a theme or stage, conditions on the items' own
/// columns (business unit, score...) are tested on every row of a window: through the time
/// index that is a random lookup per row (about a second for a six-month window of a million
/// items), so SQLite is told to scan the table in order instead (about 40 ms). Counting a time
/// window alone stays on its covering index, and pages read in time order keep it.
fn table(query: &ItemQuery, plan: ItemPlan) -> &'static str {
    let f = &query.filter;
    let own_columns = f.source.is_some()
        || f.channel.is_some()
        || f.business_unit.is_some()
        || f.journey_stage.is_some()
        || f.touchpoint.is_some()
        || f.segment.is_some()
        || query.band.is_some()
        || query.sentiment.is_some()
        || query.suggestion.is_some();
    let by_links = query.theme.is_some() || query.stage.is_some();
    if plan == ItemPlan::FromLinks && own_columns && !by_links {
        "feedback f NOT INDEXED"
    } else {
        "feedback f"
    }
}

fn sql_value(value: SqlValue) -> Value {
    match value {
        SqlValue::Int(n) => Value::Integer(n),
        SqlValue::Text(text) => Value::Text(text),
    }
}

pub(crate) fn count(connection: &Connection, query: &ItemQuery) -> StoreResult<u64> {
    let (where_sql, values) = where_sql(query, ItemPlan::FromLinks);
    let total: i64 = connection
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM {}{where_sql}",
            table(query, ItemPlan::FromLinks)
        ))
        .and_then(|mut statement| statement.query_row(params_from_iter(values), |row| row.get(0)))
        .map_err(|e| db_error("counting a drill-down's items", e))?;
    Ok(u64::try_from(total).unwrap_or(0))
}

pub(crate) fn list(
    connection: &Connection,
    query: &ItemQuery,
    at: ItemPageAt,
    limit: usize,
    plan: ItemPlan,
) -> StoreResult<Vec<ListedItem>> {
    let context = "reading a drill-down's items";
    let (mut sql, mut values) = where_sql(query, plan);
    sql.push_str(&page_clause(at, limit, plan, &mut |value| {
        values.push(sql_value(value));
        "?".to_owned()
    }));
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT {FEEDBACK_COLUMNS} FROM {}{sql}",
            table(query, plan)
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params_from_iter(values), decode_feedback)
        .map_err(|e| db_error(context, e))?;
    let mut items = Vec::new();
    for row in rows {
        items.push(ListedItem {
            feedback: row.map_err(|e| db_error(context, e))??,
            themes: Vec::new(),
            spans: Vec::new(),
        });
    }
    if matches!(at, ItemPageAt::Before(_)) {
        items.reverse();
    }
    attach_themes(connection, query, &mut items)?;
    Ok(items)
}

/// Fills in the page's themes of the query's origin and its rule tags' spans, with one query.
fn attach_themes(
    connection: &Connection,
    query: &ItemQuery,
    items: &mut [ListedItem],
) -> StoreResult<()> {
    let context = "reading a drill-down's themes";
    if items.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = items
        .iter()
        .map(|item| Value::Integer(item.feedback.id))
        .collect();
    let marks = vec!["?"; items.len()].join(", ");
    let mut sql = format!(
        "SELECT feedback_id, theme_id, origin, start_offset, end_offset FROM feedback_themes
         WHERE feedback_id IN ({marks})"
    );
    if let Some(origin) = query.origin.stored() {
        sql.push_str(" AND origin = ?");
        values.push(Value::Text(origin.to_owned()));
    }
    sql.push_str(" ORDER BY feedback_id, theme_id");
    let mut statement = connection.prepare(&sql).map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params_from_iter(values), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<u32>>(3)?,
                row.get::<_, Option<u32>>(4)?,
            ))
        })
        .map_err(|e| db_error(context, e))?;
    for row in rows {
        let (id, theme, origin, start, end) = row.map_err(|e| db_error(context, e))?;
        add_theme_link(items, id, theme, &origin, start.zip(end));
    }
    Ok(())
}

/// The items with these ids, in id order, with all their themes and spans.
pub(crate) fn by_ids(connection: &Connection, ids: &[i64]) -> StoreResult<Vec<ListedItem>> {
    let context = "reading items by id";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let mut statement = connection
        .prepare(&format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback f WHERE f.id IN ({marks}) ORDER BY f.id"
        ))
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params_from_iter(ids), decode_feedback)
        .map_err(|e| db_error(context, e))?;
    let mut items = Vec::new();
    for row in rows {
        items.push(ListedItem {
            feedback: row.map_err(|e| db_error(context, e))??,
            themes: Vec::new(),
            spans: Vec::new(),
        });
    }
    attach_themes(connection, &ItemQuery::default(), &mut items)?;
    Ok(items)
}
