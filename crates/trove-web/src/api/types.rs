//! What the API sends and takes: its own types, separate from the domain's, so the domain
//! can change without changing the API (and the document shows exactly these).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A page of a list: its entries and the cursor of the next page.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Page<T> {
    /// The entries.
    pub(crate) data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// Which page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Entries per page (1 to 500, default 50).
    pub(crate) limit: Option<usize>,
    /// The `next_cursor` of the page before (opaque).
    pub(crate) cursor: Option<String>,
}

/// Which commitments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CommitmentsQuery {
    /// Only those that stand so: open, met, met_late or missed.
    pub(crate) standing: Option<String>,
    /// Entries per page (1 to 500, default 50).
    pub(crate) limit: Option<usize>,
    /// The `next_cursor` of the page before (opaque).
    pub(crate) cursor: Option<String>,
}

/// The drill-down's filters, as every number of the room links them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents the query; the handlers read its pairs")]
pub(crate) struct ItemsQuery {
    /// First day (YYYY-MM-DD, UTC).
    pub(crate) from: Option<String>,
    /// Day after the last (YYYY-MM-DD, exclusive).
    pub(crate) to: Option<String>,
    /// A theme's id (its descendants count too; an item counts once).
    pub(crate) theme: Option<String>,
    /// A journey stage's id (the stage its themes are placed at).
    pub(crate) stage: Option<String>,
    /// A touchpoint.
    pub(crate) touchpoint: Option<String>,
    /// A business unit (a limited token's own unit when absent).
    pub(crate) bu: Option<String>,
    /// survey, ticket, review, social, web_form, call, chat, email, ...
    pub(crate) channel: Option<String>,
    /// A customer segment.
    pub(crate) segment: Option<String>,
    /// A source.
    pub(crate) source: Option<String>,
    /// promoter, passive or detractor.
    pub(crate) band: Option<String>,
    /// negative, neutral or positive.
    pub(crate) sentiment: Option<String>,
    /// yes (suggestions only) or no (the other items).
    pub(crate) suggestion: Option<String>,
    /// Which themes count: any (default), rule, source or model.
    pub(crate) origin: Option<String>,
    /// Items per page (1 to 500, default 50); list only.
    pub(crate) limit: Option<usize>,
    /// The `next_cursor` of the page before (opaque); list only.
    pub(crate) cursor: Option<String>,
    /// csv or xlsx; export only (default csv).
    pub(crate) format: Option<String>,
}

/// Which verbatims a stream shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamQuery {
    /// First day of the verbatims (YYYY-MM-DD; default 30 days ago).
    pub(crate) since: Option<String>,
}

/// Which cases.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CasesQuery {
    /// Only this department's cases.
    pub(crate) department: Option<String>,
    /// Only this person's cases (an e-mail address).
    pub(crate) owner: Option<String>,
    /// open (default: open and contacted), breached (open past the deadline), closed, or all.
    pub(crate) status: Option<String>,
    /// Entries per page (1 to 500, default 50).
    pub(crate) limit: Option<usize>,
    /// The `next_cursor` of the page before (opaque).
    pub(crate) cursor: Option<String>,
}

/// The token's holder.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// The token's id.
    pub(crate) token: i64,
    /// The person it acts as.
    pub(crate) email: String,
    /// Their name.
    pub(crate) name: String,
    /// Their role: admin, analyst, lead, member, viewer.
    pub(crate) role: String,
    /// The token's scopes: read, write, ingest:SOURCE.
    pub(crate) scopes: Vec<String>,
    /// The only business unit it reaches, if limited.
    pub(crate) business_unit: Option<String>,
}

/// Options of the ranking.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RankingQuery {
    /// Entries per page (1 to 500, default 50).
    pub(crate) limit: Option<usize>,
    /// The `next_cursor` of the page before (opaque).
    pub(crate) cursor: Option<String>,
    /// List every theme, not only the chronic ones (default false).
    pub(crate) all: Option<bool>,
}

