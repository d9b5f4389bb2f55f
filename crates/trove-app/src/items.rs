//! The drill-down: the items behind a number, from the query every page links with
//! (`/items?from=...&theme=...`), a page at a time, and all of them as CSV.
//!
//! Counting is the store's ([`trove_store::Store::count_items`]): a theme takes its
//! descendants and counts once per item, a stage is the stage its themes are placed at (the
//! theme's own, else its nearest ancestor's, as the room places issues), never the stage a
//! source wrote on the item. Dates are UTC days, `to` exclusive.

use std::collections::{HashMap, HashSet};
use std::fmt;

use jiff::civil::Date;
use trove_domain::{Channel, Journey};
use trove_store::{
    ItemCursor, ItemPageAt, ItemQuery, ListedItem, NpsBand, SentimentClass, StoreError,
    StoreResult, ThemeOrigin,
};

use crate::App;

/// Items on one page.
pub const ITEMS_PAGE: usize = 50;

/// The query names the drill-down understands, in the order links write them.
pub const ITEM_FILTERS: [&str; 12] = [
    "from",
    "to",
    "theme",
    "stage",
    "touchpoint",
    "bu",
    "channel",
    "segment",
    "source",
    "band",
    "sentiment",
    "suggestion",
];

/// A query value the drill-down cannot use, with the field it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemsQueryError {
    /// The query name (`from`, `theme`...).
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for ItemsQueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ItemsQueryError {}

/// Why a drill-down could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ItemsError {
    /// The query is wrong (the person's to fix).
    #[error(transparent)]
    Query(#[from] ItemsQueryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An export could not be written (the disk, or a reader that went away).
    #[error("the export could not be written: {0}")]
    Write(String),
}

