//! The write endpoints: workflow changes made as the token's owner through `App::act`, so
//! the rules that judge the command line and the pages judge them too. Each needs the
//! `write` scope; a change the rules refuse is a 422 naming the rule.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use trove_app::{Clock, WorkflowError};
use trove_workflow::Change;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::types::{ActionOut, IssueOut};

/// Progress on an action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProgressIn {
    /// Percent complete, 0-100 (100 does not mark it done).
    pub(crate) percent: u8,
    /// A note.
    pub(crate) note: Option<String>,
}

/// A refusal by the rules in words, or the failure behind it.
fn refused(error: WorkflowError) -> ApiError {
    match error {
        WorkflowError::Refused(refusal) => ApiError::refused(refusal.to_string()),
        WorkflowError::Invalid(why) => ApiError::refused(why),
        WorkflowError::UnknownUser(who) => {
            ApiError::forbidden(format!("{who} is no longer a Trove user"))
        }
        WorkflowError::Store(error) => ApiError::internal(error),
    }
}

/// `POST /api/v1/actions/{id}/progress`: records progress on an action, as the token's owner.
#[utoipa::path(post, path = "/api/v1/actions/{id}/progress", tag = "workflow",
    params(("id" = u32, Path, description = "The action's number")),
    request_body(content = ProgressIn, content_type = "application/json"),
    responses(
        (status = 200, description = "The action after the change", body = ActionOut),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No write scope", body = ErrorBody),
        (status = 422, description = "The rules refused the change", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn progress_action(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ActionOut>, ApiError> {
    let holder = caller.writes()?.clone();
    let action = number(&id, "action")?;
    let progress: ProgressIn = body_of(&body, "a progress")?;
    if progress.percent > 100 {
        return Err(ApiError::validation(
            "percent",
            "percent is between 0 and 100",
        ));
    }
    let change = Change::ActionProgressed {
        action,
        percent: progress.percent,
        note: progress.note,
    };
    let after = act(&state, &holder, vec![change]).await?;
    action_after(&after, action)
}

/// The action `id` as the workflow holds it after a change.
fn action_after(after: &trove_workflow::Workflow, id: u32) -> Result<Json<ActionOut>, ApiError> {
    let action = after
        .actions
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("there is no action {id}")))?;
    Ok(Json(super::reads::action_out(action)))
}

/// A body of `T`, or a 400 naming what is wrong with it.
fn body_of<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_json(format!("the body is not {what}: {e}")))
}

/// A number in the path, or a 404 naming the thing.
fn number(raw: &str, thing: &str) -> Result<u32, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("there is no {thing} {raw:?}")))
}

/// Makes `changes` as the token's owner under the rules, and returns the workflow after.
async fn act(
    state: &crate::State,
    holder: &trove_app::TokenHolder,
    changes: Vec<Change>,
) -> Result<trove_workflow::Workflow, ApiError> {
    let app = state.app.clone();
    let actor = holder.user.email.clone();
    tokio::task::spawn_blocking(move || {
        app.act(Some(&actor), Clock::Real, |_| Ok(changes.clone()))
            .map_err(refused)
    })
    .await
    .map_err(ApiError::internal)?
}

/// A move of an issue to another status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveIn {
    /// The new status: acknowledged, root_cause_found, action_planned, fixing, verifying,
    /// resolved or recurred (the rules decide which moves are allowed).
    pub(crate) to: String,
    /// Why.
    pub(crate) note: Option<String>,
}

