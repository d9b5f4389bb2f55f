//! `/people`: for admins, the people with their roles and departments (add a person, change
//! a role, set a password or give a one-time link that lets the person set their own) and
//! every API token; for everyone else, their own API tokens (see `tokens.rs`). And
//! `/welcome/{token}`, the page a one-time link opens.
//!
//! One-time links live in the server's memory, like the first admin's setup link: they work
//! once, for three days, and not after a restart (the admin gives a new one). Only a hash of
//! the link's secret is kept.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use trove_app::{App, AuthError, MIN_PASSWORD_CHARS, Person, WorkflowError};
use trove_domain::Slug;
use trove_workflow::model::{Role, User};

use crate::chrome::Chrome;
use crate::error::{WebError, message_page};
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, now, session_cookie};
use crate::working::{attempt, refused_page};

/// How long a one-time link works.
const LINK_LIFETIME: i64 = 3 * 86_400;

/// A one-time link waiting to be used.
struct Invite {
    email: String,
    expires_at: i64,
}

/// The one-time links, by the hash of their secret, and the link each admin's session was just
/// given (shown once, on the page the post returns to).
#[derive(Default)]
pub(crate) struct Invites {
    links: Mutex<HashMap<String, Invite>>,
    fresh: Mutex<HashMap<String, (String, String)>>,
}

fn hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

impl Invites {
    fn give(&self, email: &str, now: i64) -> Result<String, AuthError> {
        let token = trove_app::random_token(24)?;
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        links.retain(|_, invite| invite.expires_at > now && invite.email != email);
        links.insert(
            hash(&token),
            Invite {
                email: email.to_owned(),
                expires_at: now + LINK_LIFETIME,
            },
        );
        Ok(token)
    }

    fn email(&self, token: &str, now: i64) -> Option<String> {
        let links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        links
            .get(&hash(token))
            .filter(|invite| invite.expires_at > now)
            .map(|invite| invite.email.clone())
    }

    fn used(&self, token: &str) -> Option<String> {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        links.remove(&hash(token)).map(|invite| invite.email)
    }

    fn remember(&self, session: &str, email: &str, link: String) {
        let mut fresh = self.fresh.lock().unwrap_or_else(|p| p.into_inner());
        fresh.insert(hash(session), (email.to_owned(), link));
    }

    fn take_fresh(&self, session: &str) -> Option<(String, String)> {
        let mut fresh = self.fresh.lock().unwrap_or_else(|p| p.into_inner());
        fresh.remove(&hash(session))
    }
}

/// A person's row.
struct PersonRow {
    user: User,
    has_password: bool,
    /// Their departments, for the change form's boxes: (id, name, theirs).
    departments: Vec<(String, String, bool)>,
    /// The e-mail as a path segment.
    path: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    chrome: Chrome,
    /// Whether the people part is shown (admins).
    manages_people: bool,
    people: Vec<PersonRow>,
    /// The API tokens the person may see: all for an admin, their own for others.
    tokens: Vec<crate::tokens::TokenRow>,
    /// Whether the person may make write tokens (every role but viewer) and ingest tokens
    /// (admins and analysts), for the form's choices; the app checks again.
    can_write: bool,
    can_ingest: bool,
    expiries: [(&'static str, &'static str); 5],
    departments: Vec<(String, String)>,
    roles: [Role; 5],
    min_chars: usize,
    /// A one-time link just given: (e-mail, link).
    link: Option<(String, String)>,
    message: Option<String>,
    error: Option<String>,
}

fn forbidden() -> WebError {
    WebError::Forbidden("Only admins manage people.")
}

/// Whether the person may manage people, by the workflow's rules.
async fn manages_people(state: &crate::State, signed_in: &SignedIn) -> Result<bool, WebError> {
    let app = state.app.clone();
    let user = signed_in.user.clone();
    blocking(move || {
        let workflow = app.workflow()?;
        Ok::<_, WorkflowError>(App::may_manage_people(&workflow, &user))
    })
    .await
}