fn refuse(field: &str, message: impl Into<String>) -> ItemsQueryError {
    ItemsQueryError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A drill-down request: the filters (checked, in link order) and the page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemsRequest {
    /// The filters as given (non-empty), in the order of [`ITEM_FILTERS`], then `origin`
    /// when not `any`: what links to this same list write.
    pub filters: Vec<(&'static str, String)>,
    /// The store's query.
    pub query: ItemQuery,
    /// Which page.
    pub page: ItemPageAt,
}

impl ItemsRequest {
    /// Parses a query string's pairs. Empty values count as absent; an unknown name, a name
    /// given twice, or a value that does not parse is refused, naming the field.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ItemsQueryError> {
        let mut given: HashMap<&str, &str> = HashMap::new();
        for (name, value) in pairs {
            let known = ITEM_FILTERS
                .iter()
                .chain(&["origin", "after", "before"])
                .find(|known| **known == name.as_str())
                .ok_or_else(|| {
                    refuse(
                        name,
                        format!(
                            "is not a filter of this page (the filters are {}, origin)",
                            ITEM_FILTERS.join(", ")
                        ),
                    )
                })?;
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if given.insert(known, value).is_some() {
                return Err(refuse(name, "is given twice"));
            }
        }
        let mut request = Self::default();
        for name in ITEM_FILTERS.iter().chain(&["origin"]) {
            if let Some(value) = given.get(name) {
                request.set(name, value)?;
            }
        }
        if let (Some(since), Some(until)) = (request.query.filter.since, request.query.filter.until)
            && until <= since
        {
            return Err(refuse(
                "to",
                "must be a day after `from` (`to` is exclusive)",
            ));
        }
        request.page = match (given.get("after"), given.get("before")) {
            (Some(_), Some(_)) => return Err(refuse("before", "cannot be given with `after`")),
            (Some(at), None) => ItemPageAt::After(cursor("after", at)?),
            (None, Some(at)) => ItemPageAt::Before(cursor("before", at)?),
            (None, None) => ItemPageAt::First,
        };
        Ok(request)
    }

    fn set(&mut self, name: &'static str, value: &str) -> Result<(), ItemsQueryError> {
        let query = &mut self.query;
        let text = || Some(value.to_owned());
        match name {
            "from" => query.filter.since = Some(day_start(name, value)?),
            "to" => query.filter.until = Some(day_start(name, value)?),
            "theme" => query.theme = text(),
            "stage" => query.stage = text(),
            "touchpoint" => query.filter.touchpoint = text(),
            "bu" => query.filter.business_unit = text(),
            "segment" => query.filter.segment = text(),
            "source" => query.filter.source = text(),
            "channel" => {
                let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
                let channel = value.parse::<Channel>().map_err(|_| {
                    refuse(
                        name,
                        format!("`{value}` is not a channel (one of {})", names.join(", ")),
                    )
                })?;
                query.filter.channel = Some(channel);
            }
            "band" => {
                query.band = Some(one_of(name, value, &NpsBand::ALL, |b| b.as_str())?);
            }
            "sentiment" => {
                query.sentiment = Some(one_of(name, value, &SentimentClass::ALL, |c| c.as_str())?);
            }
            "suggestion" => {
                let yes_no = |yes: bool| if yes { "yes" } else { "no" };
                query.suggestion = Some(one_of(name, value, &[true, false], yes_no)?);
            }
            "origin" => {
                let origins = [
                    ThemeOrigin::Any,
                    ThemeOrigin::Rule,
                    ThemeOrigin::Source,
                    ThemeOrigin::Model,
                ];
                query.origin = one_of(name, value, &origins, |o| o.stored().unwrap_or("any"))?;
                if query.origin == ThemeOrigin::Any {
                    return Ok(());
                }
            }
            _ => return Ok(()),
        }
        self.filters.push((name, value.to_owned()));
        Ok(())
    }

    /// Limits the request to business unit `unit` (a token limited to one): refused when the
    /// request names another unit.
    pub fn limit_to_business_unit(&mut self, unit: &str) -> Result<(), ItemsQueryError> {
        match self.filter("bu") {
            Some(given) if given == unit => Ok(()),
            Some(given) => Err(refuse(
                "bu",
                format!("this token reads business unit {unit} only, not {given}"),
            )),
            None => self.set("bu", unit),
        }
    }

    /// The value of filter `name`, if given.
    pub fn filter(&self, name: &str) -> Option<&str> {
        self.filters
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn one_of<T: Copy>(
    field: &str,
    value: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, ItemsQueryError> {
    let wanted = value.to_ascii_lowercase();
    all.iter()
        .copied()
        .find(|v| name(*v) == wanted)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            refuse(
                field,
                format!("`{value}` is not one of {}", names.join(", ")),
            )
        })
}

/// Midnight UTC of a `YYYY-MM-DD` day, in unix seconds.
fn day_start(field: &str, value: &str) -> Result<i64, ItemsQueryError> {
    let not_a_date = || refuse(field, format!("{value} is not a date (write YYYY-MM-DD)"));
    if value.len() != 10 {
        return Err(not_a_date());
    }
    let day: Date = value.parse().map_err(|_| not_a_date())?;
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|zoned| zoned.timestamp().as_second())
        .map_err(|_| not_a_date())
}

fn cursor(field: &str, value: &str) -> Result<ItemCursor, ItemsQueryError> {
    let bad = || refuse(field, format!("`{value}` is not a position in this list"));
    let (at, id) = value.split_once('.').ok_or_else(bad)?;
    Ok(ItemCursor {
        received_at: at.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

/// A page position as the query writes it (`after=` / `before=`).
pub fn cursor_text(cursor: ItemCursor) -> String {
    format!("{}.{}", cursor.received_at, cursor.id)
}

/// One page of a drill-down, ready to show.
#[derive(Debug, Clone)]
pub struct ItemsPage {
    /// Matching items in all.
    pub count: u64,
    /// What is listed, in words, without the count ("mentioning Claim payout delay, business
    /// unit Motor, 2025-07-01 to 2025-12-31").
    pub description: String,
    /// The active filters, each with how it reads ("Theme: Claim payout delay").
    pub active: Vec<ActiveFilter>,
    /// The page's items, newest first.
    pub items: Vec<ItemView>,
    /// The position to read the next (older) page after, if there is one.
    pub next: Option<ItemCursor>,
    /// The position to read the previous (newer) page before, if there is one.
    pub previous: Option<ItemCursor>,
}

/// A filter in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveFilter {
    /// Its query name.
    pub name: &'static str,
    /// How it reads: "Business unit: Motor".
    pub label: String,
}

/// An item as the drill-down shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemView {
    /// The store's id.
    pub id: i64,
    /// Received, as the source wrote it: `2025-03-01 14:00 +02:00`.
    pub received: String,
    /// Received, RFC 3339 with the source's offset.
    pub received_iso: String,
    /// Channel name.
    pub channel: &'static str,
    /// Source name.
    pub source: String,
    /// Its id in the source.
    pub external_id: String,
    /// Business unit.
    pub business_unit: Option<String>,
    /// Touchpoint (its name in the journey when known).
    pub touchpoint: Option<String>,
    /// Journey stage: the touchpoint's stage, else the one the source gave, else the stage
    /// of its first placed theme.
    pub stage: Option<String>,
    /// The customer.
    pub customer: Option<String>,
    /// NPS answer.
    pub nps: Option<u8>,
    /// CSAT answer.
    pub csat: Option<u8>,
    /// CES answer.
    pub ces: Option<u8>,
    /// The scores in words ("detractor (NPS 3)", "CSAT 4 of 5").
    pub scores_words: Vec<String>,
    /// The text's sentiment.
    pub sentiment: Option<f32>,
    /// The sentiment in words ("negative").
    pub sentiment_word: Option<&'static str>,
    /// Whether the text is a suggestion (the stored flag).
    pub suggestion: bool,
    /// Its themes (id, name).
    pub themes: Vec<(String, String)>,
    /// The text in parts, the matched phrases marked.
    pub text: Vec<TextPart>,
    /// The whole text.
    pub full_text: String,
}

/// A run of an item's text, marked when a rule matched there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPart {
    /// The text.
    pub text: String,
    /// Whether it is a matched phrase.
    pub marked: bool,
}

/// Splits `text` into runs, marking the byte spans given (overlapping or touching spans are
/// merged; spans outside the text or not on character boundaries are ignored).
pub fn highlight(text: &str, spans: &[(usize, usize)]) -> Vec<TextPart> {
    let mut valid: Vec<(usize, usize)> = spans
        .iter()
        .copied()
        .filter(|&(s, e)| {
            s < e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
        })
        .collect();
    valid.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in valid {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut parts = Vec::new();
    let mut at = 0;
    for (s, e) in merged {
        if s > at {
            parts.push(TextPart {
                text: text[at..s].to_owned(),
                marked: false,
            });
        }
        parts.push(TextPart {
            text: text[s..e].to_owned(),
            marked: true,
        });
        at = e;
    }
    if at < text.len() || parts.is_empty() {
        parts.push(TextPart {
            text: text[at..].to_owned(),
            marked: false,
        });
    }
    parts
}

/// What the drill-down knows of themes and the journey, to name things and place items.
pub(crate) struct Names {
    /// Theme id -> (name, parent, own stage).
    themes: HashMap<String, (String, Option<String>, Option<String>)>,
    journey: Option<Journey>,
}

impl Names {
    pub(crate) fn load(app: &App) -> StoreResult<Self> {
        let themes = app
            .store()
            .theme_records()?
            .into_iter()
            .map(|stored| {
                let t = stored.theme;
                (
                    t.id.as_str().to_owned(),
                    (
                        t.name.as_str().to_owned(),
                        t.parent.map(|p| p.as_str().to_owned()),
                        t.stage.map(|s| s.as_str().to_owned()),
                    ),
                )
            })
            .collect();
        Ok(Self {
            themes,
            journey: app.store().journey()?,
        })
    }

    fn theme_name(&self, id: &str) -> String {
        self.themes
            .get(id)
            .map_or_else(|| id.to_owned(), |(name, _, _)| name.clone())
    }

    /// The theme's stage, or its nearest ancestor's.
    fn placed_stage(&self, theme: &str) -> Option<&str> {
        let mut current = theme;
        for _ in 0..=self.themes.len() {
            let (_, parent, stage) = self.themes.get(current)?;
            if let Some(stage) = stage {
                return Some(stage);
            }
            current = parent.as_deref()?;
        }
        None
    }

    /// `theme` and its descendants.
    fn family(&self, theme: &str) -> HashSet<String> {
        let mut family = HashSet::from([theme.to_owned()]);
        loop {
            let before = family.len();
            for (id, (_, parent, _)) in &self.themes {
                if parent.as_ref().is_some_and(|p| family.contains(p)) {
                    family.insert(id.clone());
                }
            }
            if family.len() == before {
                return family;
            }
        }
    }

    fn stage_name(&self, id: &str) -> String {
        self.journey
            .iter()
            .flat_map(|j| j.stages())
            .find(|s| s.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |s| s.name.as_str().to_owned())
    }

    fn touchpoint_name(&self, id: &str) -> String {
        self.journey
            .iter()
            .flat_map(|j| j.stages())
            .flat_map(|s| &s.touchpoints)
            .find(|t| t.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |t| t.name.as_str().to_owned())
    }

    fn is_stage(&self, id: &str) -> bool {
        self.journey
            .iter()
            .flat_map(|j| j.stages())
            .any(|s| s.id.as_str() == id)
            || self
                .themes
                .values()
                .any(|(_, _, s)| s.as_deref() == Some(id))
    }
}

impl App {
    /// Checks that the request's theme and stage exist (an unknown one would list nothing and
    /// look like a real zero).
    pub fn check_items_request(&self, request: &ItemsRequest) -> Result<(), ItemsError> {
        let names = Names::load(self)?;
        Ok(self.check_names(request, &names)?)
    }

    pub(crate) fn check_names(
        &self,
        request: &ItemsRequest,
        names: &Names,
    ) -> Result<(), ItemsQueryError> {
        if let Some(theme) = &request.query.theme
            && !names.themes.contains_key(theme)
        {
            return Err(refuse("theme", format!("no theme has the id `{theme}`")));
        }
        if let Some(stage) = &request.query.stage
            && !names.is_stage(stage)
        {
            return Err(refuse(
                "stage",
                format!("no journey stage has the id `{stage}`"),
            ));
        }
        Ok(())
    }

    /// How many items `query` matches: counted once per version of the data, then read from
    /// memory (paging through a drill-down, and every link to the same number, ask again).
    pub(crate) fn item_count(&self, query: &ItemQuery) -> Result<u64, ItemsError> {
        let version = self.store().data_version()?;
        let key = format!("{query:?} {version}");
        if let Some(count) = self.item_counts.get(&key) {
            return Ok(count);
        }
        let count = self.store().count_items(query)?;
        self.item_counts.put(key, count);
        Ok(count)
    }

    /// One page of the drill-down of `request`, with the count and the words for it.
    pub fn items_page(&self, request: &ItemsRequest) -> Result<ItemsPage, ItemsError> {
        self.items_page_of(request, ITEMS_PAGE)
    }

    /// A page of `size` items of the drill-down of `request` (the API asks for its own sizes).
    pub fn items_page_of(
        &self,
        request: &ItemsRequest,
        size: usize,
    ) -> Result<ItemsPage, ItemsError> {
        let names = Names::load(self)?;
        self.check_names(request, &names)?;
        let store = self.store();
        let count = self.item_count(&request.query)?;
        // One more than a page tells whether another page follows in the direction read.
        let mut items = store.list_items(&request.query, request.page, size + 1, Some(count))?;
        let more = items.len() > size;
        let (next, previous) = match request.page {
            ItemPageAt::Before(_) => {
                if more {
                    items.remove(0);
                }
                (
                    items.last().map(ListedItem::cursor),
                    more.then(|| items.first().map(ListedItem::cursor))
                        .flatten(),
                )
            }
            ItemPageAt::First | ItemPageAt::After(_) => {
                items.truncate(size);
                let next = more.then(|| items.last().map(ListedItem::cursor)).flatten();
                let previous = matches!(request.page, ItemPageAt::After(_))
                    .then(|| items.first().map(ListedItem::cursor))
                    .flatten();
                (next, previous)
            }
        };
        let marked = request.query.theme.as_deref().map(|t| names.family(t));
        Ok(ItemsPage {
            count,
            description: describe(request, &names),
            active: active_filters(request, &names),
            items: items
                .iter()
                .map(|item| view(item, &names, marked.as_ref()))
                .collect(),
            next,
            previous,
        })
    }
}

/// An item as the drill-down shows it, its matched phrases marked when `marked` holds their theme.
pub(crate) fn view(item: &ListedItem, names: &Names, marked: Option<&HashSet<String>>) -> ItemView {
    let f = &item.feedback.item;
    let offset = jiff::tz::Offset::from_seconds(f.received_at.offset_seconds())
        .unwrap_or(jiff::tz::Offset::UTC);
    let local = f.received_at.timestamp().to_zoned(offset.to_time_zone());
    let label = |l: &Option<trove_domain::Label>| l.as_ref().map(|l| l.as_str().to_owned());
    let touchpoint_stage = f.touchpoint.as_ref().and_then(|t| {
        names
            .journey
            .as_ref()
            .and_then(|j| j.stage_of_touchpoint(t.as_str()))
            .map(|s| s.name.as_str().to_owned())
    });
    let stage = touchpoint_stage
        .or_else(|| {
            f.journey_stage
                .as_ref()
                .map(|s| names.stage_name(s.as_str()))
        })
        .or_else(|| {
            item.themes
                .iter()
                .find_map(|t| names.placed_stage(t))
                .map(|s| names.stage_name(s))
        });
    let spans: Vec<(usize, usize)> = item
        .spans
        .iter()
        .filter(|s| marked.is_none_or(|family| family.contains(&s.theme)))
        .map(|s| (s.start as usize, s.end as usize))
        .collect();
    let mut scores_words = Vec::new();
    if let Some(nps) = f.scores.nps {
        let band = NpsBand::of(nps.value()).as_str();
        scores_words.push(format!("{band} (NPS {})", nps.value()));
    }
    if let Some(csat) = f.scores.csat {
        scores_words.push(format!(
            "CSAT {} of {}",
            csat.value(),
            trove_domain::Csat::MAX
        ));
    }
    if let Some(ces) = f.scores.ces {
        scores_words.push(format!(
            "effort {} of {}",
            ces.value(),
            trove_domain::Ces::MAX
        ));
    }
    ItemView {
        id: item.feedback.id,
        received: local.strftime("%Y-%m-%d %H:%M %:z").to_string(),
        received_iso: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        channel: f.channel.as_str(),
        source: f.source.as_str().to_owned(),
        external_id: f.external_id.as_str().to_owned(),
        business_unit: label(&f.business_unit),
        touchpoint: f
            .touchpoint
            .as_ref()
            .map(|t| names.touchpoint_name(t.as_str())),
        stage,
        customer: f.customer_id.as_ref().map(|c| c.as_str().to_owned()),
        nps: f.scores.nps.map(|s| s.value()),
        csat: f.scores.csat.map(|s| s.value()),
        ces: f.scores.ces.map(|s| s.value()),
        scores_words,
        sentiment: f.sentiment,
        sentiment_word: f.sentiment.map(|s| SentimentClass::of(s).as_str()),
        suggestion: f.suggestion,
        themes: item
            .themes
            .iter()
            .map(|t| (t.clone(), names.theme_name(t)))
            .collect(),
        text: highlight(f.text.as_str(), &spans),
        full_text: f.text.as_str().to_owned(),
    }
}

/// The last day before `to` (exclusive), as a date.
fn last_day(until: i64) -> String {
    jiff::Timestamp::from_second(until - 86_400)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn band_words(band: &str) -> &'static str {
    match band {
        "promoter" => "promoters (NPS 9-10)",
        "passive" => "passives (NPS 7-8)",
        _ => "detractors (NPS 0-6)",
    }
}

/// Each filter as it reads in a sentence and on its own.
fn filter_words(name: &str, value: &str, names: &Names) -> (String, String) {
    match name {
        "theme" => {
            let theme = names.theme_name(value);
            (format!("mentioning {theme}"), format!("Theme: {theme}"))
        }
        "stage" => {
            let stage = names.stage_name(value);
            (format!("at stage {stage}"), format!("Stage: {stage}"))
        }
        "touchpoint" => {
            let touchpoint = names.touchpoint_name(value);
            (
                format!("touchpoint {touchpoint}"),
                format!("Touchpoint: {touchpoint}"),
            )
        }
        "bu" => (
            format!("business unit {value}"),
            format!("Business unit: {value}"),
        ),
        "channel" => (format!("channel {value}"), format!("Channel: {value}")),
        "segment" => (format!("segment {value}"), format!("Segment: {value}")),
        "source" => (format!("source {value}"), format!("Source: {value}")),
        "band" => (
            format!("from {}", band_words(value)),
            format!("Score: {}", band_words(value)),
        ),
        "sentiment" => (
            format!("with {value} sentiment"),
            format!("Sentiment: {value}"),
        ),
        "suggestion" if value.eq_ignore_ascii_case("yes") => (
            "that are suggestions".to_owned(),
            "Suggestions only".to_owned(),
        ),
        "suggestion" => (
            "that are not suggestions".to_owned(),
            "Not suggestions".to_owned(),
        ),
        "origin" => (
            format!("themes found by {value} only"),
            format!("Themes found by: {value}"),
        ),
        _ => (value.to_owned(), value.to_owned()),
    }
}

fn period_words(request: &ItemsRequest) -> Option<String> {
    let from = request.filter("from");
    let to = request.query.filter.until.map(last_day);
    match (from, to) {
        (Some(from), Some(to)) => Some(format!("{from} to {to}")),
        (Some(from), None) => Some(format!("since {from}")),
        (None, Some(to)) => Some(format!("up to {to}")),
        (None, None) => None,
    }
}

/// What is listed, in words: "mentioning Claim payout delay, business unit Motor,
/// 2025-07-01 to 2025-12-31" (empty without filters).
fn describe(request: &ItemsRequest, names: &Names) -> String {
    let mut parts: Vec<String> = request
        .filters
        .iter()
        .filter(|(name, _)| !matches!(*name, "from" | "to"))
        .map(|(name, value)| filter_words(name, value, names).0)
        .collect();
    parts.extend(period_words(request));
    parts.join(", ")
}

fn active_filters(request: &ItemsRequest, names: &Names) -> Vec<ActiveFilter> {
    request
        .filters
        .iter()
        .map(|(name, value)| ActiveFilter {
            name,
            label: match *name {
                "from" => format!("From {value}"),
                "to" => format!(
                    "Up to {}",
                    request.query.filter.until.map(last_day).unwrap_or_default()
                ),
                _ => filter_words(name, value, names).1,
            },
        })
        .collect()
}

/// A file name naming the filter and ending in `extension`:
/// `trove-items-claim-payout-delay-bu-motor-2025-07-01-to-2026-01-01.csv`.
pub fn export_file_name(request: &ItemsRequest, extension: &str) -> String {
    let mut name = String::from("trove-items");
    for (field, value) in &request.filters {
        let label = match *field {
            "theme" | "stage" | "band" | "sentiment" | "channel" => value.clone(),
            other => format!("{other}-{value}"),
        };
        name.push('-');
        name.push_str(&label);
    }
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(120).collect();
    format!("{slug}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    fn error(raw: &[(&str, &str)]) -> String {
        ItemsRequest::parse(&pairs(raw)).unwrap_err().to_string()
    }

    #[test]
    fn bad_values_are_refused_naming_the_field() {
        assert_eq!(
            error(&[("from", "2026-13-01")]),
            "from: 2026-13-01 is not a date (write YYYY-MM-DD)"
        );
        assert!(error(&[("to", "yesterday")]).starts_with("to: yesterday is not a date"));
        assert!(error(&[("band", "fans")]).starts_with("band: `fans` is not one of promoter"));
        assert!(error(&[("sentiment", "angry")]).starts_with("sentiment: "));
        assert_eq!(
            error(&[("suggestion", "maybe")]),
            "suggestion: `maybe` is not one of yes, no"
        );
        assert!(error(&[("channel", "pigeon")]).starts_with("channel: `pigeon` is not a channel"));
        assert!(error(&[("origin", "magic")]).starts_with("origin: "));
        assert!(error(&[("colour", "red")]).starts_with("colour: is not a filter"));
        assert_eq!(
            error(&[("theme", "a"), ("theme", "b")]),
            "theme: is given twice"
        );
        assert!(
            error(&[("from", "2025-02-01"), ("to", "2025-02-01")])
                .starts_with("to: must be a day after")
        );
        assert!(error(&[("after", "x")]).starts_with("after: "));
    }

    #[test]
    fn a_query_becomes_the_store_query_in_link_order() {
        #[allow(clippy::unwrap_used)]
        let request = ItemsRequest::parse(&pairs(&[
            ("theme", "claim-delay"),
            ("from", "2025-07-01"),
            ("to", "2026-01-01"),
            ("bu", "Motor"),
            ("band", "Detractor"),
            ("suggestion", "Yes"),
            ("segment", ""),
            ("origin", "any"),
            ("after", "1750000000.42"),
        ]))
        .unwrap();
        assert_eq!(request.query.filter.since, Some(1_751_328_000));
        assert_eq!(request.query.filter.until, Some(1_767_225_600));
        assert_eq!(request.query.band, Some(NpsBand::Detractor));
        assert_eq!(request.query.suggestion, Some(true));
        assert_eq!(request.query.filter.segment, None);
        let names: Vec<&str> = request.filters.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["from", "to", "theme", "bu", "band", "suggestion"]);
        assert_eq!(
            request.page,
            ItemPageAt::After(ItemCursor {
                received_at: 1_750_000_000,
                id: 42
            })
        );
        assert_eq!(last_day(1_767_225_600), "2025-12-31");
        assert_eq!(
            export_file_name(&request, "csv"),
            "trove-items-from-2025-07-01-to-2026-01-01-claim-delay-bu-motor-detractor-suggestion-yes.csv"
        );
    }

    #[test]
    fn matched_phrases_are_marked_once_even_when_spans_overlap() {
        let parts = highlight("A surprise fee on my bill", &[(2, 14), (11, 14), (21, 25)]);
        let shown: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.marked)).collect();
        assert_eq!(
            shown,
            [
                ("A ", false),
                ("surprise fee", true),
                (" on my ", false),
                ("bill", true)
            ]
        );
        // A span cutting a character in two is ignored rather than breaking the text.
        let parts = highlight("café", &[(0, 4)]);
        assert_eq!(parts.len(), 1);
        assert!(!parts[0].marked);
    }

    #[test]
    fn the_thresholds_agree_with_the_analysis() {
        assert!((trove_store::NEGATIVE_SENTIMENT - crate::NEGATIVE_SENTIMENT).abs() < f32::EPSILON);
    }
}
