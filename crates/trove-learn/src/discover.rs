//! Theme discovery: groups texts that no theme matched (TF-IDF rows by [`crate::cluster`]'s
//! spherical k-means, sentence embeddings by [`crate::ward`]) and names each group by its most
//! distinctive words.
//!
//! A group's terms are the word unigrams and bigrams (real words, not feature hashes) found in
//! a larger share of its texts than of all texts, ranked by `p_c · ln(p_c / p)` where `p_c` is
//! the share of the group's texts that contain the term and `p` the share of all texts (the
//! term's contribution to the Kullback-Leibler divergence of the group from the whole): a term
//! must be both common in the group and rarer elsewhere. Stop words are never terms; a bigram
//! may start with a negator (`not working`). A bigram replaces a chosen unigram it contains
//! when it accounts for at least half of that word's texts in the group (`card` becomes
//! `card arrived`), and is skipped otherwise.
//!
//! Everything is deterministic for a given input and seed.

use std::collections::HashMap;

use crate::cluster::{ClusterOptions, Clustering, kmeans};
use crate::features::{Scratch, SparseRow, TextFeatures};
use crate::svm::SplitMix;
use crate::ward::{VectorClusterOptions, cluster_vectors};

/// How texts are grouped and described.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverOptions {
    /// How many groups; `None`: [`default_k`] of the number of texts.
    pub k: Option<usize>,
    /// The clustering (its `k` is replaced by the one above; its `representatives` by enough
    /// to choose `samples` distinct texts).
    pub cluster: ClusterOptions,
    /// How many distinctive terms to keep per group.
    pub terms: usize,
    /// How many of them make the group's name.
    pub name_terms: usize,
    /// How many representative texts (closest to the centre, distinct) per group.
    pub samples: usize,
    /// K-means runs from different seeds (the seed, the seed + 1, ...); the one whose items
    /// are most similar to their centres (summed) is kept.
    pub restarts: usize,
    /// How [`discover_vectors`] groups vectors (its `k` is replaced by the one above: `None`
    /// estimates it; its `representatives` as for the clustering).
    pub vectors: VectorClusterOptions,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self {
            k: None,
            // Centres learned on at most 20,000 items and passes stopped when at most 0.1% of
            // them move: 50,000 tweets and short comments take a few seconds. On banking77's
            // 3,080 test texts the tolerance changes nothing.
            cluster: ClusterOptions {
                fit_sample: 20_000,
                tolerance: 0.001,
                ..ClusterOptions::default()
            },
            terms: 8,
            name_terms: 3,
            samples: 5,
            restarts: 4,
            vectors: VectorClusterOptions::default(),
        }
    }
}

/// The number of groups used when none is asked for: `sqrt(n / 2)`, at least 2 (when there
/// are 2 texts) and at most 30, so an analyst reads a page, not hundreds of groups.
pub fn default_k(texts: usize) -> usize {
    let k = ((texts as f64) / 2.0).sqrt().round() as usize;
    k.clamp(2.min(texts), 30)
}

/// A distinctive term of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// One word or two, lowercased (`card arrived`).
    pub text: String,
    /// How many of the group's texts contain it.
    pub in_group: u32,
    /// How many of all texts contain it.
    pub overall: u32,
    /// `p_c · ln(p_c / p)`.
    pub score: f64,
}

/// One discovered group of texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    /// Indices of its texts in the input, ascending.
    pub members: Vec<usize>,
    /// Representative texts (most similar to the centre first, no two equal ignoring case and
    /// surrounding space).
    pub samples: Vec<usize>,
    /// Its most distinctive terms, best first.
    pub terms: Vec<Term>,
    /// A readable name: its first `name_terms` terms joined by `, ` (or the start of its first
    /// sample when no term stands out).
    pub name: String,
    /// Mean cosine similarity of its members to its centre.
    pub cohesion: f64,
}

/// The result of [`discover`].
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// The number of groups asked of the clustering.
    pub k: usize,
    /// Whether `k` was estimated from the vectors (not given, nor [`default_k`]).
    pub k_estimated: bool,
    /// The groups, largest first (ties: the one with the earliest text first).
    pub topics: Vec<Topic>,
    /// Texts in no group (TF-IDF: no known feature, e.g. empty or only n-grams seen once;
    /// vectors: none, or an outlier far from every group).
    pub unassigned: Vec<usize>,
    /// K-means assignment passes run.
    pub iterations: usize,
}

