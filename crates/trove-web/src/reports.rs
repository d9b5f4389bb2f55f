//! `/reports`: the monthly reviews kept (business units × months), each shown as a page with
//! its downloads, and made on request. [`report_html`] is the same report as a standalone
//! page (style sheet inside), for `trove report monthly --format html`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use trove_analytics::scores::ScoreKind;
use trove_app::report::{MonthlyReport, ScoreSection};
use trove_app::report_text::{self, comparison_text, estimate_text};
use trove_app::{App, ReportError};

use crate::charts::{self, Point, Series, Svg, Unit};
use crate::chrome::Chrome;
use crate::error::{WebError, message_page};
use crate::pages::{STYLE, check_form_token, render};
use crate::session::{SignedIn, blocking};

/// Percent-encodes a path segment or query value (everything but unreserved characters, so
/// a `/` in a unit's name stays inside its segment).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One score's part of the page.
struct ScoreView {
    name: String,
    /// What the figure is: "0-10 answers; % promoters − % detractors".
    measure: &'static str,
    estimate: String,
    previous: String,
    year_before: String,
    chart: Svg,
}

/// One row of "why it moved".
struct ContributionRow {
    group: String,
    /// A theme id to link to (none for "other and untagged").
    theme: Option<String>,
    share_before: String,
    share_after: String,
    mix: String,
    rate: String,
    total: String,
    /// `up`, `down` or `flat`: the sign as a class, with the sign also in the text.
    direction: &'static str,
}

/// One score's change split by theme.
struct ChangeView {
    title: String,
    method: String,
    rows: Vec<ContributionRow>,
    total: String,
}

/// What every rendering of a report shows.
struct ReportView {
    r: MonthlyReport,
    /// Links into the room (the web page) or none (a standalone file).
    links: bool,
    scores: Vec<ScoreView>,
    changes: Vec<ChangeView>,
    first_contact: String,
    coverage: String,
    cost_source: &'static str,
}

impl ReportView {
    fn new(r: MonthlyReport, links: bool) -> Self {
        let scores = r.scores.iter().map(score_view).collect();
        let changes = r
            .why_it_moved
            .iter()
            .map(|c| ChangeView {
                title: format!(
                    "Why {} moved: {:.1} → {:.1} since {} ({:+.2} points)",
                    c.kind.name(),
                    c.before,
                    c.after,
                    c.from_month,
                    c.total_change
                ),
                method: c.method.clone(),
                rows: c
                    .contributions
                    .iter()
                    .map(|k| ContributionRow {
                        theme: (k.group != trove_analytics::change::OTHER_AND_UNTAGGED)
                            .then(|| k.group.clone()),
                        group: k.group.clone(),
                        share_before: format!("{:.1}%", 100.0 * k.share_before),
                        share_after: format!("{:.1}%", 100.0 * k.share_after),
                        mix: format!("{:+.2}", k.mix),
                        rate: format!("{:+.2}", k.rate),
                        total: format!("{:+.2}", k.total),
                        direction: if k.total > 0.005 {
                            "up"
                        } else if k.total < -0.005 {
                            "down"
                        } else {
                            "flat"
                        },
                    })
                    .collect(),
                total: format!("{:+.2}", c.total_change),
            })
            .collect();
        Self {
            first_contact: report_text::first_contact_text(r.loop_closure.first_contact_resolution),
            coverage: report_text::share_text(r.coverage.share),
            cost_source: report_text::cost_source_text(&r.annuity.cost_source),
            scores,
            changes,
            links,
            r,
        }
    }

    /// The drill-down of the unit's items, optionally of a theme, between two days.
    fn items_link(&self, theme: &str, from: &str, to: &str) -> String {
        let mut link = format!(
            "/items?bu={}&from={from}&to={to}",
            encode(&self.r.business_unit)
        );
        if !theme.is_empty() {
            link.push_str(&format!("&theme={}", encode(theme)));
        }
        link
    }

