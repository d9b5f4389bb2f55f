//! `/cases`: the follow-up queue for agents. Open cases with the customer, the feedback behind
//! them, their age and service level; take a case, record a contact, close it with its outcome.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_app::{App, CaseFeedback, QueueFilter, WorkflowError};
use trove_workflow::model::User;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, now};
use crate::working::{attempt, minute, refused_page, service_level, span};

/// Which cases the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    /// The signed-in person's.
    Mine,
    /// Their departments'.
    Departments,
    /// Everyone's.
    All,
}

impl View {
    fn parse(raw: Option<&str>, user: &User) -> Self {
        match raw {
            Some("mine") => View::Mine,
            Some("departments") if !user.departments.is_empty() => View::Departments,
            Some("all") => View::All,
            _ if user.departments.is_empty() => View::All,
            _ => View::Departments,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Departments => "departments",
            View::All => "all",
        }
    }

    fn filter(self, user: &User, closed: bool) -> QueueFilter {
        QueueFilter {
            owner: (self == View::Mine).then(|| user.email.clone()),
            departments: if self == View::Departments {
                user.departments.clone()
            } else {
                Vec::new()
            },
            closed,
        }
    }
}

/// The queue's address.
#[derive(Deserialize, Default)]
pub(crate) struct QueueQuery {
    view: Option<String>,
    #[serde(default)]
    closed: Option<String>,
    /// What the last change did (`took-3`, `contacted-3`, `closed-3`).
    done: Option<String>,
}

/// One case as the queue shows it.
struct CaseRow {
    id: u32,
    status: &'static str,
    customer: String,
    customer_id: Option<String>,
    reason: String,
    department: String,
    owner: Option<String>,
    issue: Option<u32>,
    opened: String,
    opened_ago: String,
    sla: String,
    sla_class: &'static str,
    feedback: Option<CaseFeedback>,
    notes: Vec<String>,
    outcome: Option<String>,
    can_take: bool,
    can_work: bool,
}

/// A link of the view switcher.
struct ViewLink {
    href: String,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    /// The signed-in person's e-mail (their own cases read "yours").
    me: String,
    rows: Vec<CaseRow>,
    open: usize,
    breached: usize,
    closed: usize,
    view: &'static str,
    show_closed: bool,
    closed_toggle: String,
    views: Vec<ViewLink>,
    message: Option<String>,
    error: Option<String>,
}

/// What the queue page needs, read in one go.
struct QueueRead {
    rows: Vec<CaseRow>,
    open: usize,
    breached: usize,
    closed: usize,
}

fn read_queue(
    app: &App,
    user: &User,
    view: View,
    closed: bool,
) -> Result<QueueRead, WorkflowError> {
    let now = now();
    let queue = app.case_queue(&view.filter(user, closed), now)?;
    let state = app.workflow()?;
    let rows = queue
        .cases
        .into_iter()
        .map(|v| {
            let (can_take, can_work) = App::case_controls(&state, user, &v.case);
            let c = v.case;
            let (sla, breach) = service_level(c.due_at, c.closed_at, now);
            CaseRow {
                id: c.id,
                status: c.status.as_str(),
                customer: v
                    .customer_name
                    .or_else(|| c.customer.clone())
                    .unwrap_or_else(|| "Unknown customer".to_owned()),
                customer_id: c.customer.clone(),
                reason: c.reason,
                department: c.department.as_str().to_owned(),
                owner: c.owner,
                issue: c.issue,
                opened: minute(c.opened_at),
                opened_ago: span(now - c.opened_at),
                sla,
                sla_class: breach.class(),
                feedback: v.feedback,
                notes: c.notes,
                outcome: c.outcome,
                can_take,
                can_work,
            }
        })
        .collect();
    Ok(QueueRead {
        rows,
        open: queue.open,
        breached: queue.breached,
        closed: queue.closed,
    })
}

/// The sentence a finished change leaves on the page.
fn done_message(done: &str) -> Option<String> {
    let (what, id) = done.split_once('-')?;
    let id: u32 = id.parse().ok()?;
    Some(match what {
        "took" => format!("Case {id} is now yours."),
        "contacted" => format!("The contact with case {id}'s customer is recorded."),
        "closed" => format!("Case {id} is closed."),
        _ => return None,
    })
}

