//! Trove's storage contract: the [`Store`] trait that every database backend implements, the
//! query and result types it speaks, and (feature `contract`) the one test suite that every
//! backend must pass.
//!
//! This crate holds no SQL and names no database: the backends (`trove-store-sqlite`,
//! `trove-store-postgres`) depend on it, never the other way round. The trait is synchronous
//! and dyn-safe; async callers (the web server) run it on blocking threads.

mod analysis_runs;
mod analytics;
mod artifacts;
mod auth;
#[cfg(feature = "contract")]
pub mod contract;
mod discovery_runs;
mod embeddings;
mod error;
mod fact_pages;
mod fact_scan;
mod forms;
mod items;
mod layout;
mod mail;
mod models;
mod query;
mod questions;
mod report_mail;
mod reports;
mod results;
mod sentiment_labels;
mod surveys;
mod tags;
mod tokens;
mod totals;
mod webhooks;
mod workflow;
mod write_stages;

use std::ops::ControlFlow;

pub use analysis_runs::{AnalysisRun, AnalysisRunSummary, NewAnalysisRun};
pub use analytics::{
    Analytics, FactRow, MonthTally, OriginThemes, SyncReport, ThemeMonthTally, month_of,
    read_facts, sync_if_stale, theme_tallies_of,
};
pub use artifacts::{Artifact, ArtifactTarget, NewArtifact};
pub use auth::{Credential, SessionRecord};
pub use discovery_runs::{DiscoveryRun, DiscoveryRunSummary, NewDiscoveryRun};
pub use embeddings::{EmbeddingStore, ItemEmbedding, decode_vector, encode_vector, text_hash};
pub use error::StoreError;
pub use fact_pages::{FactPageDigest, FactPages};
pub use fact_scan::{
    FactVisitor, ItemFactsRef, id_ranges, read_id_ranges_side_by_side, scan_item_facts_by_pages,
};
pub use forms::{FormRecord, FormScale, form_run_file};
pub use items::{
    ItemCursor, ItemPageAt, ItemPlan, ItemQuery, ListedItem, MatchedSpan, NEGATIVE_SENTIMENT,
    NpsBand, POSITIVE_SENTIMENT, SentimentClass, SqlValue, add_theme_link, item_conditions,
    page_clause,
};
pub use layout::{LinkBuffer, ThemeLinks, pack_link, pack_new_item, unpack_themes};
pub use mail::{Delivery, MailAddress, MailSettings, MailStore, Sending};
pub use models::{ModelSummary, NewModel, StoredModel};
pub use query::{
    Dimension, FeedbackFilter, GroupTally, ImportHold, ImportRun, ImportStatus, ImportTotals,
    InsertOutcome, ItemThemes, NewImportRun, ThemeOrigin, UpsertOutcome,
};
pub use questions::SourceQuestion;
pub use report_mail::{EVERY_UNIT, ReportMailStore, ReportRecipient};
pub use reports::{ReportHead, StoredReport};
pub use results::{StoredResult, StoredResultHead};
pub use sentiment_labels::{LabelCandidate, LabelStore, LabelledItem, SentimentLabel};
pub use surveys::{
    AssessmentAnswer, Invitation, NewWave, StoredAssessmentAnswer, SurveyStore, Wave,
};
pub use tags::{
    Coverage, ItemTags, KeyedTags, NewTaxonomyVersion, Placement, RuleTag, SourceCoverage,
    StoredTag, StoredTheme, THEME_COUNTS_SQL, TaxonomyVersion, ThemeCount, ThemeRecord,
};
pub use tokens::{ApiToken, NewApiToken, join_scopes, split_scopes};
pub use totals::{
    TOTALS_KEY_COLUMNS, TOTALS_TALLY_COLUMNS, TotalsDelta, TotalsKey, TotalsQuery,
    tally_from_values, tally_values,
};
use trove_domain::{Customer, CustomerId, FeedbackItem, Journey, StoredFeedback, Theme};
pub use webhooks::{
    DeliveryStatus, DueDelivery, NewWebhook, NewWebhookEvent, WEBHOOK_REMOVED, Webhook,
    WebhookAttempt, WebhookDelivery, WebhookWatch, join_events, split_events,
};
pub use workflow::{NewEvent, StoredEvent};
pub use write_stages::{Laps, WriteStages};

