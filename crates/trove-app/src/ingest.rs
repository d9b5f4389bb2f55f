//! Feedback posted over HTTP: a batch of JSON items, in Trove's own item shape or through a
//! named mapping, goes through the file import ([`App::import_feedback`]) as JSON Lines, so
//! it is validated, masked, scored for sentiment, tagged and recorded as an import run exactly
//! like a file. What only the API adds: every item needs its id (a retry is recognised by
//! source and id and adds nothing), keys outside the item shape are refused rather than
//! ignored, a token limited to a business unit posts only that unit's items, and every error
//! names the item's index in the batch and its field.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};
use trove_domain::{Channel, Label};
use trove_ingest::{Format, Mapping};

use crate::{App, ImportError, ImportOptions, NoProgress};

/// The fields of Trove's own item shape.
pub const ITEM_FIELDS: [&str; 17] = [
    "id",
    "time",
    "text",
    "channel",
    "customer",
    "account",
    "business_unit",
    "product",
    "region",
    "touchpoint",
    "stage",
    "language",
    "nps",
    "csat",
    "ces",
    "themes",
    "attributes",
];

/// A batch to ingest.
#[derive(Debug, Clone)]
pub struct IngestBatch<'a> {
    /// The source of every item (Trove's own shape; a mapping names its own).
    pub source: Label,
    /// The channel of items that give none (Trove's own shape).
    pub channel: Option<Channel>,
    /// Read the items through this mapping instead of as Trove's own shape.
    pub mapping: Option<&'a Mapping>,
    /// The only business unit the items may have; items without one get it.
    pub business_unit: Option<&'a str>,
    /// How the import run is named (`file` in its record and the errors).
    pub label: String,
}

/// One refused item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemError {
    /// Its index in the batch (0-based).
    pub index: usize,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// Why it was refused.
    pub message: String,
}

/// What a posted batch did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// The import run that recorded it.
    pub import_run: i64,
    /// Items received.
    pub received: u64,
    /// Items stored now.
    pub stored: u64,
    /// Items already stored (same source and id): a retry adds nothing.
    pub duplicates: u64,
    /// Items refused; the valid ones were kept.
    pub rejected: u64,
    /// Every refused item, by index.
    pub errors: Vec<ItemError>,
    /// What the import decided on its own (the order of day and month in dates).
    pub notes: Vec<String>,
}

/// The mapping of Trove's own item shape for `source`, keeping the `attributes` keys seen.
fn own_mapping(source: Label, attribute_keys: &BTreeSet<String>) -> Mapping {
    let mut mapping = Mapping::new(source, Channel::Survey);
    mapping.channel = None;
    mapping.channel_column = Some("channel".into());
    mapping.format = Some(Format::Jsonl);
    for field in trove_ingest::Columns::FIELDS {
        mapping
            .columns
            .set(field, field)
            .expect("the FIELDS are the names `set` takes");
    }
    mapping.themes.columns = vec!["themes".into()];
    for key in attribute_keys {
        let column = format!("attributes.{key}");
        mapping
            .attributes
            .rename
            .insert(column.clone(), key.clone());
        mapping.attributes.columns.push(column);
    }
    mapping
}

