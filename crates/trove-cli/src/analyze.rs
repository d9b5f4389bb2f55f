//! `trove analyze`, `issues`, `trend`, `verify`, `drivers` and `scores`: the chronic analysis.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use trove_analytics::analysis::{Analysis, AnalysisParams};
use trove_analytics::chronic::{ChronicScore, p_text, shift_text};
use trove_analytics::drivers::{Direction, DriverParams, DriverReport, KeyDriver};
use trove_analytics::impact::ShapleyMethod;
use trove_analytics::revenue::compact_money;
use trove_analytics::scores::{self, Comparison, Estimate, ScoreKind};
use trove_analytics::spikes::AlertKind;
use trove_analytics::trend::{PeriodKind, period_label};
use trove_app::{AnalysisRequest, App, LongPeriod, impact_score, roll_up_months};
use trove_domain::ScoreTally;
use trove_store::{Dimension, FeedbackFilter, GroupTally, ThemeOrigin};

use crate::Format;
use crate::db::DbUrl;
use crate::output::{as_of, thousands};

/// Which themes the analysis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Origin {
    /// Every theme of an item: the taxonomy's rule tags, the classifier's label and the
    /// themes coded by the source (each theme once).
    Any,
    /// Only the taxonomy's rule tags.
    Rule,
    /// Only themes coded by the source (e.g. a complaint's "Issue").
    Source,
    /// Only the labels of the trained classifier (`trove classify`).
    Model,
}

impl From<Origin> for ThemeOrigin {
    fn from(origin: Origin) -> Self {
        match origin {
            Origin::Any => Self::Any,
            Origin::Rule => Self::Rule,
            Origin::Source => Self::Source,
            Origin::Model => Self::Model,
        }
    }
}

/// The period of trends and persistence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Period {
    /// Calendar days (UTC).
    Day,
    /// ISO weeks.
    Week,
    /// Calendar months (UTC).
    Month,
    /// Calendar quarters (UTC; January-March is Q1).
    Quarter,
    /// Calendar years (UTC).
    Year,
}

impl From<Period> for PeriodKind {
    fn from(period: Period) -> Self {
        match period {
            Period::Day => Self::Day,
            Period::Week => Self::IsoWeek,
            Period::Month => Self::Month,
            Period::Quarter => Self::Quarter,
            Period::Year => Self::Year,
        }
    }
}

/// What to analyse.
#[derive(Debug, Args)]
pub struct Scope {
    /// Period of trends and persistence.
    #[arg(long, value_enum, default_value_t = Period::Month)]
    period: Period,
    /// Periods in the window (the last complete ones).
    #[arg(long, default_value_t = 6)]
    window: usize,
    /// End of the window (exclusive), YYYY-MM-DD; default: the end of the last complete period.
    #[arg(long)]
    until: Option<String>,
    /// Keep a trailing period that looks incomplete (under half the median volume); by default
    /// it is left out and named.
    #[arg(long)]
    include_partial: bool,
    /// Which themes count.
    #[arg(long, value_enum, default_value_t = Origin::Any)]
    pub themes: Origin,
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Only this business unit.
    #[arg(long)]
    business_unit: Option<String>,
    /// Only this channel.
    #[arg(long)]
    channel: Option<String>,
    /// Only this journey stage (as the source gave it).
    #[arg(long)]
    stage: Option<String>,
    /// Only this touchpoint.
    #[arg(long)]
    touchpoint: Option<String>,
    /// Only customers of this segment.
    #[arg(long)]
    segment: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

impl Scope {
    pub fn filter(&self) -> Result<FeedbackFilter> {
        Ok(FeedbackFilter {
            source: self.source.clone(),
            business_unit: self.business_unit.clone(),
            journey_stage: self.stage.clone(),
            touchpoint: self.touchpoint.clone(),
            segment: self.segment.clone(),
            channel: self.channel.as_deref().map(str::parse).transpose()?,
            ..FeedbackFilter::default()
        })
    }

    pub fn params(&self) -> Result<AnalysisParams> {
        Ok(AnalysisParams {
            period: self.period.into(),
            window: self.window.max(1),
            until: self.until.as_deref().map(parse_day).transpose()?,
            include_partial: self.include_partial,
            ..AnalysisParams::default()
        })
    }

    /// What the views without driver intervals read (issues, trend): with the default flags,
    /// [`AnalysisRequest::default`], the web's default scope, so they share one kept result.
    pub fn request(&self) -> Result<AnalysisRequest> {
        let mut params = self.params()?;
        params.drivers.resamples = 0;
        Ok(AnalysisRequest {
            filter: self.filter()?,
            origin: self.themes.into(),
            params,
        })
    }
}

/// Midnight UTC of a `YYYY-MM-DD` day, as unix seconds.
fn parse_day(raw: &str) -> Result<i64> {
    let date: jiff::civil::Date = raw
        .parse()
        .with_context(|| format!("{raw:?} is not a date like 2026-03-15"))?;
    Ok(crate::workflow::start_of(date))
}

/// Arguments of `trove analyze`.
#[derive(Debug, Args)]
#[command(after_help = LABELS_HELP)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    scope: Scope,
    /// List the recorded analysis runs, newest first (id, when, taxonomy version, items,
    /// chronic issues, window), instead of running an analysis.
    #[arg(long)]
    list: bool,
    /// With --list: how many runs to show.
    #[arg(long, default_value_t = 20, requires = "list")]
    limit: usize,
}

