//! The chronic ranking (`/ranking`), a theme's page with the issue opened for it
//! (`/themes/{id}`), and the issue loop's forms: open an issue from a theme, record a
//! five-whys chain, plan an action, report progress, re-plan with a reason, move the issue on,
//! record a verification. Every change goes through `App::act` as the signed-in person with
//! the real clock; a refusal by the rules is shown on the theme's page in words.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use serde::Deserialize;
use trove_analytics::analysis::AnalysisParams;
use trove_analytics::spikes::AlertKind;
use trove_analytics::trend::{PeriodKind, period_index, period_start};
use trove_app::{
    AnalysisRequest, Clock, Days, IssueFile, PlannedAction, Ranking, RankingRow, ThemeFile,
    ThemeStories, WorkflowError,
};
use trove_domain::{Channel, Slug};
use trove_store::FeedbackFilter;
use trove_workflow::model::{Status, Why};
use trove_workflow::views::{Commitment, Standing};
use trove_workflow::{Change, Workflow, ids};

use crate::charts::{self, Mark, MarkKind, Point, Series, Unit};
use crate::chrome::Chrome;
use crate::error::{WebError, message_page};
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, encode_query_value};

/// The longest window the pages accept, in periods (a year of weeks).
const MAX_WINDOW: usize = 60;

/// The filter bar's query: which items and how they are cut into periods. Every field is
/// optional; empty values (an untouched field of the bar) count as absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ScopeQuery {
    /// `day`, `week`, `month` (default), `quarter` or `year`: the window's periods, the last
    /// complete ones. Or one period by name (`2026-10`, `2026-Q3`, `2026-W21`, `2026`,
    /// `2026-10-05`, as the room's filter bar names it): the window's kind, ending with it.
    #[serde(default)]
    period: String,
    /// Periods in the window (default 6).
    #[serde(default)]
    window: String,
    /// Business unit.
    #[serde(default)]
    bu: String,
    /// Channel.
    #[serde(default)]
    channel: String,
    /// Customer segment.
    #[serde(default)]
    segment: String,
}

/// A scope the pages understand, with the query that reproduces it.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) kind: PeriodKind,
    /// The window's last period, when one is named: (its name, the instant after it).
    pub(crate) ends: Option<(String, i64)>,
    pub(crate) window: usize,
    pub(crate) bu: Option<String>,
    pub(crate) channel: Option<Channel>,
    pub(crate) segment: Option<String>,
}

fn present(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The period kinds by their query names.
const PERIODS: [(&str, PeriodKind); 5] = [
    ("day", PeriodKind::Day),
    ("week", PeriodKind::IsoWeek),
    ("month", PeriodKind::Month),
    ("quarter", PeriodKind::Quarter),
    ("year", PeriodKind::Year),
];

impl ScopeQuery {
    /// The scope, or a sentence saying which value is wrong.
    pub(crate) fn scope(&self) -> Result<Scope, String> {
        let (kind, ends) = match present(&self.period) {
            None => (PeriodKind::Month, None),
            Some(name) => match PERIODS.iter().find(|(n, _)| *n == name) {
                Some((_, kind)) => (*kind, None),
                None => {
                    let (kind, index) = named_period(&name).ok_or_else(|| {
                        format!(
                            "period {name:?} is neither a kind (day, week, month, quarter, year) nor a period like 2026-10, 2026-Q3, 2026-W21, 2026 or 2026-10-05"
                        )
                    })?;
                    (kind, Some((name, period_start(index + 1, kind))))
                }
            },
        };
        let window = match present(&self.window) {
            None => AnalysisParams::default().window,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_WINDOW).contains(n))
                .ok_or_else(|| {
                    format!("window {raw:?} is not a number of periods from 1 to {MAX_WINDOW}")
                })?,
        };
        let channel = present(&self.channel)
            .map(|c| c.parse::<Channel>().map_err(|e| e.to_string()))
            .transpose()?;
        Ok(Scope {
            kind,
            ends,
            window,
            bu: present(&self.bu),
            channel,
            segment: present(&self.segment),
        })
    }
}

