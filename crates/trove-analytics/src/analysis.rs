//! The chronic analysis of a whole data set: one pass over compact item facts, then every
//! theme's window statistics, alerts, impact, revenue at risk and ranking.
//!
//! Items are first collected into [`Facts`], a compact in-memory table (strings interned, about
//! 40 bytes an item plus its theme ids), because the window of the analysis (the last complete
//! periods) is known only once every item has been seen, and distinct customers over a window
//! cannot be added up from per-period counts.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use trove_domain::{Money, ScoreTally, Scores, ThemeKind};

use crate::chronic::{ChronicParams, ChronicScore, ThemeWindow, rank_themes};
use crate::drivers::{DriverParams, DriverReport, Responses, driver_report};
use crate::impact::{PARETO_CUTOFF, ParetoLine, csat_impact, nps_impact, pareto};
use crate::revenue::revenue_at_risk;
use crate::scores::{ScoreKind, compare_csat, compare_nps};
use crate::spikes::{Alert, SpikeParams, detect_shifts, detect_spikes};
use crate::trend::{PeriodKind, PeriodTotal, SharePoint, period_index, period_label, share};

/// One item as the analysis needs it.
#[derive(Debug, Clone, Copy)]
pub struct ItemFacts<'a> {
    /// Received time, unix seconds.
    pub received_at: i64,
    /// The customer, when known.
    pub customer: Option<&'a str>,
    /// The channel.
    pub channel: &'a str,
    /// The business unit, when known.
    pub business_unit: Option<&'a str>,
    /// The touchpoint, when known.
    pub touchpoint: Option<&'a str>,
    /// The scores.
    pub scores: Scores,
    /// Whether the customer was negative here (a detractor, a CSAT of 1-2...): counts towards
    /// revenue at risk.
    pub negative: bool,
    /// The sentiment of its words (-1..1), when scored.
    pub sentiment: Option<f32>,
}

/// Strings stored once, referred to by index. Looked up by FxHash: every item of an analysis
/// looks up four to six names, and the keys are the data's own (no untrusted flooding).
///
/// Among many names (customers: 200,000 of them), a short one is keyed by its bytes held in
/// the table itself ([`Interner::for_many`]), so a lookup compares in place instead of following
/// a pointer to a string elsewhere in memory (a cache miss per item). Among few names (themes,
/// channels, units: the table stays in cache) building that fixed-width key costs more than it
/// saves, so they are keyed by the text ([`Interner::default`]): 17 ns a lookup instead of 34-39
/// over the 40 theme ids of the real texts (a throwaway micro-benchmark).
#[derive(Debug, Default)]
struct Interner {
    /// Whether short names are keyed in place (`short`); otherwise every name is in `long`.
    in_place: bool,
    short: FxHashMap<ShortName, u32>,
    long: FxHashMap<String, u32>,
    names: Vec<String>,
}

/// A name of up to 23 bytes, padded with zeros, its length in the last byte.
type ShortName = [u8; 24];

fn short_name(name: &str) -> Option<ShortName> {
    let bytes = name.as_bytes();
    let mut key: ShortName = [0; 24];
    if bytes.len() >= key.len() {
        return None;
    }
    key[..bytes.len()].copy_from_slice(bytes);
    key[23] = bytes.len() as u8;
    Some(key)
}

impl Interner {
    /// An interner for many names, short ones keyed in place.
    fn for_many() -> Self {
        Self {
            in_place: true,
            ..Self::default()
        }
    }

    /// The in-place key of `name`, when this interner keys it so.
    fn in_place_key(&self, name: &str) -> Option<ShortName> {
        if self.in_place {
            short_name(name)
        } else {
            None
        }
    }

    /// The index of `name`; 0 stands for "none", so real names start at 1.
    fn id(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name else { return 0 };
        let next = self.names.len() as u32 + 1;
        let id = match self.in_place_key(name) {
            Some(key) => *self.short.entry(key).or_insert(next),
            None => match self.long.get(name) {
                Some(&id) => id,
                None => *self.long.entry(name.to_owned()).or_insert(next),
            },
        };
        if id == next {
            self.names.push(name.to_owned());
        }
        id
    }

    /// The index of `name` when interned.
    fn find(&self, name: &str) -> Option<u32> {
        match self.in_place_key(name) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(name).copied(),
        }
    }

    /// For each of `other`'s ids (index 0 is "none"), its id here, interning the names new
    /// here in `other`'s order: appending the items of a later part of the data then interns
    /// exactly as reading them one after another would have.
    fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        std::iter::once(0)
            .chain(other.names.iter().map(|name| self.id(Some(name))))
            .collect()
    }

    fn name(&self, id: u32) -> Option<&str> {
        id.checked_sub(1)
            .and_then(|i| self.names.get(i as usize))
            .map(String::as_str)
    }
}

/// A set of interned customer ids: a hash set while it holds few of the ids its range spans,
/// then one bit per id. Adding a customer to a big theme's set is then a bit set, not a hash
/// insert (a million items make millions of them), and no set costs more than a hash set of
/// its customers would: bits cost an eighth of a byte per id up to the largest, so a set turns
/// to bits only once it holds one id in 64 of that range (a hash set spends about 8 bytes an
/// id), and back when it would hold fewer than one in 128. A theme few customers mention stays
/// small however many customers the data has.
#[derive(Debug, Clone, Default)]
struct CustomerSet {
    /// The ids, until the set turns to bits.
    sparse: FxHashSet<u32>,
    /// One bit per id, once the set turned to bits (`dense`).
    words: Vec<u64>,
    dense: bool,
    /// The largest id added.
    max: u32,
    len: u64,
}

impl CustomerSet {
    /// Adds `id`; true when it was not in the set yet.
    fn insert(&mut self, id: u32) -> bool {
        let (word, bit) = ((id / 64) as usize, id % 64);
        // Bits up to an id far beyond the set's would cost more than a hash set: back to one
        // when they would take 16 bytes an id (twice the turning point, so that a set growing
        // at about that density does not turn back and forth).
        if self.dense && word >= self.words.len() && word as u64 >= 2 * self.len {
            self.turn_sparse();
        }
        let added = if self.dense {
            if word >= self.words.len() {
                self.words.resize(word + 1, 0);
            }
            let added = self.words[word] & (1 << bit) == 0;
            self.words[word] |= 1 << bit;
            added
        } else {
            self.sparse.insert(id)
        };
        if added {
            self.len += 1;
            self.max = self.max.max(id);
            if !self.dense && self.len * 64 > u64::from(self.max) {
                self.turn_dense();
            }
        }
        added
    }