/// Refuses anyone who may not manage people.
async fn admin_only(state: &crate::State, signed_in: &SignedIn) -> Result<(), WebError> {
    if manages_people(state, signed_in).await? {
        Ok(())
    } else {
        Err(forbidden())
    }
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let manages = manages_people(state, signed_in).await?;
    let (people, departments) = if manages {
        people_rows(state).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let role = signed_in.user.role;
    render(&PeoplePage {
        chrome: Chrome::new(signed_in, "/people"),
        manages_people: manages,
        people,
        tokens: crate::tokens::rows(state, signed_in).await?,
        can_write: role != Role::Viewer,
        can_ingest: matches!(role, Role::Admin | Role::Analyst),
        expiries: crate::tokens::EXPIRIES,
        departments,
        roles: Role::ALL,
        min_chars: MIN_PASSWORD_CHARS,
        link: state.invites.take_fresh(&signed_in.token),
        message,
        error,
    })
}

/// The people with their departments, and the departments.
async fn people_rows(
    state: &crate::State,
) -> Result<(Vec<PersonRow>, Vec<(String, String)>), WebError> {
    let app = state.app.clone();
    let (people, departments) = blocking(move || {
        let people: Vec<Person> = app.people()?;
        let departments = app.departments(&app.workflow()?)?;
        Ok::<_, WorkflowError>((people, departments))
    })
    .await?;
    let departments: Vec<(String, String)> = departments
        .into_iter()
        .map(|(id, name)| (id.as_str().to_owned(), name))
        .collect();
    let people = people
        .into_iter()
        .map(|p| PersonRow {
            departments: departments
                .iter()
                .map(|(id, name)| {
                    let theirs = p.user.departments.iter().any(|d| d.as_str() == id);
                    (id.clone(), name.clone(), theirs)
                })
                .collect(),
            path: crate::session::encode_query_value(&p.user.email),
            has_password: p.has_password,
            user: p.user,
        })
        .collect();
    Ok((people, departments))
}

/// The page with a refusal in words (422): the token forms' refusals.
pub(crate) async fn refused_with(
    state: &crate::State,
    signed_in: &SignedIn,
    refusal: String,
) -> Result<Response, WebError> {
    Ok(refused_page(
        page(state, signed_in, None, Some(refusal)).await?,
    ))
}

/// `GET /people`: the people (admins) and the API tokens the person may see.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    Ok(page(&state, &signed_in, None, None).await?.into_response())
}

/// A form's fields; departments may repeat.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn departments(&self) -> Result<Vec<Slug>, String> {
        self.0
            .iter()
            .filter(|(n, _)| n == "department")
            .map(|(_, v)| Slug::parse("department", v).map_err(|e| e.to_string()))
            .collect()
    }

    fn role(&self) -> Result<Role, String> {
        self.get("role").parse()
    }

    /// The role and the departments a person is given, or the first refusal.
    fn role_and_departments(&self) -> Result<(Role, Vec<Slug>), String> {
        Ok((self.role()?, self.departments()?))
    }
}

/// What a post did, or why it was refused.
async fn finish(
    state: &crate::State,
    signed_in: &SignedIn,
    outcome: Result<(), String>,
) -> Result<Response, WebError> {
    match outcome {
        Ok(()) => Ok(Redirect::to("/people").into_response()),
        Err(refusal) => Ok(refused_page(
            page(state, signed_in, None, Some(refusal)).await?,
        )),
    }
}

/// Checks the token and the role of a post to `/people...`.
async fn admin_post(
    state: &crate::State,
    signed_in: &SignedIn,
    fields: &Fields,
) -> Result<(), WebError> {
    check_form_token(signed_in, fields.get("csrf"))?;
    admin_only(state, signed_in).await
}

/// `POST /people`: adds a person.
pub(crate) async fn add(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(fields);
    admin_post(&state, &signed_in, &fields).await?;
    let (role, departments) = match fields.role_and_departments() {
        Ok(given) => given,
        Err(e) => return finish(&state, &signed_in, Err(e)).await,
    };
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let (email, name) = (
        fields.get("email").to_owned(),
        fields.get("name").to_owned(),
    );
    let outcome =
        attempt(move || app.add_person(&actor, &email, &name, role, &departments)).await?;
    finish(&state, &signed_in, outcome).await
}

/// `POST /people/{email}/role`: changes a person's role and departments.
pub(crate) async fn change(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(email): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(fields);
    admin_post(&state, &signed_in, &fields).await?;
    let (role, departments) = match fields.role_and_departments() {
        Ok(given) => given,
        Err(e) => return finish(&state, &signed_in, Err(e)).await,
    };
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let outcome = attempt(move || app.change_person(&actor, &email, role, &departments)).await?;
    finish(&state, &signed_in, outcome).await
}

/// Runs a password change: refusals (too short, unknown person) in words, failures as errors.
async fn password_outcome(
    call: impl FnOnce() -> Result<(), AuthError> + Send + 'static,
) -> Result<Result<(), String>, WebError> {
    let outcome = tokio::task::spawn_blocking(call)
        .await
        .map_err(WebError::internal)?;
    match outcome {
        Ok(()) => Ok(Ok(())),
        Err(AuthError::Store(error)) => Err(WebError::internal(error)),
        Err(AuthError::Crypto(error)) => Err(WebError::internal(error)),
        Err(refused) => Ok(Err(refused.to_string())),
    }
}