impl Scope {
    /// The analysis the scope asks for (no driver intervals: these pages show no drivers).
    pub(crate) fn request(&self) -> AnalysisRequest {
        let mut params = AnalysisParams {
            period: self.kind,
            window: self.window,
            until: self.ends.as_ref().map(|(_, until)| *until),
            ..AnalysisParams::default()
        };
        params.drivers.resamples = 0;
        AnalysisRequest {
            filter: FeedbackFilter {
                business_unit: self.bu.clone(),
                channel: self.channel,
                segment: self.segment.clone(),
                ..FeedbackFilter::default()
            },
            params,
            ..AnalysisRequest::default()
        }
    }

    fn period_name(&self) -> &'static str {
        PERIODS
            .iter()
            .find(|(_, k)| *k == self.kind)
            .map_or("month", |(n, _)| n)
    }

    /// The query that reproduces the scope, defaults left out ("" for the default scope).
    pub(crate) fn query(&self) -> String {
        let mut pairs = Vec::new();
        if let Some((name, _)) = &self.ends {
            pairs.push(format!("period={}", encode_query_value(name)));
        } else if self.kind != PeriodKind::Month {
            pairs.push(format!("period={}", self.period_name()));
        }
        if self.window != AnalysisParams::default().window {
            pairs.push(format!("window={}", self.window));
        }
        self.push_filters(&mut pairs);
        pairs.join("&")
    }

    /// The filters as the drill-down takes them.
    fn push_filters(&self, pairs: &mut Vec<String>) {
        if let Some(bu) = &self.bu {
            pairs.push(format!("bu={}", encode_query_value(bu)));
        }
        if let Some(channel) = self.channel {
            pairs.push(format!("channel={}", channel.as_str()));
        }
        if let Some(segment) = &self.segment {
            pairs.push(format!("segment={}", encode_query_value(segment)));
        }
    }

    /// `?query`, or nothing for the default scope.
    pub(crate) fn suffix(&self) -> String {
        let query = self.query();
        if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        }
    }

    /// The drill-down to the items of `days` (of `theme`, when given) in this scope.
    pub(crate) fn items(&self, days: &Days, theme: Option<&str>) -> String {
        let mut pairs = vec![format!("from={}", days.from), format!("to={}", days.to)];
        if let Some(theme) = theme {
            pairs.push(format!("theme={}", encode_query_value(theme)));
        }
        self.push_filters(&mut pairs);
        format!("/items?{}", pairs.join("&"))
    }
}

/// `count / total`, none for an empty period.
fn share(count: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| count as f64 / total as f64)
}

/// A period by name, as [`trove_analytics::trend::period_label`] writes it: its kind and
/// index. `None` for anything else.
fn named_period(name: &str) -> Option<(PeriodKind, i64)> {
    let parts: Vec<&str> = name.split('-').collect();
    let year = |raw: &str| -> Option<i16> {
        (raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| raw.parse().ok())
            .flatten()
    };
    let number = |raw: &str, digits: usize| -> Option<i8> {
        (raw.len() == digits && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| raw.parse().ok())
            .flatten()
    };
    let (kind, day) = match parts.as_slice() {
        [y] => (PeriodKind::Year, Date::new(year(y)?, 1, 1).ok()?),
        [y, q] if q.starts_with('Q') => {
            let quarter = number(&q[1..], 1).filter(|q| (1..=4).contains(q))?;
            (
                PeriodKind::Quarter,
                Date::new(year(y)?, 3 * (quarter - 1) + 1, 1).ok()?,
            )
        }
        [y, w] if w.starts_with('W') => {
            let week = number(&w[1..], 2)?;
            let date = jiff::civil::ISOWeekDate::new(year(y)?, week, jiff::civil::Weekday::Monday)
                .ok()?
                .date();
            (PeriodKind::IsoWeek, date)
        }
        [y, m] => (
            PeriodKind::Month,
            Date::new(year(y)?, number(m, 2)?, 1).ok()?,
        ),
        [y, m, d] => (
            PeriodKind::Day,
            Date::new(year(y)?, number(m, 2)?, number(d, 2)?).ok()?,
        ),
        _ => return None,
    };
    Some((kind, period_index(trove_app::start_of_day(day), kind)))
}

/// A count as people read it: `18,978`.
fn thousands(n: u64) -> String {
    trove_analytics::chronic::thousands(n)
}

fn signed(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:+.1}"))
}

