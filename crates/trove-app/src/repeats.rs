//! Repeat contacts as moments of truth (`trove moments`, `/moments`, a tile of the room): the
//! customers who had to contact the company `nth` times within a window, their rate per month,
//! and what those contacts were about, per theme and per journey stage. The rule is
//! `trove_analytics::repeats`; this module reads the contacts (items of contact channels with a
//! customer) and keeps the report per version of the data.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::sync::Arc;

use trove_analytics::repeats::{PeriodRate, RepeatRule, rates_by_period};
use trove_domain::Channel;
use trove_store::{FeedbackFilter, StoreError, ThemeOrigin};

use crate::App;

/// The channels through which a customer contacts the company (surveys, reviews and forms are
/// answers, not contacts).
pub const CONTACT_CHANNELS: [Channel; 5] = [
    Channel::Call,
    Channel::Chat,
    Channel::Email,
    Channel::Ticket,
    Channel::Social,
];

/// Which moment to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatRequest {
    /// The rule: `nth` contacts within a window.
    pub rule: RepeatRule,
    /// The channels that count as contacts.
    pub channels: Vec<Channel>,
    /// Only contacts at this touchpoint (e.g. `report-claim` with `nth = 1`: a first claim).
    pub touchpoint: Option<String>,
    /// Only contacts of this business unit.
    pub business_unit: Option<String>,
    /// Only contacts of customers in this segment.
    pub segment: Option<String>,
}

impl Default for RepeatRequest {
    fn default() -> Self {
        Self {
            rule: RepeatRule::THIRD_IN_30_DAYS,
            channels: CONTACT_CHANNELS.to_vec(),
            touchpoint: None,
            business_unit: None,
            segment: None,
        }
    }
}

impl RepeatRequest {
    /// The moment in words: "3 contacts within 30 days".
    pub fn words(&self) -> String {
        let days = self.rule.within / 86_400;
        let mut words = format!(
            "{} contact{} within {days} day{}",
            self.rule.nth,
            if self.rule.nth == 1 { "" } else { "s" },
            if days == 1 { "" } else { "s" }
        );
        if let Some(touchpoint) = &self.touchpoint {
            words.push_str(&format!(" at {touchpoint}"));
        }
        if let Some(unit) = &self.business_unit {
            words.push_str(&format!(", business unit {unit}"));
        }
        if let Some(segment) = &self.segment {
            words.push_str(&format!(", segment {segment}"));
        }
        words
    }
}

/// A month of the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RepeatMonth {
    /// "YYYY-MM" (UTC).
    pub month: String,
    /// Customers who contacted the company this month.
    pub contacting: u64,
    /// Of them, those who met the moment this month.
    pub repeating: u64,
    /// `repeating / contacting`.
    pub rate: Option<f64>,
    /// The contacts of this month's moments' chains (each once), by id.
    pub items: Vec<i64>,
    /// The themes those contacts were most about: (id, name, contacts), most first, at most 5.
    pub top_themes: Vec<(String, String, u64)>,
}

/// A theme's or a stage's share of contacts in chains.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RepeatShare {
    /// The theme's or stage's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Contacts about it (with a customer, of the contact channels).
    pub contacts: u64,
    /// Of them, contacts in a moment's chain.
    pub chained: u64,
    /// `chained / contacts`.
    pub rate: f64,
}

/// One moment: a customer's chain of contacts, the last of which made it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RepeatChain {
    /// The customer.
    pub customer: String,
    /// The month of the moment (its last contact).
    pub month: String,
    /// The chain's contacts, oldest first, by id.
    pub items: Vec<i64>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RepeatReport {
    /// The moment in words.
    pub moment: String,
    /// The channels counted as contacts.
    pub channels: Vec<&'static str>,
    /// Contacts read (of those channels, with a customer).
    pub contacts: u64,
    /// Of them, contacts in at least one moment's chain.
    pub chained: u64,
    /// Per month, oldest first.
    pub months: Vec<RepeatMonth>,
    /// Per theme, most chained contacts first (themes with none left out).
    pub themes: Vec<RepeatShare>,
    /// Per journey stage of the contact's touchpoint, in the journey's order.
    pub stages: Vec<RepeatShare>,
    /// Every moment, newest first.
    pub chains: Vec<RepeatChain>,
}