    fn thousands(&self, n: &u64) -> String {
        trove_analytics::chronic::thousands(*n)
    }

    fn impact(&self, value: &Option<f64>) -> String {
        value.map_or_else(|| "–".to_owned(), |v| format!("{v:+.1}"))
    }

    fn money(&self, amounts: &[trove_app::report::Amount]) -> String {
        report_text::money_list(amounts)
    }

    fn movement(&self, line: &trove_app::report::IssueLine) -> String {
        report_text::movement_text(line)
    }

    fn day(&self, at: &i64) -> String {
        crate::working::minute(*at).chars().take(10).collect()
    }

    fn ratio(&self, value: &Option<f64>) -> String {
        value.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
    }
}

/// The figures and the trend chart of one score.
fn score_view(s: &ScoreSection) -> ScoreView {
    let test = |label: &str, t: &Option<trove_app::report::ScoreTest>| match t {
        Some(t) => format!(
            "Against {label} ({}, {:.1}): {}",
            t.month,
            t.estimate.value,
            comparison_text(&t.comparison)
        ),
        None => format!("Against {label}: no answers then."),
    };
    let unit = match s.kind {
        ScoreKind::Nps => Unit::Points,
        ScoreKind::Csat | ScoreKind::Ces => Unit::Percent,
    };
    let points = s
        .trend
        .iter()
        .map(|m| Point {
            label: m.month.clone(),
            value: m.estimate.map(|e| e.value),
            interval: m.estimate.map(|e| (e.ci_low, e.ci_high)),
        })
        .collect();
    ScoreView {
        name: s.name.clone(),
        measure: report_text::measure(s.kind),
        estimate: estimate_text(&s.estimate),
        previous: test("the previous month", &s.vs_previous_month),
        year_before: test("the same month a year before", &s.vs_year_before),
        chart: charts::trend(
            &Series {
                title: format!("{} by month, with its 95% interval", s.name),
                unit,
                points,
            },
            &[],
        ),
    }
}

#[derive(Template)]
#[template(path = "report_standalone.html")]
struct StandalonePage {
    view: ReportView,
    style: &'static str,
}

/// The report as one standalone HTML page (the style sheet inside, no link into the room),
/// printable on A4 and readable on a phone.
pub fn report_html(report: &MonthlyReport) -> Result<String, askama::Error> {
    StandalonePage {
        view: ReportView::new(report.clone(), false),
        style: STYLE,
    }
    .render()
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    chrome: Chrome,
    view: ReportView,
    /// Whether the report shown is kept (else it was made for this view only).
    kept: bool,
    /// The unit, percent-encoded for the download links.
    unit_path: String,
}

/// A row of the list: a unit and its kept months.
struct UnitRow {
    unit: String,
    unit_path: String,
    months: Vec<String>,
}

/// Who receives the reports by e-mail, as admins see it.
struct MailView {
    recipients: Vec<trove_store::ReportRecipient>,
    send_day: u8,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    rows: Vec<UnitRow>,
    units: Vec<String>,
    last_month: String,
    error: Option<String>,
    /// Admins only: the report recipients and the send day.
    mail: Option<MailView>,
    /// A refusal of the recipients' form, in words.
    mail_error: Option<String>,
}

impl ReportsPage {
    fn unit_name(&self, unit: &str) -> String {
        if unit == trove_store::EVERY_UNIT {
            "every unit".to_owned()
        } else {
            unit.to_owned()
        }
    }
}

/// The month before this one, `YYYY-MM`.
fn last_month() -> String {
    use trove_analytics::trend::{PeriodKind, period_index, period_label};
    let now = jiff::Timestamp::now().as_second();
    period_label(period_index(now, PeriodKind::Month) - 1, PeriodKind::Month)
}

