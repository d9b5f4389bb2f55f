//! Taxonomy versions, theme records, rule tags and coverage.

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use trove_domain::{Label, Slug};
use trove_store::{
    Coverage, FeedbackFilter, ItemTags, KeyedTags, NewTaxonomyVersion, Placement, RuleTag,
    SourceCoverage, StoreError, StoreResult, StoredTag, StoredTheme, THEME_COUNTS_SQL,
    TaxonomyVersion, ThemeCount, ThemeRecord,
};

use crate::decode::db_error;

fn corrupt(
    table: &'static str,
    column: &'static str,
    row: &str,
) -> impl Fn(trove_domain::DomainError) -> StoreError {
    let row = row.to_owned();
    move |source| StoreError::Corrupt {
        table,
        column,
        row: row.clone(),
        source,
    }
}

pub(crate) fn save_version(
    connection: &mut Connection,
    version: &NewTaxonomyVersion,
) -> StoreResult<i64> {
    let context = "saving a taxonomy version";
    let e = |e: rusqlite::Error| db_error(context, e);
    let tx = connection.transaction().map_err(e)?;
    tx.execute(
        "INSERT INTO taxonomy_versions (created_at, toml, diff) VALUES (?1, ?2, ?3)",
        params![version.created_at, version.toml, version.diff],
    )
    .map_err(e)?;
    let number = tx.last_insert_rowid();
    {
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO themes (id, name, parent_id, description, stage_id, departments, taxonomy_version, retired_in)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id,
                    description = excluded.description, stage_id = excluded.stage_id,
                    departments = excluded.departments, taxonomy_version = excluded.taxonomy_version,
                    retired_in = NULL",
            )
            .map_err(e)?;
        for theme in &version.themes {
            upsert
                .execute(params![
                    theme.id.as_str(),
                    theme.name.as_str(),
                    theme.parent.as_ref().map(Slug::as_str),
                    theme.description,
                    theme.stage.as_ref().map(Slug::as_str),
                    departments_json(&theme.departments),
                    number,
                ])
                .map_err(e)?;
        }
    }
    tx.execute(
        "UPDATE themes SET retired_in = ?1
         WHERE taxonomy_version IS NOT NULL AND taxonomy_version < ?1 AND retired_in IS NULL",
        [number],
    )
    .map_err(e)?;
    crate::results::bump(&tx)?;
    tx.commit().map_err(e)?;
    Ok(number)
}

fn departments_json(departments: &[Slug]) -> Option<String> {
    if departments.is_empty() {
        return None;
    }
    let ids: Vec<&str> = departments.iter().map(Slug::as_str).collect();
    serde_json::to_string(&ids).ok()
}

pub(crate) fn current(connection: &Connection) -> StoreResult<Option<TaxonomyVersion>> {
    connection
        .query_row(
            "SELECT id, created_at, toml, diff FROM taxonomy_versions ORDER BY id DESC LIMIT 1",
            [],
            |row| {
                Ok(TaxonomyVersion {
                    version: row.get(0)?,
                    created_at: row.get(1)?,
                    toml: row.get(2)?,
                    diff: row.get(3)?,
                })
            },
        )
        .optional()
        .map_err(|e| db_error("reading the taxonomy", e))
}

type ThemeRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

pub(crate) fn theme_records(connection: &Connection) -> StoreResult<Vec<StoredTheme>> {
    let context = "reading themes";
    let mut statement = connection
        .prepare(
            "SELECT id, name, parent_id, description, stage_id, departments, taxonomy_version, retired_in
             FROM themes ORDER BY id",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([], |r| -> rusqlite::Result<ThemeRow> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .map_err(|e| db_error(context, e))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, parent, description, stage, departments, version, retired) =
            row.map_err(|e| db_error(context, e))?;
        out.push(decode_theme(
            &id,
            &name,
            parent,
            description,
            stage,
            departments,
            version,
            retired,
        )?);
    }
    Ok(out)
}