    fn turn_dense(&mut self) {
        self.words = vec![0; self.max as usize / 64 + 1];
        for id in std::mem::take(&mut self.sparse) {
            self.words[(id / 64) as usize] |= 1 << (id % 64);
        }
        self.dense = true;
    }

    fn turn_sparse(&mut self) {
        self.sparse = self.ids().into_iter().collect();
        self.words = Vec::new();
        self.dense = false;
    }

    /// Distinct ids added.
    fn len(&self) -> u64 {
        self.len
    }

    /// Empties the set, clearing only the words that hold `ids` (those added since it was
    /// last empty), not every word.
    fn clear_of(&mut self, ids: impl IntoIterator<Item = u32>) {
        if self.dense {
            for id in ids {
                if let Some(word) = self.words.get_mut((id / 64) as usize) {
                    *word = 0;
                }
            }
        } else {
            self.sparse.clear();
        }
        self.len = 0;
    }

    /// The ids in the set, in increasing order.
    fn ids(&self) -> Vec<u32> {
        if !self.dense {
            let mut ids: Vec<u32> = self.sparse.iter().copied().collect();
            ids.sort_unstable();
            return ids;
        }
        let mut ids = Vec::with_capacity(self.len as usize);
        for (w, &word) in self.words.iter().enumerate() {
            ids.extend(
                (0..64)
                    .filter(|bit| word & (1 << bit) != 0)
                    .map(|bit| w as u32 * 64 + bit),
            );
        }
        ids
    }

    /// Bytes held (for the test of its bound).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.words.capacity() * 8 + self.sparse.capacity() * 5
    }
}

#[derive(Debug, Clone, Copy)]
struct Fact {
    received_at: i64,
    customer: u32,
    channel: u32,
    business_unit: u32,
    touchpoint: u32,
    scores: Scores,
    negative: bool,
    /// NaN when not scored (keeps the fact small and `Copy`).
    sentiment: f32,
    themes_start: u32,
    themes_len: u16,
}

/// The items of a data set, compactly, ready to analyse.
#[derive(Debug)]
pub struct Facts {
    facts: Vec<Fact>,
    theme_ids: Vec<u32>,
    /// Aligned with `theme_ids`: the mention's sentiment, NaN when not scored.
    theme_sentiments: Vec<f32>,
    customers: Interner,
    categories: Interner,
    themes: Interner,
    /// What the taxonomy says a theme is; absent: a problem.
    kinds: FxHashMap<String, ThemeKind>,
}

impl Default for Facts {
    fn default() -> Self {
        Self {
            facts: Vec::new(),
            theme_ids: Vec::new(),
            theme_sentiments: Vec::new(),
            customers: Interner::for_many(),
            categories: Interner::default(),
            themes: Interner::default(),
            kinds: FxHashMap::default(),
        }
    }
}

impl Facts {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one item with its themes (each once), each with the sentiment of the sentences
    /// that mention it (`None`: not scored).
    pub fn push<'t>(
        &mut self,
        item: &ItemFacts<'_>,
        themes: impl IntoIterator<Item = (&'t str, Option<f32>)>,
    ) {
        let themes_start = self.theme_ids.len() as u32;
        for (theme, mention) in themes {
            let id = self.themes.id(Some(theme));
            self.theme_ids.push(id);
            self.theme_sentiments.push(mention.unwrap_or(f32::NAN));
        }
        let themes_len = self.theme_ids.len() - themes_start as usize;
        self.facts.push(Fact {
            received_at: item.received_at,
            customer: self.customers.id(item.customer),
            channel: self.categories.id(Some(item.channel)),
            business_unit: self.categories.id(item.business_unit),
            touchpoint: self.categories.id(item.touchpoint),
            scores: item.scores,
            negative: item.negative,
            sentiment: item.sentiment.unwrap_or(f32::NAN),
            themes_start,
            themes_len: themes_len.min(usize::from(u16::MAX)) as u16,
        });
    }

    /// Appends the items of `later` (read from a later part of the data, in id order) after
    /// these: the result equals reading both parts into one table one after the other, names
    /// interned in the same order, so that parts read side by side analyse identically.
    pub fn append(&mut self, later: Facts) {
        let customers = self.customers.absorb(&later.customers);
        let categories = self.categories.absorb(&later.categories);
        let themes = self.themes.absorb(&later.themes);
        let offset = self.theme_ids.len() as u32;
        self.theme_ids
            .extend(later.theme_ids.iter().map(|&t| themes[t as usize]));
        self.theme_sentiments.extend(later.theme_sentiments);
        self.facts.extend(later.facts.iter().map(|fact| Fact {
            customer: customers[fact.customer as usize],
            channel: categories[fact.channel as usize],
            business_unit: categories[fact.business_unit as usize],
            touchpoint: categories[fact.touchpoint as usize],
            themes_start: fact.themes_start + offset,
            ..*fact
        }));
        self.kinds.extend(later.kinds);
    }

    /// Records what the taxonomy says `theme` is (praise, a suggestion...).
    pub fn set_kind(&mut self, theme: &str, kind: ThemeKind) {
        self.kinds.insert(theme.to_owned(), kind);
    }

