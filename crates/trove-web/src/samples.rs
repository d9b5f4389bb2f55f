//! `/samples` (analysts and admins; read-only): the survey sample waves (when, strata,
//! allocation, invited, answered so far and the response rate), and one wave's allocation
//! table (population, sample, design weight per stratum) with the design-weighted NPS of its
//! answers and its interval beside the unweighted one. Waves are drawn with `trove sample`.
//!
//! No number links to `/items`: the drill-down has no filter for a wave's invitees, and a
//! link to the stratum's segment or region would count everyone's feedback, not the answers
//! counted here.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use trove_analytics::chronic::thousands;
use trove_app::{SampleError, WaveView};
use trove_workflow::model::Role;

use crate::chrome::Chrome;
use crate::error::{WebError, message_page};
use crate::pages::render;
use crate::session::{SignedIn, blocking};

/// A wave's line in the list.
struct WaveRow {
    id: i64,
    drawn: String,
    drawn_by: String,
    strata: String,
    allocation: String,
    invited: String,
    answered: String,
    rate: String,
    window_end: String,
    weighted: String,
}

/// A stratum's line in a wave's allocation table.
struct StratumLine {
    stratum: String,
    population: String,
    deviation: String,
    sample: String,
    weight: String,
    answered: String,
    rate: String,
    nps: String,
}

#[derive(Template)]
#[template(path = "samples.html")]
struct SamplesPage {
    chrome: Chrome,
    rows: Vec<WaveRow>,
}

#[derive(Template)]
#[template(path = "sample_wave.html")]
struct WavePage {
    chrome: Chrome,
    row: WaveRow,
    lines: Vec<StratumLine>,
    total_population: String,
    total_sample: String,
    total_answered: String,
    total_rate: String,
    weighted: String,
    unweighted: String,
    /// What the reader should know: strata without answers, the plan's notes.
    notes: Vec<String>,
    seed: String,
    quarantine_days: i64,
}

const REFUSED: &str = "Survey samples are for analysts and admins.";

fn allowed(signed_in: &SignedIn) -> Result<(), WebError> {
    match signed_in.user.role {
        Role::Admin | Role::Analyst => Ok(()),
        _ => Err(WebError::Forbidden(REFUSED)),
    }
}

fn day(at: i64) -> String {
    crate::working::minute(at).chars().take(10).collect()
}

fn rate(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

/// "12.3 (95% CI 4.1 to 20.5)", or why there is no interval.
fn weighted_text(view: &WaveView) -> String {
    match &view.estimate.estimate {
        None => "no answers yet".to_owned(),
        Some(w) => match (w.ci_low, w.ci_high) {
            (Some(low), Some(high)) => format!("{:.1} (95% CI {low:.1} to {high:.1})", w.nps),
            _ => format!("{:.1} (no interval: a stratum has a single answer)", w.nps),
        },
    }
}

fn wave_row(view: &WaveView) -> WaveRow {
    let wave = &view.estimate.wave;
    let plan = &view.plan;
    let allocation = if plan.asked == plan.used {
        plan.used.as_str().to_owned()
    } else {
        format!("{} (asked {})", plan.used.as_str(), plan.asked.as_str())
    };
    WaveRow {
        id: wave.id,
        drawn: day(wave.drawn_at),
        drawn_by: wave.drawn_by.clone().unwrap_or_else(|| "–".to_owned()),
        strata: plan
            .strata_by
            .iter()
            .map(|by| by.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        allocation,
        invited: thousands(wave.invited),
        answered: thousands(view.respondents()),
        rate: rate(view.respondents(), wave.invited),
        window_end: day(view.estimate.window_end - 1),
        weighted: weighted_text(view),
    }
}

/// `GET /samples`: the waves, newest first.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    allowed(&signed_in)?;
    let app = state.app.clone();
    let views = blocking(move || app.wave_views()).await?;
    Ok(render(&SamplesPage {
        chrome: Chrome::new(&signed_in, "/samples"),
        rows: views.iter().map(wave_row).collect(),
    })?
    .into_response())
}

/// `GET /samples/{id}`: one wave's allocation table and estimates.
pub(crate) async fn wave(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    allowed(&signed_in)?;
    let not_found = || {
        message_page(
            StatusCode::NOT_FOUND,
            "No such wave",
            "There is no sample wave by that number. The Samples page lists them.",
        )
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(not_found());
    };
    let app = state.app.clone();
    let found = blocking(move || match app.store().wave(id) {
        Ok(None) => Ok(None),
        Ok(Some(_)) => app.wave_view(id).map(Some),
        Err(e) => Err(SampleError::from(e)),
    })
    .await?;
    let Some(view) = found else {
        return Ok(not_found());
    };
    Ok(render(&wave_page(&signed_in, &view))?.into_response())
}

fn wave_page(signed_in: &SignedIn, view: &WaveView) -> WavePage {
    let plan = &view.plan;
    let lines = plan
        .rows
        .iter()
        .zip(&view.estimate.strata)
        .map(|(row, answers)| StratumLine {
            stratum: row.stratum.clone(),
            population: thousands(row.population),
            deviation: row
                .deviation
                .map_or_else(|| "–".to_owned(), |d| format!("{d:.3}")),
            sample: thousands(row.sample),
            weight: row
                .weight
                .map_or_else(|| "–".to_owned(), |w| format!("{w:.2}")),
            answered: thousands(answers.respondents),
            rate: rate(answers.respondents, row.sample),
            nps: answers
                .nps
                .map_or_else(|| "–".to_owned(), |n| format!("{n:.1}")),
        })
        .collect();
    let population: u64 = plan.rows.iter().map(|r| r.population).sum();
    let sample: u64 = plan.rows.iter().map(|r| r.sample).sum();
    let answered = view.respondents();
    let mut notes: Vec<String> = Vec::new();
    if let Some(w) = &view.estimate.estimate
        && !w.strata_without_answers.is_empty()
    {
        let names: Vec<&str> = w
            .strata_without_answers
            .iter()
            .filter_map(|&h| plan.rows.get(h).map(|r| r.stratum.as_str()))
            .collect();
        notes.push(format!(
            "No answers yet from {}: left out of the weighted estimate, which describes the {:.1}% of the population in the strata that answered.",
            names.join("; "),
            100.0 * w.covered
        ));
    }
    notes.extend(plan.notes.iter().cloned());
    WavePage {
        chrome: Chrome::new(signed_in, "/samples"),
        row: wave_row(view),
        lines,
        total_population: thousands(population),
        total_sample: thousands(sample),
        total_answered: thousands(answered),
        total_rate: rate(answered, sample),
        weighted: weighted_text(view),
        unweighted: view.estimate.unweighted.map_or_else(
            || "no answers yet".to_owned(),
            |e| {
                format!(
                    "{:.1} (95% CI {:.1} to {:.1}, n = {})",
                    e.value,
                    e.ci_low,
                    e.ci_high,
                    thousands(e.n)
                )
            },
        ),
        notes,
        seed: view.estimate.wave.seed.clone(),
        quarantine_days: view.estimate.wave.quarantine_days,
    }
}
