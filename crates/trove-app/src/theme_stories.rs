//! A theme's contact-centre stories beside its verbatims: among the theme's items of the
//! narrative channels (calls, chats, e-mails, tickets, notes) in the page's window, how many
//! tell each part of a story (goal, reason, expectation, what happened, consequence;
//! `trove_text::narrative`), with up to three example spans of each part, linked to their
//! items. The examples of a part say different things: a span whose normalised words
//! ([`example_key`]) an earlier example already said, or from an item an earlier example
//! came from, is passed over (templated texts repeat the same words).

use std::collections::HashSet;

use serde::Serialize;
use trove_store::{FeedbackFilter, ItemPageAt, ItemQuery, StoreError, ThemeOrigin};
use trove_text::narrative::{self, Part};

use crate::App;
use crate::issue_pages::{Days, start_of_day};
use crate::narratives::NARRATIVE_CHANNELS;

/// The newest items of the theme read (a page reads no more).
pub const STORY_ITEMS_READ: usize = 2_000;
/// Example spans shown per part.
const EXAMPLES: usize = 3;

/// One part of the theme's stories.
#[derive(Debug, Clone, Serialize)]
pub struct PartStories {
    /// The part (`goal`, `reason`, `expectation`, `happened`, `consequence`).
    pub part: &'static str,
    /// Its name in words.
    pub name: &'static str,
    /// The cue that introduces it ("trying to", "because").
    pub lead: &'static str,
    /// Items telling it.
    pub items: u64,
    /// Up to three examples: (item id, the part's text as the item says it).
    pub examples: Vec<(i64, String)>,
}

/// A theme's stories.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeStories {
    /// The theme's items of the narrative channels read.
    pub read: u64,
    /// Whether the theme had more items than [`STORY_ITEMS_READ`] (the newest were read).
    pub capped: bool,
    /// Of them, items telling at least one part.
    pub with_story: u64,
    /// The five parts, in the story's order.
    pub parts: Vec<PartStories>,
}

/// A span's words for telling examples apart: lowercase, every run of other characters than
/// letters one space, digits left out ("Upload the claim #2!" and "upload the claim" are the
/// same example).
pub fn example_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphabetic() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with(' ') {
            key.push(' ');
        }
    }
    key.trim_end().to_owned()
}

fn name(part: Part) -> &'static str {
    match part {
        Part::Goal => "Goal",
        Part::Reason => "Reason",
        Part::Expectation => "Expectation",
        Part::Happened => "What happened",
        Part::Consequence => "Consequence",
    }
}