    /// Items added.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// True when no item was added.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    fn themes_of(&self, fact: &Fact) -> &[u32] {
        let start = fact.themes_start as usize;
        &self.theme_ids[start..start + usize::from(fact.themes_len)]
    }

    /// The mention sentiments of an item's themes (NaN: not scored), aligned with
    /// [`Facts::themes_of`].
    fn theme_sentiments_of(&self, fact: &Fact) -> &[f32] {
        let start = fact.themes_start as usize;
        &self.theme_sentiments[start..start + usize::from(fact.themes_len)]
    }

    /// Items per period, dense from the first to the last period with items.
    pub fn totals(&self, kind: PeriodKind) -> Vec<PeriodTotal> {
        let mut by_period: BTreeMap<i64, u64> = BTreeMap::new();
        for fact in &self.facts {
            *by_period
                .entry(period_index(fact.received_at, kind))
                .or_default() += 1;
        }
        let (Some(&first), Some(&last)) = (by_period.keys().next(), by_period.keys().next_back())
        else {
            return Vec::new();
        };
        (first..=last)
            .map(|period| PeriodTotal {
                period,
                items: by_period.get(&period).copied().unwrap_or(0),
            })
            .collect()
    }

    /// A theme's share series over `totals` (every period, zero where absent).
    pub fn series(&self, theme: &str, kind: PeriodKind, totals: &[PeriodTotal]) -> Vec<SharePoint> {
        let Some(wanted) = self.themes.find(theme) else {
            return totals.iter().map(|t| empty_point(*t)).collect();
        };
        let Some(first) = totals.first().map(|t| t.period) else {
            return Vec::new();
        };
        let mut points: Vec<SharePoint> = totals.iter().map(|t| empty_point(*t)).collect();
        let mut customers: Vec<FxHashSet<u32>> = vec![FxHashSet::default(); points.len()];
        for fact in &self.facts {
            if !self.themes_of(fact).contains(&wanted) {
                continue;
            }
            let slot = period_index(fact.received_at, kind) - first;
            let Some(slot) = usize::try_from(slot).ok().filter(|s| *s < points.len()) else {
                continue;
            };
            points[slot].count += 1;
            points[slot].tally.add(&fact.scores);
            if fact.customer != 0 {
                customers[slot].insert(fact.customer);
            }
        }
        for (point, seen) in points.iter_mut().zip(customers) {
            point.customers = seen.len() as u64;
            point.share = share(point.count, point.total);
        }
        points
    }

    /// Every theme's share series over `totals`, in one pass over the items: the same as
    /// [`Facts::series`] for each of [`Facts::theme_names`], keyed by theme id.
    pub fn series_all(
        &self,
        kind: PeriodKind,
        totals: &[PeriodTotal],
    ) -> Vec<(String, Vec<SharePoint>)> {
        let Some(first) = totals.first().map(|t| t.period) else {
            return self
                .themes
                .names
                .iter()
                .map(|name| (name.clone(), Vec::new()))
                .collect();
        };
        let empty: Vec<SharePoint> = totals.iter().map(|t| empty_point(*t)).collect();
        let themes = self.themes.names.len();
        let mut points: Vec<Vec<SharePoint>> = vec![empty; themes];
        // (customer, theme index) of each link, by period: a theme's distinct customers of a
        // period are then counted as one set of bits, emptied before the next period.
        let mut links: Vec<Vec<(u32, u32)>> = vec![Vec::new(); totals.len()];
        for fact in &self.facts {
            let slot = period_index(fact.received_at, kind) - first;
            let Some(slot) = usize::try_from(slot).ok().filter(|s| *s < totals.len()) else {
                continue;
            };
            let themes = self.themes_of(fact);
            for (i, &theme) in themes.iter().enumerate() {
                // An item counts once per theme, however often it names it.
                if themes[..i].contains(&theme) {
                    continue;
                }
                // Interned ids start at 1.
                let index = theme - 1;
                let point = &mut points[index as usize][slot];
                point.count += 1;
                point.tally.add(&fact.scores);
                if fact.customer != 0 {
                    links[slot].push((fact.customer, index));
                }
            }
        }
        let mut seen: Vec<CustomerSet> = vec![CustomerSet::default(); themes];
        for (slot, links) in links.iter().enumerate() {
            for &(customer, theme) in links {
                if seen[theme as usize].insert(customer) {
                    points[theme as usize][slot].customers += 1;
                }
            }
            for &(customer, theme) in links {
                seen[theme as usize].clear_of([customer]);
            }
        }
        for series in &mut points {
            for point in series {
                point.share = share(point.count, point.total);
            }
        }
        let mut all: Vec<(String, Vec<SharePoint>)> = Vec::with_capacity(themes);
        for (name, series) in self.themes.names.iter().zip(points) {
            all.push((name.clone(), series));
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Every theme id seen, sorted.
    pub fn theme_names(&self) -> Vec<String> {
        let mut names = self.themes.names.clone();
        names.sort();
        names
    }
}

fn empty_point(total: PeriodTotal) -> SharePoint {
    SharePoint {
        period: total.period,
        count: 0,
        total: total.items,
        share: 0.0,
        customers: 0,
        tally: ScoreTally::default(),
    }
}

/// How to analyse, with documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnalysisParams {
    /// Period of trends and persistence (default months).
    pub period: PeriodKind,
    /// Periods in the window (default 6: the last 6 complete months).
    pub window: usize,
    /// End of the window (exclusive, unix seconds); default: the end of the last complete
    /// period, where a last period with less than half the median volume of the others is
    /// taken as incomplete and left out (unless `include_partial`).
    pub until: Option<i64>,
    /// Keep a trailing period that looks incomplete (default false: it is left out, and named
    /// in [`Analysis::left_out`]).
    pub include_partial: bool,
    /// Chronic thresholds.
    pub chronic: ChronicParams,
    /// Spike and shift detection.
    pub spikes: SpikeParams,
    /// Key-driver analysis.
    pub drivers: DriverParams,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        Self {
            period: PeriodKind::Month,
            window: 6,
            until: None,
            include_partial: false,
            chronic: ChronicParams::default(),
            spikes: SpikeParams::default(),
            drivers: DriverParams::default(),
        }
    }
}

