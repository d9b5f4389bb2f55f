//! Trove's web server: the Customer Room and sign-in, as server-rendered pages.
//!
//! Handlers are thin: every read and change goes through `trove-app` (the same use cases and
//! rules as the command line), and since the store is synchronous they call it on blocking
//! threads. This crate holds no SQL and names no database backend; templates and the style
//! sheet are embedded in the binary.
//!
//! Protections that every route gets: security headers (a Content-Security-Policy without
//! inline scripts, no framing), a request body limit, a request timeout, a log line per
//! request (method, route, status, latency: never a cookie, token, query or password), and a
//! same-origin check on every state-changing request.

mod api;
mod artifacts;
mod assess;
mod cases;
mod charts;
mod chrome;
mod departments;
mod error;
mod feedback_form;
mod form_codes;
mod forms;
mod imports;
mod issues;
mod items;
mod label;
mod layers;
mod lessons;
mod limiter;
mod moments;
mod optout;
mod pages;
mod people;
mod reports;
mod room;
mod samples;
mod session;
mod taxonomy;
mod tokens;
mod webhooks;
mod working;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use trove_app::{App, AuthError, SessionPolicy};

use crate::limiter::SignInLimiter;
pub use crate::reports::report_html;

/// The largest request body accepted (forms are small).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the server behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Mark the session cookie `Secure` and expect `https` origins: set it when the server is
    /// reached through TLS (a reverse proxy), never on plain HTTP (browsers would then drop the
    /// cookie).
    pub secure_cookies: bool,
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// A folder of feedback mappings (`NAME.toml`) that `POST /api/v1/feedback?mapping=NAME`
    /// may name; without it, the API takes Trove's own item shape only.
    pub mappings: Option<std::path::PathBuf>,
    /// The sentence-embedding model folder that discovery on the themes page clusters by
    /// (`trove serve --model DIR` or `TROVE_EMBEDDING_MODEL`); without it, TF-IDF n-grams.
    pub embedding_model: Option<std::path::PathBuf>,
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) options: Options,
    /// The one-time setup token while the database has no people; taken when used.
    pub(crate) setup_token: Mutex<Option<String>>,
    pub(crate) limiter: SignInLimiter,
    pub(crate) form_limiter: feedback_form::FormLimiter,
    /// One-time links that let a person set their password.
    pub(crate) invites: people::Invites,
}

/// The handlers' state.
pub(crate) type State = Arc<Shared>;

/// The web server over an app.
pub struct Web {
    shared: State,
}

impl Web {
    /// A server over `app`. When the database has no people yet, it makes a one-time setup
    /// token (see [`Web::setup_path`]): the page it opens creates the first admin.
    pub fn new(app: App, options: Options) -> Result<Self, AuthError> {
        let setup_token = if app.has_no_people()? {
            Some(trove_app::random_token(24)?)
        } else {
            None
        };
        Ok(Self {
            shared: Arc::new(Shared {
                app,
                options,
                setup_token: Mutex::new(setup_token),
                limiter: SignInLimiter::default(),
                form_limiter: feedback_form::FormLimiter::default(),
                invites: people::Invites::default(),
            }),
        })
    }

    /// The path of the one-time setup page (`/setup/<token>`), if the database has no people.
    pub fn setup_path(&self) -> Option<String> {
        pages::setup_token(&self.shared).map(|token| format!("/setup/{token}"))
    }

