//! Trove's use cases, shared by the command line and (later) the web server: importing,
//! loading the journey and the demo company, summarising what is stored.
//!
//! An [`App`] holds the store as `Arc<dyn Store>`; commands and handlers are thin adapters
//! around it. This crate names no database backend and prints nothing: it returns reports,
//! and the caller decides how to show them.

mod analysis;
mod analytics_backend;
mod api_reads;
mod artifacts;
mod assessment;
mod auth;
mod classify;
mod cues;
mod date_order;
mod demo;
mod demo_loop;
mod discover;
mod embed;
mod export;
mod forms;
mod import;
mod import_runs;
mod import_stages;
mod ingest;
mod issue_pages;
mod items;
mod journey_file;
mod kept;
mod labelling;
mod mail;
mod memo;
mod monthly;
mod narratives;
mod ops;
mod repeats;
pub mod report;
mod report_mail;
mod report_pdf;
pub mod report_text;
mod room;
mod sample_pages;
mod samples;
mod sentiment;
mod sentiment_hashed;
mod suggestions;
mod summary;
mod taxonomy;
mod theme_stories;
mod themes_overview;
mod tokens;
mod webhooks;
mod workflow;

use std::sync::Arc;

pub use analysis::{AnalysisRequest, CurrentAnalysis, FixCheck, NEGATIVE_SENTIMENT, is_negative};
pub use api_reads::{ScorePeriod, TrendPeriod};
pub use artifacts::{
    ACCEPTED as ACCEPTED_ARTIFACTS, ArtifactError, ArtifactKind, Attachment, ItemDetail,
    may_attach, may_fetch, sniff,
};
pub use assessment::{
    AREAS, Area, AreaScore, AssessError, AssessmentMonth, AssessmentTrend, LOW_SCORE, Question,
    answers_from_toml, find_question, month_of, parse_answers, questions,
};
pub use auth::{
    AuthError, MIN_PASSWORD_CHARS, SessionPolicy, SignedIn, form_token, hash_password,
    password_matches, random_token, session_hash,
};
pub use classify::{
    ClassifyError, ClassifyReport, DEFAULT_LABEL_SEPARATOR, LabelCount, LabelScore, TrainReport,
    TrainSpec,
};
pub use cues::{
    CueCounts, CueExample, CueKind, CueReport, CuesError, CuesOptions, KindReport, ThemeCues,
};
pub use demo::{DemoLoadError, DemoReport};
pub use demo_loop::{DEMO_ISSUE_THEME, DemoPerson, DemoRoom};
pub use discover::{
    ClusterTheme, DiscoverError, DiscoverOptions, DiscoveredCluster, Discovery, PeriodCount,
    Promotion, ProposedTerm, Representation, RulePreview, Sample, StoredDiscovery, Verdict,
};
pub use embed::{EMBEDDING_MODEL_ENV, EmbedError, EmbedReport, Embedder, embedding_model_dir};
pub use export::{Cell, EXPORT_COLUMNS, ExportFormat, XLSX_MEDIA_TYPE};
pub use forms::{
    Answer, Answered, DEFAULT_TITLE, FormError, MAX_COMMENT_CHARS, MIN_SECONDS_TO_ANSWER, NewForm,
    ServedForm, form_url, poster_html, qr_png, qr_svg,
};
pub use import::{
    ImportError, ImportOptions, ImportReport, RejectReason, RowErrorEntry, SanityStop,
};
pub use import_runs::{DeleteImportError, DeletedImport};
pub use import_stages::{ImportStages, StageTime, thread_cpu_time};
pub use ingest::{ITEM_FIELDS, IngestBatch, IngestReport, ItemError};
pub use issue_pages::{
    AnnouncementView, Days, FixVerdict, IssueControls, IssueFile, IssueStatus, Plannable,
    PlannedAction, ProgressReport, Ranking, RankingRow, ThemeFile, WindowPeriod, impact_score,
    legend, start_of_day,
};
pub use items::{
    ActiveFilter, ITEM_FILTERS, ITEMS_PAGE, ItemView, ItemsError, ItemsPage, ItemsQueryError,
    ItemsRequest, TextPart, cursor_text, export_file_name, highlight,
};
pub use journey_file::{journey_to_toml, parse_journey};
pub use kept::{Kept, RefreshReport, ThemeTrends};
pub use labelling::{LabelError, LabelItem, LabelQueue, STORED_LABELS, SentimentModelNote};
pub use mail::{
    Cadence, MAX_ATTEMPTS, MailError, MailSetup, MailStatus, MessageKind, MessageReport, SCHEDULER,
    SendRun, SendingView, SmtpUrl,
};
pub use monthly::{DEFAULT_COST_PER_CONTACT, REPORTS_KEPT, ReportError, parse_cost, parse_month};
pub use narratives::{NARRATIVE_CHANNELS, NarrativeReport, ThemeNarratives};
pub use ops::{
    CaseFeedback, CaseQueue, CaseView, DepartmentStream, DepartmentSummary, LessonBank, NewLesson,
    Person, QueueFilter, StreamAction, StreamIssue,
};
pub use repeats::{
    CONTACT_CHANNELS, RepeatChain, RepeatMonth, RepeatReport, RepeatRequest, RepeatShare,
};
pub use report_mail::DEFAULT_SEND_DAY;
pub use report_pdf::{ReportPdfError, report_pdf};
pub use room::{
    Compare, DepartmentLoad, Kpi, Mover, RoomAlert, RoomAnnouncement, RoomChoices, RoomError,
    RoomFix, RoomIssue, RoomPeriod, RoomQuery, RoomScope, RoomStage, RoomVerbatim, RoomView,
    ScoreMove, TrendMonth, day_text,
};
pub use sample_pages::WaveView;
pub use samples::{
    DrawnSample, NO_VALUE, SampleError, SamplePlan, SampleSpec, StratumBy, StratumRow,
    WaveEstimate, WaveStratum,
};
pub use sentiment::{
    LearnedSentiment, MARGIN_SCALE, ModelBuffers, SENTIMENT_MODEL, SentimentComparison,
    SentimentError, SentimentRows, SentimentScores, SentimentSetup, SentimentTrainReport,
    SentimentTrainSpec, SourceReading, compare as compare_sentiment, is_sentiment_model,
    lexicon_labels, parse_sentiment_label, sentiment_model_name,
};
pub use sentiment_hashed::DEFAULT_SPEC as SENTIMENT_FEATURES;
pub use summary::{LongPeriod, Summary, roll_up_months};
pub use taxonomy::{
    CurrentTagger, ReadText, TagReport, TaxonomyLoad, TaxonomyLoadError, TextScratch,
};
pub use theme_stories::{PartStories, STORY_ITEMS_READ, ThemeStories};
pub use themes_overview::{TaxonomyOverview, ThemeRow};
pub use tokens::{
    IssuedToken, Scope, TOKEN_PREFIX, TokenError, TokenHolder, TokenSpec, looks_like_token,
    parse_lifetime, token_hash,
};
use trove_store::Store;
pub use webhooks::{
    ATTEMPT_TIMEOUT, CASE_SLA_BREACHED, COMMITMENT_MISSED, DeliveryPolicy, DeliveryReport,
    EVENT_TYPES, FEEDBACK_RECEIVED, ISSUE_STATUS_CHANGED, IssuedWebhook, RETRY_DELAYS,
    SECRET_PREFIX, SHIFT_DETECTED, SPIKE_DETECTED, WEBHOOK_TEST, WebhookError, message_id,
    parse_event_types, sign,
};
pub use workflow::{Clock, MetricsImport, Reach, Recipient, WorkflowError};

