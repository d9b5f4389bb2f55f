//! The public feedback form, `/f/{id}`: no sign-in, no JavaScript, no cookie. It shows the
//! question, the score scale and a comment box (and an e-mail address with a consent box),
//! takes the answer through `trove-app` (honeypot, signed time stamp, masking, tagging) and
//! thanks. Rate limits per client address keep a script from flooding it; an unknown or
//! closed form is a polite 404 (never the sign-in page).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::{Answer, Answered, MAX_COMMENT_CHARS, ServedForm};
use trove_store::FormScale;

use crate::error::WebError;
use crate::pages::render;
use crate::session::{blocking, now};

/// The largest answer accepted, in bytes (a full comment, percent-encoded, fits).
pub(crate) const BODY_LIMIT: usize = 32 * 1024;

/// Answers accepted per client address within [`WINDOW`].
pub(crate) const ANSWERS_PER_ADDRESS: usize = 20;
/// Page views accepted per client address within [`WINDOW`].
pub(crate) const VIEWS_PER_ADDRESS: usize = 120;
/// The window over which answers and views count.
pub(crate) const WINDOW: Duration = Duration::from_secs(10 * 60);
/// The most addresses remembered; beyond it the oldest are forgotten first (memory stays
/// bounded under a flood from many addresses).
const MAX_ADDRESSES: usize = 100_000;

/// Recent answers and views per client address, in memory (reset when the server restarts,
/// not shared between servers; behind a reverse proxy every client has the proxy's address).
#[derive(Default)]
pub(crate) struct FormLimiter {
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FormLimiter {
    /// Records an attempt under `key`; whether it is within `limit` per window.
    fn allows(&self, key: String, limit: usize) -> bool {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if recent.len() >= MAX_ADDRESSES {
            recent.retain(|_, list| {
                list.back()
                    .is_some_and(|at| now.duration_since(*at) <= WINDOW)
            });
        }
        let list = recent.entry(key).or_default();
        while list
            .front()
            .is_some_and(|at| now.duration_since(*at) > WINDOW)
        {
            list.pop_front();
        }
        if list.len() >= limit {
            return false;
        }
        list.push_back(now);
        true
    }

    pub(crate) fn allows_answer(&self, address: &str) -> bool {
        self.allows(format!("answer:{address}"), ANSWERS_PER_ADDRESS)
    }

    pub(crate) fn allows_view(&self, address: &str) -> bool {
        self.allows(format!("view:{address}"), VIEWS_PER_ADDRESS)
    }
}

/// One answer of the scale.
pub(crate) struct Choice {
    value: u8,
    checked: bool,
}

#[derive(Template)]
#[template(path = "feedback_form.html")]
struct FormPage<'a> {
    served: &'a ServedForm,
    choices: Vec<Choice>,
    /// What the lowest and highest answers mean.
    ends: Option<(String, String)>,
    comment: &'a str,
    email: &'a str,
    consent: bool,
    max_comment: usize,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "feedback_form_message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
}

fn message(status: StatusCode, title: &str, text: &str) -> Result<Response, WebError> {
    Ok((status, render(&MessagePage { title, text })?).into_response())
}

fn not_found() -> Result<Response, WebError> {
    message(
        StatusCode::NOT_FOUND,
        "This form is not available",
        "The form at this address was closed or never existed. Thank you for wanting to tell us: if you were given another link or code, please use that one.",
    )
}

fn too_many() -> Result<Response, WebError> {
    message(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many answers from your connection",
        "We received many answers from your connection in the last few minutes. Please wait ten minutes and send yours again.",
    )
}

/// The scale's answers and what its ends mean.
fn scale(scale: FormScale, picked: Option<&str>) -> (Vec<Choice>, Option<(String, String)>) {
    let Some((low, high)) = scale.range() else {
        return (Vec::new(), None);
    };
    let (low_means, high_means) = match scale {
        FormScale::Nps => ("not at all likely", "extremely likely"),
        FormScale::Csat => ("very dissatisfied", "very satisfied"),
        FormScale::Ces => ("very difficult", "very easy"),
        FormScale::None => ("", ""),
    };
    let choices = (low..=high)
        .map(|value| Choice {
            value,
            checked: picked.is_some_and(|p| p.trim() == value.to_string()),
        })
        .collect();
    (
        choices,
        Some((
            format!("{low} = {low_means}"),
            format!("{high} = {high_means}"),
        )),
    )
}

