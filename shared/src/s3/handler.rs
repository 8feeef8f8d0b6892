//! Processing one notification: every created object is ingested once per version, and each
//! ends as ingested, already ingested, skipped, rejected (permanent: recorded, not retried)
//! or failed (transient: the invocation fails so Lambda retries it).

use crate::failure::Retryable;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::Value;
use tokio_util::io::SyncIoBridge;

use super::event::{parse_notification, Notice, ObjectRef};
use super::manifest::{claim, finish, Claim, Finish, ObjectStatus};
use crate::db::{DbError, Pool};
use crate::ingest::{
    ingest_file, FileKind, IngestError, IngestOptions, IngestReport, RejectedRow, SourceInfo,
};
use crate::objects::{ObjectStore, StoreError, Version};

/// Settings of the S3 ingester.
#[derive(Debug, Clone)]
pub struct S3IngestConfig {
    /// Where rejects files go (`<prefix><key>.errors.jsonl`); keys under it are not ingested.
    pub rejects_prefix: String,
    /// Lines per transaction.
    pub batch_rows: usize,
    /// Longest usage.csv line (`INGEST_MAX_LINE_BYTES`, default 1 MiB).
    pub max_line_bytes: usize,
}

impl S3IngestConfig {
    /// `REJECTS_PREFIX` (default `rejected/`), `INGEST_BATCH_ROWS` (default 5000) and
    /// `INGEST_MAX_LINE_BYTES` (default 1 MiB).
    pub fn from_env() -> Self {
        Self {
            rejects_prefix: std::env::var("REJECTS_PREFIX").unwrap_or_else(|_| "rejected/".into()),
            batch_rows: std::env::var("INGEST_BATCH_ROWS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(crate::config::DEFAULT_BATCH_ROWS),
            max_line_bytes: crate::csv::max_line_bytes_from_env(),
        }
    }
}

crate::text_enum! {
    /// What happened to one object in an invocation (its line of the report).
    pub enum OutcomeStatus {
        /// Read and stored.
        Ingested => "ingested",
        /// This version was processed before: nothing done.
        AlreadyIngested => "already_ingested",
        /// Not ours to read (a rejects file, a folder marker).
        Skipped => "skipped",
        /// Unreadable for good; recorded, not retried.
        Rejected => "rejected",
        /// A transient failure; the invocation fails so Lambda retries it.
        Failed => "failed",
    }
}

/// What happened to one object.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectOutcome {
    /// Bucket.
    pub bucket: String,
    /// Decoded key.
    pub key: String,
    /// What happened.
    pub status: OutcomeStatus,
    /// Counts, when the object was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<IngestReport>,
    /// Where the rejected lines were written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_key: Option<String>,
    /// Why it was skipped, rejected or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What one invocation did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EventReport {
    /// One entry per created object.
    pub objects: Vec<ObjectOutcome>,
    /// Entries that were not object creations, with the reason.
    pub ignored: Vec<String>,
}

/// The invocation must fail so that Lambda retries it.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} objects failed with transient errors and will be retried: {first}")]
pub struct S3IngestError {
    /// Objects that failed.
    pub failed: usize,
    /// Objects in the event.
    pub total: usize,
    /// The first failure.
    pub first: String,
    /// Everything that happened, for the logs.
    pub report: EventReport,
}

impl Retryable for S3IngestError {
    /// Only transient failures fail an invocation (a bad file is recorded, not retried).
    fn is_retryable(&self) -> bool {
        true
    }

    fn boundary(&self) -> &'static str {
        "S3Ingest"
    }
}

/// The S3-triggered ingester: clients built once, shared by every invocation.
pub struct S3Ingest<S: ObjectStore> {
    pool: Pool,
    store: S,
    cfg: S3IngestConfig,
}

static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

enum Fail {
    Retry(String),
    Reject(String),
}

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        if e.is_retryable() {
            Fail::Retry(e.to_string())
        } else {
            Fail::Reject(e.to_string())
        }
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            Fail::Retry(e.to_string())
        } else {
            Fail::Reject(e.to_string())
        }
    }
}