impl RepeatReport {
    /// The month named, if the report has it.
    pub fn month(&self, month: &str) -> Option<&RepeatMonth> {
        self.months.iter().find(|m| m.month == month)
    }
}

/// One contact as read.
struct Contact {
    id: i64,
    at: i64,
    month: String,
    touchpoint: Option<String>,
    themes: Vec<String>,
}

fn month_of(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(
        |_| "unknown".to_owned(),
        |t| t.strftime("%Y-%m").to_string(),
    )
}

impl App {
    /// The repeat-contact report for `request`, kept in memory per version of the data.
    pub fn repeat_contacts(
        &self,
        request: &RepeatRequest,
    ) -> Result<Arc<RepeatReport>, StoreError> {
        let key = format!("{request:?}@{}", self.store().data_version()?);
        if let Some(report) = self.repeats.get(&key) {
            return Ok(report);
        }
        let report = Arc::new(self.compute_repeats(request)?);
        self.repeats.put(key, report.clone());
        Ok(report)
    }

    fn compute_repeats(&self, request: &RepeatRequest) -> Result<RepeatReport, StoreError> {
        let by_customer = self.read_contacts(request)?;
        let rule = request.rule;
        let periods: Vec<Vec<(i64, String)>> = by_customer
            .values()
            .map(|contacts| contacts.iter().map(|c| (c.at, c.month.clone())).collect())
            .collect();
        let rates = rates_by_period(rule, periods.iter().map(Vec::as_slice));

        let mut chains = Vec::new();
        let mut chained_ids = BTreeSet::new();
        let back = rule.nth.max(1) - 1;
        for (customer, contacts) in &by_customer {
            let times: Vec<i64> = contacts.iter().map(|c| c.at).collect();
            for i in rule.moments(&times) {
                let items: Vec<i64> = contacts[i - back..=i].iter().map(|c| c.id).collect();
                chained_ids.extend(items.iter().copied());
                chains.push((
                    contacts[i].at,
                    RepeatChain {
                        customer: customer.clone(),
                        month: contacts[i].month.clone(),
                        items,
                    },
                ));
            }
        }
        chains.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.customer.cmp(&b.1.customer)));
        let chains: Vec<RepeatChain> = chains.into_iter().map(|(_, chain)| chain).collect();

        let names = self.theme_names()?;
        let contacts: Vec<&Contact> = by_customer.values().flatten().collect();
        let months = self.repeat_months(&rates, &chains, &contacts, &names);
        Ok(RepeatReport {
            moment: request.words(),
            channels: request.channels.iter().map(|c| c.as_str()).collect(),
            contacts: contacts.len() as u64,
            chained: chained_ids.len() as u64,
            months,
            themes: theme_shares(&contacts, &chained_ids, &names),
            stages: self.stage_shares(&contacts, &chained_ids)?,
            chains,
        })
    }

    /// The contacts of the request's channels that name a customer, per customer, by time.
    fn read_contacts(
        &self,
        request: &RepeatRequest,
    ) -> Result<BTreeMap<String, Vec<Contact>>, StoreError> {
        let filter = FeedbackFilter {
            touchpoint: request.touchpoint.clone(),
            business_unit: request.business_unit.clone(),
            segment: request.segment.clone(),
            ..FeedbackFilter::default()
        };
        let mut by_customer = BTreeMap::<String, Vec<Contact>>::new();
        self.store()
            .scan_item_themes(&filter, ThemeOrigin::Any, 10_000, &mut |page| {
                for item in page {
                    let Some(customer) = item.customer_id else {
                        continue;
                    };
                    if !request.channels.contains(&item.channel) {
                        continue;
                    }
                    by_customer.entry(customer).or_default().push(Contact {
                        id: item.id,
                        at: item.received_at,
                        month: month_of(item.received_at),
                        touchpoint: item.touchpoint,
                        themes: item.themes,
                    });
                }
                ControlFlow::Continue(())
            })?;
        for contacts in by_customer.values_mut() {
            contacts.sort_by_key(|c| (c.at, c.id));
        }
        Ok(by_customer)
    }

    fn theme_names(&self) -> Result<HashMap<String, String>, StoreError> {
        Ok(self
            .store()
            .themes()?
            .into_iter()
            .map(|t| (t.id.as_str().to_owned(), t.name.as_str().to_owned()))
            .collect())
    }

    fn repeat_months(
        &self,
        rates: &BTreeMap<String, PeriodRate>,
        chains: &[RepeatChain],
        contacts: &[&Contact],
        names: &HashMap<String, String>,
    ) -> Vec<RepeatMonth> {
        let themes_of: HashMap<i64, &[String]> = contacts
            .iter()
            .map(|c| (c.id, c.themes.as_slice()))
            .collect();
        rates
            .iter()
            .map(|(month, rate)| {
                let items: BTreeSet<i64> = chains
                    .iter()
                    .filter(|chain| &chain.month == month)
                    .flat_map(|chain| chain.items.iter().copied())
                    .collect();
                let mut counts = BTreeMap::<&str, u64>::new();
                for id in &items {
                    for theme in themes_of.get(id).copied().unwrap_or_default() {
                        *counts.entry(theme.as_str()).or_default() += 1;
                    }
                }
                let mut top: Vec<(String, String, u64)> = counts
                    .into_iter()
                    .map(|(id, n)| {
                        let name = names.get(id).cloned().unwrap_or_else(|| id.to_owned());
                        (id.to_owned(), name, n)
                    })
                    .collect();
                top.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
                top.truncate(5);
                RepeatMonth {
                    month: month.clone(),
                    contacting: rate.contacting,
                    repeating: rate.repeating,
                    rate: rate.rate(),
                    items: items.into_iter().collect(),
                    top_themes: top,
                }
            })
            .collect()
    }

    fn stage_shares(
        &self,
        contacts: &[&Contact],
        chained: &BTreeSet<i64>,
    ) -> Result<Vec<RepeatShare>, StoreError> {
        let Some(journey) = self.store().journey()? else {
            return Ok(Vec::new());
        };
        let mut counts = HashMap::<&str, (u64, u64)>::new();
        for contact in contacts {
            let Some(stage) = contact
                .touchpoint
                .as_deref()
                .and_then(|t| journey.stage_of_touchpoint(t))
            else {
                continue;
            };
            let entry = counts.entry(stage.id.as_str()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(chained.contains(&contact.id));
        }
        Ok(journey
            .stages()
            .iter()
            .filter_map(|stage| {
                let (contacts, chained) = counts.get(stage.id.as_str()).copied()?;
                Some(share(
                    stage.id.as_str(),
                    stage.name.as_str(),
                    contacts,
                    chained,
                ))
            })
            .collect())
    }
}

fn share(id: &str, name: &str, contacts: u64, chained: u64) -> RepeatShare {
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let rate = if contacts == 0 {
        0.0
    } else {
        chained as f64 / contacts as f64
    };
    RepeatShare {
        id: id.to_owned(),
        name: name.to_owned(),
        contacts,
        chained,
        rate,
    }
}

fn theme_shares(
    contacts: &[&Contact],
    chained: &BTreeSet<i64>,
    names: &HashMap<String, String>,
) -> Vec<RepeatShare> {
    let mut counts = BTreeMap::<&str, (u64, u64)>::new();
    for contact in contacts {
        for theme in &contact.themes {
            let entry = counts.entry(theme.as_str()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(chained.contains(&contact.id));
        }
    }
    let mut shares: Vec<RepeatShare> = counts
        .into_iter()
        .filter(|(_, (_, chained))| *chained > 0)
        .map(|(id, (contacts, chained))| {
            let name = names.get(id).map_or(id, String::as_str);
            share(id, name, contacts, chained)
        })
        .collect();
    shares.sort_by(|a, b| b.chained.cmp(&a.chained).then_with(|| a.id.cmp(&b.id)));
    shares
}