/// A theme row back into a record (shared shape with the PostgreSQL backend).
#[allow(clippy::too_many_arguments, reason = "one argument per column")]
fn decode_theme(
    id: &str,
    name: &str,
    parent: Option<String>,
    description: Option<String>,
    stage: Option<String>,
    departments: Option<String>,
    taxonomy_version: Option<i64>,
    retired_in: Option<i64>,
) -> StoreResult<StoredTheme> {
    let slug = |column: &'static str, raw: &str| {
        Slug::parse("theme id", raw).map_err(corrupt("themes", column, id))
    };
    let departments: Vec<String> = match departments {
        Some(json) => serde_json::from_str(&json).map_err(|e| db_error("reading themes", e))?,
        None => Vec::new(),
    };
    Ok(StoredTheme {
        theme: ThemeRecord {
            id: slug("id", id)?,
            name: Label::parse("theme name", name).map_err(corrupt("themes", "name", id))?,
            parent: parent.map(|p| slug("parent_id", &p)).transpose()?,
            description,
            stage: stage.map(|s| slug("stage_id", &s)).transpose()?,
            departments: departments
                .iter()
                .map(|d| slug("departments", d))
                .collect::<StoreResult<_>>()?,
        },
        taxonomy_version,
        retired_in,
    })
}

/// The numbers of the themes a batch tags with (migration 0031), by theme id. Looked up once
/// per tag on the writer's thread, hence FxHash (the ids are the taxonomy's own).
pub(crate) type ThemeNumbers<'a> = rustc_hash::FxHashMap<&'a str, i64>;

/// The numbers of `themes`; an error (in `context`) names the first theme that does not exist.
pub(crate) fn theme_numbers<'a>(
    connection: &Connection,
    context: &'static str,
    themes: impl IntoIterator<Item = &'a str>,
) -> StoreResult<ThemeNumbers<'a>> {
    let mut number = connection
        .prepare_cached("SELECT num FROM theme_numbers WHERE theme_id = ?1")
        .map_err(|e| db_error(context, e))?;
    let mut numbers = ThemeNumbers::default();
    for theme in themes {
        if numbers.contains_key(theme) {
            continue;
        }
        let num: Option<i64> = number
            .query_row([theme], |row| row.get(0))
            .optional()
            .map_err(|e| db_error(context, e))?;
        let num = num.ok_or_else(|| db_error(context, format!("no theme {theme}")))?;
        numbers.insert(theme, num);
    }
    Ok(numbers)
}

/// Stores the rule tags of a batch's new items (`(item id, tag)`, in order) with multi-row
/// statements; returns how many were new (a second tag of a theme on the same item is not).
/// `numbers` has every tag's theme ([`theme_numbers`]).
pub(crate) fn insert_batch_tags(
    connection: &Connection,
    tags: &[(i64, &RuleTag)],
    numbers: &ThemeNumbers<'_>,
    version: i64,
) -> StoreResult<u64> {
    let stored = crate::multi_insert::insert_all(
        connection,
        (
            "INSERT OR IGNORE INTO feedback_tags (feedback_id, theme, origin, phrase, start_offset, end_offset, taxonomy_version, sentiment)",
            8,
            "",
        ),
        tags,
        |row, (feedback_id, tag)| {
            let theme = tag.theme.as_str();
            let num = numbers.get(theme).ok_or_else(|| {
                rusqlite::Error::ToSqlConversionFailure(format!("no theme {theme}").into())
            })?;
            row.bind(feedback_id)?
                .bind(num)?
                .bind("rule")?
                .bind(tag.phrase.as_str())?
                .bind(tag.start)?
                .bind(tag.end)?
                .bind(version)?
                .bind(tag.sentiment)?;
            Ok(())
        },
    )
    .map_err(|e| db_error("storing rule tags", e))?;
    Ok(stored as u64)
}

pub(crate) fn insert_tags(
    tx: &rusqlite::Transaction<'_>,
    feedback_id: i64,
    tags: &[RuleTag],
    version: i64,
) -> StoreResult<u64> {
    insert_tags_with(&mut tag_statement(tx)?, feedback_id, tags, version)
}

