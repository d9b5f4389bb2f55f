//! The chronic analysis of the stored feedback: load the items' facts, analyse, and the
//! per-theme views built on the same facts (trend, fix verification).

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use trove_analytics::analysis::{
    Analysis, AnalysisParams, Facts, ItemFacts, analyze, analyze_with_trends,
};
use trove_analytics::trend::{PeriodKind, PeriodTotal, SharePoint, period_index};
use trove_analytics::verify::{RatePeriod, Verification, VerifyParams, verify_fix};
use trove_domain::{Money, Scores};
use trove_store::{
    FactVisitor, FeedbackFilter, ItemFactsRef, NewAnalysisRun, StoreError, StoreResult, ThemeOrigin,
};

use crate::App;
use crate::kept::{Kept, KeptRequest, ThemeTrends};

/// Items read per page while loading.
const PAGE: usize = 10_000;

/// The most parts the analysis's items are read in side by side (one per core).
const READERS: usize = 4;

/// Adds one item as the analysis reads it.
fn push_item(facts: &mut Facts, item: &ItemFactsRef<'_>) {
    facts.push(
        &ItemFacts {
            received_at: item.received_at,
            customer: item.customer_id,
            channel: item.channel.as_str(),
            business_unit: item.business_unit,
            touchpoint: item.touchpoint,
            scores: item.scores,
            negative: is_negative(&item.scores, item.sentiment),
            sentiment: item.sentiment,
        },
        item.themes.iter(),
    );
}

/// The sentiment at or below which an unscored item counts as negative: VADER's own
/// threshold for a negative text (compound <= -0.05).
pub const NEGATIVE_SENTIMENT: f32 = -0.05;

/// Whether an item marks its customer as negative, for revenue at risk. A score is the
/// customer's own verdict and decides when there is one: an NPS detractor (0-6), a CSAT of
/// 1-2 or a CES of 1-3. An item without any score (a ticket, a tweet) is negative when its
/// text's sentiment is at most [`NEGATIVE_SENTIMENT`].
pub fn is_negative(scores: &Scores, sentiment: Option<f32>) -> bool {
    let scored = scores.nps.is_some() || scores.csat.is_some() || scores.ces.is_some();
    if scored {
        scores.nps.is_some_and(|n| n.is_detractor())
            || scores.csat.is_some_and(|c| c.value() <= 2)
            || scores.ces.is_some_and(|c| c.value() <= 3)
    } else {
        sentiment.is_some_and(|s| s <= NEGATIVE_SENTIMENT)
    }
}

/// Which feedback an analysis run read, as its record stores it (JSON): the filter's fields
/// and the origin of the themes counted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedScope {
    /// Received at or after this instant (unix seconds).
    pub since: Option<i64>,
    /// Received before this instant (unix seconds).
    pub until: Option<i64>,
    /// Only this source.
    pub source: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only this business unit.
    pub business_unit: Option<String>,
    /// Only this journey stage.
    pub journey_stage: Option<String>,
    /// Only this touchpoint.
    pub touchpoint: Option<String>,
    /// Only customers of this segment.
    pub segment: Option<String>,
    /// Which themes counted: `rule`, `source` or `any`.
    pub origin: String,
}

impl RecordedScope {
    /// The record of `filter` and `origin`.
    pub fn new(filter: &FeedbackFilter, origin: ThemeOrigin) -> Self {
        // Destructured whole, so a new filter field cannot be left out of the record unnoticed.
        let FeedbackFilter {
            since,
            until,
            source,
            channel,
            business_unit,
            journey_stage,
            touchpoint,
            segment,
        } = filter;
        Self {
            since: *since,
            until: *until,
            source: source.clone(),
            channel: channel.map(|c| c.as_str().to_owned()),
            business_unit: business_unit.clone(),
            journey_stage: journey_stage.clone(),
            touchpoint: touchpoint.clone(),
            segment: segment.clone(),
            origin: origin.stored().unwrap_or("any").to_owned(),
        }
    }
}

