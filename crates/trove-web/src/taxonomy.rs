//! `/taxonomy`: the themes (tree, kind, stage, departments, items tagged, each count linked to
//! its items), the coverage, and the newest discovery run's clusters with what they were
//! clustered by; analysts and admins run discovery (by sentence embeddings when the server has
//! a model folder, else TF-IDF), preview a cluster as a theme (`trove taxonomy
//! add-from-cluster`) and add it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_analytics::chronic::thousands;
use trove_app::{
    ClusterTheme, DiscoverError, DiscoverOptions, NoProgress, Promotion, Representation,
    TaxonomyOverview, Verdict,
};
use trove_store::FeedbackFilter;
use trove_workflow::model::Role;

use crate::chrome::Chrome;
use crate::error::WebError;
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, encode_query_value};
use crate::working::{minute, refused_page};

/// Whether the person may change the taxonomy from the web (analysts and admins run the
/// analysis; the workflow's rules do not cover the taxonomy).
fn may_promote(signed_in: &SignedIn) -> bool {
    matches!(signed_in.user.role, Role::Admin | Role::Analyst)
}

#[derive(Template)]
#[template(path = "taxonomy.html")]
struct TaxonomyPage {
    chrome: Chrome,
    overview: TaxonomyOverview,
    may_promote: bool,
    message: Option<String>,
    /// Whether the server has an embedding model folder.
    has_model: bool,
}

impl TaxonomyPage {
    /// What the shown run clustered by, in words.
    fn representation(&self, r: &Representation) -> String {
        match &r.model {
            Some(model) => format!("sentence embeddings ({model})"),
            None => "TF-IDF word and character n-grams".to_owned(),
        }
    }

    fn share(&self, part: &u64, whole: &u64) -> String {
        self.percent(part, whole)
    }

    fn count(&self, n: &u64) -> String {
        thousands(*n)
    }

    fn percent(&self, part: &u64, whole: &u64) -> String {
        if *whole == 0 {
            "0%".to_owned()
        } else {
            format!("{:.1}%", *part as f64 * 100.0 / *whole as f64)
        }
    }

    fn link(&self, value: &str) -> String {
        encode_query_value(value)
    }

    fn when(&self, at: &i64) -> String {
        minute(*at)
    }

    fn indent(&self, depth: &usize) -> &'static str {
        match depth {
            0 => "depth-0",
            1 => "depth-1",
            _ => "depth-2",
        }
    }
}

/// The page's address.
#[derive(Deserialize)]
pub(crate) struct TaxonomyQuery {
    /// A theme just added from a cluster.
    added: Option<String>,
}

/// `GET /taxonomy`.
pub(crate) async fn overview(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<TaxonomyQuery>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let model = state.options.embedding_model.clone();
    let overview =
        blocking(move || app.taxonomy_overview(model.as_deref()).map_err(Box::new)).await?;
    let message = query
        .added
        .filter(|id| overview.themes.iter().any(|t| &t.id == id))
        .map(|id| {
            format!(
                "Theme {id} is in the taxonomy (version {}). Stored items get it when they are re-tagged: trove tag --all.",
                overview.version.unwrap_or_default()
            )
        });
    Ok(render(&TaxonomyPage {
        chrome: Chrome::new(&signed_in, "/taxonomy"),
        may_promote: may_promote(&signed_in),
        overview,
        message,
        has_model: state.options.embedding_model.is_some(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "taxonomy_cluster.html")]
struct ClusterPage {
    chrome: Chrome,
    cluster: usize,
    proposal: ClusterTheme,
    name: String,
    id: String,
    error: Option<String>,
}

impl ClusterPage {
    fn count(&self, n: &u64) -> String {
        thousands(*n)
    }

    fn percent(&self, share: &f64) -> String {
        format!("{:.0}%", share * 100.0)
    }
}

/// Previews (or, with `save`, adds) cluster `cluster` of the newest discovery run as a theme.
async fn propose(
    state: &crate::State,
    cluster: usize,
    id: Option<String>,
    name: Option<String>,
    save: bool,
) -> Result<Result<ClusterTheme, String>, WebError> {
    let app = state.app.clone();
    let model = state.options.embedding_model.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let stored = app
            .newest_discovery(model.as_deref())
            .map_err(Box::new)?
            .ok_or(DiscoverError::NoRun(0))
            .map_err(Box::new)?;
        let promotion = Promotion {
            save,
            ..Promotion::default()
        };
        app.add_theme_from_cluster(
            &stored.discovery,
            &FeedbackFilter::default(),
            cluster,
            id.as_deref(),
            name.as_deref(),
            &promotion,
        )
        .map_err(Box::new)
    })
    .await
    .map_err(WebError::internal)?;
    match outcome.map_err(|boxed| *boxed) {
        Ok(proposal) => Ok(Ok(proposal)),
        Err(DiscoverError::Store(e)) => Err(WebError::internal(e)),
        Err(DiscoverError::NoRun(_)) => Ok(Err(
            "No discovery run over every item is stored: run `trove discover` first.".to_owned(),
        )),
        Err(refused) => Ok(Err(refused.to_string())),
    }
}

fn cluster_page(
    signed_in: &SignedIn,
    cluster: usize,
    proposal: ClusterTheme,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    render(&ClusterPage {
        chrome: Chrome::new(signed_in, "/taxonomy"),
        cluster,
        name: proposal.theme.name.clone(),
        id: proposal.theme.id.as_str().to_owned(),
        proposal,
        error,
    })
}

fn analysts_only(signed_in: &SignedIn) -> Result<(), WebError> {
    if may_promote(signed_in) {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Only analysts and admins turn discovered clusters into themes.",
        ))
    }
}