/// `POST /api/v1/issues/{id}/move`: moves an issue to another status, as the token's owner.
#[utoipa::path(post, path = "/api/v1/issues/{id}/move", tag = "workflow",
    params(("id" = u32, Path, description = "The issue's number")),
    request_body(content = MoveIn, content_type = "application/json"),
    responses(
        (status = 200, description = "The issue after the move", body = IssueOut),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No write scope", body = ErrorBody),
        (status = 422, description = "A bad status, or the rules refused the move", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn move_issue(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<IssueOut>, ApiError> {
    let holder = caller.writes()?.clone();
    let issue = number(&id, "issue")?;
    let moved: MoveIn = body_of(&body, "a move")?;
    let to: trove_workflow::model::Status = moved
        .to
        .trim()
        .parse()
        .map_err(|e: String| ApiError::validation("to", e))?;
    let note = moved.note.filter(|n| !n.trim().is_empty());
    let after = act(
        &state,
        &holder,
        vec![Change::IssueMoved { issue, to, note }],
    )
    .await?;
    let issue = after
        .issues
        .get(&issue)
        .ok_or_else(|| ApiError::not_found(format!("there is no issue {issue}")))?;
    Ok(Json(super::reads::issue_out(issue)))
}

/// A new due date for an action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplanIn {
    /// The new due day (YYYY-MM-DD).
    pub(crate) due: String,
    /// Why it moves (required: a re-planned promise is shown with its reason).
    pub(crate) reason: String,
}

/// `POST /api/v1/actions/{id}/replan`: moves an action's due date, with a reason.
#[utoipa::path(post, path = "/api/v1/actions/{id}/replan", tag = "workflow",
    params(("id" = u32, Path, description = "The action's number")),
    request_body(content = ReplanIn, content_type = "application/json"),
    responses(
        (status = 200, description = "The action after the change", body = ActionOut),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No write scope", body = ErrorBody),
        (status = 422, description = "A bad day, or the rules refused the change", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn replan_action(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ActionOut>, ApiError> {
    let holder = caller.writes()?.clone();
    let action = number(&id, "action")?;
    let replan: ReplanIn = body_of(&body, "a new due date")?;
    let due: jiff::civil::Date = replan.due.trim().parse().map_err(|_| {
        ApiError::validation("due", format!("{:?} is not a day (YYYY-MM-DD)", replan.due))
    })?;
    let reason = replan.reason.trim().to_owned();
    let after = act(
        &state,
        &holder,
        vec![Change::ActionReplanned {
            action,
            due,
            reason,
        }],
    )
    .await?;
    action_after(&after, action)
}

/// Work on a follow-up case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseWorkIn {
    /// take (the token's owner owns it), contact (record what was said: `note`) or close
    /// (with `outcome`, and whether the first contact resolved it).
    pub(crate) work: String,
    /// What was said with the customer (contact).
    pub(crate) note: Option<String>,
    /// What came of it (close).
    pub(crate) outcome: Option<String>,
    /// Resolved in the first contact (close; default false).
    pub(crate) first_contact: Option<bool>,
}

/// A case after the work.
#[derive(Debug, serde::Serialize, ToSchema)]
pub(crate) struct CaseDone {
    /// Its number.
    pub(crate) id: u32,
    /// open, contacted or closed.
    pub(crate) status: String,
    /// Its owner.
    pub(crate) owner: Option<String>,
}

/// `POST /api/v1/cases/{id}`: takes, records contact on, or closes a follow-up case, as the
/// token's owner and under the same rules as the `/cases` page.
#[utoipa::path(post, path = "/api/v1/cases/{id}", tag = "workflow",
    params(("id" = u32, Path, description = "The case's number")),
    request_body(content = CaseWorkIn, content_type = "application/json"),
    responses(
        (status = 200, description = "The case after the work", body = CaseDone),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No write scope", body = ErrorBody),
        (status = 422, description = "Bad work, or the rules refused it", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn work_case(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CaseDone>, ApiError> {
    let holder = caller.writes()?.clone();
    let case = number(&id, "case")?;
    let work: CaseWorkIn = body_of(&body, "case work")?;
    let app = state.app.clone();
    let actor = holder.user.email.clone();
    let kind = work.work.trim().to_owned();
    if !matches!(kind.as_str(), "take" | "contact" | "close") {
        return Err(ApiError::validation(
            "work",
            format!("work {kind:?} is not take, contact or close"),
        ));
    }
    let after = tokio::task::spawn_blocking(move || {
        match kind.as_str() {
            "take" => app.take_case(&actor, case),
            "contact" => app.record_contact(&actor, case, work.note.as_deref().unwrap_or("")),
            _ => app.close_case(
                &actor,
                case,
                work.outcome.as_deref().unwrap_or(""),
                work.first_contact.unwrap_or(false),
            ),
        }
        .and_then(|()| app.workflow())
        .map_err(refused)
    })
    .await
    .map_err(ApiError::internal)??;
    let case = after
        .cases
        .get(&case)
        .ok_or_else(|| ApiError::not_found(format!("there is no case {case}")))?;
    Ok(Json(CaseDone {
        id: case.id,
        status: case.status.as_str().to_owned(),
        owner: case.owner.clone(),
    }))
}
