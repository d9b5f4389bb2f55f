//! Importing feedback and customers from files: parse on this thread, store on another.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc;

use serde::Serialize;
use thiserror::Error;
use trove_domain::FeedbackItem;
use trove_ingest::{
    CustomerMapping, FileError, Mapping, RawRecord, ReadOptions, RejectedWriter, RowError,
};
use trove_store::{
    ImportHold, ImportStatus, ImportTotals, InsertOutcome, NewImportRun, RuleTag, Store, StoreError,
};

use crate::import_stages::{ImportStages, StageClock, StageTime};
use crate::{App, Progress};

/// How to import, beyond the mapping.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// How to read the file (masking of personal data, field size limit, import time).
    pub read: ReadOptions,
    /// Stop after more than this many rejected rows (what was stored before stays stored).
    pub max_errors: Option<u64>,
    /// How many row errors the report lists (all are counted).
    pub errors_listed: usize,
    /// Items per transaction.
    pub batch_size: usize,
    /// Refuse a file most of whose first rows are bad, before storing anything (`None`: never).
    pub sanity_stop: Option<SanityStop>,
    /// Overwrite the stored items of the same source and id from the file, instead of
    /// counting them as duplicates.
    pub replace: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            max_errors: None,
            errors_listed: 100,
            batch_size: 5_000,
            sanity_stop: Some(SanityStop::default()),
            replace: false,
        }
    }
}

/// When a file is refused as mostly bad: more than `max_bad_share` of its first `rows` data
/// rows (of all its rows, when it has fewer) were rejected. Nothing is stored until the first
/// `rows` rows are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SanityStop {
    /// How many first rows are judged.
    pub rows: u64,
    /// The share of them that may be rejected (0.5: at most half).
    pub max_bad_share: f64,
}

impl Default for SanityStop {
    fn default() -> Self {
        Self {
            rows: 1_000,
            max_bad_share: 0.5,
        }
    }
}

/// One reason rows were rejected for, with how many and a first example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectReason {
    /// The reason, its quoted values left out so that like errors group together.
    pub reason: String,
    /// How many of the judged rows were rejected for it.
    pub rows: u64,
    /// The first such row.
    pub example: RowErrorEntry,
    /// That row's content, shortened.
    pub example_row: String,
}

/// One rejected row, for a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowErrorEntry {
    /// The file.
    pub file: String,
    /// Its line (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// Why it was rejected.
    pub reason: String,
}

impl From<&RowError> for RowErrorEntry {
    fn from(error: &RowError) -> Self {
        Self {
            file: error.file.clone(),
            line: error.line,
            column: error.column.clone(),
            reason: error.kind.to_string(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The file as named.
    pub file: String,
    /// The recorded import run.
    pub import_run: i64,
    /// Completed, aborted (too many errors, or reading stopped before the end of the file),
    /// refused (mostly bad rows, nothing stored) or failed (the store failed).
    pub status: ImportStatus,
    /// Why it stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted_because: Option<String>,
    /// For a refused file: the commonest reasons its rows were rejected, most frequent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top_reasons: Vec<RejectReason>,
    /// Data rows read.
    pub rows: u64,
    /// Items (or customers) stored now.
    pub imported: u64,
    /// Feedback already stored (same source and id); customers updated.
    pub duplicates: u64,
    /// Stored feedback overwritten from the file (`replace`).
    pub replaced: u64,
    /// Rows refused.
    pub rejected: u64,
    /// The first row errors (at most `errors_listed`).
    pub errors: Vec<RowErrorEntry>,
    /// All row errors (= `rejected`).
    pub errors_total: u64,
    /// What the import decided or skipped on its own (the order of day and month of the
    /// dates, rows that are not data), each a sentence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the time went, stage by stage (feedback imports; for `trove bench import`).
    #[serde(skip)]
    pub stages: ImportStages,
}

/// Why an import failed as a whole.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file could not be read at all (nothing was imported).
    #[error(transparent)]
    File(#[from] FileError),
    /// The store failed before anything was read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store failed during the import; batches stored before stay stored.
    #[error(
        "{source}; import run {import_run} stored {stored} items before that, which stay stored (`trove imports` shows it)"
    )]
    StoreFailed {
        /// The run.
        import_run: i64,
        /// Items stored (committed) before the failure.
        stored: u64,
        /// What failed.
        source: Box<StoreError>,
    },
    /// The rejected-rows file could not be written.
    #[error("cannot write the rejected rows: {0}")]
    Rejected(std::io::Error),
}

/// Counts rows and errors as they come, and decides when to stop.
struct Tally<'a, W: Write> {
    report: ImportReport,
    options: &'a ImportOptions,
    rejected_out: Option<RejectedWriter<W>>,
    /// Holds the run for this process until the tally is dropped.
    hold: ImportHold,
    /// While the first rows are judged (see [`SanityStop`]): rejections grouped by reason.
    judging: Option<BTreeMap<String, RejectReason>>,
}