/// Groups `texts` and describes each group. Web addresses, `@handles` and redaction marks are
/// left out of the features and terms (a tweet's handle names the company, not the topic).
pub fn discover<S: AsRef<str>>(texts: &[S], options: &DiscoverOptions) -> Discovery {
    let cleaned: Vec<String> = texts.iter().map(|t| clean(t.as_ref())).collect();
    let cluster_options = cluster_options(cleaned.len(), options);
    let (rows, columns) = unit_rows(&cleaned, &cluster_options);
    let clustering = best_of_restarts(&rows, columns, &cluster_options, options.restarts);
    describe(texts, &cleaned, clustering, cluster_options.k, options)
}

/// Groups texts by their vectors (one per text, e.g. sentence embeddings; an empty vector
/// leaves its text unassigned) with [`crate::ward`]'s clustering (k given, or estimated when
/// `options.k` is `None`; texts far from every group are left unassigned as outliers), and
/// names and describes the groups from the texts as [`discover`] does.
pub fn discover_vectors<S: AsRef<str>>(
    texts: &[S],
    vectors: &[Vec<f32>],
    options: &DiscoverOptions,
) -> Discovery {
    let cleaned: Vec<String> = texts.iter().map(|t| clean(t.as_ref())).collect();
    let found = cluster_vectors(
        vectors,
        &VectorClusterOptions {
            k: options.k,
            representatives: options.samples.saturating_mul(10).saturating_add(20),
            ..options.vectors.clone()
        },
    );
    let mut discovery = describe(texts, &cleaned, found.clustering, found.k, options);
    discovery.k_estimated = found.estimated;
    discovery
}

/// The clustering options of a discovery over `n` texts.
fn cluster_options(n: usize, options: &DiscoverOptions) -> ClusterOptions {
    ClusterOptions {
        k: options.k.unwrap_or_else(|| default_k(n)),
        representatives: options.samples.saturating_mul(10).saturating_add(20),
        ..options.cluster.clone()
    }
}

