//! The departments' streams and the follow-up cases, as the `/departments` and `/cases`
//! pages show them (read scope). Customer words (a stream's verbatims) are left out for a
//! token limited to a business unit: the workflow's departments span units.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use trove_app::{CaseView, QueueFilter};
use trove_domain::Slug;
use trove_workflow::Workflow;
use trove_workflow::model::{Case, CaseStatus};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody, blocking};
use super::reads::{page, parsed};
use super::types::{CasesQuery, Page, PageQuery, StreamQuery};

/// Days of verbatims a stream shows unless asked otherwise, and how many.
const DEFAULT_DAYS: i64 = 30;
const VERBATIMS: usize = 12;

/// A department and its load.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DepartmentOut {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
    /// People in it.
    people: usize,
    /// Open issues it works on.
    open_issues: usize,
    /// Open actions it owes.
    open_actions: usize,
    /// Its missed commitments.
    missed: usize,
    /// Its open follow-up cases.
    open_cases: usize,
    /// Of those, past their deadline.
    breached_cases: usize,
}

/// An issue in a stream.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StreamIssueOut {
    /// Its number.
    id: u32,
    /// Its title.
    title: String,
    /// Its status.
    status: String,
    /// The lead department.
    lead: String,
    /// Its themes.
    themes: Vec<String>,
}

/// An action a department owes, and where its promise stands.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StreamActionOut {
    /// Its number.
    id: u32,
    /// The issue it serves.
    issue: u32,
    /// The issue's title.
    issue_title: String,
    /// The root cause it removes.
    root_cause: String,
    /// What is to be done.
    what: String,
    /// Its owner.
    owner: String,
    /// Due day (YYYY-MM-DD).
    due: String,
    /// Percent done.
    percent: u8,
    /// open, met, met_late or missed.
    standing: String,
    /// Days past due (missed) or late (met late).
    days_late: i64,
}

/// A customer's words in a stream.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VerbatimOut {
    /// The feedback item.
    feedback_id: i64,
    /// Received (UTC day).
    day: String,
    /// The theme.
    theme: String,
    /// The words.
    text: String,
}

/// A department's stream: its issues, actions, open cases and fresh verbatims.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StreamOut {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
    /// The e-mail addresses of its people.
    people: Vec<String>,
    /// The issues it works on.
    issues: Vec<StreamIssueOut>,
    /// The actions it owes, missed first.
    actions: Vec<StreamActionOut>,
    /// Its open follow-up cases.
    cases: Vec<CaseOut>,
    /// Customers' words on its issues' themes since `since` (empty for a token limited to a
    /// business unit).
    verbatims: Vec<VerbatimOut>,
    /// The first day of the verbatims.
    since: String,
}

/// A follow-up case.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CaseOut {
    /// Its number.
    id: u32,
    /// The customer.
    customer: Option<String>,
    /// The feedback item that opened it.
    feedback_id: Option<i64>,
    /// The issue it belongs to.
    issue: Option<u32>,
    /// Why it was opened.
    reason: String,
    /// The department that owns it.
    department: String,
    /// The person who owns it.
    owner: Option<String>,
    /// Opened (RFC 3339).
    opened_at: String,
    /// Its deadline (RFC 3339).
    due_at: String,
    /// open, contacted or closed.
    status: String,
    /// Whether it breached its deadline (closed after it, or open past it).
    breached: bool,
    /// Closed (RFC 3339).
    closed_at: Option<String>,
    /// What came of it.
    outcome: Option<String>,
    /// Notes, oldest first.
    notes: Vec<String>,
}

fn rfc3339(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(|_| at.to_string(), |t| t.to_string())
}

fn case_out(case: &Case, now: i64) -> CaseOut {
    CaseOut {
        id: case.id,
        customer: case.customer.clone(),
        feedback_id: case.feedback_id,
        issue: case.issue,
        reason: case.reason.clone(),
        department: case.department.as_str().to_owned(),
        owner: case.owner.clone(),
        opened_at: rfc3339(case.opened_at),
        due_at: rfc3339(case.due_at),
        status: case.status.as_str().to_owned(),
        breached: case.breached(now),
        closed_at: case.closed_at.map(rfc3339),
        outcome: case.outcome.clone(),
        notes: case.notes.clone(),
    }
}

fn standing_word(standing: trove_workflow::views::Standing) -> String {
    standing.as_str().to_lowercase().replace(' ', "_")
}

/// `GET /api/v1/departments`: every department with its load.
#[utoipa::path(get, path = "/api/v1/departments", tag = "workflow", params(PageQuery),
    responses(
        (status = 200, description = "Departments", body = Page<DepartmentOut>),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
    ))]
