//! The running totals (`fact_totals`, migration 0028; see [`trove_store::TotalsQuery`]): kept
//! in step with `feedback_facts` in the transaction of every write that changes an item's
//! row, and read by [`trove_store::Store::tally_by`] when they answer its question.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use trove_store::{
    GroupTally, StoreResult, TOTALS_KEY_COLUMNS, TOTALS_TALLY_COLUMNS, TotalsDelta, TotalsQuery,
    tally_values,
};

use crate::decode::db_error;

const CONTEXT: &str = "keeping the running totals";

/// Adds the columns of `excluded` to a group's stored ones.
fn add_excluded() -> String {
    TOTALS_TALLY_COLUMNS
        .map(|column| format!("{column} = {column} + excluded.{column}"))
        .join(", ")
}

/// The upsert of one group (key, then tally values).
fn upsert_sql() -> String {
    let columns = [TOTALS_KEY_COLUMNS.as_slice(), &TOTALS_TALLY_COLUMNS].concat();
    let slots = (1..=columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO fact_totals ({columns}) VALUES ({slots})
         ON CONFLICT ({key}) DO UPDATE SET {add}",
        columns = columns.join(", "),
        key = TOTALS_KEY_COLUMNS.join(", "),
        add = add_excluded(),
    )
}

/// Adds the totals of items stored just now (counted in memory by the writer).
pub(crate) fn add_new(connection: &Connection, delta: &TotalsDelta<'_>) -> StoreResult<()> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut upsert = connection
        .prepare_cached(&upsert_sql())
        .map_err(|e| db_error(CONTEXT, e))?;
    for (key, tally) in delta.groups() {
        let values = key.into_iter().map(Value::Text).chain(
            tally_values(&tally)
                .into_iter()
                .map(|n| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))),
        );
        upsert
            .execute(params_from_iter(values))
            .map_err(|e| db_error(CONTEXT, e))?;
    }
    Ok(())
}

/// The facts rows' totals grouped as the table keeps them, each multiplied by `?1` (1 adds,
/// -1 takes out), for the rows where `condition` holds (its parameter is `?2`). The migration
/// fills the table with the same expressions.
fn from_facts_sql(condition: &str) -> String {
    format!(
        "INSERT INTO fact_totals ({key}, {tally})
         SELECT strftime('%Y-%m', received_at, 'unixepoch'), coalesce(business_unit, ''), channel,
            coalesce(journey_stage, ''), coalesce(touchpoint, ''), source,
            ?1 * count(*), ?1 * count(nps), ?1 * count(CASE WHEN nps >= 9 THEN 1 END),
            ?1 * count(CASE WHEN nps <= 6 THEN 1 END), ?1 * count(csat),
            ?1 * count(CASE WHEN csat >= 4 THEN 1 END), ?1 * count(ces),
            ?1 * coalesce(sum(ces), 0), ?1 * count(CASE WHEN ces >= 5 THEN 1 END),
            ?1 * coalesce(sum(ces * ces), 0)
         FROM feedback_facts WHERE {condition}
         GROUP BY 1, 2, 3, 4, 5, 6
         ON CONFLICT ({key}) DO UPDATE SET {add}",
        key = TOTALS_KEY_COLUMNS.join(", "),
        tally = TOTALS_TALLY_COLUMNS.join(", "),
        add = add_excluded(),
    )
}

/// Adds (`sign` 1) or takes out (-1) the totals of item `id` as its facts row stands now: an
/// item about to be overwritten is taken out before, and added back after.
pub(crate) fn count_item(connection: &Connection, id: i64, sign: i64) -> StoreResult<()> {
    connection
        .prepare_cached(&from_facts_sql("id = ?2"))
        .and_then(|mut apply| apply.execute([sign, id]))
        .map_err(|e| db_error(CONTEXT, e))?;
    Ok(())
}

/// Takes out the totals of the items import run `run` added (before their facts go).
pub(crate) fn forget_import(connection: &Connection, run: i64) -> StoreResult<()> {
    connection
        .execute(
            &from_facts_sql(&format!("id IN ({})", crate::imports::run_items_sql(2))),
            [-1, run],
        )
        .map_err(|e| db_error(CONTEXT, e))?;
    prune(connection)
}

/// Drops the groups left without items, after items were taken out.
pub(crate) fn prune(connection: &Connection) -> StoreResult<()> {
    connection
        .prepare_cached("DELETE FROM fact_totals WHERE items = 0")
        .and_then(|mut delete| delete.execute([]))
        .map_err(|e| db_error(CONTEXT, e))?;
    Ok(())
}

/// The tallies a [`TotalsQuery`] asks for, sorted by key, the group without a value first.
pub(crate) fn tally(connection: &Connection, query: &TotalsQuery) -> StoreResult<Vec<GroupTally>> {
    let context = "tallying the running totals";
    let mut conditions = String::new();
    let mut values = Vec::new();
    let bounds = [
        ("month >= ?", &query.from_month),
        ("month < ?", &query.until_month),
    ];
    for (condition, bound) in bounds {
        if let Some(month) = bound {
            conditions.push_str(" AND ");
            conditions.push_str(condition);
            values.push(month.clone());
        }
    }
    for (column, value) in &query.equals {
        conditions.push_str(&format!(" AND {column} = ?"));
        values.push(value.clone());
    }
    let sums = TOTALS_TALLY_COLUMNS.map(|column| format!("sum({column})"));
    let sql = format!(
        "SELECT nullif({key}, '') AS k, {sums} FROM fact_totals WHERE 1=1{conditions}
         GROUP BY k HAVING sum(items) > 0 ORDER BY k",
        key = query.key_column,
        sums = sums.join(", "),
    );
    let mut statement = connection
        .prepare_cached(&sql)
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map(params_from_iter(values), crate::group_tally)
        .map_err(|e| db_error(context, e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))
}
