//! Why a score moved: the change of a mean score between two periods split into per-theme
//! contributions that add up exactly to the total change.
//!
//! **Method (mix and rate, symmetric).** Each item carries a value (for NPS: +100 for a
//! promoter, 0 for a passive, -100 for a detractor, so the score is the items' mean value; for
//! CSAT and CES shares: 100 or 0). An item with `k` themes is split evenly over them (weight
//! `1/k` each); an item without a theme goes whole to the group [`UNTAGGED`]. A group `g` then
//! has in each period a weight share `w_g` (its weight over the period's items; the shares add
//! up to 1) and a rate `r_g` (the weighted mean value of its items), and the score is exactly
//! `S = Σ_g w_g · r_g`. The change is split per group as
//!
//! `ΔS_g = (w1_g − w0_g) · (r0_g + r1_g) / 2  +  (r1_g − r0_g) · (w0_g + w1_g) / 2`
//!
//! (a mix effect and a rate effect). Since `(w1−w0)(r0+r1)/2 + (r1−r0)(w0+w1)/2 = w1·r1 − w0·r0`,
//! the groups' contributions add up to `S1 − S0` exactly; this symmetric split is the Shapley
//! value of the two factors (weight and rate). A group absent from one period has no rate
//! there: the other period's rate stands in, so its whole contribution is mix (`w1·r1` or
//! `−w0·r0`), which is what it must be whatever rate stands in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The group of the items without a theme.
pub const UNTAGGED: &str = "untagged";

/// The group holding the themes left out of a short list, with [`UNTAGGED`].
pub const OTHER_AND_UNTAGGED: &str = "other and untagged";

/// One period's items, as weights and value sums per group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupedValues {
    /// Items (each weighs 1 in all, split over its themes).
    items: f64,
    /// Per group: (weight, weighted sum of values).
    groups: BTreeMap<String, (f64, f64)>,
}

impl GroupedValues {
    /// No items.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one item's value, split evenly over its `themes` (to [`UNTAGGED`] when none).
    /// A theme named twice counts once.
    pub fn add<S: AsRef<str>>(&mut self, value: f64, themes: &[S]) {
        self.items += 1.0;
        let mut distinct: Vec<&str> = themes.iter().map(AsRef::as_ref).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.is_empty() {
            distinct.push(UNTAGGED);
        }
        let weight = 1.0 / distinct.len() as f64;
        for theme in distinct {
            let group = self.groups.entry(theme.to_owned()).or_default();
            group.0 += weight;
            group.1 += weight * value;
        }
    }

    /// Items added.
    pub fn items(&self) -> u64 {
        self.items as u64
    }

    /// The score: the items' mean value; `None` without items.
    pub fn score(&self) -> Option<f64> {
        (self.items > 0.0).then(|| self.groups.values().map(|g| g.1).sum::<f64>() / self.items)
    }

    /// A group's weight share and rate; `None` when it has no item.
    fn share_and_rate(&self, group: &str) -> Option<(f64, f64)> {
        let (weight, sum) = self.groups.get(group).filter(|g| g.0 > 0.0)?;
        Some((weight / self.items, sum / weight))
    }
}

/// One group's part of the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The theme id, [`UNTAGGED`] or [`OTHER_AND_UNTAGGED`].
    pub group: String,
    /// Its weight share in the first period (0..1).
    pub share_before: f64,
    /// Its weight share in the second period.
    pub share_after: f64,
    /// Its rate (mean value) in the first period; `None` when absent then.
    pub rate_before: Option<f64>,
    /// Its rate in the second period; `None` when absent then.
    pub rate_after: Option<f64>,
    /// `(w1 − w0) · r̄`: the change from its share of the items.
    pub mix: f64,
    /// `(r1 − r0) · w̄`: the change from its items' score.
    pub rate: f64,
    /// `mix + rate`: its contribution to the total change, in score points.
    pub total: f64,
}

/// A score's change split over groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// The score in the first period.
    pub before: f64,
    /// The score in the second period.
    pub after: f64,
    /// `after − before`.
    pub total_change: f64,
    /// Every group's contribution, largest effect first; they add up to `total_change`.
    pub contributions: Vec<Contribution>,
}