pub(crate) async fn departments(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<DepartmentOut>>, ApiError> {
    let query = parsed(query)?;
    caller.reads()?;
    let app = state.app.clone();
    let now = crate::session::now();
    let all = blocking(move || app.department_summaries(now))
        .await?
        .into_iter()
        .map(|d| DepartmentOut {
            id: d.id.as_str().to_owned(),
            name: d.name,
            people: d.people,
            open_issues: d.open_issues,
            open_actions: d.open_actions,
            missed: d.missed,
            open_cases: d.open_cases,
            breached_cases: d.breached_cases,
        })
        .collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Page { data, next_cursor }))
}

/// `GET /api/v1/departments/{id}/stream`: a department's stream.
#[utoipa::path(get, path = "/api/v1/departments/{id}/stream", tag = "workflow",
    params(("id" = String, Path, description = "The department's id"), StreamQuery),
    responses(
        (status = 200, description = "The stream", body = StreamOut),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 404, description = "No such department", body = ErrorBody),
        (status = 422, description = "A bad day", body = ErrorBody),
    ))]
pub(crate) async fn stream(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Json<StreamOut>, ApiError> {
    let query = parsed(query)?;
    let holder = caller.reads()?.clone();
    let missing = || ApiError::not_found(format!("there is no department {id:?}"));
    let department = Slug::parse("department", &id).map_err(|_| missing())?;
    let now = crate::session::now();
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => raw.parse::<jiff::civil::Date>().map_err(|_| {
            ApiError::validation("since", format!("{raw:?} is not a day (YYYY-MM-DD)"))
        })?,
        None => Workflow::day_of(now - DEFAULT_DAYS * 86_400),
    };
    let verbatims = if holder.business_unit.is_some() {
        0
    } else {
        VERBATIMS
    };
    let app = state.app.clone();
    let stream = blocking(move || app.department_stream(&department, since, now, verbatims))
        .await?
        .ok_or_else(missing)?;
    Ok(Json(StreamOut {
        id: stream.id.as_str().to_owned(),
        name: stream.name,
        people: stream.people.into_iter().map(|u| u.email).collect(),
        issues: stream
            .issues
            .into_iter()
            .map(|i| StreamIssueOut {
                id: i.id,
                title: i.title,
                status: i.status.to_owned(),
                lead: i.lead.as_str().to_owned(),
                themes: i.themes.iter().map(|t| t.as_str().to_owned()).collect(),
            })
            .collect(),
        actions: stream
            .actions
            .into_iter()
            .map(|a| StreamActionOut {
                id: a.action.id,
                issue: a.action.issue,
                issue_title: a.issue_title,
                root_cause: a.root_cause,
                what: a.action.what,
                owner: a.action.owner,
                due: a.action.due.to_string(),
                percent: a.action.percent,
                standing: standing_word(a.standing),
                days_late: a.days_late,
            })
            .collect(),
        cases: stream
            .cases
            .iter()
            .map(|c: &CaseView| case_out(&c.case, now))
            .collect(),
        verbatims: stream
            .verbatims
            .into_iter()
            .map(|v| VerbatimOut {
                feedback_id: v.feedback_id,
                day: v.day,
                theme: v.theme,
                text: v.text,
            })
            .collect(),
        since: stream.since.to_string(),
    }))
}

/// `GET /api/v1/cases`: the follow-up cases, by deadline.
#[utoipa::path(get, path = "/api/v1/cases", tag = "workflow", params(CasesQuery),
    responses(
        (status = 200, description = "Cases", body = Page<CaseOut>),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 422, description = "A bad filter, limit or cursor", body = ErrorBody),
    ))]
pub(crate) async fn cases(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<CasesQuery>, QueryRejection>,
) -> Result<Json<Page<CaseOut>>, ApiError> {
    let query = parsed(query)?;
    caller.reads()?;
    let status = query.status.as_deref().unwrap_or("open");
    if !matches!(status, "open" | "breached" | "closed" | "all") {
        return Err(ApiError::validation(
            "status",
            format!("status {status:?} is not open, breached, closed or all"),
        ));
    }
    let departments = match query.department.as_deref().filter(|d| !d.is_empty()) {
        Some(raw) => vec![
            Slug::parse("department", raw)
                .map_err(|e| ApiError::validation("department", e.to_string()))?,
        ],
        None => Vec::new(),
    };
    let filter = QueueFilter {
        owner: query.owner.as_deref().map(str::to_lowercase),
        departments,
        closed: matches!(status, "closed" | "all"),
    };
    let app = state.app.clone();
    let now = crate::session::now();
    let queue = blocking(move || app.case_queue(&filter, now)).await?;
    let all = queue
        .cases
        .iter()
        .map(|c| &c.case)
        .filter(|c| match status {
            "breached" => c.status != CaseStatus::Closed && c.breached(now),
            "closed" => c.status == CaseStatus::Closed,
            _ => true,
        })
        .map(|c| case_out(c, now))
        .collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Page { data, next_cursor }))
}
