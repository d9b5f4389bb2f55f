//! Results kept current: each is computed once per data version, stored (so the next process
//! reads it back instead of recomputing) and held in memory (so a server reads it without even
//! decoding it).
//!
//! A result is current while the store's data version ([`trove_store::Store::data_version`]) is
//! the one it was computed on; every write an analysis reads moves that version in its own
//! transaction. The version is read before the data, so a result computed while a write
//! lands is filed under the older version and computed again on the next read: a reader may
//! recompute once too often, never serve stale figures.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use trove_analytics::analysis::{Analysis, Facts, WindowTrends};
use trove_analytics::spikes::Alert;
use trove_analytics::trend::{PeriodKind, PeriodTotal, SharePoint};
use trove_store::{Dimension, FeedbackFilter, GroupTally, StoreError, StoreResult, StoredResult};

use crate::analysis::ReadFacts;
use crate::{AnalysisRequest, App, Summary};

/// Stored results a refresh looks at: the most recently computed ones.
const REFRESHED: usize = 16;

/// Results held in memory at most (the oldest computed go first).
const IN_MEMORY: usize = 64;

/// A result with when it was computed.
#[derive(Debug)]
pub struct Kept<T> {
    /// The result (shared: readers never copy it).
    pub value: Arc<T>,
    /// When it was computed (unix seconds): outputs say "as of".
    pub computed_at: i64,
}

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            computed_at: self.computed_at,
        }
    }
}

/// What a kept result answers. Its JSON is stored beside the result (a refresh computes it
/// again from there) and its hash is the result's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum KeptRequest {
    /// [`App::current_analysis`].
    Analysis(AnalysisRequest),
    /// [`App::current_trends`]: every theme's series in the analysis' window.
    Trends(AnalysisRequest),
    /// [`App::current_summary`].
    Summary {
        /// Which items.
        filter: FeedbackFilter,
        /// Counted by these.
        dimensions: Vec<Dimension>,
    },
    /// [`App::current_tallies`].
    Tallies {
        /// Grouped by this.
        dimension: Dimension,
        /// Which items.
        filter: FeedbackFilter,
    },
}

impl KeptRequest {
    /// Whether it asks for an analysis with the drivers' bootstrap intervals.
    fn has_driver_intervals(&self) -> bool {
        matches!(self, Self::Analysis(request) if request.params.drivers.resamples > 0)
    }

    fn to_json(&self) -> StoreResult<String> {
        serde_json::to_string(self).map_err(|e| StoreError::database("encoding a request", e))
    }
}

/// The key of a request's JSON: short, and the same in every process.
fn key_of(request_json: &str) -> String {
    blake3::hash(request_json.as_bytes()).to_hex()[..32].to_owned()
}

/// How a result is written to the store and read back. Reading back gives exactly what was
/// written (a test holds each kind to it); a result that does not decode (written by another
/// Trove version) is computed again.
pub(crate) trait Keepable: Send + Sync + Sized + 'static {
    fn encode(&self) -> StoreResult<String>;
    fn decode(json: &str) -> Option<Self>;
}

fn encode_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::database("encoding a result", e))
}

/// Plain serde types keep their JSON.
macro_rules! keepable_as_json {
    ($($t:ty),+) => {$(
        impl Keepable for $t {
            fn encode(&self) -> StoreResult<String> {
                encode_json(self)
            }
            fn decode(json: &str) -> Option<Self> {
                serde_json::from_str(json).ok()
            }
        }
    )+};
}

keepable_as_json!(Summary, Vec<GroupTally>, ThemeTrends);

/// An analysis as stored: its JSON leaves out the window's period indexes and the alerts'
/// (they are shown by name), so they are stored beside it.
#[derive(Serialize, Deserialize)]
struct StoredAnalysis<A> {
    analysis: A,
    window: Vec<PeriodTotal>,
    /// Each alert's `(period, since)`, in the alerts' order.
    alert_periods: Vec<(i64, i64)>,
    /// Each theme's shift's `(period, since)`, in the themes' order.
    shift_periods: Vec<Option<(i64, i64)>>,
}

/// An alert's period indexes.
fn periods_of(alert: &Alert) -> (i64, i64) {
    (alert.period, alert.since)
}

fn set_periods(alert: &mut Alert, (period, since): (i64, i64)) {
    alert.period = period;
    alert.since = since;
}