/// Splits the change from `before` to `after` over the groups. `None` when a period has no
/// items.
pub fn decompose(before: &GroupedValues, after: &GroupedValues) -> Option<Decomposition> {
    let score_before = before.score()?;
    let score_after = after.score()?;
    let mut groups: Vec<&String> = before.groups.keys().chain(after.groups.keys()).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut contributions: Vec<Contribution> = groups
        .into_iter()
        .map(|group| {
            let old = before.share_and_rate(group);
            let new = after.share_and_rate(group);
            let (w0, w1) = (old.map_or(0.0, |o| o.0), new.map_or(0.0, |n| n.0));
            // A period without the group borrows the other's rate: its rate effect is 0.
            let r0 = old.or(new).map_or(0.0, |o| o.1);
            let r1 = new.or(old).map_or(0.0, |n| n.1);
            let mix = (w1 - w0) * (r0 + r1) / 2.0;
            let rate = (r1 - r0) * (w0 + w1) / 2.0;
            Contribution {
                group: group.clone(),
                share_before: w0,
                share_after: w1,
                rate_before: old.map(|o| o.1),
                rate_after: new.map(|n| n.1),
                mix,
                rate,
                total: mix + rate,
            }
        })
        .collect();
    contributions.sort_by(|a, b| b.total.abs().total_cmp(&a.total.abs()));
    Some(Decomposition {
        before: score_before,
        after: score_after,
        total_change: score_after - score_before,
        contributions,
    })
}

impl Decomposition {
    /// The `keep` themes with the largest contributions, and one [`OTHER_AND_UNTAGGED`] row
    /// that sums the rest (the untagged items always among them). The rows still add up to
    /// the total change. The remainder's shares are summed; its rates are `None`.
    pub fn top(&self, keep: usize) -> Vec<Contribution> {
        let (mut shown, mut rest) = (Vec::new(), Vec::new());
        for c in &self.contributions {
            if c.group != UNTAGGED && shown.len() < keep {
                shown.push(c.clone());
            } else {
                rest.push(c);
            }
        }
        let sum = |f: fn(&Contribution) -> f64| rest.iter().map(|c| f(c)).sum::<f64>();
        shown.push(Contribution {
            group: OTHER_AND_UNTAGGED.to_owned(),
            share_before: sum(|c| c.share_before),
            share_after: sum(|c| c.share_after),
            rate_before: None,
            rate_after: None,
            mix: sum(|c| c.mix),
            rate: sum(|c| c.rate),
            total: sum(|c| c.total),
        });
        shown
    }
}

