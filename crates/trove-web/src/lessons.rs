//! `/lessons`: the lesson bank (searchable, as `trove lessons search` finds them) and the
//! recognition of prevention work (`trove recognition list`): the published criteria and the
//! submissions with the panel's scores, best first.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use trove_app::LessonBank;
use trove_workflow::model::CRITERIA;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::render;
use crate::session::{SignedIn, blocking};
use crate::working::minute;

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
}

#[derive(Template)]
#[template(path = "lessons.html")]
struct LessonsPage {
    chrome: Chrome,
    bank: LessonBank,
    submissions: Vec<SubmissionRow>,
    criteria: &'static [&'static str],
    query: String,
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
}

/// `GET /lessons`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<LessonsQuery>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let words = query.q.clone().unwrap_or_default();
    let search = words.clone();
    let bank = blocking(move || app.lesson_bank(Some(&search))).await?;
    let most = (CRITERIA.len() * 5) as f64;
    let submissions = bank
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
        })
        .collect();
    Ok(render(&LessonsPage {
        chrome: Chrome::new(&signed_in, "/lessons"),
        bank,
        submissions,
        criteria: &CRITERIA,
        query: words,
    })?
    .into_response())
}
