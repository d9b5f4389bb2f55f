//! Feedback: batch inserts, filtered counts and scans, and tallies computed by `GROUP BY`.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Row};
use trove_domain::{
    Attributes, CustomerId, ExternalId, FeedbackItem, FeedbackText, Label, ReceivedAt, Scores,
    Slug, StoredFeedback,
};
use trove_store::{
    Dimension, FeedbackFilter, GroupTally, InsertOutcome, Laps, PageVisitor, RuleTag, StoreError,
    StoreResult, TotalsDelta, WriteStages,
};

use crate::bulk::KeyCheck;
use crate::decode::{Corrupt, count, db_error, get, group_tally, label_text};
use crate::pool::Pool;

/// A query parameter owned by the query being built.
pub(crate) type Param = Box<dyn ToSql + Sync>;

pub(crate) fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// The WHERE clause (`WHERE TRUE AND ...`, so callers can append conditions) and its
/// parameters, numbered from `$1`.
pub(crate) fn where_clause(filter: &FeedbackFilter) -> (String, Vec<Param>) {
    let mut sql = String::from(" WHERE TRUE");
    let mut params: Vec<Param> = Vec::new();
    let mut add = |condition: &str, param: Param| {
        params.push(param);
        sql.push_str(&format!(" AND {condition} ${}", params.len()));
    };
    if let Some(since) = filter.since {
        add("received_at >=", Box::new(since));
    }
    if let Some(until) = filter.until {
        add("received_at <", Box::new(until));
    }
    if let Some(source) = &filter.source {
        add("source =", Box::new(source.clone()));
    }
    if let Some(channel) = filter.channel {
        add("channel =", Box::new(channel.as_str()));
    }
    if let Some(business_unit) = &filter.business_unit {
        add("business_unit =", Box::new(business_unit.clone()));
    }
    if let Some(stage) = &filter.journey_stage {
        add("journey_stage =", Box::new(stage.clone()));
    }
    if let Some(touchpoint) = &filter.touchpoint {
        add("touchpoint =", Box::new(touchpoint.clone()));
    }
    if let Some(segment) = &filter.segment {
        add(
            "customer_id IN (SELECT id FROM customers WHERE segment =",
            Box::new(segment.clone()),
        );
        sql.push(')');
    }
    (sql, params)
}

/// One multi-row insert: the batch travels as one array per column and is unnested in the
/// database, so a batch of thousands is one statement and one round trip. `WITH ORDINALITY`
/// and `ORDER BY` keep ids in batch order.
const INSERT_SQL: &str = "INSERT INTO feedback (source, external_id, channel, received_at, received_offset,
        customer_id, account, business_unit, product, region, touchpoint, journey_stage, text, nps, csat, ces,
        language, attributes, import_run_id, sentiment, suggestion)
    SELECT source, external_id, channel, received_at, received_offset, customer_id, account, business_unit,
        product, region, touchpoint, journey_stage, text, nps, csat, ces, language, attributes::jsonb, $19::bigint,
        sentiment, suggestion
    FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::smallint[],
        $15::smallint[], $16::smallint[], $17::text[], $18::text[], $20::real[], $21::boolean[])
        WITH ORDINALITY AS batch (source, external_id, channel, received_at, received_offset, customer_id,
        account, business_unit, product, region, touchpoint, journey_stage, text, nps, csat, ces, language,
        attributes, sentiment, suggestion, ord)
    ORDER BY ord
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING id, source, external_id";

fn labels<'a>(
    items: &[&'a FeedbackItem],
    field: impl Fn(&'a FeedbackItem) -> &'a Option<Label>,
) -> Vec<Option<&'a str>> {
    items.iter().map(|item| label_text(field(item))).collect()
}

fn score(value: Option<impl Into<u8>>) -> Option<i16> {
    value.map(|v| i16::from(v.into()))
}

