//! The drill-down: `/items?...` lists the items behind any number of the room, a page at a
//! time, and `/items.csv?...` and `/items.xlsx?...` stream all of them as CSV or a workbook.

use std::fmt::Write as _;

use askama::Template;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use trove_app::{
    ExportFormat, ItemView, ItemsError, ItemsPage, ItemsRequest, cursor_text, export_file_name,
};

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::render;
use crate::session::{SignedIn, blocking};

/// The filters the page's form sets itself.
const FORM_FIELDS: [&str; 6] = ["from", "to", "channel", "band", "sentiment", "suggestion"];

/// A query's pairs, as given.
type Pairs = Query<Vec<(String, String)>>;

#[derive(Template)]
#[template(path = "items.html")]
struct ItemsTemplate<'a> {
    chrome: Chrome,
    /// "412 items mentioning ..." or the refusal's heading.
    heading: String,
    page: Option<&'a ItemsPage>,
    request: &'a ItemsRequest,
    /// Why the query was refused, naming the field.
    error: Option<String>,
}

/// A filter as the page shows it, with the link that removes it.
struct Removable {
    label: String,
    remove: String,
}

impl ItemsTemplate<'_> {
    fn removable(&self) -> Vec<Removable> {
        self.page
            .map(|page| {
                page.active
                    .iter()
                    .map(|filter| Removable {
                        label: filter.label.clone(),
                        remove: link("/items", self.request, Some(filter.name), None),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn csv_link(&self) -> String {
        link("/items.csv", self.request, None, None)
    }

    fn xlsx_link(&self) -> String {
        link("/items.xlsx", self.request, None, None)
    }

    fn next_link(&self) -> Option<String> {
        let cursor = self.page?.next?;
        Some(link(
            "/items",
            self.request,
            None,
            Some(("after", &cursor_text(cursor))),
        ))
    }

    fn previous_link(&self) -> Option<String> {
        let cursor = self.page?.previous?;
        Some(link(
            "/items",
            self.request,
            None,
            Some(("before", &cursor_text(cursor))),
        ))
    }

    /// The list narrowed to one theme (the other filters kept).
    fn theme_link(&self, theme: &str) -> String {
        link(
            "/items",
            self.request,
            Some("theme"),
            Some(("theme", theme)),
        )
    }

    /// The value of a filter for the form ("" when not given).
    fn value(&self, name: &str) -> &str {
        self.request.filter(name).unwrap_or("")
    }

    /// Whether filter `name` is `option` (the form's selected option).
    fn selected(&self, name: &str, option: &str) -> bool {
        self.value(name) == option
    }

    /// The filters the form has no field for, carried as hidden inputs.
    fn hidden(&self) -> Vec<(&'static str, &str)> {
        self.request
            .filters
            .iter()
            .filter(|(name, _)| !FORM_FIELDS.contains(name))
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }

    fn channels(&self) -> Vec<&'static str> {
        trove_domain::Channel::ALL
            .iter()
            .map(|c| c.as_str())
            .collect()
    }

    fn count(&self, n: &u64) -> String {
        trove_analytics::chronic::thousands(*n)
    }

    fn place(&self, item: &ItemView) -> String {
        [
            item.business_unit.as_deref(),
            item.touchpoint.as_deref(),
            item.stage.as_deref().map(|s| s.trim()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

/// `path?` with the request's filters, less `without`, plus `extra`.
fn link(
    path: &str,
    request: &ItemsRequest,
    without: Option<&str>,
    extra: Option<(&str, &str)>,
) -> String {
    let mut out = String::from(path);
    let pairs = request
        .filters
        .iter()
        .filter(|(name, _)| Some(*name) != without)
        .map(|(name, value)| (*name, value.as_str()))
        .chain(extra);
    for (i, (name, value)) in pairs.enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The heading: "412 items mentioning Claim payout delay, business unit Motor, ...".
fn heading(page: &ItemsPage) -> String {
    let count = trove_analytics::chronic::thousands(page.count);
    let noun = if page.count == 1 { "item" } else { "items" };
    if page.description.is_empty() {
        format!("All {count} {noun}")
    } else {
        format!("{count} {noun} {}", unbroken_numbers(&page.description))
    }
}

/// Hyphens between digits (`2025-07-01`, `NPS 0-6`) made non-breaking, so a narrow screen
/// does not wrap a date in two.
fn unbroken_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_digits = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c == '-' && between_digits {
                '\u{2011}'
            } else {
                c
            }
        })
        .collect()
}

fn refused(
    signed_in: &SignedIn,
    request: &ItemsRequest,
    why: String,
) -> Result<Response, WebError> {
    let page = render(&ItemsTemplate {
        chrome: Chrome::new(signed_in, "/items"),
        heading: "This list cannot be shown".to_owned(),
        page: None,
        request,
        error: Some(why),
    })?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

/// `GET /items`: the drill-down page.
pub(crate) async fn page(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(pairs): Pairs,
) -> Result<Response, WebError> {
    let request = match ItemsRequest::parse(&pairs) {
        Ok(request) => request,
        Err(why) => return refused(&signed_in, &ItemsRequest::default(), why.to_string()),
    };
    let app = state.app.clone();
    let asked = request.clone();
    let answer = blocking(move || Ok::<_, String>(app.items_page(&asked))).await?;
    let page = match answer {
        Ok(page) => page,
        Err(ItemsError::Query(why)) => return refused(&signed_in, &request, why.to_string()),
        Err(other) => return Err(WebError::internal(other)),
    };
    let html = render(&ItemsTemplate {
        chrome: Chrome::new(&signed_in, "/items"),
        heading: heading(&page),
        page: Some(&page),
        request: &request,
        error: None,
    })?;
    Ok(html.into_response())
}

/// `GET /items.csv`: every matching item as CSV (UTF-8 with a byte order mark), streamed as
/// it is read; the file is named after the filter.
pub(crate) async fn csv(
    state: State<crate::State>,
    signed_in: SignedIn,
    pairs: Pairs,
) -> Result<Response, WebError> {
    download(state, signed_in, pairs, ExportFormat::Csv).await
}

/// `GET /items.xlsx`: every matching item as an Excel workbook.
pub(crate) async fn xlsx(
    state: State<crate::State>,
    signed_in: SignedIn,
    pairs: Pairs,
) -> Result<Response, WebError> {
    download(state, signed_in, pairs, ExportFormat::Xlsx).await
}

async fn download(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(pairs): Pairs,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let request = match ItemsRequest::parse(&pairs) {
        Ok(request) => request,
        Err(why) => return refused(&signed_in, &ItemsRequest::default(), why.to_string()),
    };
    let app = state.app.clone();
    let asked = request.clone();
    match blocking(move || Ok::<_, String>(app.check_items_request(&asked))).await? {
        Ok(()) => {}
        Err(ItemsError::Query(why)) => return refused(&signed_in, &request, why.to_string()),
        Err(other) => return Err(WebError::internal(other)),
    }
    Ok(stream_export(state.app.clone(), request, format))
}

/// Chunks of an export on their way to the client.
type Chunks = tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>;

/// A writer that hands 64 KiB chunks to the response body; it fails once the client has
/// gone, which stops the export.
struct ChunkWriter {
    sender: Chunks,
    buffer: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Streams the export of a checked `request` as an attachment named after its filter (the
/// pages' and the API's downloads). A failure part way ends the body with an error, so the
/// client sees a broken download, never a short file.
pub(crate) fn stream_export(
    app: trove_app::App,
    request: ItemsRequest,
    format: ExportFormat,
) -> Response {
    let file_name = export_file_name(&request, format.extension());
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            sender: sender.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        let written = app
            .export_items(&request, format, &mut writer)
            .and_then(|_| writer.send().map_err(|e| ItemsError::Write(e.to_string())));
        if let Err(error) = written {
            tracing::error!(%error, "an export failed part way");
            let _ = sender.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    (
        [
            (header::CONTENT_TYPE, format.media_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_encode_values() {
        let pairs: Vec<(String, String)> = [
            ("bu", "Motor & Home"),
            ("theme", "fees"),
            ("band", "detractor"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        let request = ItemsRequest::parse(&pairs).expect("a valid query");
        assert_eq!(
            link("/items", &request, Some("band"), Some(("after", "1.2"))),
            "/items?theme=fees&bu=Motor%20%26%20Home&after=1.2"
        );
        assert_eq!(
            link("/items", &ItemsRequest::default(), None, None),
            "/items"
        );
    }
}