/// The result of every store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A visitor of pages of rows: return [`ControlFlow::Break`] to stop early.
pub type PageVisitor<'a, T> = dyn FnMut(Vec<T>) -> ControlFlow<()> + 'a;

/// Everything Trove keeps, behind one interface that SQLite and PostgreSQL both implement.
///
/// Writes of a batch are one transaction: a batch is stored whole or not at all, so an
/// interrupted import leaves only whole batches behind, and dedup makes a re-run complete it.
pub trait Store:
    Send + Sync + SurveyStore + MailStore + ReportMailStore + EmbeddingStore + LabelStore + FactPages
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Applies the migrations not yet applied; returns the names of those it applied now.
    fn migrate(&self) -> StoreResult<Vec<String>>;

    /// Inserts a batch of feedback in one transaction. An item whose (source, external id)
    /// is already stored, or appears earlier in the batch, is skipped and counted as a duplicate.
    /// The themes an item was coded with at the source are created when new and linked.
    fn insert_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
    ) -> StoreResult<InsertOutcome>;

    /// How many items match.
    fn count_feedback(&self, filter: &FeedbackFilter) -> StoreResult<u64>;

    /// Visits the matching items in id order, `page_size` at a time, without holding more than
    /// one page in memory. The store is not locked while the visitor runs.
    fn scan_feedback(
        &self,
        filter: &FeedbackFilter,
        page_size: usize,
        visit: &mut PageVisitor<'_, StoredFeedback>,
    ) -> StoreResult<()>;

    /// Visits the matching items in id order as the analysis needs them (no text), each with
    /// the ids of its themes of the given origin, `page_size` at a time.
    fn scan_item_themes(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        page_size: usize,
        visit: &mut PageVisitor<'_, ItemThemes>,
    ) -> StoreResult<()>;

    /// The items of [`Store::scan_item_themes`] (all of them), borrowed and without an
    /// allocation per item: the analysis's read of every item. A store may read them as
    /// `parts.len()` consecutive id ranges side by side, each on its own thread to its own
    /// visitor: the items of the first visitor, then the second's, and so on, are all the
    /// matching items in id order. By default everything goes to the first visitor.
    fn scan_item_facts(
        &self,
        filter: &FeedbackFilter,
        origin: ThemeOrigin,
        parts: &mut [&mut FactVisitor<'_>],
    ) -> StoreResult<()> {
        scan_item_facts_by_pages(self, filter, origin, parts)
    }

    /// Score tallies of the matching items grouped by one dimension, computed in the database:
    /// from the running totals when they answer (see [`TotalsQuery::plan`]), else from the
    /// facts. Groups come sorted by key, the group of items without a value (key `None`) first.
    fn tally_by(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>>;

    /// Inserts new customers and updates known ones (by id), in one transaction.
    fn upsert_customers(&self, batch: &[Customer]) -> StoreResult<UpsertOutcome>;

    /// One customer.
    fn customer(&self, id: &CustomerId) -> StoreResult<Option<Customer>>;

    /// How many customers are stored.
    fn count_customers(&self) -> StoreResult<u64>;

    /// Visits all customers in id order, a page at a time.
    fn scan_customers(
        &self,
        page_size: usize,
        visit: &mut PageVisitor<'_, Customer>,
    ) -> StoreResult<()>;

    /// Stores the journey: stages and touchpoints are replaced, departments are added or
    /// renamed but never removed (other records refer to them).
    fn replace_journey(&self, journey: &Journey) -> StoreResult<()>;

    /// The stored journey, if one was loaded.
    fn journey(&self) -> StoreResult<Option<Journey>>;

    /// Adds themes or renames them (by id).
    fn upsert_themes(&self, themes: &[Theme]) -> StoreResult<()>;

    /// All themes, sorted by id.
    fn themes(&self) -> StoreResult<Vec<Theme>>;

    /// Records the start of an import and holds it for this process until the hold drops (see
    /// [`ImportHold`]); its id is the hold's.
    fn start_import(&self, run: &NewImportRun) -> StoreResult<ImportHold>;

    /// Records how an import ended, and why when it did not simply complete.
    fn finish_import(
        &self,
        id: i64,
        status: ImportStatus,
        totals: &ImportTotals,
        reason: Option<&str>,
    ) -> StoreResult<()>;

    /// Imports, newest first. A run recorded as running that no process holds any more is
    /// reported [`ImportStatus::Interrupted`], with the count of the items it stored.
    fn import_runs(&self, limit: usize) -> StoreResult<Vec<ImportRun>>;

    /// Like [`Store::insert_feedback`], but an item already stored (same source and external
    /// id) is overwritten from the batch, keeping its id and the run that added it: every
    /// field, its source-coded themes, its sentiment and its rule tags (replaced by `tags`,
    /// or removed without them). Counted as `replaced`; a key repeated in the batch is
    /// stored from its last occurrence. One transaction per batch.
    fn replace_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: Option<(&[Vec<RuleTag>], i64)>,
    ) -> StoreResult<InsertOutcome>;

    /// Which of `ids` are items added by import run `run`.
    fn import_items_among(&self, run: i64, ids: &[i64]) -> StoreResult<Vec<i64>>;

    /// Deletes the items import run `run` added, with all their theme links and mention
    /// sentiment, and records on the run when and how many (`at`, unix seconds), in one
    /// transaction. Returns how many items were deleted.
    fn delete_import(&self, run: i64, at: i64) -> StoreResult<u64>;

    /// Saves a new taxonomy version in one transaction: its themes are upserted (with
    /// description, stage and departments) and un-retired; themes of earlier versions that it
    /// no longer lists are marked retired, never deleted, so old tags still resolve. Themes
    /// coded by sources only are left alone. Returns the new version number.
    fn save_taxonomy_version(&self, version: &NewTaxonomyVersion) -> StoreResult<i64>;

    /// The newest taxonomy version, if one was saved.
    fn current_taxonomy(&self) -> StoreResult<Option<TaxonomyVersion>>;

    /// All theme records, retired ones included, sorted by id.
    fn theme_records(&self) -> StoreResult<Vec<StoredTheme>>;

    /// Replaces the rule tags of the listed items (an item with no tags loses its old rule
    /// tags), in one transaction; returns how many tags were stored.
    fn replace_rule_tags(&self, taxonomy_version: i64, batch: &[ItemTags]) -> StoreResult<u64>;

    /// Replaces the classifier's tags (origin `model`) of the listed items, like
    /// [`Store::replace_rule_tags`]: only each tag's theme is stored (no phrase, no offsets),
    /// with the version of the model that predicted it. Returns how many tags were stored.
    fn replace_model_tags(&self, model_version: i64, batch: &[ItemTags]) -> StoreResult<u64>;

    /// Like [`Store::replace_rule_tags`], for items named by source and external id (as an
    /// import knows them); items not stored are skipped.
    fn replace_rule_tags_by_key(
        &self,
        taxonomy_version: i64,
        batch: &[KeyedTags],
    ) -> StoreResult<u64>;

    /// Like [`Store::insert_feedback`], and also stores the rule tags of the items it inserts
    /// (`tags[i]` are those of `batch[i]`, from taxonomy version `taxonomy_version`). Backends
    /// that can store them in the insert's own transaction do; the default stores them right
    /// after, by key (and so also re-tags items that were duplicates).
    fn insert_tagged_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: &[Vec<RuleTag>],
        taxonomy_version: i64,
    ) -> StoreResult<InsertOutcome> {
        let outcome = self.insert_feedback(batch, import_run)?;
        let keyed: Vec<KeyedTags> = batch
            .iter()
            .zip(tags)
            .filter(|(_, tags)| !tags.is_empty())
            .map(|(item, tags)| KeyedTags {
                source: item.source.clone(),
                external_id: item.external_id.clone(),
                tags: tags.clone(),
            })
            .collect();
        if !keyed.is_empty() {
            self.replace_rule_tags_by_key(taxonomy_version, &keyed)?;
        }
        Ok(outcome)
    }

    /// Where this store's feedback writes spent their time since it was opened; `None` for a
    /// backend that does not count them.
    fn write_stages(&self) -> Option<WriteStages> {
        None
    }

    /// Prepares for storing many items (an import from a file): a backend may set aside work
    /// it can do faster once at the end (building secondary indexes). Every call must be
    /// followed by [`Store::end_bulk_load`]; reads stay correct in between, and a process that
    /// dies in between leaves nothing for the next one to repair by hand. Default: nothing.
    fn begin_bulk_load(&self) -> StoreResult<()> {
        Ok(())
    }

    /// Does the work [`Store::begin_bulk_load`] set aside. Default: nothing.
    fn end_bulk_load(&self) -> StoreResult<()> {
        Ok(())
    }

    /// The theme links of one item (source-coded and rule tags), sorted by origin and theme.
    fn item_tags(&self, feedback_id: i64) -> StoreResult<Vec<StoredTag>>;

    /// How many matching items carry each theme with the given origin (`rule`, `source`), a
    /// parent counting the items of all its descendants (each item once), sorted by theme id.
    /// Themes no item carries are left out.
    fn theme_counts(&self, filter: &FeedbackFilter, origin: &str) -> StoreResult<Vec<ThemeCount>>;

    /// How many items match a drill-down (each item once, however many of its themes match).
    fn count_items(&self, query: &ItemQuery) -> StoreResult<u64>;

    /// One page of a drill-down's items, newest first (by received time, then id), at most
    /// `limit`, each with its themes of the query's origin and the spans of its rule tags.
    /// `matching` is how many items match, when the caller has counted them: a backend may
    /// choose how to read by it (see [`ItemPlan::for_matches`]); `Some(0)` reads nothing.
    fn list_items(
        &self,
        query: &ItemQuery,
        at: ItemPageAt,
        limit: usize,
        matching: Option<u64>,
    ) -> StoreResult<Vec<ListedItem>>;

    /// Coverage (items with a theme not coded by their source), overall and per source, and
    /// journey placement of the matching items, computed in the database.
    fn coverage(&self, filter: &FeedbackFilter) -> StoreResult<Coverage>;

    /// Saves an analysis run; returns its id.
    fn save_analysis_run(&self, run: &NewAnalysisRun) -> StoreResult<i64>;

    /// The newest `limit` analysis runs, newest first, without their results.
    fn analysis_runs(&self, limit: usize) -> StoreResult<Vec<AnalysisRunSummary>>;

    /// One analysis run with its result, if stored.
    fn analysis_run(&self, id: i64) -> StoreResult<Option<AnalysisRun>>;

    /// The data version: a counter every write that changes what an analysis reads (feedback
    /// imported, replaced or deleted, tags and labels, taxonomy, themes, customers, journey)
    /// bumps in its own transaction. A result computed on version `v` is current while this
    /// is still `v`.
    fn data_version(&self) -> StoreResult<i64>;

    /// Stores a computed result, replacing the one with the same key.
    fn save_result(&self, result: &StoredResult) -> StoreResult<()>;

    /// The stored result with this key, if any (whatever its data version).
    fn stored_result(&self, key: &str) -> StoreResult<Option<StoredResult>>;

    /// The `limit` most recently computed stored results, newest first, without their bodies.
    fn stored_results(&self, limit: usize) -> StoreResult<Vec<StoredResultHead>>;

    /// Keeps a monthly report, replacing the one of the same unit and month, then deletes
    /// the unit's reports beyond its `keep` newest months, in one transaction.
    fn save_report(&self, report: &StoredReport, keep: usize) -> StoreResult<()>;

    /// Every kept report without its body, by unit, newest month first.
    fn report_heads(&self) -> StoreResult<Vec<ReportHead>>;

    /// The kept report of a unit and month, if any.
    fn stored_report(&self, business_unit: &str, month: &str) -> StoreResult<Option<StoredReport>>;

    /// Saves a discovery run; returns its id.
    fn save_discovery_run(&self, run: &NewDiscoveryRun) -> StoreResult<i64>;

    /// The newest `limit` discovery runs, newest first, without their results.
    fn discovery_runs(&self, limit: usize) -> StoreResult<Vec<DiscoveryRunSummary>>;

    /// One discovery run with its result, if stored.
    fn discovery_run(&self, id: i64) -> StoreResult<Option<DiscoveryRun>>;

    /// Saves a trained model as the next version of its name (the previous highest + 1, or 1);
    /// returns that version.
    fn save_model(&self, model: &NewModel) -> StoreResult<i64>;

    /// The newest version of the named model, with its bytes, if one was saved.
    fn latest_model(&self, name: &str) -> StoreResult<Option<StoredModel>>;

    /// Every stored model version without its bytes, sorted by name, then version.
    fn models(&self) -> StoreResult<Vec<ModelSummary>>;

    /// Sets the question a source's text answers, replacing the one set before.
    fn set_source_question(&self, question: &SourceQuestion) -> StoreResult<()>;

    /// Every source's question, sorted by source.
    fn source_questions(&self) -> StoreResult<Vec<SourceQuestion>>;

    /// Appends workflow events in one transaction, numbered after the log's last event, if
    /// that is still `expected_last` (0 for an empty log); otherwise nothing is appended and
    /// the answer is [`StoreError::Conflict`]. Returns the sequence number of the last event.
    fn append_events(&self, expected_last: i64, events: &[NewEvent]) -> StoreResult<i64>;

    /// The workflow events after sequence number `after`, in order.
    fn events(&self, after: i64) -> StoreResult<Vec<StoredEvent>>;

    /// Sets a person's password (replacing the one before) and ends all their sessions, in
    /// one transaction: a new password signs everyone out.
    fn set_credential(&self, credential: &Credential) -> StoreResult<()>;

    /// A person's password, if one was set (`email` lowercase).
    fn credential(&self, email: &str) -> StoreResult<Option<Credential>>;

    /// Stores a new session.
    fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;

    /// The session with this id hash, if stored (expired or not: the caller judges).
    fn session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;

    /// Records that a session was used at `at`.
    fn touch_session(&self, id_hash: &str, at: i64) -> StoreResult<()>;

    /// Ends a session (sign-out); ending an unknown one does nothing.
    fn delete_session(&self, id_hash: &str) -> StoreResult<()>;

    /// Deletes the sessions past their absolute expiry at `now`, or idle since before
    /// `idle_before`; returns how many.
    fn delete_expired_sessions(&self, now: i64, idle_before: i64) -> StoreResult<u64>;

    /// Stores a new webhook subscription; returns its id.
    fn create_webhook(&self, webhook: &NewWebhook) -> StoreResult<i64>;

    /// Every webhook subscription, removed ones included, by id.
    fn webhooks(&self) -> StoreResult<Vec<Webhook>>;

    /// Removes a subscription at `at`, and marks its pending deliveries failed (with
    /// [`WEBHOOK_REMOVED`]), in one transaction. False when there is no such live subscription.
    fn remove_webhook(&self, id: i64, at: i64) -> StoreResult<bool>;

    /// Where the webhooks' watch stands, once started.
    fn webhook_watch(&self) -> StoreResult<Option<WebhookWatch>>;

    /// Starts the watch at `at` from workflow event `workflow_seq`, unless it started before;
    /// returns the watch as stored.
    fn start_webhook_watch(&self, at: i64, workflow_seq: i64) -> StoreResult<WebhookWatch>;

    /// Puts events in the outbox at `at`, in one transaction: an event whose key is stored
    /// already is skipped; a new one becomes a pending delivery (due at `at`) for every live
    /// subscription to its type (or only its `only_webhook`). With `workflow_seq`, the watch
    /// moves to it in the same transaction. Returns how many deliveries were queued.
    fn enqueue_webhook_events(
        &self,
        events: &[NewWebhookEvent],
        workflow_seq: Option<i64>,
        at: i64,
    ) -> StoreResult<usize>;

    /// Claims up to `limit` pending deliveries of live subscriptions due at `now`, oldest
    /// first: their next attempt moves to `lease_until`, so another dispatcher does not take
    /// them while this one tries.
    fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> StoreResult<Vec<DueDelivery>>;

    /// Records an attempt in the log and moves its delivery to the attempt's outcome, in one
    /// transaction.
    fn record_webhook_attempt(&self, attempt: &WebhookAttempt) -> StoreResult<()>;

    /// The newest `limit` deliveries, newest first; only failed ones with `failed_only`.
    fn webhook_deliveries(
        &self,
        failed_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<WebhookDelivery>>;

    /// The attempts of one delivery, in order.
    fn webhook_attempts(&self, delivery_id: i64) -> StoreResult<Vec<WebhookAttempt>>;

    /// Stores a new feedback form (its id must be new).
    fn create_form(&self, form: &FormRecord) -> StoreResult<()>;

    /// One form, open or closed.
    fn form(&self, id: &str) -> StoreResult<Option<FormRecord>>;

    /// All forms, newest first.
    fn forms(&self) -> StoreResult<Vec<FormRecord>>;

    /// Closes a form at `at` (unix seconds); false when it is unknown or closed already
    /// (then nothing changes).
    fn close_form(&self, id: &str, at: i64) -> StoreResult<bool>;

    /// The import run that records form `id`'s answers of `day` (`YYYY-MM-DD`, UTC), created
    /// on the first answer of the day (kind `feedback`, the form's source, status completed,
    /// started and finished at `at`), or anew when that run's items were deleted. One run per
    /// form and day however many servers answer.
    fn form_import_run(&self, id: &str, day: &str, at: i64) -> StoreResult<i64>;

    /// Adds `totals` to an import run's counts and moves its end to `at` (a run that grows
    /// after it was recorded, like a form's run of the day).
    fn add_to_import_run(&self, run: i64, totals: &ImportTotals, at: i64) -> StoreResult<()>;

    /// Stores a new API token; returns its id. Its secret hash is unique.
    fn create_api_token(&self, token: &NewApiToken) -> StoreResult<i64>;

    /// Every API token, revoked ones included, by id.
    fn api_tokens(&self) -> StoreResult<Vec<ApiToken>>;

    /// The token whose current secret has this hash, if any (revoked or expired too: the
    /// caller judges).
    fn api_token_by_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>>;

    /// Records that a token was used at `at`.
    fn touch_api_token(&self, id: i64, at: i64) -> StoreResult<()>;

    /// Revokes a token at `at`; false when there is no such token or it was revoked before.
    fn revoke_api_token(&self, id: i64, at: i64) -> StoreResult<bool>;

    /// Gives a live (not revoked) token a new secret hash at `at`: the old secret stops
    /// working at once. False when there is no such live token.
    fn rotate_api_token(&self, id: i64, secret_hash: &str, at: i64) -> StoreResult<bool>;

    /// The items with these ids (those that exist, in id order), each with all its themes and
    /// its rule tags' spans, as the drill-down lists them.
    fn feedback_items(&self, ids: &[i64]) -> StoreResult<Vec<ListedItem>>;

    /// Stores an artifact; returns its id.
    fn add_artifact(&self, artifact: &NewArtifact) -> StoreResult<i64>;

    /// The artifacts attached to `target` (every artifact when `None`), oldest first, without
    /// their bytes.
    fn artifacts(&self, target: Option<&ArtifactTarget>) -> StoreResult<Vec<Artifact>>;

    /// One artifact and its bytes.
    fn artifact_content(&self, id: i64) -> StoreResult<Option<(Artifact, Vec<u8>)>>;

    /// Removes an artifact; false when there is none with that id.
    fn remove_artifact(&self, id: i64) -> StoreResult<bool>;
}
