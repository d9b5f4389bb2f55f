//! Sentiment that learns the company's language, and reads each answer with its question.
//!
//! **Cold start**: the VADER-style lexicon of [`trove_text::sentiment`](mod@trove_text::sentiment).
//! **Learned** ([`App::train_sentiment`], `trove train --target sentiment`): a 3-class
//! (negative / neutral / positive) one-vs-rest linear SVM with balanced class weights over
//! hashed n-grams (word 1-2-grams, character 2-4-grams and the lexicon's reading; see
//! [`crate::sentiment_hashed`]) that the lexicon computes in its own pass over the text, so
//! scoring costs the lexicon plus one weight read per n-gram. Models stored before it (TF-IDF
//! over the classifier's features) are still read and score as they did. A stratified, seeded
//! share of the rows (20%) is held out; the learned model and the lexicon are both measured on
//! exactly those rows (accuracy, macro-F1), then the model is trained on every row and saved as
//! the next version of `sentiment` (or `sentiment@<source>` with a source: that source's items
//! use it, the others keep the default) in the models store, with both measurements.
//!
//! **Scoring** with a learned model ([`LearnedSentiment::compound`]): the three SVM margins
//! go through a softmax (scale [`MARGIN_SCALE`]); the score is P(positive) − P(negative), kept
//! inside the band of the class with the best margin (±[`trove_text::sentiment::THRESHOLD`]),
//! so the stored score's label is always the model's class. A theme mention takes its
//! sentence's score: for an answer of one sentence that is the answer's own score; for longer
//! texts the model's margins of the mention's sentence (sentences as the lexicon splits them;
//! a hashed model keeps each sentence's sums from the text's pass).
//!
//! **The question** ([`trove_text::question`]): a source whose mapping declares
//! `question_kind` has its answers read with it after scoring (a "nothing" to an improvement
//! question is positive, a suggestion is not praise); the kind is stored per source
//! ([`App::set_source_question`]) so `trove tag --all` reads as the import did.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use thiserror::Error;
use trove_learn::{ClassWeight, Classifier, LearnError, Predictor, TrainOptions, metrics};
use trove_store::{NewModel, SourceQuestion, StoreError};
use trove_text::features::HashSpec;
use trove_text::sentiment::{Label, SentenceScore, THRESHOLD};
use trove_text::{QuestionKind, SentimentScorer, question};

use crate::App;
use crate::sentiment_hashed::{BlockSums, DEFAULT_SPEC, HashedSentiment};

/// The default learned sentiment model's name in the models store.
pub const SENTIMENT_MODEL: &str = "sentiment";
/// The softmax scale applied to the SVM margins before P(positive) − P(negative).
pub const MARGIN_SCALE: f32 = 2.0;
/// The three classes, in the order the model stores them (sorted).
const CLASSES: [Label; 3] = [Label::Negative, Label::Neutral, Label::Positive];

/// The models-store name of the sentiment model of `source` (None: the default).
pub fn sentiment_model_name(source: Option<&str>) -> String {
    source.map_or_else(
        || SENTIMENT_MODEL.to_owned(),
        |s| format!("{SENTIMENT_MODEL}@{s}"),
    )
}

/// Whether a stored model is a sentiment model (not a theme classifier).
pub fn is_sentiment_model(name: &str) -> bool {
    name == SENTIMENT_MODEL || name.starts_with("sentiment@")
}