/// The JSON of `trove analyze`: the analysis with the id of its recorded run and when it was
/// computed (unix seconds; earlier than the run when the data has not changed since).
#[derive(serde::Serialize)]
struct RecordedAnalysis<'a> {
    run: i64,
    computed_at: i64,
    #[serde(flatten)]
    analysis: &'a Analysis,
}

/// `trove analyze`: runs the analysis, records the run (which data, which taxonomy version,
/// when, the parameters and the result) and prints the overview; `--list` lists recorded runs.
pub fn analyze(url: &DbUrl, args: &AnalyzeArgs) -> Result<ExitCode> {
    let scope = &args.scope;
    if args.list {
        return list_runs(url, args.limit, scope.format);
    }
    let app = crate::analytics::app(url)?;
    let (run, current) =
        app.analyze_and_record(&scope.filter()?, scope.themes.into(), &scope.params()?)?;
    let analysis = &current.analysis;
    if scope.format == Format::Json {
        let recorded = RecordedAnalysis {
            run,
            computed_at: current.computed_at,
            analysis,
        };
        println!("{}", serde_json::to_string_pretty(&recorded)?);
        return Ok(ExitCode::SUCCESS);
    }
    // When the data has not changed since the last import, its refresh computed this result:
    // it is read, not computed again, and this line says when it was computed.
    let recorded = format!(
        "{}; analysis run {run} recorded",
        as_of(current.computed_at)
    );
    if analysis.items == 0 {
        println!("no feedback to analyse in {url}");
        println!("{recorded}");
        return Ok(ExitCode::SUCCESS);
    }
    let (first, last) = &analysis.window_labels;
    let chronic = analysis.themes.iter().filter(|t| t.chronic).count();
    println!(
        "{} items from {first} to {last} ({} {}); {:.1}% carry a theme. {} chronic issues, {} spikes and shifts.",
        thousands(analysis.items),
        analysis.window.len(),
        PeriodKind::from(scope.period).plural(),
        100.0 * analysis.themed_items as f64 / analysis.items as f64,
        chronic,
        analysis.alerts.len(),
    );
    print_left_out(analysis);
    print_short_window(analysis);
    print_ranking(analysis, false, 10);
    print_vital_few("volume", &analysis.pareto_volume);
    if let Some(kind) = analysis.impact_score {
        print_vital_few(
            &format!("{} points lost", kind.name()),
            &analysis.pareto_impact,
        );
    }
    print_alerts(analysis, 10);
    if let Some(report) = &analysis.drivers {
        println!();
        print_driver_report(report, analysis, 5);
    }
    println!("\n{recorded}");
    Ok(ExitCode::SUCCESS)
}

/// A recorded run as `trove analyze --list --format json` prints it.
#[derive(serde::Serialize)]
struct ListedRun {
    id: i64,
    created_at: i64,
    taxonomy_version: Option<i64>,
    items: u64,
    chronic: u64,
    filter: serde_json::Value,
    params: serde_json::Value,
}

/// The window a run's parameters asked for: "6 months", "12 weeks until 2026-01-01".
fn window_text(params: &serde_json::Value) -> String {
    let count = params["window"].as_u64().unwrap_or(0);
    let period = match params["period"].as_str() {
        Some("day") => "days",
        Some("iso_week") => "weeks",
        Some("month") => "months",
        Some("quarter") => "quarters",
        Some("year") => "years",
        _ => "periods",
    };
    let until = params["until"]
        .as_i64()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| format!(" until {}", t.strftime("%Y-%m-%d")))
        .unwrap_or_default();
    format!("{count} {period}{until}")
}

/// `trove analyze --list`: the recorded analysis runs, newest first.
fn list_runs(url: &DbUrl, limit: usize, format: Format) -> Result<ExitCode> {
    let store = url.open()?;
    let runs: Vec<ListedRun> = store
        .analysis_runs(limit)?
        .into_iter()
        .map(|run| -> Result<ListedRun> {
            Ok(ListedRun {
                id: run.id,
                created_at: run.created_at,
                taxonomy_version: run.taxonomy_version,
                items: run.items,
                chronic: run.chronic,
                filter: serde_json::from_str(&run.filter)
                    .with_context(|| format!("analysis run {}: its filter", run.id))?,
                params: serde_json::from_str(&run.params)
                    .with_context(|| format!("analysis run {}: its parameters", run.id))?,
            })
        })
        .collect::<Result<_>>()?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!("no analysis runs recorded in {url}; `trove analyze` records one");
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "id",
        "ran (UTC)",
        "taxonomy",
        "themes",
        "items",
        "chronic",
        "window",
    ]);
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    for run in &runs {
        let ran = jiff::Timestamp::from_second(run.created_at)
            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let mut themes = run.filter["origin"].as_str().unwrap_or("any").to_owned();
        if let Some(source) = run.filter["source"].as_str() {
            themes.push_str(&format!(", source {source}"));
        }
        table.add_row(vec![
            right(run.id.to_string()),
            Cell::new(ran),
            right(
                run.taxonomy_version
                    .map_or_else(|| "–".into(), |v| format!("v{v}")),
            ),
            Cell::new(themes),
            right(thousands(run.items)),
            right(run.chronic.to_string()),
            Cell::new(window_text(&run.params)),
        ]);
    }
    println!("{table}");
    Ok(ExitCode::SUCCESS)
}

