//! The items behind a number (`GET /api/v1/items`) and their export
//! (`GET /api/v1/items/export`), with the drill-down page's filters and counts. Both need
//! the `read` scope; a token limited to a business unit reads that unit's items only (a
//! request naming another unit is refused).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Serialize;
use trove_app::{
    ExportFormat, ItemView, ItemsError, ItemsQueryError, ItemsRequest, TokenHolder, cursor_text,
};
use trove_store::ItemPageAt;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody, blocking};
use super::types::ItemsQuery;

/// Items per page unless asked otherwise, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// An item as the API lists it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ItemOut {
    /// The store's id.
    id: i64,
    /// Received (RFC 3339, with the source's offset).
    received_at: String,
    /// The source.
    source: String,
    /// Its id in the source.
    external_id: String,
    /// The channel.
    channel: String,
    /// The business unit.
    business_unit: Option<String>,
    /// The touchpoint (its journey name when known).
    touchpoint: Option<String>,
    /// The journey stage.
    stage: Option<String>,
    /// The customer.
    customer: Option<String>,
    /// NPS answer (0-10).
    nps: Option<u8>,
    /// CSAT answer (1-5).
    csat: Option<u8>,
    /// CES answer (1-7).
    ces: Option<u8>,
    /// Sentiment of the text (-1 to 1).
    sentiment: Option<f32>,
    /// negative, neutral or positive.
    sentiment_class: Option<String>,
    /// Whether the text is a suggestion (asks the company to do more or less).
    suggestion: bool,
    /// Its themes' ids.
    themes: Vec<String>,
    /// The customer's words (masked as stored).
    text: String,
}

/// A page of the items behind a number.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ItemsOut {
    /// All matching items: the number the room shows for this filter.
    count: u64,
    /// What is listed, in words.
    description: String,
    /// The page's items, newest first.
    data: Vec<ItemOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    next_cursor: Option<String>,
}

fn item_out(item: ItemView) -> ItemOut {
    ItemOut {
        id: item.id,
        received_at: item.received_iso,
        source: item.source,
        external_id: item.external_id,
        channel: item.channel.to_owned(),
        business_unit: item.business_unit,
        touchpoint: item.touchpoint,
        stage: item.stage,
        customer: item.customer,
        nps: item.nps,
        csat: item.csat,
        ces: item.ces,
        sentiment: item.sentiment,
        sentiment_class: item.sentiment_word.map(str::to_owned),
        suggestion: item.suggestion,
        themes: item.themes.into_iter().map(|(id, _)| id).collect(),
        text: item.full_text,
    }
}

fn query_error(error: ItemsQueryError) -> ApiError {
    ApiError::validation(&error.field, error.message)
}

fn items_error(error: ItemsError) -> ApiError {
    match error {
        ItemsError::Query(error) => query_error(error),
        other => ApiError::internal(other),
    }
}

/// The request of the query's drill-down pairs (less `taken`, read by the caller), limited
/// to the token's business unit. The pages' `after`/`before` are refused: the API pages by
/// `cursor`.
fn request_of(
    holder: &TokenHolder,
    pairs: &[(String, String)],
    taken: &[&str],
) -> Result<ItemsRequest, ApiError> {
    let mut filters = Vec::new();
    for (name, value) in pairs {
        if matches!(name.as_str(), "after" | "before") {
            return Err(ApiError::validation(
                name,
                "the API pages with `cursor` (the `next_cursor` of a page)",
            ));
        }
        if !taken.contains(&name.as_str()) {
            filters.push((name.clone(), value.clone()));
        }
    }
    let mut request = ItemsRequest::parse(&filters).map_err(query_error)?;
    if let Some(unit) = &holder.business_unit {
        request
            .limit_to_business_unit(unit)
            .map_err(|e| ApiError::forbidden(e.message).on("bu"))?;
    }
    Ok(request)
}

/// The one value of `name` in the pairs, if given (given twice is refused).
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, ApiError> {
    let mut values = pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
    let first = values.next().map(String::as_str);
    if values.next().is_some() {
        return Err(ApiError::validation(name, format!("{name} is given twice")));
    }
    Ok(first.filter(|v| !v.trim().is_empty()))
}

fn pairs_of(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, ApiError> {
    query
        .map(|Query(pairs)| pairs)
        .map_err(|rejection| ApiError::validation("query", rejection.body_text()))
}

/// `GET /api/v1/items`: the items behind a number, newest first, a page at a time; `count`
/// is the number the room links here.
#[utoipa::path(get, path = "/api/v1/items", tag = "analysis", params(ItemsQuery),
    responses(
        (status = 200, description = "A page of the matching items", body = ItemsOut),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope, or another business unit", body = ErrorBody),
        (status = 422, description = "A bad filter, limit or cursor, named in `field`", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn list(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<ItemsOut>, ApiError> {
    let holder = caller.reads()?.clone();
    let pairs = pairs_of(query)?;
    let mut request = request_of(&holder, &pairs, &["limit", "cursor"])?;
    let limit = match single(&pairs, "limit")? {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::validation("limit", format!("limit is between 1 and {MAX_LIMIT}"))
            })?,
    };
    if let Some(cursor) = single(&pairs, "cursor")? {
        // The cursor is the pages' position (`received_at.id`) of the last item listed.
        let page = ItemsRequest::parse(&[("after".to_owned(), cursor.to_owned())])
            .map_err(|_| ApiError::validation("cursor", "this cursor is not one the API gave"))?
            .page;
        request.page = page;
    }
    let app = state.app.clone();
    let page = blocking(move || Ok::<_, String>(app.items_page_of(&request, limit)))
        .await?
        .map_err(items_error)?;
    Ok(Json(ItemsOut {
        count: page.count,
        description: page.description,
        next_cursor: page.next.map(cursor_text),
        data: page.items.into_iter().map(item_out).collect(),
    }))
}

/// `GET /api/v1/items/export`: every matching item, one row each with its themes,
/// sentiment, scores and attributes, as CSV (Excel-safe, UTF-8 with a byte order mark) or an
/// Excel workbook; the same filters and count as `/api/v1/items`.
#[utoipa::path(get, path = "/api/v1/items/export", tag = "analysis", params(ItemsQuery),
    responses(
        (status = 200, description = "The file, as an attachment named after the filter",
            content(
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope, or another business unit", body = ErrorBody),
        (status = 422, description = "A bad filter or format, named in `field`", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn export(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let holder = caller.reads()?.clone();
    let pairs = pairs_of(query)?;
    let mut request = request_of(&holder, &pairs, &["format"])?;
    request.page = ItemPageAt::First;
    let format = match single(&pairs, "format")? {
        None => ExportFormat::Csv,
        Some(raw) => ExportFormat::parse(raw).ok_or_else(|| {
            ApiError::validation("format", format!("format {raw:?} is not csv or xlsx"))
        })?,
    };
    let app = state.app.clone();
    let asked = request.clone();
    blocking(move || Ok::<_, String>(app.check_items_request(&asked)))
        .await?
        .map_err(items_error)?;
    Ok(crate::items::stream_export(
        state.app.clone(),
        request,
        format,
    ))
}