/// The statement that stores one rule tag, for [`insert_tags_with`]: prepared once for a
/// whole batch of items (looking it up in the cache per item costs more than a tag's insert).
pub(crate) fn tag_statement<'c>(
    connection: &'c Connection,
) -> StoreResult<rusqlite::CachedStatement<'c>> {
    connection
        .prepare_cached(
            "INSERT INTO feedback_tags (feedback_id, theme, origin, phrase, start_offset, end_offset, taxonomy_version, sentiment)
             VALUES (?1, (SELECT num FROM theme_numbers WHERE theme_id = ?2), 'rule', ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO NOTHING",
        )
        .map_err(|e| db_error("storing rule tags", e))
}

/// Stores the rule tags of one item with the statement of [`tag_statement`]; returns how many
/// were new.
pub(crate) fn insert_tags_with(
    insert: &mut rusqlite::CachedStatement<'_>,
    feedback_id: i64,
    tags: &[RuleTag],
    version: i64,
) -> StoreResult<u64> {
    let mut stored = 0;
    for tag in tags {
        stored += insert
            .execute(params![
                feedback_id,
                tag.theme.as_str(),
                tag.phrase,
                tag.start,
                tag.end,
                version,
                tag.sentiment
            ])
            .map_err(|e| db_error("storing rule tags", e))? as u64;
    }
    Ok(stored)
}

pub(crate) fn replace_tags(
    connection: &mut Connection,
    version: i64,
    batch: &[ItemTags],
) -> StoreResult<u64> {
    let context = "storing rule tags";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    let mut stored = 0;
    {
        let mut delete = tx
            .prepare_cached("DELETE FROM feedback_tags WHERE feedback_id = ?1 AND origin = 'rule'")
            .map_err(|e| db_error(context, e))?;
        let mut set_sentiment = tx
            .prepare_cached("UPDATE feedback SET sentiment = ?2, suggestion = ?3 WHERE id = ?1")
            .map_err(|e| db_error(context, e))?;
        for item in batch {
            delete
                .execute([item.feedback_id])
                .map_err(|e| db_error(context, e))?;
            if let Some(sentiment) = item.sentiment {
                set_sentiment
                    .execute(params![item.feedback_id, sentiment, item.suggestion])
                    .map_err(|e| db_error(context, e))?;
            }
            stored += insert_tags(&tx, item.feedback_id, &item.tags, version)?;
            crate::facts::refresh(&tx, item.feedback_id)?;
        }
    }
    crate::results::bump(&tx)?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(stored)
}

pub(crate) fn replace_tags_by_key(
    connection: &mut Connection,
    version: i64,
    batch: &[KeyedTags],
) -> StoreResult<u64> {
    let context = "storing rule tags";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    let mut stored = 0;
    {
        let mut find = tx
            .prepare_cached("SELECT id FROM feedback WHERE source = ?1 AND external_id = ?2")
            .map_err(|e| db_error(context, e))?;
        let mut delete = tx
            .prepare_cached("DELETE FROM feedback_tags WHERE feedback_id = ?1 AND origin = 'rule'")
            .map_err(|e| db_error(context, e))?;
        for item in batch {
            let id: Option<i64> = find
                .query_row(
                    params![item.source.as_str(), item.external_id.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| db_error(context, e))?;
            let Some(id) = id else { continue };
            delete.execute([id]).map_err(|e| db_error(context, e))?;
            stored += insert_tags(&tx, id, &item.tags, version)?;
            crate::facts::refresh(&tx, id)?;
        }
    }
    crate::results::bump(&tx)?;
    tx.commit().map_err(|e| db_error(context, e))?;
    Ok(stored)
}

pub(crate) fn item_tags(connection: &Connection, feedback_id: i64) -> StoreResult<Vec<StoredTag>> {
    let context = "reading an item's themes";
    let mut statement = connection
        .prepare_cached(
            "SELECT theme_id, origin, phrase, start_offset, end_offset, taxonomy_version, sentiment
             FROM feedback_themes WHERE feedback_id = ?1 ORDER BY origin, theme_id",
        )
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([feedback_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<u32>>(3)?,
                r.get::<_, Option<u32>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<f32>>(6)?,
            ))
        })
        .map_err(|e| db_error(context, e))?;
    let mut out = Vec::new();
    for row in rows {
        let (theme, origin, phrase, start, end, taxonomy_version, sentiment) =
            row.map_err(|e| db_error(context, e))?;
        out.push(StoredTag {
            theme: Slug::parse("theme id", &theme).map_err(corrupt(
                "feedback_themes",
                "theme_id",
                &feedback_id.to_string(),
            ))?,
            origin,
            phrase,
            start,
            end,
            taxonomy_version,
            sentiment,
        });
    }
    Ok(out)
}