fn money(score: &trove_analytics::chronic::ChronicScore) -> String {
    let parts: Vec<String> = score
        .revenue_at_risk
        .values()
        .map(trove_analytics::revenue::compact_money)
        .collect();
    if parts.is_empty() {
        "–".into()
    } else {
        parts.join(" + ")
    }
}

fn as_of(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(
        |_| unix.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn today() -> Date {
    Workflow::day_of(crate::session::now())
}

fn status_name(status: Status) -> String {
    status.as_str().replace('_', " ")
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage<'a> {
    chrome: Chrome,
    scope: &'a Scope,
    ranking: &'a Ranking,
    as_of: String,
    channels: Vec<&'static str>,
    periods: [&'static str; 5],
}

impl RankingPage<'_> {
    fn count(&self, n: &u64) -> String {
        thousands(*n)
    }

    fn impact(&self, row: &RankingRow) -> String {
        signed(if self.ranking.impact_score == "NPS" {
            row.score.nps_impact
        } else {
            row.score.csat_impact
        })
    }

    fn money(&self, row: &RankingRow) -> String {
        money(&row.score)
    }

    /// The drill-down to the theme's items in the window.
    fn items(&self, row: &RankingRow) -> String {
        self.ranking.window.map_or_else(String::new, |days| {
            self.scope.items(&days, Some(&row.score.theme))
        })
    }

    /// The drill-down to every item of the window.
    fn all_items(&self, window: &Days) -> String {
        self.scope.items(window, None)
    }

    fn theme_link(&self, row: &RankingRow) -> String {
        format!(
            "/themes/{}{}",
            encode_query_value(&row.score.theme),
            self.scope.suffix()
        )
    }

    fn spark(&self, row: &RankingRow) -> charts::Svg {
        let points = row
            .counts
            .iter()
            .zip(&self.ranking.periods)
            .map(|(count, period)| Point::new(period.label.clone(), share(*count, period.items)))
            .collect();
        charts::sparkline(&Series {
            title: format!(
                "Share of items about {} per {}",
                row.name,
                self.scope.kind.singular()
            ),
            unit: Unit::Share,
            points,
        })
    }

    fn status(&self, row: &RankingRow) -> String {
        row.issue
            .as_ref()
            .map_or_else(|| "no issue".to_owned(), |i| status_name(i.status))
    }

    fn selected_period(&self, name: &&str) -> bool {
        self.scope.ends.is_none() && *name == self.scope.period_name()
    }

    fn selected_channel(&self, name: &&str) -> bool {
        self.scope.channel.map(|c| c.as_str()) == Some(*name)
    }
}

/// A refusal page for a query the pages cannot read.
fn bad_query(why: &str) -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        "This address is not understood",
        why,
    )
}

/// `GET /ranking`: the chronic ranking of the filter bar's scope.
pub(crate) async fn ranking(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(query): Query<ScopeQuery>,
) -> Result<Response, WebError> {
    let scope = match query.scope() {
        Ok(scope) => scope,
        Err(why) => return Ok(bad_query(&why)),
    };
    let app = state.app.clone();
    let request = scope.request();
    let ranking = blocking(move || app.ranking(&request, today())).await?;
    let page = render(&RankingPage {
        chrome: Chrome::new(&signed_in, "/ranking"),
        scope: &scope,
        as_of: as_of(ranking.current.computed_at),
        ranking: &ranking,
        channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
        periods: PERIODS.map(|(n, _)| n),
    })?;
    Ok(page.into_response())
}

#[derive(Template)]
#[template(path = "theme.html")]
struct ThemePage<'a> {
    chrome: Chrome,
    scope: &'a Scope,
    file: &'a ThemeFile,
    /// The contact-centre stories of its items, beside its verbatims.
    stories: &'a ThemeStories,
    /// How many of its items in the window are suggestions (none without a window).
    suggestions: Option<u64>,
    as_of: String,
    /// The rules' refusal of the last post, in words.
    error: Option<String>,
    today: String,
    email: String,
}

