//! Taxonomy versions, theme records, rule tags and coverage.

use postgres::{Client, Transaction};
use trove_domain::{Label, Slug};
use trove_store::{
    Coverage, FeedbackFilter, ItemTags, KeyedTags, NewTaxonomyVersion, Placement, RuleTag,
    SourceCoverage, StoreResult, StoredTag, StoredTheme, THEME_COUNTS_SQL, TaxonomyVersion,
    ThemeCount, ThemeRecord,
};

use crate::decode::{Corrupt, db_error, get};
use crate::feedback::{refs, where_clause};

pub(crate) fn save_version(client: &mut Client, version: &NewTaxonomyVersion) -> StoreResult<i64> {
    let context = "saving a taxonomy version";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let row = tx
        .query_one(
            "INSERT INTO taxonomy_versions (created_at, toml, diff) VALUES ($1, $2, $3) RETURNING id",
            &[&version.created_at, &version.toml, &version.diff],
        )
        .map_err(|e| db_error(context, e))?;
    let number: i64 = get(&row, 0, context)?;
    let upsert = tx
        .prepare(
            "INSERT INTO themes (id, name, parent_id, description, stage_id, departments, taxonomy_version, retired_in)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id,
                description = EXCLUDED.description, stage_id = EXCLUDED.stage_id,
                departments = EXCLUDED.departments, taxonomy_version = EXCLUDED.taxonomy_version,
                retired_in = NULL",
        )
        .map_err(|e| db_error(context, e))?;
    for theme in &version.themes {
        let departments = departments_json(&theme.departments);
        tx.execute(
            &upsert,
            &[
                &theme.id.as_str(),
                &theme.name.as_str(),
                &theme.parent.as_ref().map(Slug::as_str),
                &theme.description,
                &theme.stage.as_ref().map(Slug::as_str),
                &departments,
                &number,
            ],
        )
        .map_err(|e| db_error(context, e))?;
    }
    tx.execute(
        "UPDATE themes SET retired_in = $1
         WHERE taxonomy_version IS NOT NULL AND taxonomy_version < $1 AND retired_in IS NULL",
        &[&number],
    )
    .map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(number)
}

fn departments_json(departments: &[Slug]) -> Option<String> {
    if departments.is_empty() {
        return None;
    }
    let ids: Vec<&str> = departments.iter().map(Slug::as_str).collect();
    serde_json::to_string(&ids).ok()
}

pub(crate) fn current(client: &mut Client) -> StoreResult<Option<TaxonomyVersion>> {
    let context = "reading the taxonomy";
    let row = client
        .query_opt(
            "SELECT id, created_at, toml, diff FROM taxonomy_versions ORDER BY id DESC LIMIT 1",
            &[],
        )
        .map_err(|e| db_error(context, e))?;
    row.map(|row| {
        Ok(TaxonomyVersion {
            version: get(&row, 0, context)?,
            created_at: get(&row, 1, context)?,
            toml: get(&row, 2, context)?,
            diff: get(&row, 3, context)?,
        })
    })
    .transpose()
}

pub(crate) fn theme_records(client: &mut Client) -> StoreResult<Vec<StoredTheme>> {
    let context = "reading themes";
    let rows = client
        .query(
            "SELECT id, name, parent_id, description, stage_id, departments, taxonomy_version, retired_in
             FROM themes ORDER BY id",
            &[],
        )
        .map_err(|e| db_error(context, e))?;
    rows.iter()
        .map(|row| {
            let id: &str = get(row, 0, context)?;
            let c = Corrupt {
                table: "themes",
                row: &id,
            };
            let slug =
                |column: &'static str, raw: &str| c.check(column, Slug::parse("theme id", raw));
            let parent: Option<&str> = get(row, 2, context)?;
            let stage: Option<&str> = get(row, 4, context)?;
            let departments: Option<&str> = get(row, 5, context)?;
            let departments: Vec<String> = match departments {
                Some(json) => serde_json::from_str(json).map_err(|e| db_error(context, e))?,
                None => Vec::new(),
            };
            Ok(StoredTheme {
                theme: ThemeRecord {
                    id: slug("id", id)?,
                    name: c.check("name", Label::parse("theme name", get(row, 1, context)?))?,
                    parent: parent.map(|p| slug("parent_id", p)).transpose()?,
                    description: get(row, 3, context)?,
                    stage: stage.map(|s| slug("stage_id", s)).transpose()?,
                    departments: departments
                        .iter()
                        .map(|d| slug("departments", d))
                        .collect::<StoreResult<_>>()?,
                },
                taxonomy_version: get(row, 6, context)?,
                retired_in: get(row, 7, context)?,
            })
        })
        .collect()
}