/// A batch as one array per column, the parameters of [`INSERT_SQL`] and [`UPDATE_SQL`].
pub(crate) struct Columns<'a> {
    sources: Vec<&'a str>,
    external_ids: Vec<&'a str>,
    channels: Vec<&'a str>,
    received_at: Vec<i64>,
    offsets: Vec<i32>,
    customers: Vec<Option<&'a str>>,
    accounts: Vec<Option<&'a str>>,
    units: Vec<Option<&'a str>>,
    products: Vec<Option<&'a str>>,
    regions: Vec<Option<&'a str>>,
    touchpoints: Vec<Option<&'a str>>,
    stages: Vec<Option<&'a str>>,
    texts: Vec<&'a str>,
    nps: Vec<Option<i16>>,
    csat: Vec<Option<i16>>,
    ces: Vec<Option<i16>>,
    languages: Vec<Option<&'a str>>,
    attributes: Vec<Option<String>>,
    sentiments: Vec<Option<f32>>,
    suggestions: Vec<bool>,
}

impl<'a> Columns<'a> {
    pub(crate) fn new(unique: &[&'a FeedbackItem], context: &'static str) -> StoreResult<Self> {
        Ok(Self {
            sources: unique.iter().map(|i| i.source.as_str()).collect(),
            external_ids: unique.iter().map(|i| i.external_id.as_str()).collect(),
            channels: unique.iter().map(|i| i.channel.as_str()).collect(),
            received_at: unique
                .iter()
                .map(|i| i.received_at.unix_seconds())
                .collect(),
            offsets: unique
                .iter()
                .map(|i| i.received_at.offset_seconds())
                .collect(),
            customers: unique
                .iter()
                .map(|i| i.customer_id.as_ref().map(CustomerId::as_str))
                .collect(),
            accounts: labels(unique, |i| &i.account),
            units: labels(unique, |i| &i.business_unit),
            products: labels(unique, |i| &i.product),
            regions: labels(unique, |i| &i.region),
            touchpoints: labels(unique, |i| &i.touchpoint),
            stages: labels(unique, |i| &i.journey_stage),
            texts: unique.iter().map(|i| i.text.as_str()).collect(),
            nps: unique.iter().map(|i| score(i.scores.nps)).collect(),
            csat: unique.iter().map(|i| score(i.scores.csat)).collect(),
            ces: unique.iter().map(|i| score(i.scores.ces)).collect(),
            languages: labels(unique, |i| &i.language),
            attributes: unique
                .iter()
                .map(|i| {
                    if i.attributes.is_empty() {
                        Ok(None)
                    } else {
                        serde_json::to_string(&i.attributes)
                            .map(Some)
                            .map_err(|e| db_error(context, e))
                    }
                })
                .collect::<StoreResult<_>>()?,
            sentiments: unique.iter().map(|i| i.sentiment).collect(),
            suggestions: unique.iter().map(|i| i.suggestion).collect(),
        })
    }

    /// The 18 arrays of the item's fields, in [`INSERT_SQL`]'s order ($1 to $18).
    fn fields(&self) -> [&(dyn ToSql + Sync); 18] {
        [
            &self.sources,
            &self.external_ids,
            &self.channels,
            &self.received_at,
            &self.offsets,
            &self.customers,
            &self.accounts,
            &self.units,
            &self.products,
            &self.regions,
            &self.touchpoints,
            &self.stages,
            &self.texts,
            &self.nps,
            &self.csat,
            &self.ces,
            &self.languages,
            &self.attributes,
        ]
    }

    /// The sources and external ids, the items' keys.
    pub(crate) fn keys(&self) -> (&[&'a str], &[&'a str]) {
        (&self.sources, &self.external_ids)
    }

    /// The attributes of item `index` as JSON text, `None` when it has none.
    pub(crate) fn attributes(&self, index: usize) -> Option<&str> {
        self.attributes[index].as_deref()
    }

    /// The fields of item `index` but its attributes, as a row for `COPY` (in the order of
    /// [`Self::fields`], then the sentiment and the suggestion flag).
    pub(crate) fn row(&self, index: usize) -> [&(dyn ToSql + Sync); 19] {
        [
            &self.sources[index],
            &self.external_ids[index],
            &self.channels[index],
            &self.received_at[index],
            &self.offsets[index],
            &self.customers[index],
            &self.accounts[index],
            &self.units[index],
            &self.products[index],
            &self.regions[index],
            &self.touchpoints[index],
            &self.stages[index],
            &self.texts[index],
            &self.nps[index],
            &self.csat[index],
            &self.ces[index],
            &self.languages[index],
            &self.sentiments[index],
            &self.suggestions[index],
        ]
    }

    /// The parameters of [`INSERT_SQL`].
    fn insert_params<'p>(&'p self, import_run: &'p Option<i64>) -> Vec<&'p (dyn ToSql + Sync)> {
        let mut params = self.fields().to_vec();
        params.push(import_run);
        params.push(&self.sentiments);
        params.push(&self.suggestions);
        params
    }

    /// The parameters of [`UPDATE_SQL`].
    fn update_params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let mut params = self.fields().to_vec();
        params.push(&self.sentiments);
        params.push(&self.suggestions);
        params
    }
}