/// Why sentiment labels could not be read, or a model trained, saved or loaded.
#[derive(Debug, Error)]
pub enum SentimentError {
    /// The labelled file could not be read as CSV.
    #[error("{file}: {source}")]
    Csv {
        /// The file.
        file: String,
        /// What went wrong.
        source: csv::Error,
    },
    /// The labelled file lacks a named column.
    #[error("{file}: no column {column:?} (columns: {columns})")]
    MissingColumn {
        /// The file.
        file: String,
        /// The column asked for.
        column: String,
        /// The columns it has.
        columns: String,
    },
    /// A label is not a sentiment.
    #[error(
        "{file}, line {line}, field {field:?}: {value:?} is not a sentiment; use negative / \
         neutral / positive, -1 / 0 / 1 or neg / neu / pos"
    )]
    BadLabel {
        /// The file.
        file: String,
        /// The line (1 is the header).
        line: u64,
        /// The label column.
        field: String,
        /// The value found.
        value: String,
    },
    /// A class has no row: a 3-class model cannot be trained.
    #[error("{file}: no {class} rows; a sentiment model needs rows of all three classes")]
    MissingClass {
        /// The file.
        file: String,
        /// The class missing.
        class: &'static str,
    },
    /// Training failed or a stored model is unreadable.
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// A stored model does not know the three classes.
    #[error("stored model {0:?} is not a sentiment model (its labels are not the three classes)")]
    NotSentiment(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A sentiment label as a file may write it: `negative` / `neutral` / `positive`, `-1` / `0`
/// / `1`, `neg` / `neu` / `pos` (case and surrounding spaces ignored).
pub fn parse_sentiment_label(value: &str) -> Option<Label> {
    match value.trim().to_ascii_lowercase().as_str() {
        "negative" | "neg" | "-1" => Some(Label::Negative),
        "neutral" | "neu" | "0" => Some(Label::Neutral),
        "positive" | "pos" | "1" | "+1" => Some(Label::Positive),
        _ => None,
    }
}

/// Texts with human sentiment labels.
#[derive(Debug, Clone, Default)]
pub struct SentimentRows {
    /// The texts.
    pub texts: Vec<String>,
    /// Their labels.
    pub labels: Vec<Label>,
    /// Rows skipped for an empty text or label.
    pub skipped: usize,
}

impl SentimentRows {
    /// Reads a labelled CSV (`file` names it in messages): rows with an empty text or label
    /// are skipped and counted; any other label that is not a sentiment is an error naming
    /// the file, line and field.
    pub fn read(
        reader: impl Read,
        file: &str,
        text_column: &str,
        label_column: &str,
    ) -> Result<Self, SentimentError> {
        let csv_error = |source| SentimentError::Csv {
            file: file.to_owned(),
            source,
        };
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let headers = reader.headers().map_err(csv_error)?.clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| SentimentError::MissingColumn {
                    file: file.to_owned(),
                    column: name.to_owned(),
                    columns: headers.iter().collect::<Vec<_>>().join(", "),
                })
        };
        let (text, label) = (column(text_column)?, column(label_column)?);
        let mut rows = Self::default();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let t = record.get(text).unwrap_or("").trim();
            let l = record.get(label).unwrap_or("").trim();
            if t.is_empty() || l.is_empty() {
                rows.skipped += 1;
                continue;
            }
            let Some(parsed) = parse_sentiment_label(l) else {
                return Err(SentimentError::BadLabel {
                    file: file.to_owned(),
                    line: record.position().map_or(0, csv::Position::line),
                    field: label_column.to_owned(),
                    value: l.to_owned(),
                });
            };
            rows.texts.push(t.to_owned());
            rows.labels.push(parsed);
        }
        for class in CLASSES {
            if !rows.labels.contains(&class) {
                return Err(SentimentError::MissingClass {
                    file: file.to_owned(),
                    class: class.as_str(),
                });
            }
        }
        Ok(rows)
    }

    /// The rows at `picked` positions.
    fn subset(&self, picked: impl Iterator<Item = usize>) -> Self {
        let mut out = Self::default();
        for i in picked {
            out.texts.push(self.texts[i].clone());
            out.labels.push(self.labels[i]);
        }
        out
    }

    /// A stratified split: in each class, a seeded shuffle's first `round(share × n_c)` rows
    /// are held out (the second value), the rest kept for training (the first).
    pub fn split(&self, share: f64, seed: u64) -> (Self, Self) {
        let mut held = vec![false; self.labels.len()];
        for class in CLASSES {
            let mut rows: Vec<usize> = (0..self.labels.len())
                .filter(|&i| self.labels[i] == class)
                .collect();
            shuffle(&mut rows, seed);
            let take = (share * rows.len() as f64).round() as usize;
            for &i in &rows[..take.min(rows.len())] {
                held[i] = true;
            }
        }
        (
            self.subset((0..held.len()).filter(|&i| !held[i])),
            self.subset((0..held.len()).filter(|&i| held[i])),
        )
    }

    /// At most `n` rows, a stratified seeded sample (each class in its share), for learning
    /// curves ("what would 300 labels give?").
    pub fn sample(&self, n: usize, seed: u64) -> Self {
        if n >= self.texts.len() {
            return self.clone();
        }
        self.split(n as f64 / self.texts.len() as f64, seed).1
    }
}

