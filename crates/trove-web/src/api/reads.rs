//! The read endpoints: who the token is, the chronic ranking, a theme's detail and trend,
//! scores by period, and the workflow's issues, actions and commitments. Each needs the
//! `read` scope; a token limited to a business unit reads that unit's feedback only.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use trove_analytics::chronic::ChronicScore;
use trove_analytics::scores::{self, Estimate};
use trove_analytics::trend::{PeriodKind, period_start};
use trove_app::{AnalysisRequest, ScorePeriod, TokenHolder};
use trove_store::FeedbackFilter;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody, blocking};
use super::types::{
    ActionOut, CommitmentOut, CommitmentsQuery, IssueOut, Me, Page, PageQuery, PeriodScores,
    RankedTheme, Ranking, RankingQuery, ScoreValue, ScoresQuery, ThemeDetail, Trend, TrendPoint,
};

/// Entries per page unless asked otherwise, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// A page of `all` from the cursor's position. The cursor is the position of the page's
/// first entry, opaque to clients (`p` and the position).
pub(crate) fn page<T>(
    mut all: Vec<T>,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("limit is between 1 and {MAX_LIMIT}"),
        ));
    }
    let start = match cursor {
        None => 0,
        Some(cursor) => cursor
            .strip_prefix('p')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= all.len())
            .ok_or_else(|| ApiError::validation("cursor", "this cursor is not one the API gave"))?,
    };
    let end = (start + limit).min(all.len());
    let next = (end < all.len()).then(|| format!("p{end}"));
    all.truncate(end);
    Ok((all.split_off(start), next))
}

/// The query's parameters, or a 422 naming what is wrong with them.
pub(crate) fn parsed<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|rejection| ApiError::validation("query", rejection.body_text()))
}

/// The feedback a token reads: all of it, or its business unit's.
fn scope_filter(holder: &TokenHolder) -> FeedbackFilter {
    FeedbackFilter {
        business_unit: holder.business_unit.clone(),
        ..FeedbackFilter::default()
    }
}

fn request_of(holder: &TokenHolder) -> AnalysisRequest {
    AnalysisRequest {
        filter: scope_filter(holder),
        ..AnalysisRequest::default()
    }
}

fn rfc3339(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(|_| at.to_string(), |t| t.to_string())
}

fn day(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map_or_else(|_| at.to_string(), |t| t.strftime("%Y-%m-%d").to_string())
}

/// The drill-down of a theme's items over the window (`to` exclusive).
fn items_url(theme: &str, window: Option<(i64, i64)>, bu: Option<&str>) -> String {
    let mut url = format!("/items?theme={}", crate::session::encode_query_value(theme));
    if let Some((from, to)) = window {
        url.push_str(&format!("&from={}&to={}", day(from), day(to)));
    }
    if let Some(bu) = bu {
        url.push_str(&format!("&bu={}", crate::session::encode_query_value(bu)));
    }
    url
}

fn ranked(score: &ChronicScore, window: Option<(i64, i64)>, bu: Option<&str>) -> RankedTheme {
    RankedTheme {
        theme: score.theme.clone(),
        rank: score.rank,
        chronic: score.chronic,
        label: format!("{:?}", score.label).to_lowercase(),
        volume: score.volume,
        customers: score.customers,
        persistence: score.persistence,
        nps_impact: score.nps_impact,
        csat_impact: score.csat_impact,
        sentiment: score.sentiment,
        explanation: score.explanation.clone(),
        items_url: items_url(&score.theme, window, bu),
    }
}

/// The first instant of the window and the end of its last period.
fn window_bounds(
    window: &[trove_analytics::trend::PeriodTotal],
    kind: PeriodKind,
) -> Option<(i64, i64)> {
    let first = window.first()?;
    let last = window.last()?;
    Some((
        period_start(first.period, kind),
        period_start(last.period + 1, kind),
    ))
}

/// `GET /api/v1/me`: the token's holder and scopes.
#[utoipa::path(get, path = "/api/v1/me", tag = "tokens",
    responses(
        (status = 200, description = "The token's holder", body = Me),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
    ))]
pub(crate) async fn me(Caller(holder): Caller) -> Json<Me> {
    Json(Me {
        token: holder.id,
        email: holder.user.email.clone(),
        name: holder.user.name.clone(),
        role: holder.user.role.as_str().to_owned(),
        scopes: holder.scopes.iter().map(ToString::to_string).collect(),
        business_unit: holder.business_unit.clone(),
    })
}

