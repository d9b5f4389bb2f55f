//! `/assess`: the customer programme's maturity self-assessment. Everyone signed in answers
//! the questions 1-5 for the current month (radio groups, no script; answering again this
//! month replaces their answers); the page shows each area's score by month (the mean over
//! the people who answered, with their count), and each low area (below 3) with what to do
//! next and the part of Trove that helps.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::{
    AREAS, App, AssessError, AssessmentTrend, Clock, LOW_SCORE, Question, WorkflowError, month_of,
    parse_answers, questions,
};
use trove_workflow::model::Status;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking};
use crate::working::refused_page;

/// How many months the trend table shows.
const MONTHS_SHOWN: usize = 12;

/// One question with the signed-in person's answer of this month, if any.
struct QuestionRow {
    question: Question,
    answer: Option<u8>,
}

/// One area: its questions and its scores per shown month.
struct AreaBlock {
    id: &'static str,
    name: &'static str,
    group: &'static str,
    questions: Vec<QuestionRow>,
    /// Per shown month: the score in words (`3.50`) and the count, or none.
    scores: Vec<Option<(String, u64, bool)>>,
}

/// A low area of the latest month.
struct LowArea {
    name: &'static str,
    score: String,
    next_step: &'static str,
    link: String,
    link_text: String,
}

#[derive(Template)]
#[template(path = "assess.html")]
struct AssessPage {
    chrome: Chrome,
    month: String,
    answered_this_month: bool,
    areas: Vec<AreaBlock>,
    /// The shown months with how many people answered each.
    months: Vec<(String, u64)>,
    low: Vec<LowArea>,
    latest: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

impl AssessPage {
    fn checked(&self, row: &QuestionRow, value: &u8) -> bool {
        row.answer == Some(*value)
    }
}

/// The page's address.
#[derive(Deserialize)]
pub(crate) struct AssessQuery {
    /// What the last change did (`answered`).
    done: Option<String>,
}

/// What the page reads.
struct Read {
    trend: AssessmentTrend,
    mine: std::collections::BTreeMap<String, u8>,
    /// The theme and issue of the first issue still waiting for its root cause.
    waiting_for_whys: Option<(String, u32)>,
}

fn read(app: &App, person: &str, month: &str) -> Result<Read, WorkflowError> {
    let state = app.workflow()?;
    let waiting_for_whys = state
        .issues
        .values()
        .filter(|i| matches!(i.status, Status::Detected | Status::Acknowledged))
        .find_map(|i| i.themes.first().map(|t| (t.as_str().to_owned(), i.id)));
    Ok(Read {
        trend: app.assessment_trend()?,
        mine: app.assessment_answers_of(person, month)?,
        waiting_for_whys,
    })
}

fn low_areas(read: &Read) -> Vec<LowArea> {
    read.trend
        .low_areas()
        .into_iter()
        .map(|(area, mean)| {
            let (link, link_text) = match (&read.waiting_for_whys, area.id) {
                (Some((theme, issue)), "roots") => (
                    format!("/themes/{theme}#issue-{issue}"),
                    format!("issue {issue}'s five whys, on its theme page"),
                ),
                _ => (area.helps.0.to_owned(), area.helps.1.to_owned()),
            };
            LowArea {
                name: area.name,
                score: format!("{mean:.2}"),
                next_step: area.next_step,
                link,
                link_text,
            }
        })
        .collect()
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    message: Option<String>,
    error: Option<String>,
    given: Option<&[(String, String)]>,
) -> Result<Html<String>, WebError> {
    let app = state.app.clone();
    let person = signed_in.user.email.clone();
    let month = month_of(Clock::Real.now());
    let this_month = month.clone();
    let read = blocking(move || read(&app, &person, &this_month)).await?;
    let shown: Vec<_> = read
        .trend
        .months
        .iter()
        .skip(read.trend.months.len().saturating_sub(MONTHS_SHOWN))
        .collect();
    let all = questions();
    let answer_of = |id: &str| -> Option<u8> {
        // A refused form shows what was sent; otherwise the stored answers of this month.
        match given {
            Some(given) => given
                .iter()
                .find(|(q, _)| q == id)
                .and_then(|(_, v)| v.parse().ok()),
            None => read.mine.get(id).copied(),
        }
    };
    let areas = AREAS
        .iter()
        .enumerate()
        .map(|(index, area)| AreaBlock {
            id: area.id,
            name: area.name,
            group: area.group,
            questions: all
                .iter()
                .filter(|q| q.area == area.id)
                .map(|q| QuestionRow {
                    question: q.clone(),
                    answer: answer_of(&q.id),
                })
                .collect(),
            scores: shown
                .iter()
                .map(|m| {
                    let score = &m.areas[index];
                    score
                        .mean
                        .map(|mean| (format!("{mean:.2}"), score.people, mean < LOW_SCORE))
                })
                .collect(),
        })
        .collect();
    render(&AssessPage {
        chrome: Chrome::new(signed_in, "/assess"),
        answered_this_month: !read.mine.is_empty(),
        month,
        areas,
        months: shown.iter().map(|m| (m.month.clone(), m.people)).collect(),
        low: low_areas(&read),
        latest: read.trend.latest().map(|m| m.month.clone()),
        message,
        error,
    })
}

/// `GET /assess`.
pub(crate) async fn show(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<AssessQuery>,
) -> Result<Response, WebError> {
    let message = match query.done.as_deref() {
        Some("answered") => Some("Your answers for this month are recorded.".to_owned()),
        _ => None,
    };
    Ok(page(&state, &signed_in, message, None, None)
        .await?
        .into_response())
}

/// `POST /assess`: the person's answers of this month (`q_<question id>` = 1..5).
pub(crate) async fn answer(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let csrf = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map_or("", |(_, v)| v.as_str());
    check_form_token(&signed_in, csrf)?;
    let given: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(name, value)| {
            name.strip_prefix("q_")
                .map(|id| (id.to_owned(), value.clone()))
        })
        .collect();
    let missing = questions().len() - given.len().min(questions().len());
    let parsed = if missing > 0 {
        Err(format!(
            "Answer every question: {missing} {} no answer.",
            if missing == 1 { "has" } else { "have" }
        ))
    } else {
        let labelled: Vec<(String, String, String)> = given
            .iter()
            .map(|(q, v)| (q.clone(), v.clone(), "The form".to_owned()))
            .collect();
        parse_answers(&labelled).map_err(|e| e.to_string())
    };
    let outcome = match parsed {
        Err(refusal) => Err(refusal),
        Ok(answers) => {
            let app = state.app.clone();
            let person = signed_in.user.email.clone();
            let result = tokio::task::spawn_blocking(move || {
                app.answer_assessment(&person, Clock::Real, &answers)
            })
            .await
            .map_err(WebError::internal)?;
            match result {
                Ok(_) => Ok(()),
                Err(AssessError::Store(error)) => return Err(WebError::internal(error)),
                Err(refused) => Err(refused.to_string()),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/assess?done=answered").into_response()),
        Err(refusal) => Ok(refused_page(
            page(&state, &signed_in, None, Some(refusal), Some(&given)).await?,
        )),
    }
}
