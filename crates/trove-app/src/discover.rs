//! Theme discovery: among the items no theme matched, groups of similar comments, each with a
//! readable name, its size, its trend and representative verbatims, stored as a run
//! ([`App::discover_and_save`]) so its groups can be listed and promoted later; and promoting
//! a group to a theme of the current taxonomy with a rule that keeps precision, previewed
//! before it is saved ([`App::add_theme_from_cluster`]).
//!
//! An item is untagged when it has no theme other than those its source coded (rule tags and
//! model labels count, as coverage counts them). Themes are read by id, so an item whose only
//! rule or model theme is one its source also coded counts as untagged here. Items without text are left out. The untagged items' texts are
//! read into memory (a seeded random sample of `max_items` when there are more) and clustered
//! by `trove_learn::discover`; the same store, options and seed give the same groups, so a
//! group's number can be named in a later command.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use trove_analytics::trend::{PeriodKind, period_index, period_label};
use trove_domain::Slug;
use trove_learn::discover::{
    DiscoverOptions as LearnOptions, RuleTerm, default_k, discover, discover_vectors,
    rule_terms_matching, sample_indices,
};
use trove_store::{Coverage, FeedbackFilter, NewDiscoveryRun, StoreError, ThemeOrigin};
use trove_text::{Scratch as TagScratch, Tagger, Taxonomy, ThemeDef};

use crate::{App, EmbedError, Embedder, NoProgress, Progress, TaxonomyLoad, TaxonomyLoadError};

const PAGE: usize = 10_000;

/// What to discover over, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// Which items.
    pub filter: FeedbackFilter,
    /// How many groups; `None`: estimated from the vectors with a model, else `sqrt(n / 2)`,
    /// at most 30.
    pub clusters: Option<usize>,
    /// The seed of the sample and of k-means.
    pub seed: u64,
    /// At most this many untagged items are clustered (a seeded random sample of them).
    pub max_items: usize,
    /// Representative verbatims per group.
    pub samples: usize,
    /// The sentence-embedding model folder the items are clustered by (their stored vectors,
    /// the missing ones computed and stored); `None`: TF-IDF word and character n-grams.
    pub model: Option<PathBuf>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self {
            filter: FeedbackFilter::default(),
            clusters: None,
            seed: 1,
            max_items: 50_000,
            samples: 5,
            model: None,
        }
    }
}

/// What the items were clustered by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Representation {
    /// `embeddings` or `tf-idf`.
    pub kind: String,
    /// With embeddings: the model's name (and its weights' digest).
    pub model: Option<String>,
    /// With embeddings: items embedded by this run (the others' vectors were stored).
    pub embedded: u64,
    /// With embeddings: items embedded per second by this run (0 when none was).
    pub texts_per_second: f64,
}

impl Default for Representation {
    /// Runs stored before embeddings existed clustered TF-IDF vectors.
    fn default() -> Self {
        Self {
            kind: "tf-idf".to_owned(),
            model: None,
            embedded: 0,
            texts_per_second: 0.0,
        }
    }
}

/// Items of a group in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodCount {
    /// The month (`2026-11`, UTC).
    pub period: String,
    /// Items of the group received in it.
    pub count: u64,
}

/// A representative verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// The item's id in the store.
    pub id: i64,
    /// Its text.
    pub text: String,
}

/// One discovered group of untagged items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredCluster {
    /// Its number (1 = the largest), for `trove taxonomy add-from-cluster`.
    pub id: usize,
    /// Its most distinctive terms, joined.
    pub name: String,
    /// Its most distinctive terms (one or two words each), best first.
    pub terms: Vec<String>,
    /// Items in it.
    pub size: u64,
    /// Its share of the clustered items.
    pub share: f64,
    /// Mean cosine similarity of its items to its centre (0..1; higher is tighter).
    pub cohesion: f64,
    /// Its items per month, over every month of the clustered items (zeros included).
    pub trend: Vec<PeriodCount>,
    /// Representative verbatims, closest to its centre first.
    pub samples: Vec<Sample>,
    /// The store ids of its items, ascending.
    pub members: Vec<i64>,
}

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discovery {
    /// Coverage of the matching items (overall and per source).
    pub coverage: Coverage,
    /// Untagged items with text.
    pub untagged: u64,
    /// Of those, how many were clustered (fewer when sampled).
    pub clustered: u64,
    /// Clustered items in no group (TF-IDF: no known word or character n-gram; embeddings:
    /// outliers, far from every group's centre).
    pub unclustered: u64,
    /// The number of groups asked for, or estimated.
    pub k: usize,
    /// Whether `k` was estimated from the items' vectors (embeddings without `clusters`).
    pub k_estimated: bool,
    /// The seed.
    pub seed: u64,
    /// The groups, largest first.
    pub clusters: Vec<DiscoveredCluster>,
    /// What the items were clustered by.
    pub representation: Representation,
}

