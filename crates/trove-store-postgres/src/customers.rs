//! Customers: batch upserts by id, reads and keyset scans.

use std::collections::HashMap;

use postgres::{Client, Row};
use trove_domain::{Currency, Customer, CustomerId, Money};
use trove_store::{PageVisitor, StoreResult, UpsertOutcome};

use crate::decode::{Corrupt, count, db_error, get, label_text};
use crate::pool::Pool;

/// The columns [`decode_customer`] reads, in order.
const CUSTOMER_COLUMNS: &str =
    "id, name, email, segment, business_unit, region, value_minor, currency, first_seen, churned";

pub(crate) fn upsert(client: &mut Client, batch: &[Customer]) -> StoreResult<UpsertOutcome> {
    let context = "storing customers";
    // One statement cannot touch a row twice, so a customer repeated in the batch is sent once,
    // with its last version, and the earlier ones count as updates: the same outcome as
    // storing the batch one record after another.
    let mut position: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    let mut unique: Vec<&Customer> = Vec::with_capacity(batch.len());
    let mut repeats = 0_u64;
    for customer in batch {
        match position.get(customer.id.as_str()) {
            Some(&index) => {
                unique[index] = customer;
                repeats += 1;
            }
            None => {
                position.insert(customer.id.as_str(), unique.len());
                unique.push(customer);
            }
        }
    }
    if unique.is_empty() {
        return Ok(UpsertOutcome::default());
    }
    let ids: Vec<&str> = unique.iter().map(|c| c.id.as_str()).collect();
    let names: Vec<Option<&str>> = unique.iter().map(|c| label_text(&c.name)).collect();
    let emails: Vec<Option<&str>> = unique.iter().map(|c| label_text(&c.email)).collect();
    let segments: Vec<Option<&str>> = unique.iter().map(|c| label_text(&c.segment)).collect();
    let units: Vec<Option<&str>> = unique
        .iter()
        .map(|c| label_text(&c.business_unit))
        .collect();
    let regions: Vec<Option<&str>> = unique.iter().map(|c| label_text(&c.region)).collect();
    let values: Vec<Option<i64>> = unique.iter().map(|c| c.value.map(|m| m.minor())).collect();
    let currencies: Vec<Option<String>> = unique
        .iter()
        .map(|c| c.value.map(|m| m.currency().as_str().to_owned()))
        .collect();
    let first_seen: Vec<Option<jiff::civil::Date>> = unique.iter().map(|c| c.first_seen).collect();
    let churned: Vec<bool> = unique.iter().map(|c| c.churned).collect();

    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    // `xmax = 0` holds for a row version this statement inserted, not for one it updated.
    let rows = tx
        .query(
            "INSERT INTO customers (id, name, email, segment, business_unit, region, value_minor, currency,
                first_seen, churned)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::bigint[], $8::text[], $9::date[], $10::boolean[])
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,
                segment = EXCLUDED.segment, business_unit = EXCLUDED.business_unit, region = EXCLUDED.region,
                value_minor = EXCLUDED.value_minor, currency = EXCLUDED.currency,
                first_seen = EXCLUDED.first_seen, churned = EXCLUDED.churned
             RETURNING (xmax = 0)",
            &[&ids, &names, &emails, &segments, &units, &regions, &values, &currencies, &first_seen, &churned],
        )
        .map_err(|e| db_error(context, e))?;
    crate::results::bump(&mut tx).map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))?;
    let mut inserted = 0_u64;
    for row in &rows {
        let new: bool = get(row, 0, context)?;
        inserted += u64::from(new);
    }
    Ok(UpsertOutcome {
        inserted,
        updated: rows.len() as u64 - inserted + repeats,
    })
}

pub(crate) fn one(client: &mut Client, id: &CustomerId) -> StoreResult<Option<Customer>> {
    let context = "reading a customer";
    let row = client
        .query_opt(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1"),
            &[&id.as_str()],
        )
        .map_err(|e| db_error(context, e))?;
    row.as_ref().map(decode_customer).transpose()
}

pub(crate) fn count_all(client: &mut Client) -> StoreResult<u64> {
    let context = "counting customers";
    let row = client
        .query_one("SELECT count(*) FROM customers", &[])
        .map_err(|e| db_error(context, e))?;
    count(&row, 0, context)
}

pub(crate) fn scan(
    pool: &Pool,
    page_size: usize,
    visit: &mut PageVisitor<'_, Customer>,
) -> StoreResult<()> {
    let context = "reading customers";
    let first = format!("SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id LIMIT $1");
    let next =
        format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id > $2 ORDER BY id LIMIT $1");
    let page_size = page_size.max(1);
    let limit = i64::try_from(page_size).unwrap_or(i64::MAX);
    let mut last_id: Option<String> = None;
    loop {
        let page = {
            // The connection goes back to the pool before the visitor runs.
            let mut client = pool.get()?;
            let rows = match &last_id {
                None => client.query(&first, &[&limit]),
                Some(last) => client.query(&next, &[&limit, last]),
            }
            .map_err(|e| db_error(context, e))?;
            rows.iter()
                .map(decode_customer)
                .collect::<StoreResult<Vec<_>>>()?
        };
        let Some(last) = page.last() else {
            return Ok(());
        };
        last_id = Some(last.id.to_string());
        let full = page.len() == page_size;
        if visit(page).is_break() || !full {
            return Ok(());
        }
    }
}

fn decode_customer(row: &Row) -> StoreResult<Customer> {
    let context = "reading customers";
    let id: String = get(row, 0, context)?;
    let c = Corrupt {
        table: "customers",
        row: &id,
    };
    let value_minor: Option<i64> = get(row, 6, context)?;
    let currency: Option<String> = get(row, 7, context)?;
    let value = match (value_minor, currency) {
        (Some(minor), Some(code)) => Some(Money::from_minor(
            minor,
            c.check("currency", Currency::parse(&code))?,
        )),
        (None, None) => None,
        (Some(minor), None) => {
            return c.invalid(
                "currency",
                &minor.to_string(),
                "an amount without a currency",
            );
        }
        (None, Some(code)) => {
            return c.invalid("value_minor", &code, "a currency without an amount");
        }
    };
    Ok(Customer {
        id: c.check("id", CustomerId::parse(&id))?,
        name: c.label("name", get(row, 1, context)?)?,
        email: match get::<Option<String>>(row, 2, context)? {
            Some(raw) => c.check("email", Customer::parse_email(&raw))?,
            None => None,
        },
        segment: c.label("segment", get(row, 3, context)?)?,
        business_unit: c.label("business_unit", get(row, 4, context)?)?,
        region: c.label("region", get(row, 5, context)?)?,
        value,
        first_seen: get(row, 8, context)?,
        churned: get(row, 9, context)?,
    })
}