    /// The routes with every protection layered on.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(room::room))
            .route("/ranking", get(issues::ranking))
            .route("/themes/{id}", get(issues::theme))
            .route("/themes/{id}/issue", post(issues::open_issue))
            .route("/issues/{n}/whys", post(issues::add_whys))
            .route("/issues/{n}/actions", post(issues::plan_action))
            .route("/issues/{n}/move", post(issues::move_issue))
            .route("/issues/{n}/verify", post(issues::verify))
            .route("/actions/{n}/progress", post(issues::progress))
            .route("/actions/{n}/replan", post(issues::replan))
            .route("/items", get(items::page))
            .route("/items.csv", get(items::csv))
            .route("/items.xlsx", get(items::xlsx))
            .route("/items/{id}", get(artifacts::item))
            .route("/moments", get(moments::page))
            .route(
                "/artifacts",
                get(artifacts::list)
                    .post(artifacts::upload)
                    .layer(DefaultBodyLimit::max(artifacts::MAX_UPLOAD_BYTES)),
            )
            .route("/artifacts/{id}", get(artifacts::file))
            .route("/artifacts/{id}/remove", post(artifacts::remove))
            .route("/signin", get(pages::signin_form).post(pages::signin))
            .route("/signout", post(pages::signout))
            .route("/setup/{token}", get(pages::setup_form).post(pages::setup))
            .route("/cases", get(cases::queue))
            .route("/cases/{id}/take", post(cases::take))
            .route("/cases/{id}/contact", post(cases::contact))
            .route("/cases/{id}/close", post(cases::close))
            .route("/departments", get(departments::list))
            .route("/departments/{id}", get(departments::stream))
            .route("/imports", get(imports::list))
            .route("/lessons", get(lessons::list).post(lessons::record))
            .route("/assess", get(assess::show).post(assess::answer))
            .route("/lessons/submissions/{id}/judge", post(lessons::judge))
            .route("/reports", get(reports::list).post(reports::make))
            .route("/reports/recipients", post(reports::recipients))
            .route("/samples", get(samples::list))
            .route("/samples/{id}", get(samples::wave))
            .route("/reports/{unit}/{month}", get(reports::show))
            .route("/reports/{unit}/{month}/{format}", get(reports::download))
            .route("/people", get(people::list).post(people::add))
            .route("/people/{email}/role", post(people::change))
            .route("/people/{email}/password", post(people::password))
            .route("/people/{email}/link", post(people::link))
            .route("/people/tokens", post(tokens::create))
            .route("/people/tokens/{id}/revoke", post(tokens::revoke))
            .route("/people/tokens/{id}/rotate", post(tokens::rotate))
            .route(
                "/welcome/{token}",
                get(people::welcome_form).post(people::welcome),
            )
            .route("/taxonomy", get(taxonomy::overview))
            .route("/taxonomy/discover", post(taxonomy::discover))
            .route(
                "/taxonomy/clusters/{n}",
                get(taxonomy::preview).post(taxonomy::add),
            )
            .route("/static/trove.css", get(pages::style))
            .route("/static/label.js", get(label::script))
            .route("/label", get(label::show).post(label::record))
            .route("/label/train", post(label::train))
            .route("/health", get(pages::health))
            .route("/forms", get(forms::list).post(forms::create))
            .route("/forms/{id}/close", post(forms::close))
            .route("/forms/{id}/qr.svg", get(form_codes::qr_svg))
            .route("/forms/{id}/qr.png", get(form_codes::qr_png))
            .route("/forms/{id}/poster", get(form_codes::poster))
            .route("/webhooks", get(webhooks::list).post(webhooks::add))
            .route("/webhooks/{id}/remove", post(webhooks::remove))
            .route("/webhooks/{id}/test", post(webhooks::test))
            .route(
                "/f/{id}",
                get(feedback_form::show)
                    .post(feedback_form::answer)
                    .layer(DefaultBodyLimit::max(feedback_form::BODY_LIMIT)),
            )
            .route("/f/{id}/thanks", get(feedback_form::thanks))
            .route("/optout/{token}", get(optout::ask).post(optout::confirm))
            .merge(api::router())
            .fallback(pages::not_found)
            .with_state(self.shared.clone())
            .layer(axum::middleware::from_fn_with_state(
                self.shared.clone(),
                layers::same_origin_for_changes,
            ))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .layer(axum::middleware::from_fn(layers::security_headers))
            .layer(axum::middleware::from_fn(layers::log_request))
    }
}

