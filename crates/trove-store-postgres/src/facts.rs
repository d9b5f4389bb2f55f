//! Items as the analysis reads them: the few columns it needs and their theme ids, a page at
//! a time, with one query for the page's items and one for their themes.

use postgres::{Client, Row};
use trove_domain::{Channel, DomainError, Scores};
use trove_store::{FeedbackFilter, ItemThemes, PageVisitor, StoreError, StoreResult, ThemeOrigin};

use crate::decode::{db_error, get};
use crate::feedback::{Param, refs, visit_pages, where_clause};
use crate::pool::Pool;

const CONTEXT: &str = "reading items for analysis";

pub(crate) fn scan(
    pool: &Pool,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    page_size: usize,
    visit: &mut PageVisitor<'_, ItemThemes>,
) -> StoreResult<()> {
    let (where_sql, mut params) = where_clause(filter);
    let sql = format!(
        "SELECT id, received_at, customer_id, channel, business_unit, touchpoint, nps, csat, ces, sentiment
         FROM feedback{where_sql} AND id > ${} ORDER BY id LIMIT ${}",
        params.len() + 1,
        params.len() + 2
    );
    visit_pages(
        page_size,
        |last_id, limit| {
            // The connection goes back to the pool before the visitor runs.
            let mut client = pool.get()?;
            params.push(Box::new(last_id));
            params.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
            let rows = client.query(&sql, &refs(&params));
            params.truncate(params.len() - 2);
            let rows = rows.map_err(|e| db_error(CONTEXT, e))?;
            let mut page = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
            attach_themes(&mut client, origin, &mut page)?;
            Ok(page)
        },
        |item| item.id,
        visit,
    )
}

fn checked<T>(id: i64, column: &'static str, parsed: Result<T, DomainError>) -> StoreResult<T> {
    parsed.map_err(|source| StoreError::Corrupt {
        table: "feedback",
        column,
        row: id.to_string(),
        source,
    })
}

fn decode(row: &Row) -> StoreResult<ItemThemes> {
    let id: i64 = get(row, 0, CONTEXT)?;
    let channel: String = get(row, 3, CONTEXT)?;
    let score = |index: usize| -> StoreResult<Option<i64>> {
        let value: Option<i16> = get(row, index, CONTEXT)?;
        Ok(value.map(i64::from))
    };
    Ok(ItemThemes {
        id,
        received_at: get(row, 1, CONTEXT)?,
        customer_id: get(row, 2, CONTEXT)?,
        channel: checked(id, "channel", channel.parse::<Channel>())?,
        business_unit: get(row, 4, CONTEXT)?,
        touchpoint: get(row, 5, CONTEXT)?,
        scores: Scores {
            nps: score(6)?
                .map(|v| checked(id, "nps", v.try_into()))
                .transpose()?,
            csat: score(7)?
                .map(|v| checked(id, "csat", v.try_into()))
                .transpose()?,
            ces: score(8)?
                .map(|v| checked(id, "ces", v.try_into()))
                .transpose()?,
        },
        sentiment: get(row, 9, CONTEXT)?,
        themes: Vec::new(),
        mention_sentiments: Vec::new(),
    })
}

/// Fills in the page's theme ids (each once per item, sorted), each with the mean sentiment of
/// its mentions, with one query.
///
/// The query names the page by its range of ids, which the primary key of `feedback_themes`
/// serves as one index range; a list of 10,000 ids (`= ANY`) made the planner scan the whole
/// table for every page. A sparse page (a filter keeping few items of its range) also lists
/// its ids, so that the rows of items outside it are not aggregated for nothing.
fn attach_themes(
    client: &mut Client,
    origin: ThemeOrigin,
    page: &mut [ItemThemes],
) -> StoreResult<()> {
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(());
    };
    let (first, last) = (first.id, last.id);
    let mut params: Vec<Param> = vec![Box::new(first), Box::new(last)];
    let mut sql = String::from(
        "SELECT feedback_id, theme_id, AVG(sentiment)::real FROM feedback_themes
         WHERE feedback_id BETWEEN $1 AND $2",
    );
    let dense = (last - first) / 2 < page.len() as i64;
    if !dense {
        params.push(Box::new(
            page.iter().map(|item| item.id).collect::<Vec<i64>>(),
        ));
        sql.push_str(&format!(" AND feedback_id = ANY(${})", params.len()));
    }
    if let Some(stored) = origin.stored() {
        params.push(Box::new(stored));
        sql.push_str(&format!(" AND origin = ${}", params.len()));
    }
    sql.push_str(" GROUP BY feedback_id, theme_id ORDER BY feedback_id, theme_id");
    let rows = client
        .query(&sql, &refs(&params))
        .map_err(|e| db_error(CONTEXT, e))?;
    for row in &rows {
        let feedback_id: i64 = get(row, 0, CONTEXT)?;
        let theme: String = get(row, 1, CONTEXT)?;
        let sentiment: Option<f32> = get(row, 2, CONTEXT)?;
        if let Ok(index) = page.binary_search_by_key(&feedback_id, |item| item.id) {
            page[index].themes.push(theme);
            page[index].mention_sentiments.push(sentiment);
        }
    }
    Ok(())
}