/// What a discovery run stores (everything of [`Discovery`] but the coverage, which is read
/// afresh).
#[derive(Debug, Serialize, Deserialize)]
struct RunResult {
    untagged: u64,
    clustered: u64,
    unclustered: u64,
    k: usize,
    #[serde(default)]
    k_estimated: bool,
    seed: u64,
    clusters: Vec<DiscoveredCluster>,
    #[serde(default)]
    representation: Representation,
}

impl DiscoverOptions {
    /// The options as stored with a run: two runs with the same parameters over the same
    /// items find the same groups.
    pub fn params(&self) -> String {
        let f = &self.filter;
        let mut params = serde_json::json!({
            "since": f.since,
            "until": f.until,
            "source": f.source,
            "channel": f.channel.map(|c| format!("{c:?}")),
            "business_unit": f.business_unit,
            "journey_stage": f.journey_stage,
            "touchpoint": f.touchpoint,
            "segment": f.segment,
            "clusters": self.clusters,
            "seed": self.seed,
            "max_items": self.max_items,
            "samples": self.samples,
        });
        // Only when set, so runs stored before embeddings keep their parameters.
        if let (Some(model), Some(object)) = (&self.model, params.as_object_mut()) {
            object.insert("model".into(), model.display().to_string().into());
        }
        params.to_string()
    }
}

/// A discovery read back from the store, or just saved.
#[derive(Debug, Clone)]
pub struct StoredDiscovery {
    /// The run's id.
    pub run: i64,
    /// When it ran (unix seconds).
    pub created_at: i64,
    /// Its parameters, as JSON.
    pub params: String,
    /// What it found (the coverage as of now).
    pub discovery: Discovery,
}

/// Why discovery or promotion failed.
#[derive(Debug, Error)]
pub enum DiscoverError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The taxonomy could not be loaded.
    #[error(transparent)]
    Taxonomy(#[from] TaxonomyLoadError),
    /// No group has that number.
    #[error(
        "there is no cluster {id}: discovery found {count} (run `trove discover` with the same options to see them)"
    )]
    NoCluster {
        /// The number asked for.
        id: usize,
        /// How many groups there are.
        count: usize,
    },
    /// The group has no term precise enough to match it by.
    #[error(
        "cluster {0} has no word or two-word phrase that at least {1:.0}% of the items containing \
         it are in the cluster: no precise rule to propose (lower --min-precision, or write the \
         theme by hand)"
    )]
    NoTerms(usize, f64),
    /// The theme id is not a usable slug.
    #[error("`{0}` cannot be a theme id: give one with --id (lowercase letters, digits and -)")]
    BadId(String),
    /// No discovery run has that id.
    #[error("there is no discovery run {0}: `trove discover` stores one and prints its id")]
    NoRun(i64),
    /// A stored run is not readable as a discovery.
    #[error("discovery run {0} cannot be read: {1}")]
    BadRun(i64, String),
    /// The embedding model could not be loaded.
    #[error(transparent)]
    Model(#[from] EmbedError),
    /// The theme could not be written as TOML.
    #[error("cannot write the theme as TOML: {0}")]
    Toml(String),
    /// The current taxonomy already has a theme with that id.
    #[error("the taxonomy already has a theme `{0}`: choose another with --id or --name")]
    IdTaken(String),
}

/// How a group is promoted.
#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    /// A term is proposed only when at least this share of the items containing it are in the
    /// group, and the rule as a whole keeps it.
    pub min_precision: f64,
    /// The rule is refused when the items it would tag outside the group are more than this
    /// share of the corpus (every matching item with text, tagged or not): a broad word tags
    /// much of the corpus beyond the group, while a precise rule for a large group tags
    /// little beyond it...
    pub max_share: f64,
    /// ...unless forced.
    pub force: bool,
    /// Save the theme (otherwise only preview it).
    pub save: bool,
    /// Matches outside the group shown in the preview.
    pub outside_samples: usize,
}

