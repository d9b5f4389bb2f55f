//! Storing a batch of new feedback by binary `COPY`: the import's write path.
//!
//! The batch's ids are reserved from the table's sequence first, so the rows that follow (rule
//! tags, facts) are written knowing their item's id and nothing is read back. The keys already
//! stored are looked up first (one query through the unique index); the others travel by
//! `COPY ... (FORMAT binary)` straight into `feedback`, and their rule tags and facts rows into
//! their tables: their ids are new, so nothing there can conflict, and the facts are packed here
//! (as `trove_store::pack_new_item` packs them) instead of being re-read from `feedback_themes`.
//! The tags name their theme by its number (`theme_numbers`, migration 0031), looked up once
//! for the batch.
//! A concurrent import storing one of the keys between the look-up and the `COPY` makes the
//! `COPY` fail on the unique index; the caller then writes the batch again, and the look-up
//! sees that key. The first attempt looks up only a sample of the keys ([`KeyCheck`]).

use std::collections::HashSet;
use std::error::Error;

use bytes::{BufMut, BytesMut};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Transaction};
use rustc_hash::FxHashMap;
use trove_domain::FeedbackItem;
use trove_store::{RuleTag, pack_new_item};

use crate::decode::label_text;
use crate::feedback::{Columns, TagsByKey, key};

/// The batch's keys already in `feedback`; `$1` and `$2` are the sources and external ids.
const STORED_KEYS_SQL: &str = "SELECT f.source, f.external_id FROM feedback f
    JOIN unnest($1::text[], $2::text[]) AS b (source, external_id)
        ON f.source = b.source AND f.external_id = b.external_id";

const FEEDBACK_COPY: &str = "COPY feedback (id, source, external_id, channel, received_at,
        received_offset, customer_id, account, business_unit, product, region, touchpoint, journey_stage,
        text, nps, csat, ces, language, sentiment, suggestion, attributes, import_run_id)
    FROM STDIN (FORMAT binary)";

/// The types of [`FEEDBACK_COPY`]'s columns, in order.
const FEEDBACK_TYPES: [Type; 22] = [
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
    Type::FLOAT4,
    Type::BOOL,
    Type::JSONB,
    Type::INT8,
];

/// JSON text sent as a JSONB value (binary format: version 1, then the text; the server parses
/// and checks it).
#[derive(Debug)]
struct Jsonb<'a>(&'a str);

impl ToSql for Jsonb<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.put_u8(1);
        out.put_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB
    }

    to_sql_checked!();
}

/// `$1` ids from `feedback`'s identity sequence, in increasing order.
const RESERVE_SQL: &str = "SELECT nextval(seq) FROM
        (SELECT pg_get_serial_sequence('feedback', 'id')::regclass AS seq OFFSET 0) AS s,
        generate_series(1, $1::bigint) ORDER BY 1";

const TAGS_COPY: &str = "COPY feedback_tags (feedback_id, theme, origin, phrase, start_offset,
        end_offset, taxonomy_version, sentiment) FROM STDIN (FORMAT binary)";

const TAG_TYPES: [Type; 8] = [
    Type::INT8,
    Type::INT4,
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

/// `count` new ids for a batch's items, in increasing order (so the items keep their batch
/// order whichever connection writes them).
pub(crate) fn reserve_ids(client: &mut Client, count: usize) -> Result<Vec<i64>, postgres::Error> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    client
        .query(RESERVE_SQL, &[&count])?
        .iter()
        .map(|row| row.try_get(0))
        .collect()
}

/// How a write finds the batch's keys already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// A few keys spread over the batch are looked up first; when none of them is stored, the
    /// batch goes out without looking the others up. Its `COPY` then fails on the unique index
    /// if one is stored after all, and the caller writes the batch again with [`KeyCheck::All`].
    /// A first import (nothing stored) saves the look-up, which took 10-17% of the server's
    /// statement time over the 1M real texts: the unique index is probed by the insert anyway.
    Sample,
    /// Every key is looked up.
    All,
}

/// How many keys [`KeyCheck::Sample`] looks up: enough to see a batch that overlaps what is
/// stored by more than a few percent (a repeated or overlapping export) before sending it.
const SAMPLED_KEYS: usize = 16;

