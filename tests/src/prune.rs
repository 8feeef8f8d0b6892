//! Helpers for prune tests: an archive bucket and an upload bucket on moto, a database
//! seeded with rows of known ages through the real ingestion paths, snapshots of rows as
//! `to_jsonb`, and restoring archive objects through s3-ingest.

use std::io::Cursor;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use telemetry_shared::github::store::upsert_workflow_runs;
use telemetry_shared::github::WorkflowRun;
use telemetry_shared::http::store::events::{insert_events, TelemetryEvent};
use telemetry_shared::ingest::{ingest_file, FileKind, IngestOptions, SourceInfo};
use telemetry_shared::prune::{PruneConfig, RetentionPlan};
use telemetry_shared::s3::{
    ObjectStore, S3Ingest, S3IngestConfig, S3ObjectStore, StoreError, StoredObject, Version,
};

use crate::s3::{bucket_on, BUCKET};
use crate::{Moto, TestDb};

/// The archive bucket.
pub const ARCHIVE: &str = "telemetry-archive";

/// Moto with both buckets, a database, and the S3 ingester on the upload bucket.
pub struct PruneEnv {
    /// The database.
    pub db: TestDb,
    /// S3 on moto.
    pub s3: aws_sdk_s3::Client,
    /// The s3-ingest code path, for restores.
    pub ingest: S3Ingest<S3ObjectStore>,
    /// The moto server.
    pub moto: Moto,
}

impl PruneEnv {
    /// Starts everything.
    pub async fn start(label: &str) -> PruneEnv {
        let moto = Moto::start();
        let s3 = bucket_on(&moto).await;
        s3.create_bucket()
            .bucket(ARCHIVE)
            .send()
            .await
            .expect("archive bucket");
        let db = TestDb::new(label).await;
        let cfg = S3IngestConfig {
            rejects_prefix: "rejected/".into(),
            batch_rows: 500,
            max_line_bytes: telemetry_shared::csv::DEFAULT_MAX_LINE_BYTES,
        };
        let ingest = S3Ingest::new(db.pool.clone(), S3ObjectStore::new(s3.clone()), cfg);
        PruneEnv {
            db,
            s3,
            ingest,
            moto,
        }
    }

    /// The archive store.
    pub fn store(&self) -> S3ObjectStore {
        S3ObjectStore::new(self.s3.clone())
    }

    /// Keys under `archive/` in the archive bucket, sorted.
    pub async fn archive_keys(&self) -> Vec<String> {
        let out = self
            .s3
            .list_objects_v2()
            .bucket(ARCHIVE)
            .prefix("archive/")
            .send()
            .await
            .expect("list");
        let mut keys: Vec<String> = out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        keys.sort();
        keys
    }

    /// Copies archive object `key` to the upload bucket under `uploads/restore/` and ingests
    /// it as s3-ingest does; returns the outcome as JSON.
    pub async fn restore(&self, key: &str) -> Value {
        let target = format!("uploads/restore/{key}");
        self.s3
            .copy_object()
            .copy_source(format!("{ARCHIVE}/{key}"))
            .bucket(BUCKET)
            .key(&target)
            .send()
            .await
            .expect("copy");
        let outcome = self
            .ingest
            .ingest_key(BUCKET, &target)
            .await
            .expect("ingest");
        serde_json::to_value(outcome).expect("json")
    }
}

/// Test configuration: the default retention, archives to [`ARCHIVE`], small batches.
pub fn config(delete_batch: i64, part_rows: i64) -> PruneConfig {
    PruneConfig {
        plan: RetentionPlan::parse("").expect("defaults"),
        archive_bucket: Some(ARCHIVE.into()),
        archive_prefix: "archive/".into(),
        delete_batch,
        part_rows,
    }
}

