//! `POST /api/v1/feedback`: feedback over HTTP, through the same import as files.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde_json::Value;
use trove_app::{ImportError, IngestBatch};
use trove_domain::{Channel, Label};
use trove_ingest::{Format, Mapping};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::types::{FeedbackBody, FeedbackQuery, IngestResult, ItemErrorOut};

/// The most items one request may post.
pub(crate) const MAX_ITEMS: usize = 1_000;

/// The largest request body of the API (5 MiB; the pages' forms keep their 64 KiB).
pub(crate) const BODY_LIMIT: usize = 5 * 1024 * 1024;

/// The items of a body: an array, `{"items": [...]}`, or one item.
fn items_of(body: Value) -> Result<Vec<Value>, ApiError> {
    match body {
        Value::Array(items) => Ok(items),
        Value::Object(mut object) if object.contains_key("items") => match object.remove("items") {
            Some(Value::Array(items)) if object.is_empty() => Ok(items),
            Some(Value::Array(_)) => Err(ApiError::validation(
                "items",
                "a batch object holds `items` only (source and channel are query parameters)",
            )),
            _ => Err(ApiError::validation(
                "items",
                "`items` is an array of items",
            )),
        },
        item @ Value::Object(_) => Ok(vec![item]),
        _ => Err(ApiError::validation(
            "body",
            "send one item (an object), an array of items, or {\"items\": [...]}",
        )),
    }
}

/// The source the items go to: the one named, which the token must be allowed, or the
/// token's only `ingest:` source.
fn source_of(caller: &Caller, named: Option<&str>) -> Result<Label, ApiError> {
    let holder = &caller.0;
    let sources = holder.ingest_sources();
    let source = match named {
        Some(source) if holder.can_ingest(source) => source,
        Some(source) => {
            return Err(ApiError::forbidden(format!(
                "this token may not post feedback of source {source:?}"
            ))
            .on("source"));
        }
        None => match sources.as_slice() {
            [only] => only,
            [] => {
                return Err(ApiError::forbidden(
                    "this token has no ingest scope (ingest:SOURCE)",
                ));
            }
            _ => {
                return Err(ApiError::validation(
                    "source",
                    format!(
                        "this token may post to several sources ({}): name one with ?source=",
                        sources.join(", ")
                    ),
                ));
            }
        },
    };
    Label::parse("source", source).map_err(|e| ApiError::validation("source", e.to_string()))
}

/// Reads the named mapping of the server's `--mappings` folder. A token limited to a
/// business unit posts Trove's own shape only (where the unit is checked per item).
async fn load_mapping(
    state: &crate::State,
    name: &str,
    caller: &Caller,
) -> Result<Mapping, ApiError> {
    if caller.0.business_unit.is_some() {
        return Err(ApiError::forbidden(
            "a token limited to a business unit posts Trove's own item shape only",
        )
        .on("mapping"));
    }
    let Some(folder) = state.options.mappings.clone() else {
        return Err(ApiError::validation(
            "mapping",
            "this server has no mappings folder (`trove serve --mappings DIR`)",
        ));
    };
    // A plain name: never a path out of the folder.
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::validation(
            "mapping",
            "a mapping is named by letters, digits, - and _",
        ));
    }
    let path = folder.join(format!("{name}.toml"));
    if !path.is_file() {
        return Err(ApiError::not_found(format!("there is no mapping {name:?}")).on("mapping"));
    }
    let mapping = tokio::task::spawn_blocking(move || Mapping::load(&path))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if mapping.format.is_some_and(|f| f != Format::Jsonl) {
        return Err(ApiError::validation(
            "mapping",
            format!("mapping {name:?} reads files of another format; the API takes JSON"),
        ));
    }
    Ok(mapping)
}