/// Replaces the rule tags of items (by id) with two statements whatever the batch's size: one
/// DELETE over the ids, one INSERT over unnested arrays of all the tags.
pub(crate) fn store_tags(
    tx: &mut Transaction<'_>,
    items: &[(i64, &[RuleTag])],
    version: i64,
) -> StoreResult<u64> {
    let context = "storing rule tags";
    let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
    tx.execute(
        "DELETE FROM feedback_tags WHERE origin = 'rule' AND feedback_id = ANY($1)",
        &[&ids],
    )
    .map_err(|e| db_error(context, e))?;
    insert_tags(tx, items, version)
}

/// Inserts the rule tags of items that hold none yet, with one statement over unnested arrays.
pub(crate) fn insert_tags(
    tx: &mut Transaction<'_>,
    items: &[(i64, &[RuleTag])],
    version: i64,
) -> StoreResult<u64> {
    let context = "storing rule tags";
    let (mut feedback, mut themes, mut phrases, mut starts, mut ends, mut sentiments) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (id, tags) in items {
        for tag in *tags {
            feedback.push(*id);
            themes.push(tag.theme.as_str());
            phrases.push(tag.phrase.as_str());
            starts.push(i64::from(tag.start));
            ends.push(i64::from(tag.end));
            sentiments.push(tag.sentiment);
        }
    }
    if feedback.is_empty() {
        return Ok(0);
    }
    // A theme without a number (none in `themes`) joins as NULL, which the column refuses: the
    // statement fails as a tag naming no theme did before migration 0031.
    tx.execute(
        "INSERT INTO feedback_tags (feedback_id, theme, origin, phrase, start_offset, end_offset, taxonomy_version,
            sentiment)
         SELECT t.f, n.id, 'rule', t.phrase, t.s, t.e, $6, t.sentiment
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $7::real[])
            AS t (f, theme, phrase, s, e, sentiment)
            LEFT JOIN theme_numbers n ON n.theme_id = t.theme
         ON CONFLICT DO NOTHING",
        &[&feedback, &themes, &phrases, &starts, &ends, &version, &sentiments],
    )
    .map_err(|e| db_error(context, e))
}

pub(crate) fn replace_tags(
    client: &mut Client,
    version: i64,
    batch: &[ItemTags],
) -> StoreResult<u64> {
    let context = "storing rule tags";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    let items: Vec<(i64, &[RuleTag])> = batch
        .iter()
        .map(|item| (item.feedback_id, item.tags.as_slice()))
        .collect();
    let stored = store_tags(&mut tx, &items, version)?;
    let read: Vec<(i64, f32, bool)> = batch
        .iter()
        .filter_map(|item| Some((item.feedback_id, item.sentiment?, item.suggestion)))
        .collect();
    if !read.is_empty() {
        let ids: Vec<i64> = read.iter().map(|r| r.0).collect();
        let sentiments: Vec<f32> = read.iter().map(|r| r.1).collect();
        let suggestions: Vec<bool> = read.iter().map(|r| r.2).collect();
        tx.execute(
            "UPDATE feedback f SET sentiment = s.sentiment, suggestion = s.suggestion
             FROM UNNEST($1::bigint[], $2::real[], $3::boolean[]) AS s (id, sentiment, suggestion)
             WHERE f.id = s.id",
            &[&ids, &sentiments, &suggestions],
        )
        .map_err(|e| db_error(context, e))?;
    }
    let ids: Vec<i64> = batch.iter().map(|item| item.feedback_id).collect();
    crate::facts::refresh(&mut tx, &ids).map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(stored)
}

pub(crate) fn replace_tags_by_key(
    client: &mut Client,
    version: i64,
    batch: &[KeyedTags],
) -> StoreResult<u64> {
    let context = "storing rule tags";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // One query finds the ids of the whole batch.
    let sources: Vec<&str> = batch.iter().map(|k| k.source.as_str()).collect();
    let external: Vec<&str> = batch.iter().map(|k| k.external_id.as_str()).collect();
    let rows = tx
        .query(
            "SELECT k.ord, f.id FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS k (source, external_id, ord)
             JOIN feedback f ON f.source = k.source AND f.external_id = k.external_id",
            &[&sources, &external],
        )
        .map_err(|e| db_error(context, e))?;
    let mut items: Vec<(i64, &[RuleTag])> = Vec::with_capacity(rows.len());
    for row in rows {
        let ord: i64 = get(&row, 0, context)?;
        let id: i64 = get(&row, 1, context)?;
        if let Some(item) = usize::try_from(ord - 1).ok().and_then(|i| batch.get(i)) {
            items.push((id, item.tags.as_slice()));
        }
    }
    let stored = store_tags(&mut tx, &items, version)?;
    let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
    crate::facts::refresh(&mut tx, &ids).map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(stored)
}