impl<S: ObjectStore> S3Ingest<S> {
    /// An ingester writing to `pool` and reading from `store`.
    pub fn new(pool: Pool, store: S, cfg: S3IngestConfig) -> Self {
        Self { pool, store, cfg }
    }

    /// Processes every entry of a notification payload (S3 or EventBridge shape).
    pub async fn handle(&self, payload: &Value) -> Result<EventReport, S3IngestError> {
        let mut report = EventReport::default();
        for notice in parse_notification(payload) {
            match notice {
                Notice::Ignored { reason } => {
                    tracing::info!(%reason, "notification entry skipped");
                    report.ignored.push(reason);
                }
                Notice::Created(obj) => {
                    let outcome = self.object(&obj).await;
                    let r = outcome.report.as_ref();
                    tracing::info!(
                        bucket = %outcome.bucket,
                        key = %outcome.key,
                        status = outcome.status.as_str(),
                        rows_read = r.map(|r| r.rows_read),
                        inserted = r.map(|r| r.inserted),
                        updated = r.map(|r| r.updated),
                        duplicates = r.map(|r| r.duplicates),
                        rejected = r.map(|r| r.rejected),
                        skipped = r.map(|r| r.skipped),
                        reason = outcome.reason.as_deref(),
                        "object processed"
                    );
                    report.objects.push(outcome);
                }
            }
        }
        let failed: Vec<&ObjectOutcome> = report
            .objects
            .iter()
            .filter(|o| o.status == OutcomeStatus::Failed)
            .collect();
        if let Some(first) = failed.first() {
            return Err(S3IngestError {
                failed: failed.len(),
                total: report.objects.len(),
                first: format!(
                    "s3://{}/{}: {}",
                    first.bucket,
                    first.key,
                    first.reason.as_deref().unwrap_or("")
                ),
                report: report.clone(),
            });
        }
        Ok(report)
    }

    /// Ingests `s3://bucket/key` by hand (the operator CLI): its current ETag is looked up,
    /// then it is processed exactly as a notification for it would be.
    pub async fn ingest_key(&self, bucket: &str, key: &str) -> Result<ObjectOutcome, StoreError> {
        let etag = self.store.etag(bucket, key).await?;
        let obj = ObjectRef {
            bucket: bucket.into(),
            key: key.into(),
            etag,
            version_id: None,
            size: None,
        };
        Ok(self.object(&obj).await)
    }

    async fn object(&self, obj: &ObjectRef) -> ObjectOutcome {
        let mut out = ObjectOutcome {
            bucket: obj.bucket.clone(),
            key: obj.key.clone(),
            status: OutcomeStatus::Skipped,
            report: None,
            rejects_key: None,
            reason: None,
        };
        if obj.key.starts_with(&self.cfg.rejects_prefix) {
            out.reason = Some(format!(
                "under the rejects prefix {:?}",
                self.cfg.rejects_prefix
            ));
            return out;
        }
        if obj.key.ends_with('/') {
            out.reason = Some("folder marker".into());
            return out;
        }
        let etag = obj.etag.clone().unwrap_or_default();
        match self.process(obj, &etag, &mut out).await {
            Ok(()) => {}
            Err(Fail::Retry(reason)) => {
                out.status = OutcomeStatus::Failed;
                let status = ObjectStatus::Failed;
                self.record(obj, &etag, status, &out, Some(&reason)).await;
                out.reason = Some(reason);
            }
            Err(Fail::Reject(reason)) => {
                out.status = OutcomeStatus::Rejected;
                // A bookkeeping failure here is retried with the object next time.
                if !self
                    .record(obj, &etag, ObjectStatus::Rejected, &out, Some(&reason))
                    .await
                {
                    out.status = OutcomeStatus::Failed;
                }
                out.reason = Some(reason);
            }
        }
        out
    }

