//! Prune when the world around it misbehaves: a row locked by another transaction, an S3
//! that accepts an upload and never answers, and runs that never started. Real PostgreSQL, S3 on moto through the real client.

use std::path::Path;
use std::time::Duration;

use chrono::{Duration as Days, Utc};
use telemetry_shared::github::store::upsert_workflow_runs;
use telemetry_shared::github::WorkflowRun;
use telemetry_shared::prune::{prune, PruneRequest, Retention};
use telemetry_shared::s3::{ObjectStore, StoreError, StoredObject, Version};
use telemetry_tests::prune::{config, seed, PruneEnv};
use tokio::time::Instant;

fn request(deadline: Option<Instant>) -> PruneRequest {
    PruneRequest {
        now: Utc::now(),
        deadline,
        dry_run: false,
    }
}

/// A store that accepts an upload and never answers it.
struct Hanging<S>(S);

impl<S: ObjectStore> ObjectStore for Hanging<S> {
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
        _bucket: &str,
        _key: &str,
        _path: &Path,
        _content_type: &str,
    ) -> Result<(), StoreError> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_row_locked_by_another_transaction_is_skipped_and_reported_in_time() {
    let env = PruneEnv::start("prune_faults_locked").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 10], 30).await;
    let cutoff = Retention::Months(6).cutoff(now).expect("cutoff");
    let mut holder = env.db.client().await;
    let tx = holder.transaction().await.expect("tx");
    tx.execute(
        "SELECT id FROM llm_calls WHERE timestamp < $1 ORDER BY id LIMIT 1 FOR UPDATE",
        &[&cutoff],
    )
    .await
    .expect("lock one row");
    let t0 = Instant::now();
    let report = prune(
        &env.db.pool,
        &env.store(),
        &config(7, 1000),
        request(Some(t0 + Duration::from_secs(10))),
    )
    .await
    .expect("prune");
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    let llm = report
        .tables
        .iter()
        .find(|t| t.table == "llm_calls")
        .expect("llm_calls");
    assert_eq!(
        (llm.archived, llm.deleted, llm.remaining),
        (29, 29, 1),
        "{llm:?}"
    );
    assert!(
        llm.error.as_deref().unwrap_or_default().contains("locked"),
        "{llm:?}"
    );
    assert!(!report.complete);
    tx.rollback().await.expect("release");
    // Released: the next prune takes it.
    let next = prune(&env.db.pool, &env.store(), &config(7, 1000), request(None))
        .await
        .expect("prune");
    assert!(next.complete, "{next:?}");
    drop(holder);
    env.db.drop_db().await;
}

#[tokio::test]
async fn an_upload_that_never_answers_is_bounded_by_the_deadline() {
    let env = PruneEnv::start("prune_faults_hang").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 10], 10).await;
    let before = env.db.count("llm_calls").await;
    let store = Hanging(env.store());
    let t0 = Instant::now();
    let report = prune(
        &env.db.pool,
        &store,
        &config(7, 1000),
        request(Some(t0 + Duration::from_secs(4))),
    )
    .await
    .expect("prune");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(!report.complete);
    let errors: Vec<&str> = report
        .tables
        .iter()
        .filter_map(|t| t.error.as_deref())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("not confirmed before the deadline")),
        "{errors:?}"
    );
    assert_eq!(env.db.count("llm_calls").await, before, "nothing deleted");
    env.db.drop_db().await;
}

#[tokio::test]
async fn runs_that_never_started_age_on_when_they_were_created() {
    let env = PruneEnv::start("prune_faults_queued").await;
    let created = Utc::now() - Days::days(250);
    let queued = WorkflowRun {
        github_run_id: 77,
        run_attempt: 1,
        repository: "acme/api".into(),
        workflow_name: "CI".into(),
        branch: Some("main".into()),
        commit_sha: Some("a".repeat(40)),
        event_type: Some("push".into()),
        status: "queued".into(),
        conclusion: None,
        started_at: None,
        completed_at: None,
        duration_seconds: None,
        html_url: None,
        github_updated_at: created,
        github_created_at: Some(created),
        repository_private: None,
    };
    let c = env.db.client().await;
    upsert_workflow_runs(&**c, &[queued]).await.expect("run");
    let report = prune(&env.db.pool, &env.store(), &config(7, 1000), request(None))
        .await
        .expect("prune");
    let runs = report
        .tables
        .iter()
        .find(|t| t.table == "workflow_runs")
        .expect("workflow_runs");
    assert_eq!((runs.archived, runs.deleted), (1, 1), "{runs:?}");
    assert_eq!(env.db.count("workflow_runs").await, 0);
    drop(c);
    env.db.drop_db().await;
}