/// Checks one item of Trove's own shape and fills in its defaults; the error names the field.
fn check_own_item(
    item: &mut Value,
    batch: &IngestBatch<'_>,
    now: &str,
    attribute_keys: &mut BTreeSet<String>,
) -> Result<(), (Option<String>, String)> {
    let Value::Object(fields) = item else {
        return Err((None, "an item is a JSON object".into()));
    };
    if let Some(unknown) = fields.keys().find(|k| !ITEM_FIELDS.contains(&k.as_str())) {
        return Err((
            Some(unknown.clone()),
            format!(
                "unknown field {unknown:?}: an item's fields are {}",
                ITEM_FIELDS.join(", ")
            ),
        ));
    }
    let has_id = match fields.get("id") {
        Some(Value::String(id)) => !id.trim().is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    };
    if !has_id {
        return Err((
            Some("id".into()),
            "an item needs its id in its source (a string): a retry is recognised by it".into(),
        ));
    }
    if let Some(limit) = batch.business_unit {
        match fields.get("business_unit") {
            None | Some(Value::Null) => {
                fields.insert("business_unit".into(), Value::String(limit.to_owned()));
            }
            Some(Value::String(unit)) if unit.trim() == limit => {}
            Some(other) => {
                return Err((
                    Some("business_unit".into()),
                    format!("business unit {other} is outside this token's unit {limit:?}"),
                ));
            }
        }
    }
    // Received now unless it says when (a file without a time column gets the import time).
    if matches!(fields.get("time"), None | Some(Value::Null)) {
        fields.insert("time".into(), Value::String(now.to_owned()));
    }
    if let Some(channel) = batch.channel
        && matches!(fields.get("channel"), None | Some(Value::Null))
    {
        fields.insert("channel".into(), Value::String(channel.as_str().to_owned()));
    }
    check_attributes(fields, attribute_keys)
}

fn check_attributes(
    fields: &Map<String, Value>,
    attribute_keys: &mut BTreeSet<String>,
) -> Result<(), (Option<String>, String)> {
    match fields.get("attributes") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(attributes)) => {
            for (key, value) in attributes {
                if key.trim().is_empty() || key.contains('.') {
                    return Err((
                        Some("attributes".into()),
                        format!("attribute name {key:?} is empty or holds a dot"),
                    ));
                }
                if matches!(value, Value::Object(_) | Value::Array(_)) {
                    return Err((
                        Some(format!("attributes.{key}")),
                        "an attribute is a string, number or boolean".into(),
                    ));
                }
                attribute_keys.insert(key.clone());
            }
            Ok(())
        }
        Some(_) => Err((
            Some("attributes".into()),
            "attributes are an object of names and values".into(),
        )),
    }
}

