//! The drill-down: which items stand behind a number, counted and listed a page at a time.
//!
//! The conditions beyond [`FeedbackFilter`]'s (theme, stage, NPS band, sentiment class, the
//! suggestion flag, the page's keyset bound) are written once here, as SQL both backends run, with a placeholder
//! callback for each backend's parameter style, so the two cannot count differently.

use serde::Serialize;
use trove_domain::StoredFeedback;

use crate::{FeedbackFilter, ThemeOrigin};

/// Sentiment at or below this is negative: VADER's own threshold (compound <= -0.05).
pub const NEGATIVE_SENTIMENT: f32 = -0.05;
/// Sentiment at or above this is positive: VADER's own threshold (compound >= 0.05).
pub const POSITIVE_SENTIMENT: f32 = 0.05;

/// Which items a drill-down lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemQuery {
    /// Time, source, channel, business unit, touchpoint, segment (and the stage the source
    /// gave, which the drill-down does not use).
    pub filter: FeedbackFilter,
    /// Which theme links count (for `theme`, `stage` and the themes listed with each item).
    pub origin: ThemeOrigin,
    /// Only items carrying this theme or one of its descendants (each item once).
    pub theme: Option<String>,
    /// Only items carrying a theme placed at this journey stage: the theme's own stage, else
    /// its nearest ancestor's (as the room places issues under stages).
    pub stage: Option<String>,
    /// Only items with an NPS answer in this band.
    pub band: Option<NpsBand>,
    /// Only items whose text's sentiment is in this class (unscored items are in none).
    pub sentiment: Option<SentimentClass>,
    /// Only suggestions (`true`) or only the other items (`false`), by the stored flag.
    pub suggestion: Option<bool>,
}

/// The NPS bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NpsBand {
    /// 9-10.
    Promoter,
    /// 7-8.
    Passive,
    /// 0-6.
    Detractor,
}

impl NpsBand {
    /// Every band, best first.
    pub const ALL: [Self; 3] = [Self::Promoter, Self::Passive, Self::Detractor];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promoter => "promoter",
            Self::Passive => "passive",
            Self::Detractor => "detractor",
        }
    }

    /// The band's answers, lowest and highest.
    pub fn range(self) -> (u8, u8) {
        match self {
            Self::Promoter => (9, 10),
            Self::Passive => (7, 8),
            Self::Detractor => (0, 6),
        }
    }

    /// The band of an answer (0-10).
    pub fn of(answer: u8) -> Self {
        match answer {
            9.. => Self::Promoter,
            7..=8 => Self::Passive,
            _ => Self::Detractor,
        }
    }
}

/// The sentiment classes, with VADER's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentClass {
    /// At most [`NEGATIVE_SENTIMENT`].
    Negative,
    /// Between the two thresholds.
    Neutral,
    /// At least [`POSITIVE_SENTIMENT`].
    Positive,
}

impl SentimentClass {
    /// Every class.
    pub const ALL: [Self; 3] = [Self::Negative, Self::Neutral, Self::Positive];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Negative => "negative",
            Self::Neutral => "neutral",
            Self::Positive => "positive",
        }
    }

    /// The class of a sentiment score (-1..1).
    pub fn of(sentiment: f32) -> Self {
        if sentiment <= NEGATIVE_SENTIMENT {
            Self::Negative
        } else if sentiment >= POSITIVE_SENTIMENT {
            Self::Positive
        } else {
            Self::Neutral
        }
    }

    /// The SQL condition on column `sentiment` (literals, the same in both backends).
    fn condition(self) -> String {
        match self {
            Self::Negative => format!("f.sentiment <= {NEGATIVE_SENTIMENT}"),
            Self::Neutral => {
                format!("f.sentiment > {NEGATIVE_SENTIMENT} AND f.sentiment < {POSITIVE_SENTIMENT}")
            }
            Self::Positive => format!("f.sentiment >= {POSITIVE_SENTIMENT}"),
        }
    }
}

/// Where a listed item sits in the drill-down's order (newest first): its received time and
/// id. Pages continue after or before one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ItemCursor {
    /// Received time, unix seconds.
    pub received_at: i64,
    /// The item's id (breaks ties).
    pub id: i64,
}

/// Which page of a drill-down to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemPageAt {
    /// The newest items.
    #[default]
    First,
    /// The items just older than this one.
    After(ItemCursor),
    /// The items just newer than this one.
    Before(ItemCursor),
}

