//! The JSON API under `/api/v1/`, with its OpenAPI 3.1 document at `/api/openapi.json`.
//!
//! Callers authenticate with `Authorization: Bearer trove_...` only (`trove token create`);
//! cookies are never read, so the pages' session cannot be used from another site and the
//! same-origin check of the pages does not apply here. Every error is one envelope
//! (`{"error":{"code","message","field"}}`), lists are paged by cursor, each token has a
//! rate limit, and the API's body limit (5 MiB) is its own. The document is generated from
//! the handlers' annotations, and the router is built from the same list, so every routed
//! path is documented.

mod auth;
mod error;
mod ingest;
mod items;
mod ops;
mod reads;
mod types;
mod writes;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::routing::get;
use axum::{Extension, Router};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::error::ApiError;

/// The document's fixed parts; paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Trove API",
        description = "Trove's JSON API: the chronic ranking, themes, trends, scores, the items behind every number and their export (CSV or Excel), departments' streams, commitments, follow-up cases, the workflow's changes, and feedback ingestion. Authenticate with `Authorization: Bearer trove_...` (`trove token create`). Errors: `{\"error\":{\"code\",\"message\",\"field\"}}`. Lists are paged: pass `next_cursor` back as `cursor`. Each token may make 300 requests a minute (429 with Retry-After beyond).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "tokens", description = "Who a token is"),
        (name = "analysis", description = "The chronic ranking, themes, trends, scores, and the items behind a number with their export (read scope)"),
        (name = "workflow", description = "Issues, actions, commitments, departments' streams and follow-up cases (read scope); changes to them (write scope), under the workflow's rules, as the token's owner"),
        (name = "feedback", description = "Posting feedback (ingest:SOURCE scope)"),
    )
)]
struct ApiDoc;

/// Declares the bearer token scheme.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The documented routes and their document.
fn documented() -> (Router<crate::State>, Document) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(reads::me))
        .routes(routes!(reads::ranking))
        .routes(routes!(reads::theme))
        .routes(routes!(reads::trend))
        .routes(routes!(reads::scores))
        .routes(routes!(reads::issues))
        .routes(routes!(reads::actions))
        .routes(routes!(reads::commitments))
        .routes(routes!(items::list))
        .routes(routes!(items::export))
        .routes(routes!(ops::departments))
        .routes(routes!(ops::stream))
        .routes(routes!(ops::cases))
        .routes(routes!(ingest::post_feedback))
        .routes(routes!(writes::progress_action))
        .routes(routes!(writes::replan_action))
        .routes(routes!(writes::move_issue))
        .routes(routes!(writes::work_case))
        .split_for_parts()
}

/// The OpenAPI document, as served.
#[cfg(test)]
fn document() -> Document {
    documented().1
}

/// The API's routes, for `Web::router` to merge.
pub(crate) fn router() -> Router<crate::State> {
    let (routes, document) = documented();
    // Written once: it never changes while the server runs.
    let json: Arc<str> = document
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"the document could not be written: {e}\"}}"))
        .into();
    routes
        .route(
            "/api/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        json.to_string(),
                    )
                }
            }),
        )
        .route("/api/{*rest}", axum::routing::any(not_found))
        .layer(Extension(auth::Limits::default()))
        .layer(DefaultBodyLimit::max(ingest::BODY_LIMIT))
}

/// Unknown API paths: the envelope, not the pages' sign-in redirect.
async fn not_found() -> ApiError {
    ApiError::not_found("there is no API endpoint at this path: /api/openapi.json lists them")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_path_and_the_bearer_scheme() {
        let json = serde_json::to_value(document()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths: Vec<&str> = json["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for path in [
            "/api/v1/me",
            "/api/v1/ranking",
            "/api/v1/themes/{id}",
            "/api/v1/themes/{id}/trend",
            "/api/v1/scores",
            "/api/v1/issues",
            "/api/v1/actions",
            "/api/v1/commitments",
            "/api/v1/feedback",
            "/api/v1/actions/{id}/progress",
            "/api/v1/items",
            "/api/v1/items/export",
            "/api/v1/departments",
            "/api/v1/departments/{id}/stream",
            "/api/v1/cases",
            "/api/v1/cases/{id}",
            "/api/v1/actions/{id}/replan",
            "/api/v1/issues/{id}/move",
        ] {
            assert!(paths.contains(&path), "{path} in {paths:?}");
        }
        assert_eq!(paths.len(), 18, "{paths:?}");
        assert_eq!(
            json["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
