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
use super::types::ActionOut;

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
    let id: u32 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("there is no action {id:?}")))?;
    let progress: ProgressIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_json(format!("the body is not a progress: {e}")))?;
    if progress.percent > 100 {
        return Err(ApiError::validation(
            "percent",
            "percent is between 0 and 100",
        ));
    }
    let app = state.app.clone();
    let after = tokio::task::spawn_blocking(move || {
        app.act(Some(&holder.user.email), Clock::Real, |_| {
            Ok(vec![Change::ActionProgressed {
                action: id,
                percent: progress.percent,
                note: progress.note.clone(),
            }])
        })
        .map_err(refused)
    })
    .await
    .map_err(ApiError::internal)??;
    let action = after
        .actions
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("there is no action {id}")))?;
    Ok(Json(super::reads::action_out(action)))
}
