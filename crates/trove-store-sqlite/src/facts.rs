//! Items as the analysis reads them, from the compact facts table (`feedback_facts`, migration
//! 0024): one narrow row per item with its theme links packed, read a page at a time by one
//! query; and the upkeep that keeps those rows in step with `feedback` and `feedback_themes`.

use std::ops::RangeInclusive;
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params_from_iter};
use trove_domain::{Channel, CustomerId, DomainError, FeedbackItem, Scores};
use trove_store::{
    FactVisitor, FeedbackFilter, ItemFactsRef, ItemThemes, LinkBuffer, PageVisitor, RuleTag,
    StoreError, StoreResult, ThemeOrigin, pack_new_item, read_id_ranges_side_by_side,
    scan_item_facts_by_pages,
};

use crate::decode::{db_error, label_text};
use crate::imports::Holds;
use crate::{BUSY_TIMEOUT, SqliteStore, filter_sql, page_values, visit_pages};

/// Writes the facts row of item `?1` from its feedback row and its links in feedback_themes
/// (replacing the old one), packed in the order `trove_store::pack_new_item` packs them
/// (themes byte by byte, then origins). Every write that changes an item's facts or links runs
/// it in the same transaction.
const REFRESH_SQL: &str = "INSERT OR REPLACE INTO feedback_facts (id, received_at, source, channel,
        customer_id, business_unit, journey_stage, touchpoint, nps, csat, ces, sentiment, themes)
    SELECT f.id, f.received_at, f.source, f.channel, f.customer_id, f.business_unit,
        f.journey_stage, f.touchpoint, f.nps, f.csat, f.ces, f.sentiment,
        (SELECT group_concat(ft.theme_id || ':' || substr(ft.origin, 1, 1)
                || iif(ft.sentiment IS NULL, '', ':' || printf('%!.17g', ft.sentiment)),
                ' ' ORDER BY ft.theme_id, ft.origin)
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

/// Like [`refresh`], for an item whose row changed (overwritten by a replacing import): its
/// running totals are taken out as the facts row stood and added back as it stands now. A
/// change of its links alone (tags, labels) leaves the totals as they are: they count no theme.
pub(crate) fn refresh_counted(connection: &Connection, id: i64) -> StoreResult<()> {
    crate::totals::count_item(connection, id, -1)?;
    refresh(connection, id)?;
    crate::totals::count_item(connection, id, 1)
}

/// Writes the facts rows of a batch's items stored just now (`(id, item, its rule tags)`):
/// bound from memory with multi-row statements, without reading anything back.
pub(crate) fn insert_new_rows(
    connection: &Connection,
    rows: &[(i64, &FeedbackItem, &[RuleTag])],
) -> StoreResult<()> {
    let written = crate::multi_insert::insert_all(
        connection,
        (
            "INSERT OR IGNORE INTO feedback_facts (id, received_at, source, channel, customer_id,
                business_unit, journey_stage, touchpoint, nps, csat, ces, sentiment, themes)",
            13,
            "",
        ),
        rows,
        |row, (id, item, rule_tags)| {
            row.bind(id)?
                .bind(item.received_at.unix_seconds())?
                .bind(item.source.as_str())?
                .bind(item.channel.as_str())?
                .bind(item.customer_id.as_ref().map(CustomerId::as_str))?
                .bind(label_text(&item.business_unit))?
                .bind(label_text(&item.journey_stage))?
                .bind(label_text(&item.touchpoint))?
                .bind(item.scores.nps.map(|s| s.value()))?
                .bind(item.scores.csat.map(|s| s.value()))?
                .bind(item.scores.ces.map(|s| s.value()))?
                .bind(item.sentiment)?
                .bind(pack_new_item(rule_tags, &item.source_themes))?;
            Ok(())
        },
    )
    .map_err(|e| db_error("keeping the compact facts", e))?;
    // Ignoring conflicts spares the statement journal (see multi_insert); a row that was not
    // written would be an item the analysis never sees, so the batch fails instead.
    if written != rows.len() {
        return Err(db_error(
            "keeping the compact facts",
            format!("{} of {} facts rows written", written, rows.len()),
        ));
    }
    Ok(())
}

