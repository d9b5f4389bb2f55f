//! Importing feedback and customers from files: parse on this thread, store on another.

use std::io::{Read, Write};
use std::sync::mpsc;

use serde::Serialize;
use thiserror::Error;
use trove_domain::FeedbackItem;
use trove_ingest::{CustomerMapping, FileError, Mapping, ReadOptions, RejectedWriter, RowError};
use trove_store::{ImportStatus, ImportTotals, NewImportRun, RuleTag, Store, StoreError};

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
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            max_errors: None,
            errors_listed: 100,
            batch_size: 5_000,
        }
    }
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
    /// Completed, or aborted (too many errors, or reading stopped before the end of the file).
    pub status: ImportStatus,
    /// Why it stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted_because: Option<String>,
    /// Data rows read.
    pub rows: u64,
    /// Items (or customers) stored now.
    pub imported: u64,
    /// Feedback already stored (same source and id); customers updated.
    pub duplicates: u64,
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
}

/// Why an import failed as a whole.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file could not be read at all (nothing was imported).
    #[error(transparent)]
    File(#[from] FileError),
    /// The store failed; batches stored before stay stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The rejected-rows file could not be written.
    #[error("cannot write the rejected rows: {0}")]
    Rejected(std::io::Error),
}

/// Counts rows and errors as they come, and decides when to stop.
struct Tally<'a, W: Write> {
    report: ImportReport,
    options: &'a ImportOptions,
    rejected_out: Option<RejectedWriter<W>>,
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
        let import_run = store.start_import(&NewImportRun {
            kind: kind.to_owned(),
            source: source.to_owned(),
            file: file.to_owned(),
            started_at: jiff::Timestamp::now().as_second(),
        })?;
        Ok(Self {
            report: new_report(file, import_run),
            options,
            rejected_out,
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

    fn totals(&self) -> ImportTotals {
        ImportTotals {
            rows: self.report.rows,
            imported: self.report.imported,
            duplicates: self.report.duplicates,
            rejected: self.report.rejected,
        }
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
            Err(crate::TaxonomyLoadError::Invalid(_)) => None,
        };
        let tagger = tagger.as_ref();
        // Two batches in flight at most: memory stays bounded whatever the file's size.
        // The reader scores each item's sentiment and, with a taxonomy, tags it before handing
        // the batch over (both are cheap next to parsing, and the writer is the busier thread).
        let (send, receive) = mpsc::sync_channel::<(Vec<FeedbackItem>, Vec<Vec<RuleTag>>)>(1);
        let mut scratch = crate::TextScratch::default();
        let mut tag = |mut batch: Vec<FeedbackItem>| {
            let mut tags = Vec::with_capacity(if tagger.is_some() { batch.len() } else { 0 });
            for item in &mut batch {
                match tagger {
                    Some(tagger) => {
                        let read = tagger.read(item.text.as_str(), &mut scratch);
                        item.sentiment = read.sentiment;
                        tags.push(read.tags);
                    }
                    None => item.sentiment = scratch.sentiment(item.text.as_str()),
                }
            }
            (batch, tags)
        };
        let outcome = std::thread::scope(|scope| {
            let writer = scope.spawn(move || write_batches(store, receive, import_run, tagger));
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
                    if batch.len() == batch_size {
                        progress.set_done(rows.bytes_read());
                        // A closed channel means the writer failed; its error is reported below.
                        if send
                            .send(tag(std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(batch_size),
                            )))
                            .is_err()
                        {
                            return Ok(());
                        }
                    }
                }
                let _ = send.send(tag(batch));
                progress.set_done(rows.bytes_read());
                Ok::<(), ImportError>(())
            })();
            drop(send);
            let written = writer.join().unwrap_or_else(|_| {
                Err(StoreError::database("storing feedback", "writer panicked"))
            });
            (read, written)
        });
        let (read, written) = outcome;
        let stored = match written {
            Ok(stored) => stored,
            Err(error) => {
                let _ = store.finish_import(import_run, ImportStatus::Aborted, &tally.totals());
                return Err(error.into());
            }
        };
        tally.report.imported = stored.inserted;
        tally.report.duplicates = stored.duplicates;
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
            let _ = store.finish_import(import_run, ImportStatus::Aborted, &tally.totals());
            return Err(error);
        }
        if let Some(out) = tally.rejected_out.take() {
            out.finish().map_err(ImportError::Rejected)?;
        }
        store.finish_import(import_run, tally.report.status, &tally.totals())?;
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
        let import_run = tally.report.import_run;
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
            if batch.len() == batch_size {
                flush(&mut batch, &mut tally.report)?;
            }
        }
        flush(&mut batch, &mut tally.report)?;
        if let Some(out) = tally.rejected_out.take() {
            out.finish().map_err(ImportError::Rejected)?;
        }
        store.finish_import(import_run, tally.report.status, &tally.totals())?;
        Ok(tally.report)
    }
}

fn new_report(file: &str, import_run: i64) -> ImportReport {
    ImportReport {
        file: file.to_owned(),
        import_run,
        status: ImportStatus::Completed,
        aborted_because: None,
        rows: 0,
        imported: 0,
        duplicates: 0,
        rejected: 0,
        errors: Vec::new(),
        errors_total: 0,
        notes: Vec::new(),
    }
}

/// The writer thread: stores each batch in its own transaction until the channel closes.
fn write_batches(
    store: &dyn Store,
    batches: mpsc::Receiver<(Vec<FeedbackItem>, Vec<Vec<RuleTag>>)>,
    import_run: i64,
    tagger: Option<&crate::CurrentTagger>,
) -> Result<trove_store::InsertOutcome, StoreError> {
    let mut total = trove_store::InsertOutcome::default();
    for (batch, tags) in batches {
        let outcome = match tagger {
            Some(tagger) => {
                store.insert_tagged_feedback(&batch, Some(import_run), &tags, tagger.version)?
            }
            None => store.insert_feedback(&batch, Some(import_run))?,
        };
        total.inserted += outcome.inserted;
        total.duplicates += outcome.duplicates;
    }
    Ok(total)
}