impl Default for Promotion {
    fn default() -> Self {
        Self {
            min_precision: 0.6,
            max_share: 0.05,
            force: false,
            save: false,
            outside_samples: 5,
        }
    }
}

/// A proposed term with its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposedTerm {
    /// The word or two-word phrase.
    pub text: String,
    /// Items of the group containing it.
    pub in_cluster: u64,
    /// Items of the corpus containing it.
    pub in_corpus: u64,
    /// `in_cluster / in_corpus`.
    pub precision: f64,
}

/// What the proposed rule would do, measured with the real tagger on every item with text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulePreview {
    /// The terms, in the order chosen.
    pub terms: Vec<ProposedTerm>,
    /// Items with text the rule runs on.
    pub corpus: u64,
    /// Items the rule would tag.
    pub tagged: u64,
    /// `tagged / corpus`.
    pub corpus_share: f64,
    /// Tagged items outside the group over the corpus: what `max_share` bounds.
    pub outside_share: f64,
    /// Of the tagged items, those in the group.
    pub in_cluster: u64,
    /// `in_cluster / tagged`: the rule's precision against the group.
    pub precision: f64,
    /// Items in the group.
    pub cluster_size: u64,
    /// `in_cluster / cluster_size`: how much of the group the rule finds.
    pub recall: f64,
    /// Some items it would tag outside the group (the first in store order).
    pub outside: Vec<Sample>,
}

/// What became of a promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Previewed only (no `save`).
    Preview,
    /// Saved as a new taxonomy version.
    Saved,
    /// Refused: the rule would tag more than the allowed share of the corpus outside the
    /// group.
    TooBroad,
    /// Refused: as the tagger matches them (it also matches word forms the proposal did not
    /// count), the terms together are less precise than `min_precision`.
    Imprecise,
}

/// What promoting a group to a theme did.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterTheme {
    /// The theme as proposed (and appended to the taxonomy when saved).
    pub theme: ThemeDef,
    /// What its rule would tag.
    pub preview: RulePreview,
    /// Previewed, saved or refused.
    pub verdict: Verdict,
    /// When saved: the new taxonomy version and its diff.
    pub load: Option<TaxonomyLoad>,
}

/// An untagged item with text.
struct Untagged {
    id: i64,
    received_at: i64,
    text: String,
}

impl App {
    /// Discovers (see [`App::discover`]) and stores the run, so its groups can be listed and
    /// promoted later without clustering again.
    pub fn discover_and_save(
        &self,
        options: &DiscoverOptions,
        progress: &dyn Progress,
    ) -> Result<StoredDiscovery, DiscoverError> {
        let discovery = self.discover_with(options, progress)?;
        let result = RunResult {
            untagged: discovery.untagged,
            clustered: discovery.clustered,
            unclustered: discovery.unclustered,
            k: discovery.k,
            k_estimated: discovery.k_estimated,
            seed: discovery.seed,
            clusters: discovery.clusters.clone(),
            representation: discovery.representation.clone(),
        };
        let result =
            serde_json::to_string(&result).map_err(|e| DiscoverError::Toml(e.to_string()))?;
        let created_at = jiff::Timestamp::now().as_second();
        let params = options.params();
        let run = self.store().save_discovery_run(&NewDiscoveryRun {
            created_at,
            params: params.clone(),
            clusters: discovery.clusters.len() as u64,
            items: discovery.clustered,
            result,
        })?;
        Ok(StoredDiscovery {
            run,
            created_at,
            params,
            discovery,
        })
    }

    /// The newest discovery run over every item that a page shows: the one made with the
    /// embedding model `model` when one is configured, else (or while there is none yet) the
    /// newest made with TF-IDF. Its `representation` says which.
    pub fn newest_discovery(
        &self,
        model: Option<&std::path::Path>,
    ) -> Result<Option<StoredDiscovery>, DiscoverError> {
        if let Some(dir) = model {
            let options = DiscoverOptions {
                model: Some(dir.to_path_buf()),
                ..DiscoverOptions::default()
            };
            if let Some(found) = self.stored_discovery(None, &options)? {
                return Ok(Some(found));
            }
        }
        self.stored_discovery(None, &DiscoverOptions::default())
    }