/// Per item: whether it has a non-source theme, and how it is placed in the journey
/// (1 touchpoint, 2 given stage, 3 theme stage, 0 unplaced); summed per source.
pub(crate) const COVERAGE_SQL: &str = "SELECT source, COUNT(*), SUM(tagged), SUM(CASE WHEN place = 1 THEN 1 ELSE 0 END),
        SUM(CASE WHEN place = 2 THEN 1 ELSE 0 END), SUM(CASE WHEN place = 3 THEN 1 ELSE 0 END),
        SUM(CASE WHEN place = 0 THEN 1 ELSE 0 END)
    FROM (SELECT f.source AS source,
            CASE WHEN EXISTS (SELECT 1 FROM feedback_themes ft WHERE ft.feedback_id = f.id AND ft.origin <> 'source')
                THEN 1 ELSE 0 END AS tagged,
            CASE WHEN EXISTS (SELECT 1 FROM touchpoints tp WHERE tp.id = f.touchpoint) THEN 1
                 WHEN f.journey_stage IS NOT NULL THEN 2
                 WHEN EXISTS (SELECT 1 FROM feedback_themes ft JOIN themes t ON t.id = ft.theme_id
                              WHERE ft.feedback_id = f.id AND t.stage_id IS NOT NULL) THEN 3
                 ELSE 0 END AS place
          FROM feedback f{where}) AS items
    GROUP BY source ORDER BY source";

/// Folds per-source rows (source, total, tagged, touchpoint, given, theme, unplaced).
pub(crate) fn fold_coverage(rows: impl IntoIterator<Item = (String, [u64; 6])>) -> Coverage {
    let mut coverage = Coverage::default();
    for (source, [total, tagged, tp, given, theme, unplaced]) in rows {
        coverage.total += total;
        coverage.tagged += tagged;
        coverage.placement = Placement {
            by_touchpoint: coverage.placement.by_touchpoint + tp,
            by_given_stage: coverage.placement.by_given_stage + given,
            by_theme: coverage.placement.by_theme + theme,
            unplaced: coverage.placement.unplaced + unplaced,
        };
        coverage.by_source.push(SourceCoverage {
            source,
            total,
            tagged,
        });
    }
    coverage
}

pub(crate) fn coverage(connection: &Connection, filter: &FeedbackFilter) -> StoreResult<Coverage> {
    let context = "measuring coverage";
    let (where_sql, values) = crate::filter_sql(filter);
    let sql = COVERAGE_SQL.replace("{where}", &where_sql);
    let mut statement = connection.prepare(&sql).map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params_from_iter(values), |r| {
            let n = |i: usize| -> rusqlite::Result<u64> {
                Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
            };
            Ok((
                r.get::<_, String>(0)?,
                [n(1)?, n(2)?, n(3)?, n(4)?, n(5)?, n(6)?],
            ))
        })
        .map_err(|e| db_error(context, e))?;
    let rows: Vec<(String, [u64; 6])> = rows
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))?;
    Ok(fold_coverage(rows))
}

pub(crate) fn theme_counts(
    connection: &Connection,
    filter: &FeedbackFilter,
    origin: &str,
) -> StoreResult<Vec<ThemeCount>> {
    let context = "counting items per theme";
    let (where_sql, mut values) = crate::filter_sql(filter);
    values.push(rusqlite::types::Value::Text(origin.to_owned()));
    let sql = THEME_COUNTS_SQL
        .replace("{where}", &where_sql)
        .replace("{origin}", "?");
    let mut statement = connection.prepare(&sql).map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params_from_iter(values), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(|e| db_error(context, e))?;
    let mut out = Vec::new();
    for row in rows {
        let (theme, items) = row.map_err(|e| db_error(context, e))?;
        out.push(ThemeCount {
            theme: Slug::parse("theme id", &theme).map_err(corrupt("themes", "id", &theme))?,
            items: u64::try_from(items).unwrap_or(0),
        });
    }
    Ok(out)
}