/// `GET /taxonomy/clusters/{n}`: the preview of a cluster's rule.
pub(crate) async fn preview(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(cluster): Path<usize>,
) -> Result<Response, WebError> {
    analysts_only(&signed_in)?;
    match propose(&state, cluster, None, None, false).await? {
        Ok(proposal) => Ok(cluster_page(&signed_in, cluster, proposal, None)?.into_response()),
        Err(refusal) => Ok(refused_page(render(&RefusedPage {
            chrome: Chrome::new(&signed_in, "/taxonomy"),
            refusal,
        })?)),
    }
}

#[derive(Template)]
#[template(path = "taxonomy_refused.html")]
struct RefusedPage {
    chrome: Chrome,
    refusal: String,
}

/// A form with only its token.
#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /taxonomy/discover`: groups the untagged items with text (by the server's embedding
/// model when it has one: stored vectors are reused, new items embedded and stored; else
/// TF-IDF), stores the run and shows it on `/taxonomy`.
pub(crate) async fn discover(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    analysts_only(&signed_in)?;
    let app = state.app.clone();
    let options = DiscoverOptions {
        model: state.options.embedding_model.clone(),
        ..DiscoverOptions::default()
    };
    let outcome = tokio::task::spawn_blocking(move || {
        app.discover_and_save(&options, &NoProgress)
            .map(|_| ())
            .map_err(Box::new)
    })
    .await
    .map_err(WebError::internal)?;
    match outcome.map_err(|boxed| *boxed) {
        Ok(_) => Ok(Redirect::to("/taxonomy#discovery").into_response()),
        Err(DiscoverError::Store(e)) => Err(WebError::internal(e)),
        Err(refused) => Ok(refused_page(render(&RefusedPage {
            chrome: Chrome::new(&signed_in, "/taxonomy"),
            refusal: refused.to_string(),
        })?)),
    }
}

/// The add form.
#[derive(Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id: String,
}

/// `POST /taxonomy/clusters/{n}`: adds the cluster as a theme, unless its rule is too broad or
/// imprecise (then the preview says why, 422).
pub(crate) async fn add(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(cluster): Path<usize>,
    Form(form): Form<AddForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    analysts_only(&signed_in)?;
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let outcome = propose(&state, cluster, given(&form.id), given(&form.name), true).await?;
    let refused = |refusal: String| -> Result<Response, WebError> {
        Ok(refused_page(render(&RefusedPage {
            chrome: Chrome::new(&signed_in, "/taxonomy"),
            refusal,
        })?))
    };
    match outcome {
        Err(refusal) => refused(refusal),
        Ok(proposal) => match proposal.verdict {
            Verdict::Saved => {
                let id = encode_query_value(proposal.theme.id.as_str());
                Ok(Redirect::to(&format!("/taxonomy?added={id}")).into_response())
            }
            Verdict::TooBroad | Verdict::Imprecise | Verdict::Preview => {
                let why = verdict_words(&proposal);
                Ok(refused_page(cluster_page(
                    &signed_in,
                    cluster,
                    proposal,
                    Some(why),
                )?))
            }
        },
    }
}

/// Why a proposal was not saved, in words.
fn verdict_words(proposal: &ClusterTheme) -> String {
    let p = &proposal.preview;
    let defaults = Promotion::default();
    match proposal.verdict {
        Verdict::TooBroad => format!(
            "Not added: its rule would also tag {:.1}% of all items outside the cluster, more than {:.0}%. It would mislabel feedback; write the theme by hand instead.",
            p.outside_share * 100.0,
            defaults.max_share * 100.0
        ),
        Verdict::Imprecise => format!(
            "Not added: only {:.0}% of the items its rule tags are in the cluster (at least {:.0}% needed).",
            p.precision * 100.0,
            defaults.min_precision * 100.0
        ),
        Verdict::Preview | Verdict::Saved => "Not added.".to_owned(),
    }
}
