//! `/departments` and `/departments/{id}`: each department's stream (what `trove stream`
//! prints): its actions and their commitments, missed ones first and in red with a word, its
//! open follow-up cases, the issues it contributes to, and its customers' fresh words.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;
use trove_app::{DepartmentStream, DepartmentSummary, StreamAction};
use trove_domain::Slug;
use trove_workflow::Workflow;
use trove_workflow::views::Standing;

use crate::chrome::Chrome;
use crate::error::{WebError, message_page};
use crate::pages::render;
use crate::session::{SignedIn, blocking, now};
use crate::working::service_level;

/// How many verbatims a stream shows.
const VERBATIMS: usize = 12;

/// How many open cases a stream lists (the most urgent; the queue has them all).
const CASES: usize = 8;

/// How far back a stream's verbatims reach unless the page asks otherwise.
const DEFAULT_DAYS: i64 = 90;

#[derive(Template)]
#[template(path = "departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    departments: Vec<DepartmentSummary>,
}

/// `GET /departments`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let departments = blocking(move || app.department_summaries(now())).await?;
    Ok(render(&DepartmentsPage {
        chrome: Chrome::new(&signed_in, "/departments"),
        departments,
    })?
    .into_response())
}

/// An action's row.
struct ActionRow {
    id: u32,
    issue: u32,
    issue_title: String,
    what: String,
    root_cause: String,
    owner: String,
    due: String,
    first_due: Option<String>,
    replans: Vec<String>,
    status: &'static str,
    percent: u8,
    /// The commitment in words: `Missed: 5 days late`.
    commitment: String,
    /// Its CSS class: `late`, `ok`, `open`.
    class: &'static str,
}

impl ActionRow {
    fn new(a: StreamAction) -> Self {
        let (commitment, class) = match a.standing {
            Standing::Missed => (format!("Missed: {} days late", a.days_late), "late"),
            Standing::MetLate => (format!("Met {} days late", a.days_late), "soon"),
            Standing::Met => ("Met on time".to_owned(), "ok"),
            Standing::Open => ("Open".to_owned(), "open"),
        };
        let action = a.action;
        ActionRow {
            id: action.id,
            issue: action.issue,
            issue_title: a.issue_title,
            what: action.what,
            root_cause: a.root_cause,
            owner: action.owner,
            due: action.due.to_string(),
            first_due: (action.first_due != action.due).then(|| action.first_due.to_string()),
            replans: action
                .replans
                .iter()
                .map(|r| format!("{} → {}: {}", r.from, r.to, r.reason))
                .collect(),
            status: action.status.as_str(),
            percent: action.percent,
            commitment,
            class,
        }
    }
}

/// An open case's line.
struct CaseLine {
    id: u32,
    customer: String,
    owner: String,
    sla: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "department.html")]
struct StreamPage {
    chrome: Chrome,
    stream: DepartmentStream,
    actions: Vec<ActionRow>,
    missed: usize,
    cases: Vec<CaseLine>,
    /// Open cases in all (the page lists the most urgent [`CASES`]).
    open_cases: usize,
    since: String,
}

/// The stream's address.
#[derive(Deserialize)]
pub(crate) struct StreamQuery {
    since: Option<String>,
}

fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "No such department",
        "There is no department with that id. The list of departments is at /departments.",
    )
}

/// `GET /departments/{id}`.
pub(crate) async fn stream(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<StreamQuery>,
) -> Result<Response, WebError> {
    let Ok(department) = Slug::parse("department", &id) else {
        return Ok(not_found());
    };
    let now = now();
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => match raw.parse::<Date>() {
            Ok(day) => day,
            Err(_) => {
                return Ok(message_page(
                    StatusCode::BAD_REQUEST,
                    "Not a date",
                    "Give the first day as a date like 2026-03-15.",
                ));
            }
        },
        None => Workflow::day_of(now - DEFAULT_DAYS * 86_400),
    };
    let app = state.app.clone();
    let stream =
        blocking(move || app.department_stream(&department, since, now, VERBATIMS)).await?;
    let Some(mut stream) = stream else {
        return Ok(not_found());
    };
    let actions: Vec<ActionRow> = std::mem::take(&mut stream.actions)
        .into_iter()
        .map(ActionRow::new)
        .collect();
    let open_cases = stream.cases.len();
    let cases = stream
        .cases
        .iter()
        .take(CASES)
        .map(|v| {
            let (sla, breach) = service_level(v.case.due_at, v.case.closed_at, now);
            CaseLine {
                id: v.case.id,
                customer: v
                    .customer_name
                    .clone()
                    .or_else(|| v.case.customer.clone())
                    .unwrap_or_else(|| "Unknown customer".to_owned()),
                owner: v
                    .case
                    .owner
                    .clone()
                    .unwrap_or_else(|| "not taken yet".to_owned()),
                sla,
                class: breach.class(),
            }
        })
        .collect();
    Ok(render(&StreamPage {
        chrome: Chrome::new(&signed_in, "/departments"),
        missed: actions.iter().filter(|a| a.class == "late").count(),
        actions,
        cases,
        open_cases,
        since: stream.since.to_string(),
        stream,
    })?
    .into_response())
}
