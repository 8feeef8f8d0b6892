//! Ingesting many local JSONL files as one run: files are read on several threads (each
//! file by one, so its lines keep their order), one writer merges their batches into large
//! transactions, and each file's mark is stored once its records are committed, so a
//! re-run reads only what is new.

mod local;
mod mark;
mod read;
mod report;
mod walk;

pub use local::{read_new_calls, NewCalls};
pub use mark::ReadMark;
pub use read::FileStatus;
pub use report::{FileReport, TreeReport, MAX_REJECTS_PER_FILE};
pub use walk::{default_trees, expand, is_log_name, Tree, WalkError};

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_postgres::Client;

use self::read::{read_file, FileEnd, FileJob, Msg};
use super::parse::Records;
use super::tally::CostTally;
use super::write::{write_batch, WriteFailure};
use super::{finish_ingest_run, record_progress, start_ingest_run, IngestRunOutcome};
use super::{Format, IngestError, IngestReport, RejectedRow};
use crate::db::{DbError, Pool};
use crate::failure::Retryable;
use crate::pricing::load_price_book;

/// Tuning of a tree ingestion.
#[derive(Debug, Clone)]
pub struct TreeOptions {
    /// Records per transaction (batches of several files are merged up to this).
    pub batch_rows: usize,
    /// Reading threads (at least 1).
    pub threads: usize,
    /// Skip unchanged files and read only the tails of grown ones (`false`: read all whole).
    pub incremental: bool,
    /// Keys of stored calls kept in memory for the run's cost before they move to a
    /// temporary table (memory stays bounded whatever the number of calls).
    pub keys_in_memory: usize,
}

impl TreeOptions {
    /// `batch_rows` per transaction, a thread per core, incremental.
    pub fn new(batch_rows: usize) -> Self {
        TreeOptions {
            batch_rows,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            incremental: true,
            keys_in_memory: super::tally::KEYS_IN_MEMORY,
        }
    }
}

/// Ingests `files` (JSONL, `.gz` decompressed) as one run, recorded in `ingest_runs` with
/// `uri`. Every line of every file is counted in the file's report and the run's. On a
/// database error the merged batches before the failing one stay committed, and the files
/// whose records were all committed keep their marks (a re-run adds only what is missing).
pub async fn ingest_tree(
    pool: &Pool,
    files: &[PathBuf],
    uri: &str,
    opts: TreeOptions,
) -> Result<TreeReport, IngestError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let prices = load_price_book(&**client).await?;
    let run_id = start_ingest_run(
        &**client,
        "jsonl",
        uri,
        Some(&format!("files={}", files.len())),
    )
    .await?;
    let keys: Vec<String> = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    // A path that is not UTF-8 has no mark: two such names could read the same once made
    // text, and two files must never share one. Such a file is always read whole.
    let mark_keys: Vec<Option<String>> = files
        .iter()
        .map(|p| p.to_str().map(str::to_string))
        .collect();
    let marks = if opts.incremental {
        let known: Vec<String> = mark_keys.iter().flatten().cloned().collect();
        mark::load(&**client, &known).await?
    } else {
        Default::default()
    };

    let threads = opts.threads.max(1).min(files.len().max(1));
    let (tx, mut rx) = mpsc::channel::<Msg>(threads * 2);
    let next = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new((files.to_vec(), mark_keys.clone(), marks));
    let batch_rows = opts.batch_rows.max(1);
    let mut readers = Vec::with_capacity(threads);
    let runtime = tokio::runtime::Handle::current();
    for _ in 0..threads {
        let (tx, next, shared, prices) = (tx.clone(), next.clone(), shared.clone(), prices.clone());
        let (pool, runtime) = (pool.clone(), runtime.clone());
        readers.push(tokio::task::spawn_blocking(move || {
            let (files, keys, marks) = &*shared;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let key = keys[i].as_deref();
                let last = key.and_then(|k| marks.get(k));
                // Only a resumed file needs its saved state; without it the file is read whole.
                let saved = || {
                    runtime.block_on(async {
                        let client = pool.get().await.ok()?;
                        let key = key?;
                        mark::load_state(&**client, key).await.ok().flatten()
                    })
                };
                let job = FileJob {
                    index: i,
                    path,
                    last,
                    saved_state: &saved,
                    prices: &prices,
                    batch_rows,
                    tx: &tx,
                };
                if !read_file(&job) {
                    break;
                }
            }
        }));
    }
    drop(tx);

    let mut w = Writer {
        run_id,
        total: IngestReport {
            ingest_run_id: Some(run_id),
            ..IngestReport::default()
        },
        files: keys.iter().cloned().map(FileReport::new).collect(),
        tally: CostTally::for_format(Format::Jsonl).keys_in_memory(opts.keys_in_memory),
        pending: Records::default(),
        origin: Vec::new(),
        waiting: Vec::new(),
    };
    let mut failure: Option<IngestError> = None;
    while let Some(msg) = rx.recv().await {
        let result = match msg {
            Msg::Batch { file, batch } => {
                w.take(file, batch);
                if w.pending.len() >= batch_rows {
                    w.flush(&mut client).await
                } else {
                    Ok(())
                }
            }
            Msg::Done { file, end } => {
                w.done(file, mark_keys[file].as_deref(), end);
                Ok(())
            }
        };
        if let Err(e) = result {
            failure = Some(e);
            break;
        }
    }
    if failure.is_none() {
        failure = w.flush(&mut client).await.err();
    }
    // Dropping the receiver stops the readers at their next send.
    drop(rx);
    for r in readers {
        let _ = r.await;
    }
    let lost = matches!(&failure, Some(e) if e.is_retryable());
    let Writer {
        mut total,
        files,
        tally,
        ..
    } = w;
    if !lost {
        if let Err(e) = tally.finish(&**client, &mut total).await {
            failure = failure.or(Some(e.into()));
        }
    }
    let (outcome, error_text) = match &failure {
        None => (IngestRunOutcome::Succeeded, None),
        Some(e) => (IngestRunOutcome::Failed, Some(e.to_string())),
    };
    let finished =
        finish_ingest_run(&**client, run_id, &total, outcome, error_text.as_deref()).await;
    match failure {
        Some(e) => Err(e),
        None => finished
            .map(|_| TreeReport::from_files(total, files))
            .map_err(IngestError::from),
    }
}