/// The groups of `clustering` named by their distinctive terms, with distinct samples.
fn describe<S: AsRef<str>>(
    originals: &[S],
    texts: &[String],
    clustering: Clustering,
    k: usize,
    options: &DiscoverOptions,
) -> Discovery {
    let unassigned: Vec<usize> = clustering
        .assignments
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_none())
        .map(|(i, _)| i)
        .collect();
    let groups: Vec<&[usize]> = clustering
        .clusters
        .iter()
        .map(|c| c.members.as_slice())
        .collect();
    let terms = distinctive_terms(texts, &groups, options.terms);
    let topics = clustering
        .clusters
        .into_iter()
        .zip(terms)
        .map(|(cluster, terms)| {
            let mut seen = std::collections::HashSet::new();
            let samples: Vec<usize> = cluster
                .representatives
                .iter()
                .copied()
                .filter(|&i| seen.insert(sample_key(&texts[i])))
                .take(options.samples)
                .collect();
            let name = if terms.is_empty() {
                let first = cluster.representatives.first().copied().unwrap_or(0);
                originals
                    .get(first)
                    .map(|t| {
                        t.as_ref()
                            .split_whitespace()
                            .take(6)
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default()
            } else {
                terms
                    .iter()
                    .take(options.name_terms.max(1))
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Topic {
                members: cluster.members,
                samples,
                terms,
                name,
                cohesion: cluster.cohesion,
            }
        })
        .collect();
    Discovery {
        k,
        k_estimated: false,
        topics,
        unassigned,
        iterations: clustering.iterations,
    }
}

/// Runs k-means from seeds `seed, seed + 1, ...` (`restarts` runs, spread over the available
/// cores) and keeps the run whose items are most similar to their centres in total (the
/// first such run on a tie), so the result does not depend on the number of threads.
fn best_of_restarts(
    rows: &[SparseRow],
    columns: usize,
    options: &ClusterOptions,
    restarts: usize,
) -> Clustering {
    let restarts = restarts.max(1);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, restarts);
    let run = |r: usize| {
        kmeans(
            rows,
            columns,
            &ClusterOptions {
                seed: options.seed.wrapping_add(r as u64),
                ..options.clone()
            },
        )
    };
    let mut runs: Vec<(usize, Clustering)> = if threads == 1 {
        (0..restarts).map(|r| (r, run(r))).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let run = &run;
                    scope.spawn(move || {
                        (t..restarts)
                            .step_by(threads)
                            .map(|r| (r, run(r)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    runs.sort_by_key(|(r, _)| *r);
    let fit = |c: &Clustering| -> f64 {
        c.clusters
            .iter()
            .map(|g| g.cohesion * g.members.len() as f64)
            .sum()
    };
    let mut best: Option<Clustering> = None;
    for (_, c) in runs {
        if best.as_ref().is_none_or(|b| fit(&c) > fit(b)) {
            best = Some(c);
        }
    }
    best.unwrap_or_else(|| run(0))
}

/// The text without web addresses (`http://...`, `https://...`, `www....`), `@handles` and
/// redaction marks (`XXXX`), each replaced by a space.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let lower_starts = |p: &str| {
            rest.len() >= p.len()
                && rest.is_char_boundary(p.len())
                && rest[..p.len()].eq_ignore_ascii_case(p)
        };
        if lower_starts("http://") || lower_starts("https://") || lower_starts("www.") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = &rest[end..];
            out.push(' ');
            continue;
        }
        if c == '@' && rest[1..].starts_with(|n: char| n.is_alphanumeric() || n == '_') {
            let end = rest[1..]
                .find(|n: char| !(n.is_alphanumeric() || n == '_'))
                .map_or(rest.len(), |e| e + 1);
            rest = &rest[end..];
            out.push(' ');
            continue;
        }
        // Redaction marks (`XXXX`, `xx/xx/2015`): a run of two or more x starting a word.
        if (c == 'x' || c == 'X') && !out.ends_with(char::is_alphanumeric) {
            let run = rest
                .find(|n: char| n != 'x' && n != 'X')
                .unwrap_or(rest.len());
            if run >= 2 && !rest[run..].starts_with(char::is_alphanumeric) {
                rest = &rest[run..];
                out.push(' ');
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// What makes two samples the same: their content words (stop words, numbers and one-letter
/// words left out) as a sorted set, or the lowercased text when it has none. "Happy enough
/// for now." and "happy enough for now, thanks" are one sample.
fn sample_key(text: &str) -> String {
    let mut buffer = Vec::new();
    words(text, &mut buffer);
    let mut content: Vec<String> = buffer
        .into_iter()
        .flatten()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect();
    if content.is_empty() {
        return text.trim().to_lowercase();
    }
    content.sort_unstable();
    content.dedup();
    content.join(" ")
}

/// The TF-IDF rows of the texts, each scaled to unit length, and the number of columns.
fn unit_rows<S: AsRef<str>>(texts: &[S], options: &ClusterOptions) -> (Vec<SparseRow>, usize) {
    let features = TextFeatures::fit(texts, &options.features);
    let mut scratch = Scratch::default();
    let rows = texts
        .iter()
        .map(|t| {
            let mut row = features.transform_with(t.as_ref(), &mut scratch);
            let norm = row.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
            for (_, v) in &mut row {
                *v /= norm;
            }
            row
        })
        .collect();
    (rows, features.columns())
}

/// Picks `count` indices out of `0..n` at random (seeded), ascending; all of them when
/// `n <= count`.
pub fn sample_indices(n: usize, count: usize, seed: u64) -> Vec<usize> {
    if n <= count {
        return (0..n).collect();
    }
    // A partial Fisher-Yates shuffle of the first `count` places.
    let mut rng = SplitMix::new(seed);
    let mut index: Vec<usize> = (0..n).collect();
    for i in 0..count {
        let j = i + rng.below(n - i);
        index.swap(i, j);
    }
    index.truncate(count);
    index.sort_unstable();
    index
}

/// Words that never make a term: English function words, pronouns, auxiliaries, and bits of
/// web addresses. Negators are here too but may start a bigram (see [`NEGATORS`]).
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "even",
    "ever",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "ive",
    "just",
    "let",
    "like",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "really",
    "same",
    "she",
    "should",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "ill",
    "youre",
    "theyre",
    "weve",
    "youve",
    "id",
    "hes",
    "shes",
    "thats",
    "theres",
    "whats",
    "lets",
    "been",
    "be",
    "may",
    "might",
    "must",
    "shall",
    "much",
    "many",
    "now",
    "yet",
    "via",
    "etc",
    "ok",
    "please",
    "thanks",
    "thank",
    "thx",
    "hi",
    "hello",
    "hey",
    "dear",
    "cheers",
    "regards",
    "http",
    "https",
    "www",
    "com",
    "co",
    "amp",
    "rt",
    "not",
    "no",
    "never",
    "without",
    "nor",
    "cannot",
    "dont",
    "didnt",
    "doesnt",
    "isnt",
    "wasnt",
    "werent",
    "arent",
    "cant",
    "couldnt",
    "wouldnt",
    "shouldnt",
    "wont",
    "havent",
    "hasnt",
    "hadnt",
];

/// Negators: stop words on their own, but a bigram may start with one (`not working`).
const NEGATORS: &[&str] = &[
    "not", "no", "never", "without", "cannot", "dont", "didnt", "doesnt", "isnt", "wasnt",
    "werent", "arent", "cant", "couldnt", "wouldnt", "shouldnt", "wont", "havent", "hasnt",
    "hadnt",
];

/// The words of a text: runs of letters, digits, `_` and apostrophes, lowercased, with a
/// trailing `'s` dropped and other apostrophes removed (`don't` → `dont`); words of one
/// character and words without a letter are left out, but still separate their neighbours
/// (no bigram spans them).
fn words(text: &str, out: &mut Vec<Option<String>>) {
    out.clear();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Option<String>>| {
        if word.is_empty() {
            return;
        }
        let trimmed = word.strip_suffix("'s").unwrap_or(word);
        let clean: String = trimmed.chars().filter(|&c| c != '\'').collect();
        let keep = clean.chars().count() >= 2 && clean.chars().any(char::is_alphabetic);
        out.push(keep.then_some(clean));
        word.clear();
    };
    for c in text.chars() {
        let c = if c == '\u{2019}' { '\'' } else { c };
        if c.is_alphanumeric() || c == '_' || (c == '\'' && !word.is_empty()) {
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word, out);
            // Punctuation other than spaces breaks bigrams.
            if !c.is_whitespace() {
                out.push(None);
            }
        }
    }
    flush(&mut word, out);
}

/// The distinct term ids of each text, interning term strings into `vocabulary`.
fn text_terms<S: AsRef<str>>(texts: &[S]) -> (Vec<Vec<u32>>, Vec<String>) {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut vocabulary: Vec<String> = Vec::new();
    let mut intern = |term: String| -> u32 {
        if let Some(&id) = ids.get(&term) {
            return id;
        }
        let id = vocabulary.len() as u32;
        vocabulary.push(term.clone());
        ids.insert(term, id);
        id
    };
    let mut buffer = Vec::new();
    let per_text = texts
        .iter()
        .map(|text| {
            words(text.as_ref(), &mut buffer);
            let mut terms = Vec::new();
            for (i, word) in buffer.iter().enumerate() {
                let Some(word) = word else { continue };
                let stop = STOP_WORDS.contains(&word.as_str());
                if !stop {
                    terms.push(intern(word.clone()));
                }
                let negator = NEGATORS.contains(&word.as_str());
                if let Some(Some(next)) = buffer.get(i + 1)
                    && (!stop || negator)
                    && !STOP_WORDS.contains(&next.as_str())
                {
                    terms.push(intern(format!("{word} {next}")));
                }
            }
            terms.sort_unstable();
            terms.dedup();
            terms
        })
        .collect();
    (per_text, vocabulary)
}

/// The most distinctive terms of each group of `texts` (groups given as indices), at most
/// `count` per group, best first.
pub fn distinctive_terms<S: AsRef<str>>(
    texts: &[S],
    groups: &[&[usize]],
    count: usize,
) -> Vec<Vec<Term>> {
    let (per_text, vocabulary) = text_terms(texts);
    let mut overall = vec![0u32; vocabulary.len()];
    for terms in &per_text {
        for &t in terms {
            overall[t as usize] += 1;
        }
    }
    let n = texts.len().max(1) as f64;
    groups
        .iter()
        .map(|members| {
            let mut in_group: HashMap<u32, u32> = HashMap::new();
            for &i in *members {
                for &t in &per_text[i] {
                    *in_group.entry(t).or_insert(0) += 1;
                }
            }
            let size = members.len().max(1);
            let least = 2.min(size as u32);
            let mut candidates: Vec<Term> = in_group
                .into_iter()
                .filter(|&(_, c)| c >= least)
                .map(|(t, c)| {
                    let p_c = f64::from(c) / size as f64;
                    let p = f64::from(overall[t as usize]) / n;
                    Term {
                        text: vocabulary[t as usize].clone(),
                        in_group: c,
                        overall: overall[t as usize],
                        score: p_c * (p_c / p).ln(),
                    }
                })
                .filter(|t| t.score > 0.0)
                .collect();
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.text.cmp(&b.text)));
            choose(candidates, count)
        })
        .collect()
}

/// A term proposed as a rule for a group, with its counts over the whole corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTerm {
    /// One word or two.
    pub text: String,
    /// Texts of the group containing it.
    pub inside: usize,
    /// Texts of the whole corpus containing it (the group's included).
    pub everywhere: usize,
}

impl RuleTerm {
    /// Of the texts containing the term, the share in the group: the precision of a rule
    /// made of it alone.
    pub fn precision(&self) -> f64 {
        self.inside as f64 / self.everywhere.max(1) as f64
    }
}

/// Terms that make a precise rule for a group: words and two-word phrases far more frequent
/// inside it than outside. `inside[i]` says whether text i is in the group; the rest of the
/// corpus is everything a rule would also be run on. A term qualifies when at least
/// `min_precision` of the texts containing it are in the group and it covers at least
/// `min_inside` of the group's texts; terms are then taken greedily, each the one adding the
/// most group texts not yet covered, as long as the union of the chosen terms keeps
/// `min_precision` and adds at least `min_inside` texts, at most `max_terms`. Returns the
/// chosen terms in order (empty when none qualifies). Texts contain a term as this module's
/// words read them; [`rule_terms_matching`] takes the matcher that will apply the rule.
pub fn rule_terms<S: AsRef<str>>(
    texts: &[S],
    inside: &[bool],
    min_precision: f64,
    min_inside: usize,
    max_terms: usize,
) -> Vec<RuleTerm> {
    let candidates = term_matches(texts);
    choose_rule(candidates, inside, min_precision, min_inside, max_terms)
}

/// Every term of the texts with the texts containing it.
fn term_matches<S: AsRef<str>>(texts: &[S]) -> Vec<(String, Vec<usize>)> {
    let (per_text, vocabulary) = text_terms(texts);
    let mut matches: Vec<Vec<usize>> = vec![Vec::new(); vocabulary.len()];
    for (i, terms) in per_text.iter().enumerate() {
        for &t in terms {
            matches[t as usize].push(i);
        }
    }
    vocabulary.into_iter().zip(matches).collect()
}

/// [`rule_terms`] with the texts each candidate term matches given by `matcher` (e.g. the
/// rule tagger, which matches word stems): the candidates are the `candidates` terms that
/// qualify as this module's words count them (at most that many, most group texts first),
/// then counted, filtered and chosen with the matcher's matches, so the rule's precision is
/// what the matcher will give.
pub fn rule_terms_matching<S: AsRef<str>>(
    texts: &[S],
    inside: &[bool],
    min_precision: f64,
    min_inside: usize,
    max_terms: usize,
    candidates: usize,
    matcher: &dyn Fn(&str) -> Vec<usize>,
) -> Vec<RuleTerm> {
    let mut loose: Vec<(String, usize)> = term_matches(texts)
        .into_iter()
        .filter_map(|(text, matched)| {
            let a = matched.iter().filter(|&&i| inside[i]).count();
            (a >= min_inside.max(1) && a as f64 >= min_precision * matched.len() as f64)
                .then_some((text, a))
        })
        .collect();
    loose.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    loose.truncate(candidates);
    let exact = loose
        .into_iter()
        .map(|(text, _)| {
            let matched = matcher(&text);
            (text, matched)
        })
        .collect();
    choose_rule(exact, inside, min_precision, min_inside, max_terms)
}

/// The greedy choice of [`rule_terms`] over candidate terms and the texts each matches.
fn choose_rule(
    candidates: Vec<(String, Vec<usize>)>,
    inside: &[bool],
    min_precision: f64,
    min_inside: usize,
    max_terms: usize,
) -> Vec<RuleTerm> {
    let least = min_inside.max(1);
    let mut candidates: Vec<(String, Vec<usize>, usize)> = candidates
        .into_iter()
        .filter_map(|(text, matched)| {
            let a = matched.iter().filter(|&&i| inside[i]).count();
            (a >= least && a as f64 >= min_precision * matched.len() as f64)
                .then_some((text, matched, a))
        })
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let mut covered = vec![false; inside.len()];
    let (mut covered_in, mut covered_all) = (0usize, 0usize);
    let mut chosen = Vec::new();
    while chosen.len() < max_terms {
        // The candidate adding the most group texts while the union stays precise (ties: the
        // first in text order).
        let best = candidates
            .iter()
            .enumerate()
            .filter_map(|(n, (_, matched, _))| {
                let new: Vec<usize> = matched.iter().copied().filter(|&i| !covered[i]).collect();
                let new_in = new.iter().filter(|&&i| inside[i]).count();
                let precise = (covered_in + new_in) as f64
                    >= min_precision * (covered_all + new.len()) as f64;
                (new_in >= least && precise).then_some((n, new_in, new))
            })
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
        let Some((n, new_in, new)) = best else { break };
        for &i in &new {
            covered[i] = true;
        }
        covered_in += new_in;
        covered_all += new.len();
        let (text, matched, inside_count) = candidates.remove(n);
        chosen.push(RuleTerm {
            text,
            inside: inside_count,
            everywhere: matched.len(),
        });
    }
    chosen
}

/// A word without a plural `s` (`cards` → `card`, but `class`, `bus` stay), so a term and
/// its plural are not both chosen.
fn root(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 && !stem.ends_with('s') && !stem.ends_with('u') => stem,
        _ => word,
    }
}

