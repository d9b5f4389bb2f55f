//! The Customer Room (`GET /`): the filter bar (kept in the URL), what changed, the journey's
//! stages, the score by month and who owes what. The figures come from
//! [`trove_app::App::room`]; this module only words them and links every count to the items
//! behind it (`/items?...`, counted the way the drill-down counts).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use trove_analytics::scores::{Estimate, ScoreKind};
use trove_app::{
    Compare, Mover, RepeatMonth, RepeatRequest, RoomAlert, RoomIssue, RoomPeriod, RoomQuery,
    RoomStage, RoomView, ScoreMove,
};

use crate::artifacts::FileView;
use crate::charts::{self, Mark, MarkKind, Point, Series, Svg, Unit};
use crate::chrome::Chrome;
use crate::pages::render;
use crate::session::{SignedIn, blocking};

/// The room's query, as the filter bar's GET form sends it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RoomParams {
    period: Option<String>,
    compare: Option<String>,
    bu: Option<String>,
    segment: Option<String>,
    channel: Option<String>,
}

impl RoomParams {
    fn query(self) -> RoomQuery {
        RoomQuery {
            period: self.period,
            compare: match self.compare.as_deref() {
                Some("year") => Compare::YearBefore,
                _ => Compare::Previous,
            },
            business_unit: self.bu,
            segment: self.segment,
            channel: self.channel,
        }
    }
}

/// `GET /`: the Customer Room.
pub(crate) async fn room(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(params): Query<RoomParams>,
) -> Result<Response, crate::error::WebError> {
    let app = state.app.clone();
    let query = params.query();
    let today = jiff::Zoned::now().date();
    let repeat_request = RepeatRequest {
        business_unit: query.business_unit.clone(),
        segment: query.segment.clone(),
        ..RepeatRequest::default()
    };
    let (view, files, repeats) = blocking(move || {
        let view = app.room(&query, today).map_err(|e| e.to_string())?;
        let files = app.stage_artifacts().map_err(|e| e.to_string())?;
        let repeats = app
            .repeat_contacts(&repeat_request)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((view, files, repeats))
    })
    .await?;
    let period = &view.scope.period;
    let repeat_months: Vec<RepeatMonth> = months_in(period.since, period.until)
        .iter()
        .filter_map(|month| repeats.month(month).cloned())
        .collect();
    let files = files
        .iter()
        .map(|(stage, artifacts)| (stage.clone(), artifacts.iter().map(FileView::of).collect()))
        .collect();
    let page = RoomPage {
        chrome: Chrome::new(&signed_in, "/"),
        trend: trend_chart(&view),
        view: &view,
        files,
        repeat_moment: repeats.moment.clone(),
        repeat_months,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "room.html")]
struct RoomPage<'a> {
    chrome: Chrome,
    view: &'a RoomView,
    trend: Svg,
    /// The files of each stage's touchpoints (letters, bills, screenshots), by stage id.
    files: BTreeMap<String, Vec<FileView>>,
    /// The repeat-contact moment in words ("3 contacts within 30 days").
    repeat_moment: String,
    /// Its figures for the months of the period.
    repeat_months: Vec<RepeatMonth>,
}

/// The months ("YYYY-MM", UTC) that start in `[since, until)`.
fn months_in(since: i64, until: i64) -> Vec<String> {
    let mut months = Vec::new();
    let Ok(start) = jiff::Timestamp::from_second(since) else {
        return months;
    };
    let mut day = start
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .first_of_month();
    while let Ok(at) = day.to_zoned(jiff::tz::TimeZone::UTC)
        && at.timestamp().as_second() < until
    {
        months.push(day.strftime("%Y-%m").to_string());
        let Ok(next) = day.checked_add(jiff::Span::new().months(1)) else {
            break;
        };
        day = next;
    }
    months
}

impl RoomPage<'_> {
    /// A rate, when there is one, as a percentage.
    fn rate_percent(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
    }

    /// What customers receive at a stage's touchpoints.
    fn files_of(&self, stage: &RoomStage) -> &[FileView] {
        self.files.get(&stage.id).map_or(&[], Vec::as_slice)
    }
}

