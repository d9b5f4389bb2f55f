//! The feedback stream: day by day, in time order, each item drawn from the model with its
//! true themes alongside.

use jiff::Timestamp;
use trove_domain::{
    Attributes, Ces, Channel, Csat, ExternalId, FeedbackItem, FeedbackText, Label, Nps, ReceivedAt,
    Scores, ThemeId,
};

use crate::DemoCompany;
use crate::catalog::AGENTS;
use crate::model::{Day, HOURS, Model, SCORE_ONLY, SECOND_THEME, channel_at};
use crate::rng::Rng;
use crate::text::{Slots, compose, month_name};
use crate::themes::{CHANNEL_MIX, GENERAL_NPS, Kind, THEMES, ThemeSpec};

/// Base of the latent NPS answer before customer, segment and theme shifts.
const NPS_BASE: f64 = 8.2;
/// Customer-unit weights for items with no theme.
const ANY_UNIT: [f64; 3] = [0.45, 0.38, 0.17];

/// Streams a company's feedback with each item's true theme ids.
pub(crate) struct FeedbackStream<'a> {
    company: &'a DemoCompany,
    rng: Rng,
    hour_table: Vec<f64>,
    day: usize,
    /// The current day's slots: (local second of the day, part of the burst), sorted.
    slots: Vec<(i64, bool)>,
    next: usize,
    emitted: usize,
    counters: [u32; CHANNEL_MIX.len()],
}

impl<'a> FeedbackStream<'a> {
    pub(crate) fn new(company: &'a DemoCompany) -> Self {
        let hour_table = HOURS
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        Self {
            company,
            rng: Rng::new(company.model.seed, 2),
            hour_table,
            day: 0,
            slots: Vec::new(),
            next: 0,
            emitted: 0,
            counters: [0; CHANNEL_MIX.len()],
        }
    }

    fn model(&self) -> &'a Model {
        &self.company.model
    }

    /// Draws the times of one day's items.
    fn fill_day(&mut self, day: &Day) {
        self.slots.clear();
        for burst in
            std::iter::repeat_n(false, day.regular).chain(std::iter::repeat_n(true, day.burst))
        {
            let hour = self.rng.cumulative(&self.hour_table) as i64;
            self.slots
                .push((hour * 3600 + self.rng.range(0, 3599), burst));
        }
        self.slots.sort_unstable();
        self.next = 0;
    }
}

impl Iterator for FeedbackStream<'_> {
    type Item = (FeedbackItem, Vec<ThemeId>);

    fn next(&mut self) -> Option<Self::Item> {
        let model = self.model();
        while self.next >= self.slots.len() {
            let day = model.days.get(self.day)?;
            self.day += 1;
            self.fill_day(day);
        }
        let day = model.days.get(self.day - 1)?;
        let (second, burst) = self.slots.get(self.next).copied()?;
        self.next += 1;
        self.emitted += 1;
        Some(self.item(day, day.midnight + second, burst))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.model().total.saturating_sub(self.emitted);
        (left, Some(left))
    }
}

impl ExactSizeIterator for FeedbackStream<'_> {}

/// What an item is about.
struct Plan {
    /// Main theme (index into THEMES), if any.
    main: Option<usize>,
    second: Option<usize>,
    channel: Channel,
    /// A score-only survey answer: no text, and its themes stay hidden.
    score_only: bool,
}