/// A theme's series and the verification of its fix.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FixCheck {
    /// The theme.
    pub theme: String,
    /// The periods compared before the fix.
    pub before: Vec<SharePoint>,
    /// The periods compared after it.
    pub after: Vec<SharePoint>,
    /// The verdict and its figures; `None` without items before the fix.
    pub verification: Option<Verification>,
}

impl FixCheck {
    /// Why there is no verification, naming the side without data: "there are no items after
    /// 2030-01-15 ...", "there are no items before ...", or that the theme never occurred before.
    /// `fixed_on` is the day as the user wrote it; `kind` the period compared.
    pub fn why_unverified(&self, fixed_on: &str, kind: PeriodKind) -> String {
        let items = |points: &[SharePoint]| -> u64 { points.iter().map(|p| p.total).sum() };
        let mentions: u64 = self.before.iter().map(|p| p.count).sum();
        if items(&self.after) == 0 {
            format!(
                "there are no items after {fixed_on} (the {} that holds it is left out, being part before and part after)",
                kind.singular()
            )
        } else if items(&self.before) == 0 {
            format!("there are no items before {fixed_on}")
        } else if mentions == 0 {
            format!(
                "{} was never mentioned in the {} {} before {fixed_on}: nothing to fix",
                self.theme,
                self.before.len(),
                kind.plural()
            )
        } else {
            format!("nothing to compare around {fixed_on}")
        }
    }
}

/// What an analysis reads and how: the items' filter, the origin of the themes counted, and
/// the parameters. The key of a kept result: the same request on the same data gives the
/// same analysis, so pages and commands that build the same request share one result.
///
/// The default reads everything with the default parameters except the drivers' bootstrap
/// intervals (`params.drivers.resamples = 0`): the pages and the read commands do not show
/// them (`trove analyze` computes them).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisRequest {
    /// Which items.
    pub filter: FeedbackFilter,
    /// Which themes count.
    pub origin: ThemeOrigin,
    /// Periods, window and thresholds.
    pub params: AnalysisParams,
}

impl Default for AnalysisRequest {
    fn default() -> Self {
        let mut params = AnalysisParams::default();
        params.drivers.resamples = 0;
        Self {
            filter: FeedbackFilter::default(),
            origin: ThemeOrigin::default(),
            params,
        }
    }
}

impl AnalysisRequest {
    /// The same request without the drivers' intervals: what the read views of its scope ask
    /// for.
    pub(crate) fn for_reads(&self) -> Self {
        let mut request = self.clone();
        request.params.drivers.resamples = 0;
        request
    }
}

/// The items' facts an analysis reads, with the customers' values, and the data version read
/// before them (what the results computed from them are filed under).
pub(crate) struct ReadFacts {
    filter: FeedbackFilter,
    origin: ThemeOrigin,
    data_version: i64,
    facts: Facts,
    values: HashMap<String, Money>,
}

impl ReadFacts {
    /// Reads the facts `request` asks for; `data_version` was read before.
    fn of(app: &App, request: &AnalysisRequest, data_version: i64) -> StoreResult<Self> {
        Ok(Self {
            filter: request.filter.clone(),
            origin: request.origin,
            data_version,
            facts: app.load_facts(&request.filter, request.origin)?,
            values: app.customer_values()?,
        })
    }

    /// Whether these are the items `request` reads, as of `data_version`.
    fn serve(&self, request: &AnalysisRequest, data_version: i64) -> bool {
        self.data_version == data_version
            && self.filter == request.filter
            && self.origin == request.origin
    }
}

/// An analysis as the pages and read commands get it, with when it was computed.
#[derive(Debug, Clone)]
pub struct CurrentAnalysis {
    /// The result (shared: readers never copy it).
    pub analysis: Arc<Analysis>,
    /// When it was computed (unix seconds): pages say "as of".
    pub computed_at: i64,
}