/// One theme as the analysis scored it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RankedTheme {
    /// The theme's id.
    pub(crate) theme: String,
    /// Rank among the chronic themes (1 is worst); null for the others.
    pub(crate) rank: Option<usize>,
    /// Whether it is chronic.
    pub(crate) chronic: bool,
    /// chronic, spike, shift, praise, suggestion, question or occasional.
    pub(crate) label: String,
    /// Items mentioning it in the window.
    pub(crate) volume: u64,
    /// Distinct customers (items, without customer ids).
    pub(crate) customers: u64,
    /// Share of the window's periods in which it reached its floor (0 to 1).
    pub(crate) persistence: f64,
    /// Points of NPS lost by the customers who mention it, if measured.
    pub(crate) nps_impact: Option<f64>,
    /// Points of CSAT lost, if measured.
    pub(crate) csat_impact: Option<f64>,
    /// Mean sentiment of its items (-1 to 1).
    pub(crate) sentiment: Option<f64>,
    /// Why it ranks where it does.
    pub(crate) explanation: String,
    /// The drill-down page of the items behind `volume`.
    pub(crate) items_url: String,
}

/// The chronic ranking of the current analysis.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Ranking {
    /// When the analysis was computed (RFC 3339).
    pub(crate) as_of: String,
    /// The window's first and last periods.
    pub(crate) window: [String; 2],
    /// Items in the window.
    pub(crate) items: u64,
    /// The themes, worst first.
    pub(crate) data: Vec<RankedTheme>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// A theme of the taxonomy, with how the current analysis scored it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ThemeDetail {
    /// Its id.
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Its parent theme.
    pub(crate) parent: Option<String>,
    /// The journey stage it is placed at.
    pub(crate) stage: Option<String>,
    /// Whether the current taxonomy no longer lists it.
    pub(crate) retired: bool,
    /// How the current analysis scored it (null when no item in scope carries it).
    pub(crate) analysis: Option<RankedTheme>,
}

/// One period of a theme's trend.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TrendPoint {
    /// The period ("2025-05").
    pub(crate) period: String,
    /// Items mentioning the theme.
    pub(crate) count: u64,
    /// All items in the period.
    pub(crate) total: u64,
    /// count / total.
    pub(crate) share: f64,
    /// Distinct customers who raised it.
    pub(crate) customers: u64,
}

/// A theme's share of items per period over the analysis window.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Trend {
    /// The theme.
    pub(crate) theme: String,
    /// Its periods, oldest first.
    pub(crate) periods: Vec<TrendPoint>,
}

/// Which calendar periods.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ScoresQuery {
    /// month, quarter or year (default month).
    pub(crate) period: Option<String>,
    /// Entries per page (1 to 500, default 50).
    pub(crate) limit: Option<usize>,
    /// The `next_cursor` of the page before (opaque).
    pub(crate) cursor: Option<String>,
}

/// A score with its 95% interval.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScoreValue {
    /// The score.
    pub(crate) value: f64,
    /// Answers it rests on.
    pub(crate) answers: u64,
    /// Lower end of the 95% interval.
    pub(crate) ci_low: f64,
    /// Upper end of the 95% interval.
    pub(crate) ci_high: f64,
}

/// The scores of one calendar period.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PeriodScores {
    /// The period ("2025-05", "2025-Q2", "2025").
    pub(crate) period: String,
    /// Items received in it.
    pub(crate) items: u64,
    /// Net Promoter Score (-100 to 100).
    pub(crate) nps: Option<ScoreValue>,
    /// CSAT: share of 4-5 answers, in percent.
    pub(crate) csat: Option<ScoreValue>,
    /// CES: share of 5-7 answers, in percent.
    pub(crate) ces: Option<ScoreValue>,
}

/// An issue of the workflow.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IssueOut {
    /// Its number.
    pub(crate) id: u32,
    /// Its title.
    pub(crate) title: String,
    /// Its themes.
    pub(crate) themes: Vec<String>,
    /// The lead department.
    pub(crate) lead: String,
    /// The departments on it.
    pub(crate) departments: Vec<String>,
    /// detected, acknowledged, root_cause_found, action_planned, fixing, verifying,
    /// resolved or recurred.
    pub(crate) status: String,
}

/// An action of the workflow.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ActionOut {
    /// Its number.
    pub(crate) id: u32,
    /// The issue it serves.
    pub(crate) issue: u32,
    /// What is to be done.
    pub(crate) what: String,
    /// The department that owes it.
    pub(crate) department: String,
    /// The person who owns it.
    pub(crate) owner: String,
    /// Due day (YYYY-MM-DD).
    pub(crate) due: String,
    /// planned, in_progress or done.
    pub(crate) status: String,
    /// Percent done.
    pub(crate) percent: u8,
}