/// The batch's keys (`sources[i]`, `external_ids[i]`) already in `feedback`, looked up as
/// `check` says.
fn stored_keys(
    tx: &mut Transaction<'_>,
    sources: &[&str],
    external_ids: &[&str],
    check: KeyCheck,
) -> Result<Vec<(String, String)>, postgres::Error> {
    if check == KeyCheck::Sample {
        let step = (sources.len() / SAMPLED_KEYS).max(1);
        let sources: Vec<&str> = sources.iter().step_by(step).copied().collect();
        let external_ids: Vec<&str> = external_ids.iter().step_by(step).copied().collect();
        if tx
            .query(STORED_KEYS_SQL, &[&sources, &external_ids])?
            .is_empty()
        {
            return Ok(Vec::new());
        }
    }
    tx.query(STORED_KEYS_SQL, &[&sources, &external_ids])?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// Inserts the unique items of a batch (`unique`, whose fields `columns` holds) under the ids
/// `ids` (reserved by [`reserve_ids`]) in the caller's transaction, skipping the keys already
/// stored (found as `check` says); returns the stored items with their ids, in batch order.
/// Their tags and facts follow by [`copy_tags`] and [`copy_facts`].
pub(crate) fn insert_new<'a>(
    tx: &mut Transaction<'_>,
    unique: &[&'a FeedbackItem],
    ids: &[i64],
    columns: &Columns<'_>,
    import_run: Option<i64>,
    check: KeyCheck,
) -> Result<Vec<(i64, &'a FeedbackItem)>, postgres::Error> {
    let (sources, external_ids) = columns.keys();
    let stored_rows = stored_keys(tx, sources, external_ids, check)?;
    // Borrowed, so that looking up each item of a batch copies nothing.
    let stored_keys: HashSet<(&str, &str)> = stored_rows
        .iter()
        .map(|(source, external_id)| (source.as_str(), external_id.as_str()))
        .collect();
    let is_new = |item: &FeedbackItem| !stored_keys.contains(&key(item));
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(FEEDBACK_COPY)?, &FEEDBACK_TYPES);
    let mut stored: Vec<(i64, &FeedbackItem)> = Vec::with_capacity(unique.len());
    for (index, (id, item)) in ids.iter().zip(unique).enumerate() {
        if !stored_keys.is_empty() && !is_new(item) {
            continue;
        }
        let attributes = columns.attributes(index).map(Jsonb);
        let mut row: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(FEEDBACK_TYPES.len());
        row.push(id);
        row.extend(columns.row(index));
        row.push(&attributes);
        row.push(&import_run);
        writer.write(&row)?;
        stored.push((*id, *item));
    }
    writer.finish()?;
    Ok(stored)
}

/// The rule tags of each stored item, by key from `tags` (none without them).
pub(crate) fn tags_of_stored<'a>(
    stored: &[(i64, &'a FeedbackItem)],
    tags: TagsByKey<'_, 'a>,
) -> Vec<&'a [RuleTag]> {
    stored
        .iter()
        .map(|(_, item)| {
            tags.and_then(|(tags_of, _)| tags_of.get(&key(item)).copied())
                .unwrap_or_default()
        })
        .collect()
}

/// The first rule tag of each theme (the table keeps one per item, theme and origin).
fn first_per_theme(tags: &[RuleTag]) -> impl Iterator<Item = &RuleTag> {
    tags.iter()
        .enumerate()
        .filter(|(index, tag)| !tags[..*index].iter().any(|t| t.theme == tag.theme))
        .map(|(_, tag)| tag)
}

/// Writes the rule tags of new items (`item_tags[i]` are those of `stored[i]`).
pub(crate) fn copy_tags(
    tx: &mut Transaction<'_>,
    stored: &[(i64, &FeedbackItem)],
    item_tags: &[&[RuleTag]],
    version: i64,
) -> Result<(), postgres::Error> {
    let numbers = theme_numbers(tx, item_tags)?;
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(TAGS_COPY)?, &TAG_TYPES);
    for ((id, _), tags) in stored.iter().zip(item_tags) {
        for tag in first_per_theme(tags) {
            // A theme without a number (none in `themes`) is sent as NULL, which the column
            // refuses: the batch fails as a tag naming no theme failed before.
            let theme = numbers.get(tag.theme.as_str()).copied();
            writer.write(&[
                id,
                &theme,
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

/// The numbers of the themes that `item_tags` name, by theme id.
fn theme_numbers(
    tx: &mut Transaction<'_>,
    item_tags: &[&[RuleTag]],
) -> Result<FxHashMap<String, i32>, postgres::Error> {
    let mut themes: Vec<&str> = item_tags
        .iter()
        .flat_map(|tags| tags.iter().map(|tag| tag.theme.as_str()))
        .collect();
    themes.sort_unstable();
    themes.dedup();
    tx.query(
        "SELECT theme_id, id FROM theme_numbers WHERE theme_id = ANY($1)",
        &[&themes],
    )?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect()
}

/// Writes the facts rows of new items (`item_tags[i]` are the rule tags of `stored[i]`).
pub(crate) fn copy_facts(
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
