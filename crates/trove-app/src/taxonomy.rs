//! The taxonomy use cases: load a version, export it, tag items with it, measure coverage.

use std::ops::ControlFlow;

use serde::Serialize;
use std::sync::Arc;
use thiserror::Error;
use trove_domain::Label;
use trove_store::{
    Coverage, FeedbackFilter, ItemTags, NewTaxonomyVersion, RuleTag, StoreError, ThemeCount,
    ThemeRecord,
};

use trove_text::{Scratch, Tagger, Taxonomy, TaxonomyDiff, TaxonomyError};

use crate::sentiment::{SentimentSetup, SentimentState};

use crate::{App, Progress};

/// Why a taxonomy could not be loaded.
#[derive(Debug, Error)]
pub enum TaxonomyLoadError {
    /// The file is not a valid taxonomy.
    #[error(transparent)]
    Invalid(#[from] TaxonomyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored sentiment model could not be read.
    #[error("{0}")]
    Sentiment(String),
}

/// What loading a taxonomy did.
#[derive(Debug, Clone, Serialize)]
pub struct TaxonomyLoad {
    /// The new version, or `None` when nothing changed (no version is created).
    pub version: Option<i64>,
    /// The version in force before, if any.
    pub previous: Option<i64>,
    /// What changed from the previous version.
    pub diff: TaxonomyDiff,
    /// Themes in the taxonomy.
    pub themes: usize,
    /// Stages the taxonomy names that the stored journey does not have (empty when no journey
    /// is loaded): items placed by those themes' stages land outside the journey.
    pub unknown_stages: Vec<String>,
}

/// What re-tagging did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct TagReport {
    /// The taxonomy version used.
    pub version: i64,
    /// Items read.
    pub items: u64,
    /// Items with at least one tag.
    pub tagged: u64,
    /// Tags stored.
    pub tags: u64,
}

/// A compiled current taxonomy: its version and its tagger.
pub struct CurrentTagger {
    /// The taxonomy version.
    pub version: i64,
    /// The taxonomy.
    pub taxonomy: Taxonomy,
    /// The compiled tagger.
    pub tagger: Tagger,
}

impl std::fmt::Debug for CurrentTagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentTagger")
            .field("version", &self.version)
            .field("tagger", &self.tagger)
            .finish()
    }
}

impl CurrentTagger {
    /// An item's rule tags, each with the sentiment of the sentence carrying its match, and
    /// the whole text's sentiment (read as the current source's: see
    /// [`TextScratch::set_source`]).
    pub fn read(&self, text: &str, scratch: &mut TextScratch) -> ReadText {
        let sentiment = scratch.sentiment(text);
        let suggestion = scratch.suggestion();
        let TextScratch {
            tagger, reading, ..
        } = scratch;
        let tags = self
            .tagger
            .tag_in(text, tagger)
            .iter()
            .map(|tag| RuleTag {
                theme: self.tagger.theme_id(tag.theme).clone(),
                phrase: self.tagger.phrase(tag.phrase).to_owned(),
                start: u32::try_from(tag.start).unwrap_or(u32::MAX),
                end: u32::try_from(tag.end).unwrap_or(u32::MAX),
                sentiment: sentiment.map(|_| reading.mention(text, tag.start) as f32),
            })
            .collect();
        ReadText {
            sentiment,
            suggestion,
            tags,
        }
    }
}

/// What reading a text found: its sentiment and its rule tags.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadText {
    /// The whole text's sentiment, -1..1; `None` for an empty text.
    pub sentiment: Option<f32>,
    /// Whether the text is a suggestion (see [`TextScratch::suggestion`]).
    pub suggestion: bool,
    /// Its rule tags.
    pub tags: Vec<RuleTag>,
}

/// The buffers that reading texts reuses (the tagger's and the sentiment scorer's) and the
/// sentiment setup in force: one per thread, so reading many texts allocates little. The
/// default reads every text with the lexicon; [`App::text_scratch`] uses the stored learned
/// models and questions.
#[derive(Debug, Default)]
pub struct TextScratch {
    tagger: Scratch,
    reading: SentimentState,
}