impl<'a, W: Write> Tally<'a, W> {
    /// Records the start of an import (kind `feedback` or `customers`) and an empty report.
    fn begin(
        store: &dyn Store,
        kind: &str,
        source: &str,
        file: &str,
        options: &'a ImportOptions,
        rejected_out: Option<RejectedWriter<W>>,
    ) -> Result<Self, StoreError> {
        let hold = store.start_import(&NewImportRun {
            kind: kind.to_owned(),
            source: source.to_owned(),
            file: file.to_owned(),
            started_at: jiff::Timestamp::now().as_second(),
        })?;
        Ok(Self {
            report: new_report(file, hold.id()),
            options,
            rejected_out,
            hold,
            judging: options.sanity_stop.map(|_| BTreeMap::new()),
        })
    }

    /// Records a bad row; returns false when the import must stop.
    fn reject(&mut self, error: &RowError) -> Result<bool, ImportError> {
        let report = &mut self.report;
        report.rejected += 1;
        report.errors_total += 1;
        if report.errors.len() < self.options.errors_listed {
            report.errors.push(error.into());
        }
        if let Some(reasons) = &mut self.judging {
            let entry = RowErrorEntry::from(error);
            reasons
                .entry(reason_key(&entry))
                .or_insert_with_key(|reason| RejectReason {
                    reason: reason.clone(),
                    rows: 0,
                    example_row: row_preview(&error.raw, self.options.read.mask_pii),
                    example: entry,
                })
                .rows += 1;
        }
        if let Some(out) = &mut self.rejected_out {
            out.write(error).map_err(ImportError::Rejected)?;
        }
        // The rows after this one were never read: the import did not complete.
        if error.kind.stops_reading() {
            report.status = ImportStatus::Aborted;
            report.aborted_because = Some(format!(
                "reading stopped at {}:{}: {}; the rows after it were not read",
                error.file, error.line, error.kind
            ));
            return Ok(false);
        }
        if let Some(max) = self.options.max_errors
            && report.rejected > max
        {
            report.status = ImportStatus::Aborted;
            report.aborted_because = Some(format!(
                "more than {max} rows were rejected (--max-errors); rows stored so far stay stored"
            ));
            return Ok(false);
        }
        Ok(true)
    }

    /// Whether the first rows were all read and are to be judged now.
    fn judge_due(&self) -> bool {
        self.judging.is_some()
            && self
                .options
                .sanity_stop
                .is_some_and(|stop| self.report.rows >= stop.rows)
    }

    /// Whether rows may go to the store: once the first rows are judged (and found fine).
    fn judged(&self) -> bool {
        self.judging.is_none() && self.report.status != ImportStatus::Refused
    }

