//! Items as the analysis reads them, from the compact facts table (`feedback_facts`, migration
//! 0024): one narrow row per item with its theme links packed, read a page at a time by one
//! query, or for the analysis in id ranges streamed side by side; and the upkeep that keeps
//! those rows in step with `feedback` and `feedback_themes`.

use std::ops::RangeInclusive;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Row, Transaction};
use trove_domain::{Channel, DomainError, Scores};
use trove_store::{
    FactVisitor, FeedbackFilter, ItemFactsRef, ItemThemes, LinkBuffer, PageVisitor, StoreError,
    StoreResult, ThemeOrigin, read_id_ranges_side_by_side,
};

use crate::decode::{db_error, get};
use crate::feedback::{Param, refs, visit_pages, where_clause};
use crate::pool::Pool;

const CONTEXT: &str = "reading items for analysis";

/// Writes the facts rows of the items `$1` (an array of ids) from their feedback rows and their
/// links in feedback_themes, replacing the old ones; the links packed in the order
/// `trove_store::pack_new_item` packs them (themes byte by byte, then origins: hence the C
/// collation). Every write that changes an item's facts or links runs it in the same
/// transaction.
const REFRESH_SQL: &str = "INSERT INTO feedback_facts (id, received_at, source, channel,
        customer_id, business_unit, journey_stage, touchpoint, region, product, nps, csat, ces,
        sentiment, themes)
    SELECT f.id, f.received_at, f.source, f.channel, f.customer_id, f.business_unit,
        f.journey_stage, f.touchpoint, f.region, f.product, f.nps, f.csat, f.ces, f.sentiment,
        (SELECT string_agg(ft.theme_id || ':' || substr(ft.origin, 1, 1)
                || COALESCE(':' || ft.sentiment::float8::text, ''),
                ' ' ORDER BY ft.theme_id COLLATE \"C\", ft.origin COLLATE \"C\")
         FROM feedback_themes ft WHERE ft.feedback_id = f.id)
    FROM feedback f WHERE f.id = ANY($1)
    ON CONFLICT (id) DO UPDATE SET received_at = EXCLUDED.received_at, source = EXCLUDED.source,
        channel = EXCLUDED.channel, customer_id = EXCLUDED.customer_id,
        business_unit = EXCLUDED.business_unit, journey_stage = EXCLUDED.journey_stage,
        touchpoint = EXCLUDED.touchpoint, region = EXCLUDED.region, product = EXCLUDED.product,
        nps = EXCLUDED.nps, csat = EXCLUDED.csat,
        ces = EXCLUDED.ces, sentiment = EXCLUDED.sentiment, themes = EXCLUDED.themes";

/// Brings the facts rows of items `ids` up to date (see [`REFRESH_SQL`]).
pub(crate) fn refresh(tx: &mut Transaction<'_>, ids: &[i64]) -> Result<(), postgres::Error> {
    if !ids.is_empty() {
        tx.execute(REFRESH_SQL, &[&ids])?;
    }
    Ok(())
}

/// Drops the facts rows of an import's items (before the items themselves go), and their
/// running totals.
pub(crate) fn forget_import(tx: &mut Transaction<'_>, run: i64) -> Result<(), postgres::Error> {
    crate::totals::forget_import(tx, run)?;
    tx.execute(
        "DELETE FROM feedback_facts WHERE id IN (SELECT id FROM feedback WHERE import_run_id = $1)",
        &[&run],
    )?;
    Ok(())
}

pub(crate) fn scan(
    pool: &Pool,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    page_size: usize,
    visit: &mut PageVisitor<'_, ItemThemes>,
) -> StoreResult<()> {
    let (where_sql, mut params) = where_clause(filter);
    let sql = format!(
        "SELECT id, received_at, customer_id, channel, business_unit, touchpoint, nps, csat, ces, sentiment, themes
         FROM feedback_facts{where_sql} AND id > ${} ORDER BY id LIMIT ${}",
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
            rows.iter().map(|row| decode(row, origin)).collect()
        },
        |item| item.id,
        visit,
    )
}