impl TextScratch {
    /// Buffers reading texts with `setup`.
    pub fn new(setup: Arc<SentimentSetup>) -> Self {
        Self {
            tagger: Scratch::default(),
            reading: SentimentState::new(setup),
        }
    }

    /// Reads the next texts as items of `source` (its learned model and question, if any).
    pub fn set_source(&mut self, source: &str) {
        self.reading.set_source(source);
    }

    /// The sentiment of a text, -1..1 (`None` for an empty text); afterwards its mentions'
    /// sentences can be scored.
    pub fn sentiment(&mut self, text: &str) -> Option<f32> {
        self.reading.score(text)
    }

    /// Whether the text last given to [`Self::sentiment`] is a suggestion: a clause asks the
    /// company to do more or less ([`trove_text::is_suggestion`]); never a "nothing" answer to
    /// the source's question.
    pub fn suggestion(&self) -> bool {
        self.reading.suggestion()
    }
}

fn theme_records(taxonomy: &Taxonomy) -> Result<Vec<ThemeRecord>, TaxonomyError> {
    taxonomy
        .themes
        .iter()
        .map(|theme| {
            let name = Label::parse("theme name", &theme.name).map_err(|e| TaxonomyError {
                file: String::new(),
                line: None,
                theme: Some(theme.id.to_string()),
                field: Some("name"),
                message: e.to_string(),
            })?;
            Ok(ThemeRecord {
                id: theme.id.clone(),
                name,
                parent: theme.parent.clone(),
                description: theme.description.clone(),
                stage: taxonomy.effective_stage(theme.id.as_str()).cloned(),
                departments: theme.departments.clone(),
            })
        })
        .collect()
}

impl App {
    /// Loads a taxonomy file's text: a new version when it differs from the current one (in
    /// its themes or its text), with the diff; nothing when it is the same.
    pub fn load_taxonomy(&self, file: &str, text: &str) -> Result<TaxonomyLoad, TaxonomyLoadError> {
        let taxonomy = Taxonomy::parse(file, text)?;
        let records = theme_records(&taxonomy).map_err(|mut e| {
            e.file = file.to_owned();
            e
        })?;
        let current = self.store().current_taxonomy()?;
        let (previous, old) = match &current {
            Some(version) => (
                Some(version.version),
                // A stored version that no longer parses (older rules) counts as empty.
                Taxonomy::parse("stored taxonomy", &version.toml).unwrap_or_default(),
            ),
            None => (None, Taxonomy::default()),
        };
        let diff = trove_text::diff(&old, &taxonomy);
        let unknown_stages: Vec<String> = match self.store().journey()? {
            Some(journey) => {
                let known: std::collections::HashSet<&str> =
                    journey.stages().iter().map(|s| s.id.as_str()).collect();
                let mut unknown: Vec<String> = taxonomy
                    .themes
                    .iter()
                    .filter_map(|t| t.stage.as_ref())
                    .filter(|s| !known.contains(s.as_str()))
                    .map(ToString::to_string)
                    .collect();
                unknown.sort();
                unknown.dedup();
                unknown
            }
            None => Vec::new(),
        };
        let same_text = current.as_ref().is_some_and(|c| c.toml == text);
        if current.is_some() && diff.is_empty() && (same_text || old == taxonomy) {
            return Ok(TaxonomyLoad {
                version: None,
                previous,
                diff,
                themes: taxonomy.themes.len(),
                unknown_stages,
            });
        }
        let version = self.store().save_taxonomy_version(&NewTaxonomyVersion {
            created_at: jiff::Timestamp::now().as_second(),
            toml: text.to_owned(),
            diff: serde_json::to_string(&diff).unwrap_or_else(|_| "{}".into()),
            themes: records,
        })?;
        Ok(TaxonomyLoad {
            version: Some(version),
            previous,
            diff,
            themes: taxonomy.themes.len(),
            unknown_stages,
        })
    }

