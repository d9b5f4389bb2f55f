//! The rule tagger: every theme's phrases compiled into one Aho-Corasick automaton, so tagging a
//! text is one pass over it whatever the number of themes.
//!
//! How it works:
//! - every distinct stem in the taxonomy's phrases, keywords and exclusions gets an id (from 2);
//! - a text is normalised (see [`crate::normalize`]) into a sequence of ids: its words (0 for
//!   a word no phrase uses) and a boundary (1) at every clause or sentence end, so no phrase
//!   matches across a comma or a full stop;
//! - each id is written as 3 bytes, the first with its high bit set and the others without, so a
//!   pattern can only match starting at a token; the automaton runs over these bytes with
//!   overlapping matches (so "hidden charge" and "charge" both fire);
//! - an exclusion match vetoes its theme in the whole sentence; a negatable theme's match with a
//!   negator among the 3 words before it, in the same clause, does not count.
//!
//! One tag per theme and text: the first match that counts, with the phrase as the analyst
//! wrote it and its byte offsets in the original text. A parent theme is not tagged for its
//! children's matches: readers derive it from the hierarchy, so nothing is stored twice.
//!
//! A [`Scratch`] keeps buffers and a cache of word → id (stemming is the costly part) between
//! calls; one per thread.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use trove_domain::Slug;

use crate::cache::{Key, ShortMap};
use crate::normalize::{Normalizer, Segment, classify, is_clause_word, is_negator, segments};
use crate::taxonomy::Taxonomy;

/// The id of a word no pattern uses.
const UNKNOWN: u32 = 0;
/// The id of a clause or sentence boundary.
const BOUNDARY: u32 = 1;
/// Flag of a cached word id: the word is a negator.
const NEGATOR: u32 = 1 << 30;
/// Flag of a cached word id: the word opens a clause.
const CLAUSE_WORD: u32 = 1 << 29;
/// The id bits of a word id (ids are written in 21 bits, see `encode`).
const ID_MASK: u32 = (1 << 21) - 1;
/// How many words before a match a negator may stand.
const NEGATION_WINDOW: usize = 3;
/// The word cache of a [`Scratch`] is emptied when it grows past this many words.
const CACHE_LIMIT: usize = 200_000;

/// FxHash (as in rustc): fast for short keys; no protection against crafted collisions is needed
/// for a per-thread word cache.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut b = [0_u8; 8];
            b.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0_u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// What one automaton pattern means for one theme.
#[derive(Debug, Clone, Copy)]
struct Use {
    theme: u32,
    /// Index into `phrases`; `None` for an exclusion.
    phrase: Option<u32>,
}

#[derive(Debug, Clone)]
struct ThemeInfo {
    id: Slug,
    parent: Option<usize>,
    negatable: bool,
}

/// A theme found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// The theme's index in the taxonomy ([`Tagger::theme_id`] gives its id).
    pub theme: usize,
    /// The phrase that matched ([`Tagger::phrase`] gives its text).
    pub phrase: usize,
    /// Byte offset of the match's first word in the text.
    pub start: usize,
    /// Byte offset just past its last word.
    pub end: usize,
}

/// Reusable buffers and the word cache of one thread's tagging.
#[derive(Default)]
pub struct Scratch {
    word: String,
    haystack: Vec<u8>,
    slots: Vec<Slot>,
    /// Word segment as written → its flagged id (see [`Tagger::word_id`]); segments longer
    /// than [`crate::cache::MAX_KEY`] bytes are in `long`.
    cache: ShortMap<u32>,
    long: FxMap<Box<str>, u32>,
    vetoes: Vec<(u32, u32)>,
    found: Vec<(Tag, u32)>,
    tags: Vec<Tag>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("cached_words", &(self.cache.len() + self.long.len()))
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    start: usize,
    end: usize,
    sentence: u32,
    clause: u32,
    negator: bool,
    boundary: bool,
}

/// A compiled taxonomy.
pub struct Tagger {
    normalizer: Normalizer,
    vocabulary: FxMap<Box<str>, u32>,
    automaton: Option<AhoCorasick>,
    uses: Vec<Vec<Use>>,
    themes: Vec<ThemeInfo>,
    phrases: Vec<String>,
}

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tagger")
            .field("themes", &self.themes.len())
            .field("patterns", &self.uses.len())
            .field("stems", &self.vocabulary.len())
            .finish()
    }
}

fn encode(id: u32, out: &mut Vec<u8>) {
    out.push(0x80 | ((id >> 14) & 0x7f) as u8);
    out.push(((id >> 7) & 0x7f) as u8);
    out.push((id & 0x7f) as u8);
}