async fn page(
    state: &crate::State,
    signed_in: &SignedIn,
    view: View,
    show_closed: bool,
    message: Option<String>,
    error: Option<String>,
) -> Result<axum::response::Html<String>, WebError> {
    let app = state.app.clone();
    let user = signed_in.user.clone();
    let read = blocking(move || read_queue(&app, &user, view, show_closed)).await?;
    let closed_flag = if show_closed { "" } else { "&closed=1" };
    let views = [
        (View::Mine, "Mine"),
        (View::Departments, "My departments"),
        (View::All, "All"),
    ]
    .into_iter()
    .filter(|(v, _)| *v != View::Departments || !signed_in.user.departments.is_empty())
    .map(|(v, label)| ViewLink {
        href: format!(
            "/cases?view={}{}",
            v.as_str(),
            if show_closed { "&closed=1" } else { "" }
        ),
        label,
        current: v == view,
    })
    .collect();
    render(&CasesPage {
        chrome: Chrome::new(signed_in, "/cases"),
        me: signed_in.user.email.clone(),
        rows: read.rows,
        open: read.open,
        breached: read.breached,
        closed: read.closed,
        view: view.as_str(),
        show_closed,
        closed_toggle: format!("/cases?view={}{closed_flag}", view.as_str()),
        views,
        message,
        error,
    })
}

/// `GET /cases`.
pub(crate) async fn queue(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let view = View::parse(query.view.as_deref(), &signed_in.user);
    let message = query.done.as_deref().and_then(done_message);
    let closed = query.closed.is_some_and(|c| c == "1");
    Ok(page(&state, &signed_in, view, closed, message, None)
        .await?
        .into_response())
}

/// A form that works a case.
#[derive(Deserialize)]
pub(crate) struct CaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    first_contact: Option<String>,
}

/// What a post does to a case.
#[derive(Clone, Copy)]
enum Work {
    Take,
    Contact,
    Close,
}

async fn work(
    state: crate::State,
    signed_in: SignedIn,
    case: u32,
    form: CaseForm,
    work: Work,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let (note, outcome) = (form.note.clone(), form.outcome.clone());
    let first_contact = form.first_contact.is_some();
    let outcome = attempt(move || match work {
        Work::Take => app.take_case(&actor, case),
        Work::Contact => app.record_contact(&actor, case, &note),
        Work::Close => app.close_case(&actor, case, &outcome, first_contact),
    })
    .await?;
    let view = View::parse(Some(form.view.as_str()), &signed_in.user);
    match outcome {
        Ok(()) => {
            let done = match work {
                Work::Take => "took",
                Work::Contact => "contacted",
                Work::Close => "closed",
            };
            Ok(
                Redirect::to(&format!("/cases?view={}&done={done}-{case}", view.as_str()))
                    .into_response(),
            )
        }
        Err(refusal) => {
            let page = page(&state, &signed_in, view, false, None, Some(refusal)).await?;
            Ok(refused_page(page))
        }
    }
}

/// `POST /cases/{id}/take`.
pub(crate) async fn take(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(case): Path<u32>,
    Form(form): Form<CaseForm>,
) -> Result<Response, WebError> {
    work(state, signed_in, case, form, Work::Take).await
}

/// `POST /cases/{id}/contact`.
pub(crate) async fn contact(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(case): Path<u32>,
    Form(form): Form<CaseForm>,
) -> Result<Response, WebError> {
    work(state, signed_in, case, form, Work::Contact).await
}

/// `POST /cases/{id}/close`.
pub(crate) async fn close(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(case): Path<u32>,
    Form(form): Form<CaseForm>,
) -> Result<Response, WebError> {
    work(state, signed_in, case, form, Work::Close).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_changes_leave_a_message() {
        assert_eq!(
            done_message("took-3").as_deref(),
            Some("Case 3 is now yours.")
        );
        assert_eq!(
            done_message("closed-12").as_deref(),
            Some("Case 12 is closed.")
        );
        assert_eq!(done_message("closed-x"), None);
        assert_eq!(done_message("<script>-1"), None);
    }
}