impl ThemePage<'_> {
    fn count(&self, n: &u64) -> String {
        thousands(*n)
    }

    /// A count, given by value or by reference (as the template has it).
    fn tally(&self, n: impl std::borrow::Borrow<u64>) -> String {
        thousands(*n.borrow())
    }

    fn signed(&self, value: &Option<f64>) -> String {
        signed(*value)
    }

    fn money(&self) -> String {
        self.file.score.as_ref().map_or_else(|| "–".into(), money)
    }

    fn items(&self, days: &Days) -> String {
        self.scope.items(days, Some(&self.file.theme))
    }

    /// The drill-down to the theme's items in the whole window.
    fn window_items(&self) -> String {
        self.file
            .window
            .map_or_else(String::new, |days| self.items(&days))
    }

    /// How many of its items in the window are suggestions, in words (none without a window).
    fn suggestion_count(&self) -> Option<String> {
        self.suggestions.map(thousands)
    }

    /// The drill-down to the theme's suggestions in the whole window.
    fn suggestion_items(&self) -> String {
        format!("{}&suggestion=yes", self.window_items())
    }

    fn scope_query(&self) -> String {
        self.scope.query()
    }

    /// The theme's share per period, its spikes and shifts and the fix marked.
    fn trend(&self) -> charts::Svg {
        let trend = &self.file.trend;
        let mut marks: Vec<Mark> = self
            .file
            .alerts
            .iter()
            .filter_map(|alert| {
                let at = trend
                    .iter()
                    .position(|(p, _)| p.label == alert.period_name)?;
                let kind = match alert.kind {
                    AlertKind::Spike => MarkKind::Spike,
                    _ => MarkKind::Shift,
                };
                Some(Mark {
                    at,
                    kind,
                    note: self.alert_text(alert),
                })
            })
            .collect();
        if let Some(day) = self.file.fixed_on
            && let Some(at) = trend
                .iter()
                .position(|(p, _)| p.days.from <= day && day < p.days.to)
        {
            marks.push(Mark {
                at,
                kind: MarkKind::Fix,
                note: format!("fix counted from {day}"),
            });
        }
        let points = trend
            .iter()
            .map(|(period, count)| Point::new(period.label.clone(), share(*count, period.items)))
            .collect();
        charts::trend(
            &Series {
                title: format!(
                    "Share of items about {} per {}",
                    self.file.name,
                    self.scope.kind.singular()
                ),
                unit: Unit::Share,
                points,
            },
            &marks,
        )
    }

    /// "spike" or "shift" when the analysis flagged this period for the theme.
    fn alert_of(&self, period: &str) -> Option<&'static str> {
        self.file
            .alerts
            .iter()
            .find(|a| a.period_name == period)
            .map(|a| match a.kind {
                AlertKind::Spike => "spike",
                _ => "shift",
            })
    }

    fn alert_text(&self, alert: &trove_analytics::spikes::Alert) -> String {
        match alert.kind {
            AlertKind::Spike => format!(
                "spike in {}: {} items ({:.1}%) against {:.1} expected ({:.1}%)",
                alert.period_name,
                thousands(alert.observed_count),
                100.0 * alert.observed_share,
                alert.expected_count,
                100.0 * alert.expected_share
            ),
            _ => trove_analytics::chronic::shift_text(alert, self.scope.kind),
        }
    }

    fn share(&self, count: &u64, total: &u64) -> String {
        if *total == 0 {
            "–".to_owned()
        } else {
            format!("{:.1}%", 100.0 * *count as f64 / *total as f64)
        }
    }

    fn status(&self, status: &Status) -> String {
        status_name(*status)
    }

    fn when(&self, unix: &i64) -> String {
        as_of(*unix)
    }

    fn day(&self, unix: &i64) -> String {
        Workflow::day_of(*unix).to_string()
    }

    /// "missed", "met late", "met", "open" with the days late, for people and for the red.
    fn standing(&self, commitment: &Option<Commitment>) -> String {
        let Some(c) = commitment else {
            return String::new();
        };
        match c.standing {
            Standing::Missed => format!("missed, {} days late", c.days_late),
            Standing::MetLate => format!("met {} days late", c.days_late),
            Standing::Met => "met".to_owned(),
            Standing::Open => "open".to_owned(),
        }
    }

    fn missed(&self, commitment: &Option<Commitment>) -> bool {
        commitment
            .as_ref()
            .is_some_and(|c| c.standing == Standing::Missed)
    }

    fn department_name(&self, file: &IssueFile, id: &Slug) -> String {
        file.departments
            .iter()
            .find(|(d, _)| d == id)
            .map_or_else(|| id.as_str().to_owned(), |(_, n)| n.clone())
    }

    fn can_act(&self, action: &PlannedAction) -> bool {
        action.can_progress || action.can_replan
    }

    fn ratio(&self, value: &Option<f64>) -> String {
        value.map_or_else(|| "–".into(), |r| format!("{r:.3}"))
    }

    fn interval(&self, ci: &Option<(f64, f64)>) -> String {
        ci.map_or_else(|| "–".into(), |(l, h)| format!("{l:.3} to {h:.3}"))
    }
}

