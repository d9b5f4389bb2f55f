//! `/lessons`: the lesson bank (searchable, as `trove lessons search` finds them) and the
//! recognition of prevention work (`trove recognition list`): the published criteria and the
//! submissions with the panel's scores, best first.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::{App, LessonBank, NewLesson, WorkflowError};
use trove_workflow::model::CRITERIA;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking};
use crate::working::{attempt, minute, refused_page};

/// A submission's line.
struct SubmissionRow {
    id: u32,
    title: String,
    department: String,
    description: String,
    issue: Option<u32>,
    by: String,
    /// The mean total score in words (`16.5 of 20 from 2 judges`), or that it waits.
    score: String,
    judged: bool,
    comments: Vec<String>,
    /// Whether the signed-in person may judge it now.
    may_judge: bool,
}

#[derive(Template)]
#[template(path = "lessons.html")]
struct LessonsPage {
    chrome: Chrome,
    bank: LessonBank,
    submissions: Vec<SubmissionRow>,
    criteria: &'static [&'static str],
    query: String,
    /// Whether the signed-in person may record lessons.
    may_record: bool,
    /// The issues a lesson may come from: (number, title).
    issues: Vec<(u32, String)>,
    message: Option<String>,
    error: Option<String>,
}

impl LessonsPage {
    fn day(&self, at: &i64) -> String {
        minute(*at).chars().take(10).collect()
    }
}

/// The page's address.
#[derive(Deserialize)]
pub(crate) struct LessonsQuery {
    q: Option<String>,
    /// What the last change did (`recorded`, `judged`).
    done: Option<String>,
}

/// What the page reads, with the controls the rules allow the person.
struct Read {
    bank: LessonBank,
    judgeable: Vec<u32>,
    may_record: bool,
    issues: Vec<(u32, String)>,
}

fn read(app: &App, user: &trove_workflow::model::User, words: &str) -> Result<Read, WorkflowError> {
    let bank = app.lesson_bank(Some(words))?;
    let state = app.workflow()?;
    Ok(Read {
        judgeable: bank
            .submissions
            .iter()
            .filter(|s| App::may_judge(&state, user, s))
            .map(|s| s.id)
            .collect(),
        may_record: App::may_record_lessons(&state, user),
        issues: state
            .issues
            .values()
            .map(|i| (i.id, i.title.clone()))
            .collect(),
        bank,
    })
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    words: String,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let app = state.app.clone();
    let user = signed_in.user.clone();
    let search = words.clone();
    let read = blocking(move || read(&app, &user, &search)).await?;
    let most = (CRITERIA.len() * 5) as f64;
    let submissions = read
        .bank
        .submissions
        .iter()
        .map(|s| SubmissionRow {
            id: s.id,
            title: s.title.clone(),
            department: s.department.as_str().to_owned(),
            description: s.description.clone(),
            issue: s.issue,
            by: s.by.clone(),
            score: s.mean_total().map_or_else(
                || "not judged yet".to_owned(),
                |mean| {
                    let judges = s.judgements.len();
                    let plural = if judges == 1 { "" } else { "s" };
                    format!("{mean:.1} of {most} from {judges} judge{plural}")
                },
            ),
            judged: !s.judgements.is_empty(),
            comments: s
                .judgements
                .iter()
                .filter(|j| !j.comment.trim().is_empty())
                .map(|j| format!("{}: {}", j.judge, j.comment))
                .collect(),
            may_judge: read.judgeable.contains(&s.id),
        })
        .collect();
    render(&LessonsPage {
        chrome: Chrome::new(signed_in, "/lessons"),
        bank: read.bank,
        submissions,
        criteria: &CRITERIA,
        query: words,
        may_record: read.may_record,
        issues: read.issues,
        message,
        error,
    })
}

/// `GET /lessons`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<LessonsQuery>,
) -> Result<Response, WebError> {
    let message = match query.done.as_deref() {
        Some("recorded") => Some("The lesson is in the bank.".to_owned()),
        Some("judged") => Some("Your judgement is recorded.".to_owned()),
        _ => None,
    };
    let words = query.q.unwrap_or_default();
    Ok(page(&state, &signed_in, words, message, None)
        .await?
        .into_response())
}

async fn finish(
    state: &crate::State,
    signed_in: &SignedIn,
    outcome: Result<(), String>,
    done: &str,
) -> Result<Response, WebError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/lessons?done={done}")).into_response()),
        Err(refusal) => Ok(refused_page(
            page(state, signed_in, String::new(), None, Some(refusal)).await?,
        )),
    }
}

/// The lesson form.
#[derive(Deserialize)]
pub(crate) struct LessonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    issue: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    what_happened: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    what_worked: String,
    #[serde(default)]
    reuse: String,
}

/// `POST /lessons`: records a lesson.
pub(crate) async fn record(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<LessonForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let issue = match form.issue.trim() {
        "" => None,
        raw => match raw.parse() {
            Ok(issue) => Some(issue),
            Err(_) => {
                let refusal = format!("{raw:?} is not an issue number.");
                return finish(&state, &signed_in, Err(refusal), "").await;
            }
        },
    };
    let lesson = NewLesson {
        issue,
        title: form.title,
        what_happened: form.what_happened,
        root_cause: Some(form.root_cause),
        what_worked: form.what_worked,
        reuse: form.reuse,
    };
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let outcome = attempt(move || app.record_lesson(&actor, &lesson)).await?;
    finish(&state, &signed_in, outcome, "recorded").await
}

/// The judging form: one score per criterion (`score`, repeated in order) and a comment.
pub(crate) async fn judge(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(submission): Path<u32>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    check_form_token(&signed_in, &field("csrf"))?;
    let scores: Result<Vec<u8>, _> = fields
        .iter()
        .filter(|(n, _)| n == "score")
        .map(|(_, v)| v.trim().parse::<u8>())
        .collect();
    let Ok(scores) = scores else {
        let refusal = "Give each criterion a score from 1 to 5.".to_owned();
        return finish(&state, &signed_in, Err(refusal), "").await;
    };
    let comment = field("comment");
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let outcome =
        attempt(move || app.judge_submission(&actor, submission, &scores, &comment)).await?;
    finish(&state, &signed_in, outcome, "judged").await
}
