//! Stratified survey samples: which customers to invite (`trove sample`), the wave recorded so
//! a later draw leaves them alone for a while, and the design-weighted NPS of the answers that
//! come back (`trove sample estimate`).
//!
//! Who may be drawn: customers not churned, not opted out of surveys, and not invited by a
//! wave drawn within the quarantine. `N_h` counts them, so a wave's estimate describes that
//! population. A stratum is a combination of the chosen attributes' values; a customer without
//! a value for one forms the level `(none)`, said in the notes. Value bands are thirds of the
//! population's lifetime value (low, middle, high; cut points in the plan).
//!
//! Neyman allocation reads each stratum's standard deviation of past NPS answers (±1 scoring,
//! the latest answer of each customer in the stratum before the draw, churned and quarantined
//! customers included since they describe the stratum too); when a stratum has fewer than two
//! such answers the whole allocation falls back to proportional, and the plan says so.
//!
//! An answer to a wave is the first feedback item with an NPS score from an invited customer
//! received within the wave's answer window after the draw.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use trove_analytics::impact::SplitMix64;
use trove_analytics::sampling::{
    Allocation, AllocationError, NpsCounts, StratumAnswers, WeightedNps, allocate, draw_indices,
    weighted_nps,
};
use trove_domain::Customer;
use trove_store::{FeedbackFilter, Invitation, NewWave, StoreError, ThemeOrigin, Wave};
use trove_workflow::rules;

use crate::{App, Clock, WorkflowError};

const DAY: i64 = 86_400;
/// The level of a customer without a value for an attribute.
pub const NO_VALUE: &str = "(none)";

/// An attribute customers can be stratified by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StratumBy {
    /// The customer's segment.
    Segment,
    /// Their region.
    Region,
    /// The business unit that serves them.
    BusinessUnit,
    /// The third of lifetime value they fall in.
    ValueBand,
}

impl StratumBy {
    /// Every attribute, as the command line names them.
    pub const ALL: [StratumBy; 4] = [
        StratumBy::Segment,
        StratumBy::Region,
        StratumBy::BusinessUnit,
        StratumBy::ValueBand,
    ];

    /// Its name (`business-unit`).
    pub fn as_str(self) -> &'static str {
        match self {
            StratumBy::Segment => "segment",
            StratumBy::Region => "region",
            StratumBy::BusinessUnit => "business-unit",
            StratumBy::ValueBand => "value-band",
        }
    }

    /// The attribute named `raw`.
    pub fn parse(raw: &str) -> Result<Self, SampleError> {
        let wanted = raw.trim().to_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|by| by.as_str() == wanted)
            .ok_or_else(|| {
                SampleError::Invalid(format!(
                    "--strata: {raw:?} is not an attribute of customers; choose from segment, region, business-unit, value-band"
                ))
            })
    }
}

/// Why a sample cannot be drawn or estimated.
#[derive(Debug, Error)]
pub enum SampleError {
    /// The request or the data does not allow it (said in words).
    #[error("{0}")]
    Invalid(String),
    /// The allocation failed.
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    /// The rules refused it (a pretended time outside a rehearsal; boxed: a refusal is large).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// How many customers to invite.
    pub n: u64,
    /// The attributes whose combinations are the strata, at least one.
    pub strata: Vec<StratumBy>,
    /// How to spread `n` over the strata.
    pub allocation: Allocation,
    /// Customers invited within this many days are left out.
    pub quarantine_days: i64,
    /// An answer counts for the wave within this many days after the draw.
    pub answer_window_days: i64,
    /// The seed of the draw.
    pub seed: u64,
}

/// One stratum of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumRow {
    /// Its name (`segment=SMB · region=North`).
    pub stratum: String,
    /// `N_h`: customers that may be drawn.
    pub population: u64,
    /// Past NPS answers of its customers (the latest of each).
    pub past_answers: u64,
    /// `S_h` of those answers (±1 scoring), from two.
    pub deviation: Option<f64>,
    /// `n_h`: customers invited.
    pub sample: u64,
    /// The design weight `N_h / n_h` (none when no one is invited).
    pub weight: Option<f64>,
}

