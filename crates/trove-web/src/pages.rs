//! The pages: sign-in, sign-out, the first admin's setup, the style sheet.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::MIN_PASSWORD_CHARS;

use crate::error::{WebError, message_page};
use crate::session::{SignedIn, blocking, cleared_cookie, is_local_path, now, session_cookie};

/// The style sheet, embedded.
pub(crate) const STYLE: &str = include_str!("../static/trove.css");

/// The sign-in error, the same whether the e-mail is unknown, has no password, or the
/// password is wrong, so that it does not reveal who has an account.
const SIGN_IN_REFUSED: &str = "That e-mail and password do not match. Check both and try again.";

pub(crate) fn render(template: &impl Template) -> Result<Html<String>, WebError> {
    template.render().map(Html).map_err(WebError::internal)
}

/// The setup token while one is waiting to be used.
pub(crate) fn setup_token(state: &crate::State) -> Option<String> {
    state
        .setup_token
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// `GET /health`: the server is up.
pub(crate) async fn health() -> &'static str {
    "ok"
}

/// `GET /static/trove.css`.
pub(crate) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// Unknown paths (only for the signed-in: others are sent to sign in first, so the server does
/// not tell strangers which pages exist).
pub(crate) async fn not_found(_: SignedIn) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address.",
    )
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// Where a sign-in returns to.
#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

fn local_next(next: Option<&str>) -> &str {
    next.filter(|n| is_local_path(n)).unwrap_or("/")
}

/// `GET /signin`.
pub(crate) async fn signin_form(Query(query): Query<Next>) -> Result<Html<String>, WebError> {
    render(&SignInPage {
        next: local_next(query.next.as_deref()),
        email: "",
        error: None,
    })
}

/// The sign-in form.
#[derive(Deserialize)]
pub(crate) struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// `POST /signin`: checks the password (off the async threads: argon2 is slow on purpose),
/// starts a session and returns to `next`.
pub(crate) async fn signin(
    State(state): State<crate::State>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let email = form.email.trim().to_lowercase();
    let address = client.ip().to_string();
    let next = local_next(form.next.as_deref()).to_owned();
    let refused = |status: StatusCode, error: &str| -> Result<Response, WebError> {
        let page = render(&SignInPage {
            next: &next,
            email: &email,
            error: Some(error),
        })?;
        Ok((status, page).into_response())
    };
    if !state.limiter.allows(&email, &address) {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts. Wait a quarter of an hour and try again.",
        );
    }
    let app = state.app.clone();
    let (checked_email, password) = (email.clone(), form.password);
    let policy = state.options.sessions;
    let signed_in = blocking(move || -> Result<_, trove_app::AuthError> {
        match app.check_password(&checked_email, &password)? {
            Some(user) => app.start_session(user, now(), policy).map(Some),
            None => Ok(None),
        }
    })
    .await?;
    let Some(signed_in) = signed_in else {
        state.limiter.failed(&email, &address);
        tracing::info!("sign-in refused");
        return refused(StatusCode::UNAUTHORIZED, SIGN_IN_REFUSED);
    };
    state.limiter.succeeded(&email);
    Ok(signed_in_response(&state, &signed_in.token, &next))
}

fn signed_in_response(state: &crate::State, token: &str, next: &str) -> Response {
    (
        [(
            header::SET_COOKIE,
            session_cookie(token, state.options.secure_cookies),
        )],
        Redirect::to(next),
    )
        .into_response()
}

/// A form that carries the session's form token.
#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// Whether two secrets are equal, compared in constant time (BLAKE3 hashes compare so), so
/// that the time a refusal takes does not tell how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

/// Refuses a form whose token is not the session's.
pub(crate) fn check_form_token(signed_in: &SignedIn, sent: &str) -> Result<(), WebError> {
    if same_secret(sent, &signed_in.form_token) {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "This form is out of date or did not come from Trove. Reload the page and try again.",
        ))
    }
}

/// `POST /signout`: ends the session.
pub(crate) async fn signout(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let app = state.app.clone();
    let token = signed_in.token.clone();
    blocking(move || app.end_session(&token)).await?;
    Ok((
        [(
            header::SET_COOKIE,
            cleared_cookie(state.options.secure_cookies),
        )],
        Redirect::to("/signin"),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    token: &'a str,
    email: &'a str,
    name: &'a str,
    min_chars: usize,
    error: Option<&'a str>,
}

fn setup_gone() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "This setup link is no longer valid",
        "The first admin exists already, or the server restarted: sign in, or use the link the server printed when it started.",
    )
}

fn setup_token_matches(state: &crate::State, sent: &str) -> bool {
    setup_token(state).is_some_and(|token| same_secret(&token, sent))
}

/// `GET /setup/{token}`: the form that creates the first admin.
pub(crate) async fn setup_form(
    State(state): State<crate::State>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !setup_token_matches(&state, &token) {
        return Ok(setup_gone());
    }
    Ok(render(&SetupPage {
        token: &token,
        email: "",
        name: "",
        min_chars: MIN_PASSWORD_CHARS,
        error: None,
    })?
    .into_response())
}

/// The first admin's form.
#[derive(Deserialize)]
pub(crate) struct SetupForm {
    email: String,
    name: String,
    password: String,
    confirm: String,
}

/// `POST /setup/{token}`: creates the first admin with their password, signs them in, and
/// retires the link. The token in the path is the form's secret (there is no session yet).
pub(crate) async fn setup(
    State(state): State<crate::State>,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, WebError> {
    if !setup_token_matches(&state, &token) {
        return Ok(setup_gone());
    }
    let again = |error: &str| -> Result<Response, WebError> {
        let page = render(&SetupPage {
            token: &token,
            email: &form.email,
            name: &form.name,
            min_chars: MIN_PASSWORD_CHARS,
            error: Some(error),
        })?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if form.password != form.confirm {
        return again("The two passwords differ.");
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return again(&format!(
            "A password needs at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    if form.name.trim().is_empty() || !form.email.contains('@') {
        return again("Give a name and an e-mail address.");
    }
    // Taken before the slow work, so two submissions cannot both create an admin.
    let taken = state
        .setup_token
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if taken.is_none() {
        return Ok(setup_gone());
    }
    let app = state.app.clone();
    let policy = state.options.sessions;
    let (email, name, password) = (form.email.clone(), form.name.clone(), form.password.clone());
    let signed_in = blocking(move || -> Result<_, trove_app::AuthError> {
        let user = app.create_first_admin(&email, &name, &password)?;
        app.start_session(user, now(), policy)
    })
    .await?;
    tracing::info!("the first admin was created through the setup link");
    Ok(signed_in_response(&state, &signed_in.token, "/"))
}
