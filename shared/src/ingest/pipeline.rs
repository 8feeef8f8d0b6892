//! The writer side of an ingestion: batches from the parser thread are upserted, each in its
//! own transaction, while the next is parsed; every record is counted, the run recorded in
//! `ingest_runs`.

use crate::failure::Retryable;
use std::collections::BTreeSet;
use std::io::Read;

use tokio::sync::mpsc;

use super::coverage::ingest_coverage;
use super::format::{FileKind, Format};
use super::parse::{parse_into, Batch};
use super::tally::CostTally;
use super::write::{write_batch, WriteFailure};
use super::{finish_ingest_run, record_progress, start_ingest_run, IngestRunOutcome};
use super::{IngestError, IngestReport, RejectedRow};
use crate::csv::{HeaderError, DEFAULT_MAX_LINE_BYTES};
use crate::db::{DbError, Pool};
use crate::pricing::load_price_book;

/// Batches parsed ahead of the writer.
const CHANNEL_DEPTH: usize = 2;

/// Identifies the source in `ingest_runs`.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// Source kind, e.g. `usage_csv`.
    pub kind: String,
    /// Path or URI.
    pub uri: String,
    /// Version marker (size, ETag, ...).
    pub version: Option<String>,
}

/// Progress callback: bytes consumed and records read so far.
pub type Progress = Box<dyn FnMut(u64, u64) + Send>;
/// Called with every rejected record (the report keeps only the first ones).
pub type RejectSink = Box<dyn FnMut(&RejectedRow) + Send>;

/// Tuning and hooks.
pub struct IngestOptions {
    /// Records per transaction.
    pub batch_rows: usize,
    /// Longest usage.csv line (or quoted multi-line record): longer ones are rejected by
    /// number, and memory stays bounded by it (`INGEST_MAX_LINE_BYTES`, default 1 MiB).
    pub max_line_bytes: usize,
    /// Called after each committed batch.
    pub progress: Option<Progress>,
    /// Called for each reject, in order.
    pub on_reject: Option<RejectSink>,
}

impl IngestOptions {
    /// `batch_rows` per transaction, no hooks.
    pub fn new(batch_rows: usize) -> Self {
        Self {
            batch_rows,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            progress: None,
            on_reject: None,
        }
    }
}

/// Reads `input` as usage.csv (see [`ingest_file`]).
pub async fn ingest_usage_csv<R: Read + Send + 'static>(
    pool: &Pool,
    input: R,
    source: &SourceInfo,
    opts: IngestOptions,
) -> Result<IngestReport, IngestError> {
    let kind = FileKind {
        format: Format::UsageCsv,
        gzip: false,
    };
    ingest_file(pool, input, kind, source, opts).await
}

/// Reads `input` as `kind` and upserts its records in transactions of at most
/// `opts.batch_rows` lines. Returns the report, also stored in `ingest_runs`. On a database
/// error the batches before the failing one stay committed (re-running is idempotent).
pub async fn ingest_file<R: Read + Send + 'static>(
    pool: &Pool,
    input: R,
    kind: FileKind,
    source: &SourceInfo,
    mut opts: IngestOptions,
) -> Result<IngestReport, IngestError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    // Read once per ingestion: a price edited mid-file applies from the next one on.
    let prices = load_price_book(&**client).await?;
    let run_id = start_ingest_run(
        &**client,
        &source.kind,
        &source.uri,
        source.version.as_deref(),
    )
    .await?;

    if let Format::Coverage(format) = kind.format {
        let mut report = IngestReport {
            ingest_run_id: Some(run_id),
            ..IngestReport::default()
        };
        let result =
            ingest_coverage(&**client, input, kind, format, &source.uri, &mut report).await;
        return finish(&**client, run_id, report, result.err()).await;
    }
    let batch_rows = opts.batch_rows.max(1);
    let max_line = opts.max_line_bytes;
    let (tx, mut rx) = mpsc::channel::<Result<Batch, HeaderError>>(CHANNEL_DEPTH);
    let parser = tokio::task::spawn_blocking(move || {
        parse_into(
            kind.format,
            kind.reader(input),
            prices,
            batch_rows,
            max_line,
            tx,
        )
    });

    let mut report = IngestReport {
        ingest_run_id: Some(run_id),
        ..IngestReport::default()
    };
    let mut tally = CostTally::for_format(kind.format);
    let mut failure: Option<IngestError> = None;
    while let Some(msg) = rx.recv().await {
        let batch = match msg {
            Ok(b) => b,
            // Damaged bytes after the start: what came before is stored, and the report
            // says where the file broke. A transport error is retried instead.
            Err(e @ HeaderError::Corrupt(_)) if report.rows_read > 0 => {
                report.cut_short = Some(format!(
                    "{e}; the {} records before it were read",
                    report.rows_read
                ));
                break;
            }
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        };
        let written = write_batch(&mut client, batch.records.view()).await;
        let (written, stop) = match written {
            Ok(w) => (w, None),
            Err(WriteFailure {
                written,
                source,
                lines,
            }) => (written, Some(IngestError::Database { source, lines })),
        };
        report.add_counts(written.counts);
        let refused: BTreeSet<u64> = written.rejects.iter().map(|r| r.line).collect();
        let mut rejects = batch.rejects;
        if !written.rejects.is_empty() {
            rejects.extend(written.rejects);
            rejects.sort_by_key(|r| r.line);
        }
        if let Some(e) = stop {
            failure = Some(e);
            break;
        }
        report.add_parser_counts(batch.duplicates, batch.skipped);
        for reject in rejects {
            if let Some(sink) = opts.on_reject.as_mut() {
                sink(&reject);
            }
            report.add_reject(reject);
        }
        let calls = &batch.records.calls;
        for (call, line) in calls.items.iter().zip(&calls.lines) {
            if refused.contains(line) {
                continue;
            }
            tally.add(call);
        }
        if let Err(e) = tally.spill_if_full(&**client).await {
            failure = Some(e.into());
            break;
        }
        if let Err(e) = record_progress(&**client, run_id, &report).await {
            // The batch is committed; the next write or the final record reports the outage.
            tracing::warn!(error = %e, run_id, "could not record the run's progress");
        }
        if let Some(p) = opts.progress.as_mut() {
            p(batch.bytes, report.rows_read);
        }
    }
    // Dropping the receiver stops the parser at its next send.
    drop(rx);
    let _ = parser.await;
    // The cost of what the file stored. Not after losing the database: the run fails
    // either way, and a second wait for a connection that is gone would only delay saying so.
    let lost = matches!(&failure, Some(e) if e.is_retryable());
    if !lost {
        if let Err(e) = tally.finish(&**client, &mut report).await {
            failure = failure.or(Some(e.into()));
        }
    }

    finish(&**client, run_id, report, failure).await
}

/// Records how ingestion `run_id` ended; returns the report, or the failure that stopped it.
async fn finish(
    client: &impl tokio_postgres::GenericClient,
    run_id: i64,
    report: IngestReport,
    failure: Option<IngestError>,
) -> Result<IngestReport, IngestError> {
    let (outcome, error_text) = match &failure {
        None => (IngestRunOutcome::Succeeded, report.cut_short.clone()),
        Some(e) => (IngestRunOutcome::Failed, Some(e.to_string())),
    };
    // Bookkeeping after a database failure may fail too; the original error matters more.
    let finished = finish_ingest_run(client, run_id, &report, outcome, error_text.as_deref()).await;
    match failure {
        Some(e) => Err(e),
        None => finished.map(|_| report).map_err(IngestError::from),
    }
}
