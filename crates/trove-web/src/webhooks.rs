//! `/webhooks` (admins): the subscriptions, one to add (its signing secret shown once), removing
//! one, sending one a test, and the recent deliveries. The same use cases as `trove webhook`;
//! the server's dispatcher (`lib.rs`) delivers.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use trove_app::{EVENT_TYPES, WebhookError};
use trove_store::{DeliveryStatus, Webhook, WebhookDelivery};
use trove_workflow::model::Role;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, now};

const ADMINS_ONLY: &str = "Only admins manage webhooks.";

/// Deliveries the page lists.
const RECENT: usize = 50;

/// What each event type means, for the add form.
const EVENT_LABELS: [(&str, &str); 6] = [
    ("issue.status_changed", "an issue moves to another status"),
    ("commitment.missed", "a commitment's date passes unmet"),
    ("case.sla_breached", "a follow-up case passes its deadline"),
    ("spike.detected", "the analysis finds a theme's spike"),
    ("shift.detected", "the analysis finds a lasting shift"),
    ("feedback.received", "a public form is answered"),
];

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage<'a> {
    chrome: Chrome,
    hooks: &'a [Webhook],
    deliveries: &'a [WebhookDelivery],
    events: &'a [(&'static str, &'static str)],
    /// The URL and event types typed (kept when shown again with an error).
    draft_url: &'a str,
    draft_events: &'a [String],
    /// A subscription just made: (id, its secret), shown this once.
    made: Option<(i64, &'a str)>,
    error: Option<&'a str>,
}

impl WebhooksPage<'_> {
    fn time(&self, at: &i64) -> String {
        jiff::Timestamp::from_second(*at).map_or(at.to_string(), |t| {
            t.strftime("%Y-%m-%d %H:%M UTC").to_string()
        })
    }

    fn maybe_time(&self, at: &Option<i64>) -> String {
        at.map_or_else(|| "–".to_owned(), |at| self.time(&at))
    }

    fn checked(&self, event: &str) -> bool {
        self.draft_events.iter().any(|e| e == event)
    }

    fn answer(&self, d: &WebhookDelivery) -> String {
        match (d.last_status_code, &d.last_error) {
            (Some(code), _) => format!("HTTP {code}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "not tried yet".to_owned(),
        }
    }

    /// The status tag's class: colour repeats the word, never replaces it.
    fn status_class(&self, d: &WebhookDelivery) -> &'static str {
        match d.status {
            DeliveryStatus::Delivered => "tag good",
            DeliveryStatus::Failed => "tag alert",
            DeliveryStatus::Pending => "tag",
        }
    }
}

fn admin_only(signed_in: &SignedIn) -> Result<(), WebError> {
    if signed_in.user.role == Role::Admin {
        Ok(())
    } else {
        Err(WebError::Forbidden(ADMINS_ONLY))
    }
}

/// What the page shows besides the lists.
#[derive(Default)]
struct Shown<'a> {
    draft_url: &'a str,
    draft_events: &'a [String],
    made: Option<(i64, &'a str)>,
    error: Option<&'a str>,
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    status: StatusCode,
    shown: Shown<'_>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let (hooks, deliveries) = blocking(move || {
        let hooks = app.webhooks(&actor)?;
        Ok::<_, WebhookError>((hooks, app.webhook_deliveries(&actor, false, RECENT)?))
    })
    .await?;
    let page = render(&WebhooksPage {
        chrome: Chrome::new(signed_in, "/webhooks"),
        hooks: &hooks,
        deliveries: &deliveries,
        events: &EVENT_LABELS,
        draft_url: shown.draft_url,
        draft_events: shown.draft_events,
        made: shown.made,
        error: shown.error,
    })?;
    Ok((status, page).into_response())
}

/// `GET /webhooks`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    admin_only(&signed_in)?;
    page(&state, &signed_in, StatusCode::OK, Shown::default()).await
}

/// A refusal in words (422) or a failure.
fn refusal(error: WebhookError) -> Result<String, WebError> {
    match error {
        WebhookError::Invalid(why) => Ok(why),
        WebhookError::Unknown(id) => Ok(format!("There is no webhook {id}.")),
        WebhookError::NotAdmin(_) => Err(WebError::Forbidden(ADMINS_ONLY)),
        other => Err(WebError::internal(other)),
    }
}

/// `POST /webhooks` (fields `csrf`, `url`, and one `event` per type ticked): subscribes, then
/// shows the page with the secret, once. Not a redirect: the secret must not travel in a
/// URL or be kept anywhere to show it again.
pub(crate) async fn add(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    };
    check_form_token(&signed_in, field("csrf"))?;
    admin_only(&signed_in)?;
    let url = field("url").to_owned();
    let events: Vec<String> = fields
        .iter()
        .filter(|(key, value)| key == "event" && EVENT_TYPES.contains(&value.as_str()))
        .map(|(_, value)| value.clone())
        .collect();
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let (hook_url, hook_events) = (url.clone(), events.clone());
    let made = tokio::task::spawn_blocking(move || {
        app.create_webhook(&actor, &hook_url, &hook_events, now())
    })
    .await
    .map_err(WebError::internal)?;
    match made {
        Ok(issued) => {
            let shown = Shown {
                made: Some((issued.webhook.id, &issued.secret)),
                ..Shown::default()
            };
            page(&state, &signed_in, StatusCode::CREATED, shown).await
        }
        Err(error) => {
            let why = refusal(error)?;
            let shown = Shown {
                draft_url: &url,
                draft_events: &events,
                made: None,
                error: Some(&why),
            };
            page(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

/// The remove and test buttons' form.
#[derive(serde::Deserialize)]
pub(crate) struct ButtonForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /webhooks/{id}/remove`: nothing more is sent to it; back to the page (303).
pub(crate) async fn remove(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    admin_only(&signed_in)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let removed = tokio::task::spawn_blocking(move || app.remove_webhook(&actor, id, now()))
        .await
        .map_err(WebError::internal)?;
    after(&state, &signed_in, removed.map(drop)).await
}

/// `POST /webhooks/{id}/test`: queues a test event (the dispatcher sends it within seconds);
/// back to the page (303), whose deliveries show how it went.
pub(crate) async fn test(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    admin_only(&signed_in)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let queued = tokio::task::spawn_blocking(move || app.test_webhook(&actor, id, now()))
        .await
        .map_err(WebError::internal)?;
    after(&state, &signed_in, queued.map(drop)).await
}

async fn after(
    state: &crate::State,
    signed_in: &SignedIn,
    done: Result<(), WebhookError>,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(Redirect::to("/webhooks").into_response()),
        Err(error) => {
            let why = refusal(error)?;
            let shown = Shown {
                error: Some(&why),
                ..Shown::default()
            };
            page(state, signed_in, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}
