//! A form's QR code (SVG or PNG) and its printable A4 poster, from the web (admins): the same
//! as `trove form qr` / `trove form poster`. The link in the code is the address the admin
//! reached Trove at (`Host`, and `X-Forwarded-Proto` from a proxy), unless `?base=` names
//! another (`https://feedback.example.com`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use trove_app::FormError;

use crate::error::{WebError, message_page};
use crate::session::{SignedIn, blocking};

/// The query: the public address to put in the code, if not the one in use.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BaseParams {
    base: Option<String>,
}

/// The base URL of the links: `?base=`, else the scheme and host the request came through.
fn base_url(params: &BaseParams, headers: &HeaderMap) -> String {
    if let Some(base) = params.base.as_deref().filter(|b| !b.trim().is_empty()) {
        return base.to_owned();
    }
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{}", header("host").unwrap_or("localhost"))
}

/// What the three handlers make.
#[derive(Clone, Copy)]
enum Print {
    Svg,
    Png,
    Poster,
}

/// The form's id and the bytes made, or the page that says why not.
async fn print(
    state: &crate::State,
    signed_in: &SignedIn,
    id: String,
    base: String,
    what: Print,
) -> Result<Result<(String, Vec<u8>), Response>, WebError> {
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let made = blocking(move || {
        let make = || {
            let form = app.form_for_admin(&actor, &id)?;
            let link = trove_app::form_url(&base, &form.id)?;
            let bytes = match what {
                Print::Svg => trove_app::qr_svg(&link)?.into_bytes(),
                Print::Png => trove_app::qr_png(&link, 10)?,
                Print::Poster => trove_app::poster_html(&form, &link)?.into_bytes(),
            };
            Ok::<_, FormError>((form.id, bytes))
        };
        Ok::<_, String>(make())
    })
    .await?;
    match made {
        Ok(made) => Ok(Ok(made)),
        Err(FormError::NotAdmin(..)) => Err(WebError::Forbidden(
            "Only admins manage the feedback forms.",
        )),
        Err(FormError::Unknown(id)) => Ok(Err(message_page(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("There is no form {id}."),
        ))),
        Err(FormError::Invalid(why)) => Ok(Err(message_page(
            StatusCode::BAD_REQUEST,
            "Not understood",
            &why,
        ))),
        Err(other) => Err(WebError::internal(other)),
    }
}

/// Files are inert: nothing in them runs.
const FILE_POLICY: &str = "sandbox; default-src 'none'";

/// The poster's own style sheet is inline (it is one standalone page to print); it has no
/// script, and its texts are escaped.
const POSTER_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// `bytes` served as `media_type` under `policy`, as a download named `download` if given.
fn served(
    bytes: Vec<u8>,
    media_type: &'static str,
    policy: &'static str,
    download: Option<String>,
) -> Result<Response, WebError> {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    if let Some(name) = download {
        let value = format!("attachment; filename=\"{name}\"");
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&value).map_err(WebError::internal)?,
        );
    }
    Ok(response)
}

impl Print {
    /// How the bytes are served: media type, policy, and the download's name suffix (none:
    /// shown in the browser).
    fn served_as(self) -> (&'static str, &'static str, Option<&'static str>) {
        match self {
            Self::Svg => ("image/svg+xml", FILE_POLICY, Some("qr.svg")),
            Self::Png => ("image/png", FILE_POLICY, Some("qr.png")),
            Self::Poster => ("text/html; charset=utf-8", POSTER_POLICY, None),
        }
    }
}

/// Makes `what` for form `id` and serves it, or the page that says why not.
async fn respond(
    state: &crate::State,
    signed_in: &SignedIn,
    id: String,
    base: String,
    what: Print,
) -> Result<Response, WebError> {
    let (media_type, policy, suffix) = what.served_as();
    match print(state, signed_in, id, base, what).await? {
        Ok((id, bytes)) => served(
            bytes,
            media_type,
            policy,
            suffix.map(|suffix| format!("form-{id}-{suffix}")),
        ),
        Err(page) => Ok(page),
    }
}

/// `GET /forms/{id}/qr.svg`: the QR code of the form's link, as SVG.
pub(crate) async fn qr_svg(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<BaseParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = base_url(&params, &headers);
    respond(&state, &signed_in, id, base, Print::Svg).await
}

/// `GET /forms/{id}/qr.png`: the QR code of the form's link, as PNG (10 pixels a module).
pub(crate) async fn qr_png(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<BaseParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = base_url(&params, &headers);
    respond(&state, &signed_in, id, base, Print::Png).await
}

/// `GET /forms/{id}/poster`: the printable A4 poster (print it from the browser).
pub(crate) async fn poster(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<BaseParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = base_url(&params, &headers);
    respond(&state, &signed_in, id, base, Print::Poster).await
}
