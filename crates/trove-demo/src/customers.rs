//! The customer base: names, contacts, segments, units, regions, values, tenure and churn,
//! plus the hidden traits the feedback generator needs (mood, plan, chronic exposure).

use std::collections::HashMap;

use jiff::Span;
use jiff::civil::Date;
use trove_domain::{Currency, Customer, CustomerId, Label, Money};

use crate::DemoError;
use crate::catalog::{FIRST_NAMES, LAST_NAMES, REGIONS, SEGMENTS, UNITS, label};
use crate::rng::Rng;

/// Chance that a customer is exposed to one chronic theme (each theme drawn apart).
const EXPOSURE: f64 = 0.12;
/// Extra chance of churning for a customer exposed to any chronic theme.
const CHRONIC_CHURN: f64 = 0.22;

/// What the generator knows about a customer beyond the public record.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub(crate) unit: usize,
    /// Index into the flat product list (units in order, products in order).
    pub(crate) product: usize,
    pub(crate) region: usize,
    pub(crate) segment: usize,
    pub(crate) monthly: bool,
    /// Personal shift of NPS answers.
    pub(crate) mood: f64,
    /// Bit `i` set: exposed to the `i`-th chronic theme.
    pub(crate) exposed: u8,
    /// First day seen, in days from the start of the feedback period (negative: before).
    pub(crate) first_seen_day: i64,
    pub(crate) first_name: &'static str,
    pub(crate) account: Label,
}

/// Index of a unit's first product in the flat product list.
pub(crate) fn first_product(unit: usize) -> usize {
    UNITS
        .iter()
        .take(unit)
        .map(|(_, _, products)| products.len())
        .sum()
}

/// Builds `count` customers whose feedback period starts on `start` and lasts `period_days`.
pub(crate) fn build(
    rng: &mut Rng,
    count: usize,
    chronic_themes: usize,
    start: Date,
    period_days: i64,
) -> Result<(Vec<Customer>, Vec<Profile>), DemoError> {
    let currency = Currency::parse(crate::catalog::CURRENCY)?;
    let unit_weights: Vec<f64> = UNITS.iter().map(|(_, share, _)| *share).collect();
    let region_weights: Vec<f64> = REGIONS.iter().map(|(_, share)| *share).collect();
    let unit_labels = UNITS
        .iter()
        .map(|(name, _, _)| label(name))
        .collect::<Result<Vec<_>, _>>()?;
    let region_labels = REGIONS
        .iter()
        .map(|(name, _)| label(name))
        .collect::<Result<Vec<_>, _>>()?;
    let segment_labels = SEGMENTS
        .iter()
        .map(|name| label(name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut emails: HashMap<String, u32> = HashMap::new();
    let mut customers = Vec::with_capacity(count);
    let mut profiles = Vec::with_capacity(count);
    for n in 1..=count {
        let unit = rng.weighted(&unit_weights);
        let products = UNITS.get(unit).map_or(0, |(_, _, p)| p.len());
        let product = first_product(unit) + rng.weighted(&[0.4, 0.3, 0.2, 0.1][..products.min(4)]);
        let region = rng.weighted(&region_weights);
        let segment = if unit == 2 {
            2
        } else {
            usize::from(rng.chance(0.25))
        };
        let first_name = rng.pick(&FIRST_NAMES);
        let last_name = rng.pick(&LAST_NAMES);
        let local = format!(
            "{}.{}",
            first_name.to_ascii_lowercase(),
            last_name.to_ascii_lowercase()
        );
        let seen = emails.entry(local.clone()).or_insert(0);
        *seen += 1;
        let domain = if segment == 2 {
            "example.org"
        } else {
            "example.com"
        };
        let email = match *seen {
            1 => format!("{local}@{domain}"),
            k => format!("{local}{k}@{domain}"),
        };
        let (median, sigma) = [(2_400.0, 0.55), (6_500.0, 0.5), (14_000.0, 0.75)][segment];
        let value = Money::from_minor(
            (rng.lognormal(median, sigma) * 100.0).round() as i64,
            currency,
        );
        let first_seen_day = if rng.chance(0.8) {
            -rng.range(30, 3_650)
        } else {
            rng.range(0, (period_days - 30).max(0))
        };
        let exposed = (0..chronic_themes.min(8))
            .filter(|_| rng.chance(EXPOSURE))
            .fold(0u8, |bits, i| bits | 1 << i);
        let churn = [0.07, 0.05, 0.08][segment] + if exposed != 0 { CHRONIC_CHURN } else { 0.0 };
        let churned = rng.chance(churn);
        let monthly = rng.chance(0.6);
        let mood = 0.8 * rng.normal();
        customers.push(Customer {
            id: CustomerId::parse(&format!("C{n:06}"))?,
            name: Some(label(&format!("{first_name} {last_name}"))?),
            email: Customer::parse_email(&email)?,
            segment: segment_labels.get(segment).cloned(),
            business_unit: unit_labels.get(unit).cloned(),
            region: region_labels.get(region).cloned(),
            value: Some(value),
            first_seen: Some(start.checked_add(Span::new().days(first_seen_day))?),
            churned,
        });
        profiles.push(Profile {
            unit,
            product,
            region,
            segment,
            monthly,
            mood,
            exposed,
            first_seen_day,
            first_name,
            account: label(&format!("NW-{:08}", 10_000_000 + n * 7 + rng.index(7)))?,
        });
    }
    Ok((customers, profiles))
}
