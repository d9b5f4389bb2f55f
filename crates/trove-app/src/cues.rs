//! Expectations and advice in what customers wrote ([`App::cues`], `trove cues`): each stored
//! item's text is split into clauses and each clause classified by the cue patterns of
//! [`trove_text::cues`]: an **unmet** expectation ("should have", "was supposed to", "I
//! wish") or a **validated** one ("worked great", "thank you for"), and independently advice
//! to **do more** ("please add"), **do less** ("stop sending", "too many") or **keep doing**
//! ("keep up", "love that").
//!
//! The report counts the clauses of each kind (a clause can carry an expectation and an
//! advice cue, so it may count under two kinds) and the items with at least one clause of
//! each kind, overall and per theme (an item counts under each theme it carries, of the
//! chosen origin), and keeps a few example clauses per kind: the first distinct ones in item
//! order, so the same data gives the same examples. Restricting to a theme keeps the items
//! that carry it or one of its descendants.
//!
//! Beside the clause counts, the report gives the **suggestions** overall and per theme: the
//! items whose stored flag says so (read with the sentiment on import and by `trove tag
//! --all`), the number the theme page shows and `/items?theme=ID&suggestion=yes` lists.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;

use serde::Serialize;
use thiserror::Error;
use trove_store::{FeedbackFilter, StoreError, ThemeOrigin};
use trove_text::{Advice, Expectation, clause_cues};

use crate::App;

/// Why the cues could not be counted.
#[derive(Debug, Error)]
pub enum CuesError {
    /// The theme to restrict to is not stored.
    #[error("no theme {0:?} is stored (see `trove taxonomy export` or `trove summary`)")]
    UnknownTheme(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to count.
#[derive(Debug, Clone)]
pub struct CuesOptions {
    /// Which items.
    pub filter: FeedbackFilter,
    /// Which themes count, for the per-theme counts and `theme`.
    pub origin: ThemeOrigin,
    /// Only items carrying this theme (or one of its descendants).
    pub theme: Option<String>,
    /// Example clauses kept per kind.
    pub examples: usize,
}

impl Default for CuesOptions {
    fn default() -> Self {
        Self {
            filter: FeedbackFilter::default(),
            origin: ThemeOrigin::Any,
            theme: None,
            examples: 3,
        }
    }
}

/// A kind of cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CueKind {
    /// Something expected and not received.
    Unmet,
    /// Something that met or beat expectations.
    Validated,
    /// Do more of something, or add it.
    DoMore,
    /// Do less of something, or stop it.
    DoLess,
    /// Keep doing something.
    KeepDoing,
}

impl CueKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 5] = [
        Self::Unmet,
        Self::Validated,
        Self::DoMore,
        Self::DoLess,
        Self::KeepDoing,
    ];

    /// A short name for people: "unmet expectation", "do more"...
    pub fn name(self) -> &'static str {
        match self {
            Self::Unmet => "unmet expectation",
            Self::Validated => "validated expectation",
            Self::DoMore => "do more",
            Self::DoLess => "do less",
            Self::KeepDoing => "keep doing",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn of_expectation(e: Expectation) -> Self {
        match e {
            Expectation::Unmet => Self::Unmet,
            Expectation::Validated => Self::Validated,
        }
    }

    fn of_advice(a: Advice) -> Self {
        match a {
            Advice::DoMore => Self::DoMore,
            Advice::DoLess => Self::DoLess,
            Advice::KeepDoing => Self::KeepDoing,
        }
    }
}

/// Clauses of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CueCounts {
    /// Unmet expectations.
    pub unmet: u64,
    /// Validated expectations.
    pub validated: u64,
    /// Do more.
    pub do_more: u64,
    /// Do less.
    pub do_less: u64,
    /// Keep doing.
    pub keep_doing: u64,
}

impl CueCounts {
    /// The count of one kind.
    pub fn get(&self, kind: CueKind) -> u64 {
        match kind {
            CueKind::Unmet => self.unmet,
            CueKind::Validated => self.validated,
            CueKind::DoMore => self.do_more,
            CueKind::DoLess => self.do_less,
            CueKind::KeepDoing => self.keep_doing,
        }
    }