/// When the analysis was computed, as people read it.
pub(crate) fn as_of(unix: &i64) -> String {
    let unix = *unix;
    jiff::Timestamp::from_second(unix).map_or_else(
        |_| unix.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// A query value made safe for a URL (RFC 3986 unreserved characters kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `name=value&...` of the pairs that have a value.
fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, value)| Some(format!("{name}={}", encode((*value)?))))
        .collect::<Vec<_>>()
        .join("&")
}

impl RoomPage<'_> {
    /// The drill-down of the items of `period` in the view's scope, narrowed by `extra`.
    fn items(&self, period: &RoomPeriod, extra: &[(&str, &str)]) -> String {
        let (from, to) = period.days();
        let scope = &self.view.scope;
        let mut pairs: Vec<(&str, Option<&str>)> = vec![("from", Some(&from)), ("to", Some(&to))];
        pairs.extend(extra.iter().map(|(n, v)| (*n, Some(*v))));
        pairs.extend([
            ("bu", scope.business_unit.as_deref()),
            ("channel", scope.channel.as_deref()),
            ("segment", scope.segment.as_deref()),
        ]);
        format!("/items?{}", query_string(&pairs))
    }

    /// Every item of the period shown.
    fn period_items(&self) -> String {
        self.items(&self.view.scope.period, &[])
    }

    /// The period's items carrying a theme placed at `stage`.
    fn stage_items(&self, stage: &RoomStage) -> String {
        self.items(&self.view.scope.period, &[("stage", &stage.id)])
    }

    /// A theme's items in `period`.
    fn theme_items(&self, theme: &str, period: &RoomPeriod) -> String {
        self.items(period, &[("theme", theme)])
    }

    /// A theme's items over the analysis' window.
    fn window_items(&self, theme: &str) -> String {
        match self.window() {
            Some(window) => self.theme_items(theme, &window),
            None => self.theme_items(theme, &self.view.scope.period),
        }
    }

    /// The analysis' window as a period: its first month's start to the period's end.
    fn window(&self) -> Option<RoomPeriod> {
        let first = &self.view.analysis.window_periods.first()?.period;
        let (year, month) = first.split_once('-')?;
        let index = year.parse::<i64>().ok()? * 12 + month.parse::<i64>().ok()? - 1;
        let mut window = RoomPeriod::new(trove_analytics::trend::PeriodKind::Month, index);
        window.until = self.view.scope.period.until;
        window.label = format!("{first} to {}", self.view.analysis.window_labels.1);
        Some(window)
    }

    /// An NPS band's items of `period`.
    fn band_items(&self, band: &str, period: &RoomPeriod) -> String {
        self.items(period, &[("band", band)])
    }

    /// A count as people read it: `18,978`.
    fn count(&self, n: impl std::borrow::Borrow<u64>) -> String {
        trove_analytics::chronic::thousands(*n.borrow())
    }

    fn score_text(&self, kind: &ScoreKind, estimate: &Estimate) -> String {
        match kind {
            ScoreKind::Nps => format!("{:+.1}", estimate.value),
            _ => format!("{:.1}%", estimate.value),
        }
    }

    fn interval(&self, kind: &ScoreKind, estimate: &Estimate) -> String {
        format!(
            "95% CI {} to {}",
            self.score_text(
                kind,
                &Estimate {
                    value: estimate.ci_low,
                    ..*estimate
                }
            ),
            self.score_text(
                kind,
                &Estimate {
                    value: estimate.ci_high,
                    ..*estimate
                }
            )
        )
    }

    /// The change in words and its direction class: `+2.1 points`, "up" / "down" / "flat".
    fn change(&self, score: &ScoreMove) -> Option<(String, &'static str, String)> {
        let change = score.change?;
        let unit = if score.kind == ScoreKind::Nps {
            "points"
        } else {
            "percentage points"
        };
        let class = if !change.significant {
            "flat"
        } else if change.difference > 0.0 {
            "up"
        } else {
            "down"
        };
        let arrow = match class {
            "up" => "▲",
            "down" => "▼",
            _ => "≈",
        };
        let test = if change.significant {
            format!(
                "significant, {}",
                trove_analytics::chronic::p_text(change.p_value)
            )
        } else {
            format!(
                "not significant, {}",
                trove_analytics::chronic::p_text(change.p_value)
            )
        };
        Some((
            format!("{arrow} {:+.1} {unit}", change.difference),
            class,
            test,
        ))
    }

    /// A change without its unit, for the narrow stage columns: `▲ +2.1`.
    fn short(&self, words: &str) -> String {
        words.split(' ').take(2).collect::<Vec<_>>().join(" ")
    }

    fn compared_label(&self) -> String {
        let scope = &self.view.scope;
        match scope.compare {
            Compare::Previous => format!("{} (the period before)", scope.compared.label),
            Compare::YearBefore => format!("{} (a year before)", scope.compared.label),
        }
    }

    fn impact(&self, issue: &RoomIssue) -> String {
        issue.impact.map_or_else(
            || "impact not measured".to_owned(),
            |points| format!("{points:+.1} points of the score"),
        )
    }

    fn mover_text(&self, mover: &Mover) -> String {
        format!("{:+.1} points", mover.points)
    }

    fn percent(&self, share: &f64) -> String {
        format!("{:.1}%", share * 100.0)
    }

    fn sparkline(&self, issue: &RoomIssue) -> Svg {
        charts::sparkline(&Series {
            title: format!("Monthly share of items mentioning {}", issue.name),
            unit: Unit::Share,
            points: issue
                .months
                .iter()
                .map(|(month, _, share)| Point::new(month.clone(), Some(*share)))
                .collect(),
        })
    }

    fn status(&self, issue: &RoomIssue) -> String {
        match &issue.workflow {
            Some((n, status)) => format!("issue {n}: {}", status.as_str().replace('_', " ")),
            None => "no issue opened yet".to_owned(),
        }
    }

    fn alert_text(&self, alert: &RoomAlert) -> String {
        format!(
            "{} in {}: against {:.0} expected",
            alert.kind, alert.month.label, alert.expected
        )
    }

    fn kpi_value(&self, value: &f64, unit: &str) -> String {
        let number = if value.fract() == 0.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.1}")
        };
        if unit.is_empty() {
            number
        } else {
            format!("{number} {unit}")
        }
    }

    fn is_selected(&self, value: &str, current: &Option<String>) -> bool {
        current.as_deref() == Some(value)
    }

    fn stage_answers(&self, stage: &RoomStage) -> u64 {
        stage.score.as_ref().map_or(0, |s| s.kind.answers(&s.tally))
    }
}