/// `POST /api/v1/feedback`: stores one item or a batch (at most 1,000 items, 5 MiB) with the
/// same validation, masking of personal data, sentiment and tagging as a file import,
/// recorded as an import run. Idempotent: an item whose source and id are stored already is
/// counted as a duplicate and changes nothing. Valid items are kept whatever the others; each
/// refused one is named by its index and field.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback",
    params(FeedbackQuery),
    request_body(content = FeedbackBody, content_type = "application/json"),
    responses(
        (status = 200, description = "What was stored, and each refused item", body = IngestResult),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No ingest scope for this source", body = ErrorBody),
        (status = 413, description = "More than 1,000 items or 5 MiB", body = ErrorBody),
        (status = 422, description = "A bad source, channel or body shape", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn post_feedback(
    State(state): State<crate::State>,
    caller: Caller,
    Query(query): Query<FeedbackQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<IngestResult>, ApiError> {
    let mapping = match query.mapping.as_deref() {
        Some(name) => Some(load_mapping(&state, name, &caller).await?),
        None => None,
    };
    let named_source = match &mapping {
        Some(mapping) => {
            let source = mapping.source.as_str();
            if query.source.as_deref().is_some_and(|named| named != source) {
                return Err(ApiError::validation(
                    "source",
                    format!("the mapping's source is {source:?}: leave ?source= out or name that"),
                ));
            }
            Some(source.to_owned())
        }
        None => query.source.clone(),
    };
    let source = source_of(&caller, named_source.as_deref())?;
    let body = body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "the body is larger than {} MiB: post smaller batches",
                BODY_LIMIT / (1024 * 1024)
            ))
        } else {
            ApiError::invalid_json(rejection.body_text())
        }
    })?;
    let channel = query
        .channel
        .as_deref()
        .map(str::parse::<Channel>)
        .transpose()
        .map_err(|e| ApiError::validation("channel", e.to_string()))?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_json(format!("the body is not JSON: {e}")))?;
    let items = items_of(body)?;
    if items.len() > MAX_ITEMS {
        return Err(ApiError::too_large(format!(
            "{} items in one request: at most {MAX_ITEMS}",
            items.len()
        ))
        .on("items"));
    }
    let holder = caller.0;
    let token = holder.id;
    let app = state.app.clone();
    let report = tokio::task::spawn_blocking(move || {
        let batch = IngestBatch {
            label: format!("api:token {} source {}", holder.id, source.as_str()),
            source,
            channel,
            mapping: mapping.as_ref(),
            business_unit: holder.business_unit.as_deref(),
        };
        app.ingest_feedback(items, &batch)
            .map_err(|error| match error {
                // The batch as a whole could not be read (dates whose order it does not show).
                ImportError::File(error) => ApiError::validation("items", error.to_string()),
                error => ApiError::internal(error),
            })
    })
    .await
    .map_err(ApiError::internal)??;
    tracing::info!(
        token,
        import_run = report.import_run,
        received = report.received,
        stored = report.stored,
        duplicates = report.duplicates,
        rejected = report.rejected,
        "feedback posted"
    );
    Ok(Json(IngestResult {
        import_run: report.import_run,
        received: report.received,
        stored: report.stored,
        duplicates: report.duplicates,
        rejected: report.rejected,
        errors: report
            .errors
            .into_iter()
            .map(|e| ItemErrorOut {
                index: e.index,
                field: e.field,
                message: e.message,
            })
            .collect(),
        notes: report.notes,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn a_body_is_one_item_an_array_or_a_batch_object() {
        assert_eq!(items_of(json!({"id": "1"})).unwrap().len(), 1);
        assert_eq!(
            items_of(json!([{"id": "1"}, {"id": "2"}])).unwrap().len(),
            2
        );
        assert_eq!(items_of(json!({"items": [{"id": "1"}]})).unwrap().len(), 1);
        assert!(items_of(json!({"items": [], "source": "x"})).is_err());
        assert!(items_of(json!({"items": 3})).is_err());
        assert!(items_of(json!("text")).is_err());
    }
}