/// Reports how far a long task has come (a progress bar, or nothing).
pub trait Progress: Sync {
    /// The task's total size is now known (bytes of a file, items of a batch).
    fn set_total(&self, total: u64);
    /// This much of the total is done.
    fn set_done(&self, done: u64);
    /// A new stage of the task begins (its name, for a spinner).
    fn stage(&self, _name: &str) {}
}

/// Progress that nobody watches.
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&self, _: u64) {}
    fn set_done(&self, _: u64) {}
}

/// The application: the store plus the use cases over it.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    /// Results held in memory, shared by the app's clones (see [`App::current_analysis`]).
    memory: Arc<kept::Memory>,
    /// The room's views held in memory (see [`App::room`]).
    rooms: Arc<memo::Memo<RoomView>>,
    /// Drill-down counts held in memory (see `App::items_page`).
    item_counts: Arc<memo::Memo<u64>>,
    /// Repeat-contact reports held in memory (see [`App::repeat_contacts`]).
    repeats: Arc<memo::Memo<Arc<RepeatReport>>>,
    /// Where the analysis reads its items, when not the store (see [`App::with_analytics`]).
    analytics: Option<Arc<dyn trove_store::Analytics>>,
}

impl App {
    /// An app over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            memory: Arc::default(),
            // The filters people use in a meeting, a day's worth.
            rooms: Arc::new(memo::Memo::new(32)),
            item_counts: Arc::new(memo::Memo::new(1024)),
            repeats: Arc::new(memo::Memo::new(8)),
            analytics: None,
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }
}