/// The labels and their evidence, under `trove issues --help`.
const LABELS_HELP: &str = "Labels (thresholds are the defaults):
  chronic     >= 3 periods of >= 30 items in the window; share of all items significantly
              above 2% (one-sided Poisson, p<0.05) in >= 75% of those periods (smaller periods
              are not judged); >= 10 customers (items without ids); spread
              over channels/units/touchpoints (entropy >= 0.3); not raising the score
  spike       a period with >= 10 items above its baseline, Poisson or robust z test at
              0.05 / (themes x periods) (at most 0.001); periods under 30 items are not tested
  shift       a sustained rise by CUSUM against the pooled rate of earlier periods (>= 30 items
              each), confirmed by a Poisson test of its count (>= 10 items)
  praise      kind = \"praise\" in the taxonomy, or a significant rise of the score (p < 0.05 /
              themes, >= 30 answers); no money at risk, listed apart
  occasional  none of these; still listed when its impact lowers the score significantly
              (p<0.05, >= 30 answers)";

/// Arguments of `trove issues`.
#[derive(Debug, Args)]
#[command(after_help = LABELS_HELP)]
pub struct IssuesArgs {
    #[command(flatten)]
    scope: Scope,
    /// List every theme (occasional ones too) in the ranking, not only chronic issues, spikes,
    /// shifts and themes that lower the score significantly.
    #[arg(long)]
    all: bool,
    /// Write CSV instead (overrides --format).
    #[arg(long)]
    csv: bool,
}

/// `trove issues`: the ranked chronic issues.
pub fn issues(url: &DbUrl, args: &IssuesArgs) -> Result<ExitCode> {
    let app = crate::analytics::app(url)?;
    let current = app.current_analysis(&args.scope.request()?)?;
    let analysis = &*current.analysis;
    let shown: Vec<&ChronicScore> = analysis
        .themes
        .iter()
        .filter(|t| args.all || t.listed)
        .collect();
    if args.csv {
        print_csv(&shown)?;
    } else if args.scope.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        print_left_out(analysis);
        print_short_window(analysis);
        print_ranking(analysis, args.all, usize::MAX);
        print_not_problems(analysis);
        print_legend(analysis);
        println!("\n{}", as_of(current.computed_at));
    }
    Ok(ExitCode::SUCCESS)
}

fn money_text(score: &ChronicScore) -> String {
    let parts: Vec<String> = score.revenue_at_risk.values().map(compact_money).collect();
    if parts.is_empty() {
        "–".into()
    } else {
        parts.join(" + ")
    }
}

/// "2023-06 left out: incomplete, 25 items; `--include-partial` keeps it".
pub(crate) fn print_left_out(analysis: &Analysis) {
    if let Some(left) = &analysis.left_out {
        println!(
            "{} left out: incomplete, {} items; `--include-partial` keeps it",
            left.period,
            thousands(left.items)
        );
    }
}

/// Says so when the window is too short for any theme to be chronic.
fn print_short_window(analysis: &Analysis) {
    let needed = analysis.params.chronic.min_periods;
    if !analysis.window.is_empty() && analysis.window.len() < needed {
        let kind = analysis.params.period;
        println!(
            "The window holds {} {}: persistence needs at least {needed}, so nothing can be chronic; a shorter --period (e.g. day or week) or a longer --window can show it",
            analysis.window.len(),
            if analysis.window.len() == 1 {
                kind.singular()
            } else {
                kind.plural()
            }
        );
    }
}

/// The ranked issues (`all`: every problem theme), praise, suggestions and questions apart.
pub(crate) fn print_ranking(analysis: &Analysis, all: bool, limit: usize) {
    let chronic = &analysis.params.chronic;
    let score_name = impact_score(analysis);
    let mut header = vec![
        "rank".to_owned(),
        "theme".into(),
        "label".into(),
        format!("above {:.0}%", 100.0 * chronic.chronic_share),
        "items".into(),
    ];
    if analysis.customer_ids {
        header.push("customers".into());
    }
    header.extend([
        "channels".into(),
        "units".into(),
        format!("{score_name} impact"),
        "at risk".into(),
        "tone".into(),
    ]);
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    let rows: Vec<&ChronicScore> = analysis
        .themes
        .iter()
        .filter(|t| !t.label.is_not_a_problem() && (all || t.listed))
        .take(limit)
        .collect();
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    for score in &rows {
        let impact = if score_name == "NPS" {
            score.nps_impact
        } else {
            score.csat_impact
        };
        let mut row = vec![
            right(score.rank.map_or_else(String::new, |r| r.to_string())),
            Cell::new(&score.theme),
            Cell::new(score.label.as_str()),
            right(format!(
                "{} of {}",
                score.periods_above, score.periods_judged
            )),
            right(thousands(score.volume)),
        ];
        if analysis.customer_ids {
            row.push(right(thousands(score.customers)));
        }
        row.extend([
            right(score.channels.to_string()),
            right(score.business_units.to_string()),
            right(impact.map_or_else(|| "–".into(), |v| format!("{v:+.1}"))),
            right(money_text(score)),
            right(
                score
                    .sentiment
                    .map_or_else(|| "–".into(), |v| format!("{v:+.2}")),
            ),
        ]);
        table.add_row(row);
    }
    println!("\n{table}");
    for (i, score) in rows.iter().take(limit.min(10)).enumerate() {
        println!("  {}. {}: {}", i + 1, score.theme, score.explanation);
    }
}

/// Praise, suggestions and questions: listed apart, never ranked as issues.
fn print_not_problems(analysis: &Analysis) {
    let others: Vec<&ChronicScore> = analysis
        .themes
        .iter()
        .filter(|t| t.label.is_not_a_problem())
        .collect();
    if others.is_empty() {
        return;
    }
    println!("\nPraise, suggestions and questions (not issues, no money at risk):");
    for score in others {
        println!(
            "  {} ({}): {}",
            score.theme,
            score.label.as_str(),
            score.explanation
        );
    }
}