/// The result of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Parameters used.
    pub params: AnalysisParams,
    /// The window's periods with their item counts.
    #[serde(skip)]
    pub window: Vec<PeriodTotal>,
    /// The window's periods by name with their item counts, as JSON shows them.
    #[serde(rename = "window")]
    pub window_periods: Vec<NamedPeriod>,
    /// A trailing period left out as incomplete, when one was.
    pub left_out: Option<NamedPeriod>,
    /// Whether the data has customer ids (else "customers" count items).
    pub customer_ids: bool,
    /// The window's first and last period, as labels.
    pub window_labels: (String, String),
    /// Items in the window.
    pub items: u64,
    /// Items in the window with at least one theme.
    pub themed_items: u64,
    /// Every theme, ranked: chronic first (by impact), then spikes, then the rest.
    pub themes: Vec<ChronicScore>,
    /// Spikes and shifts found in the window's periods.
    pub alerts: Vec<Alert>,
    /// The scores of the window's items.
    pub scores: ScoreTally,
    /// The score whose impact the themes carry and rank by: NPS when the window has NPS
    /// answers, else CSAT; none without either.
    pub impact_score: Option<ScoreKind>,
    /// Key drivers of the score asked for (default: the one with most answers in the window),
    /// when its answers vary.
    pub drivers: Option<DriverReport>,
    /// Pareto of the themes' volume in the window: the vital few that make up 80%.
    pub pareto_volume: Vec<ParetoLine>,
    /// Pareto of the points of `impact_score` the themes cost (themes that raise it left out).
    pub pareto_impact: Vec<ParetoLine>,
}

impl Analysis {
    /// This analysis as computed without the drivers' bootstrap intervals (no resamples): the
    /// intervals are its only part that depends on them.
    pub fn without_driver_intervals(mut self) -> Self {
        self.params.drivers.resamples = 0;
        self.drivers = self.drivers.map(DriverReport::without_intervals);
        self
    }
}

/// A period by name with its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedPeriod {
    /// "2025-05", "2025-W24", "2025-Q2".
    pub period: String,
    /// Items in it.
    pub items: u64,
}

impl NamedPeriod {
    /// The named form of `total`.
    pub fn of(total: &PeriodTotal, kind: PeriodKind) -> Self {
        Self {
            period: period_label(total.period, kind),
            items: total.items,
        }
    }
}

/// The trailing period the window leaves out as incomplete, if any (never with `until` or
/// `include_partial`).
pub fn left_out(totals: &[PeriodTotal], params: &AnalysisParams) -> Option<PeriodTotal> {
    if params.until.is_some() || params.include_partial {
        return None;
    }
    totals.get(complete_end(totals)).copied()
}

/// The window: the last `params.window` complete periods of `totals` (with
/// `include_partial`, the last `params.window` periods).
pub fn window_of(totals: &[PeriodTotal], params: &AnalysisParams) -> Vec<PeriodTotal> {
    let end = match params.until {
        Some(until) => {
            let last = period_index(until - 1, params.period);
            totals
                .iter()
                .position(|t| t.period > last)
                .unwrap_or(totals.len())
        }
        None if params.include_partial => totals.len(),
        None => complete_end(totals),
    };
    let start = end.saturating_sub(params.window.max(1));
    totals[start..end].to_vec()
}

/// Index after the last complete period: a trailing period under half the median volume of
/// the others is still filling up.
fn complete_end(totals: &[PeriodTotal]) -> usize {
    let Some((last, rest)) = totals.split_last() else {
        return 0;
    };
    if rest.is_empty() {
        return totals.len();
    }
    let mut volumes: Vec<u64> = rest.iter().map(|t| t.items).collect();
    volumes.sort_unstable();
    let median = volumes[volumes.len() / 2];
    if last.items * 2 < median {
        rest.len()
    } else {
        totals.len()
    }
}

/// Per-theme accumulation over the window.
#[derive(Default)]
struct ThemeAccumulator {
    counts: Vec<u64>,
    tally: ScoreTally,
    customers: CustomerSet,
    negative_customers: CustomerSet,
    /// Items per category id (channels, units and touchpoints share one interner, whose ids
    /// are few and dense: a slot each, no hashing).
    channels: Vec<u64>,
    business_units: Vec<u64>,
    touchpoints: Vec<u64>,
    sentiment_sum: f64,
    sentiment_items: u64,
}

/// Where an analysis spent its time, part by part (for `trove bench analyze`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalysisStages {
    /// Counting items per period and each theme's tallies over the window.
    pub tallies: Duration,
    /// Spikes and shifts of every theme over its history.
    pub alerts: Duration,
    /// Each theme's window statistics: spread, impact and its test, revenue at risk.
    pub theme_statistics: Duration,
    /// The key drivers: Shapley values and their bootstrap intervals.
    pub drivers: Duration,
    /// Ranking the themes and the Pareto lines.
    pub ranking: Duration,
}

/// Runs the chronic analysis. `customer_values` gives the lifetime value of known customers.
pub fn analyze(
    facts: &Facts,
    params: &AnalysisParams,
    customer_values: &HashMap<String, Money>,
) -> Analysis {
    run(facts, params, customer_values).0
}

/// [`analyze`], with the time each part took.
pub fn analyze_timed(
    facts: &Facts,
    params: &AnalysisParams,
    customer_values: &HashMap<String, Money>,
) -> (Analysis, AnalysisStages) {
    let (analysis, stages, _) = run(facts, params, customer_values);
    (analysis, stages)
}

/// What a trend view of an analysis's window shows: every theme's share series over the
/// window, and the trailing period left out as incomplete.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowTrends {
    /// The period left out, when one was (see [`left_out`]).
    pub left_out: Option<PeriodTotal>,
    /// Each theme any item carries, by id, with its series over the window's periods.
    pub series: Vec<(String, Vec<SharePoint>)>,
}

impl WindowTrends {
    /// The trends of `facts` in the window `params` asks for, from a pass of their own.
    pub fn of(facts: &Facts, params: &AnalysisParams) -> Self {
        let totals = facts.totals(params.period);
        Self {
            left_out: left_out(&totals, params),
            series: facts.series_all(params.period, &window_of(&totals, params)),
        }
    }
}

/// [`analyze`], with the trends of its window ([`WindowTrends::of`]) taken from the series the
/// alerts read over the whole history (the window is its last periods, each period's figures
/// counted on their own), which saves a pass over the items.
pub fn analyze_with_trends(
    facts: &Facts,
    params: &AnalysisParams,
    customer_values: &HashMap<String, Money>,
) -> (Analysis, WindowTrends) {
    let (analysis, _, trends) = run(facts, params, customer_values);
    let trends = trends.unwrap_or_else(|| WindowTrends::of(facts, params));
    (analysis, trends)
}