    /// Writes the manifest row; false when the database refused.
    async fn record(
        &self,
        obj: &ObjectRef,
        etag: &str,
        status: ObjectStatus,
        out: &ObjectOutcome,
        error: Option<&str>,
    ) -> bool {
        let result = async {
            let client = self.pool.get().await.map_err(DbError::from)?;
            let f = Finish {
                status,
                ingest_run_id: out.report.as_ref().and_then(|r| r.ingest_run_id),
                rejects_key: out.rejects_key.as_deref(),
                error,
            };
            finish(&**client, obj, etag, f).await
        }
        .await;
        if let Err(e) = &result {
            tracing::error!(bucket = %obj.bucket, key = %obj.key, error = %e, "could not record object status");
        }
        result.is_ok()
    }

    async fn process(
        &self,
        obj: &ObjectRef,
        etag: &str,
        out: &mut ObjectOutcome,
    ) -> Result<(), Fail> {
        let kind = match FileKind::from_name(&obj.key) {
            Ok(k) => k,
            Err(reason) => return Err(Fail::Reject(reason)),
        };
        {
            let client = self.pool.get().await.map_err(DbError::from)?;
            if let Claim::Done(status) = claim(&**client, obj, etag).await? {
                out.status = OutcomeStatus::AlreadyIngested;
                out.reason = Some(format!("this version was already processed ({status})"));
                return Ok(());
            }
        }
        let version = Version {
            version_id: obj.version_id.as_deref(),
            etag: Some(etag),
        };
        let object = self.store.get(&obj.bucket, &obj.key, version).await?;
        let rejects_path = temp_path();
        let file = std::fs::File::create(&rejects_path)
            .map_err(|e| Fail::Retry(format!("temp file: {e}")))?;
        // A temporary file, so that an object of only bad lines does not grow memory; the
        // writer is flushed when the ingestion drops its options.
        let mut rejects = std::io::BufWriter::new(file);
        let mut opts = IngestOptions::new(self.cfg.batch_rows);
        opts.max_line_bytes = self.cfg.max_line_bytes;
        opts.on_reject = Some(Box::new(move |r: &RejectedRow| {
            let _ = serde_json::to_writer(&mut rejects, r);
            let _ = rejects.write_all(b"\n");
        }));
        let source = SourceInfo {
            kind: kind.source_kind().into(),
            uri: format!("s3://{}/{}", obj.bucket, obj.key),
            version: Some(etag.to_string())
                .filter(|e| !e.is_empty())
                .or(object.etag.clone()),
        };
        let result = ingest_file(
            &self.pool,
            SyncIoBridge::new(object.body),
            kind,
            &source,
            opts,
        )
        .await;
        let outcome = self
            .after_ingest(obj, etag, result, &rejects_path, out)
            .await;
        let _ = std::fs::remove_file(&rejects_path);
        outcome
    }

    async fn after_ingest(
        &self,
        obj: &ObjectRef,
        etag: &str,
        result: Result<IngestReport, IngestError>,
        rejects_path: &std::path::Path,
        out: &mut ObjectOutcome,
    ) -> Result<(), Fail> {
        let report = match result {
            Ok(r) => r,
            Err(e) if e.is_retryable() => return Err(Fail::Retry(e.to_string())),
            Err(e) => return Err(Fail::Reject(e.to_string())),
        };
        if report.rejected > 0 {
            let key = format!("{}{}.errors.jsonl", self.cfg.rejects_prefix, obj.key);
            self.store
                .put_file(&obj.bucket, &key, rejects_path, "application/x-ndjson")
                .await?;
            out.rejects_key = Some(key);
        }
        // A cut-short object keeps what was read before the damage, and says so.
        let cut = report.cut_short.clone();
        out.reason.clone_from(&cut);
        out.report = Some(report);
        out.status = OutcomeStatus::Ingested;
        if !self
            .record(obj, etag, ObjectStatus::Succeeded, out, cut.as_deref())
            .await
        {
            return Err(Fail::Retry(
                "could not record the object as ingested".into(),
            ));
        }
        Ok(())
    }
}

fn temp_path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "telemetry-rejects-{}-{}.jsonl",
        std::process::id(),
        TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}
