//! Middleware every route passes through: the request log, security headers, and the
//! same-origin check on changes.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;

/// The Content-Security-Policy: our own style sheet, images, recordings (and later scripts)
/// only, no inline script or style, no framing, forms post to us only.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     media-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// Logs one line per request: method, route, status and latency. The route is the pattern
/// matched (`/setup/{token}`), never the raw path, so secrets in paths stay out of the log;
/// queries, cookies and bodies are never logged.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Adds the security headers to every response (the policy where the route set none: an
/// attached file is served with a stricter one), and `Cache-Control: no-store` where the
/// route set none.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages show people's data: not kept by browsers or proxies unless a route says otherwise
    // (the style sheet does).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refuses (403) a state-changing request (anything but GET, HEAD, OPTIONS) that does not
/// show it comes from our own pages: its `Origin` must be our own origin, or, without an
/// `Origin`, its `Sec-Fetch-Site` must be `same-origin`. A request with neither is refused
/// too: every browser sends one of them on a form post.
pub(crate) async fn same_origin_for_changes(
    State(state): State<crate::State>,
    request: Request,
    next: Next,
) -> Response {
    // The API reads no cookies (bearer tokens only), so a cross-site request to it carries
    // no credentials to abuse.
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path().starts_with("/api/")
        // An opt-out link's secret is its permission (no cookie); mail programs post to it
        // without an Origin (one-click unsubscribe).
        || request.uri().path().starts_with("/optout/");
    if safe || is_same_origin(request.headers(), state.options.secure_cookies) {
        next.run(request).await
    } else {
        WebError::Forbidden(
            "This change did not come from Trove's own pages (cross-site request), so it was refused.",
        )
        .into_response()
    }
}

/// Whether the request's `Origin` is `scheme://Host` (the scheme `https` behind TLS, that is
/// with secure cookies, else `http`), or, lacking an `Origin`, `Sec-Fetch-Site` says
/// `same-origin`.
fn is_same_origin(headers: &HeaderMap, https: bool) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::ORIGIN) {
        Some(origin) => {
            let scheme = if https { "https" } else { "http" };
            text(header::HOST).is_some_and(|host| origin == format!("{scheme}://{host}"))
        }
        None => headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes() == b"same-origin"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_our_own_origin_may_change_things() {
        let host = ("host", "127.0.0.1:8080");
        assert!(is_same_origin(
            &headers(&[host, ("origin", "http://127.0.0.1:8080")]),
            false
        ));
        assert!(!is_same_origin(
            &headers(&[host, ("origin", "https://127.0.0.1:8080")]),
            false
        ));
        assert!(is_same_origin(
            &headers(&[host, ("origin", "https://127.0.0.1:8080")]),
            true
        ));
        assert!(!is_same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            false
        ));
        assert!(!is_same_origin(
            &headers(&[host, ("origin", "null")]),
            false
        ));
        // An Origin decides even when Sec-Fetch-Site claims otherwise.
        assert!(!is_same_origin(
            &headers(&[
                host,
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            false
        ));
        assert!(is_same_origin(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            false
        ));
        assert!(!is_same_origin(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(!is_same_origin(&headers(&[host]), false));
    }
}
