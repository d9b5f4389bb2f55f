//! Taxonomy versions, theme records and the tags the rule tagger writes.

use serde::Serialize;
use trove_domain::{ExternalId, Label, Slug};

/// A theme of a taxonomy version, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeRecord {
    /// Stable id.
    pub id: Slug,
    /// Display name.
    pub name: Label,
    /// Parent theme.
    pub parent: Option<Slug>,
    /// What belongs here.
    pub description: Option<String>,
    /// The journey stage (the theme's own, or its nearest ancestor's).
    pub stage: Option<Slug>,
    /// Contributing departments.
    pub departments: Vec<Slug>,
}

/// A theme record with its life in the taxonomy's versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredTheme {
    /// The record.
    pub theme: ThemeRecord,
    /// The last taxonomy version that defined it; `None` for themes coded by a source only.
    pub taxonomy_version: Option<i64>,
    /// The version that removed it (its tags still resolve), if removed.
    pub retired_in: Option<i64>,
}

/// A taxonomy version about to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTaxonomyVersion {
    /// When it was loaded (unix seconds).
    pub created_at: i64,
    /// The taxonomy file's text.
    pub toml: String,
    /// The diff from the previous version, as JSON.
    pub diff: String,
    /// Its themes: upserted; taxonomy themes not listed are retired.
    pub themes: Vec<ThemeRecord>,
}

/// A saved taxonomy version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxonomyVersion {
    /// Version number (1, 2, ...).
    pub version: i64,
    /// When it was loaded (unix seconds).
    pub created_at: i64,
    /// The taxonomy file's text.
    pub toml: String,
    /// The diff from the previous version, as JSON.
    pub diff: String,
}

/// A theme the rule tagger found in an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTag {
    /// The theme.
    pub theme: Slug,
    /// The taxonomy phrase that matched.
    pub phrase: String,
    /// Byte offset of the match in the item's text.
    pub start: u32,
    /// Byte offset just past it.
    pub end: u32,
    /// The sentiment (-1..1) of the sentence that carries the match.
    pub sentiment: Option<f32>,
}

/// The rule tags of one stored item (by id).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemTags {
    /// The item's id.
    pub feedback_id: i64,
    /// All its rule tags (none: its old rule tags are removed).
    pub tags: Vec<RuleTag>,
    /// The item's sentiment, stored with the tags when known (`None` leaves it as it is).
    pub sentiment: Option<f32>,
    /// Whether the item is a suggestion, stored with the sentiment (ignored when `sentiment`
    /// is `None`: both are read from the text together).
    pub suggestion: bool,
}

/// The rule tags of one item named by its dedup key (as at import, before ids are known).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedTags {
    /// The item's source.
    pub source: Label,
    /// Its id in the source.
    pub external_id: ExternalId,
    /// All its rule tags.
    pub tags: Vec<RuleTag>,
}

/// A theme link of an item, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTag {
    /// The theme.
    pub theme: Slug,
    /// `source` (coded by the source) or `rule` (the rule tagger).
    pub origin: String,
    /// The matched phrase (rule tags).
    pub phrase: Option<String>,
    /// Byte offset of the match (rule tags).
    pub start: Option<u32>,
    /// Byte offset past the match (rule tags).
    pub end: Option<u32>,
    /// The taxonomy version that produced it (rule tags).
    pub taxonomy_version: Option<i64>,
    /// The sentiment of the sentence carrying the match (rule tags).
    pub sentiment: Option<f32>,
}

/// How much of the feedback carries a theme, and where it sits in the journey.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Coverage {
    /// Items.
    pub total: u64,
    /// Items with at least one theme not coded by their source (rule or model tags).
    pub tagged: u64,
    /// The same per source, sorted by source.
    pub by_source: Vec<SourceCoverage>,
    /// Journey placement of the items.
    pub placement: Placement,
}

/// Coverage of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCoverage {
    /// The source.
    pub source: String,
    /// Items.
    pub total: u64,
    /// Items with a theme.
    pub tagged: u64,
}

/// Where items sit in the journey: by their touchpoint's stage (a touchpoint of the stored
/// journey), else the stage their source gave, else a stage of one of their themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Placement {
    /// Placed by their touchpoint.
    pub by_touchpoint: u64,
    /// Placed by the stage the source gave.
    pub by_given_stage: u64,
    /// Placed by a theme's stage.
    pub by_theme: u64,
    /// Not placed.
    pub unplaced: u64,
}

/// How many items carry a theme (itself or one of its descendants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeCount {
    /// The theme.
    pub theme: Slug,
    /// Items.
    pub items: u64,
}

/// The items per theme, parents included, as both backends compute it: `{where}` is replaced by
/// the filter's WHERE clause and `{origin}` by the origin's placeholder. The lineage stops at
/// 32 levels, so a cycle written by hand cannot loop.
pub const THEME_COUNTS_SQL: &str = "WITH RECURSIVE lineage (descendant, ancestor, depth) AS (
        SELECT id, id, 0 FROM themes
        UNION ALL
        SELECT l.descendant, t.parent_id, l.depth + 1 FROM lineage l JOIN themes t ON t.id = l.ancestor
        WHERE t.parent_id IS NOT NULL AND l.depth < 32)
    SELECT l.ancestor, COUNT(DISTINCT ft.feedback_id)
    FROM feedback_themes ft JOIN lineage l ON l.descendant = ft.theme_id JOIN feedback f ON f.id = ft.feedback_id
    {where} AND ft.origin = {origin}
    GROUP BY l.ancestor ORDER BY l.ancestor";
