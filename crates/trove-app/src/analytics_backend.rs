//! The optional analytics backend (ClickHouse): when one is attached, the analysis reads its
//! items there and the grouped tallies are computed there; the store stays the system of
//! record, and the facts are brought up to date from it before a read that needs them.

use std::sync::Arc;

use std::ops::ControlFlow;

use trove_store::{
    Analytics, Dimension, FactVisitor, FeedbackFilter, GroupTally, ItemFactsRef, LinkBuffer,
    StoreResult, SyncReport, ThemeOrigin, sync_if_stale,
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
    /// Every matching item, borrowed (see [`trove_store::Store::scan_item_facts`]): from the
    /// store in `parts.len()` parts read side by side, or all to the first part from the
    /// analytics backend when one is attached (synced first when behind).
    pub(crate) fn scan_item_facts(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        parts: &mut [&mut FactVisitor<'_>],
    ) -> StoreResult<()> {
        let store = self.app.store();
        let Some(analytics) = self.app.analytics() else {
            return store.scan_item_facts(filter, origin, parts);
        };
        sync_if_stale(store, analytics)?;
        let Some(visit) = parts.first_mut() else {
            return Ok(());
        };
        let mut links = LinkBuffer::default();
        analytics.scan_facts(filter, origin, 10_000, &mut |page| {
            for item in &page {
                visit(&ItemFactsRef::of(item, &mut links));
            }
            ControlFlow::Continue(())
        })
    }
}