/// The rule tags of a batch (`tags[i]` are those of `batch[i]`) and their taxonomy version.
pub(crate) type BatchTags<'a> = Option<(&'a [Vec<RuleTag>], i64)>;

/// The rule tags of each key of a batch, and their taxonomy version.
pub(crate) type TagsByKey<'m, 'a> = Option<(&'m HashMap<(&'a str, &'a str), &'a [RuleTag]>, i64)>;

/// Inserts a batch (and, with `tags`, the rule tags of the items it inserts): the ids are
/// reserved first (see [`crate::bulk`]), nothing is read again. The time each part took is
/// added to `stages`, failed attempts included.
///
/// A large batch is written in two halves on two connections at once, each half in its own
/// transaction: the server's work per item (one backend, one core) bounds the import, and the
/// machine has another core. The ids are reserved for the whole batch first, so the stored
/// result is the same whichever half commits first; each half is whole or absent, so an
/// interrupted import leaves complete items, which a repeated import skips.
pub(crate) fn insert(
    pool: &Pool,
    batch: &[FeedbackItem],
    import_run: Option<i64>,
    tags: BatchTags<'_>,
    stages: &Mutex<WriteStages>,
) -> StoreResult<InsertOutcome> {
    let context = "inserting feedback";
    let mut laps = Laps::start();
    // Only the first occurrence of a (source, external id) is sent: later ones are duplicates
    // whatever the database holds.
    let mut seen = HashSet::with_capacity(batch.len());
    let unique: Vec<&FeedbackItem> = batch
        .iter()
        .filter(|item| seen.insert((item.source.as_str(), item.external_id.as_str())))
        .collect();
    // The tags of each key's first occurrence, the one sent.
    let mut tags_of: HashMap<(&str, &str), &[RuleTag]> = HashMap::new();
    if let Some((tags, _)) = tags {
        for (item, item_tags) in batch.iter().zip(tags) {
            tags_of.entry(key(item)).or_insert(item_tags.as_slice());
        }
    }
    let mut first = pool.get()?;
    let ids =
        crate::bulk::reserve_ids(&mut first, unique.len()).map_err(|e| db_error(context, e))?;
    let whole = Share {
        unique: &unique,
        ids: &ids,
        import_run,
        tags: tags.map(|(_, version)| (&tags_of, version)),
    };
    let mut spent = WriteStages {
        feedback: laps.lap(),
        side_by_side: 1,
        ..WriteStages::default()
    };
    let second = if unique.len() >= PARALLEL_FROM {
        pool.try_get()
    } else {
        None
    };
    let inserted = match second {
        None => write_with_retries(&mut first, whole, &mut spent),
        Some(mut second) => {
            let (low, high) = whole.halves();
            let mut high_spent = WriteStages::default();
            let (low, high) = std::thread::scope(|scope| {
                let high = scope.spawn(|| write_with_retries(&mut second, high, &mut high_spent));
                let low = write_with_retries(&mut first, low, &mut spent);
                (low, high.join())
            });
            spent += &high_spent;
            spent.side_by_side = 2;
            let high = high.unwrap_or_else(|_| {
                Err(StoreError::database(
                    context,
                    "the thread writing half of the batch panicked",
                ))
            });
            low.and_then(|low| Ok(low + high?))
        }
    };
    *stages.lock().unwrap_or_else(PoisonError::into_inner) += &spent;
    let inserted = inserted?;
    Ok(InsertOutcome {
        inserted,
        duplicates: batch.len() as u64 - inserted,
        replaced: 0,
    })
}

