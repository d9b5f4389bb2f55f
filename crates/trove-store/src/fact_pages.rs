//! The facts read page by page of ids, for an analytics backend's sync: a digest of every page
//! computed where the facts are (so an unchanged page costs the sync nothing but its digest),
//! and the facts of one id range (so a changed page is read alone, without the items' text).
//!
//! A backend that keeps compact facts rows answers both from them; one that does not says so
//! (`None`) and the sync reads every item with [`crate::read_facts`].

use crate::{FactRow, StoreResult};

/// The digest of one page of ids: the items with ids in
/// `page * page_ids .. (page + 1) * page_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactPageDigest {
    /// The page's number: its items' ids divided by the page size (rounded down).
    pub page: i64,
    /// The items the page holds.
    pub rows: u64,
    /// A digest of the page's facts (every field of [`FactRow`], the customer's segment
    /// included): it changes when any item of the page does. Comparable only with digests of
    /// the same store.
    pub digest: String,
}

/// Per-page reads of the facts (see the module's description).
pub trait FactPages {
    /// The digest of every page of `page_ids` ids that holds items, in page order; `None` when
    /// this store offers no per-page reads.
    fn fact_page_digests(&self, page_ids: i64) -> StoreResult<Option<Vec<FactPageDigest>>> {
        let _ = page_ids;
        Ok(None)
    }

    /// The facts of the items with ids in `first..end`, in id order, as [`crate::read_facts`]
    /// gives them; `None` when this store offers no per-page reads.
    fn fact_range(&self, first: i64, end: i64) -> StoreResult<Option<Vec<FactRow>>> {
        let _ = (first, end);
        Ok(None)
    }
}