/// An item as the drill-down lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedItem {
    /// The item (its text masked as stored); its `source_themes` are left empty (see `themes`).
    pub feedback: StoredFeedback,
    /// The ids of its themes of the query's origin, each once, sorted.
    pub themes: Vec<String>,
    /// Where its rule tags matched (when the query's origin includes rule tags), by start.
    pub spans: Vec<MatchedSpan>,
}

impl ListedItem {
    /// Its place in the drill-down's order.
    pub fn cursor(&self) -> ItemCursor {
        ItemCursor {
            received_at: self.feedback.item.received_at.timestamp().as_second(),
            id: self.feedback.id,
        }
    }
}

/// Adds a theme link read from `feedback_themes` to item `id` of a page: the theme once per
/// item (sorted), and for a rule tag with offsets, its span. Links of items not on the page
/// are ignored.
pub fn add_theme_link(
    items: &mut [ListedItem],
    id: i64,
    theme: String,
    origin: &str,
    span: Option<(u32, u32)>,
) {
    let Some(item) = items.iter_mut().find(|item| item.feedback.id == id) else {
        return;
    };
    if let (Some((start, end)), "rule") = (span, origin) {
        item.spans.push(MatchedSpan {
            theme: theme.clone(),
            start,
            end,
        });
        item.spans.sort_by_key(|span| (span.start, span.end));
    }
    if let Err(index) = item.themes.binary_search(&theme) {
        item.themes.insert(index, theme);
    }
}

/// Where a rule tag matched in an item's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedSpan {
    /// The theme.
    pub theme: String,
    /// Byte offset of the match.
    pub start: u32,
    /// Byte offset just past it.
    pub end: u32,
}

/// A value bound to a placeholder of [`item_conditions`].
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

/// The themes of a family: `{theme}` and its descendants (32 levels at most, so a cycle
/// written by hand cannot loop).
const FAMILY_SQL: &str = "WITH RECURSIVE family (id, depth) AS (
        SELECT id, 0 FROM themes WHERE id = {theme}
        UNION ALL
        SELECT t.id, family.depth + 1 FROM themes t JOIN family ON t.parent_id = family.id
        WHERE family.depth < 32)
    SELECT id FROM family";

/// The themes placed at stage `{stage}`: a theme's own stage, else its nearest ancestor's.
const PLACED_SQL: &str = "WITH RECURSIVE up (theme, ancestor, stage, depth) AS (
        SELECT id, parent_id, stage_id, 0 FROM themes
        UNION ALL
        SELECT up.theme, t.parent_id, t.stage_id, up.depth + 1 FROM up JOIN themes t ON t.id = up.ancestor
        WHERE up.stage IS NULL AND up.depth < 32)
    SELECT theme FROM up WHERE stage = {stage}";

/// How a backend reads a drill-down's rows. SQLite's planner cannot tell a theme of three
/// items from one of three hundred thousand, so the caller's count decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemPlan {
    /// From the theme links' index (the matches gathered, then sorted): for counting, and for
    /// pages of few matches, where walking every item in time order to find them would be slow.
    FromLinks,
    /// Walk the items newest first and test each one's links: for pages of many matches,
    /// where the first page is found after a few hundred items.
    InOrder,
}

impl ItemPlan {
    /// At least this many matches make a page read in order.
    pub const IN_ORDER_FROM: u64 = 10_000;

    /// The plan of a page, knowing (or not) how many items match.
    pub fn for_matches(matching: Option<u64>) -> Self {
        match matching {
            Some(n) if n < Self::IN_ORDER_FROM => Self::FromLinks,
            _ => Self::InOrder,
        }
    }
}