/// Fisher-Yates with xorshift64*, seeded: the same seed gives the same order.
fn shuffle(rows: &mut [usize], seed: u64) {
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..rows.len()).rev() {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        let r = rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        rows.swap(i, (r % (i as u64 + 1)) as usize);
    }
}

/// Accuracy and macro-F1 of one scorer on labelled rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentimentScores {
    /// Share of rows given their human label.
    pub accuracy: f64,
    /// Unweighted mean of the three classes' F1.
    pub macro_f1: f64,
}

/// The lexicon and a learned model measured on the same rows.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentComparison {
    /// Rows the model was trained on.
    pub train_rows: usize,
    /// Rows measured.
    pub test_rows: usize,
    /// The lexicon's figures.
    pub lexicon: SentimentScores,
    /// The learned model's figures.
    pub learned: SentimentScores,
    /// Seconds to train the model.
    pub train_seconds: f64,
}

fn scores(truth: &[Label], predicted: &[Label]) -> SentimentScores {
    let truth: Vec<&str> = truth.iter().map(|l| l.as_str()).collect();
    let predicted: Vec<&str> = predicted.iter().map(|l| l.as_str()).collect();
    let evaluation = metrics::evaluate(&truth, &predicted);
    SentimentScores {
        accuracy: evaluation.accuracy,
        macro_f1: evaluation.macro_f1,
    }
}

/// The lexicon's label of each text.
pub fn lexicon_labels(texts: &[String]) -> Vec<Label> {
    let mut scorer = SentimentScorer::new();
    texts.iter().map(|t| Label::of(scorer.score(t))).collect()
}

/// Trains on `train` and measures the model and the lexicon on `test`.
pub fn compare(
    train: &SentimentRows,
    test: &SentimentRows,
    seed: u64,
) -> Result<SentimentComparison, SentimentError> {
    let started = Instant::now();
    let model = LearnedSentiment::train(train, seed)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let mut buffers = ModelBuffers::default();
    let learned: Vec<Label> = test
        .texts
        .iter()
        .map(|t| Label::of(model.compound(t, &mut buffers)))
        .collect();
    Ok(SentimentComparison {
        train_rows: train.texts.len(),
        test_rows: test.texts.len(),
        lexicon: scores(&test.labels, &lexicon_labels(&test.texts)),
        learned: scores(&test.labels, &learned),
        train_seconds,
    })
}

/// A learned 3-class sentiment model.
#[derive(Debug, Clone)]
pub struct LearnedSentiment {
    form: Form,
}

/// How a model reads text: models trained now use hashed n-grams; models stored before
/// (TF-IDF over the classifier's features) are still read as they were trained.
#[derive(Debug, Clone)]
enum Form {
    Hashed(HashedSentiment),
    Tfidf(Classifier),
}

impl LearnedSentiment {
    /// Trains on labelled rows (all three classes must be present), over hashed n-grams as
    /// [`DEFAULT_SPEC`] says.
    pub fn train(rows: &SentimentRows, seed: u64) -> Result<Self, SentimentError> {
        Self::train_with(rows, DEFAULT_SPEC, seed)
    }

    /// [`LearnedSentiment::train`] with other hashed features.
    pub fn train_with(
        rows: &SentimentRows,
        spec: HashSpec,
        seed: u64,
    ) -> Result<Self, SentimentError> {
        let classes: Vec<usize> = rows
            .labels
            .iter()
            .map(|l| CLASSES.iter().position(|c| c == l).unwrap_or(1))
            .collect();
        for (i, class) in CLASSES.iter().enumerate() {
            if !classes.contains(&i) {
                return Err(SentimentError::MissingClass {
                    file: "the training rows".to_owned(),
                    class: class.as_str(),
                });
            }
        }
        let model = HashedSentiment::train(&rows.texts, &classes, spec, seed)?;
        Ok(Self {
            form: Form::Hashed(model),
        })
    }

    /// Trains the earlier form (TF-IDF word 1-2-grams and character 2-4-grams of the text
    /// with the lexicon's reading appended as a word), as models were trained before hashed
    /// features: kept so that `trove bench tag` measures both forms on the same rows.
    pub fn train_tfidf(rows: &SentimentRows, seed: u64) -> Result<Self, SentimentError> {
        let labels: Vec<&str> = rows.labels.iter().map(|l| l.as_str()).collect();
        let mut buffers = ModelBuffers::default();
        let texts: Vec<String> = rows
            .texts
            .iter()
            .map(|t| {
                with_lexicon_token(t, &mut buffers);
                buffers.text.clone()
            })
            .collect();
        let options = TrainOptions {
            seed,
            class_weight: ClassWeight::Balanced,
            ..TrainOptions::default()
        };
        Self::from_bytes(
            &Classifier::train(&texts, &labels, &options)?.to_bytes(),
            "trained",
        )
    }