/// The smallest batch written on two connections; below it the second transaction's fixed
/// cost outweighs the gain.
const PARALLEL_FROM: usize = 1_000;

/// What one connection writes of a batch: its unique items under their reserved ids, with the
/// import run and the rule tags (by key) they are stored with.
#[derive(Clone, Copy)]
struct Share<'s, 'a> {
    unique: &'s [&'a FeedbackItem],
    ids: &'s [i64],
    import_run: Option<i64>,
    tags: TagsByKey<'s, 'a>,
}

impl Share<'_, '_> {
    /// The low and the high half of the items.
    fn halves(self) -> (Self, Self) {
        let half = self.unique.len() / 2;
        let low = Self {
            unique: &self.unique[..half],
            ids: &self.ids[..half],
            ..self
        };
        let high = Self {
            unique: &self.unique[half..],
            ids: &self.ids[half..],
            ..self
        };
        (low, high)
    }
}

/// Writes a share of a batch (see [`write_batch`]), again when the database aborts the
/// transaction because of a concurrent writer; returns how many items were new. Adds the time
/// of each part of every attempt to `spent`.
fn write_with_retries(
    client: &mut Client,
    share: Share<'_, '_>,
    spent: &mut WriteStages,
) -> StoreResult<u64> {
    let context = "inserting feedback";
    let columns = Columns::new(share.unique, context)?;
    let mut attempt = 1;
    loop {
        // Two imports storing overlapping items in different orders can deadlock, or store a
        // key between this one's look-up and its COPY, and the first attempt looks only a
        // sample of the keys up (see `KeyCheck`), so it can send a stored one; the database
        // then aborts the transaction, and running it again (under the same ids, which the
        // aborted attempt did not keep; every key looked up) is safe.
        let check = if attempt == 1 {
            KeyCheck::Sample
        } else {
            KeyCheck::All
        };
        match write_batch(client, share, &columns, check, spent) {
            Ok(inserted) => return Ok(inserted),
            Err(e) if attempt < INSERT_ATTEMPTS && is_race(&e) => attempt += 1,
            Err(e) => return Err(db_error(context, e)),
        }
    }
}

/// How often a batch is tried when the database aborts it (a concurrent writer, or a stored key
/// the first attempt's sample missed).
const INSERT_ATTEMPTS: u32 = 5;

/// A deadlock, a serialization failure, or a stored key sent again (stored by another
/// transaction meanwhile, or missed by the first attempt's sample).
fn is_race(error: &postgres::Error) -> bool {
    error.code().is_some_and(|code| {
        *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::UNIQUE_VIOLATION
    })
}

/// Inserts a share of a batch under its reserved ids (by `COPY`, see [`crate::bulk`]), links
/// their source themes and stores the rule tags, facts and running totals of the new ones, in
/// one transaction, each part timed into `spent`; returns how many items were new.
fn write_batch(
    client: &mut Client,
    share: Share<'_, '_>,
    columns: &Columns<'_>,
    check: KeyCheck,
    spent: &mut WriteStages,
) -> Result<u64, postgres::Error> {
    let mut laps = Laps::start();
    let mut tx = client.transaction()?;
    let stored = crate::bulk::insert_new(
        &mut tx,
        share.unique,
        share.ids,
        columns,
        share.import_run,
        check,
    )?;
    spent.feedback += laps.lap();
    let item_tags = crate::bulk::tags_of_stored(&stored, share.tags);
    if let Some((_, version)) = share.tags {
        crate::bulk::copy_tags(&mut tx, &stored, &item_tags, version)?;
    }
    link_source_themes(&mut tx, &stored)?;
    spent.tags += laps.lap();
    crate::bulk::copy_facts(&mut tx, &stored, &item_tags)?;
    crate::results::bump(&mut tx)?;
    spent.facts += laps.lap();
    crate::totals::add_new(
        &mut tx,
        &TotalsDelta::of(stored.iter().map(|(_, item)| *item)),
    )?;
    spent.totals += laps.lap();
    tx.commit()?;
    spent.commit += laps.lap();
    spent.batches += 1;
    Ok(stored.len() as u64)
}