/// The conditions of `query` beyond its [`FeedbackFilter`] (which the backend writes), on
/// table `feedback` aliased `f`, each starting with ` AND `; `bind` returns the placeholder of
/// a value it binds, in order.
pub fn item_conditions(
    query: &ItemQuery,
    plan: ItemPlan,
    bind: &mut dyn FnMut(SqlValue) -> String,
) -> String {
    let mut sql = String::new();
    let origin = |bind: &mut dyn FnMut(SqlValue) -> String| match query.origin.stored() {
        Some(origin) => format!(
            " AND ft.origin = {}",
            bind(SqlValue::Text(origin.to_owned()))
        ),
        None => String::new(),
    };
    // A theme link per item counts once: `IN` is a set, `EXISTS` a yes or no.
    let linked = |themes: String, origin: String| match plan {
        ItemPlan::FromLinks => format!(
            " AND f.id IN (SELECT ft.feedback_id FROM feedback_themes ft WHERE ft.theme_id IN ({themes}){origin})"
        ),
        ItemPlan::InOrder => format!(
            " AND EXISTS (SELECT 1 FROM feedback_themes ft WHERE ft.feedback_id = f.id AND ft.theme_id IN ({themes}){origin})"
        ),
    };
    if let Some(theme) = &query.theme {
        let family = FAMILY_SQL.replace("{theme}", &bind(SqlValue::Text(theme.clone())));
        let origin = origin(bind);
        sql.push_str(&linked(family, origin));
    }
    if let Some(stage) = &query.stage {
        let placed = PLACED_SQL.replace("{stage}", &bind(SqlValue::Text(stage.clone())));
        let origin = origin(bind);
        sql.push_str(&linked(placed, origin));
    }
    if let Some(band) = query.band {
        let (low, high) = band.range();
        sql.push_str(&format!(" AND f.nps BETWEEN {low} AND {high}"));
    }
    if let Some(class) = query.sentiment {
        sql.push_str(" AND ");
        sql.push_str(&class.condition());
    }
    match query.suggestion {
        // Written so that SQLite's 0/1 and PostgreSQL's boolean read the same.
        Some(true) => sql.push_str(" AND f.suggestion"),
        Some(false) => sql.push_str(" AND NOT f.suggestion"),
        None => {}
    }
    sql
}

/// The keyset bound and order of a page (after the conditions): `ORDER BY` and `LIMIT` for
/// `at`, newest first, except [`ItemPageAt::Before`] which reads oldest first (the caller
/// reverses the rows). With [`ItemPlan::FromLinks`] the order is written so that no index can
/// give it (`+f.received_at`), which makes SQLite gather the matches first, then sort them.
pub fn page_clause(
    at: ItemPageAt,
    limit: usize,
    plan: ItemPlan,
    bind: &mut dyn FnMut(SqlValue) -> String,
) -> String {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let bound = |op: &str, cursor: ItemCursor, bind: &mut dyn FnMut(SqlValue) -> String| {
        let at = bind(SqlValue::Int(cursor.received_at));
        let id = bind(SqlValue::Int(cursor.id));
        format!(" AND (f.received_at, f.id) {op} ({at}, {id})")
    };
    let sign = match plan {
        ItemPlan::FromLinks => "+",
        ItemPlan::InOrder => "",
    };
    let order = |direction: &str| {
        format!(" ORDER BY {sign}f.received_at {direction}, {sign}f.id {direction} LIMIT {limit}")
    };
    match at {
        ItemPageAt::First => order("DESC"),
        ItemPageAt::After(cursor) => format!("{}{}", bound("<", cursor, bind), order("DESC")),
        ItemPageAt::Before(cursor) => format!("{}{}", bound(">", cursor, bind), order("ASC")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_and_classes_follow_the_textbook_thresholds() {
        let bands: Vec<_> = (0..=10).map(NpsBand::of).collect();
        assert_eq!(bands[6], NpsBand::Detractor);
        assert_eq!(bands[7], NpsBand::Passive);
        assert_eq!(bands[8], NpsBand::Passive);
        assert_eq!(bands[9], NpsBand::Promoter);
        for band in NpsBand::ALL {
            let (low, high) = band.range();
            assert!((low..=high).all(|a| NpsBand::of(a) == band));
        }
        assert_eq!(SentimentClass::of(-0.05), SentimentClass::Negative);
        assert_eq!(SentimentClass::of(-0.049), SentimentClass::Neutral);
        assert_eq!(SentimentClass::of(0.049), SentimentClass::Neutral);
        assert_eq!(SentimentClass::of(0.05), SentimentClass::Positive);
    }

    #[test]
    fn conditions_bind_values_in_order() {
        let query = ItemQuery {
            origin: ThemeOrigin::Rule,
            theme: Some("fees".into()),
            band: Some(NpsBand::Detractor),
            ..ItemQuery::default()
        };
        let mut bound = Vec::new();
        let sql = item_conditions(&query, ItemPlan::FromLinks, &mut |value| {
            bound.push(value);
            format!("${}", bound.len())
        });
        assert!(sql.contains("WHERE id = $1"), "{sql}");
        assert!(sql.contains("ft.origin = $2"), "{sql}");
        assert!(sql.contains("f.nps BETWEEN 0 AND 6"), "{sql}");
        assert_eq!(
            bound,
            [SqlValue::Text("fees".into()), SqlValue::Text("rule".into())]
        );
    }
}
