//! The PostgreSQL backend of [`trove_store::Store`]: the database of a team server, where
//! several users and processes share one Trove.
//!
//! SQL lives here (and in the SQLite backend) and nowhere else. This crate depends only on
//! `trove-store` and `trove-domain`, never on the application, web or command-line crates.
//! It speaks the synchronous `postgres` driver through a small pool of connections: a store
//! call checks a connection out and back in, and a scan holds one only while it fetches a page,
//! never while the caller's visitor runs. Aggregates (`tally_by`) run as `GROUP BY` in the
//! database, and batch writes are single multi-row statements over `UNNEST`ed arrays.

mod analysis_runs;
mod artifacts;
mod auth;
mod bulk;
mod customers;
mod decode;
mod deferred;
mod discovery_runs;
mod embeddings;
mod fact_pages;
mod facts;
mod feedback;
mod forms;
mod imports;
mod items;
mod journey;
mod mail;
mod migrate;
mod models;
mod pool;
mod questions;
mod redact;
mod report_mail;
mod reports;
mod results;
mod sentiment_labels;
mod surveys;
mod taxonomy;
mod tokens;
mod totals;
mod webhooks;
mod workflow;

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use postgres::Config;
use trove_domain::{
    Customer, CustomerId, FeedbackItem, Journey, Label, Slug, StoredFeedback, Theme,
};
use trove_store::{
    Coverage, Dimension, FeedbackFilter, GroupTally, ImportHold, ImportRun, ImportStatus,
    ImportTotals, InsertOutcome, ItemTags, KeyedTags, NewImportRun, NewTaxonomyVersion,
    PageVisitor, RuleTag, Store, StoreError, StoreResult, StoredTag, StoredTheme, TaxonomyVersion,
    ThemeCount, UpsertOutcome, WriteStages,
};

use crate::decode::{Corrupt, db_error, get};
use crate::pool::Pool;
use crate::redact::redact_url;

/// How many connections one store opens at most; callers beyond that wait for one to be free.
pub const MAX_CONNECTIONS: usize = 8;