/// What each column and label means, with the thresholds in use (the web's ranking shows
/// the same legend).
fn print_legend(analysis: &Analysis) {
    println!("\nLegend:");
    for (term, meaning) in trove_app::legend(analysis) {
        println!("  {term}: {meaning}");
    }
}

fn print_vital_few(what: &str, lines: &[trove_analytics::impact::ParetoLine]) {
    let vital: Vec<&str> = lines
        .iter()
        .filter(|l| l.vital_few)
        .map(|l| l.theme.as_str())
        .collect();
    if let Some(last) = lines.iter().rfind(|l| l.vital_few) {
        println!(
            "The vital few of the {what}: {} of {} themes make up {:.0}%: {}",
            vital.len(),
            lines.len(),
            100.0 * last.cumulative_share,
            vital.join(", ")
        );
    }
}

pub(crate) fn print_alerts(analysis: &Analysis, limit: usize) {
    if analysis.alerts.is_empty() {
        return;
    }
    let kind = analysis.params.period;
    println!("\nSpikes and shifts:");
    for alert in analysis.alerts.iter().take(limit) {
        let what = match alert.kind {
            AlertKind::Spike => format!(
                "spike: {} items ({:.1}%) against {:.1} expected ({:.1}%), {}",
                thousands(alert.observed_count),
                100.0 * alert.observed_share,
                alert.expected_count,
                100.0 * alert.expected_share,
                p_text(alert.p_value.unwrap_or(1.0)),
            ),
            _ => shift_text(alert, kind),
        };
        println!("  {} {:<28} {what}", alert.period_name, alert.theme);
    }
    if analysis.alerts.len() > limit {
        println!(
            "  ... and {} more (see --format json)",
            analysis.alerts.len() - limit
        );
    }
}

fn print_csv(scores: &[&ChronicScore]) -> Result<()> {
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record([
        "rank",
        "theme",
        "label",
        "chronic",
        "persistence",
        "periods_present",
        "periods_above",
        "periods",
        "items",
        "customers",
        "channels",
        "business_units",
        "touchpoints",
        "nps_impact",
        "csat_impact",
        "impact_p_value",
        "listed",
        "revenue_at_risk",
        "spikes",
        "explanation",
    ])?;
    // Theme names and explanations may come from the customers' own data: a spreadsheet
    // must read every cell as text, never as a formula.
    for s in scores {
        let optional = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.3}"));
        let row = [
            s.rank.map_or_else(String::new, |r| r.to_string()),
            s.theme.clone(),
            s.label.as_str().to_owned(),
            s.chronic.to_string(),
            format!("{:.3}", s.persistence),
            s.periods_present.to_string(),
            s.periods_above.to_string(),
            s.periods.to_string(),
            s.volume.to_string(),
            s.customers.to_string(),
            s.channels.to_string(),
            s.business_units.to_string(),
            s.touchpoints.to_string(),
            optional(s.nps_impact),
            optional(s.csat_impact),
            s.impact_p_value
                .map_or_else(String::new, |p| format!("{p:.3e}")),
            s.listed.to_string(),
            s.revenue_at_risk
                .values()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(" + "),
            s.spikes.to_string(),
            s.explanation.clone(),
        ];
        out.write_record(
            row.iter()
                .map(|c| trove_domain::safe::csv_cell(c).into_owned()),
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Arguments of `trove trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    /// The theme id.
    theme: String,
    #[command(flatten)]
    scope: Scope,
}

/// `trove trend THEME`: the theme's share per period, as a terminal chart.
pub fn trend(url: &DbUrl, args: &TrendArgs) -> Result<ExitCode> {
    let app = crate::analytics::app(url)?;
    // The same window as the analysis: the last --window complete periods (or up to --until).
    let trends = app.current_trends(&args.scope.request()?)?;
    let kind = trends.value.period;
    let Some(series) = trends.value.themes.get(&args.theme) else {
        bail!(
            "no item carries the theme {:?}; `trove issues --all` lists the themes",
            args.theme
        );
    };
    if args.scope.format == Format::Json {
        let named: Vec<TrendPoint> = series
            .iter()
            .map(|p| TrendPoint {
                period: period_label(p.period, kind),
                count: p.count,
                total: p.total,
                share: p.share,
                customers: p.customers,
                nps: scores::nps(&p.tally),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&named)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(left) = &trends.value.left_out {
        println!(
            "{} left out: incomplete, {} items; `--include-partial` keeps it",
            period_label(left.period, kind),
            thousands(left.items)
        );
    }
    let peak = series
        .iter()
        .map(|p| p.share)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    // The theme's score with the most answers over the series, the same in every line.
    let mut tally = ScoreTally::default();
    series.iter().for_each(|p| tally.merge(&p.tally));
    let shown_score = ScoreKind::most_answered(&tally);
    println!(
        "{}: share of items per {}",
        args.theme,
        kind.plural().trim_end_matches('s')
    );
    for point in series {
        let width = (40.0 * point.share / peak).round() as usize;
        let score = shown_score
            .and_then(|kind| Some((kind, kind.estimate(&point.tally)?)))
            .map_or_else(String::new, |(kind, e)| match kind {
                ScoreKind::Nps => format!("  NPS {:+.0}", e.value),
                _ => format!("  {} {:.0}%", kind.name(), e.value),
            });
        println!(
            "  {:<10} {:<40} {:>5.1}%  {:>6} of {:<7}{score}",
            period_label(point.period, kind),
            "█".repeat(width),
            100.0 * point.share,
            thousands(point.count),
            thousands(point.total),
        );
    }
    println!("{}", as_of(trends.computed_at));
    Ok(ExitCode::SUCCESS)
}

/// One period of `trove trend --format json`.
#[derive(serde::Serialize)]
struct TrendPoint {
    /// "2025-05", "2025-W24", "2025-Q2".
    period: String,
    count: u64,
    total: u64,
    share: f64,
    customers: u64,
    nps: Option<Estimate>,
}

/// Arguments of `trove verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The theme id.
    theme: String,
    /// The day the fix went live, YYYY-MM-DD.
    #[arg(long)]
    fixed_on: String,
    /// Periods compared on each side of the fix's period.
    #[arg(long, default_value_t = 3)]
    periods: usize,
    /// What handling one contact costs, e.g. "6.50 USD": adds the annuity of the fix (contacts
    /// avoided per month x cost x 12).
    #[arg(long)]
    cost_per_contact: Option<String>,
    #[command(flatten)]
    scope: Scope,
}

/// `trove verify --format json`: the verification, and the annuity when a cost was given.
#[derive(serde::Serialize)]
struct VerifyOutput<'a> {
    #[serde(flatten)]
    verification: &'a trove_analytics::verify::Verification,
    /// The periods compared before the fix, by name ("2025-03 to 2025-05").
    before: String,
    /// The periods compared after it.
    after: String,
    contacts_avoided_per_month: f64,
    annuity: Option<trove_domain::Money>,
}

