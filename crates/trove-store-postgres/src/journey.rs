//! The customer journey: stages, touchpoints and departments, replaced whole and read back whole.

use std::collections::HashMap;

use postgres::{Client, IsolationLevel};
use trove_domain::{Department, Journey, Label, Slug, Stage, Touchpoint};
use trove_store::{StoreError, StoreResult};

use crate::decode::{Corrupt, db_error, get};

fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

pub(crate) fn replace(client: &mut Client, journey: &Journey) -> StoreResult<()> {
    let context = "storing the journey";
    let departments = journey.departments();
    let department_ids: Vec<&str> = departments.iter().map(|d| d.id.as_str()).collect();
    let department_names: Vec<&str> = departments.iter().map(|d| d.name.as_str()).collect();
    let department_positions: Vec<i32> = (0..departments.len()).map(position).collect();

    let stages = journey.stages();
    let stage_ids: Vec<&str> = stages.iter().map(|s| s.id.as_str()).collect();
    let stage_names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    let stage_positions: Vec<i32> = (0..stages.len()).map(position).collect();

    // Touchpoint positions run across the whole journey; reading orders by them within a stage.
    let touchpoints: Vec<(&Stage, &Touchpoint)> = stages
        .iter()
        .flat_map(|s| s.touchpoints.iter().map(move |t| (s, t)))
        .collect();
    let touchpoint_ids: Vec<&str> = touchpoints.iter().map(|(_, t)| t.id.as_str()).collect();
    let touchpoint_stages: Vec<&str> = touchpoints.iter().map(|(s, _)| s.id.as_str()).collect();
    let touchpoint_names: Vec<&str> = touchpoints.iter().map(|(_, t)| t.name.as_str()).collect();
    let moments: Vec<bool> = touchpoints.iter().map(|(_, t)| t.moment_of_truth).collect();
    let touchpoint_positions: Vec<i32> = (0..touchpoints.len()).map(position).collect();

    let mut owner_touchpoints: Vec<&str> = Vec::new();
    let mut owner_departments: Vec<&str> = Vec::new();
    let mut owner_positions: Vec<i32> = Vec::new();
    for (_, touchpoint) in &touchpoints {
        for (index, department) in touchpoint.departments.iter().enumerate() {
            owner_touchpoints.push(touchpoint.id.as_str());
            owner_departments.push(department.as_str());
            owner_positions.push(position(index));
        }
    }

    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // Departments are added or renamed, never removed: other records refer to them.
    tx.execute(
        "INSERT INTO departments (id, name, position) SELECT * FROM UNNEST($1::text[], $2::text[], $3::integer[])
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, position = EXCLUDED.position",
        &[&department_ids, &department_names, &department_positions],
    )
    .map_err(|e| db_error(context, e))?;
    tx.batch_execute(
        "DELETE FROM touchpoint_departments; DELETE FROM touchpoints; DELETE FROM stages;",
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO stages (id, name, position) SELECT * FROM UNNEST($1::text[], $2::text[], $3::integer[])",
        &[&stage_ids, &stage_names, &stage_positions],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO touchpoints (id, stage_id, name, moment_of_truth, position)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::boolean[], $5::integer[])",
        &[
            &touchpoint_ids,
            &touchpoint_stages,
            &touchpoint_names,
            &moments,
            &touchpoint_positions,
        ],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO touchpoint_departments (touchpoint_id, department_id, position)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::integer[])",
        &[&owner_touchpoints, &owner_departments, &owner_positions],
    )
    .map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

fn slug(table: &'static str, raw: &str) -> StoreResult<Slug> {
    Corrupt { table, row: &raw }.check("id", Slug::parse("id", raw))
}

fn name(table: &'static str, id: &str, raw: &str) -> StoreResult<Label> {
    Corrupt { table, row: &id }.check("name", Label::parse("name", raw))
}

pub(crate) fn load(client: &mut Client) -> StoreResult<Option<Journey>> {
    let context = "reading the journey";
    // One snapshot for the four reads, so a concurrent replacement is seen whole or not at all.
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| db_error(context, e))?;
    let stage_rows = tx
        .query("SELECT id, name FROM stages ORDER BY position, id", &[])
        .map_err(|e| db_error(context, e))?;
    if stage_rows.is_empty() {
        return Ok(None);
    }
    let department_rows = tx
        .query(
            "SELECT id, name FROM departments ORDER BY position, id",
            &[],
        )
        .map_err(|e| db_error(context, e))?;
    let touchpoint_rows = tx
        .query(
            "SELECT id, stage_id, name, moment_of_truth FROM touchpoints ORDER BY position, id",
            &[],
        )
        .map_err(|e| db_error(context, e))?;
    let owner_rows = tx
        .query(
            "SELECT touchpoint_id, department_id FROM touchpoint_departments ORDER BY touchpoint_id, position",
            &[],
        )
        .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;

    let departments = department_rows
        .iter()
        .map(|row| {
            let id: &str = get(row, 0, context)?;
            Ok(Department {
                id: slug("departments", id)?,
                name: name("departments", id, get(row, 1, context)?)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    let mut owners: HashMap<&str, Vec<Slug>> = HashMap::new();
    for row in &owner_rows {
        let touchpoint: &str = get(row, 0, context)?;
        owners
            .entry(touchpoint)
            .or_default()
            .push(slug("touchpoint_departments", get(row, 1, context)?)?);
    }

    let mut touchpoints: HashMap<&str, Vec<Touchpoint>> = HashMap::new();
    for row in &touchpoint_rows {
        let id: &str = get(row, 0, context)?;
        let stage: &str = get(row, 1, context)?;
        touchpoints.entry(stage).or_default().push(Touchpoint {
            id: slug("touchpoints", id)?,
            name: name("touchpoints", id, get(row, 2, context)?)?,
            moment_of_truth: get(row, 3, context)?,
            departments: owners.remove(id).unwrap_or_default(),
        });
    }

    let stages = stage_rows
        .iter()
        .map(|row| {
            let id: &str = get(row, 0, context)?;
            Ok(Stage {
                id: slug("stages", id)?,
                name: name("stages", id, get(row, 1, context)?)?,
                touchpoints: touchpoints.remove(id).unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    Journey::new(stages, departments)
        .map(Some)
        .map_err(|source| StoreError::Corrupt {
            table: "stages",
            column: "id",
            row: "journey".into(),
            source,
        })
}