impl App {
    /// Reads the matching items' facts (no text) with their themes of `origin`: in as many
    /// parts as there are cores (at most four), read side by side into a table each and
    /// appended in id order, which gives the table one read would have.
    pub fn load_facts(&self, filter: &FeedbackFilter, origin: ThemeOrigin) -> StoreResult<Facts> {
        let readers = std::thread::available_parallelism().map_or(1, |n| n.get().min(READERS));
        let mut parts: Vec<Facts> = (0..readers).map(|_| Facts::new()).collect();
        {
            let mut visitors: Vec<Box<FactVisitor<'_>>> = parts
                .iter_mut()
                .map(|facts| -> Box<FactVisitor<'_>> {
                    Box::new(move |item: &ItemFactsRef<'_>| push_item(facts, item))
                })
                .collect();
            let mut parts: Vec<&mut FactVisitor<'_>> =
                visitors.iter_mut().map(|visit| &mut **visit).collect();
            self.facts_source()
                .scan_item_facts(filter, origin, &mut parts)?;
        }
        let mut parts = parts.into_iter();
        let mut facts = parts.next().unwrap_or_default();
        for later in parts {
            facts.append(later);
        }
        if let Some(current) = self.store().current_taxonomy()? {
            let taxonomy = trove_text::Taxonomy::parse("the stored taxonomy", &current.toml)
                .map_err(|e| StoreError::database("reading the themes' kinds", e))?;
            for theme in &taxonomy.themes {
                facts.set_kind(theme.id.as_str(), theme.kind);
            }
        }
        Ok(facts)
    }

    /// The lifetime value of every customer that has one.
    pub fn customer_values(&self) -> StoreResult<HashMap<String, Money>> {
        let mut values = HashMap::new();
        self.store().scan_customers(PAGE, &mut |page| {
            values.extend(
                page.into_iter()
                    .filter_map(|c| Some((c.id.to_string(), c.value?))),
            );
            ControlFlow::Continue(())
        })?;
        Ok(values)
    }

    /// The chronic analysis of the matching items.
    pub fn analyze(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        params: &AnalysisParams,
    ) -> StoreResult<Analysis> {
        let facts = self.load_facts(filter, origin)?;
        let values = self.customer_values()?;
        Ok(analyze(&facts, params, &values))
    }

    /// The analysis of `request` on the data as it is now. Pages and read commands call this,
    /// never [`App::analyze`]: it is computed once per version of the data, stored (a new
    /// process reads it back) and held in memory (a server reads it in microseconds); see
    /// the `kept` module. Computing it also keeps the themes' trends of the same request.
    ///
    /// A request with the drivers' intervals keeps, beside its own result, the same analysis
    /// without them for the read views of its scope: it is exactly what they would compute
    /// (the drivers' point estimates do not depend on the resamples; a test holds it to that).
    pub fn current_analysis(&self, request: &AnalysisRequest) -> StoreResult<CurrentAnalysis> {
        self.current_analysis_from(request, &mut None)
    }

    /// [`App::current_analysis`], computed (when it must be) from `read` when that holds the
    /// request's items at the current data version, else from a new read left there: a
    /// refresh computes the analyses of the same items from one read.
    pub(crate) fn current_analysis_from(
        &self,
        request: &AnalysisRequest,
        read: &mut Option<ReadFacts>,
    ) -> StoreResult<CurrentAnalysis> {
        let kept = self.kept(&KeptRequest::Analysis(request.clone()), |version| {
            if !read.as_ref().is_some_and(|r| r.serve(request, version)) {
                // The last items' memory goes before the next are read.
                drop(read.take());
                *read = Some(ReadFacts::of(self, request, version)?);
            }
            self.compute_and_keep_beside(request, read.as_ref().expect("read just above"))
        })?;
        Ok(CurrentAnalysis {
            analysis: kept.value,
            computed_at: kept.computed_at,
        })
    }

    /// Every theme's share per period in the window of `request`'s analysis, on the data as it
    /// is now (kept like [`App::current_analysis`]).
    pub fn current_trends(&self, request: &AnalysisRequest) -> StoreResult<Kept<ThemeTrends>> {
        self.kept(&KeptRequest::Trends(request.clone()), |_| {
            let facts = self.load_facts(&request.filter, request.origin)?;
            Ok(ThemeTrends::of(&facts, request))
        })
    }