/// The analysis, the time each part took, and the window's trends (none when the window is
/// empty).
fn run(
    facts: &Facts,
    params: &AnalysisParams,
    customer_values: &HashMap<String, Money>,
) -> (Analysis, AnalysisStages, Option<WindowTrends>) {
    let mut stages = AnalysisStages::default();
    let mut clock = Instant::now();
    let mut lap = || {
        let now = Instant::now();
        let lap = now - clock;
        clock = now;
        lap
    };
    let totals = facts.totals(params.period);
    let window = window_of(&totals, params);
    let (Some(first), Some(last)) = (
        window.first().map(|t| t.period),
        window.last().map(|t| t.period),
    ) else {
        return (empty_analysis(params), stages, None);
    };
    let theme_count = facts.themes.names.len();
    // Category ids run from 0 (none) to the number of names.
    let category_slots = facts.categories.names.len() + 1;
    let mut accumulators: Vec<ThemeAccumulator> = (0..theme_count)
        .map(|_| ThemeAccumulator {
            counts: vec![0; window.len()],
            channels: vec![0; category_slots],
            business_units: vec![0; category_slots],
            touchpoints: vec![0; category_slots],
            ..Default::default()
        })
        .collect();
    let mut all = ScoreTally::default();
    let mut themed_items = 0;
    let mut any_customer = false;
    // Which categories occur in the window: channels, units, touchpoints.
    let mut categories = [
        vec![false; category_slots],
        vec![false; category_slots],
        vec![false; category_slots],
    ];
    let driver_score = params
        .drivers
        .score
        .or_else(|| ScoreKind::most_answered(&window_tally(facts, first, last, params.period)));
    // Every theme's every window period is read together: the Bonferroni family of the alerts,
    // recorded with the parameters.
    let mut params = *params;
    params.spikes.tests = (theme_count as u64 * (last - first + 1) as u64).max(1);
    let params = &params;
    let mut responses = Responses::new();
    // The tallies and every theme's alerts read the items side by side (two cores: the
    // alerts cost no time of their own).
    let (tallies, (alerts, history, alerts_took)) = rayon::join(
        || {
            let started = Instant::now();
            for fact in &facts.facts {
                let period = period_index(fact.received_at, params.period);
                if period < first || period > last {
                    continue;
                }
                let slot = (period - first) as usize;
                all.add(&fact.scores);
                any_customer |= fact.customer != 0;
                categories[0][fact.channel as usize] = true;
                categories[1][fact.business_unit as usize] = true;
                categories[2][fact.touchpoint as usize] = true;
                let themes = facts.themes_of(fact);
                themed_items += u64::from(!themes.is_empty());
                let mentions = facts.theme_sentiments_of(fact);
                for (&theme, &mention) in themes.iter().zip(mentions) {
                    let acc = &mut accumulators[(theme - 1) as usize];
                    acc.counts[slot] += 1;
                    acc.tally.add(&fact.scores);
                    if fact.customer != 0 {
                        acc.customers.insert(fact.customer);
                        if fact.negative {
                            acc.negative_customers.insert(fact.customer);
                        }
                    }
                    acc.channels[fact.channel as usize] += 1;
                    acc.business_units[fact.business_unit as usize] += 1;
                    acc.touchpoints[fact.touchpoint as usize] += 1;
                    // The tone where customers talk about the theme: its mention's sentence,
                    // else the whole item (a source-coded theme has no mention).
                    let tone = if mention.is_nan() {
                        fact.sentiment
                    } else {
                        mention
                    };
                    if !tone.is_nan() {
                        acc.sentiment_sum += f64::from(tone);
                        acc.sentiment_items += 1;
                    }
                }
                if let Some(answer) = driver_score.and_then(|kind| kind.answer(&fact.scores)) {
                    responses.add(themes.iter().map(|&t| (t - 1) as usize), answer);
                }
            }
            started.elapsed()
        },
        || {
            let started = Instant::now();
            let (alerts, history) = window_alerts(facts, params, &totals, first, last);
            (alerts, history, started.elapsed())
        },
    );
    lap();
    // The history ends with the window's periods.
    let window_series = history
        .into_iter()
        .map(|(theme, series)| {
            let start = series.len() - window.len();
            (theme, series[start..].to_vec())
        })
        .collect();
    stages.tallies = tallies;
    stages.alerts = alerts_took;
    let windows: Vec<ThemeWindow> = accumulators
        .iter()
        .enumerate()
        .map(|(i, acc)| ThemeWindow {
            theme: facts.themes.names[i].clone(),
            kind: facts
                .kinds
                .get(&facts.themes.names[i])
                .copied()
                .unwrap_or_default(),
            counts: acc.counts.clone(),
            customer_ids: any_customer,
            // Without any customer id in the data (public complaint files), every item stands
            // for its own customer.
            customers: if any_customer {
                acc.customers.len()
            } else {
                acc.counts.iter().sum()
            },
            channels: spread(&acc.channels, &categories[0]),
            business_units: spread(&acc.business_units, &categories[1]),
            touchpoints: spread(&acc.touchpoints, &categories[2]),
            nps_impact: nps_impact(&all, &acc.tally),
            csat_impact: csat_impact(&all, &acc.tally),
            impact_test: impact_test(&all, &acc.tally),
            impact_answers: if all.nps_n > 0 {
                acc.tally.nps_n
            } else {
                acc.tally.csat_n
            },
            revenue_at_risk: revenue_at_risk(acc.negative_customers.ids().into_iter().filter_map(
                |c| {
                    let name = facts.customers.name(c)?;
                    customer_values.get(name).map(|value| (name, *value))
                },
            ))
            .unwrap_or_default(),
            alerts: alerts
                .iter()
                .filter(|a| a.theme == facts.themes.names[i])
                .cloned()
                .collect(),
            sentiment: (acc.sentiment_items > 0)
                .then(|| acc.sentiment_sum / acc.sentiment_items as f64),
        })
        .collect();
    stages.theme_statistics = lap();
    let themes = rank_themes(&windows, &window, params.period, &params.chronic);
    stages.ranking = lap();
    let drivers = driver_score
        .and_then(|kind| driver_report(&facts.themes.names, &responses, kind, &params.drivers));
    stages.drivers = lap();
    let impact_score = [ScoreKind::Nps, ScoreKind::Csat]
        .into_iter()
        .find(|kind| kind.answers(&all) > 0);
    let volumes = themes
        .iter()
        .map(|t| (t.theme.clone(), t.volume as f64))
        .collect();
    let losses = themes
        .iter()
        .filter_map(|t| Some((t.theme.clone(), -t.nps_impact.or(t.csat_impact)?)))
        .filter(|(_, loss)| *loss > 0.0)
        .collect();
    let analysis = Analysis {
        pareto_volume: pareto(&volumes, PARETO_CUTOFF),
        pareto_impact: pareto(&losses, PARETO_CUTOFF),
        params: *params,
        window_labels: (
            period_label(first, params.period),
            period_label(last, params.period),
        ),
        items: window.iter().map(|t| t.items).sum(),
        window_periods: window
            .iter()
            .map(|t| NamedPeriod::of(t, params.period))
            .collect(),
        left_out: left_out(&totals, params).map(|t| NamedPeriod::of(&t, params.period)),
        customer_ids: any_customer,
        window,
        themed_items,
        themes,
        alerts,
        scores: all,
        impact_score,
        drivers,
    };
    stages.ranking += lap();
    let trends = WindowTrends {
        left_out: left_out(&totals, params),
        series: window_series,
    };
    (analysis, stages, Some(trends))
}