/// Average days in a month (365.2425 / 12), to turn a period's volume into a month's.
const DAYS_PER_MONTH: f64 = 30.436_875;

/// Items per month after the fix: the mean volume of the periods after it, scaled to a month.
fn monthly_exposure(after: &[trove_analytics::trend::SharePoint], kind: PeriodKind) -> f64 {
    let per_period = after.iter().map(|p| p.total as f64).sum::<f64>() / after.len().max(1) as f64;
    match kind {
        PeriodKind::Day => per_period * DAYS_PER_MONTH,
        PeriodKind::IsoWeek => per_period * DAYS_PER_MONTH / 7.0,
        PeriodKind::Month => per_period,
        PeriodKind::Quarter => per_period / 3.0,
        PeriodKind::Year => per_period / 12.0,
    }
}

fn parse_cost(raw: &str) -> Result<trove_domain::Money> {
    let (amount, currency) = raw.trim().rsplit_once(' ').with_context(|| {
        format!("--cost-per-contact {raw:?}: write an amount and a currency, e.g. \"6.50 USD\"")
    })?;
    Ok(trove_domain::Money::parse(
        amount,
        trove_domain::Currency::parse(currency)?,
    )?)
}

/// `trove verify THEME --fixed-on DATE`.
pub fn verify(url: &DbUrl, args: &VerifyArgs) -> Result<ExitCode> {
    let app = crate::analytics::app(url)?;
    let kind: PeriodKind = args.scope.period.into();
    let fixed_on = parse_day(&args.fixed_on)?;
    let Some(check) = app.check_fix(
        &args.theme,
        fixed_on,
        args.periods.max(1),
        kind,
        &args.scope.filter()?,
        args.scope.themes.into(),
    )?
    else {
        bail!(
            "no item carries the theme {:?}; `trove issues --all` lists the themes",
            args.theme
        );
    };
    let Some(verification) = &check.verification else {
        bail!(
            "cannot verify {}: {}",
            args.theme,
            check.why_unverified(&args.fixed_on, kind)
        );
    };
    let per = trove_analytics::verify::VerifyParams::default().per;
    let avoided = trove_analytics::verify::contacts_avoided_per_month(
        verification.rate_before / per,
        verification.rate_after / per,
        monthly_exposure(&check.after, kind),
    );
    let cost = args
        .cost_per_contact
        .as_deref()
        .map(parse_cost)
        .transpose()?;
    let annuity = cost.and_then(|cost| trove_analytics::verify::annuity(avoided, cost));
    let span = |points: &[trove_analytics::trend::SharePoint]| match (points.first(), points.last())
    {
        (Some(a), Some(b)) => format!(
            "{} to {}",
            period_label(a.period, kind),
            period_label(b.period, kind)
        ),
        _ => "no periods".into(),
    };
    if args.scope.format == Format::Json {
        let output = VerifyOutput {
            verification,
            before: span(&check.before),
            after: span(&check.after),
            contacts_avoided_per_month: avoided,
            annuity,
        };
        println!("{}", serde_json::to_string_pretty(&output)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {:.2} per 1,000 items before ({}), {:.2} after ({}); rate ratio {:.3} (95% CI {:.3} to {:.3}): {:?}",
        args.theme,
        verification.rate_before,
        span(&check.before),
        verification.rate_after,
        span(&check.after),
        verification.rate_ratio,
        verification.ci_low,
        verification.ci_high,
        verification.verdict,
    );
    println!("  contacts avoided: {avoided:.0} a month");
    if let Some(annuity) = annuity {
        println!("  annuity of the fix: {annuity} a year");
    }
    Ok(ExitCode::SUCCESS)
}

/// A survey score, as `--score` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Score {
    /// Net Promoter answer (0-10).
    Nps,
    /// Satisfaction answer (1-5).
    Csat,
    /// Effort answer (1-7).
    Ces,
}

impl From<Score> for ScoreKind {
    fn from(score: Score) -> Self {
        match score {
            Score::Nps => Self::Nps,
            Score::Csat => Self::Csat,
            Score::Ces => Self::Ces,
        }
    }
}

