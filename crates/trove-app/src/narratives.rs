//! Contact-centre narratives per theme (`trove narratives`): each item's story parts (goal,
//! reason, expectation, what happened, consequence; `trove_text::narrative`), counted per
//! theme, with example stories beside them.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use serde::Serialize;
use trove_domain::Channel;
use trove_store::{FeedbackFilter, StoreError, ThemeOrigin};
use trove_text::narrative::{self, Part};

use crate::App;

/// The channels whose texts are told stories: call notes, chats, e-mails, tickets, notes.
pub const NARRATIVE_CHANNELS: [Channel; 5] = [
    Channel::Call,
    Channel::Chat,
    Channel::Email,
    Channel::Ticket,
    Channel::EmployeeNote,
];

/// A theme's narratives.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeNarratives {
    /// The theme's id.
    pub theme: String,
    /// Its name.
    pub name: String,
    /// Items of the channels read that carry the theme.
    pub items: u64,
    /// Of them, items with each part found, in the story's order (goal, reason, expectation,
    /// happened, consequence).
    pub with_part: [u64; 5],
    /// Up to three stories of items with at least three parts: (item id, the story).
    pub examples: Vec<(i64, String)>,
}

/// Narratives over the stored items.
#[derive(Debug, Clone, Serialize)]
pub struct NarrativeReport {
    /// The channels read.
    pub channels: Vec<&'static str>,
    /// Items read.
    pub items: u64,
    /// Of them, items with at least one part.
    pub with_story: u64,
    /// Per theme, most items with a story first.
    pub themes: Vec<ThemeNarratives>,
}

impl App {
    /// The narratives of the stored items of `channels`, per theme.
    pub fn narratives(&self, channels: &[Channel]) -> Result<NarrativeReport, StoreError> {
        let mut themes_of = HashMap::<i64, Vec<String>>::new();
        self.store().scan_item_themes(
            &FeedbackFilter::default(),
            ThemeOrigin::Any,
            10_000,
            &mut |page| {
                for item in page {
                    if channels.contains(&item.channel) && !item.themes.is_empty() {
                        themes_of.insert(item.id, item.themes);
                    }
                }
                ControlFlow::Continue(())
            },
        )?;
        let names: HashMap<String, String> = self
            .store()
            .themes()?
            .into_iter()
            .map(|t| (t.id.as_str().to_owned(), t.name.as_str().to_owned()))
            .collect();
        let mut per_theme = BTreeMap::<String, ThemeNarratives>::new();
        let (mut items, mut with_story) = (0u64, 0u64);
        self.store()
            .scan_feedback(&FeedbackFilter::default(), 5_000, &mut |page| {
                for stored in page {
                    if !channels.contains(&stored.item.channel) {
                        continue;
                    }
                    items += 1;
                    let parts = narrative::extract(stored.item.text.as_str());
                    with_story += u64::from(!parts.is_empty());
                    for theme in themes_of.get(&stored.id).into_iter().flatten() {
                        let entry =
                            per_theme
                                .entry(theme.clone())
                                .or_insert_with(|| ThemeNarratives {
                                    theme: theme.clone(),
                                    name: names
                                        .get(theme)
                                        .cloned()
                                        .unwrap_or_else(|| theme.clone()),
                                    items: 0,
                                    with_part: [0; 5],
                                    examples: Vec::new(),
                                });
                        entry.items += 1;
                        for (i, part) in Part::ALL.iter().enumerate() {
                            entry.with_part[i] += u64::from(parts.iter().any(|p| p.part == *part));
                        }
                        if parts.len() >= 3 && entry.examples.len() < 3 {
                            entry.examples.push((stored.id, narrative::story(&parts)));
                        }
                    }
                }
                ControlFlow::Continue(())
            })?;
        let mut themes: Vec<ThemeNarratives> = per_theme.into_values().collect();
        themes.sort_by(|a, b| {
            let told = |t: &ThemeNarratives| t.with_part.iter().sum::<u64>();
            told(b).cmp(&told(a)).then_with(|| a.theme.cmp(&b.theme))
        });
        Ok(NarrativeReport {
            channels: channels.iter().map(|c| c.as_str()).collect(),
            items,
            with_story,
            themes,
        })
    }
}
