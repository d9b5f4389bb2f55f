//! The facts page by page of ids for an analytics backend's sync (`trove_store::FactPages`):
//! read from `feedback_facts`, with the item's region and product from its `feedback` row (they
//! are stored before its text, so no overflow page of a long text is read) and the customer's
//! segment. An unchanged sync reads each page's digest and nothing else.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use trove_domain::Channel;
use trove_store::{FactPageDigest, FactRow, OriginThemes, StoreError, StoreResult, ThemeOrigin};

use crate::decode::db_error;
use crate::facts::{corrupt, decode_scores};
use crate::imports::Holds;
use crate::{BUSY_TIMEOUT, SqliteStore};

/// The facts of the items with ids in `?1..?2`, in id order, the columns in [`FactRow`]'s order.
const RANGE_SQL: &str = "SELECT ff.id, ff.received_at, ff.source, ff.channel, ff.customer_id,
        c.segment, ff.business_unit, ff.journey_stage, ff.touchpoint, f.region, f.product,
        ff.nps, ff.csat, ff.ces, ff.sentiment, ff.themes
    FROM feedback_facts ff JOIN feedback f ON f.id = ff.id
        LEFT JOIN customers c ON c.id = ff.customer_id
    WHERE ff.id >= ?1 AND ff.id < ?2 ORDER BY ff.id";

/// The columns [`RANGE_SQL`] gives.
const COLUMNS: usize = 16;

/// The digest of every page of `page_ids` ids that holds items, in page order: a BLAKE3 hash
/// of its rows' values, each value's type and length written before its bytes, so that no two
/// different pages can give the same stream.
pub(crate) fn digests(store: &SqliteStore, page_ids: i64) -> StoreResult<Vec<FactPageDigest>> {
    let context = "digesting the facts";
    if page_ids < 1 {
        return Err(StoreError::database(
            context,
            format!("a page must hold at least one id, not {page_ids}"),
        ));
    }
    with_reader(store, context, |connection| {
        let mut statement = connection.prepare(RANGE_SQL)?;
        let mut rows = statement.query([i64::MIN, i64::MAX])?;
        let mut pages = Vec::new();
        let mut current: Option<(i64, u64, blake3::Hasher)> = None;
        while let Some(row) = rows.next()? {
            let page = row.get::<_, i64>(0)?.div_euclid(page_ids);
            if current.as_ref().is_some_and(|(open, ..)| *open != page) {
                pages.extend(current.take().map(finish));
            }
            let (_, count, hasher) =
                current.get_or_insert_with(|| (page, 0, blake3::Hasher::new()));
            *count += 1;
            for column in 0..COLUMNS {
                hash_value(hasher, row.get_ref(column)?);
            }
        }
        pages.extend(current.map(finish));
        Ok(pages)
    })
}

fn finish((page, rows, hasher): (i64, u64, blake3::Hasher)) -> FactPageDigest {
    FactPageDigest {
        page,
        rows,
        digest: hasher.finalize().to_hex().to_string(),
    }
}

fn hash_value(hasher: &mut blake3::Hasher, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => hasher.update(&[0]),
        ValueRef::Integer(v) => hasher.update(&[1]).update(&v.to_le_bytes()),
        ValueRef::Real(v) => hasher.update(&[2]).update(&v.to_bits().to_le_bytes()),
        ValueRef::Text(bytes) => hasher
            .update(&[3])
            .update(&(bytes.len() as u64).to_le_bytes())
            .update(bytes),
        ValueRef::Blob(bytes) => hasher
            .update(&[4])
            .update(&(bytes.len() as u64).to_le_bytes())
            .update(bytes),
    };
}

/// The facts of the items with ids in `first..end`, in id order.
pub(crate) fn range(store: &SqliteStore, first: i64, end: i64) -> StoreResult<Vec<FactRow>> {
    let context = "reading facts";
    let rows = with_reader(store, context, |connection| {
        let mut statement = connection.prepare_cached(RANGE_SQL)?;
        let rows = statement.query_map([first, end], decode)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })?;
    rows.into_iter().collect()
}

/// Runs `read` on a read-only connection of its own when the database is a file (a long read
/// for a sync holds up neither the writer nor the other readers), else on the store's.
fn with_reader<T>(
    store: &SqliteStore,
    context: &'static str,
    read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    let Holds::Files(path) = &store.holds else {
        return read(&store.lock()).map_err(|e| db_error(context, e));
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|e| db_error(context, e))?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(context, e))?;
    read(&connection).map_err(|e| db_error(context, e))
}

/// One row of [`RANGE_SQL`]; the outer error is SQLite's, the inner one a corrupt value.
fn decode(row: &Row<'_>) -> rusqlite::Result<StoreResult<FactRow>> {
    let id: i64 = row.get(0)?;
    let channel: String = row.get(3)?;
    let scores: [Option<i64>; 3] = [row.get(11)?, row.get(12)?, row.get(13)?];
    let packed: Option<String> = row.get(15)?;
    let (received_at, source, customer_id, segment) =
        (row.get(1)?, row.get(2)?, row.get(4)?, row.get(5)?);
    let (business_unit, journey_stage, touchpoint, region, product, sentiment) = (
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(14)?,
    );
    let themes = |origin: ThemeOrigin| {
        OriginThemes::unpack(packed.as_deref(), origin).map_err(|e| corrupt(id, "themes", e))
    };
    Ok((|| {
        Ok(FactRow {
            id,
            received_at,
            source,
            channel: channel
                .parse::<Channel>()
                .map_err(|e| corrupt(id, "channel", e))?,
            customer_id,
            segment,
            business_unit,
            journey_stage,
            touchpoint,
            region,
            product,
            scores: decode_scores(id, scores)?,
            sentiment,
            rule: themes(ThemeOrigin::Rule)?,
            coded: themes(ThemeOrigin::Source)?,
            model: themes(ThemeOrigin::Model)?,
            any: themes(ThemeOrigin::Any)?,
        })
    })())
}
