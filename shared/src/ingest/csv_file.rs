//! usage.csv ingestion: a blocking parser thread feeds bounded batches through a channel to
//! the async writer, so parsing overlaps with the database's work and memory stays flat.

use std::collections::BTreeSet;
use std::io::Read;

use tokio::sync::mpsc;

use super::{IngestError, IngestReport};
use crate::csv::{HeaderError, Row, UsageCsvReader};
use crate::db::{DbError, Pool};
use crate::model::{CostStatus, LlmCall};
use crate::store::{finish_ingest_run, start_ingest_run, upsert_llm_calls, IngestRunOutcome};

/// Distinct unknown model names kept for the report.
const MAX_UNKNOWN_MODELS: usize = 50;
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

/// Tuning and hooks.
pub struct IngestOptions {
    /// Records per transaction.
    pub batch_rows: usize,
    /// Called after each committed batch.
    pub progress: Option<Progress>,
}

struct Batch {
    calls: Vec<LlmCall>,
    rejects: Vec<(u64, String)>,
    first_line: u64,
    last_line: u64,
    bytes: u64,
}

/// Reads `input` as usage.csv and upserts its calls in transactions of at most
/// `opts.batch_rows` records. Returns the report, also stored in `ingest_runs`. On a database
/// error the batches before the failing one stay committed (re-running is idempotent).
pub async fn ingest_usage_csv<R: Read + Send + 'static>(
    pool: &Pool,
    input: R,
    source: &SourceInfo,
    mut opts: IngestOptions,
) -> Result<IngestReport, IngestError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let run_id = start_ingest_run(
        &**client,
        &source.kind,
        &source.uri,
        source.version.as_deref(),
    )
    .await?;

    let batch_rows = opts.batch_rows.max(1);
    let (tx, mut rx) = mpsc::channel::<Result<Batch, HeaderError>>(CHANNEL_DEPTH);
    let parser = tokio::task::spawn_blocking(move || parse_into(input, batch_rows, tx));

    let mut report = IngestReport {
        ingest_run_id: Some(run_id),
        ..IngestReport::default()
    };
    let mut unknown = BTreeSet::new();
    let mut failure: Option<IngestError> = None;
    while let Some(msg) = rx.recv().await {
        let batch = match msg {
            Ok(b) => b,
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        };
        match upsert_llm_calls(&mut **client, &batch.calls).await {
            Ok(counts) => report.add_counts(counts),
            Err(source) => {
                failure = Some(IngestError::Database {
                    source,
                    lines: Some((batch.first_line, batch.last_line)),
                });
                break;
            }
        }
        for (line, reason) in batch.rejects {
            report.add_reject(line, reason);
        }
        for call in &batch.calls {
            match call.cost.status {
                CostStatus::UnknownModel => {
                    report.unpriced_rows += 1;
                    if unknown.len() < MAX_UNKNOWN_MODELS {
                        unknown.insert(call.model.clone());
                    }
                }
                _ => report.cost_usd += call.cost.usd.unwrap_or(0.0),
            }
        }
        if let Some(p) = opts.progress.as_mut() {
            p(batch.bytes, report.rows_read);
        }
    }
    // Dropping the receiver stops the parser at its next send.
    drop(rx);
    let _ = parser.await;
    report.unknown_models = unknown.into_iter().collect();
    report.cost_usd = (report.cost_usd * 1e8).round() / 1e8;

    let (outcome, error_text) = match &failure {
        None => (IngestRunOutcome::Succeeded, None),
        Some(e) => (IngestRunOutcome::Failed, Some(e.to_string())),
    };
    // Bookkeeping after a database failure may fail too; the original error matters more.
    let finished =
        finish_ingest_run(&**client, run_id, &report, outcome, error_text.as_deref()).await;
    match failure {
        Some(e) => Err(e),
        None => finished.map(|_| report).map_err(IngestError::from),
    }
}

fn parse_into<R: Read>(input: R, batch_rows: usize, tx: mpsc::Sender<Result<Batch, HeaderError>>) {
    let mut reader = match UsageCsvReader::new(input) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.blocking_send(Err(e));
            return;
        }
    };
    let new_batch = || Batch {
        calls: Vec::with_capacity(batch_rows),
        rejects: Vec::new(),
        first_line: 0,
        last_line: 0,
        bytes: 0,
    };
    let mut batch = new_batch();
    let mut n = 0usize;
    while let Some(row) = reader.next() {
        let line = match row {
            Ok(Row::Call { line, call }) => {
                batch.calls.push(call);
                line
            }
            Ok(Row::Reject { line, reason }) => {
                batch.rejects.push((line, reason));
                line
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        if n == 0 {
            batch.first_line = line;
        }
        batch.last_line = line;
        n += 1;
        if n == batch_rows {
            batch.bytes = reader.bytes_read();
            if tx
                .blocking_send(Ok(std::mem::replace(&mut batch, new_batch())))
                .is_err()
            {
                return;
            }
            n = 0;
        }
    }
    if n > 0 {
        batch.bytes = reader.bytes_read();
        let _ = tx.blocking_send(Ok(batch));
    }
}