    /// Judges the rows read so far, once; returns true when the file is refused (then nothing
    /// may be stored).
    fn judge(&mut self) -> bool {
        let (Some(reasons), Some(stop)) = (self.judging.take(), self.options.sanity_stop) else {
            return self.report.status == ImportStatus::Refused;
        };
        let report = &mut self.report;
        if report.rows == 0 || (report.rejected as f64) <= stop.max_bad_share * report.rows as f64 {
            return false;
        }
        let mut reasons: Vec<RejectReason> = reasons.into_values().collect();
        reasons.sort_by(|a, b| {
            b.rows
                .cmp(&a.rows)
                .then(a.example.line.cmp(&b.example.line))
        });
        reasons.truncate(TOP_REASONS);
        report.status = ImportStatus::Refused;
        report.aborted_because = Some(format!(
            "{} of the first {} rows were rejected, more than {:.0}%: nothing was stored; fix the mapping or the file (or import anyway with --allow-mostly-bad)",
            grouped(report.rejected),
            grouped(report.rows),
            stop.max_bad_share * 100.0
        ));
        report.top_reasons = reasons;
        true
    }

    fn totals(&self) -> ImportTotals {
        ImportTotals {
            rows: self.report.rows,
            imported: self.report.imported,
            duplicates: self.report.duplicates,
            rejected: self.report.rejected,
            replaced: self.report.replaced,
        }
    }

    /// Records a run the store failed in the middle of, with what it stored before and why it
    /// ended (if the store can still record it: otherwise the run reads as interrupted, with
    /// its stored items counted).
    fn fail(&mut self, store: &dyn Store, error: StoreError) -> ImportError {
        self.report.status = ImportStatus::Failed;
        self.report.aborted_because = Some(format!("the store failed: {error}"));
        let _ = self.finish(store);
        ImportError::StoreFailed {
            import_run: self.hold.id(),
            stored: self.report.imported + self.report.replaced,
            source: Box::new(error),
        }
    }

    /// Records how the run ended, as the report says.
    fn finish(&self, store: &dyn Store) -> Result<(), StoreError> {
        let status = self.report.status;
        let reason = self.report.aborted_because.as_deref();
        store.finish_import(self.hold.id(), status, &self.totals(), reason)
    }
}

/// A count with its thousands separated (1,000), as people read counts.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// How many reasons a refusal lists.
const TOP_REASONS: usize = 5;

/// A reason with its quoted values left out, so that `unknown channel "Web"` and `unknown
/// channel "Phone"` count as one, prefixed by the column.
fn reason_key(entry: &RowErrorEntry) -> String {
    let mut key = String::new();
    if let Some(column) = &entry.column {
        key.push_str(&format!("column {column}: "));
    }
    let mut quoted = false;
    for c in entry.reason.chars() {
        match (c, quoted) {
            ('"', false) => {
                quoted = true;
                key.push_str("\"...\"");
            }
            ('"', true) => quoted = false,
            (_, true) => {}
            (c, false) => key.push(c),
        }
    }
    key
}