    /// A stored discovery run: run `id`, or (None) the newest run made with `options`'
    /// parameters; None when there is no such run. The coverage is read as of now.
    pub fn stored_discovery(
        &self,
        id: Option<i64>,
        options: &DiscoverOptions,
    ) -> Result<Option<StoredDiscovery>, DiscoverError> {
        let store = self.store();
        let id = match id {
            Some(id) => id,
            None => {
                let params = options.params();
                let newest = store
                    .discovery_runs(usize::MAX >> 1)?
                    .into_iter()
                    .find(|r| r.params == params);
                match newest {
                    Some(run) => run.id,
                    None => return Ok(None),
                }
            }
        };
        let run = store.discovery_run(id)?.ok_or(DiscoverError::NoRun(id))?;
        let result: RunResult = serde_json::from_str(&run.result)
            .map_err(|e| DiscoverError::BadRun(id, e.to_string()))?;
        Ok(Some(StoredDiscovery {
            run: id,
            created_at: run.summary.created_at,
            params: run.summary.params,
            discovery: Discovery {
                coverage: store.coverage(&options.filter)?,
                untagged: result.untagged,
                clustered: result.clustered,
                unclustered: result.unclustered,
                k: result.k,
                k_estimated: result.k_estimated,
                seed: result.seed,
                clusters: result.clusters,
                representation: result.representation,
            },
        }))
    }