    /// A stored model read back (`name` for the error when it is not a sentiment model).
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self, SentimentError> {
        if HashedSentiment::is_hashed(bytes) {
            return Ok(Self {
                form: Form::Hashed(HashedSentiment::from_bytes(bytes)?),
            });
        }
        let model = Classifier::from_bytes(bytes)?;
        let expected: Vec<&str> = CLASSES.iter().map(|c| c.as_str()).collect();
        if model.labels() != expected.as_slice() || model.has_none_class() {
            return Err(SentimentError::NotSentiment(name.to_owned()));
        }
        Ok(Self {
            form: Form::Tfidf(model),
        })
    }

    /// The model as bytes, for the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.form {
            Form::Hashed(m) => m.to_bytes(),
            Form::Tfidf(m) => m.to_bytes(),
        }
    }

    /// The features the lexicon must compute for this model (None: none).
    fn features(&self) -> Option<HashSpec> {
        match &self.form {
            Form::Hashed(m) => Some(m.spec()),
            Form::Tfidf(_) => None,
        }
    }

    /// A text's score in -1..1 (see the module's documentation), reusing `buffers`; the
    /// lexicon's sentences of the text are then in `buffers.lexicon`.
    pub fn compound(&self, text: &str, buffers: &mut ModelBuffers) -> f64 {
        match &self.form {
            Form::Hashed(model) => {
                buffers.lexicon.set_features(Some(model.spec()));
                let lexicon = buffers.lexicon.score(text);
                let margins = model.text_margins(&buffers.lexicon, lexicon, &mut buffers.sums);
                score_of_margins(&margins)
            }
            Form::Tfidf(model) => {
                buffers.lexicon.set_features(None);
                with_lexicon_token(text, buffers);
                let margins = model.decision_with(&buffers.text, &mut buffers.predictor);
                score_of_margins(&margins[..3])
            }
        }
    }
}

/// The score of three margins (negative, neutral, positive): P(positive) − P(negative) of
/// their softmax, kept inside the band of the best margin's class.
fn score_of_margins(margins: &[f32]) -> f64 {
    let best = (0..3).fold(0, |b, i| if margins[i] > margins[b] { i } else { b });
    let top = margins[best];
    let weights: [f32; 3] = std::array::from_fn(|i| ((margins[i] - top) * MARGIN_SCALE).exp());
    let total: f32 = weights.iter().sum();
    let raw = f64::from((weights[2] - weights[0]) / total);
    let inside = THRESHOLD - 1e-3;
    match CLASSES[best] {
        Label::Positive => raw.max(THRESHOLD),
        Label::Negative => raw.min(-THRESHOLD),
        Label::Neutral => raw.clamp(-inside, inside),
    }
}

/// The buffers a learned model reuses: one per thread.
#[derive(Debug, Default)]
pub struct ModelBuffers {
    predictor: Predictor,
    /// A hashed model's weight sums per sentence of the last text.
    sums: Vec<BlockSums>,
    /// The lexicon, whose reading of the text is one of the model's features.
    pub lexicon: SentimentScorer,
    text: String,
}

/// The lexicon's reading as a word of the text: `text` followed by one of five tokens for its
/// compound (strongly / mildly negative, neutral, mildly / strongly positive), so the model
/// learns how far to trust the lexicon from the company's labels. With few labels this is what
/// carries the model: every labelled row teaches the same five features.
fn with_lexicon_token(text: &str, buffers: &mut ModelBuffers) {
    let compound = buffers.lexicon.score(text);
    let token = match compound {
        c if c <= -0.5 => " qxlexneg2",
        c if c <= -THRESHOLD => " qxlexneg1",
        c if c < THRESHOLD => " qxlexneu",
        c if c < 0.5 => " qxlexpos1",
        _ => " qxlexpos2",
    };
    buffers.text.clear();
    buffers.text.push_str(text);
    buffers.text.push_str(token);
}