/// A rejected row's content on one line, at most 120 characters.
fn row_preview(raw: &RawRecord, mask_pii: bool) -> String {
    let text = match raw {
        RawRecord::Fields(fields) => fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect::<Vec<_>>()
            .join(","),
        RawRecord::Line(line) => String::from_utf8_lossy(line).into_owned(),
    };
    // The row is printed, not stored, but a terminal or a log is no place for personal data
    // either: it is masked as stored text would be.
    let text = if mask_pii {
        trove_ingest::pii::mask(&text).into_owned()
    } else {
        text
    };
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(120) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

impl App {
    /// Imports feedback from `reader` (named `file` in messages) through `mapping`.
    ///
    /// Good rows are stored in batches, one transaction each, while bad rows are counted,
    /// listed and (with `rejected`) written out for correction. A repeated import stores
    /// nothing new; an interrupted one, run again, completes.
    pub fn import_feedback<R: Read, W: Write>(
        &self,
        reader: R,
        file: &str,
        mapping: &Mapping,
        options: &ImportOptions,
        progress: &dyn Progress,
        rejected: Option<W>,
    ) -> Result<ImportReport, ImportError> {
        // Before the store sees anything: dates whose order the file does not show are refused.
        let decided = crate::date_order::decide(reader, file, mapping, &options.read)?;
        let mapping = decided.mapping.as_ref();
        let mut rows = trove_ingest::read_feedback(decided.input, file, mapping, &options.read)?;
        let store = self.store();
        let rejected_out = rejected.map(|out| rows.rejected_writer(out));
        let mut tally = Tally::begin(
            store,
            "feedback",
            mapping.source.as_str(),
            file,
            options,
            rejected_out,
        )?;
        let import_run = tally.report.import_run;
        let batch_size = options.batch_size.max(1);
        // With a taxonomy loaded, each stored batch is tagged too (a taxonomy stored by an
        // older version of Trove that no longer parses is skipped: `trove tag --all` reports it).
        let tagger = match self.current_tagger() {
            Ok(tagger) => tagger,
            Err(crate::TaxonomyLoadError::Store(error)) => return Err(error.into()),
            Err(_) => None,
        };
        let tagger = tagger.as_ref();
        // A mapping that declares its question sets the source's (re-tagging reads it too).
        if let (Some(question), Some(kind)) = (&mapping.question, mapping.question_kind) {
            self.set_source_question(mapping.source.as_str(), question, kind)?;
        }
        let mut scratch = self.text_scratch().map_err(|e| match e {
            crate::TaxonomyLoadError::Store(e) => ImportError::from(e),
            other => ImportError::from(StoreError::database("reading the sentiment models", other)),
        })?;
        // A pipeline of three threads, so that both cores stay busy: this one parses (and
        // masks), the next scores each item's sentiment and, with a taxonomy, tags it, and the
        // last stores. Each hand-over holds one batch at most: memory stays bounded whatever
        // the file's size.
        let (to_read, unread) = mpsc::sync_channel::<Vec<FeedbackItem>>(1);
        let (send, receive) = mpsc::sync_channel::<(Vec<FeedbackItem>, Vec<Vec<RuleTag>>)>(1);
        let replace = options.replace;
        let store_before = store.write_stages();
        store.begin_bulk_load()?;
        let outcome = std::thread::scope(|scope| {
            let writer = std::thread::Builder::new()
                .name("trove-writer".into())
                .spawn_scoped(scope, move || {
                    write_batches(store, receive, import_run, tagger, replace)
                })
                .expect("spawning an import thread");
            // A closed channel downstream (the writer failed) closes this one's too.
            let reader = std::thread::Builder::new()
                .name("trove-text".into())
                .spawn_scoped(scope, move || {
                    let lowered_priority = crate::import_stages::yield_to_the_writer();
                    let mut clock = StageClock::start();
                    for mut batch in unread {
                        let tags = clock.time(|| read_batch(tagger, &mut scratch, &mut batch));
                        if send.send((batch, tags)).is_err() {
                            break;
                        }
                    }
                    StageTime {
                        lowered_priority,
                        ..clock.finish()
                    }
                })
                .expect("spawning an import thread");
            let mut clock = StageClock::start();
            let started = std::time::Instant::now();
            let mut waited = std::time::Duration::ZERO;
            let read = (|| {
                let mut batch = Vec::with_capacity(batch_size);
                // Not a `for` loop: the progress report reads the reader between rows.
                while let Some(row) = rows.next() {
                    tally.report.rows += 1;
                    match row {
                        Ok(item) => batch.push(item),
                        Err(error) if tally.reject(&error)? => {}
                        Err(_) => break,
                    }
                    // Nothing goes to the store before the first rows are judged.
                    if tally.judge_due() && tally.judge() {
                        return Ok(());
                    }
                    if batch.len() >= batch_size && tally.judged() {
                        progress.set_done(rows.bytes_read());
                        // A closed channel means the writer failed; its error is reported below.
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                        let sending = std::time::Instant::now();
                        let sent = to_read.send(full);
                        waited += sending.elapsed();
                        if sent.is_err() {
                            return Ok(());
                        }
                    }
                }
                if !tally.judge() {
                    let sending = std::time::Instant::now();
                    let _ = to_read.send(batch);
                    waited += sending.elapsed();
                }
                progress.set_done(rows.bytes_read());
                Ok::<(), ImportError>(())
            })();
            drop(to_read);
            clock.add_busy(started.elapsed().saturating_sub(waited));
            let parsed = clock.finish();
            let read_stage = reader.join().unwrap_or_default();
            let written = writer.join().unwrap_or_else(|_| Written {
                outcome: InsertOutcome::default(),
                error: Some(StoreError::database("storing feedback", "writer panicked")),
                stage: StageTime::default(),
            });
            (read, written, [parsed, read_stage])
        });
        let (read, written, [parsed, read_stage]) = outcome;
        // The work set aside is done whatever happened (a failed end is the import's error
        // when nothing failed before it).
        let ended = store.end_bulk_load();
        tally.report.stages = ImportStages {
            parse: parsed,
            read: read_stage,
            store: written.stage,
            store_parts: store
                .write_stages()
                .zip(store_before)
                .map(|(after, before)| after.since(&before)),
        };
        // What committed counts, whatever happened next.
        tally.report.imported = written.outcome.inserted;
        tally.report.duplicates = written.outcome.duplicates;
        tally.report.replaced = written.outcome.replaced;
        if let Some(error) = written.error.or(ended.err()) {
            return Err(tally.fail(store, error));
        }
        let skipped = rows.skipped().iter().map(ToString::to_string);
        let unlisted = rows.skipped_total() - rows.skipped().len() as u64;
        let more = (unlisted > 0).then(|| format!("{unlisted} more rows skipped"));
        tally.report.notes = decided
            .note
            .into_iter()
            .chain(skipped)
            .chain(more)
            .collect();
        if let Err(error) = read {
            tally.report.status = ImportStatus::Failed;
            tally.report.aborted_because = Some(error.to_string());
            let _ = tally.finish(store);
            return Err(error);
        }
        if let Some(out) = tally.rejected_out.take() {
            out.finish().map_err(ImportError::Rejected)?;
        }
        tally.finish(store)?;
        Ok(tally.report)
    }

    /// Imports customers (new ones added, known ones updated by id).
    pub fn import_customers<R: Read, W: Write>(
        &self,
        reader: R,
        file: &str,
        mapping: &CustomerMapping,
        options: &ImportOptions,
        rejected: Option<W>,
    ) -> Result<ImportReport, ImportError> {
        let mut rows = trove_ingest::read_customers(reader, file, mapping, &options.read)?;
        let store = self.store();
        let rejected_out = rejected.map(|out| rows.rejected_writer(out));
        let mut tally = Tally::begin(store, "customers", "customers", file, options, rejected_out)?;
        let batch_size = options.batch_size.max(1);
        let mut batch = Vec::with_capacity(batch_size);
        let flush = |batch: &mut Vec<_>, report: &mut ImportReport| -> Result<(), StoreError> {
            let outcome = store.upsert_customers(batch)?;
            report.imported += outcome.inserted;
            report.duplicates += outcome.updated;
            batch.clear();
            Ok(())
        };
        for row in rows.by_ref() {
            tally.report.rows += 1;
            match row {
                Ok(customer) => batch.push(customer),
                Err(error) if tally.reject(&error)? => {}
                Err(_) => break,
            }
            // Nothing goes to the store before the first rows are judged.
            if tally.judge_due() && tally.judge() {
                break;
            }
            if batch.len() >= batch_size
                && tally.judged()
                && let Err(error) = flush(&mut batch, &mut tally.report)
            {
                return Err(tally.fail(store, error));
            }
        }
        if !tally.judge()
            && let Err(error) = flush(&mut batch, &mut tally.report)
        {
            return Err(tally.fail(store, error));
        }
        if let Some(out) = tally.rejected_out.take() {
            out.finish().map_err(ImportError::Rejected)?;
        }
        tally.finish(store)?;
        Ok(tally.report)
    }
}

fn new_report(file: &str, import_run: i64) -> ImportReport {
    ImportReport {
        file: file.to_owned(),
        import_run,
        status: ImportStatus::Completed,
        aborted_because: None,
        top_reasons: Vec::new(),
        rows: 0,
        imported: 0,
        duplicates: 0,
        replaced: 0,
        rejected: 0,
        errors: Vec::new(),
        errors_total: 0,
        notes: Vec::new(),
        stages: ImportStages::default(),
    }
}

/// Scores the sentiment of each item of a batch and, with a taxonomy, tags it: the tags of
/// `batch[i]` are the result's `[i]` (none without a tagger). Every way in (files, the web
/// form) reads text so.
pub(crate) fn read_batch(
    tagger: Option<&crate::CurrentTagger>,
    scratch: &mut crate::TextScratch,
    batch: &mut [FeedbackItem],
) -> Vec<Vec<RuleTag>> {
    let mut tags = Vec::with_capacity(if tagger.is_some() { batch.len() } else { 0 });
    for item in batch {
        scratch.set_source(item.source.as_str());
        match tagger {
            Some(tagger) => {
                let read = tagger.read(item.text.as_str(), scratch);
                item.sentiment = read.sentiment;
                item.suggestion = read.suggestion;
                tags.push(read.tags);
            }
            None => {
                item.sentiment = scratch.sentiment(item.text.as_str());
                item.suggestion = scratch.suggestion();
            }
        }
    }
    tags
}

/// Stores a batch read by [`read_batch`] in one transaction, as import run `import_run`.
pub(crate) fn store_batch(
    store: &dyn Store,
    batch: &[FeedbackItem],
    tags: &[Vec<RuleTag>],
    import_run: i64,
    tagger: Option<&crate::CurrentTagger>,
    replace: bool,
) -> Result<InsertOutcome, StoreError> {
    match tagger {
        _ if replace => store.replace_feedback(
            batch,
            Some(import_run),
            tagger.map(|tagger| (tags, tagger.version)),
        ),
        Some(tagger) => store.insert_tagged_feedback(batch, Some(import_run), tags, tagger.version),
        None => store.insert_feedback(batch, Some(import_run)),
    }
}

/// What the writer thread stored, and the error that stopped it, if one did.
struct Written {
    /// The batches committed.
    outcome: InsertOutcome,
    error: Option<StoreError>,
    /// The writer's time.
    stage: StageTime,
}

/// The writer thread: stores each batch in its own transaction until the channel closes or
/// the store fails, counting what each committed batch stored.
fn write_batches(
    store: &dyn Store,
    batches: mpsc::Receiver<(Vec<FeedbackItem>, Vec<Vec<RuleTag>>)>,
    import_run: i64,
    tagger: Option<&crate::CurrentTagger>,
    replace: bool,
) -> Written {
    let mut total = InsertOutcome::default();
    let mut clock = StageClock::start();
    for (batch, tags) in batches {
        let stored = clock.time(|| store_batch(store, &batch, &tags, import_run, tagger, replace));
        match stored {
            Ok(outcome) => {
                total.inserted += outcome.inserted;
                total.duplicates += outcome.duplicates;
                total.replaced += outcome.replaced;
            }
            Err(error) => {
                return Written {
                    outcome: total,
                    error: Some(error),
                    stage: clock.finish(),
                };
            }
        }
    }
    Written {
        outcome: total,
        error: None,
        stage: clock.finish(),
    }
}