    /// The members of group `cluster` of a discovery, in id order, with their texts: at most
    /// `limit`, and how many there are.
    pub fn cluster_members(
        &self,
        discovery: &Discovery,
        cluster: usize,
        limit: usize,
    ) -> Result<(u64, Vec<Sample>), DiscoverError> {
        let found = cluster
            .checked_sub(1)
            .and_then(|i| discovery.clusters.get(i))
            .ok_or(DiscoverError::NoCluster {
                id: cluster,
                count: discovery.clusters.len(),
            })?;
        let wanted: HashSet<i64> = found.members.iter().take(limit).copied().collect();
        let mut out = Vec::with_capacity(wanted.len());
        let last = found.members.iter().take(limit).max().copied().unwrap_or(0);
        self.store()
            .scan_feedback(&FeedbackFilter::default(), PAGE, &mut |page| {
                let mut past = false;
                for s in page {
                    past |= s.id >= last;
                    if wanted.contains(&s.id) {
                        out.push(Sample {
                            id: s.id,
                            text: s.item.text.as_str().to_owned(),
                        });
                    }
                }
                if past {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })?;
        Ok((found.members.len() as u64, out))
    }

    /// Groups the untagged items with text, names each group and gives its size, trend and
    /// representative verbatims, with the coverage of the matching items.
    pub fn discover(&self, options: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
        self.discover_with(options, &NoProgress)
    }

    /// [`App::discover`], saying what it is doing: each stage's name, and the items read.
    pub fn discover_with(
        &self,
        options: &DiscoverOptions,
        progress: &dyn Progress,
    ) -> Result<Discovery, DiscoverError> {
        let store = self.store();
        progress.stage("reading themes");
        let coverage = store.coverage(&options.filter)?;
        // Items with any theme, then those whose themes are all source-coded taken out.
        let mut themed: HashMap<i64, Vec<String>> = HashMap::new();
        store.scan_item_themes(&options.filter, ThemeOrigin::Any, PAGE, &mut |page| {
            themed.extend(
                page.into_iter()
                    .filter(|i| !i.themes.is_empty())
                    .map(|i| (i.id, i.themes)),
            );
            ControlFlow::Continue(())
        })?;
        store.scan_item_themes(&options.filter, ThemeOrigin::Source, PAGE, &mut |page| {
            for item in page.iter().filter(|i| !i.themes.is_empty()) {
                if let Some(all) = themed.get(&item.id)
                    && all.iter().all(|t| item.themes.contains(t))
                {
                    themed.remove(&item.id);
                }
            }
            ControlFlow::Continue(())
        })?;
        let tagged: HashSet<i64> = themed.into_keys().collect();
        let mut items: Vec<Untagged> = Vec::new();
        progress.stage("reading texts");
        progress.set_total(coverage.total);
        let mut read = 0u64;
        store.scan_feedback(&options.filter, PAGE, &mut |page| {
            read += page.len() as u64;
            progress.set_done(read);
            items.extend(
                page.into_iter()
                    .filter(|s| !tagged.contains(&s.id) && !s.item.text.as_str().trim().is_empty())
                    .map(|s| Untagged {
                        id: s.id,
                        received_at: s.item.received_at.unix_seconds(),
                        text: s.item.text.as_str().to_owned(),
                    }),
            );
            ControlFlow::Continue(())
        })?;
        drop(tagged);
        let untagged = items.len() as u64;
        if items.len() > options.max_items {
            let keep = sample_indices(items.len(), options.max_items, options.seed);
            let mut all: Vec<Option<Untagged>> = items.into_iter().map(Some).collect();
            items = keep.into_iter().filter_map(|i| all[i].take()).collect();
        }
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        let (vectors, representation) = match &options.model {
            Some(dir) => {
                progress.stage("loading the embedding model");
                let embedder = Embedder::load(dir)?;
                let keyed: Vec<(i64, &str)> =
                    items.iter().map(|i| (i.id, i.text.as_str())).collect();
                let (vectors, report) = self.item_vectors(&embedder, &keyed, progress)?;
                let representation = Representation {
                    kind: "embeddings".to_owned(),
                    model: Some(report.model),
                    embedded: report.embedded,
                    texts_per_second: report.texts_per_second,
                };
                (Some(vectors), representation)
            }
            None => (None, Representation::default()),
        };
        // With vectors and no number asked for, the clustering estimates it.
        let k = match (options.clusters, &vectors) {
            (None, Some(_)) => None,
            (clusters, _) => Some(
                clusters
                    .unwrap_or_else(|| default_k(texts.len()))
                    .clamp(1, texts.len().max(1)),
            ),
        };
        let mut learn = LearnOptions {
            k,
            samples: options.samples,
            ..LearnOptions::default()
        };
        learn.cluster.seed = options.seed;
        learn.vectors.seed = options.seed;
        progress.stage(&format!(
            "clustering {} items into {} groups and naming them",
            texts.len(),
            k.map_or_else(|| "an estimated number of".to_owned(), |k| k.to_string())
        ));
        let found = match &vectors {
            Some(vectors) => discover_vectors(&texts, vectors, &learn),
            None => discover(&texts, &learn),
        };

        let months: Vec<i64> = items
            .iter()
            .map(|i| period_index(i.received_at, PeriodKind::Month))
            .collect();
        let first = months.iter().copied().min().unwrap_or(0);
        let last = months.iter().copied().max().unwrap_or(-1);
        let clustered = items.len() as u64;
        let clusters = found
            .topics
            .iter()
            .enumerate()
            .map(|(n, topic)| {
                let mut per_month: BTreeMap<i64, u64> = (first..=last).map(|m| (m, 0)).collect();
                for &i in &topic.members {
                    *per_month.entry(months[i]).or_insert(0) += 1;
                }
                DiscoveredCluster {
                    id: n + 1,
                    name: topic.name.clone(),
                    terms: topic.terms.iter().map(|t| t.text.clone()).collect(),
                    size: topic.members.len() as u64,
                    share: topic.members.len() as f64 / clustered.max(1) as f64,
                    cohesion: topic.cohesion,
                    trend: per_month
                        .into_iter()
                        .map(|(m, count)| PeriodCount {
                            period: period_label(m, PeriodKind::Month),
                            count,
                        })
                        .collect(),
                    samples: topic
                        .samples
                        .iter()
                        .map(|&i| Sample {
                            id: items[i].id,
                            text: items[i].text.clone(),
                        })
                        .collect(),
                    members: topic.members.iter().map(|&i| items[i].id).collect(),
                }
            })
            .collect();
        Ok(Discovery {
            coverage,
            untagged,
            clustered,
            unclustered: found.unassigned.len() as u64,
            k: found.k,
            k_estimated: found.k_estimated,
            seed: options.seed,
            clusters,
            representation,
        })
    }

    /// Proposes discovered group `cluster` (its 1-based number) as a new theme of the current
    /// taxonomy, previews what its rule would tag over every item with text matching
    /// `filter`, and, when `promotion.save` and the rule tags at most `max_share` of them
    /// outside the group with a precision of at least `min_precision` (or `force`), loads the taxonomy with it as a new version. The rule's terms are the words
    /// and two-word phrases specific to the group (see `trove_learn::discover::rule_terms`:
    /// at least `min_precision` of the items a term tags are in the group, each covering at
    /// least 3 items or 5% of it, at most 3 terms; the 30 candidates with most group items are
    /// counted with the tagger itself, stems and all); two-word terms become phrases, single
    /// words keywords. Its id is `id` or the slug of its name, its name `name` or the group's.
    /// Without a current taxonomy, the theme starts one. Stored items are not re-tagged
    /// (`tag_all` does that). When the group came from a sample (`max_items`), items of the
    /// corpus left out of the sample count as outside it, so precision is understated.
    pub fn add_theme_from_cluster(
        &self,
        discovery: &Discovery,
        filter: &FeedbackFilter,
        cluster: usize,
        id: Option<&str>,
        name: Option<&str>,
        promotion: &Promotion,
    ) -> Result<ClusterTheme, DiscoverError> {
        let found = cluster
            .checked_sub(1)
            .and_then(|i| discovery.clusters.get(i))
            .ok_or(DiscoverError::NoCluster {
                id: cluster,
                count: discovery.clusters.len(),
            })?;
        let members: HashSet<i64> = found.members.iter().copied().collect();
        let mut corpus: Vec<(i64, String)> = Vec::new();
        self.store().scan_feedback(filter, PAGE, &mut |page| {
            corpus.extend(
                page.into_iter()
                    .filter(|s| !s.item.text.as_str().trim().is_empty())
                    .map(|s| (s.id, s.item.text.as_str().to_owned())),
            );
            ControlFlow::Continue(())
        })?;
        let texts: Vec<&str> = corpus.iter().map(|(_, t)| t.as_str()).collect();
        let inside: Vec<bool> = corpus.iter().map(|(id, _)| members.contains(id)).collect();
        let min_inside = 3.max(members.len() / 20);
        // Each candidate's matches as the tagger will find them (it matches word stems).
        let matcher = |term: &str| tagger_matches(term, &texts);
        let terms = rule_terms_matching(
            &texts,
            &inside,
            promotion.min_precision,
            min_inside,
            3,
            CANDIDATES,
            &matcher,
        );
        if terms.is_empty() {
            return Err(DiscoverError::NoTerms(
                cluster,
                promotion.min_precision * 100.0,
            ));
        }
        let name = match name {
            Some(name) => name.trim().to_owned(),
            None => {
                let mut chars = found.name.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        };
        let slug = match id {
            Some(id) => Slug::parse("theme id", id).map_err(|_| DiscoverError::BadId(id.into()))?,
            None => Slug::from_name(&name).ok_or_else(|| DiscoverError::BadId(name.clone()))?,
        };
        let current = self.export_taxonomy()?.unwrap_or_default();
        if let Ok(taxonomy) = Taxonomy::parse("current taxonomy", &current)
            && taxonomy.theme(slug.as_str()).is_some()
        {
            return Err(DiscoverError::IdTaken(slug.to_string()));
        }
        let (phrases, keywords): (Vec<&RuleTerm>, Vec<&RuleTerm>) =
            terms.iter().partition(|t| t.text.contains(' '));
        let theme = ThemeDef {
            id: slug,
            name,
            description: Some(format!(
                "discovered: cluster {cluster} of {} untagged items ({} items; seed {}, {} clusters): {}",
                discovery.clustered,
                found.size,
                discovery.seed,
                discovery.k,
                found.terms.join(", ")
            )),
            parent: None,
            stage: None,
            departments: Vec::new(),
            kind: Default::default(),
            phrases: phrases.into_iter().map(|t| t.text.clone()).collect(),
            keywords: keywords.into_iter().map(|t| t.text.clone()).collect(),
            exclude: Vec::new(),
            negatable: false,
        };
        #[derive(Serialize)]
        struct Entry<'a> {
            themes: [&'a ThemeDef; 1],
        }
        let entry = toml::to_string(&Entry { themes: [&theme] })
            .map_err(|e| DiscoverError::Toml(e.to_string()))?;
        let preview = preview_rule(&entry, &terms, &corpus, &inside, promotion)?;
        let verdict = if preview.outside_share > promotion.max_share && !promotion.force {
            Verdict::TooBroad
        } else if preview.precision < promotion.min_precision && !promotion.force {
            Verdict::Imprecise
        } else if promotion.save {
            Verdict::Saved
        } else {
            Verdict::Preview
        };
        let load = if verdict == Verdict::Saved {
            let mut text = current;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&entry);
            Some(self.load_taxonomy("taxonomy with the discovered theme", &text)?)
        } else {
            None
        };
        Ok(ClusterTheme {
            theme,
            preview,
            verdict,
            load,
        })
    }
}

/// At most this many candidate terms are checked with the tagger.
const CANDIDATES: usize = 30;

/// The texts a rule of this one word (a keyword) or phrase tags (none when it cannot be a
/// rule).
fn tagger_matches(term: &str, texts: &[&str]) -> Vec<usize> {
    let theme = ThemeDef {
        id: Slug::parse("theme id", "candidate").expect("a valid slug"),
        name: "candidate".to_owned(),
        description: None,
        parent: None,
        stage: None,
        departments: Vec::new(),
        kind: Default::default(),
        phrases: if term.contains(' ') {
            vec![term.to_owned()]
        } else {
            Vec::new()
        },
        keywords: if term.contains(' ') {
            Vec::new()
        } else {
            vec![term.to_owned()]
        },
        exclude: Vec::new(),
        negatable: false,
    };
    #[derive(Serialize)]
    struct Entry<'a> {
        themes: [&'a ThemeDef; 1],
    }
    let Ok(entry) = toml::to_string(&Entry { themes: [&theme] }) else {
        return Vec::new();
    };
    let Ok(taxonomy) = Taxonomy::parse("candidate", &entry) else {
        return Vec::new();
    };
    let tagger = Tagger::new(&taxonomy);
    let mut scratch = TagScratch::default();
    texts
        .iter()
        .enumerate()
        .filter(|(_, t)| !tagger.tag_in(t, &mut scratch).is_empty())
        .map(|(i, _)| i)
        .collect()
}

/// Runs the theme's rule (its TOML entry, alone) with the real tagger over the corpus.
fn preview_rule(
    entry: &str,
    terms: &[RuleTerm],
    corpus: &[(i64, String)],
    inside: &[bool],
    promotion: &Promotion,
) -> Result<RulePreview, DiscoverError> {
    let taxonomy =
        Taxonomy::parse("proposed theme", entry).map_err(|e| DiscoverError::Toml(e.to_string()))?;
    let tagger = Tagger::new(&taxonomy);
    let mut scratch = TagScratch::default();
    let (mut tagged, mut in_cluster) = (0u64, 0u64);
    let mut outside = Vec::new();
    for ((id, text), &is_in) in corpus.iter().zip(inside) {
        if tagger.tag_in(text, &mut scratch).is_empty() {
            continue;
        }
        tagged += 1;
        if is_in {
            in_cluster += 1;
        } else if outside.len() < promotion.outside_samples {
            outside.push(Sample {
                id: *id,
                text: text.clone(),
            });
        }
    }
    let cluster_size = inside.iter().filter(|&&i| i).count() as u64;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(RulePreview {
        terms: terms
            .iter()
            .map(|t| ProposedTerm {
                text: t.text.clone(),
                in_cluster: t.inside as u64,
                in_corpus: t.everywhere as u64,
                precision: t.precision(),
            })
            .collect(),
        corpus: corpus.len() as u64,
        tagged,
        corpus_share: ratio(tagged, corpus.len() as u64),
        outside_share: ratio(tagged - in_cluster, corpus.len() as u64),
        in_cluster,
        precision: ratio(in_cluster, tagged),
        cluster_size,
        recall: ratio(in_cluster, cluster_size),
        outside,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use trove_domain::{FeedbackItem, FeedbackText};
    use trove_store_sqlite::SqliteStore;

    use super::*;

    const TAXONOMY: &str =
        "[[themes]]\nid = \"billing\"\nname = \"Billing\"\nkeywords = [\"fee\"]\n";

    #[test]
    fn untagged_items_are_grouped_and_a_group_becomes_a_theme() {
        let app = App::new(Arc::new(SqliteStore::open_in_memory().unwrap()));
        app.load_taxonomy("t.toml", TAXONOMY).unwrap();
        let texts = [
            "a surprise fee on my bill",
            "the app crashes at login",
            "app crashes every time I log in",
            "login crashes the app",
            "the parking lot was full",
            "no parking spaces left",
            "parking was impossible",
            "",
        ];
        let items: Vec<FeedbackItem> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| FeedbackItem {
                text: FeedbackText::parse(text).unwrap(),
                ..trove_store::contract::item("s", &i.to_string())
            })
            .collect();
        app.store().insert_feedback(&items, None).unwrap();
        app.tag_all(&FeedbackFilter::default(), &NoProgress)
            .unwrap();
        let options = DiscoverOptions {
            clusters: Some(2),
            ..DiscoverOptions::default()
        };
        let d = app.discover(&options).unwrap();
        assert_eq!((d.coverage.total, d.coverage.tagged), (8, 1));
        assert_eq!((d.untagged, d.clustered), (6, 6));
        assert_eq!(
            d.clusters.iter().map(|c| c.size).sum::<u64>() + d.unclustered,
            6
        );
        assert_eq!(app.discover(&options).unwrap(), d, "deterministic");
        let parking = d
            .clusters
            .iter()
            .find(|c| c.terms.iter().any(|t| t == "parking"))
            .expect("a parking group");
        assert_eq!(parking.size, 3, "{d:#?}");
        assert_eq!(parking.trend.iter().map(|p| p.count).sum::<u64>(), 3);

        // A stored run reads back as it was found, and its members can be listed.
        let saved = app.discover_and_save(&options, &NoProgress).unwrap();
        assert_eq!(saved.discovery, d);
        let read = app.stored_discovery(None, &options).unwrap().unwrap();
        assert_eq!((read.run, &read.discovery), (saved.run, &d));
        let other = DiscoverOptions {
            seed: 2,
            ..options.clone()
        };
        assert!(app.stored_discovery(None, &other).unwrap().is_none());
        assert!(matches!(
            app.stored_discovery(Some(99), &options),
            Err(DiscoverError::NoRun(99))
        ));
        let (size, members) = app.cluster_members(&d, parking.id, 2).unwrap();
        assert_eq!(size, 3);
        let listed: Vec<&str> = members.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            listed,
            ["the parking lot was full", "no parking spaces left"]
        );

        let filter = FeedbackFilter::default();
        let preview = app
            .add_theme_from_cluster(
                &d,
                &filter,
                parking.id,
                None,
                Some("Parking"),
                &Promotion::default(),
            )
            .unwrap();
        assert_eq!(preview.verdict, Verdict::Preview);
        assert!(preview.load.is_none());
        assert_eq!(preview.theme.keywords, ["parking"]);
        let p = &preview.preview;
        assert_eq!(
            (p.corpus, p.tagged, p.in_cluster, p.cluster_size),
            (7, 3, 3, 3)
        );
        assert_eq!((p.precision, p.recall, p.outside_share), (1.0, 1.0, 0.0));
        assert!(p.outside.is_empty());
        assert_eq!(
            app.export_taxonomy().unwrap().unwrap(),
            TAXONOMY,
            "nothing saved"
        );
        let save = Promotion {
            save: true,
            ..Promotion::default()
        };
        let added = app
            .add_theme_from_cluster(&d, &filter, parking.id, None, Some("Parking"), &save)
            .unwrap();
        assert_eq!(added.verdict, Verdict::Saved);
        assert_eq!(added.theme.id.as_str(), "parking");
        let load = added.load.unwrap();
        assert_eq!(load.version, Some(2));
        assert_eq!(load.diff.added, ["parking"]);
        let exported = app.export_taxonomy().unwrap().unwrap();
        assert!(exported.starts_with(TAXONOMY), "{exported}");
        let report = app
            .tag_all(&FeedbackFilter::default(), &NoProgress)
            .unwrap()
            .unwrap();
        assert_eq!(report.tagged, 4);
        assert!(matches!(
            app.add_theme_from_cluster(&d, &filter, parking.id, None, Some("Parking"), &save),
            Err(DiscoverError::IdTaken(_))
        ));
        assert!(matches!(
            app.add_theme_from_cluster(&d, &filter, 9, None, None, &save),
            Err(DiscoverError::NoCluster { id: 9, count: 2 })
        ));
    }

    #[test]
    fn themes_the_source_coded_do_not_make_an_item_tagged() {
        let app = App::new(Arc::new(SqliteStore::open_in_memory().unwrap()));
        app.load_taxonomy("t.toml", TAXONOMY).unwrap();
        let item = |i: usize, text: &str, coded: &[&str]| FeedbackItem {
            text: FeedbackText::parse(text).unwrap(),
            source_themes: coded
                .iter()
                .map(|c| trove_domain::Label::parse("theme", c).unwrap())
                .collect(),
            ..trove_store::contract::item("s", &i.to_string())
        };
        let items = [
            item(0, "lost my luggage", &["Lost luggage"]),
            item(1, "a fee again", &["Lost luggage"]),
            item(2, "bags never came", &[]),
        ];
        app.store().insert_feedback(&items, None).unwrap();
        app.tag_all(&FeedbackFilter::default(), &NoProgress)
            .unwrap();
        let d = app.discover(&DiscoverOptions::default()).unwrap();
        assert_eq!((d.coverage.total, d.coverage.tagged), (3, 1));
        assert_eq!(d.untagged, 2, "{d:#?}");
    }
}