/// How long opening a connection may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Trove database in PostgreSQL.
pub struct PostgresStore {
    pool: Pool,
    schema: Option<String>,
    /// The bulk loads under way (see [`deferred`]).
    loads: deferred::Loads,
    /// Where feedback writes spent their time (see [`Store::write_stages`]).
    stages: Mutex<WriteStages>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.pool.url())
            .field("schema", &self.schema)
            .finish()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`, or libpq's
    /// `key=value` form) and applies pending migrations. Tables live in the connection's
    /// default schema (normally `public`).
    ///
    /// Connections are not encrypted: TLS is not supported yet, so `sslmode=require` fails.
    pub fn open(url: &str) -> StoreResult<Self> {
        Self::connect(url, None)
    }

    /// Like [`PostgresStore::open`], but keeps every table in `schema`, created if missing: each
    /// connection's `search_path` is that schema alone. Several Troves (or test runs) can share
    /// one database this way.
    pub fn open_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        Self::connect(url, Some(schema))
    }

    fn connect(url: &str, schema: Option<&str>) -> StoreResult<Self> {
        let shown = redact_url(url);
        let mut config: Config = url.parse().map_err(|e: postgres::Error| StoreError::Open {
            url: shown.clone(),
            reason: decode::describe(&e),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("trove");
        }
        let setup = schema.map(|s| format!("SET search_path TO {}", quote_ident(s)));
        let store = Self {
            pool: Pool::new(config, setup, shown, MAX_CONNECTIONS),
            schema: schema.map(str::to_owned),
            loads: deferred::Loads::default(),
            stages: Mutex::default(),
        };
        if let Some(schema) = schema {
            migrate::create_schema(&mut *store.pool.get()?, schema, &quote_ident(schema))?;
        }
        store.migrate()?;
        deferred::restore_indexes(&mut *store.pool.get()?)?;
        Ok(store)
    }

    /// The schema given to [`PostgresStore::open_in_schema`], if any.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Runs a bulk load's beginning or end, its time counted as the indexes' (see
    /// [`Store::write_stages`]).
    fn timing_indexes(&self, work: impl FnOnce() -> StoreResult<()>) -> StoreResult<()> {
        let started = Instant::now();
        let done = work();
        self.stages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .indexes += started.elapsed();
        done
    }
}

/// An SQL identifier, quoted so any name is taken literally.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Per-page reads from the compact facts rows (`feedback_facts`).
impl trove_store::FactPages for PostgresStore {
    fn fact_page_digests(
        &self,
        page_ids: i64,
    ) -> StoreResult<Option<Vec<trove_store::FactPageDigest>>> {
        fact_pages::digests(&mut *self.pool.get()?, page_ids).map(Some)
    }

    fn fact_range(&self, first: i64, end: i64) -> StoreResult<Option<Vec<trove_store::FactRow>>> {
        fact_pages::range(&mut *self.pool.get()?, first, end).map(Some)
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn migrate(&self) -> StoreResult<Vec<String>> {
        migrate::apply(&mut *self.pool.get()?)
    }

    fn insert_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
    ) -> StoreResult<InsertOutcome> {
        if batch.is_empty() {
            return Ok(InsertOutcome::default());
        }
        feedback::insert(&self.pool, batch, import_run, None, &self.stages)
    }

    fn insert_tagged_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: &[Vec<RuleTag>],
        taxonomy_version: i64,
    ) -> StoreResult<InsertOutcome> {
        if batch.is_empty() {
            return Ok(InsertOutcome::default());
        }
        feedback::insert(
            &self.pool,
            batch,
            import_run,
            Some((tags, taxonomy_version)),
            &self.stages,
        )
    }

    fn count_feedback(&self, filter: &FeedbackFilter) -> StoreResult<u64> {
        feedback::count_matching(&mut *self.pool.get()?, filter)
    }

    fn scan_feedback(
        &self,
        filter: &FeedbackFilter,
        page_size: usize,
        visit: &mut PageVisitor<'_, StoredFeedback>,
    ) -> StoreResult<()> {
        feedback::scan(&self.pool, filter, page_size, visit)
    }

    fn scan_item_themes(
        &self,
        filter: &FeedbackFilter,
        origin: trove_store::ThemeOrigin,
        page_size: usize,
        visit: &mut PageVisitor<'_, trove_store::ItemThemes>,
    ) -> StoreResult<()> {
        facts::scan(&self.pool, filter, origin, page_size, visit)
    }

    fn scan_item_facts(
        &self,
        filter: &FeedbackFilter,
        origin: trove_store::ThemeOrigin,
        parts: &mut [&mut trove_store::FactVisitor<'_>],
    ) -> StoreResult<()> {
        facts::scan_parts(&self.pool, filter, origin, parts)
    }

    fn tally_by(
        &self,
        dimension: Dimension,
        filter: &FeedbackFilter,
    ) -> StoreResult<Vec<GroupTally>> {
        if let Some(query) = trove_store::TotalsQuery::plan(dimension, filter) {
            return totals::tally(&mut *self.pool.get()?, &query);
        }
        feedback::tally(&mut *self.pool.get()?, dimension, filter)
    }

    fn upsert_customers(&self, batch: &[Customer]) -> StoreResult<UpsertOutcome> {
        customers::upsert(&mut *self.pool.get()?, batch)
    }

    fn customer(&self, id: &CustomerId) -> StoreResult<Option<Customer>> {
        customers::one(&mut *self.pool.get()?, id)
    }

    fn count_customers(&self) -> StoreResult<u64> {
        customers::count_all(&mut *self.pool.get()?)
    }

    fn scan_customers(
        &self,
        page_size: usize,
        visit: &mut PageVisitor<'_, Customer>,
    ) -> StoreResult<()> {
        customers::scan(&self.pool, page_size, visit)
    }

    fn replace_journey(&self, journey: &Journey) -> StoreResult<()> {
        journey::replace(&mut *self.pool.get()?, journey)
    }

    fn journey(&self) -> StoreResult<Option<Journey>> {
        journey::load(&mut *self.pool.get()?)
    }

    fn upsert_themes(&self, themes: &[Theme]) -> StoreResult<()> {
        let context = "storing themes";
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
        // One row at a time: a batch may name a theme twice, and the last one wins.
        let statement = tx
            .prepare(
                "INSERT INTO themes (id, name, parent_id) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id",
            )
            .map_err(|e| db_error(context, e))?;
        for theme in themes {
            tx.execute(
                &statement,
                &[
                    &theme.id.as_str(),
                    &theme.name.as_str(),
                    &theme.parent.as_ref().map(Slug::as_str),
                ],
            )
            .map_err(|e| db_error(context, e))?;
        }
        results::bump(&mut tx).map_err(|e| db_error(context, e))?;
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn themes(&self) -> StoreResult<Vec<Theme>> {
        let context = "reading themes";
        let rows = self
            .pool
            .get()?
            .query("SELECT id, name, parent_id FROM themes ORDER BY id", &[])
            .map_err(|e| db_error(context, e))?;
        rows.iter()
            .map(|row| {
                let id: &str = get(row, 0, context)?;
                let c = Corrupt {
                    table: "themes",
                    row: &id,
                };
                let parent: Option<&str> = get(row, 2, context)?;
                Ok(Theme {
                    id: c.check("id", Slug::parse("theme id", id))?,
                    name: c.check("name", Label::parse("theme name", get(row, 1, context)?))?,
                    parent: parent
                        .map(|p| c.check("parent_id", Slug::parse("theme id", p)))
                        .transpose()?,
                })
            })
            .collect()
    }

    fn start_import(&self, run: &NewImportRun) -> StoreResult<ImportHold> {
        imports::start(&self.pool, run)
    }

    fn finish_import(
        &self,
        id: i64,
        status: ImportStatus,
        totals: &ImportTotals,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        imports::finish(&mut *self.pool.get()?, id, status, totals, reason)
    }

    fn import_runs(&self, limit: usize) -> StoreResult<Vec<ImportRun>> {
        imports::list(&mut *self.pool.get()?, limit)
    }

    fn replace_feedback(
        &self,
        batch: &[FeedbackItem],
        import_run: Option<i64>,
        tags: Option<(&[Vec<RuleTag>], i64)>,
    ) -> StoreResult<InsertOutcome> {
        if batch.is_empty() {
            return Ok(InsertOutcome::default());
        }
        feedback::replace(
            &mut *self.pool.get()?,
            batch,
            import_run,
            tags,
            &self.stages,
        )
    }

    fn begin_bulk_load(&self) -> StoreResult<()> {
        self.timing_indexes(|| self.loads.begin(&self.pool))
    }

    fn end_bulk_load(&self) -> StoreResult<()> {
        self.timing_indexes(|| self.loads.end())
    }

    fn write_stages(&self) -> Option<WriteStages> {
        Some(*self.stages.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn import_items_among(&self, run: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
        imports::items_among(&mut *self.pool.get()?, run, ids)
    }

    fn delete_import(&self, run: i64, at: i64) -> StoreResult<u64> {
        imports::delete(&mut *self.pool.get()?, run, at)
    }

    fn save_taxonomy_version(&self, version: &NewTaxonomyVersion) -> StoreResult<i64> {
        taxonomy::save_version(&mut *self.pool.get()?, version)
    }

    fn current_taxonomy(&self) -> StoreResult<Option<TaxonomyVersion>> {
        taxonomy::current(&mut *self.pool.get()?)
    }

    fn theme_records(&self) -> StoreResult<Vec<StoredTheme>> {
        taxonomy::theme_records(&mut *self.pool.get()?)
    }

    fn replace_rule_tags(&self, taxonomy_version: i64, batch: &[ItemTags]) -> StoreResult<u64> {
        taxonomy::replace_tags(&mut *self.pool.get()?, taxonomy_version, batch)
    }

    fn replace_model_tags(&self, model_version: i64, batch: &[ItemTags]) -> StoreResult<u64> {
        models::replace_tags(&mut *self.pool.get()?, model_version, batch)
    }

    fn replace_rule_tags_by_key(
        &self,
        taxonomy_version: i64,
        batch: &[KeyedTags],
    ) -> StoreResult<u64> {
        taxonomy::replace_tags_by_key(&mut *self.pool.get()?, taxonomy_version, batch)
    }

    fn item_tags(&self, feedback_id: i64) -> StoreResult<Vec<StoredTag>> {
        taxonomy::item_tags(&mut *self.pool.get()?, feedback_id)
    }

    fn theme_counts(&self, filter: &FeedbackFilter, origin: &str) -> StoreResult<Vec<ThemeCount>> {
        taxonomy::theme_counts(&mut *self.pool.get()?, filter, origin)
    }

    fn count_items(&self, query: &trove_store::ItemQuery) -> StoreResult<u64> {
        items::count(&mut *self.pool.get()?, query)
    }

    fn list_items(
        &self,
        query: &trove_store::ItemQuery,
        at: trove_store::ItemPageAt,
        limit: usize,
        matching: Option<u64>,
    ) -> StoreResult<Vec<trove_store::ListedItem>> {
        if matching == Some(0) {
            return Ok(Vec::new());
        }
        items::list(
            &mut *self.pool.get()?,
            query,
            at,
            limit,
            trove_store::ItemPlan::for_matches(matching),
        )
    }

    fn coverage(&self, filter: &FeedbackFilter) -> StoreResult<Coverage> {
        taxonomy::coverage(&mut *self.pool.get()?, filter)
    }

    fn save_analysis_run(&self, run: &trove_store::NewAnalysisRun) -> StoreResult<i64> {
        analysis_runs::save(&mut *self.pool.get()?, run)
    }

    fn analysis_runs(&self, limit: usize) -> StoreResult<Vec<trove_store::AnalysisRunSummary>> {
        analysis_runs::list(&mut *self.pool.get()?, limit)
    }

    fn analysis_run(&self, id: i64) -> StoreResult<Option<trove_store::AnalysisRun>> {
        analysis_runs::one(&mut *self.pool.get()?, id)
    }

    fn data_version(&self) -> StoreResult<i64> {
        results::version(&mut *self.pool.get()?)
    }

    fn save_result(&self, result: &trove_store::StoredResult) -> StoreResult<()> {
        results::save(&mut *self.pool.get()?, result)
    }

    fn stored_result(&self, key: &str) -> StoreResult<Option<trove_store::StoredResult>> {
        results::one(&mut *self.pool.get()?, key)
    }

    fn stored_results(&self, limit: usize) -> StoreResult<Vec<trove_store::StoredResultHead>> {
        results::list(&mut *self.pool.get()?, limit)
    }

    fn save_report(&self, report: &trove_store::StoredReport, keep: usize) -> StoreResult<()> {
        reports::save(&mut *self.pool.get()?, report, keep)
    }

    fn report_heads(&self) -> StoreResult<Vec<trove_store::ReportHead>> {
        reports::heads(&mut *self.pool.get()?)
    }

    fn stored_report(
        &self,
        business_unit: &str,
        month: &str,
    ) -> StoreResult<Option<trove_store::StoredReport>> {
        reports::one(&mut *self.pool.get()?, business_unit, month)
    }

    fn save_discovery_run(&self, run: &trove_store::NewDiscoveryRun) -> StoreResult<i64> {
        discovery_runs::save(&mut *self.pool.get()?, run)
    }

    fn discovery_runs(&self, limit: usize) -> StoreResult<Vec<trove_store::DiscoveryRunSummary>> {
        discovery_runs::list(&mut *self.pool.get()?, limit)
    }

    fn discovery_run(&self, id: i64) -> StoreResult<Option<trove_store::DiscoveryRun>> {
        discovery_runs::one(&mut *self.pool.get()?, id)
    }

    fn save_model(&self, model: &trove_store::NewModel) -> StoreResult<i64> {
        models::save(&mut *self.pool.get()?, model)
    }

    fn latest_model(&self, name: &str) -> StoreResult<Option<trove_store::StoredModel>> {
        models::latest(&mut *self.pool.get()?, name)
    }

    fn models(&self) -> StoreResult<Vec<trove_store::ModelSummary>> {
        models::list(&mut *self.pool.get()?)
    }

    fn set_source_question(&self, question: &trove_store::SourceQuestion) -> StoreResult<()> {
        questions::set(&mut *self.pool.get()?, question)
    }

    fn source_questions(&self) -> StoreResult<Vec<trove_store::SourceQuestion>> {
        questions::list(&mut *self.pool.get()?)
    }

    fn append_events(
        &self,
        expected_last: i64,
        events: &[trove_store::NewEvent],
    ) -> StoreResult<i64> {
        workflow::append(&mut *self.pool.get()?, expected_last, events)
    }

    fn events(&self, after: i64) -> StoreResult<Vec<trove_store::StoredEvent>> {
        workflow::after(&mut *self.pool.get()?, after)
    }

    fn set_credential(&self, credential: &trove_store::Credential) -> StoreResult<()> {
        auth::set_credential(&mut *self.pool.get()?, credential)
    }

    fn credential(&self, email: &str) -> StoreResult<Option<trove_store::Credential>> {
        auth::credential(&mut *self.pool.get()?, email)
    }

    fn create_session(&self, session: &trove_store::SessionRecord) -> StoreResult<()> {
        auth::create_session(&mut *self.pool.get()?, session)
    }

    fn session(&self, id_hash: &str) -> StoreResult<Option<trove_store::SessionRecord>> {
        auth::session(&mut *self.pool.get()?, id_hash)
    }

    fn touch_session(&self, id_hash: &str, at: i64) -> StoreResult<()> {
        auth::touch_session(&mut *self.pool.get()?, id_hash, at)
    }

    fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        auth::delete_session(&mut *self.pool.get()?, id_hash)
    }

    fn delete_expired_sessions(&self, now: i64, idle_before: i64) -> StoreResult<u64> {
        auth::delete_expired(&mut *self.pool.get()?, now, idle_before)
    }

    fn create_webhook(&self, webhook: &trove_store::NewWebhook) -> StoreResult<i64> {
        webhooks::create(&mut *self.pool.get()?, webhook)
    }

    fn webhooks(&self) -> StoreResult<Vec<trove_store::Webhook>> {
        webhooks::list(&mut *self.pool.get()?)
    }

    fn remove_webhook(&self, id: i64, at: i64) -> StoreResult<bool> {
        webhooks::remove(&mut *self.pool.get()?, id, at)
    }

    fn webhook_watch(&self) -> StoreResult<Option<trove_store::WebhookWatch>> {
        webhooks::watch(&mut *self.pool.get()?)
    }

    fn start_webhook_watch(
        &self,
        at: i64,
        workflow_seq: i64,
    ) -> StoreResult<trove_store::WebhookWatch> {
        webhooks::start_watch(&mut *self.pool.get()?, at, workflow_seq)
    }

    fn enqueue_webhook_events(
        &self,
        events: &[trove_store::NewWebhookEvent],
        workflow_seq: Option<i64>,
        at: i64,
    ) -> StoreResult<usize> {
        webhooks::enqueue(&mut *self.pool.get()?, events, workflow_seq, at)
    }

    fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> StoreResult<Vec<trove_store::DueDelivery>> {
        webhooks::claim(&mut *self.pool.get()?, now, lease_until, limit)
    }

    fn record_webhook_attempt(&self, attempt: &trove_store::WebhookAttempt) -> StoreResult<()> {
        webhooks::record(&mut *self.pool.get()?, attempt)
    }

    fn webhook_deliveries(
        &self,
        failed_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<trove_store::WebhookDelivery>> {
        webhooks::deliveries(&mut *self.pool.get()?, failed_only, limit)
    }

    fn webhook_attempts(&self, delivery_id: i64) -> StoreResult<Vec<trove_store::WebhookAttempt>> {
        webhooks::attempts(&mut *self.pool.get()?, delivery_id)
    }

    fn create_form(&self, form: &trove_store::FormRecord) -> StoreResult<()> {
        forms::create(&mut *self.pool.get()?, form)
    }

    fn form(&self, id: &str) -> StoreResult<Option<trove_store::FormRecord>> {
        forms::one(&mut *self.pool.get()?, id)
    }

    fn forms(&self) -> StoreResult<Vec<trove_store::FormRecord>> {
        forms::list(&mut *self.pool.get()?)
    }

    fn close_form(&self, id: &str, at: i64) -> StoreResult<bool> {
        forms::close(&mut *self.pool.get()?, id, at)
    }

    fn form_import_run(&self, id: &str, day: &str, at: i64) -> StoreResult<i64> {
        forms::day_run(&mut *self.pool.get()?, id, day, at)
    }

    fn add_to_import_run(&self, run: i64, totals: &ImportTotals, at: i64) -> StoreResult<()> {
        forms::add_to_run(&mut *self.pool.get()?, run, totals, at)
    }

    fn create_api_token(&self, token: &trove_store::NewApiToken) -> StoreResult<i64> {
        tokens::create(&mut *self.pool.get()?, token)
    }

    fn api_tokens(&self) -> StoreResult<Vec<trove_store::ApiToken>> {
        tokens::list(&mut *self.pool.get()?)
    }

    fn api_token_by_hash(&self, secret_hash: &str) -> StoreResult<Option<trove_store::ApiToken>> {
        tokens::by_hash(&mut *self.pool.get()?, secret_hash)
    }

    fn touch_api_token(&self, id: i64, at: i64) -> StoreResult<()> {
        tokens::touch(&mut *self.pool.get()?, id, at)
    }

    fn revoke_api_token(&self, id: i64, at: i64) -> StoreResult<bool> {
        tokens::revoke(&mut *self.pool.get()?, id, at)
    }

    fn rotate_api_token(&self, id: i64, secret_hash: &str, at: i64) -> StoreResult<bool> {
        tokens::rotate(&mut *self.pool.get()?, id, secret_hash, at)
    }

    fn feedback_items(&self, ids: &[i64]) -> StoreResult<Vec<trove_store::ListedItem>> {
        items::by_ids(&mut *self.pool.get()?, ids)
    }

    fn add_artifact(&self, artifact: &trove_store::NewArtifact) -> StoreResult<i64> {
        artifacts::add(&mut *self.pool.get()?, artifact)
    }

    fn artifacts(
        &self,
        target: Option<&trove_store::ArtifactTarget>,
    ) -> StoreResult<Vec<trove_store::Artifact>> {
        artifacts::list(&mut *self.pool.get()?, target)
    }

    fn artifact_content(&self, id: i64) -> StoreResult<Option<(trove_store::Artifact, Vec<u8>)>> {
        artifacts::content(&mut *self.pool.get()?, id)
    }

    fn remove_artifact(&self, id: i64) -> StoreResult<bool> {
        artifacts::remove(&mut *self.pool.get()?, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_literally() {
        assert_eq!(quote_ident("trove_test_1"), "\"trove_test_1\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn an_unparsable_url_is_an_open_error_without_the_password() {
        let error =
            PostgresStore::open("postgres://trove:hunter2@localhost:notaport/db").unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, StoreError::Open { .. }), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.contains("postgres://trove@localhost:notaport/db"),
            "{message}"
        );
    }
}
