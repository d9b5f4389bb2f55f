//! Rows back into domain values. Every stored value is parsed again by its domain type, so a
//! database edited by hand fails loudly ([`StoreError::Corrupt`]) instead of spreading bad data.

use rusqlite::{Connection, Row, params};
use trove_domain::{
    Attributes, Currency, Customer, CustomerId, Department, DomainError, ExternalId, FeedbackItem,
    FeedbackText, Journey, Label, Money, ReceivedAt, Scores, Slug, Stage, StoredFeedback, Theme,
    Touchpoint,
};
use trove_store::{StoreError, StoreResult};

pub(crate) fn db_error(context: &'static str, error: impl ToString) -> StoreError {
    StoreError::database(context, error)
}

pub(crate) fn label_text(label: &Option<Label>) -> Option<&str> {
    label.as_ref().map(Label::as_str)
}

/// The columns [`decode_feedback`] reads, in order.
pub(crate) const FEEDBACK_COLUMNS: &str = "id, source, external_id, channel, received_at, received_offset, customer_id,
    account, business_unit, product, region, touchpoint, journey_stage, text, nps, csat, ces, language, attributes, sentiment,
    suggestion";

/// Turns a domain parse failure on a stored value into [`StoreError::Corrupt`].
struct Corrupt<'a> {
    table: &'static str,
    row: &'a dyn std::fmt::Display,
}

impl Corrupt<'_> {
    fn check<T>(&self, column: &'static str, parsed: Result<T, DomainError>) -> StoreResult<T> {
        parsed.map_err(|source| StoreError::Corrupt {
            table: self.table,
            column,
            row: self.row.to_string(),
            source,
        })
    }

    fn label(&self, column: &'static str, raw: Option<String>) -> StoreResult<Option<Label>> {
        raw.map(|raw| self.check(column, Label::parse(column, &raw)))
            .transpose()
    }
}

/// Decodes one feedback row; the outer error is SQLite's, the inner one a corrupt value.
pub(crate) fn decode_feedback(row: &Row<'_>) -> rusqlite::Result<StoreResult<StoredFeedback>> {
    let id: i64 = row.get(0)?;
    let raw = RawFeedback {
        source: row.get(1)?,
        external_id: row.get(2)?,
        channel: row.get(3)?,
        received_at: row.get(4)?,
        received_offset: row.get(5)?,
        customer_id: row.get(6)?,
        labels: [
            row.get(7)?,
            row.get(8)?,
            row.get(9)?,
            row.get(10)?,
            row.get(11)?,
            row.get(12)?,
        ],
        text: row.get(13)?,
        scores: [row.get(14)?, row.get(15)?, row.get(16)?],
        language: row.get(17)?,
        attributes: row.get(18)?,
        sentiment: row.get(19)?,
        suggestion: row.get(20)?,
    };
    Ok(raw.into_item(id).map(|item| StoredFeedback { id, item }))
}

struct RawFeedback {
    source: String,
    external_id: String,
    channel: String,
    received_at: i64,
    received_offset: i32,
    customer_id: Option<String>,
    /// account, business_unit, product, region, touchpoint, journey_stage
    labels: [Option<String>; 6],
    text: String,
    /// nps, csat, ces
    scores: [Option<i64>; 3],
    language: Option<String>,
    attributes: Option<String>,
    sentiment: Option<f32>,
    suggestion: bool,
}

impl RawFeedback {
    fn into_item(self, id: i64) -> StoreResult<FeedbackItem> {
        let c = Corrupt {
            table: "feedback",
            row: &id,
        };
        let [
            account,
            business_unit,
            product,
            region,
            touchpoint,
            journey_stage,
        ] = self.labels;
        let [nps, csat, ces] = self.scores;
        let attributes: Attributes = match self.attributes {
            None => Attributes::default(),
            Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                table: "feedback",
                column: "attributes",
                row: id.to_string(),
                source: DomainError::Invalid {
                    what: "attributes",
                    value: json.chars().take(60).collect(),
                    why: e.to_string(),
                },
            })?,
        };
        Ok(FeedbackItem {
            source: c.check("source", Label::parse("source", &self.source))?,
            channel: c.check("channel", self.channel.parse())?,
            external_id: c.check("external_id", ExternalId::parse(&self.external_id))?,
            received_at: c.check(
                "received_at",
                ReceivedAt::from_parts(self.received_at, self.received_offset),
            )?,
            customer_id: self
                .customer_id
                .map(|raw| c.check("customer_id", CustomerId::parse(&raw)))
                .transpose()?,
            account: c.label("account", account)?,
            business_unit: c.label("business_unit", business_unit)?,
            product: c.label("product", product)?,
            region: c.label("region", region)?,
            touchpoint: c.label("touchpoint", touchpoint)?,
            journey_stage: c.label("journey_stage", journey_stage)?,
            text: c.check("text", FeedbackText::parse(&self.text))?,
            sentiment: self.sentiment,
            suggestion: self.suggestion,
            scores: Scores {
                nps: nps.map(|v| c.check("nps", v.try_into())).transpose()?,
                csat: csat.map(|v| c.check("csat", v.try_into())).transpose()?,
                ces: ces.map(|v| c.check("ces", v.try_into())).transpose()?,
            },
            language: c.label("language", self.language)?,
            source_themes: Vec::new(),
            attributes,
        })
    }
}

/// The columns [`decode_customer`] reads, in order.
pub(crate) const CUSTOMER_COLUMNS: &str =
    "id, name, email, segment, business_unit, region, value_minor, currency, first_seen, churned";