/// The score by month with the analysis' spikes and the workflow's fixes marked.
fn trend_chart(view: &RoomView) -> Svg {
    let kind = view.score.as_ref().map_or("Score", |s| s.kind.name());
    let points: Vec<Point> = view
        .trend
        .iter()
        .map(|m| Point {
            label: m.month.label.clone(),
            value: m.score.map(|e| e.value),
            interval: m.score.map(|e| (e.ci_low, e.ci_high)),
        })
        .collect();
    let at = |label: &str| view.trend.iter().position(|m| m.month.label == label);
    let marks: Vec<Mark> = view
        .marks
        .iter()
        .filter_map(|m| {
            Some(Mark {
                at: at(&m.month)?,
                kind: match m.kind {
                    "spike" => MarkKind::Spike,
                    "shift" => MarkKind::Shift,
                    _ => MarkKind::Fix,
                },
                note: m.note.clone(),
            })
        })
        .collect();
    let unit = match view.score.as_ref().map(|s| s.kind) {
        Some(ScoreKind::Nps) | None => Unit::Points,
        Some(_) => Unit::Percent,
    };
    charts::trend(
        &Series {
            title: format!("{kind} by month, with its 95% interval"),
            unit,
            points,
        },
        &marks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_only_the_filters_in_force_encoded() {
        assert_eq!(encode("Personal Motor"), "Personal%20Motor");
        assert_eq!(encode("a&b=c"), "a%26b%3Dc");
        assert_eq!(
            query_string(&[
                ("from", Some("2026-10-01")),
                ("bu", None),
                ("theme", Some("x-y"))
            ]),
            "from=2026-10-01&theme=x-y"
        );
    }
}