/// The stored items a `RETURNING id, source, external_id` names, found in the batch by key.
fn stored_items<'a>(
    rows: &[Row],
    by_key: &HashMap<(&str, &str), &'a FeedbackItem>,
) -> StoreResult<Vec<(i64, &'a FeedbackItem)>> {
    let context = "storing feedback";
    rows.iter()
        .map(|row| {
            let id: i64 = get(row, 0, context)?;
            let source: &str = get(row, 1, context)?;
            let external_id: &str = get(row, 2, context)?;
            match by_key.get(&(source, external_id)) {
                Some(item) => Ok((id, *item)),
                None => Err(StoreError::database(
                    context,
                    format!(
                        "the database returned an item not in the batch: {source}/{external_id}"
                    ),
                )),
            }
        })
        .collect()
}

/// Links stored items to the themes their source coded (each theme created once, named as
/// the first item to mention it names it; each item linked once per theme).
fn link_source_themes(
    tx: &mut postgres::Transaction<'_>,
    stored: &[(i64, &FeedbackItem)],
) -> Result<(), postgres::Error> {
    let mut known_themes: HashSet<Slug> = HashSet::new();
    let mut theme_ids: Vec<String> = Vec::new();
    let mut theme_names: Vec<&str> = Vec::new();
    let mut link_items: Vec<i64> = Vec::new();
    let mut link_themes: Vec<Slug> = Vec::new();
    for &(id, item) in stored {
        let first_link = link_themes.len();
        for name in &item.source_themes {
            let Some(slug) = Slug::from_name(name.as_str()) else {
                continue;
            };
            if link_themes[first_link..].contains(&slug) {
                continue;
            }
            if known_themes.insert(slug.clone()) {
                theme_ids.push(slug.as_str().to_owned());
                theme_names.push(name.as_str());
            }
            link_items.push(id);
            link_themes.push(slug);
        }
    }
    if !link_items.is_empty() {
        let link_theme_ids: Vec<&str> = link_themes.iter().map(Slug::as_str).collect();
        tx.execute(
            "INSERT INTO themes (id, name) SELECT * FROM UNNEST($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING",
            &[&theme_ids, &theme_names],
        )?;
        // LEFT JOIN: a theme without a number would be NULL, which the column refuses.
        tx.execute(
            "INSERT INTO feedback_tags (feedback_id, theme, origin)
             SELECT l.feedback_id, n.id, 'source'
             FROM UNNEST($1::bigint[], $2::text[]) AS l (feedback_id, theme_id)
                LEFT JOIN theme_numbers n ON n.theme_id = l.theme_id
             ON CONFLICT DO NOTHING",
            &[&link_items, &link_theme_ids],
        )?;
    }
    Ok(())
}

/// Overwrites the stored items of the batch's keys, in one statement over unnested arrays;
/// returns `id, source, external_id` of each overwritten item.
const UPDATE_SQL: &str = "UPDATE feedback f SET channel = b.channel, received_at = b.received_at,
        received_offset = b.received_offset, customer_id = b.customer_id, account = b.account,
        business_unit = b.business_unit, product = b.product, region = b.region, touchpoint = b.touchpoint,
        journey_stage = b.journey_stage, text = b.text, nps = b.nps, csat = b.csat, ces = b.ces,
        language = b.language, attributes = b.attributes::jsonb, sentiment = b.sentiment,
        suggestion = b.suggestion
    FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::smallint[],
        $15::smallint[], $16::smallint[], $17::text[], $18::text[], $19::real[], $20::boolean[])
        AS b (source, external_id, channel, received_at, received_offset, customer_id, account, business_unit,
        product, region, touchpoint, journey_stage, text, nps, csat, ces, language, attributes, sentiment,
        suggestion)
    WHERE f.source = b.source AND f.external_id = b.external_id
    RETURNING f.id, f.source, f.external_id";

/// The dedup key of an item.
pub(crate) fn key(item: &FeedbackItem) -> (&str, &str) {
    (item.source.as_str(), item.external_id.as_str())
}