/// Arguments of `trove drivers`.
#[derive(Debug, Args)]
pub struct DriversArgs {
    #[command(flatten)]
    scope: Scope,
    /// The score to explain; default: the one with the most answers in the window.
    #[arg(long, value_enum)]
    score: Option<Score>,
    /// Responses that must mention a theme before it is ranked; themes with fewer are listed
    /// apart as "too few to tell".
    #[arg(long, default_value_t = DriverParams::default().min_support)]
    min_support: u64,
    /// Bootstrap resamples of the 95% intervals (0: no intervals).
    #[arg(long, default_value_t = DriverParams::default().resamples)]
    resamples: u32,
    /// Seed of the bootstrap, to reproduce the intervals.
    #[arg(long, default_value_t = DriverParams::default().seed)]
    seed: u64,
}

/// "Shapley values computed exactly over all 4,096 subsets of themes" or "estimated from 2,000
/// seeded permutations (seed 467070)".
fn method_text(method: &ShapleyMethod) -> String {
    match method {
        ShapleyMethod::Exact { subsets } => format!(
            "Shapley values computed exactly over all {} subsets of themes",
            thousands(*subsets)
        ),
        ShapleyMethod::Sampled { permutations, seed } => format!(
            "Shapley values estimated from {} seeded permutations (seed {seed})",
            thousands(*permutations)
        ),
    }
}

/// Why a window has no drivers to show.
fn no_drivers_reason(analysis: &Analysis, asked: Option<ScoreKind>) -> String {
    let present: Vec<String> = ScoreKind::ALL
        .into_iter()
        .filter(|k| k.answers(&analysis.scores) > 0)
        .map(|k| {
            format!(
                "{} {} answers",
                thousands(k.answers(&analysis.scores)),
                k.name()
            )
        })
        .collect();
    match asked {
        Some(kind) if kind.answers(&analysis.scores) == 0 => format!(
            "no {} answers in the window ({}): choose another --score",
            kind.name(),
            if present.is_empty() {
                "no scores at all".to_owned()
            } else {
                present.join(", ")
            }
        ),
        _ if present.is_empty() => {
            "no NPS, CSAT or CES answers in the window: there is nothing to explain".to_owned()
        }
        _ => format!(
            "the {} answers do not vary in the window: there is nothing to explain",
            asked
                .or_else(|| ScoreKind::most_answered(&analysis.scores))
                .map_or("score", ScoreKind::name)
        ),
    }
}

/// `trove drivers`: key drivers of a score, with support, direction and intervals.
pub fn drivers(url: &DbUrl, args: &DriversArgs) -> Result<ExitCode> {
    let scope = &args.scope;
    let app = crate::analytics::app(url)?;
    let mut params = scope.params()?;
    params.drivers = DriverParams {
        score: args.score.map(ScoreKind::from),
        min_support: args.min_support,
        resamples: args.resamples,
        seed: args.seed,
        ..params.drivers
    };
    let analysis = app.analyze(&scope.filter()?, scope.themes.into(), &params)?;
    let Some(report) = &analysis.drivers else {
        bail!("{}", no_drivers_reason(&analysis, params.drivers.score));
    };
    if scope.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_driver_report(report, &analysis, usize::MAX);
    Ok(ExitCode::SUCCESS)
}

/// "lowers -3.80 (-4.21..-3.39)"; "unclear" when the interval of the difference holds 0.
fn effect_text(driver: &KeyDriver) -> String {
    let Some(difference) = driver.difference else {
        return "–".to_owned();
    };
    let interval = match (driver.difference_ci_low, driver.difference_ci_high) {
        (Some(low), Some(high)) => Some((low, high)),
        _ => None,
    };
    let word = match (driver.direction, interval) {
        (_, Some((low, high))) if low <= 0.0 && 0.0 <= high => "unclear",
        (Direction::Raises, _) => "raises",
        (Direction::Lowers, _) => "lowers",
        (Direction::Neither, _) => "neither",
    };
    match interval {
        Some((low, high)) => format!("{word} {difference:+.2} ({low:+.2}..{high:+.2})"),
        None => format!("{word} {difference:+.2}"),
    }
}

/// The drivers as a table, with what they rest on said in words.
fn print_driver_report(report: &DriverReport, analysis: &Analysis, limit: usize) {
    let (first, last) = &analysis.window_labels;
    let why = if report.score_asked {
        "as asked".to_owned()
    } else {
        "the score with the most answers in the window; --score picks another".to_owned()
    };
    println!(
        "Key drivers of the {} answer ({}), {first} to {last}: {} responses ({why}).",
        report.score.name(),
        report.score.scale(),
        thousands(report.responses),
    );
    println!(
        "R² of the {} themes with at least {} responses together: {:.4}. {}.",
        report.drivers.len(),
        report.min_support,
        report.r_squared,
        method_text(&report.method)
    );
    match report.bootstrap {
        Some(b) => println!(
            "95% intervals: percentile bootstrap over {} resamples of the responses (seed {}{}).",
            thousands(u64::from(b.resamples)),
            b.seed,
            if b.used < b.resamples {
                format!("; {} did not vary and were skipped", b.resamples - b.used)
            } else {
                String::new()
            }
        ),
        None => println!("No intervals (--resamples 0)."),
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "theme".to_owned(),
        "responses".into(),
        format!("{} effect (95% CI)", report.score.name()),
        "Shapley R²".into(),
        "Shapley 95% CI".into(),
        "share of R²".into(),
        "R² alone".into(),
    ]);
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    for d in report.drivers.iter().take(limit) {
        let effect = effect_text(d);
        let interval = match (d.ci_low, d.ci_high) {
            (Some(low), Some(high)) => format!("{low:.4} to {high:.4}"),
            _ => "–".to_owned(),
        };
        table.add_row(vec![
            Cell::new(&d.name),
            right(thousands(d.support)),
            Cell::new(effect),
            right(format!("{:.4}", d.shapley)),
            right(interval),
            right(format!("{:.1}%", 100.0 * d.share_of_r_squared)),
            right(format!("{:.4}", d.r_squared_alone)),
        ]);
    }
    println!("{table}");
    if report.drivers.len() > limit {
        println!(
            "  the first {limit} of {} drivers: `trove drivers` lists them all.",
            report.drivers.len()
        );
    }
    println!(
        "  effect: mean {} answer of the responses that mention the theme minus the others' (answer points); unclear when its interval holds 0.",
        report.score.name()
    );
    if !report.too_few.is_empty() {
        let listed: Vec<String> = report
            .too_few
            .iter()
            .map(|t| format!("{} ({})", t.name, t.support))
            .collect();
        println!(
            "Too few to tell (under {} responses, --min-support): {}",
            report.min_support,
            listed.join(", ")
        );
    }
}