/// The writer's side: merged records not yet written, and every count.
struct Writer {
    run_id: i64,
    total: IngestReport,
    files: Vec<FileReport>,
    tally: CostTally,
    /// Records of several files' batches; a record's line is `batch << 32 | line`.
    pending: Records,
    /// Per merged batch: its file, and how many records it holds.
    origin: Vec<(usize, u64)>,
    /// Files read to the end whose records are pending: their marks wait for the commit.
    waiting: Vec<(String, ReadMark)>,
}

/// Lines of one file above this cannot be told apart in a merged batch.
const LINE_BITS: u32 = 32;

impl Writer {
    /// Counts what the parser decided for `batch` of file `file`, and queues its records.
    fn take(&mut self, file: usize, batch: super::parse::Batch) {
        let f = &mut self.files[file];
        f.duplicates += batch.duplicates;
        f.skipped += batch.skipped;
        f.rows_read += batch.duplicates + batch.skipped;
        self.total
            .add_parser_counts(batch.duplicates, batch.skipped);
        for reject in batch.rejects {
            self.total.rejected += 1;
            self.total.rows_read += 1;
            f.add_reject(reject);
        }
        let seq = self.origin.len() as u64;
        self.origin.push((file, batch.records.len() as u64));
        self.pending
            .append(batch.records, move |line| (seq << LINE_BITS) | line);
    }

    fn done(&mut self, file: usize, key: Option<&str>, end: FileEnd) {
        let f = &mut self.files[file];
        f.status = end.status;
        f.bytes = end.bytes;
        f.cut_short = end.cut_short;
        f.error = end.error;
        if let (Some(key), Some(c)) = (key, end.mark) {
            self.waiting.push((key.to_string(), c));
        }
    }

    /// Writes the pending records in one transaction (isolating any the database refuses),
    /// then stores the marks of the files they completed.
    async fn flush(&mut self, client: &mut Client) -> Result<(), IngestError> {
        let records = std::mem::take(&mut self.pending);
        let origin = std::mem::take(&mut self.origin);
        if !records.view().is_empty() {
            let written = match write_batch(client, records.view()).await {
                Ok(w) => w,
                Err(WriteFailure {
                    written, source, ..
                }) => {
                    self.total.add_counts(written.counts);
                    return Err(IngestError::Database {
                        source,
                        lines: None,
                    });
                }
            };
            self.total.add_counts(written.counts);
            for (file, n) in &origin {
                self.files[*file].stored += n;
                self.files[*file].rows_read += n;
            }
            let mut refused = BTreeSet::new();
            for r in written.rejects {
                refused.insert(r.line);
                let (file, _) = origin[(r.line >> LINE_BITS) as usize];
                let f = &mut self.files[file];
                // Counted as stored above; it is a reject instead.
                f.stored -= 1;
                f.rows_read -= 1;
                f.add_reject(RejectedRow {
                    line: r.line & ((1 << LINE_BITS) - 1),
                    ..r
                });
                self.total.rejected += 1;
                self.total.rows_read += 1;
            }
            let calls = &records.calls;
            for (call, line) in calls.items.iter().zip(&calls.lines) {
                if !refused.contains(line) {
                    self.tally.add(call);
                }
            }
            self.tally.spill_if_full(&*client).await?;
        }
        let waiting = std::mem::take(&mut self.waiting);
        mark::save(&*client, self.run_id, &waiting).await?;
        if let Err(e) = record_progress(&*client, self.run_id, &self.total).await {
            tracing::warn!(error = %e, run_id = self.run_id, "could not record the run's progress");
        }
        Ok(())
    }
}