/// Stores a batch, overwriting the items already stored (see `Store::replace_feedback`), with
/// a fixed number of statements whatever the batch's size: one UPDATE of the known keys, one
/// INSERT of the others, then their source themes and rule tags, in one transaction. The
/// time each part took is added to `stages`.
pub(crate) fn replace(
    client: &mut Client,
    batch: &[FeedbackItem],
    import_run: Option<i64>,
    tags: Option<(&[Vec<RuleTag>], i64)>,
    stages: &Mutex<WriteStages>,
) -> StoreResult<InsertOutcome> {
    let mut spent = WriteStages {
        side_by_side: 1,
        ..WriteStages::default()
    };
    let replaced = replace_timed(client, batch, import_run, tags, &mut spent);
    *stages.lock().unwrap_or_else(PoisonError::into_inner) += &spent;
    replaced
}

/// [`replace`], each part's time added to `spent`.
fn replace_timed(
    client: &mut Client,
    batch: &[FeedbackItem],
    import_run: Option<i64>,
    tags: Option<(&[Vec<RuleTag>], i64)>,
    spent: &mut WriteStages,
) -> StoreResult<InsertOutcome> {
    let context = "replacing feedback";
    let mut laps = Laps::start();
    // The last occurrence of a key wins, as if the batch were stored row after row.
    let mut last: HashMap<(&str, &str), usize> = HashMap::with_capacity(batch.len());
    for (index, item) in batch.iter().enumerate() {
        last.insert((item.source.as_str(), item.external_id.as_str()), index);
    }
    let mut kept: Vec<usize> = last.values().copied().collect();
    kept.sort_unstable();
    let unique: Vec<&FeedbackItem> = kept.iter().map(|&i| &batch[i]).collect();
    let by_key: HashMap<(&str, &str), &FeedbackItem> = unique
        .iter()
        .map(|item| ((item.source.as_str(), item.external_id.as_str()), *item))
        .collect();

    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let arrays = Columns::new(&unique, context)?;
    let updated = tx
        .query(UPDATE_SQL, &arrays.update_params())
        .map_err(|e| db_error(context, e))?;
    let mut stored = stored_items(&updated, &by_key)?;
    let updated_ids: Vec<i64> = stored.iter().map(|(id, _)| *id).collect();
    tx.execute(
        "DELETE FROM feedback_tags WHERE feedback_id = ANY($1) AND origin IN ('source', 'rule')",
        &[&updated_ids],
    )
    .map_err(|e| db_error(context, e))?;
    let overwritten: HashSet<(&str, &str)> = stored.iter().map(|(_, item)| key(item)).collect();
    let new: Vec<&FeedbackItem> = unique
        .iter()
        .copied()
        .filter(|item| !overwritten.contains(&key(item)))
        .collect();
    let new_arrays = Columns::new(&new, context)?;
    let inserted = tx
        .query(INSERT_SQL, &new_arrays.insert_params(&import_run))
        .map_err(|e| db_error(context, e))?;
    let inserted_count = inserted.len() as u64;
    stored.extend(stored_items(&inserted, &by_key)?);
    spent.feedback += laps.lap();
    link_source_themes(&mut tx, &stored).map_err(|e| db_error(context, e))?;
    if let Some((tags, version)) = tags {
        let tags_of: HashMap<(&str, &str), &[RuleTag]> = kept
            .iter()
            .filter_map(|&i| Some((key(&batch[i]), tags.get(i)?.as_slice())))
            .collect();
        let items: Vec<(i64, &[RuleTag])> = stored
            .iter()
            .map(|(id, item)| (*id, tags_of.get(&key(item)).copied().unwrap_or_default()))
            .collect();
        crate::taxonomy::store_tags(&mut tx, &items, version)?;
    }
    spent.tags += laps.lap();
    let ids: Vec<i64> = stored.iter().map(|(id, _)| *id).collect();
    // The overwritten items leave the running totals as their facts stood, and come back as
    // they stand now, with the new ones.
    crate::totals::count_items(&mut tx, &ids, -1).map_err(|e| db_error(context, e))?;
    spent.totals += laps.lap();
    crate::facts::refresh(&mut tx, &ids).map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    spent.facts += laps.lap();
    crate::totals::count_items(&mut tx, &ids, 1).map_err(|e| db_error(context, e))?;
    crate::totals::prune(&mut tx).map_err(|e| db_error(context, e))?;
    spent.totals += laps.lap();
    tx.commit().map_err(|e| db_error(context, e))?;
    spent.commit += laps.lap();
    spent.batches += 1;
    let replaced = updated_ids.len() as u64;
    Ok(InsertOutcome {
        inserted: inserted_count,
        // A key repeated in the batch overwrote its earlier occurrence.
        replaced: replaced + (batch.len() - unique.len()) as u64,
        // Stored by someone else between the UPDATE and the INSERT.
        duplicates: (new.len() as u64).saturating_sub(inserted_count),
    })
}

