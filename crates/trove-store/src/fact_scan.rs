//! The analysis's read of every item, borrowed: [`crate::Store::scan_item_facts`] hands each
//! item to a visitor as a view of the row being read (no string copied, no allocation per
//! item), and may read consecutive id ranges side by side, one visitor per part.

use std::ops::{ControlFlow, RangeInclusive};

use trove_domain::{Channel, Scores};

use crate::{
    FeedbackFilter, ItemThemes, LinkBuffer, Store, StoreError, StoreResult, ThemeLinks, ThemeOrigin,
};

/// One item as [`crate::Store::scan_item_themes`] gives it, borrowed from its reader.
#[derive(Debug, Clone, Copy)]
pub struct ItemFactsRef<'a> {
    /// The item's id.
    pub id: i64,
    /// Received time, unix seconds.
    pub received_at: i64,
    /// The customer.
    pub customer_id: Option<&'a str>,
    /// The channel.
    pub channel: Channel,
    /// The business unit.
    pub business_unit: Option<&'a str>,
    /// The touchpoint.
    pub touchpoint: Option<&'a str>,
    /// The scores.
    pub scores: Scores,
    /// The text's sentiment, -1..1, when scored.
    pub sentiment: Option<f32>,
    /// The themes of the origin asked for, each once, sorted, with their mentions' sentiment.
    pub themes: ThemeLinks<'a>,
}

impl<'a> ItemFactsRef<'a> {
    /// An item read by [`crate::Store::scan_item_themes`], its themes laid out in `links`.
    pub fn of(item: &'a ItemThemes, links: &'a mut LinkBuffer) -> Self {
        Self {
            id: item.id,
            received_at: item.received_at,
            customer_id: item.customer_id.as_deref(),
            channel: item.channel,
            business_unit: item.business_unit.as_deref(),
            touchpoint: item.touchpoint.as_deref(),
            scores: item.scores,
            sentiment: item.sentiment,
            themes: links.of_item(item),
        }
    }

    /// The item copied out, as [`crate::Store::scan_item_themes`] gives it.
    pub fn to_item_themes(&self) -> ItemThemes {
        ItemThemes {
            id: self.id,
            received_at: self.received_at,
            customer_id: self.customer_id.map(str::to_owned),
            channel: self.channel,
            business_unit: self.business_unit.map(str::to_owned),
            touchpoint: self.touchpoint.map(str::to_owned),
            scores: self.scores,
            sentiment: self.sentiment,
            themes: self.themes.iter().map(|(t, _)| t.to_owned()).collect(),
            mention_sentiments: self.themes.iter().map(|(_, s)| s).collect(),
        }
    }
}

/// Takes the items of one part of a [`crate::Store::scan_item_facts`], in id order. It runs on
/// the part's reader thread, possibly while the store holds a connection: it must not call
/// the store.
pub type FactVisitor<'v> = dyn FnMut(&ItemFactsRef<'_>) + Send + 'v;

/// Items read per page by [`scan_item_facts_by_pages`].
const PAGE: usize = 10_000;

/// [`crate::Store::scan_item_facts`] for a store without a faster way: every item, in id
/// order, through [`crate::Store::scan_item_themes`] to the first visitor.
pub fn scan_item_facts_by_pages(
    store: &(impl Store + ?Sized),
    filter: &FeedbackFilter,
    origin: ThemeOrigin,
    parts: &mut [&mut FactVisitor<'_>],
) -> StoreResult<()> {
    let Some(visit) = parts.first_mut() else {
        return Ok(());
    };
    let mut links = LinkBuffer::default();
    store.scan_item_themes(filter, origin, PAGE, &mut |page| {
        for item in &page {
            visit(&ItemFactsRef::of(item, &mut links));
        }
        ControlFlow::Continue(())
    })
}

/// The ids `first..=last` cut into one range per part ([`id_ranges`]), each range read by
/// `read` to its part's visitor on a thread of its own, side by side: how a store with
/// connections to spare serves [`crate::Store::scan_item_facts`]. A reader that panics is
/// reported as an error of `context`.
pub fn read_id_ranges_side_by_side(
    first: i64,
    last: i64,
    parts: &mut [&mut FactVisitor<'_>],
    context: &'static str,
    read: impl Fn(RangeInclusive<i64>, &mut FactVisitor<'_>) -> StoreResult<()> + Sync,
) -> StoreResult<()> {
    let ranges = id_ranges(first, last, parts.len());
    std::thread::scope(|scope| {
        let read = &read;
        let readers: Vec<_> = parts
            .iter_mut()
            .zip(ranges)
            .map(|(visit, ids)| scope.spawn(move || read(ids, visit)))
            .collect();
        readers.into_iter().try_for_each(|reader| {
            reader
                .join()
                .unwrap_or_else(|_| Err(StoreError::database(context, "a reader thread panicked")))
        })
    })
}

/// `parts` consecutive id ranges that share `first..=last` as evenly as ids allow (a range
/// may be empty when there are fewer ids than parts).
pub fn id_ranges(first: i64, last: i64, parts: usize) -> Vec<RangeInclusive<i64>> {
    let parts = parts.max(1) as i128;
    let span = (i128::from(last) - i128::from(first) + 1).max(0);
    let bound = |k: i128| i128::from(first) + span * k / parts;
    (0..parts)
        .map(|k| {
            // Within first..=last + 1, and the range's end one below the next start: both fit.
            let end = bound(k + 1) - 1;
            (bound(k) as i64)..=(end as i64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_ranges_cover_every_id_once() {
        assert_eq!(id_ranges(1, 10, 2), vec![1..=5, 6..=10]);
        assert_eq!(id_ranges(1, 10, 3), vec![1..=3, 4..=6, 7..=10]);
        let one_id = id_ranges(5, 5, 2);
        assert!(one_id[0].is_empty());
        assert_eq!(one_id[1], 5..=5);
        assert_eq!(id_ranges(1, 10, 0), vec![1..=10]);
        assert_eq!(
            id_ranges(i64::MIN, i64::MAX, 2),
            vec![i64::MIN..=-1, 0..=i64::MAX]
        );
    }
}
