//! What the working pages (departments, follow-ups, people, imports, themes, lessons) share:
//! running a change and telling a refusal (shown in words, 422) from a failure (500), and
//! times in words.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use trove_app::WorkflowError;

use crate::error::WebError;

/// Runs a change on a blocking thread: `Ok(Err(words))` when the rules refused it or its input
/// was wrong (the person can fix that), `Err` when something broke.
pub(crate) async fn attempt<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, WorkflowError> + Send + 'static,
) -> Result<Result<T, String>, WebError> {
    let outcome = tokio::task::spawn_blocking(call)
        .await
        .map_err(WebError::internal)?;
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(WorkflowError::Store(error)) => Err(WebError::internal(error)),
        Err(refused) => Ok(Err(refused.to_string())),
    }
}

/// A page that shows a refusal: 422, the page re-rendered with the refusal in words.
pub(crate) fn refused_page(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// A length of time in words: `40 s`, `12 min`, `5 h`, `3 days`.
pub(crate) fn span(seconds: i64) -> String {
    let seconds = seconds.abs();
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{} min", seconds / 60)
    } else if seconds < 48 * 3600 {
        format!("{} h", seconds / 3600)
    } else {
        format!("{} days", seconds / 86_400)
    }
}

/// A UTC minute: `2026-02-25 14:00`.
pub(crate) fn minute(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(
        |_| unix.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

/// Where a case stands against its service level, in words, and whether it breached it.
pub(crate) fn service_level(due_at: i64, closed_at: Option<i64>, now: i64) -> (String, Breach) {
    match closed_at {
        Some(closed) if closed > due_at => (
            format!("closed {} after its deadline", span(closed - due_at)),
            Breach::Breached,
        ),
        Some(_) => ("closed in time".to_owned(), Breach::InTime),
        None if now > due_at => (
            format!("breached {} ago", span(now - due_at)),
            Breach::Breached,
        ),
        None if due_at - now < 4 * 3600 => (format!("due in {}", span(due_at - now)), Breach::Soon),
        None => (format!("due in {}", span(due_at - now)), Breach::InTime),
    }
}

/// How a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Breach {
    /// Met, or not due soon.
    InTime,
    /// Due within four hours.
    Soon,
    /// Passed.
    Breached,
}

impl Breach {
    /// The CSS class of its badge.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Breach::InTime => "ok",
            Breach::Soon => "soon",
            Breach::Breached => "late",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_the_largest_sensible_unit() {
        assert_eq!(span(30), "30 s");
        assert_eq!(span(60), "1 min");
        assert_eq!(span(59 * 60), "59 min");
        assert_eq!(span(3600), "1 h");
        assert_eq!(span(47 * 3600 + 59), "47 h");
        assert_eq!(span(3 * 86_400 + 7), "3 days");
        assert_eq!(span(-7200), "2 h");
    }

    #[test]
    fn a_deadline_is_met_due_soon_or_breached() {
        let due = 1_000_000;
        assert_eq!(
            service_level(due, None, due - 3 * 86_400),
            ("due in 3 days".to_owned(), Breach::InTime)
        );
        assert_eq!(
            service_level(due, None, due - 2 * 3600),
            ("due in 2 h".to_owned(), Breach::Soon)
        );
        assert_eq!(
            service_level(due, None, due + 5 * 3600),
            ("breached 5 h ago".to_owned(), Breach::Breached)
        );
        assert_eq!(
            service_level(due, Some(due - 1), due + 99),
            ("closed in time".to_owned(), Breach::InTime)
        );
        assert_eq!(
            service_level(due, Some(due + 600), due + 99),
            (
                "closed 10 min after its deadline".to_owned(),
                Breach::Breached
            )
        );
    }
}