    /// The current taxonomy file as loaded (comments included), if one was loaded.
    pub fn export_taxonomy(&self) -> Result<Option<String>, StoreError> {
        Ok(self.store().current_taxonomy()?.map(|v| v.toml))
    }

    /// The current taxonomy compiled for tagging, if one was loaded.
    pub fn current_tagger(&self) -> Result<Option<CurrentTagger>, TaxonomyLoadError> {
        let Some(version) = self.store().current_taxonomy()? else {
            return Ok(None);
        };
        let taxonomy = Taxonomy::parse(
            &format!("taxonomy version {}", version.version),
            &version.toml,
        )?;
        Ok(Some(CurrentTagger {
            version: version.version,
            tagger: Tagger::new(&taxonomy),
            taxonomy,
        }))
    }

    /// Buffers for reading texts with the stored sentiment setup (learned models, questions).
    pub fn text_scratch(&self) -> Result<TextScratch, TaxonomyLoadError> {
        let setup = self.sentiment_setup().map_err(|e| match e {
            crate::SentimentError::Store(e) => TaxonomyLoadError::Store(e),
            other => TaxonomyLoadError::Sentiment(other.to_string()),
        })?;
        Ok(TextScratch::new(Arc::new(setup)))
    }

    /// Re-tags every matching item with the current taxonomy, a page at a time, each page's
    /// tags replaced in one transaction. `None` when no taxonomy is loaded.
    pub fn tag_all(
        &self,
        filter: &FeedbackFilter,
        progress: &dyn Progress,
    ) -> Result<Option<TagReport>, TaxonomyLoadError> {
        let Some(current) = self.current_tagger()? else {
            return Ok(None);
        };
        let store = self.store();
        progress.set_total(store.count_feedback(filter)?);
        let mut report = TagReport {
            version: current.version,
            ..TagReport::default()
        };
        let mut scratch = self.text_scratch()?;
        let mut failure = None;
        store.scan_feedback(filter, 5_000, &mut |page| {
            let batch: Vec<ItemTags> = page
                .iter()
                .map(|stored| {
                    scratch.set_source(stored.item.source.as_str());
                    let read = current.read(stored.item.text.as_str(), &mut scratch);
                    ItemTags {
                        feedback_id: stored.id,
                        tags: read.tags,
                        sentiment: read.sentiment,
                        suggestion: read.suggestion,
                    }
                })
                .collect();
            report.items += batch.len() as u64;
            report.tagged += batch.iter().filter(|b| !b.tags.is_empty()).count() as u64;
            match store.replace_rule_tags(current.version, &batch) {
                Ok(stored) => report.tags += stored,
                Err(error) => {
                    failure = Some(error);
                    return ControlFlow::Break(());
                }
            }
            progress.set_done(report.items);
            ControlFlow::Continue(())
        })?;
        if let Some(error) = failure {
            return Err(error.into());
        }
        Ok(Some(report))
    }