/// One sentence that says how [`decompose`] works, for reports.
pub const METHOD: &str = "Each answer is split evenly over its themes (untagged answers form their own group); \
the score is the sum over groups of share × group score, and each group's part of the change is \
(change of its share) × (its average score) + (change of its score) × (its average share), a \
symmetric mix-and-rate split (the Shapley value of the two factors) that adds up exactly to the total change.";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A worked example by hand, NPS coded +100 / 0 / -100.
    ///
    /// Month 0 (4 answers): P{a}, D{a,b}, P{}, D{b}
    /// Month 1 (4 answers): P{a}, P{a,b}, D{}, P{b}
    ///
    /// Month 0: NPS = (100 − 100 + 100 − 100) / 4 = 0.
    ///   a: weight 1 + ½ = 1.5, sum 100 − 50 = 50   → w = 1.5/4 = 0.375, r = 33.333…
    ///   b: weight ½ + 1 = 1.5, sum −50 − 100 = −150 → w = 0.375, r = −100
    ///   untagged: weight 1, sum 100               → w = 0.25, r = 100
    ///   check: 0.375·33.33 − 0.375·100 + 0.25·100 = 12.5 − 37.5 + 25 = 0 ✓
    /// Month 1: NPS = (100 + 100 − 100 + 100) / 4 = 50.
    ///   a: weight 1.5, sum 100 + 50 = 150 → w = 0.375, r = 100
    ///   b: weight 1.5, sum 50 + 100 = 150 → w = 0.375, r = 100
    ///   untagged: weight 1, sum −100      → w = 0.25, r = −100
    /// Contributions (shares unchanged, so all is rate: (r1 − r0) · w̄):
    ///   a: (100 − 33.333…) · 0.375 = 25
    ///   b: (100 + 100) · 0.375 = 75
    ///   untagged: (−100 − 100) · 0.25 = −50
    ///   sum 25 + 75 − 50 = 50 = the change ✓
    #[test]
    fn the_worked_example_by_hand() {
        let mut m0 = GroupedValues::new();
        m0.add(100.0, &["a"]);
        m0.add(-100.0, &["a", "b"]);
        m0.add(100.0, &[] as &[&str]);
        m0.add(-100.0, &["b"]);
        let mut m1 = GroupedValues::new();
        m1.add(100.0, &["a"]);
        m1.add(100.0, &["a", "b"]);
        m1.add(-100.0, &[] as &[&str]);
        m1.add(100.0, &["b"]);
        let d = decompose(&m0, &m1).unwrap();
        assert!((d.before - 0.0).abs() < 1e-12 && (d.after - 50.0).abs() < 1e-12);
        let get = |g: &str| d.contributions.iter().find(|c| c.group == g).unwrap();
        assert!((get("a").total - 25.0).abs() < 1e-12, "{d:?}");
        assert!((get("b").total - 75.0).abs() < 1e-12);
        assert!((get(UNTAGGED).total + 50.0).abs() < 1e-12);
        assert!(get("a").mix.abs() < 1e-12);
        assert!((get("a").rate_before.unwrap() - 100.0 / 3.0).abs() < 1e-12);
        assert_eq!(d.contributions[0].group, "b", "largest first");
        // Kept to one theme: b, then the rest (a and untagged: 25 − 50 = −25).
        let top = d.top(1);
        assert_eq!(top.len(), 2);
        assert_eq!(top[1].group, OTHER_AND_UNTAGGED);
        assert!((top[1].total + 25.0).abs() < 1e-12);
    }

    /// Mix alone: a theme that appears only in the second month.
    /// Month 0: D{} , P{}  → NPS 0, untagged w 1, r 0.
    /// Month 1: D{c}, P{}  → NPS 0; c: w ½, r −100; untagged: w ½, r 100.
    /// c (absent before, borrows r = −100): mix (½ − 0) · −100 = −50, rate 0.
    /// untagged: mix (½ − 1) · (0 + 100)/2 = −25; rate (100 − 0) · (1 + ½)/2 = 75; total 50.
    /// Sum −50 + 50 = 0 ✓
    #[test]
    fn a_new_theme_is_all_mix() {
        let mut m0 = GroupedValues::new();
        m0.add(-100.0, &[] as &[&str]);
        m0.add(100.0, &[] as &[&str]);
        let mut m1 = GroupedValues::new();
        m1.add(-100.0, &["c"]);
        m1.add(100.0, &[] as &[&str]);
        let d = decompose(&m0, &m1).unwrap();
        let c = d.contributions.iter().find(|c| c.group == "c").unwrap();
        assert!((c.mix + 50.0).abs() < 1e-12 && c.rate.abs() < 1e-12 && c.rate_before.is_none());
        let u = d
            .contributions
            .iter()
            .find(|c| c.group == UNTAGGED)
            .unwrap();
        assert!((u.mix + 25.0).abs() < 1e-12 && (u.rate - 75.0).abs() < 1e-12);
        assert!(decompose(&GroupedValues::new(), &m1).is_none());
    }

    proptest::proptest! {
        /// Whatever the items, the contributions (and the short list's) add up to the change.
        #[test]
        fn contributions_add_up_to_the_change(
            before in proptest::collection::vec((0u8..3, proptest::collection::vec(0u8..6, 0..4)), 1..60),
            after in proptest::collection::vec((0u8..3, proptest::collection::vec(0u8..6, 0..4)), 1..60),
            keep in 0usize..8,
        ) {
            let fill = |items: &[(u8, Vec<u8>)]| {
                let mut g = GroupedValues::new();
                for (band, themes) in items {
                    let names: Vec<String> = themes.iter().map(|t| format!("t{t}")).collect();
                    g.add(f64::from(*band) * 100.0 - 100.0, &names);
                }
                g
            };
            let d = decompose(&fill(&before), &fill(&after)).unwrap();
            let sum: f64 = d.contributions.iter().map(|c| c.total).sum();
            proptest::prop_assert!((sum - d.total_change).abs() < 1e-9);
            let short: f64 = d.top(keep).iter().map(|c| c.total).sum();
            proptest::prop_assert!((short - d.total_change).abs() < 1e-9);
            for c in &d.contributions {
                proptest::prop_assert!((c.mix + c.rate - c.total).abs() < 1e-12);
            }
        }
    }
}