async fn old_output_tokens(env: &PruneEnv, cutoff: chrono::DateTime<Utc>) -> Vec<(String, i32)> {
    env.db
        .client()
        .await
        .query(
            "SELECT encode(dedup_key, 'hex'), output_tokens FROM llm_calls
             WHERE timestamp < $1 ORDER BY 1",
            &[&cutoff],
        )
        .await
        .expect("rows")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn a_call_archived_twice_restores_with_its_last_values_in_any_order() {
    let env = PruneEnv::start("prune_faults_versions").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 10], 20).await;
    let cutoff = Retention::Months(6).cutoff(now).expect("cutoff");
    let original = old_output_tokens(&env, cutoff).await;
    let c = env.db.client().await;
    // The calls as an ingest corrects them, kept aside: same keys, other output tokens.
    let corrected: serde_json::Value = c
        .query_one(
            "SELECT jsonb_agg(to_jsonb(t) - 'id' - 'total_tokens' - 'created_at'
                              || '{\"output_tokens\": 999}')
             FROM llm_calls t WHERE timestamp < $1",
            &[&cutoff],
        )
        .await
        .expect("corrected")
        .get(0);
    // Archived and deleted; then the correction arrives (a new row per call, since the old
    // ones are gone) and, being past the cut-off too, is archived in a second part.
    prune(&env.db.pool, &env.store(), &config(7, 1000), request(None))
        .await
        .expect("first prune");
    c.execute(
        "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, cost_status,
                                estimated_cost, output_tokens, input_tokens)
         SELECT decode(substr(r->>'dedup_key', 3), 'hex'), (r->>'content_hash')::int8 + 1,
                r->>'source', (r->>'timestamp')::timestamptz, r->>'model', r->>'cost_status',
                (r->>'estimated_cost')::numeric, 999, (r->>'input_tokens')::int
         FROM jsonb_array_elements($1::jsonb) r",
        &[&corrected],
    )
    .await
    .expect("corrections");
    prune(&env.db.pool, &env.store(), &config(7, 1000), request(None))
        .await
        .expect("second prune");
    let keys: Vec<String> = env
        .archive_keys()
        .await
        .into_iter()
        .filter(|k| k.contains("llm_calls"))
        .collect();
    assert!(keys.len() >= 2, "the calls are in two parts: {keys:?}");
    // Oldest part first (the order that used to bring the old values back), then again.
    for key in keys.iter().chain(keys.iter().rev()) {
        env.restore(key).await;
    }
    let restored = old_output_tokens(&env, cutoff).await;
    assert_eq!(restored.len(), original.len(), "each call once");
    assert!(
        restored.iter().all(|(_, t)| *t == 999),
        "the last values: {restored:?}"
    );
    let keys_of = |v: &[(String, i32)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys_of(&restored), keys_of(&original));
    drop(c);
    env.db.drop_db().await;
}

/// A store that, at its first upload, starts `sql` on another connection (an ingest
/// correcting the rows being archived), gives it a head start, then uploads.
struct CorrectingDuringUpload<S> {
    inner: S,
    url: String,
    sql: String,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<u64>>>,
}

impl<S: ObjectStore> ObjectStore for CorrectingDuringUpload<S> {
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        version: Version<'_>,
    ) -> Result<StoredObject, StoreError> {
        self.inner.get(bucket, key, version).await
    }

    async fn etag(&self, bucket: &str, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.etag(bucket, key).await
    }

    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let start = {
            let mut task = self.task.lock().expect("lock");
            if task.is_none() && key.contains("llm_calls") {
                let (url, sql) = (self.url.clone(), self.sql.clone());
                *task = Some(tokio::spawn(async move {
                    let c = telemetry_shared::db::connect_one(&url)
                        .await
                        .expect("connect");
                    c.execute(sql.as_str(), &[]).await.expect("correction")
                }));
                true
            } else {
                false
            }
        };
        if start {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        self.inner.put_file(bucket, key, path, content_type).await
    }
}

#[tokio::test]
async fn calls_corrected_while_their_month_is_archived_restore_with_the_corrections() {
    let env = PruneEnv::start("prune_faults_concurrent").await;
    let now = Utc::now();
    seed(&env.db, now, &[250, 10], 30).await;
    let cutoff = Retention::Months(6).cutoff(now).expect("cutoff");
    let original = old_output_tokens(&env, cutoff).await;
    assert_eq!(original.len(), 30);
    // What an ingest re-delivering corrected calls runs: an upsert on their keys.
    let values: String = env
        .db
        .client()
        .await
        .query_one(
            "SELECT string_agg(format('(%L::bytea, %s, %L, %L::timestamptz, %L, %L, %s::numeric)',
                 dedup_key, content_hash + 1, source, timestamp, model, cost_status,
                 coalesce(estimated_cost::text, 'NULL')), ', ')
             FROM llm_calls WHERE timestamp < $1",
            &[&cutoff],
        )
        .await
        .expect("values")
        .get(0);
    let store = CorrectingDuringUpload {
        inner: env.store(),
        url: env.db.url.clone(),
        sql: format!(
            "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model,
                                    cost_status, estimated_cost, output_tokens)
             SELECT k, h, s, ts, m, cs, ec, 999 FROM (VALUES {values}) AS v(k, h, s, ts, m, cs, ec)
             ON CONFLICT (dedup_key) DO UPDATE SET output_tokens = EXCLUDED.output_tokens,
                 content_hash = EXCLUDED.content_hash, updated_at = now()"
        ),
        task: std::sync::Mutex::new(None),
    };
    prune(&env.db.pool, &store, &config(7, 1000), request(None))
        .await
        .expect("prune");
    let task = store
        .task
        .lock()
        .expect("lock")
        .take()
        .expect("the correction ran");
    assert_eq!(task.await.expect("correction"), 30);
    // The table as the corrections left it (some may already be archived again).
    for key in env.archive_keys().await {
        env.restore(&key).await;
    }
    let restored = old_output_tokens(&env, cutoff).await;
    let keys_of = |v: &[(String, i32)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys_of(&restored), keys_of(&original), "each call once");
    assert!(
        restored.iter().all(|(_, t)| *t == 999),
        "every correction survives the archive and the restore: {restored:?}"
    );
    env.db.drop_db().await;
}