/// How a sample is spread, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplePlan {
    /// The allocation asked for.
    pub asked: Allocation,
    /// The allocation used (proportional when Neyman lacked deviations).
    pub used: Allocation,
    /// The attributes of the strata.
    pub strata_by: Vec<StratumBy>,
    /// The sample size.
    pub n: u64,
    /// The seed.
    pub seed: u64,
    /// When it was drawn (unix seconds).
    pub at: i64,
    /// Customers stored.
    pub customers: u64,
    /// Left out: churned.
    pub churned: u64,
    /// Left out: opted out of surveys.
    pub opted_out: u64,
    /// Left out: invited within the quarantine.
    pub quarantined: u64,
    /// The quarantine (days).
    pub quarantine_days: i64,
    /// The answer window (days).
    pub answer_window_days: i64,
    /// The value bands' cut points (lower bounds of middle and high, in minor units) and
    /// currency, when stratified by value band.
    pub value_cuts: Option<(i64, i64, String)>,
    /// The strata, by name.
    pub rows: Vec<StratumRow>,
    /// What the reader should know (fallbacks, customers without a value).
    pub notes: Vec<String>,
}

/// A drawn sample: the plan, the invitations, and the wave's number once recorded.
#[derive(Debug, Clone, Serialize)]
pub struct DrawnSample {
    /// The recorded wave (none on a dry run).
    pub wave: Option<i64>,
    /// The plan.
    pub plan: SamplePlan,
    /// Who is invited, by customer id.
    pub invitations: Vec<Invitation>,
}

/// One stratum of a wave's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaveStratum {
    /// Its name.
    pub stratum: String,
    /// `N_h` when drawn.
    pub population: u64,
    /// Invited.
    pub invited: u64,
    /// Answered within the window.
    pub respondents: u64,
    /// The stratum's own NPS, if anyone answered.
    pub nps: Option<f64>,
    /// Its respondents' answers.
    pub answers: NpsCounts,
}

/// A wave's design-weighted NPS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaveEstimate {
    /// The wave.
    pub wave: Wave,
    /// The end of its answer window (unix seconds, exclusive).
    pub window_end: i64,
    /// Per stratum.
    pub strata: Vec<WaveStratum>,
    /// The estimate (none before any answer).
    pub estimate: Option<WeightedNps>,
    /// The plain NPS of the same answers, every respondent counted once whatever their
    /// stratum (the textbook Wald interval), to set beside the design-weighted one.
    pub unweighted: Option<trove_analytics::scores::Estimate>,
}

/// The value band of a lifetime value, by the cut points.
fn band(minor: i64, cuts: (i64, i64)) -> &'static str {
    if minor < cuts.0 {
        "low"
    } else if minor < cuts.1 {
        "middle"
    } else {
        "high"
    }
}

