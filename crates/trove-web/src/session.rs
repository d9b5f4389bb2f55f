//! The session cookie, the signed-in person of a request, and running store calls off the
//! async threads.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use trove_workflow::model::User;

use crate::error::{WebError, message_page};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "trove_session";

/// Runs a synchronous store call on a blocking thread.
pub(crate) async fn blocking<T, E>(
    call: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, WebError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::task::spawn_blocking(call)
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)
}

/// Now, unix seconds.
pub(crate) fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The session token the request's cookie carries, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        // Our tokens are hex; anything else is not ours.
        .filter(|value| !value.is_empty() && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` value that stores a session: HttpOnly, SameSite=Lax, Path=/, `Secure`
/// behind TLS; no Max-Age, so it is gone when the browser closes, and the server's idle and
/// absolute expiry end it anyway.
pub(crate) fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn cleared_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}")
}

/// Whether `next` is a path on this site that a sign-in may return to: it starts with one
/// `/`, not `//` or `/\` (which browsers read as another host), and has no control characters.
pub(crate) fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control)
}

/// The signed-in person of a request, with their session's secrets for forms and sign-out.
pub(crate) struct SignedIn {
    pub(crate) user: User,
    /// The session's secret id (the cookie's value).
    pub(crate) token: String,
    /// The token every form of this session carries.
    pub(crate) form_token: String,
}

/// What happens to a request without a live session: a page is sent to sign-in (and back),
/// a change is refused.
pub(crate) struct NotSignedIn {
    method: Method,
    path_and_query: String,
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        if matches!(self.method, Method::GET | Method::HEAD) {
            let next = if is_local_path(&self.path_and_query) && self.path_and_query != "/" {
                format!("?next={}", encode_query_value(&self.path_and_query))
            } else {
                String::new()
            };
            Redirect::to(&format!("/signin{next}")).into_response()
        } else {
            message_page(
                StatusCode::UNAUTHORIZED,
                "Not signed in",
                "Sign in first: your session has ended.",
            )
        }
    }
}

impl FromRequestParts<crate::State> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::State,
    ) -> Result<Self, Self::Rejection> {
        let not_signed_in = || {
            NotSignedIn {
                method: parts.method.clone(),
                path_and_query: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            }
            .into_response()
        };
        let Some(token) = session_token(&parts.headers) else {
            return Err(not_signed_in());
        };
        let app = state.app.clone();
        let policy = state.options.sessions;
        let lookup = token.clone();
        let user = blocking(move || app.session_user(&lookup, now(), policy))
            .await
            .map_err(IntoResponse::into_response)?;
        match user {
            Some(user) => Ok(SignedIn {
                user,
                form_token: trove_app::form_token(&token),
                token,
            }),
            None => Err(not_signed_in()),
        }
    }
}

/// Percent-encodes a query value (everything but unreserved characters and `/`).
pub(crate) fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_same_site_paths_are_followed_after_sign_in() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/issues?theme=claims"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("evil"));
        assert!(!is_local_path("/a\r\nSet-Cookie: x"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_must_be_hex() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; trove_session=ab12; other=1"),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("ab12"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("trove_session=<x>"),
        );
        assert_eq!(session_token(&headers), None);
    }

    #[test]
    fn the_cookie_is_http_only_and_lax_and_secure_only_behind_tls() {
        let plain = session_cookie("ab", false);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        assert!(session_cookie("ab", true).ends_with("; Secure"));
    }
}
