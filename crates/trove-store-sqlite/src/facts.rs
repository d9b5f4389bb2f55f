//! Items as the analysis reads them, from the compact facts table (`feedback_facts`, migration
//! 0024): one narrow row per item with its theme links packed, read a page at a time by one
//! query; and the upkeep that keeps those rows in step with `feedback` and `feedback_themes`.

use rusqlite::{Connection, params, params_from_iter};
use trove_domain::{Channel, CustomerId, DomainError, FeedbackItem, Scores};
use trove_store::{
    FeedbackFilter, ItemThemes, PageVisitor, RuleTag, StoreError, StoreResult, ThemeOrigin,
    pack_new_item,
};

use crate::decode::{db_error, label_text};
use crate::{SqliteStore, filter_sql, page_values, visit_pages};

/// Writes the facts row of item `?1` from its feedback row and its links in feedback_themes
/// (replacing the old one). Every write that changes an item's facts or links runs it in the
/// same transaction; the migration packs the links with the same expression.
const REFRESH_SQL: &str = "INSERT OR REPLACE INTO feedback_facts (id, received_at, source, channel,
        customer_id, business_unit, journey_stage, touchpoint, nps, csat, ces, sentiment, themes)
    SELECT f.id, f.received_at, f.source, f.channel, f.customer_id, f.business_unit,
        f.journey_stage, f.touchpoint, f.nps, f.csat, f.ces, f.sentiment,
        (SELECT group_concat(ft.theme_id || ':' || substr(ft.origin, 1, 1)
                || iif(ft.sentiment IS NULL, '', ':' || printf('%!.17g', ft.sentiment)), ' ')
         FROM feedback_themes ft WHERE ft.feedback_id = f.id)
    FROM feedback f WHERE f.id = ?1";

/// Brings item `id`'s facts row up to date (see [`REFRESH_SQL`]).
pub(crate) fn refresh(connection: &Connection, id: i64) -> StoreResult<()> {
    connection
        .prepare_cached(REFRESH_SQL)
        .and_then(|mut refresh| refresh.execute([id]))
        .map_err(|e| db_error("keeping the compact facts", e))?;
    Ok(())
}

/// The statement that writes the facts row of an item stored just now, for
/// [`insert_new_with`]: prepared once per batch.
pub(crate) fn new_row_statement(
    connection: &Connection,
) -> StoreResult<rusqlite::CachedStatement<'_>> {
    connection
        .prepare_cached(
            "INSERT INTO feedback_facts (id, received_at, source, channel, customer_id,
                business_unit, journey_stage, touchpoint, nps, csat, ces, sentiment, themes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(|e| db_error("keeping the compact facts", e))
}

/// Writes the facts row of item `id`, stored just now (it has no links but these rule tags
/// and its source-coded themes): bound from memory, without reading anything back.
pub(crate) fn insert_new_with(
    insert: &mut rusqlite::CachedStatement<'_>,
    id: i64,
    item: &FeedbackItem,
    rule_tags: &[RuleTag],
) -> StoreResult<()> {
    insert
        .execute(params![
            id,
            item.received_at.unix_seconds(),
            item.source.as_str(),
            item.channel.as_str(),
            item.customer_id.as_ref().map(CustomerId::as_str),
            label_text(&item.business_unit),
            label_text(&item.journey_stage),
            label_text(&item.touchpoint),
            item.scores.nps.map(|s| s.value()),
            item.scores.csat.map(|s| s.value()),
            item.scores.ces.map(|s| s.value()),
            item.sentiment,
            pack_new_item(rule_tags, &item.source_themes),
        ])
        .map_err(|e| db_error("keeping the compact facts", e))?;
    Ok(())
}

/// Drops the facts rows of an import's items (before the items themselves go).
pub(crate) fn forget_import(connection: &Connection, run: i64) -> StoreResult<()> {
    connection
        .execute(
            "DELETE FROM feedback_facts WHERE id IN (SELECT id FROM feedback WHERE import_run_id = ?1)",
            [run],
        )
        .map_err(|e| db_error("keeping the compact facts", e))?;
    Ok(())
}

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
        "SELECT id, received_at, customer_id, channel, business_unit, touchpoint, nps, csat, ces, sentiment, themes
         FROM feedback_facts{where_sql} AND id > ? ORDER BY id LIMIT ?"
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
                    |row| read_row(row, origin),
                )
                .map_err(|e| db_error(CONTEXT, e))?;
            let mut page = Vec::with_capacity(limit);
            for row in rows {
                page.push(row.map_err(|e| db_error(CONTEXT, e))??);
            }
            Ok(page)
        },
        |item| item.id,
        visit,
    )
}

/// One row with its links of `origin`; the outer error is SQLite's, the inner one a corrupt
/// value.
fn read_row(
    row: &rusqlite::Row<'_>,
    origin: ThemeOrigin,
) -> rusqlite::Result<StoreResult<ItemThemes>> {
    let id: i64 = row.get(0)?;
    let scores = [row.get(6)?, row.get(7)?, row.get(8)?];
    Ok((|| {
        // Read in place, not copied out first: this runs for every item of an analysis.
        let channel = row
            .get_ref(3)
            .map_err(|e| db_error(CONTEXT, e))?
            .as_str()
            .map_err(|e| db_error(CONTEXT, e))?;
        let packed = row
            .get_ref(10)
            .map_err(|e| db_error(CONTEXT, e))?
            .as_str_or_null()
            .map_err(|e| db_error(CONTEXT, e))?;
        let mut item = ItemThemes {
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
        };
        if let Some(packed) = packed {
            let unpacked = trove_store::unpack_themes(
                packed,
                origin,
                &mut item.themes,
                &mut item.mention_sentiments,
            );
            checked(id, "themes", unpacked)?;
        }
        Ok(item)
    })())
}

fn checked<T>(id: i64, column: &'static str, parsed: Result<T, DomainError>) -> StoreResult<T> {
    parsed.map_err(|source| StoreError::Corrupt {
        table: "feedback_facts",
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