/// `GET /api/v1/ranking`: the chronic issues of the current analysis, worst first.
#[utoipa::path(get, path = "/api/v1/ranking", tag = "analysis", params(RankingQuery),
    responses(
        (status = 200, description = "The ranking", body = Ranking),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 422, description = "A bad limit or cursor", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
pub(crate) async fn ranking(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<RankingQuery>, QueryRejection>,
) -> Result<Json<Ranking>, ApiError> {
    let query = parsed(query)?;
    let holder = caller.reads()?.clone();
    let app = state.app.clone();
    let request = request_of(&holder);
    let kind = request.params.period;
    let current = blocking(move || app.current_analysis(&request)).await?;
    let analysis = &current.analysis;
    let bounds = window_bounds(&analysis.window, kind);
    let bu = holder.business_unit.as_deref();
    let mut themes: Vec<&ChronicScore> = analysis
        .themes
        .iter()
        .filter(|t| query.all == Some(true) || (t.chronic && t.rank.is_some()))
        .collect();
    themes.sort_by_key(|t| (t.rank.unwrap_or(usize::MAX), std::cmp::Reverse(t.volume)));
    let all: Vec<RankedTheme> = themes.iter().map(|t| ranked(t, bounds, bu)).collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Ranking {
        as_of: rfc3339(current.computed_at),
        window: [
            analysis.window_labels.0.clone(),
            analysis.window_labels.1.clone(),
        ],
        items: analysis.items,
        data,
        next_cursor,
    }))
}

/// `GET /api/v1/themes/{id}`: a theme of the taxonomy and how the current analysis scored it.
#[utoipa::path(get, path = "/api/v1/themes/{id}", tag = "analysis",
    params(("id" = String, Path, description = "The theme's id")),
    responses(
        (status = 200, description = "The theme", body = ThemeDetail),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 404, description = "No such theme", body = ErrorBody),
    ))]
pub(crate) async fn theme(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ThemeDetail>, ApiError> {
    let holder = caller.reads()?.clone();
    let app = state.app.clone();
    let request = request_of(&holder);
    let kind = request.params.period;
    let (records, current) = blocking(move || {
        let records = app.store().theme_records()?;
        let current = app.current_analysis(&request)?;
        Ok::<_, trove_store::StoreError>((records, current))
    })
    .await?;
    let record = records.into_iter().find(|r| r.theme.id.as_str() == id);
    let scored = current.analysis.themes.iter().find(|t| t.theme == id);
    if record.is_none() && scored.is_none() {
        return Err(ApiError::not_found(format!("there is no theme {id:?}")));
    }
    let bounds = window_bounds(&current.analysis.window, kind);
    let analysis = scored.map(|t| ranked(t, bounds, holder.business_unit.as_deref()));
    Ok(Json(match record {
        Some(stored) => ThemeDetail {
            id: stored.theme.id.as_str().to_owned(),
            name: stored.theme.name.as_str().to_owned(),
            parent: stored.theme.parent.map(|p| p.as_str().to_owned()),
            stage: stored.theme.stage.map(|s| s.as_str().to_owned()),
            retired: stored.retired_in.is_some(),
            analysis,
        },
        None => ThemeDetail {
            name: id.clone(),
            id,
            parent: None,
            stage: None,
            retired: false,
            analysis,
        },
    }))
}

/// `GET /api/v1/themes/{id}/trend`: the theme's share of items per period over the window.
#[utoipa::path(get, path = "/api/v1/themes/{id}/trend", tag = "analysis",
    params(("id" = String, Path, description = "The theme's id")),
    responses(
        (status = 200, description = "The trend", body = Trend),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 404, description = "No item carries the theme", body = ErrorBody),
    ))]
pub(crate) async fn trend(
    State(state): State<crate::State>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Trend>, ApiError> {
    let holder = caller.reads()?.clone();
    let app = state.app.clone();
    let request = request_of(&holder);
    let theme = id.clone();
    let series = blocking(move || app.theme_trend(&theme, &request))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no item in scope carries the theme {id:?}")))?;
    Ok(Json(Trend {
        theme: id,
        periods: series
            .into_iter()
            .map(|p| TrendPoint {
                period: p.period,
                count: p.point.count,
                total: p.point.total,
                share: p.point.share,
                customers: p.point.customers,
            })
            .collect(),
    }))
}

fn score_value(estimate: Option<Estimate>) -> Option<ScoreValue> {
    estimate.map(|e| ScoreValue {
        value: e.value,
        answers: e.n,
        ci_low: e.ci_low,
        ci_high: e.ci_high,
    })
}

/// `GET /api/v1/scores`: NPS, CSAT and CES per calendar period, oldest first.
#[utoipa::path(get, path = "/api/v1/scores", tag = "analysis", params(ScoresQuery),
    responses(
        (status = 200, description = "Scores per period", body = Page<PeriodScores>),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 422, description = "A bad period, limit or cursor", body = ErrorBody),
    ))]
pub(crate) async fn scores(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<ScoresQuery>, QueryRejection>,
) -> Result<Json<Page<PeriodScores>>, ApiError> {
    let query = parsed(query)?;
    let holder = caller.reads()?.clone();
    let period = match query.period.as_deref().unwrap_or("month") {
        "month" => ScorePeriod::Month,
        "quarter" => ScorePeriod::Quarter,
        "year" => ScorePeriod::Year,
        other => {
            return Err(ApiError::validation(
                "period",
                format!("period {other:?} is not month, quarter or year"),
            ));
        }
    };
    let app = state.app.clone();
    let filter = scope_filter(&holder);
    let groups = blocking(move || app.scores_by_period(period, &filter)).await?;
    let all: Vec<PeriodScores> = groups
        .into_iter()
        .map(|g| PeriodScores {
            period: g.key.unwrap_or_default(),
            items: g.tally.items,
            nps: score_value(scores::nps(&g.tally)),
            csat: score_value(scores::csat(&g.tally)),
            ces: score_value(scores::ces_share(&g.tally)),
        })
        .collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Page { data, next_cursor }))
}