/// What `trove train --target sentiment` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SentimentTrainSpec {
    /// The labelled file's name as given, recorded with the model.
    pub labels_file: String,
    /// The column holding the text.
    pub text_column: String,
    /// The column holding the label.
    pub label_column: String,
    /// The source whose items get this model (None: the default model).
    pub source: Option<String>,
    /// The share held out (stratified) to measure; 0 skips the measurement.
    pub holdout: f64,
    /// Seed of the split and of training.
    pub seed: u64,
}

/// What training a sentiment model did; its metrics are saved with it.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentTrainReport {
    /// The model's name (`sentiment` or `sentiment@<source>`).
    pub name: String,
    /// The version saved.
    pub version: i64,
    /// The source it serves (None: the default).
    pub source: Option<String>,
    /// Labelled rows read.
    pub examples: usize,
    /// Rows skipped for an empty text or label.
    pub skipped: usize,
    /// Rows per class (negative, neutral, positive).
    pub classes: BTreeMap<&'static str, usize>,
    /// The held-out measurement (None when nothing was held out).
    pub held_out: Option<SentimentComparison>,
    /// Seconds to train the saved model on every row.
    pub train_seconds: f64,
    /// Size of the saved model in bytes.
    pub model_bytes: usize,
}

impl App {
    /// Trains a sentiment model on a labelled CSV, measures it against the lexicon on a
    /// stratified held-out share, and saves it (trained on every row) as the next version of
    /// its name.
    pub fn train_sentiment(
        &self,
        reader: impl Read,
        spec: &SentimentTrainSpec,
    ) -> Result<SentimentTrainReport, SentimentError> {
        let rows = SentimentRows::read(
            reader,
            &spec.labels_file,
            &spec.text_column,
            &spec.label_column,
        )?;
        self.train_sentiment_on(&rows, spec)
    }

    /// [`App::train_sentiment`] on rows already read.
    pub fn train_sentiment_on(
        &self,
        rows: &SentimentRows,
        spec: &SentimentTrainSpec,
    ) -> Result<SentimentTrainReport, SentimentError> {
        let held_out = if spec.holdout > 0.0 {
            let (train, test) = rows.split(spec.holdout, spec.seed);
            Some(compare(&train, &test, spec.seed)?)
        } else {
            None
        };
        let started = Instant::now();
        let model = LearnedSentiment::train(rows, spec.seed)?;
        let train_seconds = started.elapsed().as_secs_f64();
        let bytes = model.to_bytes();
        let name = sentiment_model_name(spec.source.as_deref());
        let classes: BTreeMap<&'static str, usize> = CLASSES
            .iter()
            .map(|c| (c.as_str(), rows.labels.iter().filter(|l| *l == c).count()))
            .collect();
        let metrics = json!({
            "target": "sentiment",
            "source": spec.source,
            "examples": rows.texts.len(),
            "skipped": rows.skipped,
            "classes": classes,
            "held_out": held_out.as_ref().map_or(0, |h| h.test_rows),
            "accuracy": held_out.as_ref().map(|h| h.learned.accuracy),
            "macro_f1": held_out.as_ref().map(|h| h.learned.macro_f1),
            "lexicon_accuracy": held_out.as_ref().map(|h| h.lexicon.accuracy),
            "lexicon_macro_f1": held_out.as_ref().map(|h| h.lexicon.macro_f1),
            "seed": spec.seed,
            "text_column": spec.text_column,
            "label_column": spec.label_column,
            "train_seconds": train_seconds,
        });
        let model_bytes = bytes.len();
        let version = self.store().save_model(&NewModel {
            name: name.clone(),
            created_at: jiff::Timestamp::now().as_second(),
            labels_file: spec.labels_file.clone(),
            metrics: metrics.to_string(),
            model: bytes,
        })?;
        Ok(SentimentTrainReport {
            name,
            version,
            source: spec.source.clone(),
            examples: rows.texts.len(),
            skipped: rows.skipped,
            classes,
            held_out,
            train_seconds,
            model_bytes,
        })
    }

    /// Sets the question a source's text answers (kept until set again).
    pub fn set_source_question(
        &self,
        source: &str,
        question: &str,
        kind: QuestionKind,
    ) -> Result<(), StoreError> {
        let stored = self.store().source_questions()?;
        let same = stored
            .iter()
            .any(|q| q.source == source && q.question == question && q.kind == kind.as_str());
        if same {
            return Ok(());
        }
        self.store().set_source_question(&SourceQuestion {
            source: source.to_owned(),
            question: question.to_owned(),
            kind: kind.as_str().to_owned(),
            updated_at: jiff::Timestamp::now().as_second(),
        })
    }