impl App {
    /// The stories of `theme`'s items (it or its descendants, any origin) among `filter`'s
    /// items of the narrative channels, within `window` when given.
    pub fn theme_stories(
        &self,
        theme: &str,
        filter: &FeedbackFilter,
        window: Option<Days>,
    ) -> Result<ThemeStories, StoreError> {
        let mut parts: Vec<PartStories> = Part::ALL
            .iter()
            .map(|&part| PartStories {
                part: part.as_str(),
                name: name(part),
                lead: part.lead(),
                items: 0,
                examples: Vec::new(),
            })
            .collect();
        let (mut read, mut with_story, mut capped) = (0u64, 0u64, false);
        // Per part: the example words and items shown so far.
        let mut shown: Vec<(HashSet<String>, HashSet<i64>)> = vec![Default::default(); parts.len()];
        for channel in NARRATIVE_CHANNELS {
            if filter.channel.is_some_and(|c| c != channel) {
                continue;
            }
            let query = ItemQuery {
                filter: FeedbackFilter {
                    channel: Some(channel),
                    since: window.map(|d| start_of_day(d.from)).or(filter.since),
                    until: window.map(|d| start_of_day(d.to)).or(filter.until),
                    ..filter.clone()
                },
                origin: ThemeOrigin::Any,
                theme: Some(theme.to_owned()),
                ..ItemQuery::default()
            };
            let items =
                self.store()
                    .list_items(&query, ItemPageAt::First, STORY_ITEMS_READ + 1, None)?;
            capped |= items.len() > STORY_ITEMS_READ;
            for listed in items.iter().take(STORY_ITEMS_READ) {
                read += 1;
                let text = listed.feedback.item.text.as_str();
                let found = narrative::extract(text);
                with_story += u64::from(!found.is_empty());
                for f in found {
                    let Some(at) = parts.iter().position(|p| p.part == f.part.as_str()) else {
                        continue;
                    };
                    let (p, (words, items)) = (&mut parts[at], &mut shown[at]);
                    p.items += 1;
                    let id = listed.feedback.id;
                    if p.examples.len() < EXAMPLES
                        && !items.contains(&id)
                        && words.insert(example_key(&f.text))
                    {
                        items.insert(id);
                        p.examples.push((id, f.text));
                    }
                }
            }
        }
        Ok(ThemeStories {
            read,
            capped,
            with_story,
            parts,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use std::sync::Arc;

    use trove_domain::{Channel, FeedbackText};
    use trove_store::Store;

    use super::*;

    #[test]
    fn a_themes_stories_count_items_per_part_with_examples_from_contact_channels_only() {
        let store = trove_store_sqlite::SqliteStore::open_in_memory().unwrap();
        let texts = [
            (
                Channel::Call,
                "I was trying to upload a claim document because the adjuster asked, but the page timed out and now I have to call again.",
            ),
            (
                Channel::Chat,
                "I was trying to pay my bill but the card was declined.",
            ),
            (Channel::Call, "Called about the policy number."),
            (
                Channel::Survey,
                "I was trying to upload a file but it failed.",
            ),
        ];
        let items: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, (channel, text))| {
                let mut item = trove_store::contract::item("calls", &format!("c{i}"));
                item.channel = *channel;
                item.text = FeedbackText::parse(text).unwrap();
                item.source_themes = vec![trove_domain::Label::parse("t", "Claims").unwrap()];
                item
            })
            .collect();
        store.insert_feedback(&items, None).unwrap();
        let theme = store.themes().unwrap()[0].id.as_str().to_owned();
        let app = App::new(Arc::new(store));
        let stories = app
            .theme_stories(&theme, &FeedbackFilter::default(), None)
            .unwrap();
        // The survey answer is not a contact: three items read, two tell a story.
        assert_eq!((stories.read, stories.with_story), (3, 2));
        let part = |p: &str| stories.parts.iter().find(|x| x.part == p).unwrap();
        assert_eq!(part("goal").items, 2);
        assert_eq!(part("happened").items, 2);
        assert_eq!(part("reason").items, 1);
        assert_eq!(part("expectation").items, 0);
        let goal = &part("goal").examples;
        assert_eq!(goal.len(), 2);
        assert!(
            goal.iter()
                .any(|(_, t)| t.starts_with("upload a claim document")),
            "{goal:?}"
        );
        assert!(
            goal.iter().any(|(_, t)| t.starts_with("pay my bill")),
            "{goal:?}"
        );
    }

    #[test]
    fn examples_of_a_part_say_different_things_from_different_items() {
        let store = trove_store_sqlite::SqliteStore::open_in_memory().unwrap();
        let texts = [
            "I was trying to renew my policy but the page froze.",
            "I was trying to renew my policy, but the page froze!",
            "I was trying to Renew my policy #2 but the app crashed.",
            "I was trying to pay my bill but the card was declined.",
            "I was trying to add a driver but nobody answered.",
            "I was trying to add a driver because I moved but the form failed.",
        ];
        let items: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let mut item = trove_store::contract::item("calls", &format!("c{i}"));
                item.channel = Channel::Call;
                item.received_at = trove_domain::ReceivedAt::new(
                    jiff::Timestamp::from_second(1_750_000_000 - i as i64 * 60).unwrap(),
                    jiff::tz::Offset::UTC,
                );
                item.text = FeedbackText::parse(text).unwrap();
                item.source_themes = vec![trove_domain::Label::parse("t", "Claims").unwrap()];
                item
            })
            .collect();
        store.insert_feedback(&items, None).unwrap();
        let theme = store.themes().unwrap()[0].id.as_str().to_owned();
        let app = App::new(Arc::new(store));
        let stories = app
            .theme_stories(&theme, &FeedbackFilter::default(), None)
            .unwrap();
        let goal = stories.parts.iter().find(|p| p.part == "goal").unwrap();
        assert_eq!(goal.items, 6, "every item still counts");
        let keys: Vec<String> = goal.examples.iter().map(|(_, t)| example_key(t)).collect();
        assert_eq!(keys.len(), 3, "{keys:?}");
        let distinct: HashSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), 3, "{keys:?}");
        assert!(
            keys.iter().any(|k| k.starts_with("pay my bill")),
            "{keys:?}"
        );
        let ids: HashSet<i64> = goal.examples.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(
            example_key("Upload the claim #2!"),
            example_key("upload the claim")
        );
    }
}
