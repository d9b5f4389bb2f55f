use serde::{Deserialize, Serialize};
use trove_domain::{Channel, ScoreTally};

/// Which feedback a read covers. The default covers everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl FeedbackFilter {
    /// The labels of the item's own row this filter keeps to, by the column that holds them
    /// (in `feedback`, its facts and their copies); the segment, the customer's, is apart.
    pub fn item_labels(&self) -> [(&'static str, Option<String>); 5] {
        [
            ("source", self.source.clone()),
            ("channel", self.channel.map(|c| c.as_str().to_owned())),
            ("business_unit", self.business_unit.clone()),
            ("journey_stage", self.journey_stage.clone()),
            ("touchpoint", self.touchpoint.clone()),
        ]
    }
}

/// A dimension feedback can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Items already stored that were overwritten from the batch (a replacing import).
    pub replaced: u64,
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
    /// A process is still working on it.
    Running,
    /// Read to the end.
    Completed,
    /// Stopped early on too many rejected rows (`--max-errors`); what was stored stays.
    Aborted,
    /// Refused before anything was stored (most of the first rows were bad).
    Refused,
    /// Ended by an error (the store failed, the file could not be read further); what was
    /// stored before stays, and the run's reason says why.
    Failed,
    /// Its process died before it could say how it ended (no process holds the run any more).
    /// Never stored: a store reports it for a `running` run nobody holds.
    Interrupted,
}

impl ImportStatus {
    const ALL: [Self; 6] = [
        Self::Running,
        Self::Completed,
        Self::Aborted,
        Self::Refused,
        Self::Failed,
        Self::Interrupted,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Aborted => "aborted",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
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
    /// Stored items overwritten from the file (`--replace`).
    pub replaced: u64,
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
    /// Counts. For an interrupted run, `imported` is the count of the items it stored.
    pub totals: ImportTotals,
    /// Why it ended the way it did, when not simply completed.
    pub reason: Option<String>,
    /// When its items were deleted (`trove imports delete`), unix seconds.
    pub deleted_at: Option<i64>,
    /// How many items were deleted then.
    pub deleted_items: Option<u64>,
}

/// Proof that this process is still working on an import run: while it lives, the run reads
/// as running; once dropped (or its process dies), a run not finished reads as interrupted.
pub struct ImportHold {
    id: i64,
    _guard: Box<dyn Send + Sync>,
}

impl ImportHold {
    /// A hold of run `id`, kept by `guard` (a lock released when dropped).
    pub fn new(id: i64, guard: impl Send + Sync + 'static) -> Self {
        Self {
            id,
            _guard: Box::new(guard),
        }
    }

    /// The run's id.
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl std::fmt::Debug for ImportHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportHold").field("id", &self.id).finish()
    }
}

/// Which theme links a read includes (by default all of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeOrigin {
    /// Themes the rule tagger found.
    Rule,
    /// Themes the source coded (e.g. a complaint's "Issue").
    Source,
    /// Themes a trained classifier predicted (`trove classify`).
    Model,
    /// All of them: rule, source and model.
    #[default]
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
