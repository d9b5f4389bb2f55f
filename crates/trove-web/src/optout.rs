//! The opt-out page, `/optout/{token}`: the link at the foot of every e-mail to customers.
//! No sign-in, no JavaScript, no cookie: the random secret in the link is the permission. A
//! GET only asks (mail scanners follow links; that must not opt anyone out); the confirm
//! button POSTs, and so does a mail program's one-click unsubscribe (RFC 8058), which is why
//! this path is spared the same-origin check. Once recorded, the address is never mailed again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::pages::render;
use crate::session::{blocking, now};

#[derive(Template)]
#[template(path = "optout.html")]
struct OptOutPage<'a> {
    token: &'a str,
    /// The address, masked (`a***@example.com`).
    address: &'a str,
    /// Whether it has opted out.
    done: bool,
}

#[derive(Template)]
#[template(path = "feedback_form_message.html")]
struct UnknownLink<'a> {
    title: &'a str,
    text: &'a str,
}

fn unknown() -> Result<Response, WebError> {
    let page = UnknownLink {
        title: "This link is not known",
        text: "We could not find the e-mails this link belongs to. Please use the link at the foot of the e-mail exactly as it is.",
    };
    Ok((StatusCode::NOT_FOUND, render(&page)?).into_response())
}

/// A secret is hex of 128 bits; anything else is answered without asking the store.
fn plausible(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /optout/{token}`: says which address it is for and offers the confirm button.
pub(crate) async fn ask(
    State(state): State<crate::State>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !plausible(&token) {
        return unknown();
    }
    let app = state.app.clone();
    let link = token.clone();
    match blocking(move || app.opt_out_link(&link)).await? {
        Some((address, done)) => Ok(render(&OptOutPage {
            token: &token,
            address: &address,
            done,
        })?
        .into_response()),
        None => unknown(),
    }
}

/// `POST /optout/{token}`: records the opt-out and says so.
pub(crate) async fn confirm(
    State(state): State<crate::State>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !plausible(&token) {
        return unknown();
    }
    let app = state.app.clone();
    let link = token.clone();
    let found = blocking(move || {
        let recorded = app.opt_out_address(&link, now())?;
        app.opt_out_link(&link)
            .map(|found| found.filter(|_| recorded))
    })
    .await?;
    match found {
        Some((address, _)) => {
            tracing::info!("a customer opted out of e-mail");
            Ok(render(&OptOutPage {
                token: &token,
                address: &address,
                done: true,
            })?
            .into_response())
        }
        None => unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_secrets_shape_reaches_the_store() {
        assert!(plausible("0123456789abcdef0123456789abcdef"));
        assert!(!plausible("0123"));
        assert!(!plausible("../../../../etc/passwd-0123456789"));
    }
}