pub(crate) fn item_tags(client: &mut Client, feedback_id: i64) -> StoreResult<Vec<StoredTag>> {
    let context = "reading an item's themes";
    let rows = client
        .query(
            "SELECT theme_id, origin, phrase, start_offset, end_offset, taxonomy_version, sentiment
             FROM feedback_themes WHERE feedback_id = $1 ORDER BY origin, theme_id",
            &[&feedback_id],
        )
        .map_err(|e| db_error(context, e))?;
    let key = feedback_id.to_string();
    let c = Corrupt {
        table: "feedback_themes",
        row: &key,
    };
    let offset = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
    rows.iter()
        .map(|row| {
            Ok(StoredTag {
                theme: c.check("theme_id", Slug::parse("theme id", get(row, 0, context)?))?,
                origin: get(row, 1, context)?,
                phrase: get(row, 2, context)?,
                start: offset(get(row, 3, context)?),
                end: offset(get(row, 4, context)?),
                taxonomy_version: get(row, 5, context)?,
                sentiment: get(row, 6, context)?,
            })
        })
        .collect()
}

pub(crate) fn coverage(client: &mut Client, filter: &FeedbackFilter) -> StoreResult<Coverage> {
    let context = "measuring coverage";
    let (where_sql, params) = where_clause(filter);
    let sql = format!(
        "SELECT source, count(*), sum(tagged)::bigint, count(*) FILTER (WHERE place = 1),
            count(*) FILTER (WHERE place = 2), count(*) FILTER (WHERE place = 3),
            count(*) FILTER (WHERE place = 0)
        FROM (SELECT f.source AS source,
                CASE WHEN EXISTS (SELECT 1 FROM feedback_themes ft WHERE ft.feedback_id = f.id AND ft.origin <> 'source')
                    THEN 1 ELSE 0 END AS tagged,
                CASE WHEN EXISTS (SELECT 1 FROM touchpoints tp WHERE tp.id = f.touchpoint) THEN 1
                     WHEN f.journey_stage IS NOT NULL THEN 2
                     WHEN EXISTS (SELECT 1 FROM feedback_themes ft JOIN themes t ON t.id = ft.theme_id
                                  WHERE ft.feedback_id = f.id AND t.stage_id IS NOT NULL) THEN 3
                     ELSE 0 END AS place
              FROM feedback f{where_sql}) AS items
        GROUP BY source ORDER BY source"
    );
    let rows = client
        .query(&sql, &refs(&params))
        .map_err(|e| db_error(context, e))?;
    let mut coverage = Coverage::default();
    for row in &rows {
        let n = |i: usize| -> StoreResult<u64> {
            let v: Option<i64> = get(row, i, context)?;
            Ok(u64::try_from(v.unwrap_or(0)).unwrap_or(0))
        };
        let (total, tagged) = (n(1)?, n(2)?);
        coverage.total += total;
        coverage.tagged += tagged;
        coverage.placement = Placement {
            by_touchpoint: coverage.placement.by_touchpoint + n(3)?,
            by_given_stage: coverage.placement.by_given_stage + n(4)?,
            by_theme: coverage.placement.by_theme + n(5)?,
            unplaced: coverage.placement.unplaced + n(6)?,
        };
        coverage.by_source.push(SourceCoverage {
            source: get(row, 0, context)?,
            total,
            tagged,
        });
    }
    Ok(coverage)
}

pub(crate) fn theme_counts(
    client: &mut Client,
    filter: &FeedbackFilter,
    origin: &str,
) -> StoreResult<Vec<ThemeCount>> {
    let context = "counting items per theme";
    let (where_sql, mut params) = where_clause(filter);
    params.push(Box::new(origin.to_owned()));
    let sql = THEME_COUNTS_SQL
        .replace("{where}", &where_sql)
        .replace("{origin}", &format!("${}", params.len()));
    let rows = client
        .query(&sql, &refs(&params))
        .map_err(|e| db_error(context, e))?;
    rows.iter()
        .map(|row| {
            let theme: &str = get(row, 0, context)?;
            let items: i64 = get(row, 1, context)?;
            Ok(ThemeCount {
                theme: Corrupt {
                    table: "themes",
                    row: &theme,
                }
                .check("id", Slug::parse("theme id", theme))?,
                items: u64::try_from(items).unwrap_or(0),
            })
        })
        .collect()
}