/// The value bands' cut points: the values a third and two thirds of the way up the sorted
/// values (ties go to the higher band). Refuses values in more than one currency.
fn value_cuts(customers: &[Customer]) -> Result<(i64, i64, String), SampleError> {
    let mut currencies = BTreeMap::new();
    let mut values: Vec<i64> = Vec::new();
    for money in customers.iter().filter_map(|c| c.value) {
        currencies.insert(money.currency().to_string(), ());
        values.push(money.minor());
    }
    if currencies.len() > 1 {
        return Err(SampleError::Invalid(format!(
            "--strata value-band: lifetime values are in {} currencies ({}); bands would compare amounts of different money",
            currencies.len(),
            currencies.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    values.sort_unstable();
    let m = values.len();
    let currency = currencies.into_keys().next().unwrap_or_default();
    Ok((values[m / 3], values[2 * m / 3], currency))
}

/// A customer's value of an attribute, if they have one.
fn level(customer: &Customer, by: StratumBy, cuts: Option<(i64, i64)>) -> Option<String> {
    let text = |label: &Option<trove_domain::Label>| label.as_ref().map(|l| l.as_str().to_owned());
    match by {
        StratumBy::Segment => text(&customer.segment),
        StratumBy::Region => text(&customer.region),
        StratumBy::BusinessUnit => text(&customer.business_unit),
        StratumBy::ValueBand => customer
            .value
            .zip(cuts)
            .map(|(money, cuts)| band(money.minor(), cuts).to_owned()),
    }
}

/// The stratum of a customer (`segment=SMB · region=North`).
fn stratum_of(customer: &Customer, strata: &[StratumBy], cuts: Option<(i64, i64)>) -> String {
    strata
        .iter()
        .map(|&by| {
            let value = level(customer, by, cuts).unwrap_or_else(|| NO_VALUE.to_owned());
            format!("{}={value}", by.as_str())
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

impl App {
    /// Every stored customer, by id.
    fn all_customers(&self) -> Result<Vec<Customer>, StoreError> {
        let mut all = Vec::new();
        self.store().scan_customers(1000, &mut |page| {
            all.extend(page);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    /// The latest NPS answer (±1) of each customer among `customers` before `at`.
    fn latest_nps(&self, at: i64) -> Result<HashMap<String, (i64, i8)>, StoreError> {
        let filter = FeedbackFilter {
            until: Some(at),
            ..FeedbackFilter::default()
        };
        let mut latest: HashMap<String, (i64, i8)> = HashMap::new();
        self.store()
            .scan_item_themes(&filter, ThemeOrigin::Rule, 5000, &mut |page| {
                for item in page {
                    let (Some(customer), Some(nps)) = (item.customer_id, item.scores.nps) else {
                        continue;
                    };
                    let value = i8::from(nps.is_promoter()) - i8::from(nps.is_detractor());
                    let entry = latest.entry(customer).or_insert((item.received_at, value));
                    if item.received_at >= entry.0 {
                        *entry = (item.received_at, value);
                    }
                }
                ControlFlow::Continue(())
            })?;
        Ok(latest)
    }

    /// Plans and draws a sample at the `clock`'s time (a pretended one only on a rehearsal
    /// database), and records it as a wave drawn by `actor` unless `dry_run`.
    pub fn draw_sample(
        &self,
        spec: &SampleSpec,
        actor: Option<&str>,
        clock: Clock,
        dry_run: bool,
    ) -> Result<DrawnSample, SampleError> {
        if spec.strata.is_empty() {
            return Err(SampleError::Invalid(
                "--strata: name at least one attribute (segment, region, business-unit, value-band)".into(),
            ));
        }
        let state = self.workflow()?;
        if let Clock::Rehearsed(_) = clock {
            rules::rehearsal(&state).map_err(WorkflowError::from)?;
        }
        // Whoever is named as drawing the wave must be a Trove user.
        let drawn_by = actor
            .map(|a| self.user(&state, a))
            .transpose()?
            .map(|u| u.email);
        let at = clock.now();
        let customers = self.all_customers()?;
        let cuts = self.check_attributes(&customers, &spec.strata)?;
        let opted_out: HashSet<String> = self.store().opted_out()?.into_iter().collect();
        // No quarantine (0 days) leaves out no one, even a wave drawn this very second.
        let quarantined: HashSet<String> = if spec.quarantine_days > 0 {
            let since = at - spec.quarantine_days * DAY;
            self.store().invited_since(since)?.into_iter().collect()
        } else {
            HashSet::new()
        };
        let latest = self.latest_nps(at)?;
        let plain_cuts = cuts.as_ref().map(|c| (c.0, c.1));

        let mut plan = SamplePlan {
            asked: spec.allocation,
            used: spec.allocation,
            strata_by: spec.strata.clone(),
            n: spec.n,
            seed: spec.seed,
            at,
            customers: customers.len() as u64,
            churned: 0,
            opted_out: 0,
            quarantined: 0,
            quarantine_days: spec.quarantine_days,
            answer_window_days: spec.answer_window_days,
            value_cuts: cuts,
            rows: Vec::new(),
            notes: Vec::new(),
        };
        // Members (eligible, by id) and past answers of every stratum.
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut answers: BTreeMap<String, NpsCounts> = BTreeMap::new();
        for customer in &customers {
            let stratum = stratum_of(customer, &spec.strata, plain_cuts);
            let id = customer.id.as_str();
            if let Some((_, value)) = latest.get(id) {
                let counts = answers.entry(stratum.clone()).or_default();
                match value {
                    1 => counts.promoters += 1,
                    -1 => counts.detractors += 1,
                    _ => counts.passives += 1,
                }
            }
            let left_out = if customer.churned {
                &mut plan.churned
            } else if opted_out.contains(id) {
                &mut plan.opted_out
            } else if quarantined.contains(id) {
                &mut plan.quarantined
            } else {
                members.entry(stratum).or_default().push(id.to_owned());
                continue;
            };
            *left_out += 1;
        }
        self.note_missing_values(&customers, &spec.strata, plain_cuts, &mut plan.notes);

        let keys: Vec<String> = members.keys().cloned().collect();
        let sizes: Vec<u64> = keys.iter().map(|k| members[k].len() as u64).collect();
        let counts: Vec<NpsCounts> = keys
            .iter()
            .map(|k| answers.get(k).copied().unwrap_or_default())
            .collect();
        let deviations: Vec<Option<f64>> = counts.iter().map(NpsCounts::deviation).collect();
        let sample = match allocate(spec.n, &sizes, &deviations, spec.allocation) {
            Err(AllocationError::NoDeviation { strata }) => {
                plan.used = Allocation::Proportional;
                let names: Vec<&str> = strata.iter().map(|&h| keys[h].as_str()).collect();
                plan.notes.push(format!(
                    "Neyman allocation needs at least 2 past NPS answers per stratum; {} ha{} fewer, so the allocation is proportional",
                    names.join(", "),
                    if names.len() == 1 { "s" } else { "ve" }
                ));
                allocate(spec.n, &sizes, &deviations, Allocation::Proportional)?
            }
            other => other?,
        };

        let mut rng = SplitMix64::new(spec.seed);
        let mut invitations = Vec::new();
        for (h, key) in keys.iter().enumerate() {
            let weight = (sample[h] > 0).then(|| sizes[h] as f64 / sample[h] as f64);
            plan.rows.push(StratumRow {
                stratum: key.clone(),
                population: sizes[h],
                past_answers: counts[h].count(),
                deviation: deviations[h],
                sample: sample[h],
                weight,
            });
            for index in draw_indices(members[key].len(), sample[h] as usize, &mut rng) {
                invitations.push(Invitation {
                    customer_id: members[key][index].clone(),
                    stratum: key.clone(),
                    weight: weight.unwrap_or(0.0),
                });
            }
        }
        invitations.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        let wave = if dry_run {
            None
        } else {
            let allocation = serde_json::to_string(&plan)
                .map_err(|e| SampleError::Invalid(format!("cannot record the plan: {e}")))?;
            Some(self.store().create_wave(
                &NewWave {
                    drawn_at: at,
                    drawn_by,
                    seed: spec.seed.to_string(),
                    quarantine_days: spec.quarantine_days,
                    answer_window_days: spec.answer_window_days,
                    allocation,
                },
                &invitations,
            )?)
        };
        Ok(DrawnSample {
            wave,
            plan,
            invitations,
        })
    }

    /// Refuses an attribute no customer has; returns the value bands' cut points when asked.
    fn check_attributes(
        &self,
        customers: &[Customer],
        strata: &[StratumBy],
    ) -> Result<Option<(i64, i64, String)>, SampleError> {
        if customers.is_empty() {
            return Err(SampleError::Invalid(
                "no customers are stored: import them first (`trove import customers FILE`)".into(),
            ));
        }
        let mut cuts = None;
        for &by in strata {
            if by == StratumBy::ValueBand {
                if customers.iter().all(|c| c.value.is_none()) {
                    return Err(missing(by));
                }
                cuts = Some(value_cuts(customers)?);
            } else if customers.iter().all(|c| level(c, by, None).is_none()) {
                return Err(missing(by));
            }
        }
        Ok(cuts)
    }

    fn note_missing_values(
        &self,
        customers: &[Customer],
        strata: &[StratumBy],
        cuts: Option<(i64, i64)>,
        notes: &mut Vec<String>,
    ) {
        for &by in strata {
            let without = customers
                .iter()
                .filter(|c| level(c, by, cuts).is_none())
                .count();
            if without > 0 {
                notes.push(format!(
                    "{without} customers have no {}: they form the level {}={NO_VALUE}",
                    by.as_str(),
                    by.as_str()
                ));
            }
        }
    }

    /// Records that a customer asked not to be surveyed; false when they had already.
    pub fn opt_out_of_surveys(&self, customer_id: &str, clock: Clock) -> Result<bool, SampleError> {
        if self
            .store()
            .customer(
                &trove_domain::CustomerId::parse(customer_id).map_err(|e| {
                    SampleError::Invalid(format!("customer id {customer_id:?}: {e}"))
                })?,
            )?
            .is_none()
        {
            return Err(SampleError::Invalid(format!(
                "no customer {customer_id:?} is stored"
            )));
        }
        Ok(self.store().opt_out(customer_id, clock.now())?)
    }

    /// The wave numbered `id`, or an error naming it.
    pub fn wave(&self, id: i64) -> Result<Wave, SampleError> {
        self.store().wave(id)?.ok_or_else(|| {
            SampleError::Invalid(format!(
                "no sample wave {id}: `trove sample waves` lists them"
            ))
        })
    }

    /// The design-weighted NPS of a wave's answers so far (up to `now`, within its window).
    pub fn wave_estimate(&self, id: i64) -> Result<WaveEstimate, SampleError> {
        let wave = self.wave(id)?;
        let plan: SamplePlan = serde_json::from_str(&wave.allocation)
            .map_err(|e| SampleError::Invalid(format!("wave {id}'s plan cannot be read ({e})")))?;
        let invitations = self.store().invitations(id)?;
        let stratum_of: HashMap<&str, &str> = invitations
            .iter()
            .map(|i| (i.customer_id.as_str(), i.stratum.as_str()))
            .collect();
        let window_end = wave.drawn_at + wave.answer_window_days * DAY;
        let filter = FeedbackFilter {
            since: Some(wave.drawn_at),
            until: Some(window_end),
            ..FeedbackFilter::default()
        };
        // The first answer of each invitee within the window.
        let mut first: HashMap<String, (i64, i64, i8)> = HashMap::new();
        self.store()
            .scan_item_themes(&filter, ThemeOrigin::Rule, 5000, &mut |page| {
                for item in page {
                    let (Some(customer), Some(nps)) = (item.customer_id, item.scores.nps) else {
                        continue;
                    };
                    if !stratum_of.contains_key(customer.as_str()) {
                        continue;
                    }
                    let value = i8::from(nps.is_promoter()) - i8::from(nps.is_detractor());
                    let key = (item.received_at, item.id, value);
                    let entry = first.entry(customer).or_insert(key);
                    if (key.0, key.1) < (entry.0, entry.1) {
                        *entry = key;
                    }
                }
                ControlFlow::Continue(())
            })?;
        let mut counts: BTreeMap<&str, NpsCounts> = BTreeMap::new();
        for (customer, (_, _, value)) in &first {
            let stratum = stratum_of[customer.as_str()];
            let entry = counts.entry(stratum).or_default();
            match value {
                1 => entry.promoters += 1,
                -1 => entry.detractors += 1,
                _ => entry.passives += 1,
            }
        }
        let answers: Vec<StratumAnswers> = plan
            .rows
            .iter()
            .map(|row| StratumAnswers {
                population: row.population,
                answers: counts
                    .get(row.stratum.as_str())
                    .copied()
                    .unwrap_or_default(),
            })
            .collect();
        let strata = plan
            .rows
            .iter()
            .zip(&answers)
            .map(|(row, a)| WaveStratum {
                stratum: row.stratum.clone(),
                population: row.population,
                invited: row.sample,
                respondents: a.answers.count(),
                nps: a.answers.mean().map(|m| 100.0 * m),
                answers: a.answers,
            })
            .collect();
        Ok(WaveEstimate {
            wave,
            window_end,
            strata,
            estimate: weighted_nps(&answers),
            unweighted: unweighted_nps(&answers),
        })
    }
}

impl From<WorkflowError> for SampleError {
    fn from(error: WorkflowError) -> Self {
        match error {
            WorkflowError::Store(store) => SampleError::Store(store),
            other => SampleError::Workflow(Box::new(other)),
        }
    }
}

/// The NPS of every stratum's answers pooled, unweighted.
fn unweighted_nps(strata: &[StratumAnswers]) -> Option<trove_analytics::scores::Estimate> {
    let mut tally = trove_domain::ScoreTally::default();
    for s in strata {
        tally.nps_n += s.answers.count();
        tally.promoters += s.answers.promoters;
        tally.detractors += s.answers.detractors;
    }
    trove_analytics::scores::nps(&tally)
}

fn missing(by: StratumBy) -> SampleError {
    let column = match by {
        StratumBy::ValueBand => "lifetime value",
        StratumBy::BusinessUnit => "business unit",
        other => other.as_str(),
    };
    SampleError::Invalid(format!(
        "--strata {}: no stored customer has a {column}; import customers with that column or stratify by another attribute",
        by.as_str()
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_unweighted_nps_pools_every_strata_s_answers_worked_by_hand() {
        // Strata (promoters, passives, detractors) = (3, 1, 1) and (1, 1, 3): pooled 4, 2, 4
        // of 10, so NPS = 100 · (0.4 − 0.4) = 0; variance of the ±1 code
        // (0.4 + 0.4 − 0²) / 10 = 0.08, half-width 1.96 · √0.08 = 0.5544 → ±55.4 points.
        let stratum = |promoters, passives, detractors| StratumAnswers {
            population: 100,
            answers: NpsCounts {
                promoters,
                passives,
                detractors,
            },
        };
        let plain = unweighted_nps(&[stratum(3, 1, 1), stratum(1, 1, 3)]).unwrap();
        assert_eq!(plain.n, 10);
        assert!(plain.value.abs() < 1e-9);
        assert!((plain.ci_high - 55.436).abs() < 0.01, "{plain:?}");
        assert!((plain.ci_low + 55.436).abs() < 0.01, "{plain:?}");
        assert!(unweighted_nps(&[stratum(0, 0, 0)]).is_none());
    }

    #[test]
    fn value_bands_split_at_the_thirds_and_ties_go_up() {
        assert_eq!(band(5, (10, 20)), "low");
        assert_eq!(band(10, (10, 20)), "middle");
        assert_eq!(band(20, (10, 20)), "high");
    }

    #[test]
    fn attributes_parse_by_their_names_and_refuse_others() {
        assert_eq!(
            StratumBy::parse("business_unit").unwrap(),
            StratumBy::BusinessUnit
        );
        assert_eq!(
            StratumBy::parse(" Value-Band ").unwrap(),
            StratumBy::ValueBand
        );
        let error = StratumBy::parse("age").unwrap_err().to_string();
        assert!(error.contains("\"age\""), "{error}");
    }
}