impl Keepable for Analysis {
    fn encode(&self) -> StoreResult<String> {
        encode_json(&StoredAnalysis {
            analysis: self,
            window: self.window.clone(),
            alert_periods: self.alerts.iter().map(periods_of).collect(),
            shift_periods: self
                .themes
                .iter()
                .map(|t| t.shift.as_ref().map(periods_of))
                .collect(),
        })
    }

    fn decode(json: &str) -> Option<Self> {
        let stored: StoredAnalysis<Analysis> = serde_json::from_str(json).ok()?;
        let mut analysis = stored.analysis;
        if stored.alert_periods.len() != analysis.alerts.len()
            || stored.shift_periods.len() != analysis.themes.len()
        {
            return None;
        }
        analysis.window = stored.window;
        for (alert, periods) in analysis.alerts.iter_mut().zip(stored.alert_periods) {
            set_periods(alert, periods);
        }
        for (theme, periods) in analysis.themes.iter_mut().zip(stored.shift_periods) {
            match (theme.shift.as_mut(), periods) {
                (Some(shift), Some(periods)) => set_periods(shift, periods),
                (None, None) => {}
                _ => return None,
            }
        }
        Some(analysis)
    }
}

/// Every theme's share per period in an analysis' window, as `trove trend` shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeTrends {
    /// The period.
    pub period: PeriodKind,
    /// A trailing period left out as incomplete, when one was.
    pub left_out: Option<PeriodTotal>,
    /// Each theme any item carries, with its series over the window's periods.
    pub themes: BTreeMap<String, Vec<SharePoint>>,
}

impl ThemeTrends {
    /// The trends of `facts` in the window `request` asks for.
    pub(crate) fn of(facts: &Facts, request: &AnalysisRequest) -> Self {
        Self::from_window(WindowTrends::of(facts, &request.params), request)
    }

    /// The trends of `request`'s window, as its analysis found them.
    pub(crate) fn from_window(trends: WindowTrends, request: &AnalysisRequest) -> Self {
        Self {
            period: request.params.period,
            left_out: trends.left_out,
            themes: trends.series.into_iter().collect(),
        }
    }
}

/// One result held in memory.
struct Held {
    data_version: i64,
    computed_at: i64,
    value: Arc<dyn Any + Send + Sync>,
}

/// The results held in memory by key, shared by every clone of an [`App`].
#[derive(Default)]
pub(crate) struct Memory {
    held: Mutex<HashMap<String, Held>>,
}

impl Memory {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        // A panic while holding the lock leaves at worst a missing entry: recomputed.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get<T: Keepable>(&self, key: &str, data_version: i64) -> Option<Kept<T>> {
        let held = self.lock();
        let entry = held.get(key).filter(|h| h.data_version == data_version)?;
        let value = Arc::clone(&entry.value).downcast::<T>().ok()?;
        Some(Kept {
            value,
            computed_at: entry.computed_at,
        })
    }

    fn put<T: Keepable>(&self, key: &str, data_version: i64, kept: &Kept<T>) {
        let mut held = self.lock();
        if held.len() >= IN_MEMORY && !held.contains_key(key) {
            let oldest = held
                .iter()
                .min_by_key(|(_, h)| (h.data_version, h.computed_at))
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                held.remove(&oldest);
            }
        }
        let value: Arc<dyn Any + Send + Sync> = kept.value.clone();
        held.insert(
            key.to_owned(),
            Held {
                data_version,
                computed_at: kept.computed_at,
                value,
            },
        );
    }
}

/// What [`App::refresh_analyses`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// The data version the results are now current for.
    pub data_version: i64,
    /// Results computed again (they were stale).
    pub recomputed: usize,
    /// Results already current.
    pub current: usize,
}

impl App {
    /// The result of `request` on the data as it is now: from memory, else from the store,
    /// else computed by `compute` (given the data version read before it) and kept.
    pub(crate) fn kept<T: Keepable>(
        &self,
        request: &KeptRequest,
        compute: impl FnOnce(i64) -> StoreResult<T>,
    ) -> StoreResult<Kept<T>> {
        let data_version = self.store().data_version()?;
        let request_json = request.to_json()?;
        let key = key_of(&request_json);
        if let Some(kept) = self.memory.get::<T>(&key, data_version) {
            return Ok(kept);
        }
        if let Some(stored) = self.store().stored_result(&key)?
            && stored.data_version == data_version
            && let Some(value) = T::decode(&stored.result)
        {
            let kept = Kept {
                value: Arc::new(value),
                computed_at: stored.computed_at,
            };
            self.memory.put(&key, data_version, &kept);
            return Ok(kept);
        }
        let value = compute(data_version)?;
        self.keep(request, data_version, value)
    }

