//! The running totals (`fact_totals`, migration 0028; see [`trove_store::TotalsQuery`]): kept
//! in step with `feedback_facts` in the transaction of every write that changes an item's
//! row, and read by [`trove_store::Store::tally_by`] when they answer its question.

use postgres::types::ToSql;
use postgres::{Client, Transaction};
use trove_store::{
    GroupTally, StoreResult, TOTALS_KEY_COLUMNS, TOTALS_TALLY_COLUMNS, TotalsDelta, TotalsQuery,
    tally_values,
};

use crate::decode::{as_i64, db_error, group_tally};

/// Adds the columns of `EXCLUDED` to a group's stored ones.
fn add_excluded() -> String {
    TOTALS_TALLY_COLUMNS
        .map(|column| format!("{column} = fact_totals.{column} + EXCLUDED.{column}"))
        .join(", ")
}

/// Adds the totals of items stored just now (counted in memory by the writer): one statement,
/// the groups travelling as one array per column, in key order (so that writers touching the
/// same groups lock them in the same order).
pub(crate) fn add_new(
    tx: &mut Transaction<'_>,
    delta: &TotalsDelta<'_>,
) -> Result<(), postgres::Error> {
    if delta.is_empty() {
        return Ok(());
    }
    let groups = delta.groups();
    let keys: Vec<Vec<&str>> = (0..TOTALS_KEY_COLUMNS.len())
        .map(|i| groups.iter().map(|(key, _)| key[i].as_str()).collect())
        .collect();
    let tallies: Vec<Vec<i64>> = (0..TOTALS_TALLY_COLUMNS.len())
        .map(|i| {
            groups
                .iter()
                .map(|(_, tally)| as_i64(tally_values(tally)[i]))
                .collect()
        })
        .collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
    params.extend(keys.iter().map(|column| column as &(dyn ToSql + Sync)));
    params.extend(tallies.iter().map(|column| column as &(dyn ToSql + Sync)));
    let arrays = (1..=params.len())
        .map(|i| {
            let kind = if i <= keys.len() { "text" } else { "bigint" };
            format!("${i}::{kind}[]")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let columns = [TOTALS_KEY_COLUMNS.as_slice(), &TOTALS_TALLY_COLUMNS]
        .concat()
        .join(", ");
    let sql = format!(
        "INSERT INTO fact_totals ({columns})
         SELECT {columns} FROM unnest({arrays}) WITH ORDINALITY AS g({columns}, n) ORDER BY n
         ON CONFLICT ({key}) DO UPDATE SET {add}",
        key = TOTALS_KEY_COLUMNS.join(", "),
        add = add_excluded(),
    );
    tx.execute(&sql, &params)?;
    Ok(())
}

/// The facts rows' totals grouped as the table keeps them, each multiplied by `$1` (1 adds,
/// -1 takes out), for the rows where `condition` holds (its parameter is `$2`). The migration
/// fills the table with the same expressions.
fn from_facts_sql(condition: &str) -> String {
    format!(
        "INSERT INTO fact_totals ({key}, {tally})
         SELECT to_char(to_timestamp(received_at) AT TIME ZONE 'UTC', 'YYYY-MM'),
            coalesce(business_unit, ''), channel, coalesce(journey_stage, ''),
            coalesce(touchpoint, ''), source,
            $1 * count(*), $1 * count(nps), $1 * count(*) FILTER (WHERE nps >= 9),
            $1 * count(*) FILTER (WHERE nps <= 6), $1 * count(csat),
            $1 * count(*) FILTER (WHERE csat >= 4), $1 * count(ces),
            $1 * coalesce(sum(ces), 0), $1 * count(*) FILTER (WHERE ces >= 5),
            $1 * coalesce(sum(ces * ces), 0)
         FROM feedback_facts WHERE {condition}
         GROUP BY 1, 2, 3, 4, 5, 6
         ORDER BY 1, 2, 3, 4, 5, 6
         ON CONFLICT ({key}) DO UPDATE SET {add}",
        key = TOTALS_KEY_COLUMNS.join(", "),
        tally = TOTALS_TALLY_COLUMNS.join(", "),
        add = add_excluded(),
    )
}

/// Adds (`sign` 1) or takes out (-1) the totals of items `ids` as their facts rows stand now:
/// items about to be overwritten are taken out before, and added back after.
pub(crate) fn count_items(
    tx: &mut Transaction<'_>,
    ids: &[i64],
    sign: i64,
) -> Result<(), postgres::Error> {
    if !ids.is_empty() {
        tx.execute(&from_facts_sql("id = ANY($2)"), &[&sign, &ids])?;
    }
    Ok(())
}

/// Takes out the totals of the items import run `run` added (before their facts go).
pub(crate) fn forget_import(tx: &mut Transaction<'_>, run: i64) -> Result<(), postgres::Error> {
    tx.execute(
        &from_facts_sql("id IN (SELECT id FROM feedback WHERE import_run_id = $2)"),
        &[&-1_i64, &run],
    )?;
    prune(tx)
}

/// Drops the groups left without items, after items were taken out.
pub(crate) fn prune(tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
    tx.execute("DELETE FROM fact_totals WHERE items = 0", &[])?;
    Ok(())
}

/// The tallies a [`TotalsQuery`] asks for, sorted by key in byte order (the key columns are
/// `COLLATE "C"`), the group without a value first.
pub(crate) fn tally(client: &mut Client, query: &TotalsQuery) -> StoreResult<Vec<GroupTally>> {
    let context = "tallying the running totals";
    let mut conditions = String::new();
    let mut values: Vec<&String> = Vec::new();
    let bounds = [
        ("month >=", &query.from_month),
        ("month <", &query.until_month),
    ];
    for (condition, bound) in bounds {
        if let Some(month) = bound {
            values.push(month);
            conditions.push_str(&format!(" AND {condition} ${}", values.len()));
        }
    }
    for (column, value) in &query.equals {
        values.push(value);
        conditions.push_str(&format!(" AND {column} = ${}", values.len()));
    }
    let sums = TOTALS_TALLY_COLUMNS.map(|column| format!("sum({column})::bigint"));
    let sql = format!(
        "SELECT nullif({key}, '') AS k, {sums} FROM fact_totals WHERE TRUE{conditions}
         GROUP BY 1 HAVING sum(items) > 0 ORDER BY 1 NULLS FIRST",
        key = query.key_column,
        sums = sums.join(", "),
    );
    let params: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|value| *value as &(dyn ToSql + Sync))
        .collect();
    let rows = client
        .query(&sql, &params)
        .map_err(|e| db_error(context, e))?;
    rows.iter().map(|row| group_tally(row, context)).collect()
}