    /// Computes the analysis of `request` from `read` and keeps what comes with it (the caller
    /// keeps the analysis): its trends, under the request without the drivers' intervals (the
    /// trends do not depend on them, and the views ask for them so), and, when the request asks
    /// for the intervals, the same analysis without them for the views of its scope.
    fn compute_and_keep_beside(
        &self,
        request: &AnalysisRequest,
        read: &ReadFacts,
    ) -> StoreResult<Analysis> {
        let (analysis, trends) = analyze_with_trends(&read.facts, &request.params, &read.values);
        let (version, views) = (read.data_version, request.for_reads());
        let trends = ThemeTrends::from_window(trends, request);
        self.keep(&KeptRequest::Trends(views.clone()), version, trends)?;
        if request.params.drivers.resamples > 0 {
            let without = analysis.clone().without_driver_intervals();
            self.keep(&KeptRequest::Analysis(views), version, without)?;
        }
        Ok(analysis)
    }

    /// Like [`App::analyze`], and records the run in the store: when, the current taxonomy
    /// version, the filter and origin, the parameters, the counts and the whole result (all as
    /// JSON). Returns the run's id with the analysis and when it was computed. The analysis is
    /// the kept one when it is current (see [`App::current_analysis`]): the same request on the
    /// same data gives the same result. After an import, its refresh has computed again the
    /// analyses recorded lately (see [`App::refresh_analyses`]), so recording one of them
    /// again reads it.
    pub fn analyze_and_record(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        params: &AnalysisParams,
    ) -> StoreResult<(i64, CurrentAnalysis)> {
        let request = AnalysisRequest {
            filter: filter.clone(),
            origin,
            params: *params,
        };
        let current = self.current_analysis(&request)?;
        let analysis: &Analysis = &current.analysis;
        let run = NewAnalysisRun {
            created_at: jiff::Timestamp::now().as_second(),
            taxonomy_version: self.store().current_taxonomy()?.map(|t| t.version),
            filter: to_json(&RecordedScope::new(filter, origin))?,
            // The parameters as used (the alerts' Bonferroni family filled in).
            params: to_json(&analysis.params)?,
            items: analysis.items,
            chronic: analysis.themes.iter().filter(|t| t.chronic).count() as u64,
            result: to_json(analysis)?,
        };
        let id = self.store().save_analysis_run(&run)?;
        Ok((id, current))
    }

    /// Compares a theme's rate in the `periods` periods before the one holding `fixed_on`
    /// (unix seconds) with the `periods` after it; the period of the fix itself is left out,
    /// being part before and part after. `None` when no item carries the theme.
    pub fn check_fix(
        &self,
        theme: &str,
        fixed_on: i64,
        periods: usize,
        kind: PeriodKind,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
    ) -> StoreResult<Option<FixCheck>> {
        let facts = self.load_facts(filter, origin)?;
        if !facts.theme_names().iter().any(|t| t == theme) {
            return Ok(None);
        }
        let totals: Vec<PeriodTotal> = facts.totals(kind);
        let series = facts.series(theme, kind, &totals);
        let fix_period = period_index(fixed_on, kind);
        let all_before: Vec<SharePoint> = series
            .iter()
            .filter(|p| p.period < fix_period)
            .copied()
            .collect();
        let before = all_before[all_before.len().saturating_sub(periods)..].to_vec();
        let after: Vec<SharePoint> = series
            .iter()
            .filter(|p| p.period > fix_period)
            .take(periods)
            .copied()
            .collect();
        let rates = |points: &[SharePoint]| -> Vec<RatePeriod> {
            points
                .iter()
                .map(|p| RatePeriod {
                    count: p.count,
                    exposure: p.total,
                })
                .collect()
        };
        let verification = verify_fix(&rates(&before), &rates(&after), &VerifyParams::default());
        Ok(Some(FixCheck {
            theme: theme.to_owned(),
            before,
            after,
            verification,
        }))
    }
}

/// `value` as JSON, for an analysis run's record.
fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::database("encoding an analysis run", e))
}
