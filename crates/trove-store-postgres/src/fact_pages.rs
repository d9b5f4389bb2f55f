//! The facts page by page of ids for an analytics backend's sync (`trove_store::FactPages`),
//! read from `feedback_facts` (no text) joined with the customers' segments.

use postgres::{Client, Row};
use trove_domain::{Channel, Scores};
use trove_store::{FactPageDigest, FactRow, OriginThemes, StoreError, StoreResult, ThemeOrigin};

use crate::decode::{count, db_error, get};

/// The fields of a facts row as `FactRow` has them, in order.
const FACT_FIELDS: &str = "ff.id, ff.received_at, ff.source, ff.channel, ff.customer_id, c.segment,
    ff.business_unit, ff.journey_stage, ff.touchpoint, ff.region, ff.product, ff.nps, ff.csat, ff.ces,
    ff.sentiment, ff.themes";

/// Each page's item count and the MD5 of its rows' text (NULLs and separators quoted by the
/// row's own text form), in id order; `$1` is the page size.
const DIGESTS_SQL: &str = "SELECT ff.id / $1 AS page, count(*),
        md5(string_agg(ROW(ff.id, ff.received_at, ff.source, ff.channel, ff.customer_id, c.segment,
            ff.business_unit, ff.journey_stage, ff.touchpoint, ff.region, ff.product, ff.nps, ff.csat,
            ff.ces, ff.sentiment, ff.themes)::text, E'\\n' ORDER BY ff.id))
    FROM feedback_facts ff LEFT JOIN customers c ON c.id = ff.customer_id
    GROUP BY 1 ORDER BY 1";

pub(crate) fn digests(client: &mut Client, page_ids: i64) -> StoreResult<Vec<FactPageDigest>> {
    let context = "digesting the facts";
    if page_ids < 1 {
        return Err(StoreError::database(
            context,
            format!("a page must hold at least one id, not {page_ids}"),
        ));
    }
    let rows = client
        .query(DIGESTS_SQL, &[&page_ids])
        .map_err(|e| db_error(context, e))?;
    rows.iter()
        .map(|row| {
            Ok(FactPageDigest {
                page: get(row, 0, context)?,
                rows: count(row, 1, context)?,
                digest: get(row, 2, context)?,
            })
        })
        .collect()
}

pub(crate) fn range(client: &mut Client, first: i64, end: i64) -> StoreResult<Vec<FactRow>> {
    let context = "reading facts";
    let sql = format!(
        "SELECT {FACT_FIELDS} FROM feedback_facts ff LEFT JOIN customers c ON c.id = ff.customer_id
         WHERE ff.id >= $1 AND ff.id < $2 ORDER BY ff.id"
    );
    let rows = client
        .query(&sql, &[&first, &end])
        .map_err(|e| db_error(context, e))?;
    rows.iter().map(decode).collect()
}

fn corrupt(id: i64, column: &'static str, source: trove_domain::DomainError) -> StoreError {
    StoreError::Corrupt {
        table: "feedback_facts",
        column,
        row: id.to_string(),
        source,
    }
}

fn decode(row: &Row) -> StoreResult<FactRow> {
    let context = "reading facts";
    let id: i64 = get(row, 0, context)?;
    let channel: String = get(row, 3, context)?;
    let score = |index: usize| -> StoreResult<Option<i64>> {
        let value: Option<i16> = get(row, index, context)?;
        Ok(value.map(i64::from))
    };
    let scores = Scores {
        nps: score(11)?
            .map(|v| v.try_into().map_err(|e| corrupt(id, "nps", e)))
            .transpose()?,
        csat: score(12)?
            .map(|v| v.try_into().map_err(|e| corrupt(id, "csat", e)))
            .transpose()?,
        ces: score(13)?
            .map(|v| v.try_into().map_err(|e| corrupt(id, "ces", e)))
            .transpose()?,
    };
    let packed: Option<String> = get(row, 15, context)?;
    let themes = |origin: ThemeOrigin| {
        OriginThemes::unpack(packed.as_deref(), origin).map_err(|e| corrupt(id, "themes", e))
    };
    Ok(FactRow {
        id,
        received_at: get(row, 1, context)?,
        source: get(row, 2, context)?,
        channel: channel
            .parse::<Channel>()
            .map_err(|e| corrupt(id, "channel", e))?,
        customer_id: get(row, 4, context)?,
        segment: get(row, 5, context)?,
        business_unit: get(row, 6, context)?,
        journey_stage: get(row, 7, context)?,
        touchpoint: get(row, 8, context)?,
        region: get(row, 9, context)?,
        product: get(row, 10, context)?,
        scores,
        sentiment: get(row, 14, context)?,
        rule: themes(ThemeOrigin::Rule)?,
        coded: themes(ThemeOrigin::Source)?,
        model: themes(ThemeOrigin::Model)?,
        any: themes(ThemeOrigin::Any)?,
    })
}