/// The workflow, read off the async threads.
async fn workflow(state: &crate::State) -> Result<trove_workflow::Workflow, ApiError> {
    let app = state.app.clone();
    blocking(move || app.workflow()).await
}

/// A serde-named enum value as a word (`root_cause_found`).
fn word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `GET /api/v1/issues`: the workflow's issues, by number.
#[utoipa::path(get, path = "/api/v1/issues", tag = "workflow", params(PageQuery),
    responses(
        (status = 200, description = "Issues", body = Page<IssueOut>),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
    ))]
pub(crate) async fn issues(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<IssueOut>>, ApiError> {
    let query = parsed(query)?;
    caller.reads()?;
    let state = workflow(&state).await?;
    let all = state.issues.values().map(issue_out).collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Page { data, next_cursor }))
}

/// An issue as the API shows it.
pub(crate) fn issue_out(i: &trove_workflow::model::Issue) -> IssueOut {
    IssueOut {
        id: i.id,
        title: i.title.clone(),
        themes: i.themes.iter().map(|t| t.as_str().to_owned()).collect(),
        lead: i.lead.as_str().to_owned(),
        departments: i
            .departments
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        status: word(&i.status),
    }
}

/// An action as the API shows it.
pub(crate) fn action_out(a: &trove_workflow::model::Action) -> ActionOut {
    ActionOut {
        id: a.id,
        issue: a.issue,
        what: a.what.clone(),
        department: a.department.as_str().to_owned(),
        owner: a.owner.clone(),
        due: a.due.to_string(),
        status: word(&a.status),
        percent: a.percent,
    }
}

/// `GET /api/v1/actions`: the workflow's actions, by number.
#[utoipa::path(get, path = "/api/v1/actions", tag = "workflow", params(PageQuery),
    responses(
        (status = 200, description = "Actions", body = Page<ActionOut>),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
    ))]
pub(crate) async fn actions(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<ActionOut>>, ApiError> {
    let query = parsed(query)?;
    caller.reads()?;
    let state = workflow(&state).await?;
    let all = state.actions.values().map(action_out).collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Page { data, next_cursor }))
}

/// `GET /api/v1/commitments`: every dated promise and where it stands today, by due day
/// (`?standing=missed` for the missed ones).
#[utoipa::path(get, path = "/api/v1/commitments", tag = "workflow", params(CommitmentsQuery),
    responses(
        (status = 200, description = "Commitments", body = Page<CommitmentOut>),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "No read scope", body = ErrorBody),
        (status = 422, description = "A bad standing, limit or cursor", body = ErrorBody),
    ))]
pub(crate) async fn commitments(
    State(state): State<crate::State>,
    caller: Caller,
    query: Result<Query<CommitmentsQuery>, QueryRejection>,
) -> Result<Json<Page<CommitmentOut>>, ApiError> {
    let query = parsed(query)?;
    caller.reads()?;
    let standing = query.standing.as_deref().filter(|s| !s.is_empty());
    if let Some(standing) = standing
        && !matches!(standing, "open" | "met" | "met_late" | "missed")
    {
        return Err(ApiError::validation(
            "standing",
            format!("standing {standing:?} is not open, met, met_late or missed"),
        ));
    }
    let state = workflow(&state).await?;
    let today = trove_workflow::Workflow::day_of(crate::session::now());
    let all = trove_workflow::views::commitments(&state, today)
        .into_iter()
        .map(|c| CommitmentOut {
            what: c.what,
            issue: c.issue,
            department: c.department.map(|d| d.as_str().to_owned()),
            owner: c.owner,
            due: c.due.to_string(),
            standing: c.standing.as_str().to_lowercase().replace(' ', "_"),
            days_late: c.days_late,
            replanned: c.replanned,
        })
        .filter(|c| standing.is_none_or(|s| c.standing == s))
        .collect();
    let (data, next_cursor) = page(all, query.limit, query.cursor.as_deref())?;
    Ok(Json(Page { data, next_cursor }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_follow_their_cursors_to_the_end() {
        let all: Vec<u32> = (0..7).collect();
        let (first, next) = page(all.clone(), Some(3), None).unwrap();
        assert_eq!(first, [0, 1, 2]);
        let (second, next) = page(all.clone(), Some(3), next.as_deref()).unwrap();
        assert_eq!(second, [3, 4, 5]);
        let (last, next) = page(all.clone(), Some(3), next.as_deref()).unwrap();
        assert_eq!((last, next), (vec![6], None));
        assert!(page(all.clone(), Some(0), None).is_err());
        assert!(page(all.clone(), None, Some("p99")).is_err());
        assert!(page(all, None, Some("x")).is_err());
    }
}