    fn add(&mut self, kind: CueKind) {
        let slot = match kind {
            CueKind::Unmet => &mut self.unmet,
            CueKind::Validated => &mut self.validated,
            CueKind::DoMore => &mut self.do_more,
            CueKind::DoLess => &mut self.do_less,
            CueKind::KeepDoing => &mut self.keep_doing,
        };
        *slot += 1;
    }

    fn merge(&mut self, other: &Self) {
        self.unmet += other.unmet;
        self.validated += other.validated;
        self.do_more += other.do_more;
        self.do_less += other.do_less;
        self.keep_doing += other.keep_doing;
    }

    /// All kinds together (a clause with two cues counts twice).
    pub fn total(&self) -> u64 {
        CueKind::ALL.iter().map(|&k| self.get(k)).sum()
    }
}

/// One example clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CueExample {
    /// The item it comes from.
    pub feedback_id: i64,
    /// The clause as written (trimmed).
    pub clause: String,
    /// The words that matched the cue.
    pub cue: String,
}

/// One kind of cue over the matching items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindReport {
    /// The kind.
    pub kind: CueKind,
    /// Clauses of this kind.
    pub clauses: u64,
    /// Items with at least one clause of this kind.
    pub items: u64,
    /// Example clauses (the first distinct ones, in item order).
    pub examples: Vec<CueExample>,
}

/// The cues of the items carrying one theme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeCues {
    /// The theme's id.
    pub theme: String,
    /// Its name.
    pub name: String,
    /// Items carrying it.
    pub items: u64,
    /// Of those, items with at least one cue.
    pub items_with_cues: u64,
    /// Of those, items stored as suggestions.
    pub suggestions: u64,
    /// Their clauses of each kind.
    pub counts: CueCounts,
}

/// Expectation and advice cues over the matching items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CueReport {
    /// The theme the items were restricted to, if any.
    pub theme: Option<String>,
    /// Items counted (matching the filter and the theme).
    pub items: u64,
    /// Items with at least one cue.
    pub items_with_cues: u64,
    /// Items stored as suggestions (the flag read with the sentiment).
    pub suggestions: u64,
    /// Clauses carrying at least one cue.
    pub clauses: u64,
    /// Clauses of each kind.
    pub counts: CueCounts,
    /// Each kind with its items and example clauses, in [`CueKind::ALL`] order.
    pub kinds: Vec<KindReport>,
    /// Per theme, most cue clauses first (ties by id); themes no counted item carries are
    /// left out.
    pub themes: Vec<ThemeCues>,
}

const PAGE: usize = 5_000;