fn list_rows(app: &App) -> Result<(Vec<UnitRow>, Vec<String>), ReportError> {
    let mut rows: Vec<UnitRow> = Vec::new();
    for head in app.kept_reports()? {
        match rows.last_mut() {
            Some(row) if row.unit == head.business_unit => row.months.push(head.month),
            _ => rows.push(UnitRow {
                unit_path: encode(&head.business_unit),
                unit: head.business_unit,
                months: vec![head.month],
            }),
        }
    }
    Ok((rows, app.business_units()?))
}

async fn list_page(
    state: &crate::State,
    signed_in: &SignedIn,
    error: Option<String>,
) -> Result<Response, WebError> {
    page_with(state, signed_in, error, None).await
}

async fn page_with(
    state: &crate::State,
    signed_in: &SignedIn,
    error: Option<String>,
    mail_error: Option<String>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let (rows, units) = blocking(move || list_rows(&app)).await?;
    let mail = if signed_in.user.role == trove_workflow::model::Role::Admin {
        let app = state.app.clone();
        Some(
            blocking(move || {
                Ok::<_, trove_app::MailError>(MailView {
                    recipients: app.report_recipients()?,
                    send_day: app.report_send_day()?,
                })
            })
            .await?,
        )
    } else {
        None
    };
    let status = if error.is_some() || mail_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = render(&ReportsPage {
        chrome: Chrome::new(signed_in, "/reports"),
        rows,
        units,
        last_month: last_month(),
        error,
        mail,
        mail_error,
    })?;
    Ok((status, page).into_response())
}

/// `GET /reports`: the units × months kept, and (for those who may) a form to make one.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    list_page(&state, &signed_in, None).await
}

/// The form that makes (and keeps) a report.
#[derive(Deserialize)]
pub(crate) struct MakeForm {
    csrf: String,
    unit: String,
    month: String,
    /// "6.50 USD"; empty: the default.
    #[serde(default)]
    cost: String,
}

/// `POST /reports`: makes the unit's report of the month, keeps it, and shows it.
pub(crate) async fn make(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<MakeForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    if signed_in.user.role == trove_workflow::model::Role::Viewer {
        return Err(WebError::Forbidden(
            "Viewers read reports; an analyst or a lead makes them.",
        ));
    }
    let app = state.app.clone();
    let (unit, month) = (form.unit.clone(), form.month.clone());
    let cost = match form.cost.trim() {
        "" => None,
        given => match trove_app::parse_cost(given) {
            Ok(cost) => Some(cost),
            Err(why) => return list_page(&state, &signed_in, Some(why.to_string())).await,
        },
    };
    let made = blocking(move || {
        Ok::<_, ReportError>(
            match app.monthly_report(&unit, &month, cost, jiff::Timestamp::now().as_second()) {
                Ok(report) => {
                    app.keep_report(&report)?;
                    Ok(report.month)
                }
                Err(ReportError::Invalid(why)) => Err(why),
                Err(e @ ReportError::UnknownUnit(_)) => Err(e.to_string()),
                Err(e) => return Err(e),
            },
        )
    })
    .await?;
    match made {
        Ok(month) => {
            Ok(Redirect::to(&format!("/reports/{}/{month}", encode(&form.unit))).into_response())
        }
        Err(why) => list_page(&state, &signed_in, Some(why)).await,
    }
}

/// The recipients' form: add one, remove one, or set the send day.
#[derive(Deserialize)]
pub(crate) struct RecipientsForm {
    csrf: String,
    /// `add`, `remove` or `day`.
    action: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    day: String,
}

