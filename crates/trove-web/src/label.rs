//! `/label`: analysts and admins label items' sentiment one at a time (negative / neutral /
//! positive, or skip), from a sample stratified by source and the lexicon's reading (see
//! `trove_app::labelling`); keys n / u / p / s press the buttons (`/static/label.js`; without
//! script the buttons work alone). "Train" learns a sentiment model from the stored labels,
//! measured against the lexicon on held-out labels and saved as the next version.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::{Clock, LabelError, LabelQueue, SentimentError, SentimentModelNote};
use trove_workflow::model::Role;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking};
use crate::working::refused_page;

/// The script of the keys.
const SCRIPT: &str = include_str!("../static/label.js");
const ANALYSTS_ONLY: &str = "Labelling is for analysts and admins.";

#[derive(Template)]
#[template(path = "label.html")]
struct LabelPage {
    chrome: Chrome,
    queue: LabelQueue,
    model: Option<SentimentModelNote>,
    message: Option<String>,
    error: Option<String>,
}

impl LabelPage {
    /// How many items carry `label`.
    fn count(&self, label: &str) -> usize {
        self.queue.counts.get(label).copied().unwrap_or(0)
    }
}

fn analysts_only(signed_in: &SignedIn) -> Result<(), WebError> {
    match signed_in.user.role {
        Role::Admin | Role::Analyst => Ok(()),
        _ => Err(WebError::Forbidden(ANALYSTS_ONLY)),
    }
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let (queue, model) = blocking(move || {
        Ok::<_, trove_store::StoreError>((app.label_queue()?, app.sentiment_model_note()?))
    })
    .await?;
    let refused = error.is_some();
    let html = render(&LabelPage {
        chrome: Chrome::new(signed_in, "/label"),
        queue,
        model,
        message,
        error,
    })?;
    Ok(if refused {
        refused_page(html)
    } else {
        html.into_response()
    })
}

/// The page's address.
#[derive(Deserialize)]
pub(crate) struct LabelQuery {
    /// The version a "train" just saved.
    trained: Option<i64>,
}

/// `GET /label`.
pub(crate) async fn show(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<LabelQuery>,
) -> Result<Response, WebError> {
    analysts_only(&signed_in)?;
    let message = query.trained.map(|v| {
        format!(
            "Saved sentiment model version {v}: `trove tag --all` re-scores stored items with \
             it, and imports use it."
        )
    });
    page(&state, &signed_in, message, None).await
}

/// A label sent by the page.
#[derive(Deserialize)]
pub(crate) struct LabelForm {
    csrf: String,
    item: i64,
    label: String,
}

/// `POST /label`: stores the label (or skip) and shows the next item.
pub(crate) async fn record(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<LabelForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    analysts_only(&signed_in)?;
    let app = state.app.clone();
    let who = signed_in.user.email.clone();
    let at = Clock::Real.now();
    let result =
        tokio::task::spawn_blocking(move || app.record_label(&who, form.item, &form.label, at))
            .await
            .map_err(WebError::internal)?;
    match result {
        Ok(()) => Ok(Redirect::to("/label").into_response()),
        Err(LabelError::Store(e)) => Err(WebError::internal(e)),
        Err(refused) => page(&state, &signed_in, None, Some(refused.to_string())).await,
    }
}

/// The train form.
#[derive(Deserialize)]
pub(crate) struct TrainForm {
    csrf: String,
}

/// `POST /label/train`: trains the default sentiment model from the stored labels.
pub(crate) async fn train(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<TrainForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    analysts_only(&signed_in)?;
    let app = state.app.clone();
    let result = tokio::task::spawn_blocking(move || app.train_sentiment_from_labels(None, 0.2, 1))
        .await
        .map_err(WebError::internal)?;
    match result {
        Ok(report) => {
            Ok(Redirect::to(&format!("/label?trained={}", report.version)).into_response())
        }
        Err(SentimentError::Store(e)) => Err(WebError::internal(e)),
        Err(refused) => page(&state, &signed_in, None, Some(refused.to_string())).await,
    }
}

/// `GET /static/label.js`.
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}
