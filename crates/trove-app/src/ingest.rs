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