/// The test behind a theme's impact: its mentioners' NPS against everyone else's (CSAT when
/// the data has no NPS answer). The impact is zero exactly when this difference is.
fn impact_test(all: &ScoreTally, with_theme: &ScoreTally) -> Option<crate::scores::Comparison> {
    let without = crate::impact::tally_without(all, with_theme)?;
    if all.nps_n > 0 {
        compare_nps(with_theme, &without)
    } else {
        compare_csat(with_theme, &without)
    }
}

/// The scores of the items in the window's periods `first..=last`.
fn window_tally(facts: &Facts, first: i64, last: i64, kind: PeriodKind) -> ScoreTally {
    let mut tally = ScoreTally::default();
    for fact in &facts.facts {
        let period = period_index(fact.received_at, kind);
        if period >= first && period <= last {
            tally.add(&fact.scores);
        }
    }
    tally
}

/// Counts by category id, over every category seen in the window (`seen`, by id; absent ones
/// as zeros, so the entropy is normalised by the number of categories that exist), in id
/// order. Items without a value (id 0) are left out.
fn spread(counts: &[u64], seen: &[bool]) -> Vec<u64> {
    counts
        .iter()
        .zip(seen)
        .skip(1)
        .filter(|(_, seen)| **seen)
        .map(|(count, _)| *count)
        .collect()
}

/// Spikes and shifts of every theme over the whole history, kept when they fall in the window,
/// with the series over the history (up to the window's end) that they were read from.
fn window_alerts(
    facts: &Facts,
    params: &AnalysisParams,
    totals: &[PeriodTotal],
    first: i64,
    last: i64,
) -> (Vec<Alert>, Vec<(String, Vec<SharePoint>)>) {
    let history: Vec<PeriodTotal> = totals
        .iter()
        .copied()
        .filter(|t| t.period <= last)
        .collect();
    let spikes = params.spikes;
    let mut alerts = Vec::new();
    // Every theme's series from one pass over the items (one pass per theme cost a second at
    // a million items).
    let series = facts.series_all(params.period, &history);
    for (theme, points) in &series {
        let found = detect_spikes(theme, points, params.period, &spikes)
            .into_iter()
            .chain(detect_shifts(theme, points, params.period, &spikes));
        alerts.extend(found.filter(|a| a.period >= first && a.period <= last));
    }
    alerts.sort_by(|a, b| a.period.cmp(&b.period).then_with(|| a.theme.cmp(&b.theme)));
    (alerts, series)
}