/// Drops the facts rows of an import's items (before the items themselves go), and their
/// running totals.
pub(crate) fn forget_import(connection: &Connection, run: i64) -> StoreResult<()> {
    crate::totals::forget_import(connection, run)?;
    connection
        .execute(
            &format!(
                "DELETE FROM feedback_facts WHERE id IN ({})",
                crate::imports::run_items_sql(1)
            ),
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

/// The analysis's read of every matching item (`Store::scan_item_facts`): each part's id range
/// is read by one statement on its own read-only connection and thread (WAL: readers neither
/// wait for the writer nor hold it up), each row handed over in place, with its links read
/// into a buffer the part reuses: nothing is allocated per row. Each part reads its own
/// snapshot; a write that lands between them can leave the parts a write apart, which the
/// kept results allow for (they file a result under the data version read before it).
/// A database in memory has no second connection: it is read page by page.
pub(crate) fn scan_parts(
    store: &SqliteStore,
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    parts: &mut [&mut FactVisitor<'_>],
) -> StoreResult<()> {
    let Holds::Files(path) = &store.holds else {
        return scan_item_facts_by_pages(store, filter, origin, parts);
    };
    let (first, last): (Option<i64>, Option<i64>) = store
        .lock()
        .query_row(ID_RANGE_SQL, [], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(|e| db_error(CONTEXT, e))?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(());
    };
    let (where_sql, values) = filter_sql(filter);
    let sql = format!(
        "SELECT id, received_at, customer_id, channel, business_unit, touchpoint, nps, csat, ces, sentiment, themes
         FROM feedback_facts{where_sql} AND id BETWEEN ? AND ? ORDER BY id"
    );
    read_id_ranges_side_by_side(first, last, parts, CONTEXT, |ids, visit| {
        read_range(path, &sql, &values, ids, origin, visit)
    })
}

/// The first and last id of the facts, each read from its end of the key's b-tree. Not
/// `SELECT MIN(id), MAX(id)`: SQLite reads a lone MIN or MAX that way, but both together scan
/// the whole table (0.1 s, and 50 MB of the main connection's cache, at 1M items).
const ID_RANGE_SQL: &str =
    "SELECT (SELECT MIN(id) FROM feedback_facts), (SELECT MAX(id) FROM feedback_facts)";

/// Reads the items of one id range on a connection of its own, in id order.
fn read_range(
    path: &Path,
    sql: &str,
    filter_values: &[Value],
    ids: RangeInclusive<i64>,
    origin: ThemeOrigin,
    visit: &mut FactVisitor<'_>,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|e| db_error(CONTEXT, e))?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(CONTEXT, e))?;
    let mut statement = connection.prepare(sql).map_err(|e| db_error(CONTEXT, e))?;
    let mut values = filter_values.to_vec();
    values.extend([Value::Integer(*ids.start()), Value::Integer(*ids.end())]);
    let mut rows = statement
        .query(params_from_iter(values))
        .map_err(|e| db_error(CONTEXT, e))?;
    let mut links = LinkBuffer::default();
    while let Some(row) = rows.next().map_err(|e| db_error(CONTEXT, e))? {
        let item = borrow_row(row, origin, &mut links).map_err(|e| match e {
            RowError::Sqlite(e) => db_error(CONTEXT, e),
            RowError::Store(e) => e,
        })?;
        visit(&item);
    }
    Ok(())
}

/// Why a row could not be read: SQLite's error, or a corrupt value.
enum RowError {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for RowError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<StoreError> for RowError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// One row of [`scan_parts`]'s (or [`scan`]'s) statement, borrowed, with its links of
/// `origin`.
fn borrow_row<'a>(
    row: &'a rusqlite::Row<'_>,
    origin: ThemeOrigin,
    links: &'a mut LinkBuffer,
) -> Result<ItemFactsRef<'a>, RowError> {
    let id: i64 = row.get(0)?;
    let text = |i: usize| -> Result<Option<&'a str>, RowError> {
        Ok(row
            .get_ref(i)?
            .as_str_or_null()
            .map_err(rusqlite::Error::from)?)
    };
    let channel = text(3)?.unwrap_or_default();
    let packed = text(10)?.unwrap_or_default();
    let themes = checked(id, "themes", links.unpack(packed, origin))?;
    Ok(ItemFactsRef {
        id,
        received_at: row.get(1)?,
        customer_id: text(2)?,
        channel: checked(id, "channel", channel.parse::<Channel>())?,
        business_unit: text(4)?,
        touchpoint: text(5)?,
        scores: decode_scores(id, [row.get(6)?, row.get(7)?, row.get(8)?])?,
        sentiment: row.get(9)?,
        themes,
    })
}

/// One row with its links of `origin`; the outer error is SQLite's, the inner one a corrupt
/// value.
fn read_row(
    row: &rusqlite::Row<'_>,
    origin: ThemeOrigin,
) -> rusqlite::Result<StoreResult<ItemThemes>> {
    match borrow_row(row, origin, &mut LinkBuffer::default()) {
        Ok(item) => Ok(Ok(item.to_item_themes())),
        Err(RowError::Sqlite(e)) => Err(e),
        Err(RowError::Store(e)) => Ok(Err(e)),
    }
}

fn checked<T>(id: i64, column: &'static str, parsed: Result<T, DomainError>) -> StoreResult<T> {
    parsed.map_err(|source| corrupt(id, column, source))
}

pub(crate) fn corrupt(id: i64, column: &'static str, source: DomainError) -> StoreError {
    StoreError::Corrupt {
        table: "feedback_facts",
        column,
        row: id.to_string(),
        source,
    }
}

pub(crate) fn decode_scores(id: i64, [nps, csat, ces]: [Option<i64>; 3]) -> StoreResult<Scores> {
    Ok(Scores {
        nps: nps.map(|v| checked(id, "nps", v.try_into())).transpose()?,
        csat: csat
            .map(|v| checked(id, "csat", v.try_into()))
            .transpose()?,
        ces: ces.map(|v| checked(id, "ces", v.try_into())).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_range_is_read_from_the_ends_of_the_key_not_by_a_scan() {
        let store = SqliteStore::open_in_memory().unwrap();
        let connection = store.lock();
        let mut explain = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {ID_RANGE_SQL}"))
            .unwrap();
        let steps: Vec<String> = explain
            .query_map([], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let searches = steps
            .iter()
            .filter(|s| s.starts_with("SEARCH feedback_facts"));
        assert_eq!(searches.count(), 2, "{steps:?}");
        assert!(
            !steps.iter().any(|s| s.starts_with("SCAN feedback_facts")),
            "{steps:?}"
        );
    }
}
