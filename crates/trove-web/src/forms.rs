//! `/forms` (admins): the public feedback forms, one to create, and closing one. The same
//! use cases as `trove form`; the public page itself is `feedback_form.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::{FormError, NewForm};
use trove_store::{FormRecord, FormScale};
use trove_workflow::model::Role;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, encode_query_value, now};

const ADMINS_ONLY: &str = "Only admins manage the feedback forms.";

/// What the create form holds (kept when it is shown again with an error).
#[derive(Deserialize, Default)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    touchpoint: String,
    #[serde(default)]
    business_unit: String,
}

#[derive(Template)]
#[template(path = "forms.html")]
struct FormsPage<'a> {
    chrome: Chrome,
    forms: &'a [FormRecord],
    draft: &'a CreateForm,
    scales: [(&'static str, &'static str); 4],
    /// The journey's touchpoint ids, offered as the touchpoint's choices.
    touchpoints: &'a [String],
    error: Option<&'a str>,
}

impl FormsPage<'_> {
    /// The drill-down of the web-form answers with this form's source, touchpoint and business
    /// unit (other forms that share all three are included).
    fn answers(&self, form: &FormRecord) -> String {
        let mut link = format!(
            "/items?channel=web_form&source={}&touchpoint={}",
            encode_query_value(&form.source),
            encode_query_value(&form.touchpoint)
        );
        if let Some(unit) = &form.business_unit {
            link.push_str(&format!("&bu={}", encode_query_value(unit)));
        }
        link
    }

    fn day(&self, at: &i64) -> String {
        jiff::Timestamp::from_second(*at)
            .map_or(at.to_string(), |t| t.strftime("%Y-%m-%d").to_string())
    }
}

/// The scales offered: (value, label).
const SCALES: [(&str, &str); 4] = [
    ("nps", "NPS: 0 to 10, how likely to recommend"),
    ("csat", "CSAT: 1 to 5, how satisfied"),
    ("ces", "CES: 1 to 7, how easy"),
    ("none", "No score: a comment only"),
];

fn admin_only(signed_in: &SignedIn) -> Result<(), WebError> {
    if signed_in.user.role == Role::Admin {
        Ok(())
    } else {
        Err(WebError::Forbidden(ADMINS_ONLY))
    }
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    status: StatusCode,
    draft: &CreateForm,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let (forms, touchpoints) = blocking(move || {
        let forms = app.forms(&actor)?;
        Ok::<_, FormError>((forms, app.journey_touchpoints()?))
    })
    .await?;
    let page = render(&FormsPage {
        chrome: Chrome::new(signed_in, "/forms"),
        forms: &forms,
        draft,
        scales: SCALES,
        touchpoints: &touchpoints,
        error,
    })?;
    Ok((status, page).into_response())
}

/// `GET /forms`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    admin_only(&signed_in)?;
    let draft = CreateForm {
        score: "nps".to_owned(),
        ..CreateForm::default()
    };
    page(&state, &signed_in, StatusCode::OK, &draft, None).await
}

/// A refusal in words (422) or a failure.
fn refusal(error: FormError) -> Result<String, WebError> {
    match error {
        FormError::Invalid(why) => Ok(why),
        FormError::Unknown(id) => Ok(format!("There is no form {id}.")),
        FormError::NotAdmin(..) => Err(WebError::Forbidden(ADMINS_ONLY)),
        other => Err(WebError::internal(other)),
    }
}

/// `POST /forms`: creates a form, then shows the list (303).
pub(crate) async fn create(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    admin_only(&signed_in)?;
    let Some(scale) = FormScale::parse(&form.score) else {
        let why = "Pick a score scale.";
        return page(
            &state,
            &signed_in,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            Some(why),
        )
        .await;
    };
    let new = NewForm {
        source: form.source.clone(),
        touchpoint: form.touchpoint.clone(),
        business_unit: Some(form.business_unit.clone()).filter(|unit| !unit.trim().is_empty()),
        scale,
        question: form.question.clone(),
        title: Some(form.title.clone()),
    };
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let created = tokio::task::spawn_blocking(move || app.create_form(&actor, &new, now()))
        .await
        .map_err(WebError::internal)?;
    match created {
        Ok(_) => Ok(Redirect::to("/forms").into_response()),
        Err(error) => {
            let why = refusal(error)?;
            page(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(&why),
            )
            .await
        }
    }
}

/// The close button's form.
#[derive(Deserialize)]
pub(crate) struct CloseForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /forms/{id}/close`: closes a form, then shows the list (303).
pub(crate) async fn close(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    admin_only(&signed_in)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let closed = tokio::task::spawn_blocking(move || app.close_form(&actor, &id, now()))
        .await
        .map_err(WebError::internal)?;
    match closed {
        Ok(_) => Ok(Redirect::to("/forms").into_response()),
        Err(error) => {
            let why = refusal(error)?;
            let draft = CreateForm {
                score: "nps".to_owned(),
                ..CreateForm::default()
            };
            page(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                &draft,
                Some(&why),
            )
            .await
        }
    }
}