/// Decodes one customer row; the outer error is SQLite's, the inner one a corrupt value.
pub(crate) fn decode_customer(row: &Row<'_>) -> rusqlite::Result<StoreResult<Customer>> {
    let id: String = row.get(0)?;
    let c = Corrupt {
        table: "customers",
        row: &id,
    };
    let value_minor: Option<i64> = row.get(6)?;
    let currency: Option<String> = row.get(7)?;
    let first_seen: Option<String> = row.get(8)?;
    let decoded = (|| {
        let value = match (value_minor, currency) {
            (Some(minor), Some(code)) => Some(Money::from_minor(
                minor,
                c.check("currency", Currency::parse(&code))?,
            )),
            _ => None,
        };
        let first_seen = first_seen
            .map(|raw| {
                c.check(
                    "first_seen",
                    raw.parse::<jiff::civil::Date>()
                        .map_err(|e| DomainError::Invalid {
                            what: "date",
                            value: raw.clone(),
                            why: e.to_string(),
                        }),
                )
            })
            .transpose()?;
        Ok(Customer {
            id: c.check("id", CustomerId::parse(&id))?,
            name: c.label(
                "name",
                row.get(1).map_err(|e| db_error("reading customers", e))?,
            )?,
            email: c.label(
                "email",
                row.get(2).map_err(|e| db_error("reading customers", e))?,
            )?,
            segment: c.label(
                "segment",
                row.get(3).map_err(|e| db_error("reading customers", e))?,
            )?,
            business_unit: c.label(
                "business_unit",
                row.get(4).map_err(|e| db_error("reading customers", e))?,
            )?,
            region: c.label(
                "region",
                row.get(5).map_err(|e| db_error("reading customers", e))?,
            )?,
            value,
            first_seen,
            churned: row.get(9).map_err(|e| db_error("reading customers", e))?,
        })
    })();
    Ok(decoded)
}

pub(crate) fn load_themes(connection: &Connection) -> StoreResult<Vec<Theme>> {
    let context = "reading themes";
    let mut statement = connection
        .prepare("SELECT id, name, parent_id FROM themes ORDER BY id")
        .map_err(|e| db_error(context, e))?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(|e| db_error(context, e))?;
    let mut themes = Vec::new();
    for row in rows {
        let (id, name, parent) = row.map_err(|e| db_error(context, e))?;
        let c = Corrupt {
            table: "themes",
            row: &id,
        };
        themes.push(Theme {
            id: c.check("id", Slug::parse("theme id", &id))?,
            name: c.check("name", Label::parse("theme name", &name))?,
            parent: parent
                .map(|p| c.check("parent_id", Slug::parse("theme id", &p)))
                .transpose()?,
        });
    }
    Ok(themes)
}

pub(crate) fn load_journey(connection: &Connection) -> StoreResult<Option<Journey>> {
    let context = "reading the journey";
    let strings = |sql: &str| -> StoreResult<Vec<(String, String)>> {
        let mut statement = connection.prepare(sql).map_err(|e| db_error(context, e))?;
        let rows = statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| db_error(context, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    };
    let stage_rows = strings("SELECT id, name FROM stages ORDER BY position")?;
    if stage_rows.is_empty() {
        return Ok(None);
    }
    let slug = |table: &'static str, raw: &str| {
        Corrupt { table, row: &raw }.check("id", Slug::parse("id", raw))
    };
    let name = |table: &'static str, raw: &str| {
        Corrupt { table, row: &raw }.check("name", Label::parse("name", raw))
    };
    let departments = strings("SELECT id, name FROM departments ORDER BY position, id")?
        .into_iter()
        .map(|(id, n)| {
            Ok(Department {
                id: slug("departments", &id)?,
                name: name("departments", &n)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let mut touchpoint_statement = connection
        .prepare("SELECT id, name, moment_of_truth FROM touchpoints WHERE stage_id = ?1 ORDER BY position")
        .map_err(|e| db_error(context, e))?;
    let mut department_statement = connection
        .prepare("SELECT department_id FROM touchpoint_departments WHERE touchpoint_id = ?1 ORDER BY position")
        .map_err(|e| db_error(context, e))?;
    let mut stages = Vec::new();
    for (stage_id, stage_name) in stage_rows {
        let touchpoint_rows: Vec<(String, String, bool)> = touchpoint_statement
            .query_map(params![stage_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))?;
        let mut touchpoints = Vec::new();
        for (id, touchpoint_name, moment_of_truth) in touchpoint_rows {
            let department_ids: Vec<String> = department_statement
                .query_map(params![id], |r| r.get(0))
                .map_err(|e| db_error(context, e))?
                .collect::<Result<_, _>>()
                .map_err(|e| db_error(context, e))?;
            touchpoints.push(Touchpoint {
                id: slug("touchpoints", &id)?,
                name: name("touchpoints", &touchpoint_name)?,
                moment_of_truth,
                departments: department_ids
                    .iter()
                    .map(|d| slug("touchpoint_departments", d))
                    .collect::<StoreResult<_>>()?,
            });
        }
        stages.push(Stage {
            id: slug("stages", &stage_id)?,
            name: name("stages", &stage_name)?,
            touchpoints,
        });
    }
    Journey::new(stages, departments)
        .map(Some)
        .map_err(|source| StoreError::Corrupt {
            table: "stages",
            column: "id",
            row: "journey".into(),
            source,
        })
}