impl App {
    /// Counts the expectation and advice cues of the matching items' clauses, overall and per
    /// theme, with example clauses per kind.
    pub fn cues(&self, options: &CuesOptions) -> Result<CueReport, CuesError> {
        let store = self.store();
        let stored = store.themes()?;
        let names: HashMap<&str, &str> = stored
            .iter()
            .map(|t| (t.id.as_str(), t.name.as_str()))
            .collect();
        let wanted: Option<HashSet<&str>> = match &options.theme {
            None => None,
            Some(id) if !names.contains_key(id.as_str()) => {
                return Err(CuesError::UnknownTheme(id.clone()));
            }
            Some(id) => {
                // The theme and its descendants.
                let mut set: HashSet<&str> = HashSet::from([id.as_str()]);
                loop {
                    let before = set.len();
                    for t in &stored {
                        if t.parent.as_ref().is_some_and(|p| set.contains(p.as_str())) {
                            set.insert(t.id.as_str());
                        }
                    }
                    if set.len() == before {
                        break;
                    }
                }
                Some(set)
            }
        };
        let mut item_themes: HashMap<i64, Vec<String>> = HashMap::new();
        store.scan_item_themes(&options.filter, options.origin, PAGE, &mut |page| {
            item_themes.extend(
                page.into_iter()
                    .filter(|i| !i.themes.is_empty())
                    .map(|i| (i.id, i.themes)),
            );
            ControlFlow::Continue(())
        })?;

        let mut report = CueReport {
            theme: options.theme.clone(),
            items: 0,
            items_with_cues: 0,
            suggestions: 0,
            clauses: 0,
            counts: CueCounts::default(),
            kinds: CueKind::ALL
                .iter()
                .map(|&kind| KindReport {
                    kind,
                    clauses: 0,
                    items: 0,
                    examples: Vec::new(),
                })
                .collect(),
            themes: Vec::new(),
        };
        let mut per_theme: BTreeMap<String, ThemeCues> = BTreeMap::new();
        let mut seen_examples: Vec<HashSet<String>> = vec![HashSet::new(); CueKind::ALL.len()];
        let none: Vec<String> = Vec::new();
        store.scan_feedback(&options.filter, PAGE, &mut |page| {
            for stored in page {
                let themes = item_themes.get(&stored.id).unwrap_or(&none);
                if let Some(wanted) = &wanted
                    && !themes.iter().any(|t| wanted.contains(t.as_str()))
                {
                    continue;
                }
                report.items += 1;
                let text = stored.item.text.as_str();
                let mut counts = CueCounts::default();
                let clauses = clause_cues(text);
                for clause in &clauses {
                    let kinds = [
                        clause
                            .expectation
                            .as_ref()
                            .map(|(e, cue)| (CueKind::of_expectation(*e), cue)),
                        clause
                            .advice
                            .as_ref()
                            .map(|(a, cue)| (CueKind::of_advice(*a), cue)),
                    ];
                    for (kind, cue) in kinds.into_iter().flatten() {
                        counts.add(kind);
                        let entry = &mut report.kinds[kind.index()];
                        let words = text.get(clause.start..clause.end).unwrap_or("").trim();
                        if entry.examples.len() < options.examples
                            && seen_examples[kind.index()].insert(words.to_lowercase())
                        {
                            entry.examples.push(CueExample {
                                feedback_id: stored.id,
                                clause: words.to_owned(),
                                cue: cue.clone(),
                            });
                        }
                    }
                }
                report.clauses += clauses.len() as u64;
                for kind in CueKind::ALL {
                    let n = counts.get(kind);
                    let entry = &mut report.kinds[kind.index()];
                    entry.clauses += n;
                    entry.items += u64::from(n > 0);
                }
                let with_cues = !clauses.is_empty();
                let suggestion = u64::from(stored.item.suggestion);
                report.items_with_cues += u64::from(with_cues);
                report.suggestions += suggestion;
                report.counts.merge(&counts);
                for theme in themes {
                    let entry = per_theme.entry(theme.clone()).or_insert_with(|| ThemeCues {
                        theme: theme.clone(),
                        name: names.get(theme.as_str()).unwrap_or(&"").to_string(),
                        items: 0,
                        items_with_cues: 0,
                        suggestions: 0,
                        counts: CueCounts::default(),
                    });
                    entry.items += 1;
                    entry.items_with_cues += u64::from(with_cues);
                    entry.suggestions += suggestion;
                    entry.counts.merge(&counts);
                }
            }
            ControlFlow::Continue(())
        })?;
        let mut themes: Vec<ThemeCues> = per_theme.into_values().collect();
        themes.sort_by(|a, b| {
            b.counts
                .total()
                .cmp(&a.counts.total())
                .then_with(|| a.theme.cmp(&b.theme))
        });
        report.themes = themes;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use std::sync::Arc;

    use trove_domain::{FeedbackItem, FeedbackText, Label, Slug, Theme};
    use trove_store::Store;
    use trove_store_sqlite::SqliteStore;

    use super::*;

    #[test]
    fn clauses_are_counted_per_kind_overall_and_per_theme_with_examples() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        store.migrate().unwrap();
        let app = App::new(Arc::new(store));
        let texts = [
            "The bag was supposed to arrive yesterday. Please add a tracking page!",
            "Great crew but the seat should have reclined",
            "Keep up the good work",
            "Nothing to report",
            "The flight was supposed to leave at noon",
        ];
        let items: Vec<FeedbackItem> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| FeedbackItem {
                text: FeedbackText::try_from((*text).to_owned()).unwrap(),
                // As import reads it: "Please add a tracking page!" asks for more.
                suggestion: i == 0,
                ..trove_store::contract::item("s", &i.to_string())
            })
            .collect();
        app.store().insert_feedback(&items, None).unwrap();
        let report = app.cues(&CuesOptions::default()).unwrap();
        assert_eq!(report.items, 5);
        assert_eq!(report.items_with_cues, 4);
        assert_eq!(report.suggestions, 1, "the stored flag, not the clauses");
        // Unmet: "supposed to arrive", "should have reclined", "supposed to leave";
        // validated: "great crew"; do more: "please add"; keep doing: "keep up".
        assert_eq!(
            report.counts,
            CueCounts {
                unmet: 3,
                validated: 1,
                do_more: 1,
                do_less: 0,
                keep_doing: 1,
            }
        );
        let unmet = &report.kinds[0];
        assert_eq!(
            (unmet.kind, unmet.clauses, unmet.items),
            (CueKind::Unmet, 3, 3)
        );
        assert_eq!(unmet.examples.len(), 3);
        assert_eq!(
            unmet.examples[0].clause,
            "The bag was supposed to arrive yesterday"
        );
        assert_eq!(unmet.examples[1].cue, "should have");
        let limited = app
            .cues(&CuesOptions {
                examples: 1,
                ..CuesOptions::default()
            })
            .unwrap();
        assert_eq!(limited.kinds[0].examples.len(), 1);
        assert!(report.themes.is_empty(), "no item carries a theme");