    /// How stored text is read now: the newest sentiment models (default and per source) and
    /// each source's question.
    pub fn sentiment_setup(&self) -> Result<SentimentSetup, SentimentError> {
        let store = self.store();
        let mut setup = SentimentSetup::default();
        let mut names: Vec<String> = store
            .models()?
            .into_iter()
            .map(|m| m.name)
            .filter(|n| is_sentiment_model(n))
            .collect();
        names.dedup();
        for name in names {
            let Some(stored) = store.latest_model(&name)? else {
                continue;
            };
            let model = Arc::new(LearnedSentiment::from_bytes(&stored.model, &name)?);
            setup.versions.push((name.clone(), stored.summary.version));
            match name.strip_prefix("sentiment@") {
                Some(source) => {
                    setup.by_source.insert(source.to_owned(), model);
                }
                None => setup.default = Some(model),
            }
        }
        for q in store.source_questions()? {
            if let Some(kind) = QuestionKind::parse(&q.kind) {
                setup.questions.insert(q.source, kind);
            }
        }
        Ok(setup)
    }
}

/// How texts are read: the learned sentiment models in force and the sources' questions
/// (empty: the lexicon for everything, no question).
#[derive(Debug, Clone, Default)]
pub struct SentimentSetup {
    default: Option<Arc<LearnedSentiment>>,
    by_source: HashMap<String, Arc<LearnedSentiment>>,
    questions: HashMap<String, QuestionKind>,
    /// The models in force, as (name, version).
    pub versions: Vec<(String, i64)>,
}

impl SentimentSetup {
    /// The model and question kind that read `source`'s items.
    pub fn for_source(&self, source: &str) -> SourceReading {
        SourceReading {
            model: self
                .by_source
                .get(source)
                .or(self.default.as_ref())
                .cloned(),
            question: self.questions.get(source).copied(),
        }
    }

    /// A setup whose default model is `model` (every source reads with it).
    pub fn with_default(model: LearnedSentiment) -> Self {
        Self {
            default: Some(Arc::new(model)),
            ..Self::default()
        }
    }

    /// With the question of `source` set to `kind` (an import's mapping declares it).
    pub fn with_question(mut self, source: &str, kind: QuestionKind) -> Self {
        self.questions.insert(source.to_owned(), kind);
        self
    }

    /// Whether every source is read by the lexicon alone, with no question.
    pub fn is_lexicon_only(&self) -> bool {
        self.default.is_none() && self.by_source.is_empty() && self.questions.is_empty()
    }
}

/// How one source's items are read.
#[derive(Debug, Clone, Default)]
pub struct SourceReading {
    /// The learned model (None: the lexicon).
    pub model: Option<Arc<LearnedSentiment>>,
    /// The question kind its answers reply to.
    pub question: Option<QuestionKind>,
}

/// Per-thread state of sentiment scoring: the reading in force for the current source, the
/// lexicon scorer (which also splits sentences) and the model's buffers.
#[derive(Debug, Default)]
pub(crate) struct SentimentState {
    setup: Arc<SentimentSetup>,
    source: Option<String>,
    reading: SourceReading,
    buffers: ModelBuffers,
    /// The last text's score (after the question).
    item: f64,
    /// Whether the last text is a suggestion.
    suggestion: bool,
    /// The last text's sentences, copied once a mention needs them (a model scoring a
    /// sentence reuses the lexicon's buffers).
    sentences: Vec<SentenceScore>,
    sentences_copied: bool,
}

impl SentimentState {
    pub(crate) fn new(setup: Arc<SentimentSetup>) -> Self {
        Self {
            setup,
            ..Self::default()
        }
    }

    /// Reads the next texts as `source`'s.
    pub(crate) fn set_source(&mut self, source: &str) {
        if self.source.as_deref() != Some(source) {
            self.reading = self.setup.for_source(source);
            self.source = Some(source.to_owned());
            let features = self.reading.model.as_ref().and_then(|m| m.features());
            self.buffers.lexicon.set_features(features);
        }
    }

