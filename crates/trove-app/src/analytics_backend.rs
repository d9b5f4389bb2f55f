//! The optional analytics backend (ClickHouse): when one is attached, the analysis reads its
//! items there and the grouped tallies are computed there; the store stays the system of
//! record, and the facts are brought up to date from it before a read that needs them.

use std::sync::Arc;

use trove_store::{
    Analytics, Dimension, FeedbackFilter, GroupTally, ItemThemes, PageVisitor, StoreResult,
    SyncReport, ThemeOrigin, sync_if_stale,
};

use crate::App;

impl App {
    /// The same app, reading the analysis's items and the grouped tallies from `analytics`.
    pub fn with_analytics(mut self, analytics: Arc<dyn Analytics>) -> Self {
        self.analytics = Some(analytics);
        self
    }

    /// The analytics backend, when one is attached.
    pub fn analytics(&self) -> Option<&dyn Analytics> {
        self.analytics.as_deref()
    }

    /// Brings the analytics backend's facts up to date with the store, when one is attached
    /// and the store changed since its last sync.
    pub fn sync_analytics(&self) -> StoreResult<Option<SyncReport>> {
        self.analytics()
            .map(|analytics| sync_if_stale(self.store(), analytics))
            .transpose()
    }

    /// Where the analysis reads its items: the analytics backend when one is attached.
    pub(crate) fn facts_source(&self) -> FactsSource<'_> {
        FactsSource { app: self }
    }

    /// Score tallies grouped by one dimension (see [`trove_store::Store::tally_by`]), computed
    /// by the analytics backend when one is attached (synced first when behind).
    pub(crate) fn tally_by(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>> {
        match self.analytics() {
            Some(analytics) => {
                sync_if_stale(self.store(), analytics)?;
                analytics.tally_by(dimension, filter)
            }
            None => self.store().tally_by(dimension, filter),
        }
    }
}

/// The analytics backend when one is attached, else the store.
pub(crate) struct FactsSource<'a> {
    app: &'a App,
}

impl FactsSource<'_> {
    /// The items as the analysis reads them (see [`trove_store::Store::scan_item_themes`]),
    /// from the analytics backend when one is attached (synced first when behind).
    pub(crate) fn scan_item_themes(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        page_size: usize,
        visit: &mut PageVisitor<'_, ItemThemes>,
    ) -> StoreResult<()> {
        let store = self.app.store();
        match self.app.analytics() {
            Some(analytics) => {
                sync_if_stale(store, analytics)?;
                analytics.scan_facts(filter, origin, page_size, visit)
            }
            None => store.scan_item_themes(filter, origin, page_size, visit),
        }
    }
}
