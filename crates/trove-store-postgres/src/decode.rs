//! Rows back into domain values. Every stored value is parsed again by its domain type, so a
//! database edited by hand fails loudly ([`StoreError::Corrupt`]) instead of spreading bad data.

use std::error::Error;
use std::fmt::Display;

use postgres::Row;
use postgres::types::FromSql;
use trove_domain::{DomainError, Label};
use trove_store::{StoreError, StoreResult};

/// A driver error with what the store was doing.
pub(crate) fn db_error(context: &'static str, error: impl Error + 'static) -> StoreError {
    StoreError::database(context, describe(&error))
}

/// The whole of an error: the server's message, code, detail and hint for an error the server
/// reported (the driver's own `Display` says only "db error"), else the chain of causes.
pub(crate) fn describe(error: &(dyn Error + 'static)) -> String {
    if let Some(db) = error
        .downcast_ref::<postgres::Error>()
        .and_then(postgres::Error::as_db_error)
    {
        let mut text = format!("{} (sqlstate {})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(&format!("; detail: {detail}"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

/// The text of an optional label, as a nullable parameter.
pub(crate) fn label_text(label: &Option<Label>) -> Option<&str> {
    label.as_ref().map(Label::as_str)
}

/// Column `index` of `row`, a driver error (wrong type, unexpected NULL) naming `context`.
pub(crate) fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    context: &'static str,
) -> StoreResult<T> {
    row.try_get(index).map_err(|e| db_error(context, e))
}

/// A count read as BIGINT; never negative.
pub(crate) fn count(row: &Row, index: usize, context: &'static str) -> StoreResult<u64> {
    let value: i64 = get(row, index, context)?;
    u64::try_from(value).map_err(|e| db_error(context, e))
}

/// A count as a BIGINT parameter (counts never reach `i64::MAX`).
pub(crate) fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Turns a domain parse failure on a stored value into [`StoreError::Corrupt`].
pub(crate) struct Corrupt<'a> {
    pub(crate) table: &'static str,
    pub(crate) row: &'a dyn Display,
}

impl Corrupt<'_> {
    pub(crate) fn check<T>(
        &self,
        column: &'static str,
        parsed: Result<T, DomainError>,
    ) -> StoreResult<T> {
        parsed.map_err(|source| StoreError::Corrupt {
            table: self.table,
            column,
            row: self.row.to_string(),
            source,
        })
    }

    pub(crate) fn label(
        &self,
        column: &'static str,
        raw: Option<String>,
    ) -> StoreResult<Option<Label>> {
        raw.map(|raw| self.check(column, Label::parse(column, &raw)))
            .transpose()
    }

    /// A value no domain parser covers (JSON, an enum name) that failed to read.
    pub(crate) fn invalid<T>(
        &self,
        column: &'static str,
        raw: &str,
        why: impl ToString,
    ) -> StoreResult<T> {
        self.check(
            column,
            Err(DomainError::Invalid {
                what: column,
                value: raw.chars().take(60).collect(),
                why: why.to_string(),
            }),
        )
    }
}

/// A grouped tally row: the group's key, then the ten counts of [`trove_store::ScoreTally`] in
/// [`trove_store::TOTALS_TALLY_COLUMNS`] order.
pub(crate) fn group_tally(
    row: &Row,
    context: &'static str,
) -> StoreResult<trove_store::GroupTally> {
    let mut values = [0_u64; 10];
    for (index, value) in values.iter_mut().enumerate() {
        *value = count(row, index + 1, context)?;
    }
    Ok(trove_store::GroupTally {
        key: get(row, 0, context)?,
        tally: trove_store::tally_from_values(values),
    })
}