pub(crate) fn count_matching(client: &mut Client, filter: &FeedbackFilter) -> StoreResult<u64> {
    let context = "counting feedback";
    let (where_sql, params) = where_clause(filter);
    let row = client
        .query_one(
            &format!("SELECT count(*) FROM feedback{where_sql}"),
            &refs(&params),
        )
        .map_err(|e| db_error(context, e))?;
    count(&row, 0, context)
}

/// The columns [`decode_feedback`] reads, in order.
pub(crate) const FEEDBACK_COLUMNS: &str = "id, source, external_id, channel, received_at, received_offset, customer_id,
    account, business_unit, product, region, touchpoint, journey_stage, text, nps, csat, ces, language,
    attributes::text, sentiment, suggestion";

pub(crate) fn scan(
    pool: &Pool,
    filter: &FeedbackFilter,
    page_size: usize,
    visit: &mut PageVisitor<'_, StoredFeedback>,
) -> StoreResult<()> {
    let context = "reading feedback";
    let (where_sql, mut params) = where_clause(filter);
    let sql = format!(
        "SELECT {FEEDBACK_COLUMNS} FROM feedback{where_sql} AND id > ${} ORDER BY id LIMIT ${}",
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
            let rows = rows.map_err(|e| db_error(context, e))?;
            let mut page = rows
                .iter()
                .map(decode_feedback)
                .collect::<StoreResult<Vec<_>>>()?;
            attach_source_themes(&mut client, &mut page)?;
            Ok(page)
        },
        |stored| stored.id,
        visit,
    )
}

/// Keyset pagination over ids: `fetch(last_id, limit)` reads the page after `last_id`; the
/// visitor runs with no connection held, until a short page or a stop.
pub(crate) fn visit_pages<T>(
    page_size: usize,
    mut fetch: impl FnMut(i64, usize) -> StoreResult<Vec<T>>,
    id: impl Fn(&T) -> i64,
    visit: &mut PageVisitor<'_, T>,
) -> StoreResult<()> {
    let page_size = page_size.max(1);
    let mut last_id = 0_i64;
    loop {
        let page = fetch(last_id, page_size)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        last_id = id(last);
        let full = page.len() == page_size;
        if visit(page).is_break() || !full {
            return Ok(());
        }
    }
}

pub(crate) fn decode_feedback(row: &Row) -> StoreResult<StoredFeedback> {
    let context = "reading feedback";
    let id: i64 = get(row, 0, context)?;
    let c = Corrupt {
        table: "feedback",
        row: &id,
    };
    let text = |index: usize| -> StoreResult<Option<String>> { get(row, index, context) };
    let required = |index: usize| -> StoreResult<String> { get(row, index, context) };
    let score = |index: usize| -> StoreResult<Option<i64>> {
        let value: Option<i16> = get(row, index, context)?;
        Ok(value.map(i64::from))
    };
    let source = required(1)?;
    let external_id = required(2)?;
    let channel = required(3)?;
    let received_at: i64 = get(row, 4, context)?;
    let received_offset: i32 = get(row, 5, context)?;
    let attributes = match text(18)? {
        None => Attributes::default(),
        Some(json) => decode_attributes(&c, &json)?,
    };
    let item = FeedbackItem {
        source: c.check("source", Label::parse("source", &source))?,
        channel: c.check("channel", channel.parse())?,
        external_id: c.check("external_id", ExternalId::parse(&external_id))?,
        received_at: c.check(
            "received_at",
            ReceivedAt::from_parts(received_at, received_offset),
        )?,
        customer_id: text(6)?
            .map(|raw| c.check("customer_id", CustomerId::parse(&raw)))
            .transpose()?,
        account: c.label("account", text(7)?)?,
        business_unit: c.label("business_unit", text(8)?)?,
        product: c.label("product", text(9)?)?,
        region: c.label("region", text(10)?)?,
        touchpoint: c.label("touchpoint", text(11)?)?,
        journey_stage: c.label("journey_stage", text(12)?)?,
        text: c.check("text", FeedbackText::parse(&required(13)?))?,
        sentiment: get(row, 19, context)?,
        suggestion: get(row, 20, context)?,
        scores: Scores {
            nps: score(14)?
                .map(|v| c.check("nps", v.try_into()))
                .transpose()?,
            csat: score(15)?
                .map(|v| c.check("csat", v.try_into()))
                .transpose()?,
            ces: score(16)?
                .map(|v| c.check("ces", v.try_into()))
                .transpose()?,
        },
        language: c.label("language", text(17)?)?,
        source_themes: Vec::new(),
        attributes,
    };
    Ok(StoredFeedback { id, item })
}