/// `POST /reports/recipients` (admins): adds or removes a recipient of a unit's report, or
/// sets the day reports are sent from; then back to `/reports` (a refusal shown there, 422).
pub(crate) async fn recipients(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Form(form): Form<RecipientsForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    if signed_in.user.role != trove_workflow::model::Role::Admin {
        return Err(WebError::Forbidden(
            "Only admins choose who receives the reports by e-mail.",
        ));
    }
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let done = blocking(move || {
        let outcome = match form.action.as_str() {
            "add" => app
                .add_report_recipient(
                    &actor,
                    &form.unit,
                    &form.address,
                    Some(form.name.as_str()),
                    jiff::Timestamp::now().as_second(),
                )
                .map(drop),
            "remove" => app
                .remove_report_recipient(&actor, &form.unit, &form.address)
                .map(drop),
            "day" => match form.day.trim().parse::<u8>() {
                Ok(day) => app.set_report_send_day(&actor, day),
                Err(_) => Err(trove_app::MailError::Invalid(format!(
                    "day {:?}: choose 1 to 28",
                    form.day
                ))),
            },
            _ => Err(trove_app::MailError::Invalid(
                "the form asked for nothing known".to_owned(),
            )),
        };
        Ok::<_, trove_app::MailError>(match outcome {
            Ok(()) => None,
            Err(trove_app::MailError::Invalid(why) | trove_app::MailError::NotAllowed(why)) => {
                Some(why)
            }
            Err(other) => return Err(other),
        })
    })
    .await?;
    match done {
        None => Ok(Redirect::to("/reports#by-e-mail").into_response()),
        Some(why) => page_with(&state, &signed_in, None, Some(why)).await,
    }
}

/// The kept report of a unit and month, or one made now (not kept); `None` for a unit or month
/// that does not read.
fn load(app: &App, unit: &str, month: &str) -> Result<Option<(MonthlyReport, bool)>, ReportError> {
    let month = match trove_app::parse_month(month) {
        Ok(index) => {
            trove_analytics::trend::period_label(index, trove_analytics::trend::PeriodKind::Month)
        }
        Err(_) => return Ok(None),
    };
    if let Some(kept) = app.kept_report(unit, &month)? {
        return Ok(Some((kept, true)));
    }
    match app.monthly_report(unit, &month, None, jiff::Timestamp::now().as_second()) {
        Ok(report) => Ok(Some((report, false))),
        Err(ReportError::UnknownUnit(_) | ReportError::Invalid(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "No such report",
        "There is no business unit or month by that name. The Reports page lists them.",
    )
}

/// `GET /reports/{unit}/{month}`: the report, with its downloads.
pub(crate) async fn show(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path((unit, month)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let Some((report, kept)) = blocking(move || load(&app, &unit, &month)).await? else {
        return Ok(not_found());
    };
    Ok(render(&ReportPage {
        chrome: Chrome::new(&signed_in, "/reports"),
        unit_path: encode(&report.business_unit),
        view: ReportView::new(report, true),
        kept,
    })?
    .into_response())
}

/// `GET /reports/{unit}/{month}/{format}`: the report as a file (`html`, `md`, `csv`, `json`,
/// `pdf`).
pub(crate) async fn download(
    State(state): State<crate::State>,
    _signed_in: SignedIn,
    Path((unit, month, format)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let content_type = match format.as_str() {
        "html" => "text/html; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "pdf" => "application/pdf",
        _ => return Ok(not_found()),
    };
    let app = state.app.clone();
    let Some((report, _)) = blocking(move || load(&app, &unit, &month)).await? else {
        return Ok(not_found());
    };
    let body: Vec<u8> = match format.as_str() {
        "html" => report_html(&report)
            .map_err(WebError::internal)?
            .into_bytes(),
        "md" => report_text::markdown(&report).into_bytes(),
        "csv" => report_text::csv(&report).into_bytes(),
        "pdf" => {
            let report = report.clone();
            blocking(move || trove_app::report_pdf(&report)).await?
        }
        _ => serde_json::to_string_pretty(&report)
            .map_err(WebError::internal)?
            .into_bytes(),
    };
    let file = format!(
        "attachment; filename=\"{}-{}.{format}\"",
        report
            .business_unit
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            })
            .collect::<String>(),
        report.month
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        body,
    )
        .into_response())
}
