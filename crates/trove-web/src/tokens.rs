//! API tokens on the people page: an admin sees every token, everyone else their own; each
//! may make a token acting as themselves (within what their role allows), revoke one, or
//! rotate it. A new secret is shown once, on the answer to the post itself (`Cache-Control:
//! no-store`, no redirect to a page that could be opened again), and never logged: the
//! request log records the route and status only.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use trove_app::{IssuedToken, Scope, TokenError, TokenSpec, parse_lifetime};
use trove_store::ApiToken;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, now};
use crate::working::minute;

/// The expiries the form offers: (value, words).
pub(crate) const EXPIRIES: [(&str, &str); 5] = [
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "a year"),
    ("7d", "7 days"),
    ("", "never (until revoked)"),
];

/// A token as the page lists it.
pub(crate) struct TokenRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) scopes: String,
    pub(crate) business_unit: String,
    pub(crate) created: String,
    pub(crate) last_used: String,
    pub(crate) expires: String,
    /// `live`, `expired` or `revoked`.
    pub(crate) state: &'static str,
}

impl TokenRow {
    fn new(token: ApiToken, now: i64) -> Self {
        let state = if token.revoked_at.is_some() {
            "revoked"
        } else if token.expires_at.is_some_and(|at| now >= at) {
            "expired"
        } else {
            "live"
        };
        Self {
            id: token.id,
            name: token.name,
            owner: token.owner,
            scopes: token.scopes.join(", "),
            business_unit: token.business_unit.unwrap_or_else(|| "all".to_owned()),
            created: minute(token.created_at),
            last_used: token
                .last_used_at
                .map_or_else(|| "never".to_owned(), minute),
            expires: token.expires_at.map_or_else(|| "never".to_owned(), minute),
            state,
        }
    }

    /// Whether it can still be revoked or rotated.
    pub(crate) fn live(&self) -> bool {
        self.state == "live"
    }
}

/// The tokens `signed_in` may see, newest first.
pub(crate) async fn rows(
    state: &crate::State,
    signed_in: &SignedIn,
) -> Result<Vec<TokenRow>, WebError> {
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let tokens = blocking(move || app.tokens(&actor)).await?;
    let now = now();
    let mut rows: Vec<TokenRow> = tokens.into_iter().map(|t| TokenRow::new(t, now)).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok(rows)
}

/// A refusal in words (the person can fix it), or the failure behind it.
fn refusal(error: TokenError) -> Result<String, WebError> {
    match error {
        TokenError::Invalid(_) | TokenError::NotAllowed(_) | TokenError::Unknown(_) => {
            Ok(error.to_string())
        }
        other => Err(WebError::internal(other)),
    }
}

/// The page a refusal is shown on: the people page with the words, 422.
async fn refused(
    state: &crate::State,
    signed_in: &SignedIn,
    error: TokenError,
) -> Result<Response, WebError> {
    let words = refusal(error)?;
    crate::people::refused_with(state, signed_in, words).await
}

#[derive(Template)]
#[template(path = "people_token.html")]
struct SecretPage {
    chrome: Chrome,
    /// "made" or "rotated".
    what: &'static str,
    secret: String,
    token: TokenRow,
}

/// The one-time page with the secret: answered to the post itself, never stored or cached.
fn secret_page(
    signed_in: &SignedIn,
    issued: IssuedToken,
    what: &'static str,
) -> Result<Response, WebError> {
    let page = render(&SecretPage {
        chrome: Chrome::new(signed_in, "/people"),
        what,
        secret: issued.secret,
        token: TokenRow::new(issued.token, now()),
    })?;
    Ok((
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        page,
    )
        .into_response())
}

/// The form that makes a token; scopes may repeat.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// The scopes ticked, and `ingest:SOURCE` when a source is given.
    fn spec(&self) -> Result<TokenSpec, TokenError> {
        let mut scopes = Vec::new();
        for (name, value) in &self.0 {
            if name == "scope" {
                scopes.push(Scope::parse(value)?);
            }
        }
        let source = self.get("ingest");
        if !source.is_empty() {
            scopes.push(Scope::parse(&format!("ingest:{source}"))?);
        }
        let unit = self.get("business_unit");
        let expires = self.get("expires");
        Ok(TokenSpec {
            name: self.get("name").to_owned(),
            scopes,
            business_unit: (!unit.is_empty()).then(|| unit.to_owned()),
            lifetime: (!expires.is_empty())
                .then(|| parse_lifetime(expires))
                .transpose()?,
        })
    }
}

/// `POST /people/tokens`: makes a token acting as the signed-in person; its secret is shown
/// on the answer, once.
pub(crate) async fn create(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(fields);
    check_form_token(&signed_in, fields.get("csrf"))?;
    let spec = match fields.spec() {
        Ok(spec) => spec,
        Err(error) => return refused(&state, &signed_in, error).await,
    };
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let made = blocking(move || Ok::<_, String>(app.create_token(&actor, &spec, now()))).await?;
    match made {
        Ok(issued) => {
            tracing::info!(token = issued.token.id, "an API token was made on the web");
            secret_page(&signed_in, issued, "made")
        }
        Err(error) => refused(&state, &signed_in, error).await,
    }
}

/// The form of a revoke or rotate: its token only.
#[derive(serde::Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /people/tokens/{id}/revoke`: the token stops working at once (its owner or an admin).
pub(crate) async fn revoke(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let done = blocking(move || Ok::<_, String>(app.revoke_token(&actor, id, now()))).await?;
    match done {
        Ok(_) => {
            tracing::info!(token = id, "an API token was revoked on the web");
            Ok(Redirect::to("/people#tokens").into_response())
        }
        Err(error) => refused(&state, &signed_in, error).await,
    }
}

/// `POST /people/tokens/{id}/rotate`: a new secret, shown once; the old one stops working.
pub(crate) async fn rotate(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let done = blocking(move || Ok::<_, String>(app.rotate_token(&actor, id, now()))).await?;
    match done {
        Ok(issued) => {
            tracing::info!(token = id, "an API token was rotated on the web");
            secret_page(&signed_in, issued, "rotated")
        }
        Err(error) => refused(&state, &signed_in, error).await,
    }
}