    /// A text's score, -1..1 (None for an empty text).
    pub(crate) fn score(&mut self, text: &str) -> Option<f32> {
        self.sentences_copied = false;
        let score = match &self.reading.model {
            Some(model) => model.compound(text, &mut self.buffers),
            None => self.buffers.lexicon.score(text),
        };
        (self.item, self.suggestion) = match self.reading.question {
            Some(kind) => {
                let answer = question::answer(kind, text, score);
                (answer.sentiment, answer.suggestion.is_some())
            }
            None => (score, trove_text::is_suggestion(text)),
        };
        (!text.trim().is_empty()).then_some(self.item as f32)
    }

    /// Whether the text last scored is a suggestion.
    pub(crate) fn suggestion(&self) -> bool {
        self.suggestion
    }

    /// The score of the mention at byte `offset` of the text last scored: its sentence's.
    pub(crate) fn mention(&mut self, text: &str, offset: usize) -> f64 {
        if self.reading.model.is_none() && self.reading.question.is_none() {
            return self.buffers.lexicon.at(offset);
        }
        if let Some(Form::Hashed(model)) = self.reading.model.as_deref().map(|m| &m.form) {
            // The sentences' weight sums were kept when the text was scored.
            let sentences = self.buffers.lexicon.sentences();
            let at = sentences.partition_point(|s| s.start <= offset);
            return match at.checked_sub(1) {
                Some(i) if sentences.len() > 1 => {
                    score_of_margins(&model.margins(&self.buffers.sums[i], sentences[i].compound))
                }
                _ => self.item,
            };
        }
        if !self.sentences_copied {
            self.sentences.clear();
            self.sentences
                .extend_from_slice(self.buffers.lexicon.sentences());
            self.sentences_copied = true;
        }
        if self.sentences.len() <= 1 {
            return self.item;
        }
        let Some(i) = self
            .sentences
            .partition_point(|s| s.start <= offset)
            .checked_sub(1)
        else {
            return self.item;
        };
        let sentence = self.sentences[i];
        match &self.reading.model {
            Some(model) => model.compound(&text[sentence.start..sentence.end], &mut self.buffers),
            None => sentence.compound,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use super::*;

    #[test]
    fn labels_are_read_in_three_spellings_and_anything_else_is_named() {
        for (raw, label) in [
            ("negative", Label::Negative),
            (" NEG ", Label::Negative),
            ("-1", Label::Negative),
            ("neutral", Label::Neutral),
            ("0", Label::Neutral),
            ("neu", Label::Neutral),
            ("Positive", Label::Positive),
            ("1", Label::Positive),
            ("pos", Label::Positive),
        ] {
            assert_eq!(parse_sentiment_label(raw), Some(label), "{raw}");
        }
        assert_eq!(parse_sentiment_label("2"), None);
        let csv = "id,comment,tone\n1,great,positive\n2,awful,neg\n3,ok,0\n4,,pos\n5,meh,mixed\n";
        let error = SentimentRows::read(csv.as_bytes(), "labels.csv", "comment", "tone")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "labels.csv, line 6, field \"tone\": \"mixed\" is not a sentiment; use negative / \
             neutral / positive, -1 / 0 / 1 or neg / neu / pos"
        );
        let csv = "comment,tone\ngreat,1\nawful,-1\n";
        let error = SentimentRows::read(csv.as_bytes(), "l.csv", "comment", "tone").unwrap_err();
        assert_eq!(
            error.to_string(),
            "l.csv: no neutral rows; a sentiment model needs rows of all three classes"
        );
        let error = SentimentRows::read(csv.as_bytes(), "l.csv", "text", "tone").unwrap_err();
        assert_eq!(
            error.to_string(),
            "l.csv: no column \"text\" (columns: comment, tone)"
        );
    }

    #[test]
    fn the_split_is_stratified_and_seeded() {
        let mut rows = SentimentRows::default();
        for i in 0..100 {
            rows.texts.push(format!("text {i}"));
            rows.labels
                .push(CLASSES[usize::from(i >= 60) + usize::from(i >= 90)]);
        }
        let (train, test) = rows.split(0.2, 7);
        assert_eq!((train.texts.len(), test.texts.len()), (80, 20));
        let count = |r: &SentimentRows, c| r.labels.iter().filter(|l| **l == c).count();
        assert_eq!(
            [Label::Negative, Label::Neutral, Label::Positive].map(|c| count(&test, c)),
            [12, 6, 2]
        );
        assert_eq!(
            rows.split(0.2, 7).1.texts,
            test.texts,
            "same seed, same rows"
        );
        assert_ne!(rows.split(0.2, 8).1.texts, test.texts);
        assert_eq!(rows.sample(50, 1).texts.len(), 50);
    }

    fn toy() -> SentimentRows {
        let mut rows = SentimentRows::default();
        let words = ["red", "blue", "green", "grey", "pink", "gold"];
        for (i, w) in words.iter().cycle().take(60).enumerate() {
            let (text, label) = match i % 3 {
                0 => (
                    format!("still have not been paid for the {w} claim"),
                    Label::Negative,
                ),
                1 => (format!("the {w} form arrived on monday"), Label::Neutral),
                _ => (format!("lovely {w} staff, thanks"), Label::Positive),
            };
            rows.texts.push(text);
            rows.labels.push(label);
        }
        rows
    }

    #[test]
    fn a_learned_model_scores_inside_its_class_band_and_round_trips() {
        let model = LearnedSentiment::train(&toy(), 1).unwrap();
        let mut predictor = ModelBuffers::default();
        let score = |t: &str, p: &mut ModelBuffers| model.compound(t, p);
        let unpaid = score("I still have not been paid", &mut predictor);
        assert!(unpaid <= -THRESHOLD, "{unpaid}");
        // The lexicon reads the complaint as neutral: no sentiment word.
        assert_eq!(
            Label::of(trove_text::sentiment("I still have not been paid").compound),
            Label::Neutral
        );
        let form = score("the form arrived", &mut predictor);
        assert!(form.abs() < THRESHOLD, "{form}");
        assert!(score("lovely staff", &mut predictor) >= THRESHOLD);
        let back = LearnedSentiment::from_bytes(&model.to_bytes(), "sentiment").unwrap();
        assert_eq!(back.compound("lovely staff", &mut predictor), {
            model.compound("lovely staff", &mut predictor)
        });
        let mut two = toy();
        two.labels.iter_mut().for_each(|l| {
            if *l == Label::Neutral {
                *l = Label::Positive;
            }
        });
        let theme_model = Classifier::train(
            &two.texts,
            &two.labels.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
            &TrainOptions::default(),
        )
        .unwrap();
        assert!(matches!(
            LearnedSentiment::from_bytes(&theme_model.to_bytes(), "default"),
            Err(SentimentError::NotSentiment(_))
        ));
    }

    #[test]
    fn a_sources_model_reads_its_items_and_the_default_reads_the_rest() {
        let app = App::new(Arc::new(
            trove_store_sqlite::SqliteStore::open_in_memory().unwrap(),
        ));
        assert!(app.sentiment_setup().unwrap().is_lexicon_only());
        let spec = SentimentTrainSpec {
            labels_file: "labels.csv".into(),
            text_column: "text".into(),
            label_column: "sentiment".into(),
            source: None,
            holdout: 0.2,
            seed: 1,
        };
        let report = app.train_sentiment_on(&toy(), &spec).unwrap();
        assert_eq!((report.name.as_str(), report.version), ("sentiment", 1));
        let held = report.held_out.unwrap();
        assert_eq!((held.train_rows, held.test_rows), (48, 12));
        let tweets = SentimentTrainSpec {
            source: Some("tweets".into()),
            ..spec
        };
        assert_eq!(
            app.train_sentiment_on(&toy(), &tweets).unwrap().name,
            "sentiment@tweets"
        );
        app.train_sentiment_on(&toy(), &tweets).unwrap();
        app.set_source_question("survey", "What could we improve?", QuestionKind::Improve)
            .unwrap();
        let setup = app.sentiment_setup().unwrap();
        assert_eq!(
            setup.versions,
            [
                ("sentiment".to_owned(), 1),
                ("sentiment@tweets".to_owned(), 2)
            ]
        );
        let tweets = setup.for_source("tweets");
        let survey = setup.for_source("survey");
        assert!(Arc::ptr_eq(
            tweets.model.as_ref().unwrap(),
            setup.by_source.get("tweets").unwrap()
        ));
        assert!(Arc::ptr_eq(
            survey.model.as_ref().unwrap(),
            setup.default.as_ref().unwrap()
        ));
        assert_eq!(
            (tweets.question, survey.question),
            (None, Some(QuestionKind::Improve))
        );
        // The question is applied after the model: "Nothing" to an improvement question.
        let mut state = SentimentState::new(Arc::new(setup));
        state.set_source("survey");
        assert!(state.score("Nothing").unwrap() > 0.3);
        state.set_source("tweets");
        assert!(state.score("Nothing").unwrap() < 0.3);
    }
}