impl Tagger {
    /// Compiles a (validated) taxonomy.
    pub fn new(taxonomy: &Taxonomy) -> Self {
        let normalizer = Normalizer::new();
        let mut vocabulary: FxMap<Box<str>, u32> = FxMap::default();
        let mut pattern_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut uses: Vec<Vec<Use>> = Vec::new();
        let mut phrases: Vec<String> = Vec::new();
        let index: HashMap<&str, usize> = taxonomy
            .themes
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let themes = taxonomy
            .themes
            .iter()
            .map(|t| ThemeInfo {
                id: t.id.clone(),
                parent: t
                    .parent
                    .as_ref()
                    .and_then(|p| index.get(p.as_str()).copied()),
                negatable: t.negatable,
            })
            .collect();
        for (theme, def) in taxonomy.themes.iter().enumerate() {
            let signals = def.phrases.iter().chain(&def.keywords).map(|p| (p, true));
            let vetoes = def.exclude.iter().map(|p| (p, false));
            for (text, signal) in signals.chain(vetoes) {
                let stems = normalizer.phrase_stems(text);
                // Ids take 21 bits: a taxonomy with two million distinct stems is not one an
                // analyst wrote; phrases beyond that are left out rather than mismatched.
                let room = vocabulary.len() + stems.len() + 2 <= ID_MASK as usize;
                if stems.is_empty() || !room {
                    continue;
                }
                let mut bytes = Vec::with_capacity(stems.len() * 3);
                for stem in stems {
                    let next = u32::try_from(vocabulary.len()).unwrap_or(u32::MAX) + 2;
                    let id = *vocabulary.entry(stem.into_boxed_str()).or_insert(next);
                    encode(id, &mut bytes);
                }
                let pattern = *pattern_index.entry(bytes.clone()).or_insert_with(|| {
                    patterns.push(bytes);
                    uses.push(Vec::new());
                    patterns.len() - 1
                });
                let phrase = signal.then(|| {
                    phrases.push(text.clone());
                    u32::try_from(phrases.len() - 1).unwrap_or(u32::MAX)
                });
                uses[pattern].push(Use {
                    theme: u32::try_from(theme).unwrap_or(u32::MAX),
                    phrase,
                });
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            // The patterns are short byte strings we built; building cannot fail below the
            // automaton's size limits, which a taxonomy of any realistic size stays far under.
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .or_else(|_| {
                    AhoCorasick::builder()
                        .match_kind(MatchKind::Standard)
                        .build(&patterns)
                })
                .ok()
        };
        Self {
            normalizer,
            vocabulary,
            automaton,
            uses,
            themes,
            phrases,
        }
    }

    /// The id of the theme at an index.
    pub fn theme_id(&self, theme: usize) -> &Slug {
        &self.themes[theme].id
    }

    /// The number of themes.
    pub fn theme_count(&self) -> usize {
        self.themes.len()
    }

    /// A theme's index and its ancestors' indexes, nearest first.
    pub fn with_ancestors(&self, theme: usize) -> impl Iterator<Item = usize> + '_ {
        let mut next = Some(theme);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let current = next?;
            steps += 1;
            next = if steps > self.themes.len() {
                None
            } else {
                self.themes[current].parent
            };
            Some(current)
        })
    }

    /// The text of a phrase, as written in the taxonomy.
    pub fn phrase(&self, phrase: usize) -> &str {
        &self.phrases[phrase]
    }

    /// Tags one text (allocating fresh buffers: use [`Tagger::tag_with`] in loops).
    pub fn tag(&self, text: &str) -> Vec<Tag> {
        self.tag_with(text, &mut Scratch::default())
    }

    /// The id of a normalised word, with [`NEGATOR`] and [`CLAUSE_WORD`] flags.
    fn word_id(&self, word: &str) -> u32 {
        let mut id = {
            let stem = self.normalizer.stem(word);
            self.vocabulary
                .get(stem.as_ref())
                .copied()
                .unwrap_or(UNKNOWN)
        };
        if is_negator(word) {
            id |= NEGATOR;
        }
        if is_clause_word(word) {
            id |= CLAUSE_WORD;
        }
        id
    }

    /// The flagged id of a word segment as written, from the cache when it has been seen.
    /// The id is a function of the segment alone (its normalised form's stem and flags), so
    /// the cache is keyed by the segment: a repeated word costs no lowercasing and no stemming.
    /// `classified`: `scratch.word` already holds the segment's normalised form.
    #[inline]
    fn segment_id(&self, segment: &str, scratch: &mut Scratch, classified: bool) -> u32 {
        let key = Key::new(segment.as_bytes());
        let cached = match &key {
            Some(key) => scratch.cache.get(key),
            None => scratch.long.get(segment).copied(),
        };
        match cached {
            Some(id) => id,
            None => self.new_segment_id(segment, key, scratch, classified),
        }
    }

    /// [`Tagger::segment_id`] for a segment not in the cache.
    #[cold]
    #[inline(never)]
    fn new_segment_id(
        &self,
        segment: &str,
        key: Option<Key>,
        scratch: &mut Scratch,
        classified: bool,
    ) -> u32 {
        if !classified {
            classify(segment, &mut scratch.word);
        }
        let id = self.word_id(&scratch.word);
        if scratch.cache.len() + scratch.long.len() >= CACHE_LIMIT {
            scratch.cache.clear();
            scratch.long.clear();
        }
        match key {
            Some(key) => scratch.cache.insert_new(key, id),
            None => {
                scratch.long.insert(segment.into(), id);
            }
        }
        id
    }

    /// Tags one text: the themes it mentions, one tag each (the first match that counts), in
    /// the order of their positions.
    pub fn tag_with(&self, text: &str, scratch: &mut Scratch) -> Vec<Tag> {
        self.tag_in(text, scratch).to_vec()
    }

    /// Tags one text as [`Tagger::tag_with`] does, into the scratch's buffer: no allocation
    /// once the buffers have grown. The tags live until the scratch is used again.
    pub fn tag_in<'s>(&self, text: &str, scratch: &'s mut Scratch) -> &'s [Tag] {
        scratch.tags.clear();
        let Some(automaton) = &self.automaton else {
            return &scratch.tags;
        };
        scratch.haystack.clear();
        scratch.slots.clear();
        let (mut sentence, mut clause, mut open) = (0_u32, 0_u32, false);
        let mut any_known = false;
        for (start, segment) in segments(text) {
            // A segment that starts with an ASCII letter or digit is a word (`classify` says
            // so); it is classified (lowercased...) only the first time it is seen.
            let kind = if segment.as_bytes()[0].is_ascii_alphanumeric() {
                None
            } else {
                Some(classify(segment, &mut scratch.word))
            };
            let classified = kind.is_some();
            let boundary = match kind {
                None | Some(Segment::Word) => {
                    let flagged = self.segment_id(segment, scratch, classified);
                    if open && flagged & CLAUSE_WORD != 0 {
                        clause += 1;
                    }
                    open = true;
                    let id = flagged & ID_MASK;
                    any_known |= id != UNKNOWN;
                    encode(id, &mut scratch.haystack);
                    scratch.slots.push(Slot {
                        start,
                        end: start + segment.len(),
                        sentence,
                        clause,
                        negator: flagged & NEGATOR != 0,
                        boundary: false,
                    });
                    continue;
                }
                Some(Segment::SentenceEnd) if open => {
                    sentence += 1;
                    true
                }
                Some(Segment::ClauseEnd) if open => true,
                _ => false,
            };
            if boundary {
                clause += 1;
                open = false;
                encode(BOUNDARY, &mut scratch.haystack);
                scratch.slots.push(Slot {
                    start,
                    end: start,
                    sentence,
                    clause,
                    negator: false,
                    boundary: true,
                });
            }
        }
        if !any_known {
            return &scratch.tags;
        }
        scratch.vetoes.clear();
        scratch.found.clear();
        for m in automaton.find_overlapping_iter(&scratch.haystack) {
            let first = m.start() / 3;
            let last = m.end() / 3 - 1;
            let first_slot = scratch.slots[first];
            for u in &self.uses[m.pattern().as_usize()] {
                let Some(phrase) = u.phrase else {
                    scratch.vetoes.push((u.theme, first_slot.sentence));
                    continue;
                };
                let theme = u.theme as usize;
                if self.themes[theme].negatable && negated(&scratch.slots, first) {
                    continue;
                }
                let tag = Tag {
                    theme,
                    phrase: phrase as usize,
                    start: first_slot.start,
                    end: scratch.slots[last].end,
                };
                scratch.found.push((tag, first_slot.sentence));
            }
        }
        let tags = &mut scratch.tags;
        for (tag, sentence) in &scratch.found {
            let sentence = *sentence;
            let theme = u32::try_from(tag.theme).unwrap_or(u32::MAX);
            if scratch.vetoes.contains(&(theme, sentence)) {
                continue;
            }
            match tags.iter_mut().find(|t| t.theme == tag.theme) {
                Some(kept) if (tag.start, tag.end) < (kept.start, kept.end) => *kept = *tag,
                Some(_) => {}
                None => tags.push(*tag),
            }
        }
        tags.sort_by_key(|t| (t.start, t.theme));
        tags
    }
}