impl FeedbackStream<'_> {
    fn draw_theme(&mut self, day: &Day) -> Option<usize> {
        let model = self.model();
        let table = if day.after_fix {
            &model.themes_after
        } else {
            &model.themes_before
        };
        let index = self.rng.cumulative(table);
        (index < THEMES.len()).then_some(index)
    }

    fn plan(&mut self, day: &Day, burst: bool) -> Plan {
        let model = self.model();
        if burst {
            let channel = channel_at(
                self.rng
                    .cumulative(model.channels.get(model.spike).map_or(&[][..], |t| t)),
            );
            return Plan {
                main: Some(model.spike),
                second: None,
                channel,
                score_only: false,
            };
        }
        if self.rng.chance(SCORE_ONLY) {
            let hidden = self.draw_theme(day);
            return Plan {
                main: hidden,
                second: None,
                channel: Channel::Survey,
                score_only: true,
            };
        }
        let main = self.draw_theme(day);
        let mut second = None;
        if main.is_some() && self.rng.chance(SECOND_THEME) {
            second = (0..4)
                .map(|_| self.draw_theme(day))
                .find(|t| t.is_some() && *t != main && *t != Some(model.spike))
                .flatten();
        }
        let table = model
            .channels
            .get(main.unwrap_or(THEMES.len()))
            .map_or(&[][..], |t| t);
        Plan {
            main,
            second,
            channel: channel_at(self.rng.cumulative(table)),
            score_only: false,
        }
    }

    /// Picks the customer behind an item, if the channel knows one.
    fn customer(
        &mut self,
        theme: Option<&ThemeSpec>,
        main: Option<usize>,
        day: &Day,
        channel: Channel,
    ) -> Option<usize> {
        let anonymous = match channel {
            Channel::Social => 0.75,
            Channel::Review => 0.7,
            Channel::WebForm => 0.35,
            Channel::Survey => 0.02,
            _ => 0.0,
        };
        if self.rng.chance(anonymous) {
            return None;
        }
        let model = self.model();
        let unit = self.rng.weighted(theme.map_or(&ANY_UNIT, |t| &t.units));
        let exposed = main.and_then(|m| model.chronic_slot.get(m).copied().flatten());
        let mut pool = model.unit_pools.get(unit)?;
        if let Some(slot) = exposed
            && self.rng.chance(0.65)
        {
            pool = model
                .exposed_pools
                .get(slot)
                .and_then(|p| p.get(unit))
                .unwrap_or(pool);
        }
        let profiles = &model.profiles;
        let known = pool.partition_point(|i| {
            profiles
                .get(*i as usize)
                .is_some_and(|p| p.first_seen_day <= day.index)
        });
        let available = if known == 0 { pool.len() } else { known };
        if available == 0 {
            return (!profiles.is_empty()).then(|| self.rng.index(profiles.len()));
        }
        pool.get(self.rng.index(available)).map(|i| *i as usize)
    }

    /// Picks the touchpoint (index into the model's touchpoints) the channel records, if any.
    fn touchpoint(&mut self, main: Option<usize>, channel: Channel) -> Option<usize> {
        let knows = match channel {
            Channel::Survey => 0.95,
            Channel::Ticket => 0.75,
            Channel::Call => 0.7,
            Channel::Chat => 0.8,
            Channel::Email => 0.5,
            Channel::Social => 0.15,
            Channel::Review => 0.3,
            Channel::Return | Channel::EmployeeNote => 0.85,
            Channel::WebForm => 0.6,
        };
        if !self.rng.chance(knows) {
            return None;
        }
        let model = self.model();
        let all = model.labels.touchpoints.len();
        let own = main
            .and_then(|m| model.theme_touchpoints.get(m))
            .filter(|t| !t.is_empty());
        match own {
            Some(own) if self.rng.chance(0.85) => {
                let pick = if own.len() == 1 || self.rng.chance(0.5) {
                    0
                } else {
                    1 + self.rng.index(own.len() - 1)
                };
                own.get(pick).copied()
            }
            _ => (all > 0).then(|| self.rng.index(all)),
        }
    }

    fn scores(&mut self, channel: Channel, latent: f64) -> Scores {
        let nps = |v: f64| Nps::try_from(v.round().clamp(0.0, 10.0) as i64).ok();
        let csat = |v: f64| Csat::try_from(v.round().clamp(1.0, 5.0) as i64).ok();
        let ces = |v: f64| Ces::try_from(v.round().clamp(1.0, 7.0) as i64).ok();
        let mut scores = Scores::default();
        let (with_csat, with_ces) = match channel {
            Channel::Survey => (0.4, 0.25),
            Channel::Review => (1.0, 0.0),
            Channel::WebForm => (0.4, 0.0),
            _ => (0.0, 0.0),
        };
        if channel == Channel::Survey {
            scores.nps = nps(latent);
        }
        if self.rng.chance(with_csat) {
            scores.csat = csat(1.0 + 0.42 * latent + 0.4 * self.rng.normal());
        }
        if self.rng.chance(with_ces) {
            scores.ces = ces(1.0 + 0.6 * latent + 0.6 * self.rng.normal());
        }
        scores
    }

    fn item(&mut self, day: &Day, unix: i64, burst: bool) -> (FeedbackItem, Vec<ThemeId>) {
        let model = self.model();
        let labels = &model.labels;
        let plan = self.plan(day, burst);
        let main = plan.main.and_then(|m| THEMES.get(m));
        let second = plan.second.and_then(|m| THEMES.get(m));
        let channel = plan.channel;
        let customer_index = self.customer(main, plan.main, day, channel);
        let customer = customer_index.and_then(|i| self.company.customers.get(i));
        let profile = customer_index.and_then(|i| model.profiles.get(i));
        let touchpoint = self
            .touchpoint(plan.main, channel)
            .and_then(|i| labels.touchpoints.get(i));
        let stage = match touchpoint {
            Some((_, stage)) => Some(stage.clone()),
            None if main.is_some() && self.rng.chance(0.3) => main
                .and_then(|m| labels.stages.iter().find(|(id, _)| id == m.stage))
                .map(|(_, stage)| stage.clone()),
            None => None,
        };
        // Anonymous posts sometimes still say which business they are about.
        let unit = match profile {
            Some(p) => Some(p.unit),
            None if self.rng.chance(0.5) => {
                Some(self.rng.weighted(main.map_or(&ANY_UNIT, |t| &t.units)))
            }
            None => None,
        };

        let effect = main.map_or(GENERAL_NPS, |t| t.nps) + 0.5 * second.map_or(0.0, |t| t.nps);
        let personal = profile.map_or(0.0, |p| {
            p.mood + [0.0, 0.3, -0.2].get(p.segment).copied().unwrap_or(0.0)
        });
        let latent = NPS_BASE + personal + effect + 1.5 * self.rng.normal();
        let scores = self.scores(channel, latent);

        let agent = self.rng.pick(&AGENTS);
        // Anonymous posts still name a product now and then.
        let product =
            profile.map_or_else(|| self.rng.index(labels.product_names.len()), |p| p.product);
        let product_name = labels
            .product_names
            .get(product)
            .copied()
            .unwrap_or("Home Standard");
        let text = if plan.score_only {
            String::new()
        } else {
            let slots = Slots {
                product: product_name,
                agent,
                // "I cancelled in {month}": last month.
                month: month_name((day.date.month() + 10) % 12 + 1),
                first_name: profile.map_or("", |p| p.first_name),
                email: customer.and_then(|c| c.email.as_ref()).map(Label::as_str),
            };
            compose(&mut self.rng, channel, main, second, &slots)
        };

        let mut attributes = Attributes::default();
        let mut attribute = |key: &str, value: &str| {
            // Keys are literals and values short, so this cannot fail.
            let _ = attributes.insert(key, value);
        };
        if matches!(
            channel,
            Channel::Call | Channel::Chat | Channel::Ticket | Channel::EmployeeNote
        ) {
            attribute("agent", agent);
        }
        if let Some(p) = profile {
            attribute("plan", if p.monthly { "monthly" } else { "annual" });
        }
        match channel {
            Channel::Survey => attribute(
                "survey",
                if touchpoint.is_some() {
                    "transactional"
                } else {
                    "relationship"
                },
            ),
            Channel::Review => attribute(
                "platform",
                self.rng.pick(&["App Store", "Google Play", "Trustpilot"]),
            ),
            Channel::Social => attribute(
                "network",
                self.rng.pick(&["X", "Facebook", "Reddit", "Instagram"]),
            ),
            Channel::Ticket => {
                let urgent = main.is_some_and(|t| t.kind != Kind::Positive) && self.rng.chance(0.3);
                attribute("priority", if urgent { "high" } else { "normal" });
            }
            _ => {}
        }

        let truth = if plan.score_only {
            Vec::new()
        } else {
            [plan.main, plan.second]
                .into_iter()
                .flatten()
                .filter_map(|i| labels.theme_ids.get(i).cloned())
                .collect()
        };
        let item = FeedbackItem {
            source: labels.source.clone(),
            channel,
            external_id: self.external_id(channel, unix),
            received_at: ReceivedAt::new(
                Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH),
                model.offset,
            ),
            customer_id: customer.map(|c| c.id.clone()),
            account: profile.map(|p| p.account.clone()),
            business_unit: unit.and_then(|u| labels.units.get(u)).cloned(),
            product: profile
                .and_then(|p| labels.products.get(p.product))
                .cloned(),
            region: profile.and_then(|p| labels.regions.get(p.region)).cloned(),
            touchpoint: touchpoint.map(|(t, _)| t.clone()),
            journey_stage: stage,
            text: FeedbackText::parse(&text).unwrap_or_default(),
            sentiment: None,
            suggestion: false,
            scores,
            language: Some(labels.language.clone()),
            source_themes: Vec::new(),
            attributes,
        };
        (item, truth)
    }

    /// The next id of a channel, e.g. `TCK-000042`.
    fn external_id(&mut self, channel: Channel, unix: i64) -> ExternalId {
        let index = CHANNEL_MIX
            .iter()
            .position(|(c, _)| *c == channel)
            .unwrap_or(0);
        let counter = self.counters.get_mut(index).map_or(0, |c| {
            *c += 1;
            *c
        });
        let prefix = match channel {
            Channel::Survey => "SRV",
            Channel::Ticket => "TCK",
            Channel::Call => "CALL",
            Channel::Chat => "CHT",
            Channel::Email => "EML",
            Channel::Social => "SOC",
            Channel::Review => "REV",
            Channel::Return => "RET",
            Channel::EmployeeNote => "EMP",
            Channel::WebForm => "WEB",
        };
        let mut fallback = [0u8; 16];
        fallback[..8].copy_from_slice(&unix.to_le_bytes());
        fallback[8..12].copy_from_slice(&counter.to_le_bytes());
        ExternalId::parse(&format!("{prefix}-{counter:06}"))
            .unwrap_or_else(|_| ExternalId::from_content_hash(fallback))
    }
}
