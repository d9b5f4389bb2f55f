//! The drill-down: counting a query's items and reading one page of them, newest first, with
//! their themes and the spans of their rule tags.

use postgres::Client;
use trove_store::{
    ItemPageAt, ItemPlan, ItemQuery, ListedItem, SqlValue, StoreResult, add_theme_link,
    item_conditions, page_clause,
};

use crate::decode::{count as read_count, db_error, get};
use crate::feedback::{FEEDBACK_COLUMNS, Param, decode_feedback, refs, where_clause};

/// Appends `value` to `params`; returns its placeholder.
fn bind(params: &mut Vec<Param>, value: SqlValue) -> String {
    match value {
        SqlValue::Int(n) => params.push(Box::new(n)),
        SqlValue::Text(text) => params.push(Box::new(text)),
    }
    format!("${}", params.len())
}

/// The WHERE clause of `query` (on `feedback f`) and its parameters.
fn where_sql(query: &ItemQuery, plan: ItemPlan) -> (String, Vec<Param>) {
    let (mut sql, mut params) = where_clause(&query.filter);
    sql.push_str(&item_conditions(query, plan, &mut |value| {
        bind(&mut params, value)
    }));
    (sql, params)
}

pub(crate) fn count(client: &mut Client, query: &ItemQuery) -> StoreResult<u64> {
    let context = "counting a drill-down's items";
    let (where_sql, params) = where_sql(query, ItemPlan::FromLinks);
    let row = client
        .query_one(
            &format!("SELECT count(*) FROM feedback f{where_sql}"),
            &refs(&params),
        )
        .map_err(|e| db_error(context, e))?;
    read_count(&row, 0, context)
}

pub(crate) fn list(
    client: &mut Client,
    query: &ItemQuery,
    at: ItemPageAt,
    limit: usize,
    plan: ItemPlan,
) -> StoreResult<Vec<ListedItem>> {
    let context = "reading a drill-down's items";
    let (mut sql, mut params) = where_sql(query, plan);
    sql.push_str(&page_clause(at, limit, plan, &mut |value| {
        bind(&mut params, value)
    }));
    let rows = client
        .query(
            &format!("SELECT {FEEDBACK_COLUMNS} FROM feedback f{sql}"),
            &refs(&params),
        )
        .map_err(|e| db_error(context, e))?;
    let mut items = rows
        .iter()
        .map(|row| {
            Ok(ListedItem {
                feedback: decode_feedback(row)?,
                themes: Vec::new(),
                spans: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if matches!(at, ItemPageAt::Before(_)) {
        items.reverse();
    }
    attach_themes(client, query, &mut items)?;
    Ok(items)
}

/// Fills in the page's themes of the query's origin and its rule tags' spans, with one query.
fn attach_themes(
    client: &mut Client,
    query: &ItemQuery,
    items: &mut [ListedItem],
) -> StoreResult<()> {
    let context = "reading a drill-down's themes";
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = items.iter().map(|item| item.feedback.id).collect();
    let sql = "SELECT feedback_id, theme_id, origin, start_offset, end_offset FROM feedback_themes
         WHERE feedback_id = ANY($1)";
    let rows = match query.origin.stored() {
        Some(origin) => client.query(
            &format!("{sql} AND origin = $2 ORDER BY feedback_id, theme_id"),
            &[&ids, &origin],
        ),
        None => client.query(&format!("{sql} ORDER BY feedback_id, theme_id"), &[&ids]),
    }
    .map_err(|e| db_error(context, e))?;
    for row in &rows {
        let id: i64 = get(row, 0, context)?;
        let theme: String = get(row, 1, context)?;
        let origin: String = get(row, 2, context)?;
        let start: Option<i64> = get(row, 3, context)?;
        let end: Option<i64> = get(row, 4, context)?;
        let offset = |value: Option<i64>| value.and_then(|v| u32::try_from(v).ok());
        let span = offset(start).zip(offset(end));
        add_theme_link(items, id, theme, &origin, span);
    }
    Ok(())
}

/// The items with these ids, in id order, with all their themes and spans.
pub(crate) fn by_ids(client: &mut Client, ids: &[i64]) -> StoreResult<Vec<ListedItem>> {
    let context = "reading items by id";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!(
                "SELECT {FEEDBACK_COLUMNS} FROM feedback f WHERE f.id = ANY($1) ORDER BY f.id"
            ),
            &[&ids],
        )
        .map_err(|e| db_error(context, e))?;
    let mut items = rows
        .iter()
        .map(|row| {
            Ok(ListedItem {
                feedback: decode_feedback(row)?,
                themes: Vec::new(),
                spans: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    attach_themes(client, &ItemQuery::default(), &mut items)?;
    Ok(items)
}
