//! Revenue at risk: the value of the distinct customers who raised a theme unhappily.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use trove_domain::{Currency, Money};

/// Revenue at risk per currency. Amounts in different currencies are never added together.
pub type RevenueAtRisk = BTreeMap<Currency, Money>;

/// Why revenue at risk could not be summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevenueError {
    /// A currency's total does not fit in `i64` minor units.
    Overflow(Currency),
}

/// Revenue at risk of a theme: the sum of the lifetime value (or revenue) of the **distinct**
/// customers who raised it with negative sentiment or as detractors, per currency.
///
/// `customers` yields `(customer id, value)` for the qualifying mentions, already filtered (one
/// per mention: a customer who complained five times appears five times and counts once). A
/// customer is counted once per currency; should the same customer come with different values
/// in one currency, the largest is taken, so the result never depends on the input order.
pub fn revenue_at_risk<C, I>(customers: I) -> Result<RevenueAtRisk, RevenueError>
where
    C: Ord,
    I: IntoIterator<Item = (C, Money)>,
{
    let mut value_of: BTreeMap<(Currency, C), i64> = BTreeMap::new();
    for (customer, money) in customers {
        let value = value_of
            .entry((money.currency(), customer))
            .or_insert(money.minor());
        *value = (*value).max(money.minor());
    }
    let mut totals = RevenueAtRisk::new();
    for ((currency, _), minor) in value_of {
        let amount = Money::from_minor(minor, currency);
        let total = match totals.get(&currency) {
            Some(sum) => sum
                .checked_add(amount)
                .ok_or(RevenueError::Overflow(currency))?,
            None => amount,
        };
        totals.insert(currency, total);
    }
    Ok(totals)
}

/// The number of distinct customers among `customers`.
pub fn distinct_customers<C: Ord, I: IntoIterator<Item = C>>(customers: I) -> u64 {
    customers.into_iter().collect::<BTreeSet<_>>().len() as u64
}

/// A short figure for explanations: `$2.3M`, `€410K`, `1.2B JPY`, `$950`.
pub fn compact_money(money: &Money) -> String {
    let units = money.minor() as f64 / 100.0;
    let magnitude = units.abs();
    let number = if magnitude >= 1e9 {
        format!("{:.1}B", units / 1e9)
    } else if magnitude >= 1e6 {
        format!("{:.1}M", units / 1e6)
    } else if magnitude >= 1e3 {
        format!("{:.0}K", units / 1e3)
    } else {
        format!("{units:.0}")
    };
    match money.currency().as_str() {
        "USD" => format!("${number}"),
        "EUR" => format!("€{number}"),
        "GBP" => format!("£{number}"),
        code => format!("{number} {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(units: i64) -> Money {
        Money::from_minor(units * 100, Currency::parse("USD").unwrap())
    }

    fn eur(units: i64) -> Money {
        Money::from_minor(units * 100, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn distinct_customers_count_once_and_currencies_never_mix() {
        // c1 $1,000 (twice), c2 $2,500, c3 €700, c1 again $1,000: USD 1,000 + 2,500 = 3,500;
        // EUR 700.
        let rows = [
            ("c1", usd(1000)),
            ("c2", usd(2500)),
            ("c1", usd(1000)),
            ("c3", eur(700)),
        ];
        let totals = revenue_at_risk(rows).unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[&Currency::parse("USD").unwrap()], usd(3500));
        assert_eq!(totals[&Currency::parse("EUR").unwrap()], eur(700));
        assert_eq!(distinct_customers(rows.map(|r| r.0)), 3);
    }

    #[test]
    fn the_result_does_not_depend_on_order_and_overflow_is_an_error() {
        let forward = revenue_at_risk([("a", usd(5)), ("a", usd(9)), ("b", usd(1))]).unwrap();
        let backward = revenue_at_risk([("b", usd(1)), ("a", usd(9)), ("a", usd(5))]).unwrap();
        assert_eq!(forward, backward);
        assert_eq!(forward[&Currency::parse("USD").unwrap()], usd(10));
        let huge = Money::from_minor(i64::MAX, Currency::parse("USD").unwrap());
        assert_eq!(
            revenue_at_risk([("a", huge), ("b", usd(1))]),
            Err(RevenueError::Overflow(Currency::parse("USD").unwrap()))
        );
        assert!(
            revenue_at_risk(Vec::<(String, Money)>::new())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn compact_figures_read_like_a_report() {
        assert_eq!(compact_money(&usd(2_300_000)), "$2.3M");
        assert_eq!(compact_money(&eur(410_000)), "€410K");
        assert_eq!(compact_money(&usd(950)), "$950");
        let yen = Money::from_minor(120_000_000_000, Currency::parse("JPY").unwrap());
        assert_eq!(compact_money(&yen), "1.2B JPY");
    }
}