        // A theme and its child: restricting to the parent keeps the child's items.
        let theme = |id: &str, parent: Option<&str>| Theme {
            id: Slug::parse("id", id).unwrap(),
            name: Label::parse("name", id).unwrap(),
            parent: parent.map(|p| Slug::parse("parent", p).unwrap()),
        };
        app.store()
            .upsert_themes(&[theme("delays", None), theme("late-bag", Some("delays"))])
            .unwrap();
        let ids: Vec<i64> = {
            let mut ids = Vec::new();
            app.store()
                .scan_feedback(&FeedbackFilter::default(), 10, &mut |page| {
                    ids.extend(page.iter().map(|s| s.id));
                    ControlFlow::Continue(())
                })
                .unwrap();
            ids
        };
        let tag = |id: i64, theme: &str| trove_store::ItemTags {
            feedback_id: id,
            tags: vec![trove_store::RuleTag {
                theme: Slug::parse("theme", theme).unwrap(),
                phrase: String::new(),
                start: 0,
                end: 0,
                sentiment: None,
            }],
            sentiment: None,
            suggestion: false,
        };
        app.store()
            .replace_model_tags(1, &[tag(ids[0], "late-bag"), tag(ids[4], "delays")])
            .unwrap();
        let delays = app
            .cues(&CuesOptions {
                theme: Some("delays".to_owned()),
                ..CuesOptions::default()
            })
            .unwrap();
        assert_eq!(
            (delays.items, delays.counts.unmet, delays.counts.do_more),
            (2, 2, 1)
        );
        assert_eq!(delays.themes.len(), 2);
        assert_eq!(delays.themes[0].theme, "late-bag", "two cues before one");
        assert_eq!(delays.themes[0].counts.total(), 2);
        assert_eq!(
            (delays.themes[0].suggestions, delays.themes[1].suggestions),
            (1, 0)
        );
        assert!(matches!(
            app.cues(&CuesOptions {
                theme: Some("nope".to_owned()),
                ..CuesOptions::default()
            }),
            Err(CuesError::UnknownTheme(_))
        ));
    }
}