/// The scope a form carries back (the query of the page it was on); the default scope when
/// it does not read.
fn parse_scope(raw: &str) -> Scope {
    let uri: Uri = format!("/?{raw}").parse().unwrap_or_default();
    Query::<ScopeQuery>::try_from_uri(&uri)
        .ok()
        .and_then(|q| q.0.scope().ok())
        .unwrap_or_else(default_scope)
}

fn default_scope() -> Scope {
    Scope {
        kind: PeriodKind::Month,
        ends: None,
        window: AnalysisParams::default().window,
        bu: None,
        channel: None,
        segment: None,
    }
}

/// Renders a theme's page, with a refusal when a post was refused.
async fn theme_response(
    state: &crate::State,
    signed_in: &SignedIn,
    theme: String,
    scope: Scope,
    error: Option<(StatusCode, String)>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let request = scope.request();
    let viewer = signed_in.user.clone();
    let lookup = theme.clone();
    let file = blocking(move || {
        let Some(file) = app.theme_file(&lookup, &request, &viewer, today())? else {
            return Ok::<_, WorkflowError>(None);
        };
        let stories = app.theme_stories(&lookup, &request.filter, file.window)?;
        let suggestions = file
            .window
            .map(|window| app.theme_suggestions(&lookup, &request.filter, window))
            .transpose()?;
        Ok(Some((file, stories, suggestions)))
    })
    .await?;
    let Some((file, stories, suggestions)) = file else {
        return Ok(message_page(
            StatusCode::NOT_FOUND,
            "No such theme",
            &format!("No theme has the id {theme:?}. The ranking lists the themes."),
        ));
    };
    let (status, error) = match error {
        Some((status, text)) => (status, Some(text)),
        None => (StatusCode::OK, None),
    };
    let page = render(&ThemePage {
        chrome: Chrome::new(signed_in, "/ranking"),
        scope: &scope,
        as_of: as_of(file.current.computed_at),
        file: &file,
        stories: &stories,
        suggestions,
        error,
        today: today().to_string(),
        email: signed_in.user.email.clone(),
    })?;
    Ok((status, page).into_response())
}

/// `GET /themes/{id}`: a theme's trend, figures, verbatims and issue.
pub(crate) async fn theme(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(theme): Path<String>,
    Query(query): Query<ScopeQuery>,
) -> Result<Response, WebError> {
    let scope = match query.scope() {
        Ok(scope) => scope,
        Err(why) => return Ok(bad_query(&why)),
    };
    theme_response(&state, &signed_in, theme, scope, None).await
}

/// Why a post did not change anything.
enum Failure {
    /// Refused, in words for the page: 403 when the role may not, 422 when the change does
    /// not make sense now or the form is wrong.
    Refused(StatusCode, String),
    /// Anything else.
    Web(WebError),
}

impl From<WebError> for Failure {
    fn from(error: WebError) -> Self {
        Self::Web(error)
    }
}

/// What a post did: the anchor of the record it touched (to return to), or a failure.
async fn finish(
    state: &crate::State,
    signed_in: &SignedIn,
    scope: Scope,
    outcome: Result<String, Failure>,
    theme_hint: ThemeOf,
) -> Result<Response, WebError> {
    let theme = match theme_of(state, theme_hint).await {
        Ok(theme) => theme,
        Err(Failure::Refused(status, text)) => return Ok(message_page(status, "Refused", &text)),
        Err(Failure::Web(error)) => return Err(error),
    };
    match outcome {
        Ok(anchor) => Ok(Redirect::to(&format!(
            "/themes/{}{}#{anchor}",
            encode_query_value(&theme),
            scope.suffix()
        ))
        .into_response()),
        Err(Failure::Refused(status, text)) => {
            theme_response(state, signed_in, theme, scope, Some((status, text))).await
        }
        Err(Failure::Web(error)) => Err(error),
    }
}