/// Seeds `per_age` rows of each archived kind at each age in `days_ago`: LLM calls and agent
/// events from a JSONL file (s3-ingest's parser), workflow runs, CLI events.
pub async fn seed(db: &TestDb, now: DateTime<Utc>, days_ago: &[i64], per_age: usize) {
    let mut jsonl = String::new();
    let mut runs = Vec::new();
    let mut events = Vec::new();
    for (a, days) in days_ago.iter().enumerate() {
        for i in 0..per_age {
            let at = now - Duration::days(*days) + Duration::minutes(i as i64);
            let ts = at.to_rfc3339();
            jsonl += &json!({"kind": "api_call", "worker_id": "w-1", "session_id": "run-1", "task_id": "gh-1",
                             "ts": ts, "model": "claude-sonnet-4-5", "tokens_input": 1000 + i,
                             "tokens_output": 200, "duration_ms": 900, "success": true}).to_string();
            jsonl += "\n";
            jsonl +=
                &json!({"kind": "event", "session_id": "run-1", "ts": ts, "event_type": "decision",
                             "severity": "info", "message": format!("decision {a}/{i}"),
                             "details": {"bytes": "\\x00", "n": i}})
                .to_string();
            jsonl += "\n";
            let id = (a * 10_000 + i) as i64 + 1;
            runs.push(WorkflowRun {
                github_run_id: id,
                run_attempt: 1,
                repository: "acme/api".into(),
                workflow_name: "CI".into(),
                branch: Some("main".into()),
                commit_sha: Some(format!("{id:040x}")),
                event_type: Some("push".into()),
                status: "completed".into(),
                conclusion: Some("success".into()),
                started_at: Some(at),
                completed_at: Some(at + Duration::minutes(4)),
                duration_seconds: Some(240),
                html_url: Some(format!("https://github.com/acme/api/actions/runs/{id}")),
                github_updated_at: at + Duration::minutes(4),
                github_created_at: Some(at),
                repository_private: None,
            });
            events.push(TelemetryEvent {
                insert_id: format!("ev-{a}-{i}"),
                event: "cli_invocation".into(),
                distinct_id: "550e8400-e29b-41d4-a716-446655440000".into(),
                properties: json!({"command": "init", "n": i}),
                client_timestamp: Some(at),
                timestamp: at,
                sent_at: None,
                received_at: at,
            });
        }
    }
    let report = ingest_file(
        &db.pool,
        Cursor::new(jsonl.into_bytes()),
        FileKind::from_name("seed.jsonl").expect("kind"),
        &SourceInfo {
            kind: "jsonl".into(),
            uri: "seed.jsonl".into(),
            version: None,
        },
        IngestOptions::new(1000),
    )
    .await
    .expect("seed ingest");
    assert_eq!(report.rejected, 0, "{report:?}");
    let client = db.client().await;
    for chunk in runs.chunks(500) {
        upsert_workflow_runs(&**client, chunk).await.expect("runs");
    }
    client
        .execute(
            "INSERT INTO projects (project_id, repo_name) VALUES ('mimesis__607a7a7c', 'mimesis')
             ON CONFLICT DO NOTHING",
            &[],
        )
        .await
        .expect("project");
    for chunk in events.chunks(100) {
        insert_events(&**client, "mimesis__607a7a7c", chunk)
            .await
            .expect("events");
    }
}

/// Every row of `table` with `column < cutoff`, as `to_jsonb`, ordered by `key`.
pub async fn snapshot(
    db: &TestDb,
    table: &str,
    column: &str,
    key: &str,
    cutoff: DateTime<Utc>,
) -> Vec<Value> {
    let client = db.client().await;
    let v: Option<Value> = client
        .query_one(
            &format!("SELECT jsonb_agg(to_jsonb(t) ORDER BY t.{key}) FROM {table} t WHERE t.{column} < $1"),
            &[&cutoff],
        )
        .await
        .expect("snapshot")
        .get(0);
    match v {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

/// An object store that uploads, then fails as if the connection dropped before the answer:
/// the object exists, the caller believes it does not.
pub struct CrashAfterPut<S>(pub S);

impl<S: ObjectStore> ObjectStore for CrashAfterPut<S> {
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        version: Version<'_>,
    ) -> Result<StoredObject, StoreError> {
        self.0.get(bucket, key, version).await
    }

    async fn etag(&self, bucket: &str, key: &str) -> Result<Option<String>, StoreError> {
        self.0.etag(bucket, key).await
    }

    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.0.put_file(bucket, key, path, content_type).await?;
        Err(StoreError::Transient(
            "connection reset after the upload".into(),
        ))
    }
}
