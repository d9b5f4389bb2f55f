//! Customer files: each record becomes a [`Customer`] through a [`CustomerMapping`].

use std::io::Read;

use trove_domain::{Currency, Customer, CustomerId, DomainError, Money};

use crate::ReadOptions;
use crate::error::{FileError, RowError, RowErrorKind, RowFailure, excerpt};
use crate::feedback::{Rows, label, parse_optional, parse_required, reader_accessors};
use crate::mapping::{CustomerColumns, CustomerMapping};
use crate::source::{InputSpec, Wanted};
use crate::time::parse_date;

/// Slots of the customer fields, in [`CustomerColumns::all`] order.
struct CustomerPlan {
    slots: [Option<usize>; 10],
    currency: Option<Currency>,
    date_format: Option<String>,
}

const ID: usize = 0;
const NAME: usize = 1;
const EMAIL: usize = 2;
const SEGMENT: usize = 3;
const BUSINESS_UNIT: usize = 4;
const REGION: usize = 5;
const VALUE: usize = 6;
const CURRENCY: usize = 7;
const FIRST_SEEN: usize = 8;
const CHURNED: usize = 9;

impl CustomerPlan {
    fn new(mapping: &CustomerMapping) -> (Self, Vec<Wanted>) {
        // Without explicit columns, the default names are looked for and only `id` must exist.
        let (columns, explicit) = match &mapping.columns {
            Some(columns) => (columns.clone(), true),
            None => (CustomerColumns::defaults(), false),
        };
        let mut wanted = Vec::new();
        let mut slots = [None; 10];
        for (field, (key, column)) in columns.all().into_iter().enumerate() {
            if let Some(column) = column {
                let mut w = Wanted::new(column, key);
                w.required = explicit || field == ID;
                wanted.push(w);
                slots[field] = Some(wanted.len() - 1);
            }
        }
        let plan = Self {
            slots,
            currency: mapping.currency,
            date_format: mapping.date_format.clone(),
        };
        (plan, wanted)
    }

    fn build<R: Read>(&self, rows: &Rows<R>) -> Result<Customer, RowFailure> {
        let rec = &rows.records;
        let s = &self.slots;
        let id_slot = s[ID].unwrap_or_default();
        let id = parse_required(rec, id_slot, "customer id", CustomerId::parse)?;
        let currency = match parse_optional(rec, s[CURRENCY], Currency::parse)? {
            Some(currency) => Some(currency),
            None => self.currency,
        };
        let value = parse_optional(rec, s[VALUE], |raw| match currency {
            Some(currency) => Money::parse(raw, currency),
            None => Err(DomainError::Invalid {
                what: "lifetime value",
                value: excerpt(raw),
                why: "no currency: add a currency column or set currency in the mapping".into(),
            }),
        })?;
        Ok(Customer {
            id,
            name: label(rec, s[NAME], "name")?,
            email: parse_optional(rec, s[EMAIL], Customer::parse_email)?.flatten(),
            segment: label(rec, s[SEGMENT], "segment")?,
            business_unit: label(rec, s[BUSINESS_UNIT], "business unit")?,
            region: label(rec, s[REGION], "region")?,
            value,
            first_seen: parse_optional(rec, s[FIRST_SEEN], |raw| {
                parse_date(raw, self.date_format.as_deref())
            })?,
            churned: parse_optional(rec, s[CHURNED], parse_flag)?.unwrap_or(false),
        })
    }
}

fn parse_flag(raw: &str) -> Result<bool, RowErrorKind> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(RowErrorKind::Value(DomainError::Invalid {
            what: "churned flag",
            value: excerpt(raw),
            why: "expected yes/no, true/false, y/n or 1/0".into(),
        })),
    }
}

/// Reads customers from a file, one per row, in constant memory. Made by
/// [`crate::read_customers`].
pub struct CustomerReader<R> {
    rows: Rows<R>,
    plan: CustomerPlan,
}

impl<R: Read> CustomerReader<R> {
    pub(crate) fn open(
        reader: R,
        file: &str,
        mapping: &CustomerMapping,
        options: &ReadOptions,
    ) -> Result<Self, FileError> {
        mapping.validate().map_err(|source| FileError::Mapping {
            file: file.to_owned(),
            source,
        })?;
        let spec = InputSpec::new(
            file,
            mapping.format,
            mapping.delimiter,
            mapping.encoding,
            mapping.sheet.as_deref(),
            options,
        );
        let (plan, wanted) = CustomerPlan::new(mapping);
        let rows = Rows::open(reader, file, &spec, &wanted)?;
        Ok(Self { rows, plan })
    }

    reader_accessors!();
}

impl<R: Read> Iterator for CustomerReader<R> {
    type Item = Result<Customer, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let step = self.rows.records.advance()?;
        let customer = step.and_then(|()| self.plan.build(&self.rows));
        Some(customer.map_err(|failure| self.rows.fail(failure)))
    }
}