/// A dated promise: an action's due date or a promised progress report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CommitmentOut {
    /// What it is, in words.
    pub(crate) what: String,
    /// The issue it serves.
    pub(crate) issue: Option<u32>,
    /// The department that owes it.
    pub(crate) department: Option<String>,
    /// The person who owes it.
    pub(crate) owner: Option<String>,
    /// Its due day (YYYY-MM-DD).
    pub(crate) due: String,
    /// open, met, met_late or missed.
    pub(crate) standing: String,
    /// Days past due (missed) or late (met late).
    pub(crate) days_late: i64,
    /// How often it was re-planned.
    pub(crate) replanned: usize,
}

/// Where posted feedback goes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedbackQuery {
    /// The items' source; default the token's one `ingest:` source.
    pub(crate) source: Option<String>,
    /// The channel of items that give none (survey, ticket, review, social, web_form, ...).
    pub(crate) channel: Option<String>,
    /// Read the items through this named mapping (a `NAME.toml` of the server's
    /// `--mappings` folder) instead of as Trove's own shape; its source is the items'.
    pub(crate) mapping: Option<String>,
}

/// One feedback item in Trove's own shape. `id` is required: with the source it makes the
/// item's identity, so a retry adds nothing. Unknown fields are refused.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FeedbackItemIn {
    /// The item's id in its source (required).
    pub(crate) id: String,
    /// When it was received: RFC 3339 (default: now).
    pub(crate) time: Option<String>,
    /// The customer's words (masked for personal data on the way in).
    pub(crate) text: Option<String>,
    /// survey, ticket, review, social, web_form, call, chat, email, ... (or the `channel`
    /// query parameter).
    pub(crate) channel: Option<String>,
    /// The customer's id.
    pub(crate) customer: Option<String>,
    /// The customer's account.
    pub(crate) account: Option<String>,
    /// The business unit (a limited token's unit when absent).
    pub(crate) business_unit: Option<String>,
    /// The product.
    pub(crate) product: Option<String>,
    /// The region.
    pub(crate) region: Option<String>,
    /// The touchpoint.
    pub(crate) touchpoint: Option<String>,
    /// The journey stage.
    pub(crate) stage: Option<String>,
    /// The language of the text.
    pub(crate) language: Option<String>,
    /// NPS answer, 0-10.
    pub(crate) nps: Option<u8>,
    /// CSAT answer, 1-5.
    pub(crate) csat: Option<u8>,
    /// CES answer, 1-7.
    pub(crate) ces: Option<u8>,
    /// Themes the source coded.
    pub(crate) themes: Option<Vec<String>>,
    /// Free attributes: names and scalar values.
    #[schema(value_type = Option<Object>)]
    pub(crate) attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A batch of items.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FeedbackBatch {
    /// At most 1,000 items.
    pub(crate) items: Vec<FeedbackItemIn>,
}

/// What `POST /api/v1/feedback` takes: one item, an array of items, or `{"items": [...]}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum FeedbackBody {
    /// A batch object.
    Batch(FeedbackBatch),
    /// An array of items.
    Items(Vec<FeedbackItemIn>),
    /// One item.
    One(Box<FeedbackItemIn>),
}

/// One refused item.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ItemErrorOut {
    /// Its index in the batch (0-based).
    pub(crate) index: usize,
    /// The field at fault, when one is.
    pub(crate) field: Option<String>,
    /// Why it was refused.
    pub(crate) message: String,
}

/// What a posted batch did: valid items are kept whatever the others.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IngestResult {
    /// The import run that recorded it (`trove imports`).
    pub(crate) import_run: i64,
    /// Items received.
    pub(crate) received: u64,
    /// Items stored now.
    pub(crate) stored: u64,
    /// Items already stored (same source and id): a retry adds nothing.
    pub(crate) duplicates: u64,
    /// Items refused.
    pub(crate) rejected: u64,
    /// Every refused item, by index, naming its field.
    pub(crate) errors: Vec<ItemErrorOut>,
    /// What the import decided on its own.
    pub(crate) notes: Vec<String>,
}
