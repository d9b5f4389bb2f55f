//! Items as the analysis reads them: the few columns it needs and their theme ids, a page at
//! a time, with one query for the page's items and one for their themes.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use trove_domain::{Channel, DomainError, Scores};
use trove_store::{FeedbackFilter, ItemThemes, PageVisitor, StoreError, StoreResult, ThemeOrigin};

use crate::decode::db_error;
use crate::{SqliteStore, filter_sql, page_values, visit_pages};

const CONTEXT: &str = "reading items for analysis";

pub(crate) fn scan(
    store: &SqliteStore,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    page_size: usize,
    visit: &mut PageVisitor<'_, ItemThemes>,
) -> StoreResult<()> {
    let (where_sql, values) = filter_sql(filter);
    let sql = format!(
        "SELECT id, received_at, customer_id, channel, business_unit, touchpoint, nps, csat, ces, sentiment
         FROM feedback{where_sql} AND id > ? ORDER BY id LIMIT ?"
    );
    visit_pages(
        page_size,
        |last_id, limit| {
            let connection = store.lock();
            let mut statement = connection
                .prepare_cached(&sql)
                .map_err(|e| db_error(CONTEXT, e))?;
            let rows = statement
                .query_map(
                    params_from_iter(page_values(&values, last_id, limit)),
                    read_row,
                )
                .map_err(|e| db_error(CONTEXT, e))?;
            let mut page = Vec::with_capacity(limit);
            for row in rows {
                page.push(row.map_err(|e| db_error(CONTEXT, e))??);
            }
            attach_themes(&connection, origin, &mut page)?;
            Ok(page)
        },
        |item| item.id,
        visit,
    )
}

/// One row, without its themes; the outer error is SQLite's, the inner one a corrupt value.
fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<ItemThemes>> {
    let id: i64 = row.get(0)?;
    let channel: String = row.get(3)?;
    let scores = [row.get(6)?, row.get(7)?, row.get(8)?];
    Ok((|| {
        Ok(ItemThemes {
            id,
            received_at: row.get(1).map_err(|e| db_error(CONTEXT, e))?,
            customer_id: row.get(2).map_err(|e| db_error(CONTEXT, e))?,
            channel: checked(id, "channel", channel.parse::<Channel>())?,
            business_unit: row.get(4).map_err(|e| db_error(CONTEXT, e))?,
            touchpoint: row.get(5).map_err(|e| db_error(CONTEXT, e))?,
            scores: decode_scores(id, scores)?,
            sentiment: row.get(9).map_err(|e| db_error(CONTEXT, e))?,
            themes: Vec::new(),
            mention_sentiments: Vec::new(),
        })
    })())
}

fn checked<T>(id: i64, column: &'static str, parsed: Result<T, DomainError>) -> StoreResult<T> {
    parsed.map_err(|source| StoreError::Corrupt {
        table: "feedback",
        column,
        row: id.to_string(),
        source,
    })
}

fn decode_scores(id: i64, [nps, csat, ces]: [Option<i64>; 3]) -> StoreResult<Scores> {
    Ok(Scores {
        nps: nps.map(|v| checked(id, "nps", v.try_into())).transpose()?,
        csat: csat
            .map(|v| checked(id, "csat", v.try_into()))
            .transpose()?,
        ces: ces.map(|v| checked(id, "ces", v.try_into())).transpose()?,
    })
}

/// Fills in the page's theme ids (each once per item, sorted), each with the mean sentiment of
/// its mentions, with one query.
fn attach_themes(
    connection: &Connection,
    origin: ThemeOrigin,
    page: &mut [ItemThemes],
) -> StoreResult<()> {
    let (Some(first), Some(last)) = (page.first().map(|i| i.id), page.last().map(|i| i.id)) else {
        return Ok(());
    };
    let mut values = vec![Value::Integer(first), Value::Integer(last)];
    let mut sql = String::from(
        "SELECT feedback_id, theme_id, AVG(sentiment) FROM feedback_themes WHERE feedback_id BETWEEN ?1 AND ?2",
    );
    if let Some(stored) = origin.stored() {
        sql.push_str(" AND origin = ?3");
        values.push(Value::Text(stored.to_owned()));
    }
    sql.push_str(" GROUP BY feedback_id, theme_id ORDER BY feedback_id, theme_id");
    let mut statement = connection
        .prepare_cached(&sql)
        .map_err(|e| db_error(CONTEXT, e))?;
    let rows = statement
        .query_map(params_from_iter(values), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<f64>>(2)?,
            ))
        })
        .map_err(|e| db_error(CONTEXT, e))?;
    for row in rows {
        let (feedback_id, theme, sentiment) = row.map_err(|e| db_error(CONTEXT, e))?;
        // A filter may have skipped ids inside the page's range.
        if let Ok(index) = page.binary_search_by_key(&feedback_id, |item| item.id) {
            page[index].themes.push(theme);
            page[index]
                .mention_sentiments
                .push(sentiment.map(|s| s as f32));
        }
    }
    Ok(())
}