/// Dimensions `trove scores` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreDimension {
    /// Business unit.
    BusinessUnit,
    /// Channel.
    Channel,
    /// Journey stage.
    Stage,
    /// Calendar month (UTC).
    Month,
    /// Calendar quarter (UTC), e.g. 2025-Q2.
    Quarter,
    /// Calendar year (UTC).
    Year,
}

/// A calendar period of `trove scores --period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalendarPeriod {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl ScoreDimension {
    fn is_period(self) -> bool {
        matches!(self, Self::Month | Self::Quarter | Self::Year)
    }
}

/// Arguments of `trove scores`.
#[derive(Debug, Args)]
pub struct ScoresArgs {
    /// How to group: periods are compared with the period before, other groups with all the
    /// others together.
    #[arg(long, value_enum, default_value_t = ScoreDimension::Month)]
    by: ScoreDimension,
    /// Group by calendar period (the same as --by month|quarter|year).
    #[arg(long, value_enum, conflicts_with = "by")]
    period: Option<CalendarPeriod>,
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// A survey sample wave's design-weighted NPS with its interval, beside the unweighted
    /// one (the same as `trove sample estimate --wave W`).
    #[arg(long, conflicts_with_all = ["by", "period", "source"])]
    wave: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// One group of `trove scores`: every score present with its interval, and its difference from
/// the baseline with a test.
#[derive(serde::Serialize)]
struct ScoreRow {
    group: Option<String>,
    items: u64,
    /// What the changes compare with: the period before (its label), or "the rest".
    baseline: Option<String>,
    nps: Option<Estimate>,
    /// Top-2-box share (4-5 of 1-5), % with a Wilson interval.
    csat: Option<Estimate>,
    /// Share answering 5-7 of 1-7, % with a Wilson interval.
    ces: Option<Estimate>,
    /// Mean CES answer with a t interval.
    ces_mean: Option<Estimate>,
    /// NPS points against the baseline (z-test on the +1/0/-1 code).
    nps_change: Option<Comparison>,
    /// CSAT percentage points against the baseline (two-proportion z-test).
    csat_change: Option<Comparison>,
    /// CES share percentage points against the baseline (two-proportion z-test).
    ces_change: Option<Comparison>,
    /// CES mean difference against the baseline (Welch z-test).
    ces_mean_change: Option<Comparison>,
}

impl ScoreRow {
    fn new(group: &GroupTally, baseline: Option<(String, ScoreTally)>) -> Self {
        let tally = &group.tally;
        let against = baseline.as_ref().map(|(_, b)| b);
        let compare = |f: fn(&ScoreTally, &ScoreTally) -> Option<Comparison>| {
            against.and_then(|b| f(tally, b))
        };
        Self {
            group: group.key.clone(),
            items: tally.items,
            baseline: baseline.as_ref().map(|(label, _)| label.clone()),
            nps: scores::nps(tally),
            csat: scores::csat(tally),
            ces: scores::ces_share(tally),
            ces_mean: scores::ces_mean(tally),
            nps_change: compare(scores::compare_nps),
            csat_change: compare(scores::compare_csat),
            ces_change: compare(scores::compare_ces_share),
            ces_mean_change: compare(scores::compare_ces_mean),
        }
    }
}

/// The groups of `trove scores`, periods in time order, with when their tallies were counted.
fn score_groups(
    app: &App,
    by: ScoreDimension,
    filter: &FeedbackFilter,
) -> Result<(Vec<GroupTally>, i64)> {
    let dimension = match by {
        ScoreDimension::BusinessUnit => Dimension::BusinessUnit,
        ScoreDimension::Channel => Dimension::Channel,
        ScoreDimension::Stage => Dimension::JourneyStage,
        ScoreDimension::Month | ScoreDimension::Quarter | ScoreDimension::Year => Dimension::Month,
    };
    let kept = app.current_tallies(dimension, filter)?;
    let groups = match by {
        ScoreDimension::Quarter => roll_up_months(&kept.value, LongPeriod::Quarter),
        ScoreDimension::Year => roll_up_months(&kept.value, LongPeriod::Year),
        _ => kept.value.to_vec(),
    };
    Ok((groups, kept.computed_at))
}

/// `trove scores --by DIMENSION`: NPS, CSAT and CES per group with intervals and a test of
/// each group against the period before (periods) or against all the others (other groups).
pub fn scores(url: &DbUrl, args: &ScoresArgs) -> Result<ExitCode> {
    let app = crate::analytics::app(url)?;
    if let Some(wave) = args.wave {
        return crate::sample::show_estimate(&app, wave, args.format == Format::Json);
    }
    let by = match args.period {
        Some(CalendarPeriod::Month) => ScoreDimension::Month,
        Some(CalendarPeriod::Quarter) => ScoreDimension::Quarter,
        Some(CalendarPeriod::Year) => ScoreDimension::Year,
        None => args.by,
    };
    let filter = FeedbackFilter {
        source: args.source.clone(),
        ..FeedbackFilter::default()
    };
    let (groups, computed_at) = score_groups(&app, by, &filter)?;
    let mut total = ScoreTally::default();
    groups.iter().for_each(|g| total.merge(&g.tally));
    let rows: Vec<ScoreRow> = groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let baseline = if by.is_period() {
                i.checked_sub(1).map(|p| {
                    let before = &groups[p];
                    (before.key.clone().unwrap_or_default(), before.tally)
                })
            } else {
                trove_analytics::impact::tally_without(&total, &group.tally)
                    .filter(|rest| rest.items > 0)
                    .map(|rest| ("the rest".to_owned(), rest))
            };
            ScoreRow::new(group, baseline)
        })
        .collect();
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_score_rows(&rows, &total, by);
    println!("{}", as_of(computed_at));
    Ok(ExitCode::SUCCESS)
}