    /// Items per theme among the matching items' rule tags, a parent counting its
    /// descendants' items, as (depth in the hierarchy, count), in hierarchy order (each parent
    /// before its children).
    pub fn rule_theme_counts(
        &self,
        filter: &FeedbackFilter,
    ) -> Result<Vec<(usize, ThemeCount)>, StoreError> {
        let counts = self.store().theme_counts(filter, "rule")?;
        let records = self.store().theme_records()?;
        let parent: std::collections::HashMap<&str, Option<&str>> = records
            .iter()
            .map(|r| {
                (
                    r.theme.id.as_str(),
                    r.theme.parent.as_ref().map(|p| p.as_str()),
                )
            })
            .collect();
        // The path from the root, so sorting by it puts parents before their children.
        let path = |id: &str| -> Vec<String> {
            let mut path = vec![id.to_owned()];
            let mut current = parent.get(id).copied().flatten();
            while let Some(p) = current {
                if path.len() > 32 {
                    break;
                }
                path.push(p.to_owned());
                current = parent.get(p).copied().flatten();
            }
            path.reverse();
            path
        };
        let mut out: Vec<(Vec<String>, ThemeCount)> = counts
            .into_iter()
            .map(|c| (path(c.theme.as_str()), c))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out.into_iter().map(|(p, c)| (p.len() - 1, c)).collect())
    }

    /// Coverage and journey placement of the matching items.
    pub fn coverage(&self, filter: &FeedbackFilter) -> Result<Coverage, StoreError> {
        self.store().coverage(filter)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use trove_store_sqlite::SqliteStore;

    use super::*;
    use crate::NoProgress;

    const V1: &str = r#"
[[themes]]
id = "billing"
name = "Billing"
stage = "pay"

[[themes]]
id = "fee"
name = "Fee"
parent = "billing"
phrases = ["hidden fee"]
keywords = ["overcharged"]
negatable = true
"#;

    fn app() -> App {
        App::new(Arc::new(SqliteStore::open_in_memory().unwrap()))
    }

    #[test]
    fn loading_creates_versions_only_on_change_and_tags_all_items() {
        let app = app();
        let first = app.load_taxonomy("t.toml", V1).unwrap();
        assert_eq!(first.version, Some(1));
        assert_eq!(first.diff.added, ["billing", "fee"]);
        assert_eq!(app.load_taxonomy("t.toml", V1).unwrap().version, None);
        assert_eq!(app.export_taxonomy().unwrap().as_deref(), Some(V1));
        let records = app.store().theme_records().unwrap();
        assert_eq!(
            records[1].theme.stage.as_ref().unwrap().as_str(),
            "pay",
            "inherited"
        );

        let items: Vec<trove_domain::FeedbackItem> = [
            "Great app. A hidden fee though!",
            "I was not overcharged",
            "fine",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| trove_domain::FeedbackItem {
            text: trove_domain::FeedbackText::parse(text).unwrap(),
            ..trove_store::contract::item("s", &i.to_string())
        })
        .collect();
        app.store().insert_feedback(&items, None).unwrap();
        let report = app
            .tag_all(&FeedbackFilter::default(), &NoProgress)
            .unwrap()
            .unwrap();
        assert_eq!((report.items, report.tagged, report.tags), (3, 1, 1));
        // The item's tone is the whole text's; the tag's is its own sentence's.
        let mut stored = Vec::new();
        app.store()
            .scan_feedback(&FeedbackFilter::default(), 10, &mut |page| {
                stored.extend(page);
                ControlFlow::Continue(())
            })
            .unwrap();
        let item = stored[0].item.sentiment.expect("scored at tag time");
        let tag = app.store().item_tags(stored[0].id).unwrap()[0].sentiment;
        let tag = tag.expect("the mention is scored");
        assert!(item > 0.0, "\"Great app\" lifts the whole text: {item}");
        assert!(
            tag < item,
            "the fee's sentence is not the praise's: {tag} vs {item}"
        );
        let coverage = app.coverage(&FeedbackFilter::default()).unwrap();
        assert_eq!((coverage.total, coverage.tagged), (3, 1));
        assert_eq!(coverage.placement.by_theme, 1);

        let v2 = V1.replace("\"overcharged\"", "\"overcharged\", \"fee\"");
        let second = app.load_taxonomy("t.toml", &v2).unwrap();
        assert_eq!(second.version, Some(2));
        assert_eq!(second.diff.changed[0].fields, ["keywords"]);
        let report = app
            .tag_all(&FeedbackFilter::default(), &NoProgress)
            .unwrap()
            .unwrap();
        assert_eq!((report.version, report.tagged), (2, 1));
    }

    #[test]
    fn an_invalid_taxonomy_is_refused_with_its_place() {
        let error = app()
            .load_taxonomy("bad.toml", "[[themes]]\nid = \"a\"\nname = \"A\"\n")
            .unwrap_err();
        assert!(
            error.to_string().starts_with("bad.toml:1: theme `a`"),
            "{error}"
        );
    }
}
