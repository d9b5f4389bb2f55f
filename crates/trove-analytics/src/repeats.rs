//! Repeat contacts as moments of truth: the customer who had to contact the company a third
//! time within 30 days met a moment no journey map names, and what those contacts were about
//! shows where the company failed them the first time.
//!
//! The rule (`nth` contacts within `within` seconds): a contact is a *repeat moment* when it is
//! the customer's `nth` or later contact of a run whose first contact is at most `within`
//! before it; the `nth` contacts ending at a moment are its *chain*. With contacts on days 1,
//! 10, 20 and 45 under "3 within 30 days", day 20 is a moment (days 1, 10, 20) and day 45 is
//! not (its run starts on day 10, 35 days before). With `nth = 1` every contact is a moment,
//! which is how "a first claim" is counted (with the contacts limited to claims).

use std::collections::{BTreeMap, BTreeSet};

/// When a contact is a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatRule {
    /// The count of contacts that makes the moment (3: the third contact).
    pub nth: usize,
    /// The longest time from the first to the `nth` contact, in seconds.
    pub within: i64,
}

impl RepeatRule {
    /// The moment most companies watch: a third contact within 30 days.
    pub const THIRD_IN_30_DAYS: Self = Self {
        nth: 3,
        within: 30 * 86_400,
    };

    /// The indices of the moments among one customer's contact times (sorted ascending).
    pub fn moments(self, times: &[i64]) -> Vec<usize> {
        let back = self.nth.max(1) - 1;
        (back..times.len())
            .filter(|&i| times[i] - times[i - back] <= self.within)
            .collect()
    }

    /// The indices of the contacts in at least one chain (each once, ascending).
    pub fn chained(self, times: &[i64]) -> Vec<usize> {
        let back = self.nth.max(1) - 1;
        let mut chained = BTreeSet::new();
        for i in self.moments(times) {
            chained.extend(i - back..=i);
        }
        chained.into_iter().collect()
    }
}

/// How many customers met the moment in a period, among those who contacted the company.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodRate {
    /// Customers with at least one contact in the period.
    pub contacting: u64,
    /// Customers with at least one moment in the period.
    pub repeating: u64,
}

impl PeriodRate {
    /// The share of contacting customers who met the moment (`None` without contacts).
    pub fn rate(self) -> Option<f64> {
        #[allow(
            clippy::cast_precision_loss,
            reason = "customer counts are far below 2^52"
        )]
        (self.contacting > 0).then(|| self.repeating as f64 / self.contacting as f64)
    }
}

/// Per period key (a month "YYYY-MM", say): customers contacting and customers repeating,
/// from each customer's contacts as (time, period key), sorted by time.
pub fn rates_by_period<'a>(
    rule: RepeatRule,
    customers: impl IntoIterator<Item = &'a [(i64, String)]>,
) -> BTreeMap<String, PeriodRate> {
    let mut rates = BTreeMap::<String, PeriodRate>::new();
    for contacts in customers {
        let times: Vec<i64> = contacts.iter().map(|c| c.0).collect();
        let contacted: BTreeSet<&str> = contacts.iter().map(|c| c.1.as_str()).collect();
        for period in contacted {
            rates.entry(period.to_owned()).or_default().contacting += 1;
        }
        let repeated: BTreeSet<&str> = rule
            .moments(&times)
            .into_iter()
            .map(|i| contacts[i].1.as_str())
            .collect();
        for period in repeated {
            rates.entry(period.to_owned()).or_default().repeating += 1;
        }
    }
    rates
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn days(list: &[i64]) -> Vec<i64> {
        list.iter().map(|d| d * DAY).collect()
    }

    #[test]
    fn a_third_contact_within_30_days_is_a_moment_and_a_stale_run_is_not() {
        let rule = RepeatRule::THIRD_IN_30_DAYS;
        // Days 1, 10, 20: the third is 19 days after the first: a moment. Day 45: its run of
        // three starts on day 10, 35 days before: not one. Day 50: run 20..50 is 30 days:
        // a moment (at most 30 days, inclusive).
        let times = days(&[1, 10, 20, 45, 50]);
        assert_eq!(rule.moments(&times), vec![2, 4]);
        assert_eq!(rule.chained(&times), vec![0, 1, 2, 3, 4]);
        assert!(
            rule.moments(&days(&[1, 2])).is_empty(),
            "two contacts are not three"
        );
        assert!(rule.moments(&[]).is_empty());
        // Every contact after the third in a burst is a moment too; its chain overlaps.
        assert_eq!(rule.moments(&days(&[1, 2, 3, 4])), vec![2, 3]);
    }

    #[test]
    fn a_first_contact_rule_makes_every_contact_a_moment() {
        let rule = RepeatRule { nth: 1, within: 0 };
        assert_eq!(rule.moments(&days(&[3, 90])), vec![0, 1]);
    }

    #[test]
    fn rates_count_customers_once_per_period() {
        let rule = RepeatRule::THIRD_IN_30_DAYS;
        let month = |d: i64, m: &str| (d * DAY, m.to_owned());
        // Ann: three contacts in March (days 1, 5, 9) and a fourth on day 12: one repeating
        // customer in March, counted once. Bob: two in March, one in April 40 days later: a
        // contacting customer in both months, repeating in neither. Cy: days 25 (March), 33,
        // 40 (April): the moment falls in April.
        let ann = vec![
            month(1, "03"),
            month(5, "03"),
            month(9, "03"),
            month(12, "03"),
        ];
        let bob = vec![month(2, "03"), month(3, "03"), month(43, "04")];
        let cy = vec![month(25, "03"), month(33, "04"), month(40, "04")];
        let rates = rates_by_period(rule, [ann.as_slice(), bob.as_slice(), cy.as_slice()]);
        assert_eq!(
            rates["03"],
            PeriodRate {
                contacting: 3,
                repeating: 1
            }
        );
        assert_eq!(
            rates["04"],
            PeriodRate {
                contacting: 2,
                repeating: 1
            }
        );
        assert_eq!(rates["04"].rate(), Some(0.5));
        assert_eq!(PeriodRate::default().rate(), None);
    }
}