fn page(
    status: StatusCode,
    served: &ServedForm,
    answer: &Answer,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let (choices, ends) = scale(served.form.scale, answer.score.as_deref());
    let page = render(&FormPage {
        served,
        choices,
        ends,
        comment: &answer.comment,
        email: &answer.email,
        consent: answer.consent,
        max_comment: MAX_COMMENT_CHARS,
        error,
    })?;
    Ok((status, page).into_response())
}

/// `GET /f/{id}`: the form, with a fresh stamp.
pub(crate) async fn show(
    State(state): State<crate::State>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    if !state.form_limiter.allows_view(&client.ip().to_string()) {
        return too_many();
    }
    let app = state.app.clone();
    match blocking(move || app.serve_form(&id, now())).await? {
        Some(served) => page(StatusCode::OK, &served, &Answer::default(), None),
        None => not_found(),
    }
}

/// The form as posted; every field optional, so that a bad answer is shown again in words.
#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    stamp: String,
    score: Option<String>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    email: String,
    consent: Option<String>,
    /// The honeypot: hidden from people, filled by scripts.
    #[serde(default)]
    website: String,
}

/// `POST /f/{id}`: takes an answer; thanks (303 to the thank-you page), or shows the form
/// again saying what to change (422), or 404 for a closed form, or 429.
pub(crate) async fn answer(
    State(state): State<crate::State>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, WebError> {
    if !state.form_limiter.allows_answer(&client.ip().to_string()) {
        tracing::info!("form answer refused: rate limit");
        return too_many();
    }
    let answer = Answer {
        stamp: form.stamp,
        score: form.score,
        comment: form.comment,
        email: form.email,
        consent: form.consent.is_some(),
        honeypot: form.website,
    };
    let app = state.app.clone();
    let (form_id, sent) = (id.clone(), answer.clone());
    let answered = blocking(move || app.answer_form(&form_id, &sent, now())).await?;
    let again = match answered {
        Answered::Stored | Answered::Ignored => {
            if answered == Answered::Ignored {
                tracing::info!("form answer ignored: honeypot filled");
            }
            return Ok(Redirect::to(&format!("/f/{id}/thanks")).into_response());
        }
        Answered::Closed => return not_found(),
        Answered::TooFast => {
            "That was quicker than we expected. Please check your answer and send it again."
                .to_owned()
        }
        Answered::Stale => {
            "This page was open for a long time. Please check your answer and send it again."
                .to_owned()
        }
        Answered::Invalid(why) => why,
    };
    let app = state.app.clone();
    match blocking(move || app.serve_form(&id, now())).await? {
        Some(served) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &served,
            &answer,
            Some(&again),
        ),
        None => not_found(),
    }
}

/// `GET /f/{id}/thanks`.
pub(crate) async fn thanks(
    State(state): State<crate::State>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    if !state.form_limiter.allows_view(&client.ip().to_string()) {
        return too_many();
    }
    let app = state.app.clone();
    match blocking(move || app.open_form(&id)).await? {
        Some(_) => message(
            StatusCode::OK,
            "Thank you",
            "We received your answer. Every answer is read, counted and passed on to the people who can act on it.",
        ),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_limited_after_its_answers_and_others_are_not() {
        let limiter = FormLimiter::default();
        for _ in 0..ANSWERS_PER_ADDRESS {
            assert!(limiter.allows_answer("10.0.0.1"));
        }
        assert!(!limiter.allows_answer("10.0.0.1"));
        assert!(limiter.allows_answer("10.0.0.2"));
        assert!(limiter.allows_view("10.0.0.1"), "views count apart");
    }

    #[test]
    fn each_scale_lists_its_answers_and_says_what_its_ends_mean() {
        let (choices, ends) = scale(FormScale::Nps, Some("7"));
        assert_eq!(choices.len(), 11);
        assert_eq!(choices.iter().filter(|c| c.checked).count(), 1);
        assert!(choices[7].checked);
        assert_eq!(
            ends,
            Some((
                "0 = not at all likely".to_owned(),
                "10 = extremely likely".to_owned()
            ))
        );
        assert_eq!(scale(FormScale::Csat, None).0.len(), 5);
        assert_eq!(scale(FormScale::Ces, None).0.len(), 7);
        assert!(scale(FormScale::None, None).0.is_empty());
    }
}