impl App {
    /// Ingests a posted batch: checks the items, imports the valid ones as JSON Lines through
    /// the file import (one import run), and reports every refused item by index and field.
    pub fn ingest_feedback(
        &self,
        mut items: Vec<Value>,
        batch: &IngestBatch<'_>,
    ) -> Result<IngestReport, ImportError> {
        let received = items.len() as u64;
        let mut errors = Vec::new();
        let mut attribute_keys = BTreeSet::new();
        // The index in the batch of each line handed to the import.
        let mut indexes = Vec::with_capacity(items.len());
        let mut lines = Vec::new();
        let now = jiff::Timestamp::now().to_string();
        for (index, item) in items.iter_mut().enumerate() {
            if batch.mapping.is_none()
                && let Err((field, message)) =
                    check_own_item(item, batch, &now, &mut attribute_keys)
            {
                errors.push(ItemError {
                    index,
                    field,
                    message,
                });
                continue;
            }
            if batch.mapping.is_some() && !item.is_object() {
                errors.push(ItemError {
                    index,
                    field: None,
                    message: "an item is a JSON object".into(),
                });
                continue;
            }
            // One line per item: serialised JSON never holds a raw newline.
            serde_json::to_writer(&mut lines, item).map_err(|e| {
                ImportError::Store(trove_store::StoreError::database("encoding an item", e))
            })?;
            lines.push(b'\n');
            indexes.push(index);
        }
        let own;
        let mapping = match batch.mapping {
            Some(mapping) => {
                let mut jsonl = mapping.clone();
                jsonl.format = Some(Format::Jsonl);
                own = jsonl;
                &own
            }
            None => {
                own = own_mapping(batch.source.clone(), &attribute_keys);
                &own
            }
        };
        let options = ImportOptions {
            // Valid items are kept however many others are bad: a batch is no file to refuse.
            sanity_stop: None,
            max_errors: None,
            errors_listed: indexes.len(),
            ..ImportOptions::default()
        };
        let report = self.import_feedback(
            lines.as_slice(),
            &batch.label,
            mapping,
            &options,
            &NoProgress,
            None::<std::io::Sink>,
        )?;
        for error in &report.errors {
            // JSON Lines are numbered from 1, one item a line.
            let line = usize::try_from(error.line).unwrap_or(usize::MAX);
            errors.push(ItemError {
                index: indexes.get(line.wrapping_sub(1)).copied().unwrap_or(line),
                field: error.column.clone(),
                message: error.reason.clone(),
            });
        }
        errors.sort_by_key(|e| e.index);
        Ok(IngestReport {
            import_run: report.import_run,
            received,
            stored: report.imported,
            duplicates: report.duplicates,
            rejected: errors.len() as u64,
            errors,
            notes: report.notes,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::ops::ControlFlow;

    use serde_json::json;
    use trove_store::FeedbackFilter;

    use super::*;

    const TAXONOMY: &str =
        "name = \"t\"\n[[themes]]\nid = \"refund\"\nname = \"Refund\"\nkeywords = [\"refund\"]\n";

    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        let store = trove_store_sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let app = App::new(std::sync::Arc::new(store));
        app.load_taxonomy("t.toml", TAXONOMY).unwrap();
        (dir, app)
    }

    fn batch(business_unit: Option<&str>) -> IngestBatch<'_> {
        IngestBatch {
            source: Label::parse("source", "helpdesk").unwrap(),
            channel: Some(Channel::Ticket),
            mapping: None,
            business_unit,
            label: "test".into(),
        }
    }

    #[test]
    fn posted_items_are_masked_scored_tagged_and_errors_keep_their_batch_index() {
        let (_dir, app) = app();
        let items = vec![
            json!({"id": "1", "text": "My refund is missing, mail me at ann@example.com", "nps": 2,
                   "attributes": {"queue": "billing"}}),
            json!({"id": "2", "text": "bad score", "nps": 12}),
            json!({"text": "no id"}),
            json!({"id": "4", "text": "Lovely people, great service", "time": "2026-03-01T09:00:00+01:00"}),
            json!({"id": "5", "text": "x", "business_unit": "life"}),
        ];
        let report = app
            .ingest_feedback(items.clone(), &batch(Some("retail")))
            .unwrap();
        assert_eq!((report.received, report.stored, report.rejected), (5, 2, 3));
        let named: Vec<(usize, Option<&str>)> = report
            .errors
            .iter()
            .map(|e| (e.index, e.field.as_deref()))
            .collect();
        assert_eq!(
            named,
            [
                (1, Some("nps")),
                (2, Some("id")),
                (4, Some("business_unit"))
            ]
        );
        let mut stored = Vec::new();
        app.store()
            .scan_feedback(&FeedbackFilter::default(), 100, &mut |page| {
                stored.extend(page);
                ControlFlow::Continue(())
            })
            .unwrap();
        let first = &stored[0];
        assert_eq!(first.item.external_id.as_str(), "1");
        assert!(
            !first.item.text.as_str().contains("ann@example.com"),
            "masked: {}",
            first.item.text.as_str()
        );
        assert_eq!(
            first.item.business_unit.as_ref().map(|b| b.as_str()),
            Some("retail")
        );
        assert_eq!(first.item.attributes.get("queue"), Some("billing"));
        assert!(first.item.sentiment.is_some());
        let tags = app.store().item_tags(first.id).unwrap();
        assert!(
            tags.iter().any(|t| t.theme.as_str() == "refund"),
            "{tags:?}"
        );
        assert!(
            stored[1].item.sentiment.unwrap() > 0.3,
            "a glad text scores positive"
        );
        // A retry adds nothing.
        let again = app.ingest_feedback(items, &batch(Some("retail"))).unwrap();
        assert_eq!((again.stored, again.duplicates), (0, 2));
    }
}