/// Whether a negator stands among the words just before slot `first`, in its clause.
fn negated(slots: &[Slot], first: usize) -> bool {
    let clause = slots[first].clause;
    slots[..first]
        .iter()
        .rev()
        .take_while(|s| !s.boundary && s.clause == clause)
        .take(NEGATION_WINDOW)
        .any(|s| s.negator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagger(toml: &str) -> Tagger {
        Tagger::new(&Taxonomy::parse("t.toml", toml).unwrap())
    }

    const TAXONOMY: &str = r#"
[[themes]]
id = "travel"
name = "Travel"

[[themes]]
id = "delay"
name = "Delay"
parent = "travel"
phrases = ["late flight", "waiting on the tarmac"]
keywords = ["delayed"]
negatable = true

[[themes]]
id = "fee"
name = "Fee"
phrases = ["hidden charge", "surprise fee"]
keywords = ["charge"]
exclude = ["no charge"]
"#;

    fn found(t: &Tagger, text: &str) -> Vec<(String, String, String)> {
        t.tag(text)
            .into_iter()
            .map(|tag| {
                (
                    t.theme_id(tag.theme).to_string(),
                    t.phrase(tag.phrase).to_owned(),
                    text[tag.start..tag.end].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn stems_match_every_form_of_a_word() {
        let t = tagger(TAXONOMY);
        for text in [
            "we were delayed",
            "more delays",
            "a delay again",
            "Delaying!",
        ] {
            assert_eq!(found(&t, text).len(), 1, "{text}");
        }
    }

    #[test]
    fn multi_word_phrases_match_whole_and_in_order_with_positions() {
        let t = tagger(TAXONOMY);
        let text = "Another LATE flights today.";
        assert_eq!(
            found(&t, text),
            [("delay".into(), "late flight".into(), "LATE flights".into())]
        );
        assert!(found(&t, "the flight was late").is_empty());
        assert!(
            found(&t, "late, flight").is_empty(),
            "no match across a comma"
        );
        assert_eq!(
            found(&t, "We sat waiting on the tarmac")[0].2,
            "waiting on the tarmac"
        );
    }

    #[test]
    fn all_themes_are_found_in_one_pass_and_overlaps_count() {
        let t = tagger(TAXONOMY);
        let got = found(&t, "A hidden charge, and the flight was delayed.");
        assert_eq!(
            got,
            [
                ("fee".into(), "hidden charge".into(), "hidden charge".into()),
                ("delay".into(), "delayed".into(), "delayed".into())
            ]
        );
    }

    #[test]
    fn an_exclusion_vetoes_its_theme_in_the_same_sentence_only() {
        let t = tagger(TAXONOMY);
        assert!(found(&t, "There was no charge for the bag").is_empty());
        let got = found(&t, "No charge for the bag. But a charge for seats!");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2, "charge");
        assert!(got[0].0 == "fee");
    }

    #[test]
    fn negation_cancels_a_negatable_theme_within_its_clause() {
        let t = tagger(TAXONOMY);
        assert!(found(&t, "The flight was not delayed").is_empty());
        assert!(found(&t, "we weren't delayed at all").is_empty());
        assert!(
            found(&t, "never, ever delayed").len() == 1,
            "comma ends the clause"
        );
        assert_eq!(
            found(&t, "Not happy. Delayed again").len(),
            1,
            "nor across sentences"
        );
        assert_eq!(
            found(&t, "not that it matters but we were delayed").len(),
            1,
            "nor beyond 3 words / a new clause"
        );
        assert_eq!(
            found(&t, "no hidden charge").len(),
            1,
            "fee is not negatable"
        );
    }

    #[test]
    fn a_theme_matched_twice_is_one_tag_at_its_first_match() {
        let t = tagger(TAXONOMY);
        let text = "delayed, then delayed again, then a late flight";
        let tags = t.tag(text);
        assert_eq!(tags.len(), 1);
        assert_eq!((tags[0].start, tags[0].end), (0, 7));
    }

    #[test]
    fn parents_are_derived_not_tagged() {
        let t = tagger(TAXONOMY);
        let tags = t.tag("delayed");
        assert_eq!(tags.len(), 1);
        let chain: Vec<&str> = t
            .with_ancestors(tags[0].theme)
            .map(|i| t.theme_id(i).as_str())
            .collect();
        assert_eq!(chain, ["delay", "travel"]);
    }

    #[test]
    fn unicode_text_is_segmented_and_positions_are_bytes() {
        let t = tagger(TAXONOMY);
        let text = "Ünïcode 🙂 — vol DELAYED’s été";
        let got = found(&t, text);
        assert_eq!(got[0].2, "DELAYED’s");
        assert!(t.tag("").is_empty());
        assert!(t.tag("🙂🙂").is_empty());
    }
}