/// Which theme's page a post returns to.
#[derive(Clone)]
enum ThemeOf {
    Theme(String),
    Issue(u32),
    Action(u32),
}

async fn theme_of(state: &crate::State, of: ThemeOf) -> Result<String, Failure> {
    if let ThemeOf::Theme(theme) = of {
        return Ok(theme);
    }
    let app = state.app.clone();
    let found = blocking(move || -> Result<Option<String>, WorkflowError> {
        let state = app.workflow()?;
        let issue = match of {
            ThemeOf::Issue(issue) => Some(issue),
            ThemeOf::Action(action) => state.actions.get(&action).map(|a| a.issue),
            ThemeOf::Theme(_) => None,
        };
        Ok(issue
            .and_then(|i| state.issues.get(&i))
            .and_then(|i| i.themes.first())
            .map(|t| t.as_str().to_owned()))
    })
    .await?;
    found.ok_or_else(|| {
        Failure::Refused(
            StatusCode::NOT_FOUND,
            "There is no such issue or action.".to_owned(),
        )
    })
}

/// A workflow failure as the page shows it: refusals in words (403 when the role may not,
/// 422 when the change does not make sense now), store failures as errors.
fn refused(error: WorkflowError) -> Failure {
    match error {
        WorkflowError::Refused(refusal) => {
            let status = if refusal.rule == "roles" || refusal.rule == "four eyes" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Failure::Refused(
                status,
                format!("Refused ({}): {}", refusal.rule, refusal.detail),
            )
        }
        WorkflowError::Invalid(text) => Failure::Refused(StatusCode::UNPROCESSABLE_ENTITY, text),
        WorkflowError::UnknownUser(email) => Failure::Refused(
            StatusCode::FORBIDDEN,
            format!("{email} is not a person of the workflow"),
        ),
        WorkflowError::Store(error) => Failure::Web(WebError::internal(error)),
    }
}

/// Runs a change use case off the async threads; a refusal becomes words for the page.
async fn change<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, WorkflowError> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(WebError::internal)?
        .map_err(refused)
}

fn unprocessable(text: impl Into<String>) -> Failure {
    Failure::Refused(StatusCode::UNPROCESSABLE_ENTITY, text.into())
}

fn date(field: &str, raw: &str) -> Result<Date, Failure> {
    raw.trim()
        .parse()
        .map_err(|_| unprocessable(format!("{field}: {raw:?} is not a date like 2026-03-15")))
}

fn slug(field: &'static str, raw: &str) -> Result<Slug, Failure> {
    Slug::parse(field, raw.trim()).map_err(|e| unprocessable(e.to_string()))
}

/// The opening form.
#[derive(Deserialize)]
pub(crate) struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    lead: String,
}