/// `POST /people/{email}/password`: sets a person's password (their sessions end).
pub(crate) async fn password(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(email): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(fields);
    admin_post(&state, &signed_in, &fields).await?;
    let (password, confirm) = (fields.get("password").to_owned(), fields.get("confirm"));
    if password != confirm {
        let refusal = "The two passwords differ.".to_owned();
        return finish(&state, &signed_in, Err(refusal)).await;
    }
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let outcome = password_outcome(move || app.set_password(&actor, &email, &password)).await?;
    finish(&state, &signed_in, outcome).await
}

/// `POST /people/{email}/link`: gives a one-time link that lets the person set their
/// password; it is shown once, on the page this returns to.
pub(crate) async fn link(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(email): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(fields);
    admin_post(&state, &signed_in, &fields).await?;
    let app = state.app.clone();
    let lookup = email.to_lowercase();
    let known = blocking(move || {
        let workflow = app.workflow()?;
        Ok::<_, WorkflowError>(workflow.users.contains_key(&lookup))
    })
    .await?;
    if !known {
        let refusal = format!("There is no person {email}.");
        return finish(&state, &signed_in, Err(refusal)).await;
    }
    let email = email.to_lowercase();
    let token = state
        .invites
        .give(&email, now())
        .map_err(WebError::internal)?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.options.secure_cookies {
        "https"
    } else {
        "http"
    };
    let link = format!("{scheme}://{host}/welcome/{token}");
    state.invites.remember(&signed_in.token, &email, link);
    tracing::info!("a one-time sign-in link was given");
    Ok(Redirect::to("/people").into_response())
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage<'a> {
    token: &'a str,
    email: &'a str,
    min_chars: usize,
    error: Option<&'a str>,
}

fn link_gone() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "This link is no longer valid",
        "It was used already, it is older than three days, or the server restarted. Ask an admin for a new one.",
    )
}

/// `GET /welcome/{token}`: the form a one-time link opens.
pub(crate) async fn welcome_form(
    State(state): State<crate::State>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let Some(email) = state.invites.email(&token, now()) else {
        return Ok(link_gone());
    };
    Ok(render(&WelcomePage {
        token: &token,
        email: &email,
        min_chars: MIN_PASSWORD_CHARS,
        error: None,
    })?
    .into_response())
}

/// The welcome form.
#[derive(serde::Deserialize)]
pub(crate) struct WelcomeForm {
    password: String,
    confirm: String,
}

/// `POST /welcome/{token}`: sets the person's password, retires the link and signs them in.
/// The token in the path is the form's secret (there is no session yet).
pub(crate) async fn welcome(
    State(state): State<crate::State>,
    Path(token): Path<String>,
    Form(form): Form<WelcomeForm>,
) -> Result<Response, WebError> {
    let Some(email) = state.invites.email(&token, now()) else {
        return Ok(link_gone());
    };
    let again = |error: &str| -> Result<Response, WebError> {
        let page = render(&WelcomePage {
            token: &token,
            email: &email,
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
    // Taken before the slow work, so the link cannot be used twice.
    if state.invites.used(&token).is_none() {
        return Ok(link_gone());
    }
    let app = state.app.clone();
    let policy = state.options.sessions;
    let signed_in = blocking(move || -> Result<_, AuthError> {
        app.set_password(&email, &email, &form.password)?;
        let user = app.user(&app.workflow()?, &email)?;
        app.start_session(user, now(), policy)
    })
    .await?;
    tracing::info!("a one-time sign-in link was used");
    Ok((
        [(
            header::SET_COOKIE,
            session_cookie(&signed_in.token, state.options.secure_cookies),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_once_until_it_expires_and_a_new_one_replaces_it() {
        let invites = Invites::default();
        let first = invites.give("a@x.io", 1000).unwrap_or_default();
        assert_eq!(invites.email(&first, 1001).as_deref(), Some("a@x.io"));
        assert_eq!(invites.email(&first, 1000 + LINK_LIFETIME), None);
        let second = invites.give("a@x.io", 1002).unwrap_or_default();
        assert_eq!(
            invites.email(&first, 1003),
            None,
            "the new link replaces the old"
        );
        assert_eq!(invites.used(&second).as_deref(), Some("a@x.io"));
        assert_eq!(invites.used(&second), None);
        assert_eq!(invites.email("not a token", 1003), None);
    }
}
