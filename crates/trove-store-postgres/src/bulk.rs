//! Storing a batch of new feedback by binary `COPY`: the import's write path.
//!
//! The batch's ids are reserved from the table's sequence first, so the rows that follow (rule
//! tags, facts) are written knowing their item's id and nothing is read back but the ids the
//! insert kept. The items travel by `COPY ... (FORMAT binary)` into a temporary table (one per
//! connection, emptied at each commit) and enter `feedback` by one `INSERT ... SELECT ... ON
//! CONFLICT DO NOTHING RETURNING id`, which keeps the dedup by (source, external id) exact under
//! concurrent imports. The kept items' rule tags and facts rows go straight into their tables
//! by `COPY`: their ids are new, so nothing there can conflict, and the facts are packed here
//! (as `trove_store::pack_new_item` packs them) instead of being re-read from `feedback_themes`.

use std::collections::HashSet;

use postgres::Transaction;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use trove_domain::FeedbackItem;
use trove_store::{RuleTag, TotalsDelta, pack_new_item};

use crate::decode::label_text;
use crate::feedback::{Columns, TagsByKey, key};

/// The staging table: `feedback`'s columns as COPY sends them (attributes as text, cast to
/// JSONB on the way into `feedback`).
const STAGE_SQL: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS feedback_stage (id BIGINT, source TEXT,
        external_id TEXT, channel TEXT, received_at BIGINT, received_offset INTEGER, customer_id TEXT,
        account TEXT, business_unit TEXT, product TEXT, region TEXT, touchpoint TEXT, journey_stage TEXT,
        text TEXT, nps SMALLINT, csat SMALLINT, ces SMALLINT, language TEXT, attributes TEXT, sentiment REAL,
        suggestion BOOLEAN)
    ON COMMIT DELETE ROWS";

/// The types of the staging table's columns, in order.
const STAGE_TYPES: [Type; 21] = [
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT2,
    Type::INT2,
    Type::INT2,
    Type::TEXT,
    Type::TEXT,
    Type::FLOAT4,
    Type::BOOL,
];

const STAGE_COPY: &str = "COPY pg_temp.feedback_stage (id, source, external_id, channel, received_at,
        received_offset, customer_id, account, business_unit, product, region, touchpoint, journey_stage,
        text, nps, csat, ces, language, attributes, sentiment, suggestion) FROM STDIN (FORMAT binary)";

/// Moves the staged items into `feedback` in id order; `$1` is the import run.
const INSERT_SQL: &str = "INSERT INTO feedback (id, source, external_id, channel, received_at, received_offset,
        customer_id, account, business_unit, product, region, touchpoint, journey_stage, text, nps, csat,
        ces, language, attributes, import_run_id, sentiment, suggestion)
    OVERRIDING SYSTEM VALUE
    SELECT id, source, external_id, channel, received_at, received_offset, customer_id, account,
        business_unit, product, region, touchpoint, journey_stage, text, nps, csat, ces, language,
        attributes::jsonb, $1::bigint, sentiment, suggestion
    FROM pg_temp.feedback_stage ORDER BY id
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING id";

/// `$1` ids from `feedback`'s identity sequence, in increasing order.
const RESERVE_SQL: &str = "SELECT nextval(seq) FROM
        (SELECT pg_get_serial_sequence('feedback', 'id')::regclass AS seq OFFSET 0) AS s,
        generate_series(1, $1::bigint) ORDER BY 1";

const TAGS_COPY: &str = "COPY feedback_themes (feedback_id, theme_id, origin, phrase, start_offset,
        end_offset, taxonomy_version, sentiment) FROM STDIN (FORMAT binary)";

const TAG_TYPES: [Type; 8] = [
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::FLOAT4,
];

const FACTS_COPY: &str = "COPY feedback_facts (id, received_at, source, channel, customer_id,
        business_unit, journey_stage, touchpoint, region, product, nps, csat, ces, sentiment, themes)
    FROM STDIN (FORMAT binary)";

const FACT_TYPES: [Type; 15] = [
    Type::INT8,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT2,
    Type::INT2,
    Type::INT2,
    Type::FLOAT4,
    Type::TEXT,
];

