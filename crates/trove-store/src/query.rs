use serde::Serialize;
use trove_domain::{Channel, ScoreTally};

/// Which feedback a read covers. The default covers everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackFilter {
    /// Received at or after this instant (unix seconds).
    pub since: Option<i64>,
    /// Received before this instant (unix seconds).
    pub until: Option<i64>,
    /// Only this source.
    pub source: Option<String>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only this business unit.
    pub business_unit: Option<String>,
    /// Only this journey stage (as the source gave it).
    pub journey_stage: Option<String>,
    /// Only this touchpoint.
    pub touchpoint: Option<String>,
    /// Only items of customers in this segment.
    pub segment: Option<String>,
}

/// A dimension feedback can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The channel.
    Channel,
    /// The named source.
    Source,
    /// The business unit.
    BusinessUnit,
    /// The journey stage as given by the source.
    JourneyStage,
    /// The touchpoint.
    Touchpoint,
    /// The region.
    Region,
    /// The product.
    Product,
    /// The calendar month of the received time, in UTC, as `YYYY-MM`.
    Month,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 8] = [
        Self::Channel,
        Self::Source,
        Self::BusinessUnit,
        Self::JourneyStage,
        Self::Touchpoint,
        Self::Region,
        Self::Product,
        Self::Month,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Source => "source",
            Self::BusinessUnit => "business_unit",
            Self::JourneyStage => "journey_stage",
            Self::Touchpoint => "touchpoint",
            Self::Region => "region",
            Self::Product => "product",
            Self::Month => "month",
        }
    }
}

/// The score tally of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTally {
    /// The group's value; `None` for items without one.
    pub key: Option<String>,
    /// Its counts.
    pub tally: ScoreTally,
}

/// What a batch insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InsertOutcome {
    /// Items stored now.
    pub inserted: u64,
    /// Items skipped because they were already stored (or repeated in the batch).
    pub duplicates: u64,
}

/// What a batch upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertOutcome {
    /// Records new to the store.
    pub inserted: u64,
    /// Records that replaced a stored one with the same id.
    pub updated: u64,
}

/// An import about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImportRun {
    /// What is imported: `feedback` or `customers`.
    pub kind: String,
    /// The source name.
    pub source: String,
    /// The file (or `-` for standard input).
    pub file: String,
    /// When it started (unix seconds).
    pub started_at: i64,
}

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Still running, or killed before it could say how it ended.
    Running,
    /// Read to the end.
    Completed,
    /// Stopped early (too many errors, or a fatal error).
    Aborted,
}

impl ImportStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Aborted => "aborted",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Running, Self::Completed, Self::Aborted]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// The counts of an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportTotals {
    /// Data rows read.
    pub rows: u64,
    /// Rows stored now.
    pub imported: u64,
    /// Rows already stored.
    pub duplicates: u64,
    /// Rows refused.
    pub rejected: u64,
}

/// A recorded import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRun {
    /// Id.
    pub id: i64,
    /// `feedback` or `customers`.
    pub kind: String,
    /// Source name.
    pub source: String,
    /// File.
    pub file: String,
    /// Start (unix seconds).
    pub started_at: i64,
    /// End (unix seconds), once ended.
    pub finished_at: Option<i64>,
    /// How it ended.
    pub status: ImportStatus,
    /// Counts.
    pub totals: ImportTotals,
}

/// Which theme links a read includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeOrigin {
    /// Themes the rule tagger found.
    Rule,
    /// Themes the source coded (e.g. a complaint's "Issue").
    Source,
    /// Themes a trained classifier predicted (`trove classify`).
    Model,
    /// All of them: rule, source and model.
    Any,
}

impl ThemeOrigin {
    /// The `origin` value stored, or `None` for [`ThemeOrigin::Any`].
    pub fn stored(self) -> Option<&'static str> {
        match self {
            Self::Rule => Some("rule"),
            Self::Source => Some("source"),
            Self::Model => Some("model"),
            Self::Any => None,
        }
    }
}

/// An item as the analysis reads it: no text, and the ids of its themes.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemThemes {
    /// The item's id.
    pub id: i64,
    /// Received time, unix seconds.
    pub received_at: i64,
    /// The customer.
    pub customer_id: Option<String>,
    /// The channel.
    pub channel: Channel,
    /// The business unit.
    pub business_unit: Option<String>,
    /// The touchpoint.
    pub touchpoint: Option<String>,
    /// The scores.
    pub scores: trove_domain::Scores,
    /// The text's sentiment, -1..1, when scored.
    pub sentiment: Option<f32>,
    /// Theme ids, each once, sorted.
    pub themes: Vec<String>,
    /// Aligned with `themes`: the mean sentiment of the sentences that carry the theme's
    /// mentions (rule tags), `None` when no mention of it was scored.
    pub mention_sentiments: Vec<Option<f32>>,
}