/// Chooses up to `count` terms from candidates sorted best first, merging bigrams with the
/// unigrams they contain (see the module's documentation).
fn choose(candidates: Vec<Term>, count: usize) -> Vec<Term> {
    let mut chosen: Vec<Term> = Vec::new();
    for term in candidates {
        if chosen.len() >= count {
            break;
        }
        let words: Vec<&str> = term.text.split(' ').map(root).collect();
        if words.len() == 1 {
            // Skip a word a chosen term already shows (or its plural: `card`, `cards`).
            if chosen
                .iter()
                .any(|c| c.text.split(' ').any(|w| root(w) == words[0]))
            {
                continue;
            }
            chosen.push(term);
            continue;
        }
        let contained: Vec<usize> = chosen
            .iter()
            .enumerate()
            .filter(|(_, c)| c.text.split(' ').any(|p| words.contains(&root(p))))
            .map(|(i, _)| i)
            .collect();
        if contained.is_empty() {
            chosen.push(term);
            continue;
        }
        // Replace chosen unigrams it mostly accounts for; otherwise it adds nothing new.
        let replaces = contained
            .iter()
            .all(|&i| !chosen[i].text.contains(' ') && 2 * term.in_group >= chosen[i].in_group);
        if replaces {
            let first = contained[0];
            for &i in contained.iter().skip(1).rev() {
                chosen.remove(i);
            }
            chosen[first] = term;
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FeatureOptions;

    #[test]
    fn addresses_and_handles_are_left_out() {
        assert_eq!(
            clean("@united flight late! see http://t.co/x1 or WWW.a.com, ask@me"),
            "  flight late! see   or   ask "
        );
        assert_eq!(clean("café @ 5"), "café @ 5");
        assert_eq!(
            clean("on XXXX XXXX, 2015 xx/xx xerox fax"),
            "on    , 2015  /  xerox fax"
        );
    }

    #[test]
    fn a_rule_takes_the_terms_specific_to_the_group_never_a_common_word() {
        // Group: the 4 cancellation texts. "flight" is in 8 of 10 texts (4 inside: precision
        // 0.5); "cancelled flight" in 3, all inside (1.0); "cancelled" in 4, all inside.
        let texts = [
            "my flight was cancelled flight again",
            "cancelled flight no notice",
            "cancelled flight and no refund",
            "they cancelled my trip",
            "great flight thanks",
            "flight was late",
            "late flight again",
            "lovely flight crew",
            "flight attendant rude",
            "bags lost",
        ];
        let inside = [
            true, true, true, true, false, false, false, false, false, false,
        ];
        let terms = rule_terms(&texts, &inside, 0.6, 2, 3);
        let names: Vec<&str> = terms.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(names, ["cancelled"], "{terms:?}");
        assert_eq!((terms[0].inside, terms[0].everywhere), (4, 4));
        assert!(!names.contains(&"flight"));
        // A precision bar nobody meets gives no rule.
        assert!(rule_terms(&texts, &inside, 1.01, 1, 3).is_empty());
        // A matcher that also finds "cancelled" in "lovely flight crew" and "flight was
        // late" (as a stemmer might) makes it 4 of 6: under 0.7, so the two-word phrase,
        // 3 of 3, is chosen instead.
        let matcher = |term: &str| -> Vec<usize> {
            match term {
                "cancelled" => vec![0, 1, 2, 3, 5, 7],
                other => texts
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.contains(other))
                    .map(|(i, _)| i)
                    .collect(),
            }
        };
        let terms = rule_terms_matching(&texts, &inside, 0.7, 2, 3, 10, &matcher);
        let names: Vec<&str> = terms.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(names, ["cancelled flight"], "{terms:?}");
        assert_eq!((terms[0].inside, terms[0].everywhere), (3, 3));
    }

    #[test]
    fn words_are_lowercased_and_apostrophes_handled() {
        let mut out = Vec::new();
        words("Don't CHARGE the customer's card, x 42 ok", &mut out);
        let shown: Vec<&str> = out.iter().map(|w| w.as_deref().unwrap_or("|")).collect();
        assert_eq!(
            shown,
            [
                "dont", "charge", "the", "customer", "card", "|", "|", "|", "ok"
            ]
        );
    }

    #[test]
    fn groups_are_named_by_their_distinctive_words() {
        let texts = [
            "my card has not arrived",
            "the card never arrived",
            "card still not arrived after a week",
            "refund my payment please",
            "I want a refund for this payment",
            "refund the double payment",
            "",
        ];
        let options = DiscoverOptions {
            k: Some(2),
            cluster: ClusterOptions {
                features: FeatureOptions {
                    min_df: 1,
                    ..ClusterOptions::default().features
                },
                ..ClusterOptions::default()
            },
            ..DiscoverOptions::default()
        };
        let d = discover(&texts, &options);
        assert_eq!(d.unassigned, [6]);
        assert_eq!(d.topics.len(), 2);
        let card = d.topics.iter().find(|t| t.members.contains(&0)).unwrap();
        let refund = d.topics.iter().find(|t| t.members.contains(&3)).unwrap();
        assert_eq!(card.members, [0, 1, 2]);
        assert!(
            card.name.contains("card") && card.name.contains("arrived"),
            "{}",
            card.name
        );
        assert!(
            refund.name.contains("refund") && refund.name.contains("payment"),
            "{}",
            refund.name
        );
        assert!(
            !card.name.contains("the") && !card.name.contains("my"),
            "{}",
            card.name
        );
        // "my card has not arrived" and "the card never arrived" say the same (card, arrived).
        assert_eq!(card.samples.len(), 2);
        assert_eq!(discover(&texts, &options), d, "deterministic");
    }

    #[test]
    fn a_bigram_replaces_the_word_it_mostly_accounts_for() {
        let t = |text: &str, in_group: u32, score: f64| Term {
            text: text.into(),
            in_group,
            overall: in_group,
            score,
        };
        let chosen = choose(
            vec![
                t("card", 10, 3.0),
                t("arrived", 9, 2.5),
                t("card arrived", 8, 2.0),
                t("new card", 2, 1.5),
                t("cards", 4, 1.2),
                t("week", 3, 1.0),
            ],
            3,
        );
        let names: Vec<&str> = chosen.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(names, ["card arrived", "week"]);
    }

    #[test]
    fn default_k_and_sampling() {
        assert_eq!(default_k(0), 0);
        assert_eq!(default_k(1), 1);
        assert_eq!(default_k(3), 2);
        assert_eq!(default_k(800), 20);
        assert_eq!(default_k(1_000_000), 30);
        let s = sample_indices(100, 10, 7);
        assert_eq!(s.len(), 10);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s, sample_indices(100, 10, 7));
        assert_ne!(s, sample_indices(100, 10, 8));
        assert_eq!(sample_indices(5, 10, 7), [0, 1, 2, 3, 4]);
    }
}
