//! The one error type of the handlers: a page for the person, the cause in the log.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use trove_domain::safe::html_text;

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum WebError {
    /// Something broke on our side: the person sees a generic page, the log gets the cause.
    Internal(String),
    /// Refused: a forged or cross-site request, or a missing form token.
    Forbidden(&'static str),
}

impl WebError {
    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            Self::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                message_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Trove could not answer this request. The cause is in the server's log.",
                )
            }
            Self::Forbidden(why) => message_page(StatusCode::FORBIDDEN, "Refused", why),
        }
    }
}

/// A small page with a heading and a sentence (no template: it must render even when
/// everything else fails).
pub(crate) fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Trove</title><link rel=\"stylesheet\" href=\"/static/trove.css\"></head>\
         <body><main class=\"narrow\"><h1>{title}</h1><p>{text}</p>\
         <p><a href=\"/\">Back to the room</a></p></main></body></html>",
        title = html_text(title),
        text = html_text(text)
    );
    (status, Html(body)).into_response()
}