/// Inserts the unique items of a batch (`unique`, whose fields `columns` holds) with their rule
/// tags (by key, from `tags`) and facts, in the caller's transaction; returns the stored items
/// with their ids, in batch order.
pub(crate) fn insert_new<'a>(
    tx: &mut Transaction<'_>,
    unique: &[&'a FeedbackItem],
    columns: &Columns<'_>,
    import_run: Option<i64>,
    tags: TagsByKey<'_, 'a>,
) -> Result<Vec<(i64, &'a FeedbackItem)>, postgres::Error> {
    let count = i64::try_from(unique.len()).unwrap_or(i64::MAX);
    let ids: Vec<i64> = tx
        .query(RESERVE_SQL, &[&count])?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    tx.batch_execute(STAGE_SQL)?;
    let mut stage = BinaryCopyInWriter::new(tx.copy_in(STAGE_COPY)?, &STAGE_TYPES);
    for (index, id) in ids.iter().enumerate() {
        let mut row: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(STAGE_TYPES.len());
        row.push(id);
        row.extend(columns.row(index));
        stage.write(&row)?;
    }
    stage.finish()?;
    let kept: HashSet<i64> = tx
        .query(INSERT_SQL, &[&import_run])?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let stored: Vec<(i64, &FeedbackItem)> = ids
        .iter()
        .zip(unique)
        .filter(|(id, _)| kept.contains(id))
        .map(|(id, item)| (*id, *item))
        .collect();
    let item_tags: Vec<&[RuleTag]> = stored
        .iter()
        .map(|(_, item)| {
            tags.and_then(|(tags_of, _)| tags_of.get(&key(item)).copied())
                .unwrap_or_default()
        })
        .collect();
    if let Some((_, version)) = tags {
        copy_tags(tx, &stored, &item_tags, version)?;
    }
    copy_facts(tx, &stored, &item_tags)?;
    let added = TotalsDelta::of(stored.iter().map(|(_, item)| *item));
    crate::totals::add_new(tx, &added)?;
    Ok(stored)
}

/// The first rule tag of each theme (the table keeps one per item, theme and origin).
fn first_per_theme(tags: &[RuleTag]) -> impl Iterator<Item = &RuleTag> {
    tags.iter()
        .enumerate()
        .filter(|(index, tag)| !tags[..*index].iter().any(|t| t.theme == tag.theme))
        .map(|(_, tag)| tag)
}

/// Writes the rule tags of new items (`item_tags[i]` are those of `stored[i]`).
fn copy_tags(
    tx: &mut Transaction<'_>,
    stored: &[(i64, &FeedbackItem)],
    item_tags: &[&[RuleTag]],
    version: i64,
) -> Result<(), postgres::Error> {
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(TAGS_COPY)?, &TAG_TYPES);
    for ((id, _), tags) in stored.iter().zip(item_tags) {
        for tag in first_per_theme(tags) {
            writer.write(&[
                id,
                &tag.theme.as_str(),
                &"rule",
                &tag.phrase,
                &i64::from(tag.start),
                &i64::from(tag.end),
                &version,
                &tag.sentiment,
            ])?;
        }
    }
    writer.finish()?;
    Ok(())
}

/// Writes the facts rows of new items (`item_tags[i]` are the rule tags of `stored[i]`).
fn copy_facts(
    tx: &mut Transaction<'_>,
    stored: &[(i64, &FeedbackItem)],
    item_tags: &[&[RuleTag]],
) -> Result<(), postgres::Error> {
    let label = label_text;
    let score = |value: Option<u8>| value.map(i16::from);
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(FACTS_COPY)?, &FACT_TYPES);
    for ((id, item), tags) in stored.iter().zip(item_tags) {
        let themes = pack_new_item(tags, &item.source_themes);
        writer.write(&[
            id,
            &item.received_at.unix_seconds(),
            &item.source.as_str(),
            &item.channel.as_str(),
            &item
                .customer_id
                .as_ref()
                .map(trove_domain::CustomerId::as_str),
            &label(&item.business_unit),
            &label(&item.journey_stage),
            &label(&item.touchpoint),
            &label(&item.region),
            &label(&item.product),
            &score(item.scores.nps.map(u8::from)),
            &score(item.scores.csat.map(u8::from)),
            &score(item.scores.ces.map(u8::from)),
            &item.sentiment,
            &themes,
        ])?;
    }
    writer.finish()?;
    Ok(())
}