/// The analysis's read of every matching item (`Store::scan_item_facts`): each part's id range
/// streamed by one statement on its own connection and thread, so that both cores work (the
/// server sending one range while this side reads the other), each row read in place with its
/// links unpacked into a buffer the part reuses: nothing is allocated per row. Each part reads
/// its own snapshot; a write that lands between them can leave the parts a write apart, which
/// the kept results allow for (they file a result under the data version read before it).
pub(crate) fn scan_parts(
    pool: &Pool,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    parts: &mut [&mut FactVisitor<'_>],
) -> StoreResult<()> {
    let bounds = pool
        .get()?
        .query_one("SELECT MIN(id), MAX(id) FROM feedback_facts", &[])
        .map_err(|e| db_error(CONTEXT, e))?;
    let (Some(first), Some(last)) = (get(&bounds, 0, CONTEXT)?, get(&bounds, 1, CONTEXT)?) else {
        return Ok(());
    };
    let (where_sql, params) = where_clause(filter);
    let sql = format!(
        "SELECT id, received_at, customer_id, channel, business_unit, touchpoint, nps, csat, ces, sentiment, themes
         FROM feedback_facts{where_sql} AND id BETWEEN ${} AND ${} ORDER BY id",
        params.len() + 1,
        params.len() + 2
    );
    read_id_ranges_side_by_side(first, last, parts, CONTEXT, |ids, visit| {
        read_range(pool, &sql, &params, ids, origin, visit)
    })
}

/// Streams the items of one id range from a connection of its own, in id order.
fn read_range(
    pool: &Pool,
    sql: &str,
    params: &[Param],
    ids: RangeInclusive<i64>,
    origin: ThemeOrigin,
    visit: &mut FactVisitor<'_>,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let (start, end) = (*ids.start(), *ids.end());
    let mut values = refs(params);
    values.extend([&start as &(dyn ToSql + Sync), &end]);
    let mut client = pool.get()?;
    let mut rows = client
        .query_raw(sql, values)
        .map_err(|e| db_error(CONTEXT, e))?;
    let mut links = LinkBuffer::default();
    while let Some(row) = rows.next().map_err(|e| db_error(CONTEXT, e))? {
        visit(&borrow_row(&row, origin, &mut links)?);
    }
    Ok(())
}

/// One row of [`scan_parts`]'s (or [`scan`]'s) statement, borrowed, with its links of
/// `origin`.
fn borrow_row<'a>(
    row: &'a Row,
    origin: ThemeOrigin,
    links: &'a mut LinkBuffer,
) -> StoreResult<ItemFactsRef<'a>> {
    let id: i64 = get(row, 0, CONTEXT)?;
    let channel: &str = get(row, 3, CONTEXT)?;
    let packed: Option<&str> = get(row, 10, CONTEXT)?;
    Ok(ItemFactsRef {
        id,
        received_at: get(row, 1, CONTEXT)?,
        customer_id: get(row, 2, CONTEXT)?,
        channel: checked(id, "channel", channel.parse::<Channel>())?,
        business_unit: get(row, 4, CONTEXT)?,
        touchpoint: get(row, 5, CONTEXT)?,
        scores: scores(row, id)?,
        sentiment: get(row, 9, CONTEXT)?,
        themes: checked(
            id,
            "themes",
            links.unpack(packed.unwrap_or_default(), origin),
        )?,
    })
}

/// The scores in columns 6, 7 and 8 (SMALLINT) of a row of item `id`.
fn scores(row: &Row, id: i64) -> StoreResult<Scores> {
    let score = |index: usize| -> StoreResult<Option<i64>> {
        let value: Option<i16> = get(row, index, CONTEXT)?;
        Ok(value.map(i64::from))
    };
    Ok(Scores {
        nps: score(6)?
            .map(|v| checked(id, "nps", v.try_into()))
            .transpose()?,
        csat: score(7)?
            .map(|v| checked(id, "csat", v.try_into()))
            .transpose()?,
        ces: score(8)?
            .map(|v| checked(id, "ces", v.try_into()))
            .transpose()?,
    })
}

fn checked<T>(id: i64, column: &'static str, parsed: Result<T, DomainError>) -> StoreResult<T> {
    parsed.map_err(|source| StoreError::Corrupt {
        table: "feedback_facts",
        column,
        row: id.to_string(),
        source,
    })
}

fn decode(row: &Row, origin: ThemeOrigin) -> StoreResult<ItemThemes> {
    borrow_row(row, origin, &mut LinkBuffer::default()).map(|item| item.to_item_themes())
}