fn empty_analysis(params: &AnalysisParams) -> Analysis {
    Analysis {
        params: *params,
        window: Vec::new(),
        window_periods: Vec::new(),
        left_out: None,
        customer_ids: false,
        window_labels: (String::new(), String::new()),
        items: 0,
        themed_items: 0,
        themes: Vec::new(),
        alerts: Vec::new(),
        scores: ScoreTally::default(),
        impact_score: None,
        drivers: None,
        pareto_volume: Vec::new(),
        pareto_impact: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use trove_domain::{Currency, Nps};

    use super::*;

    const DAY: i64 = 86_400;
    /// 2025-01-01T00:00:00Z.
    const JAN_2025: i64 = 1_735_689_600;

    fn month_start(m: i64) -> i64 {
        crate::trend::period_start(
            period_index(JAN_2025, PeriodKind::Month) + m,
            PeriodKind::Month,
        )
    }

    /// 12 months of 200 items a month: "steady" in 10% of items every month across channels,
    /// units and many customers (all detractors); "burst" 60 items in month 10 from one channel.
    fn sample() -> Facts {
        sample_part(0..usize::MAX)
    }

    /// The items of [`sample`] whose position (0..2,400, in time order) is in `part`.
    fn sample_part(part: std::ops::Range<usize>) -> Facts {
        let mut facts = Facts::new();
        let channels = ["survey", "ticket", "chat"];
        let units = ["Home", "Motor"];
        for month in 0..12 {
            for i in 0..200_i64 {
                if !part.contains(&((month * 200 + i) as usize)) {
                    continue;
                }
                let customer = format!("C{}", (month * 200 + i) % 500);
                let steady = i % 10 == 0;
                let burst = month == 10 && i < 60;
                let mut themes: Vec<&str> = Vec::new();
                if steady {
                    themes.push("steady");
                }
                if burst {
                    themes.push("burst");
                }
                let nps = if steady { 2 } else { 9 };
                facts.push(
                    &ItemFacts {
                        received_at: month_start(month) + (i % 27) * DAY,
                        customer: Some(&customer),
                        channel: if burst {
                            "social"
                        } else {
                            channels[(i % 3) as usize]
                        },
                        business_unit: Some(units[(i % 2) as usize]),
                        touchpoint: None,
                        scores: Scores {
                            nps: Some(Nps::try_from(nps).unwrap()),
                            ..Scores::default()
                        },
                        negative: nps <= 6,
                        sentiment: None,
                    },
                    themes.iter().map(|t| (*t, None)),
                );
            }
        }
        facts
    }

    #[test]
    fn names_short_and_long_intern_once_each() {
        // Many names keyed in place when short, and few keyed by their text: the same ids.
        for mut names in [Interner::for_many(), Interner::default()] {
            let short = "c-0146328";
            let at_most = "x".repeat(23);
            let beyond = "x".repeat(24);
            let ids: Vec<u32> = [
                Some(short),
                Some(&at_most),
                Some(&beyond),
                None,
                Some("c-0146328\0"),
            ]
            .into_iter()
            .map(|name| names.id(name))
            .collect();
            assert_eq!(ids, [1, 2, 3, 0, 4]);
            assert_eq!(names.id(Some(&beyond)), 3);
            assert_eq!(names.id(Some(short)), 1);
            assert_eq!(names.find(&at_most), Some(2));
            assert_eq!(names.find("nobody"), None);
            assert_eq!(names.name(3), Some(beyond.as_str()));
            assert_eq!(names.name(0), None);
            assert_eq!(names.short.is_empty(), !names.in_place);
        }
    }

    #[test]
    fn customer_bits_count_each_customer_once() {
        let mut bits = CustomerSet::default();
        assert!(bits.insert(200_000));
        assert!(bits.insert(3));
        assert!(!bits.insert(3));
        assert!(bits.insert(64));
        assert_eq!(bits.len(), 3);
        assert_eq!(bits.ids(), [3, 64, 200_000]);
        bits.clear_of([3, 64, 200_000]);
        assert_eq!(bits.len(), 0);
        assert_eq!(bits.ids(), Vec::<u32>::new());
        assert!(bits.insert(3));
    }

    #[test]
    fn customer_bits_turn_to_bits_only_where_they_cost_no_more() {
        // Three customers among ten million ids: a hash set of three, not 1.25 MB of bits.
        let mut few = CustomerSet::default();
        for id in [9_999_999, 5, 4_000_000] {
            assert!(few.insert(id));
        }
        assert!(!few.dense, "three ids stay a hash set");
        assert!(few.bytes() < 1_000, "{}", few.bytes());
        assert_eq!(few.ids(), [5, 4_000_000, 9_999_999]);
        // Every 10th id of 100,000: one id in 10 of the range, so bits (12.5 KB).
        let mut many = CustomerSet::default();
        for id in (0..100_000).rev().step_by(10) {
            assert!(many.insert(id));
            assert!(!many.insert(id));
        }
        assert!(many.dense);
        assert_eq!(many.len(), 10_000);
        assert!(many.bytes() <= 12_504, "{}", many.bytes());
        let ids = many.ids();
        assert_eq!(ids.len(), 10_000);
        assert!(
            ids.windows(2).all(|w| w[0] + 10 == w[1]),
            "in order, each once"
        );
        // An id far beyond them: bits up to it would cost more than a hash set, so back to one.
        assert!(many.insert(50_000_000));
        assert!(!many.dense);
        assert!(many.bytes() < 200_000, "{}", many.bytes());
        assert_eq!(many.len(), 10_001);
        assert_eq!(many.ids()[..3], [9, 19, 29]);
        assert!(!many.insert(19));
        let ids = many.ids();
        many.clear_of(ids);
        assert_eq!((many.len(), many.ids().len()), (0, 0));
    }

    #[test]
    fn parts_read_apart_and_appended_analyse_as_one_read() {
        let whole = sample();
        // The second part brings names the first never saw ("burst", "social", customers).
        for split in [0, 1_000, 2_050, 2_400] {
            let mut parts = sample_part(0..split);
            parts.append(sample_part(split..usize::MAX));
            assert_eq!(parts.themes.names, whole.themes.names, "{split}");
            assert_eq!(parts.categories.names, whole.categories.names, "{split}");
            assert_eq!(parts.customers.names, whole.customers.names, "{split}");
            let params = AnalysisParams {
                window: 12,
                ..AnalysisParams::default()
            };
            let no_values = HashMap::new();
            assert_eq!(
                analyze(&parts, &params, &no_values),
                analyze(&whole, &params, &no_values),
                "{split}"
            );
        }
    }

    #[test]
    fn every_themes_series_in_one_pass_equals_each_series_alone() {
        let facts = sample();
        let totals = facts.totals(PeriodKind::Month);
        // A window of months 3..9, so items outside it are skipped.
        let window = &totals[3..9];
        let all = facts.series_all(PeriodKind::Month, window);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["burst", "steady"]);
        for (name, series) in &all {
            assert_eq!(
                series,
                &facts.series(name, PeriodKind::Month, window),
                "{name}"
            );
        }
        // steady: 20 of 200 items a month, from 20 customers.
        assert_eq!(all[1].1[0].count, 20);
        assert_eq!(all[1].1[0].customers, 20);
    }

    #[test]
    fn an_analysis_gives_the_trends_of_its_window_as_a_pass_of_their_own_does() {
        let facts = sample();
        let values = HashMap::new();
        let windows = [
            AnalysisParams::default(),
            AnalysisParams {
                window: 4,
                ..AnalysisParams::default()
            },
            // A window that ends before the data does, and one longer than the data.
            AnalysisParams {
                window: 3,
                until: Some(month_start(7)),
                ..AnalysisParams::default()
            },
            AnalysisParams {
                window: 30,
                include_partial: true,
                ..AnalysisParams::default()
            },
            AnalysisParams {
                period: PeriodKind::IsoWeek,
                window: 8,
                ..AnalysisParams::default()
            },
        ];
        for params in windows {
            let (analysis, trends) = analyze_with_trends(&facts, &params, &values);
            assert_eq!(trends, WindowTrends::of(&facts, &params), "{params:?}");
            assert_eq!(analysis, analyze(&facts, &params, &values));
            let steady = &trends.series.iter().find(|(t, _)| t == "steady").unwrap().1;
            assert_eq!(steady.len(), analysis.window.len(), "{params:?}");
            assert!(steady.iter().any(|p| p.count > 0), "{params:?}");
        }
        // No window at all (nothing before `until`): the trends are still given.
        let params = AnalysisParams {
            until: Some(month_start(-3)),
            ..AnalysisParams::default()
        };
        let (analysis, trends) = analyze_with_trends(&facts, &params, &values);
        assert!(analysis.window.is_empty());
        assert_eq!(trends, WindowTrends::of(&facts, &params));
    }

    #[test]
    fn a_themes_tone_is_the_mean_of_its_mentions_else_of_its_items() {
        let mut facts = Facts::new();
        // (item sentiment, mention sentiment, theme)
        let items = [
            (Some(-0.5), Some(0.3), "a"),
            (Some(0.1), None, "a"),
            (None, None, "a"),
            (Some(0.9), None, "b"),
        ];
        for (i, (sentiment, mention, theme)) in items.into_iter().enumerate() {
            facts.push(
                &ItemFacts {
                    received_at: month_start(0) + i as i64 * DAY,
                    customer: None,
                    channel: "survey",
                    business_unit: None,
                    touchpoint: None,
                    scores: Scores::default(),
                    negative: false,
                    sentiment,
                },
                [(theme, mention)],
            );
        }
        let params = AnalysisParams {
            window: 1,
            until: Some(month_start(1)),
            ..AnalysisParams::default()
        };
        let analysis = analyze(&facts, &params, &HashMap::new());
        let of = |theme: &str| {
            analysis
                .themes
                .iter()
                .find(|t| t.theme == theme)
                .and_then(|t| t.sentiment)
        };
        let a = of("a").expect("two scored items");
        assert!(
            (a - 0.2).abs() < 1e-6,
            "(0.3 from the mention, not -0.5 + 0.1 from the item) / 2, the unscored left out: {a}"
        );
        assert!((of("b").expect("scored") - 0.9).abs() < 1e-6);
    }

    #[test]
    fn the_window_is_the_last_complete_periods() {
        let mut facts = sample();
        // Five items of a thirteenth month that has just begun.
        for _ in 0..5 {
            facts.push(
                &ItemFacts {
                    received_at: month_start(12) + DAY,
                    customer: None,
                    channel: "survey",
                    business_unit: None,
                    touchpoint: None,
                    scores: Scores::default(),
                    negative: false,
                    sentiment: None,
                },
                [],
            );
        }
        let params = AnalysisParams {
            window: 6,
            ..AnalysisParams::default()
        };
        let totals = facts.totals(PeriodKind::Month);
        let window = window_of(&totals, &params);
        assert_eq!(window.len(), 6);
        assert_eq!(period_label(window[0].period, PeriodKind::Month), "2025-07");
        assert_eq!(period_label(window[5].period, PeriodKind::Month), "2025-12");
        // The month left out is named; with include_partial it is kept.
        let left = left_out(&totals, &params).expect("January 2026 is left out");
        assert_eq!(
            NamedPeriod::of(&left, PeriodKind::Month),
            NamedPeriod {
                period: "2026-01".into(),
                items: 5
            }
        );
        let partial = AnalysisParams {
            include_partial: true,
            ..params
        };
        assert_eq!(left_out(&totals, &partial), None);
        let kept = window_of(&totals, &partial);
        assert_eq!(period_label(kept[5].period, PeriodKind::Month), "2026-01");
        let until = AnalysisParams {
            until: Some(month_start(6)),
            ..params
        };
        let window = window_of(&facts.totals(PeriodKind::Month), &until);
        assert_eq!(period_label(window[5].period, PeriodKind::Month), "2025-06");
    }

    #[test]
    fn a_steady_theme_is_chronic_and_a_burst_is_a_spike() {
        let facts = sample();
        let values: HashMap<String, Money> = (0..500)
            .map(|c| {
                (
                    format!("C{c}"),
                    Money::from_minor(10_000, Currency::parse("USD").unwrap()),
                )
            })
            .collect();
        let analysis = analyze(
            &facts,
            &AnalysisParams {
                window: 12,
                ..AnalysisParams::default()
            },
            &values,
        );
        assert_eq!(analysis.items, 2_400);
        let steady = analysis
            .themes
            .iter()
            .find(|t| t.theme == "steady")
            .unwrap();
        assert!(steady.chronic, "{steady:?}");
        assert_eq!(steady.rank, Some(1));
        assert_eq!(steady.periods_present, 12);
        // 20 steady items a month: customers (m*200 + i) % 500 for i = 0, 10, ..., 190 -> the
        // multiples of 10 below 500: 50 distinct customers, each worth $100.
        assert_eq!(steady.customers, 50);
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            steady.revenue_at_risk.get(&usd).map(Money::minor),
            Some(50 * 10_000)
        );
        // NPS all = (2160 promoters - 240 detractors) / 2400 = 80; without steady: 100. Impact -20.
        assert!((steady.nps_impact.unwrap() + 20.0).abs() < 1e-9);
        let burst = analysis.themes.iter().find(|t| t.theme == "burst").unwrap();
        assert!(!burst.chronic);
        assert_eq!(burst.label, crate::chronic::ThemeLabel::Spike);
        assert!(
            analysis.alerts.iter().any(|a| a.theme == "burst"),
            "{:?}",
            analysis.alerts
        );
        assert!(
            !analysis.alerts.iter().any(|a| a.theme == "steady"),
            "{:?}",
            analysis.alerts
        );
        let drivers = analysis.drivers.unwrap();
        assert_eq!(drivers.drivers[0].name, "steady");
        // Volume: steady 240, burst 60 -> steady alone is 80% and the vital few.
        let vital: Vec<&str> = analysis
            .pareto_volume
            .iter()
            .filter(|l| l.vital_few)
            .map(|l| l.theme.as_str())
            .collect();
        assert_eq!(vital, vec!["steady"]);
        assert!((analysis.pareto_volume[0].share - 0.8).abs() < 1e-12);
        assert_eq!(analysis.pareto_impact[0].theme, "steady");
    }

    #[test]
    fn a_theme_series_counts_items_and_customers_per_period() {
        let facts = sample();
        let totals = facts.totals(PeriodKind::Month);
        let series = facts.series("burst", PeriodKind::Month, &totals);
        assert_eq!(series.len(), 12);
        assert_eq!(series[10].count, 60);
        assert_eq!(series[10].total, 200);
        assert!((series[10].share - 0.3).abs() < 1e-12);
        assert_eq!(series.iter().map(|p| p.count).sum::<u64>(), 60);
        assert!(
            facts
                .series("nobody", PeriodKind::Month, &totals)
                .iter()
                .all(|p| p.count == 0)
        );
    }
}