    /// Stores `value` as the result of `request` on `data_version`, and holds it in memory.
    pub(crate) fn keep<T: Keepable>(
        &self,
        request: &KeptRequest,
        data_version: i64,
        value: T,
    ) -> StoreResult<Kept<T>> {
        let request_json = request.to_json()?;
        let key = key_of(&request_json);
        let kept = Kept {
            computed_at: jiff::Timestamp::now().as_second(),
            value: Arc::new(value),
        };
        let stored = StoredResult {
            key: key.clone(),
            request: request_json,
            data_version,
            computed_at: kept.computed_at,
            result: kept.value.encode()?,
        };
        self.store().save_result(&stored)?;
        self.memory.put(&key, data_version, &kept);
        Ok(kept)
    }

    /// Brings the kept results up to the current data: the default analysis (what `trove
    /// issues` and the room's first page read) and the most recently computed results that are
    /// stale are computed again, among them the scopes `trove analyze` recorded lately. The
    /// command line calls it after an import, a tagging, a classification or a taxonomy
    /// change; `trove serve` runs it when the data moved.
    pub fn refresh_analyses(&self) -> StoreResult<RefreshReport> {
        let data_version = self.store().data_version()?;
        let mut report = RefreshReport {
            data_version,
            ..RefreshReport::default()
        };
        let mut requests = vec![KeptRequest::Analysis(AnalysisRequest::default())];
        for head in self.store().stored_results(REFRESHED)? {
            if head.data_version == data_version {
                report.current += 1;
                continue;
            }
            // A request this Trove cannot read (another version wrote it) is left to age out.
            if let Ok(request) = serde_json::from_str::<KeptRequest>(&head.request)
                && !requests.contains(&request)
            {
                requests.push(request);
            }
        }
        // An analysis with the drivers' intervals keeps the views' analysis of its scope too
        // (see `App::current_analysis`), so it goes first: that one is then current, not
        // computed again on its own.
        requests.sort_by_key(|request| !request.has_driver_intervals());
        // Analyses of the same items read them once (a million items' facts take a second).
        let mut read: Option<ReadFacts> = None;
        for request in &requests {
            let before = self.store().stored_result(&key_of(&request.to_json()?))?;
            if before.is_some_and(|b| b.data_version == data_version) {
                continue;
            }
            self.read_kept(request, &mut read)?;
            report.recomputed += 1;
        }
        Ok(report)
    }