/// `POST /themes/{id}/issue`: opens an issue for the theme, with the scope's analysis as its
/// pain.
pub(crate) async fn open_issue(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(theme): Path<String>,
    Form(form): Form<OpenForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let lead = present(&form.lead).map(|l| slug("lead", &l)).transpose()?;
        let app = state.app.clone();
        let (actor, request, opened) =
            (signed_in.user.email.clone(), scope.request(), theme.clone());
        let issue = change(move || {
            app.open_issue_for_theme(&actor, Clock::Real, &opened, &request, lead, Vec::new())
        })
        .await?;
        Ok(format!("issue-{issue}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Theme(theme)).await
}

/// The five-whys form: up to five whys, each with its evidence.
#[derive(Deserialize)]
pub(crate) struct WhysForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    symptom: String,
    #[serde(default)]
    why1: String,
    #[serde(default)]
    why2: String,
    #[serde(default)]
    why3: String,
    #[serde(default)]
    why4: String,
    #[serde(default)]
    why5: String,
    #[serde(default)]
    evidence1: String,
    #[serde(default)]
    evidence2: String,
    #[serde(default)]
    evidence3: String,
    #[serde(default)]
    evidence4: String,
    #[serde(default)]
    evidence5: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    workshop_on: String,
}

impl WhysForm {
    /// The whys given, in order (empty rows left out), with their evidence split on commas.
    fn whys(&self) -> Vec<Why> {
        [
            (&self.why1, &self.evidence1),
            (&self.why2, &self.evidence2),
            (&self.why3, &self.evidence3),
            (&self.why4, &self.evidence4),
            (&self.why5, &self.evidence5),
        ]
        .into_iter()
        .filter(|(text, _)| !text.trim().is_empty())
        .map(|(text, evidence)| Why {
            text: text.trim().to_owned(),
            evidence: split_list(evidence),
        })
        .collect()
    }
}

/// A comma-separated list, trimmed, empty entries left out.
fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /issues/{n}/whys`: records a five-whys chain.
pub(crate) async fn add_whys(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(issue): Path<u32>,
    Form(form): Form<WhysForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let workshop_on = match present(&form.workshop_on) {
            Some(raw) => date("workshop day", &raw)?,
            None => today(),
        };
        let participants: Vec<String> = split_list(&form.participants.to_lowercase());
        let (whys, symptom) = (form.whys(), form.symptom.trim().to_owned());
        let app = state.app.clone();
        let actor = signed_in.user.email.clone();
        change(move || {
            app.act(Some(&actor), Clock::Real, |state| {
                Ok(vec![Change::WhysRecorded {
                    chain: ids::chain(state),
                    issue,
                    symptom: symptom.clone(),
                    whys: whys.clone(),
                    workshop_on,
                    participants: participants.clone(),
                }])
            })
        })
        .await?;
        Ok(format!("issue-{issue}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Issue(issue)).await
}

/// The form that plans an action.
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    public: String,
}

/// `POST /issues/{n}/actions`: plans an action against a root cause.
pub(crate) async fn plan_action(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(issue): Path<u32>,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let chain: u32 = form.chain.trim().parse().map_err(|_| {
            unprocessable("choose the root cause (five-whys chain) the action removes")
        })?;
        let department = slug("department", &form.department)?;
        let due = date("due date", &form.due)?;
        let owner = form.owner.trim().to_lowercase();
        let (what, public) = (form.what.trim().to_owned(), present(&form.public));
        let app = state.app.clone();
        let actor = signed_in.user.email.clone();
        change(move || {
            app.act(Some(&actor), Clock::Real, |state| {
                Ok(vec![Change::ActionPlanned {
                    action: ids::action(state),
                    issue,
                    chain,
                    what: what.clone(),
                    department: department.clone(),
                    owner: owner.clone(),
                    due,
                    public: public.clone(),
                }])
            })
        })
        .await?;
        Ok(format!("issue-{issue}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Issue(issue)).await
}

/// The form that moves an issue on.
#[derive(Deserialize)]
pub(crate) struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

/// `POST /issues/{n}/move`: moves an issue to its next status.
pub(crate) async fn move_issue(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(issue): Path<u32>,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let to: Status = form.to.trim().parse().map_err(unprocessable)?;
        let note = present(&form.note);
        let app = state.app.clone();
        let actor = signed_in.user.email.clone();
        change(move || {
            app.act(Some(&actor), Clock::Real, |_| {
                Ok(vec![Change::IssueMoved {
                    issue,
                    to,
                    note: note.clone(),
                }])
            })
        })
        .await?;
        Ok(format!("issue-{issue}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Issue(issue)).await
}

/// The verification form.
#[derive(Deserialize)]
pub(crate) struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    fixed_on: String,
    #[serde(default)]
    periods: String,
}

/// `POST /issues/{n}/verify`: tests whether the theme stopped after the fix and records the
/// verdict.
pub(crate) async fn verify(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(issue): Path<u32>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let fixed_on = date("fix day", &form.fixed_on)?;
        let periods = match present(&form.periods) {
            None => 3,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=24).contains(n))
                .ok_or_else(|| unprocessable(format!("months compared: {raw:?} is not 1 to 24")))?,
        };
        let app = state.app.clone();
        let actor = signed_in.user.email.clone();
        change(move || app.verify_issue(&actor, Clock::Real, issue, fixed_on, periods)).await?;
        Ok(format!("issue-{issue}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Issue(issue)).await
}

/// The progress form.
#[derive(Deserialize)]
pub(crate) struct ProgressForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    note: String,
}

/// `POST /actions/{n}/progress`: reports an action's progress.
pub(crate) async fn progress(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(action): Path<u32>,
    Form(form): Form<ProgressForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let percent: u8 = form
            .percent
            .trim()
            .parse()
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| unprocessable(format!("percent: {:?} is not 0 to 100", form.percent)))?;
        let note = present(&form.note);
        let app = state.app.clone();
        let actor = signed_in.user.email.clone();
        change(move || {
            app.act(Some(&actor), Clock::Real, |_| {
                Ok(vec![Change::ActionProgressed {
                    action,
                    percent,
                    note: note.clone(),
                }])
            })
        })
        .await?;
        Ok(format!("action-{action}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Action(action)).await
}

/// The re-planning form.
#[derive(Deserialize)]
pub(crate) struct ReplanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    reason: String,
}

/// `POST /actions/{n}/replan`: moves an action's due date, with a reason.
pub(crate) async fn replan(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(action): Path<u32>,
    Form(form): Form<ReplanForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let scope = parse_scope(&form.scope);
    let outcome: Result<String, Failure> = async {
        let due = date("new due date", &form.due)?;
        let reason = form.reason.trim().to_owned();
        let app = state.app.clone();
        let actor = signed_in.user.email.clone();
        change(move || {
            app.act(Some(&actor), Clock::Real, |_| {
                Ok(vec![Change::ActionReplanned {
                    action,
                    due,
                    reason: reason.clone(),
                }])
            })
        })
        .await?;
        Ok(format!("action-{action}"))
    }
    .await;
    finish(&state, &signed_in, scope, outcome, ThemeOf::Action(action)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn query(period: &str, window: &str, bu: &str, channel: &str) -> ScopeQuery {
        ScopeQuery {
            period: period.into(),
            window: window.into(),
            bu: bu.into(),
            channel: channel.into(),
            segment: String::new(),
        }
    }

    #[test]
    fn the_default_scope_has_an_empty_query_and_others_reproduce_themselves() {
        let default = query("", "", "", "").scope().unwrap();
        assert_eq!(default.query(), "");
        let scope = query("week", "12", "Home & Car", "chat").scope().unwrap();
        assert_eq!(
            scope.query(),
            "period=week&window=12&bu=Home%20%26%20Car&channel=chat"
        );
        let again = parse_scope(&scope.query());
        assert_eq!(again.query(), scope.query());
    }

    #[test]
    fn a_named_period_ends_the_window_of_its_kind() {
        let october = query("2026-10", "", "", "").scope().unwrap();
        assert_eq!(october.kind, PeriodKind::Month);
        let until = october.request().params.until.unwrap();
        assert_eq!(Workflow::day_of(until).to_string(), "2026-11-01");
        assert_eq!(october.query(), "period=2026-10");
        for (name, kind, after) in [
            ("2026-Q3", PeriodKind::Quarter, "2026-10-01"),
            ("2026-W01", PeriodKind::IsoWeek, "2026-01-05"),
            ("2026", PeriodKind::Year, "2027-01-01"),
            ("2026-02-28", PeriodKind::Day, "2026-03-01"),
        ] {
            let scope = query(name, "", "", "").scope().unwrap();
            assert_eq!(scope.kind, kind, "{name}");
            let until = scope.request().params.until.unwrap();
            assert_eq!(Workflow::day_of(until).to_string(), after, "{name}");
        }
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-W60",
            "26-10",
            "2026-1",
            "2026-02-30",
        ] {
            assert!(query(bad, "", "", "").scope().is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_scopes_are_named() {
        assert!(
            query("fortnight", "", "", "")
                .scope()
                .unwrap_err()
                .contains("fortnight")
        );
        assert!(
            query("", "0", "", "")
                .scope()
                .unwrap_err()
                .contains("window")
        );
        assert!(query("", "", "", "pigeon").scope().is_err());
    }

    #[test]
    fn drill_downs_carry_the_window_the_theme_and_the_filters() {
        let scope = query("", "", "Retail", "").scope().unwrap();
        let days = Days {
            from: "2026-05-01".parse().unwrap(),
            to: "2026-11-01".parse().unwrap(),
        };
        assert_eq!(
            scope.items(&days, Some("claim-payout-delay")),
            "/items?from=2026-05-01&to=2026-11-01&theme=claim-payout-delay&bu=Retail"
        );
    }
}