fn print_score_rows(rows: &[ScoreRow], total: &ScoreTally, by: ScoreDimension) {
    if rows.is_empty() {
        println!("no feedback to count");
        return;
    }
    let against = if by.is_period() {
        "vs period before"
    } else {
        "vs the rest"
    };
    let present: Vec<ScoreKind> = ScoreKind::ALL
        .into_iter()
        .filter(|k| k.answers(total) > 0)
        .collect();
    let mut header = vec!["group".to_owned(), "items".into()];
    for kind in &present {
        match kind {
            ScoreKind::Nps => header.extend(["NPS (95% CI)".into(), format!("NPS {against}")]),
            ScoreKind::Csat => {
                header.extend(["CSAT top-2 (95% CI)".into(), format!("CSAT {against}")]);
            }
            ScoreKind::Ces => header.extend([
                "CES 5-7 (95% CI)".into(),
                format!("CES 5-7 {against}"),
                "CES mean (95% CI)".into(),
            ]),
        }
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    for row in rows {
        let mut cells = vec![
            // Group names come from the customers' data: no escape sequences.
            trove_domain::safe::printable(row.group.as_deref().unwrap_or("(none)")).into_owned(),
            thousands(row.items),
        ];
        for kind in &present {
            match kind {
                ScoreKind::Nps => cells.extend([
                    estimate_text(row.nps, signed, ""),
                    change_text(row.nps_change, ""),
                ]),
                ScoreKind::Csat => cells.extend([
                    estimate_text(row.csat, one_decimal, "%"),
                    change_text(row.csat_change, " pts"),
                ]),
                ScoreKind::Ces => cells.extend([
                    estimate_text(row.ces, one_decimal, "%"),
                    change_text(row.ces_change, " pts"),
                    estimate_text(row.ces_mean, two_decimals, ""),
                ]),
            }
        }
        table.add_row(cells);
    }
    println!("{table}");
    if present.is_empty() {
        println!("no NPS, CSAT or CES answers");
        return;
    }
    let methods: Vec<&str> = present
        .iter()
        .map(|kind| match kind {
            ScoreKind::Nps => "NPS: normal interval on the +1/0/-1 code, z-test",
            ScoreKind::Csat => "CSAT top-2 (4-5 of 1-5): Wilson interval, two-proportion z-test",
            ScoreKind::Ces => {
                "CES 5-7 (of 1-7): Wilson interval, two-proportion z-test; CES mean: t interval"
            }
        })
        .collect();
    println!("{}.", methods.join("; "));
    println!("Each group {against}; significant when p < 0.05.");
}

/// An NPS: "+31.2".
fn signed(v: f64) -> String {
    format!("{v:+.1}")
}

/// A share in %: "87.1".
fn one_decimal(v: f64) -> String {
    format!("{v:.1}")
}

/// A mean answer: "5.42".
fn two_decimals(v: f64) -> String {
    format!("{v:.2}")
}

/// "87.1% (85.9..88.2) n=3,000", "–" without answers.
fn estimate_text(e: Option<Estimate>, number: fn(f64) -> String, unit: &str) -> String {
    let Some(e) = e else { return "–".into() };
    format!(
        "{}{unit} ({}..{}) n={}",
        number(e.value),
        number(e.ci_low),
        number(e.ci_high),
        thousands(e.n)
    )
}

/// "+5.7 pts (significant, p<0.001)", "–" without a baseline.
fn change_text(change: Option<Comparison>, unit: &str) -> String {
    let Some(c) = change else { return "–".into() };
    let verdict = if c.significant {
        "significant"
    } else {
        "not significant"
    };
    let p = p_text(c.p_value);
    format!("{:+.1}{unit} ({verdict}, {p})", c.difference)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        scope: Scope,
    }

    #[test]
    fn the_default_flags_read_the_default_request_the_pages_read() {
        let flags = Flags::try_parse_from(["issues"]).expect("no flags parse");
        let request = flags.scope.request().expect("a request");
        assert_eq!(request, AnalysisRequest::default());
        let flags = Flags::try_parse_from(["issues", "--window", "12"]).expect("flags parse");
        assert_ne!(flags.scope.request().expect("a request"), request);
    }
}