/// How often expired and idle sessions are deleted from the store.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Serves `web` on `listener` until `shutdown` completes, then lets requests in flight
/// finish. Meanwhile, expired and idle sessions are deleted every hour, the kept analyses
/// are brought up to date within seconds of a change of the data, and the e-mail that is due
/// is sent every five minutes (when an SMTP server is configured).
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: &Web,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_sessions(web.shared.clone()));
    let refresher = tokio::spawn(refresh_analyses(web.shared.clone()));
    let dispatcher = tokio::spawn(deliver_webhooks(web.shared.clone()));
    let mailer = tokio::spawn(send_due_mail(web.shared.clone()));
    let served = axum::serve(
        listener,
        web.router()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    refresher.abort();
    dispatcher.abort();
    mailer.abort();
    served
}

/// How often the server looks for new webhook events and due deliveries.
const WEBHOOKS_EVERY: Duration = Duration::from_secs(5);

/// The webhooks' dispatcher: the same pass as `trove webhook deliver`, every few seconds.
/// Another server or a cron pass may run beside it: deliveries are claimed, not shared.
async fn deliver_webhooks(shared: State) {
    let mut every = tokio::time::interval(WEBHOOKS_EVERY);
    let policy = trove_app::DeliveryPolicy::default();
    loop {
        every.tick().await;
        let app = shared.app.clone();
        let policy = policy.clone();
        match session::blocking(move || app.webhook_pass(&policy)).await {
            Ok(report) if report.attempted > 0 || report.queued > 0 => {
                tracing::info!(?report, "webhooks");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "could not deliver webhooks"),
        }
    }
}

/// How often the server looks whether the data moved (an import or a tagging by the command
/// line or another server) to bring the kept analyses up to date before a page asks.
const REFRESH_EVERY: Duration = Duration::from_secs(10);

async fn refresh_analyses(shared: State) {
    let mut every = tokio::time::interval(REFRESH_EVERY);
    let mut refreshed_for = None;
    loop {
        every.tick().await;
        let app = shared.app.clone();
        let refreshed = session::blocking(move || {
            let version = app.store().data_version()?;
            if refreshed_for == Some(version) {
                return Ok(None);
            }
            app.refresh_analyses().map(Some)
        })
        .await;
        match refreshed {
            Ok(None) => {}
            Ok(Some(report)) => {
                refreshed_for = Some(report.data_version);
                if report.recomputed > 0 {
                    tracing::info!(?report, "brought the kept analyses up to date");
                }
            }
            Err(error) => tracing::warn!(?error, "could not bring the kept analyses up to date"),
        }
    }
}

/// How often the server sends the e-mail that is due (when an SMTP server is configured).
const SEND_MAIL_EVERY: Duration = Duration::from_secs(5 * 60);

/// The e-mail scheduler: every few minutes, what `trove send due` would send, as
/// `scheduler`. Off while no SMTP server is configured (said once in the log); the store's
/// claims keep it and a cron job from ever sending anything twice.
async fn send_due_mail(shared: State) {
    let mut every = tokio::time::interval(SEND_MAIL_EVERY);
    let mut said_off = false;
    loop {
        every.tick().await;
        let app = shared.app.clone();
        let sent = session::blocking(move || {
            if app.mail_status()?.is_none() {
                return Ok(None);
            }
            app.send_due(&trove_app::SendRun {
                triggered_by: trove_app::SCHEDULER.to_owned(),
                now: session::now(),
                dry_run: false,
                only: None,
            })
            .map(Some)
        })
        .await;
        match sent {
            Ok(None) if !said_off => {
                said_off = true;
                tracing::info!(
                    "e-mail scheduler off: no SMTP server is configured (`trove mail configure`)"
                );
            }
            Ok(None) => {}
            Ok(Some(reports)) => {
                said_off = false;
                for r in reports.iter().filter(|r| r.addressed > 0) {
                    tracing::info!(
                        message = %r.message,
                        sent = r.sent,
                        failed = r.failures.len(),
                        "sent e-mail"
                    );
                }
            }
            Err(error) => tracing::warn!(?error, "could not send the e-mail that is due"),
        }
    }
}

async fn sweep_sessions(shared: State) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let app = shared.app.clone();
        let idle = shared.options.sessions.idle;
        let swept = session::blocking(move || {
            let now = session::now();
            app.store().delete_expired_sessions(now, now - idle)
        })
        .await;
        match swept {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "deleted expired sessions"),
            Err(error) => tracing::warn!(?error, "could not delete expired sessions"),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