    /// Reads (so computes when stale) the result of `request`; an analysis from `read` when
    /// that holds its items at the current data version (see [`App::current_analysis_from`]).
    fn read_kept(&self, request: &KeptRequest, read: &mut Option<ReadFacts>) -> StoreResult<()> {
        match request {
            KeptRequest::Analysis(r) => self.current_analysis_from(r, read).map(drop),
            KeptRequest::Trends(r) => self.current_trends(r).map(drop),
            KeptRequest::Summary { filter, dimensions } => {
                self.current_summary(filter, dimensions).map(drop)
            }
            KeptRequest::Tallies { dimension, filter } => {
                self.current_tallies(*dimension, filter).map(drop)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::sync::Arc;

    use trove_demo::DemoConfig;
    use trove_store::Store;
    use trove_store_sqlite::SqliteStore;

    use super::*;
    use crate::NoProgress;

    fn demo() -> (Arc<SqliteStore>, App) {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let app = App::new(store.clone());
        let config = DemoConfig {
            customers: 800,
            feedback: 8_000,
            ..DemoConfig::default()
        };
        app.load_demo(&config, &NoProgress).unwrap();
        (store, app)
    }

    #[test]
    fn a_stored_result_reads_back_equal_to_the_fresh_one() {
        let (store, app) = demo();
        let request = AnalysisRequest::default();
        let fresh = app
            .analyze(&request.filter, request.origin, &request.params)
            .unwrap();
        assert!(fresh.items > 0 && !fresh.themes.is_empty());
        // The demo plants spikes and shifts, whose period indexes JSON leaves out.
        assert!(!fresh.alerts.is_empty());
        assert!(fresh.themes.iter().any(|t| t.shift.is_some()));
        let first = app.current_analysis(&request).unwrap();
        assert_eq!(*first.analysis, fresh);
        // Another process: nothing in memory, the stored result decoded.
        let other = App::new(store.clone());
        let read = other.current_analysis(&request).unwrap();
        assert_eq!(*read.analysis, fresh);
        assert_eq!(read.computed_at, first.computed_at);
        // The trends were kept by the same computation, and read back equal too.
        let facts = app.load_facts(&request.filter, request.origin).unwrap();
        let trends = other.current_trends(&request).unwrap();
        assert_eq!(*trends.value, ThemeTrends::of(&facts, &request));
        let filter = FeedbackFilter::default();
        let dimensions = [Dimension::Channel, Dimension::Month];
        let summary = app.current_summary(&filter, &dimensions).unwrap();
        let summary_read = other.current_summary(&filter, &dimensions).unwrap();
        assert_eq!(
            *summary_read.value,
            app.summary(&filter, &dimensions).unwrap()
        );
        assert_eq!(summary_read.computed_at, summary.computed_at);
        let tallies = other
            .current_tallies(Dimension::BusinessUnit, &filter)
            .unwrap();
        assert_eq!(
            *tallies.value,
            store.tally_by(Dimension::BusinessUnit, &filter).unwrap()
        );
    }

    #[test]
    fn a_recorded_analysis_is_kept_for_the_reads_of_its_scope_without_intervals() {
        let (store, app) = demo();
        let filter = FeedbackFilter::default();
        let mut params = trove_analytics::analysis::AnalysisParams::default();
        params.drivers.resamples = 20;
        let (_, recorded) = app
            .analyze_and_record(&filter, trove_store::ThemeOrigin::Any, &params)
            .unwrap();
        let report = recorded.analysis.drivers.as_ref().unwrap();
        assert!(report.bootstrap.is_some() && report.drivers[0].ci_low.is_some());
        let mut request = AnalysisRequest {
            filter,
            origin: trove_store::ThemeOrigin::Any,
            params,
        };
        request.params.drivers.resamples = 0;
        // Kept by the recording, under the current version, before anyone asked for it.
        let key = key_of(&KeptRequest::Analysis(request.clone()).to_json().unwrap());
        let stored = store.stored_result(&key).unwrap().unwrap();
        assert_eq!(stored.data_version, store.data_version().unwrap());
        // What a read of that scope gets equals what it would compute.
        let fresh = app
            .analyze(&request.filter, request.origin, &request.params)
            .unwrap();
        assert!(fresh.drivers.as_ref().unwrap().drivers[0].ci_low.is_none());
        let read = App::new(store.clone()).current_analysis(&request).unwrap();
        assert_eq!(*read.analysis, fresh);
    }

    /// A new item received inside the last period of `analysis`'s window.
    fn item_inside(analysis: &Analysis, external_id: &str) -> trove_domain::FeedbackItem {
        let mut item = trove_store::contract::item(external_id, "1");
        let last = analysis.window.last().unwrap().period;
        let inside = trove_analytics::trend::period_start(last, analysis.params.period) + 3_600;
        item.received_at = trove_domain::ReceivedAt::new(
            jiff::Timestamp::from_second(inside).unwrap(),
            jiff::tz::Offset::UTC,
        );
        item
    }

    #[test]
    fn an_analysis_recorded_again_after_a_change_is_the_one_the_refresh_kept() {
        let (store, app) = demo();
        // What `trove analyze` asks for with its default flags: the drivers' intervals too.
        let request = AnalysisRequest {
            params: trove_analytics::analysis::AnalysisParams::default(),
            ..AnalysisRequest::default()
        };
        let record = |app: &App| {
            app.analyze_and_record(&request.filter, request.origin, &request.params)
                .unwrap()
        };
        let first = Analysis::clone(&record(&app).1.analysis);
        // New data, then the refresh an import ends with: the analysis recorded before is
        // among the recent results, so it is computed again, with the views' one from it.
        store
            .insert_feedback(&[item_inside(&first, "late")], None)
            .unwrap();
        let report = app.refresh_analyses().unwrap();
        assert_eq!(report.recomputed, 1, "{report:?}");
        let version = store.data_version().unwrap();
        let key = key_of(&KeptRequest::Analysis(request.clone()).to_json().unwrap());
        let mut stored = store.stored_result(&key).unwrap().unwrap();
        assert_eq!(stored.data_version, version);
        let kept = Analysis::decode(&stored.result).unwrap();
        assert_eq!(kept.items, first.items + 1);
        let report = kept.drivers.as_ref().unwrap();
        assert!(report.bootstrap.is_some() && report.drivers[0].ci_low.is_some());
        let views = key_of(
            &KeptRequest::Analysis(request.for_reads())
                .to_json()
                .unwrap(),
        );
        let views = store.stored_result(&views).unwrap().unwrap();
        assert_eq!(views.data_version, version);
        assert_eq!(
            Analysis::decode(&views.result).unwrap(),
            kept.clone().without_driver_intervals()
        );
        // Mark the kept result: a new process's `trove analyze` must record it as it is,
        // not compute its own, and say when it was computed.
        let marked = Analysis {
            themed_items: 12_345,
            ..kept.clone()
        };
        stored.result = marked.encode().unwrap();
        stored.computed_at = 1_234_567_890;
        store.save_result(&stored).unwrap();
        let other = App::new(store.clone());
        let (run, recorded) = record(&other);
        assert_eq!(*recorded.analysis, marked);
        assert_eq!(recorded.computed_at, 1_234_567_890);
        assert_eq!(store.analysis_runs(1).unwrap()[0].id, run);
        // Once the data moves, it is computed again: the mark is gone.
        store
            .insert_feedback(&[item_inside(&kept, "later")], None)
            .unwrap();
        let (_, fresh) = record(&other);
        assert_eq!(fresh.analysis.items, kept.items + 1);
        assert!(fresh.computed_at > 1_234_567_890);
    }

    #[test]
    fn a_refresh_of_several_scopes_of_the_same_items_keeps_what_each_would_compute() {
        let (store, app) = demo();
        let mut recorded = AnalysisRequest::default();
        recorded.params.window = 9;
        recorded.params.drivers.resamples = 10;
        let mut weekly = AnalysisRequest::default();
        weekly.params.period = PeriodKind::IsoWeek;
        let first = app.current_analysis(&AnalysisRequest::default()).unwrap();
        app.analyze_and_record(&recorded.filter, recorded.origin, &recorded.params)
            .unwrap();
        app.current_analysis(&weekly).unwrap();
        store
            .insert_feedback(&[item_inside(&first.analysis, "late")], None)
            .unwrap();
        // The recorded one (with the views' one of its scope), the default and the weekly.
        let report = app.refresh_analyses().unwrap();
        assert_eq!(report.recomputed, 3, "{report:?}");
        let other = App::new(store.clone());
        let facts = other.load_facts(&weekly.filter, weekly.origin).unwrap();
        for request in [
            AnalysisRequest::default(),
            recorded.clone(),
            recorded.for_reads(),
            weekly,
        ] {
            let kept = other.current_analysis(&request).unwrap();
            let fresh = other
                .analyze(&request.filter, request.origin, &request.params)
                .unwrap();
            assert_eq!(*kept.analysis, fresh, "{request:?}");
            let trends = other.current_trends(&request.for_reads()).unwrap();
            assert_eq!(*trends.value, ThemeTrends::of(&facts, &request));
        }
    }

    #[test]
    fn a_result_is_kept_until_the_data_changes_and_a_refresh_brings_it_up_to_date() {
        let (store, app) = demo();
        let request = AnalysisRequest::default();
        let first = app.current_analysis(&request).unwrap();
        // Read again: the very same result, not a copy.
        let again = app.current_analysis(&request).unwrap();
        assert!(Arc::ptr_eq(&first.analysis, &again.analysis));
        let other = App::new(store.clone());
        let filter = FeedbackFilter::default();
        let items = other.current_summary(&filter, &[]).unwrap().value.feedback;
        // New data: one more item, inside the analysed window.
        store
            .insert_feedback(&[item_inside(&first.analysis, "late")], None)
            .unwrap();
        let report = other.refresh_analyses().unwrap();
        assert_eq!(report.data_version, store.data_version().unwrap());
        // The default analysis and the summary were stale: two computations (the analysis'
        // trends come with it).
        assert_eq!(report.recomputed, 2, "{report:?}");
        let version = store.data_version().unwrap();
        let heads = store.stored_results(10).unwrap();
        assert_eq!(heads.len(), 3);
        assert!(heads.iter().all(|h| h.data_version == version), "{heads:?}");
        assert_eq!(other.refresh_analyses().unwrap().recomputed, 0);
        // The first app's memory holds the old result under the old version: not served.
        let after = app.current_analysis(&request).unwrap();
        assert_eq!(after.analysis.items, first.analysis.items + 1);
        assert_eq!(
            other.current_summary(&filter, &[]).unwrap().value.feedback,
            items + 1
        );
    }
}