/// Attributes stored as a JSON object of strings, checked again on the way out.
fn decode_attributes(c: &Corrupt<'_>, json: &str) -> StoreResult<Attributes> {
    let map: std::collections::BTreeMap<String, String> = match serde_json::from_str(json) {
        Ok(map) => map,
        Err(e) => return c.invalid("attributes", json, e),
    };
    let mut attributes = Attributes::default();
    for (key, value) in &map {
        c.check("attributes", attributes.insert(key, value))?;
    }
    Ok(attributes)
}

/// Fills in the source-coded themes (by display name) of a page of items with one query.
fn attach_source_themes(client: &mut Client, page: &mut [StoredFeedback]) -> StoreResult<()> {
    let context = "reading feedback themes";
    if page.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = page.iter().map(|s| s.id).collect();
    let rows = client
        .query(
            "SELECT ft.feedback_id, t.id, t.name FROM feedback_themes ft JOIN themes t ON t.id = ft.theme_id
             WHERE ft.feedback_id = ANY($1) AND ft.origin = 'source' ORDER BY ft.feedback_id, t.id",
            &[&ids],
        )
        .map_err(|e| db_error(context, e))?;
    for row in &rows {
        let feedback_id: i64 = get(row, 0, context)?;
        let theme_id: &str = get(row, 1, context)?;
        let name: &str = get(row, 2, context)?;
        let label = Corrupt {
            table: "themes",
            row: &theme_id,
        }
        .check("name", Label::parse("theme name", name))?;
        // The page is sorted by id.
        if let Ok(index) = page.binary_search_by_key(&feedback_id, |s| s.id) {
            page[index].item.source_themes.push(label);
        }
    }
    Ok(())
}

fn dimension_sql(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Channel => "channel",
        Dimension::Source => "source",
        Dimension::BusinessUnit => "business_unit",
        Dimension::JourneyStage => "journey_stage",
        Dimension::Touchpoint => "touchpoint",
        Dimension::Region => "region",
        Dimension::Product => "product",
        Dimension::Month => "to_char(to_timestamp(received_at) AT TIME ZONE 'UTC', 'YYYY-MM')",
    }
}

/// The tallies of [`Store::tally_by`](trove_store::Store::tally_by) from the facts, for the
/// questions the running totals do not answer (the facts hold every dimension and filter).
pub(crate) fn tally(
    client: &mut Client,
    dimension: Dimension,
    filter: &FeedbackFilter,
) -> StoreResult<Vec<GroupTally>> {
    let context = "tallying feedback";
    let (where_sql, params) = where_clause(filter);
    let key = dimension_sql(dimension);
    // Keys sort in byte order ("C"), as Rust sorts strings, whatever the database's locale.
    let sql = format!(
        "SELECT {key}, count(*), count(nps), count(*) FILTER (WHERE nps >= 9), count(*) FILTER (WHERE nps <= 6),
            count(csat), count(*) FILTER (WHERE csat >= 4),
            count(ces), coalesce(sum(ces), 0)::bigint, count(*) FILTER (WHERE ces >= 5),
            coalesce(sum(ces * ces), 0)::bigint
         FROM feedback_facts{where_sql}
         GROUP BY {key}
         ORDER BY ({key}) COLLATE \"C\" NULLS FIRST"
    );
    let rows = client
        .query(&sql, &refs(&params))
        .map_err(|e| db_error(context, e))?;
    rows.iter().map(|row| group_tally(row, context)).collect()
}
