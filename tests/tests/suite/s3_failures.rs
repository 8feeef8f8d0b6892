//! Which s3-ingest failures are retried and which are recorded for good: a database outage
//! (refused, starting up, never answering) fails the invocation (Lambda retries); a truncated
//! gzip is rejected once and not re-read.

use telemetry_shared::s3::{S3Ingest, S3IngestConfig, S3ObjectStore};
use telemetry_tests::fake_pg::FakePg;
use telemetry_tests::s3::{
    bucket_on, gzipped_fixture, put, record, s3_env as env, s3_event, statuses,
};
use telemetry_tests::Moto;

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

#[tokio::test]
async fn a_database_outage_fails_the_invocation_for_a_retry() {
    down_database_fails_the_invocation(
        "postgres://postgres@127.0.0.1:1/x?sslmode=disable",
        "cannot connect",
    )
    .await;
}

#[tokio::test]
async fn a_database_starting_up_or_never_answering_fails_the_invocation_for_a_retry() {
    // The way PostgreSQL answers while it starts: transient, never a permanent reject.
    let starting = FakePg::refusing("57P03", "the database system is starting up");
    down_database_fails_the_invocation(&starting.url(""), "starting up").await;
    let silent = FakePg::silent();
    down_database_fails_the_invocation(&silent.url("&connect_timeout=1"), "timed out").await;
}

async fn down_database_fails_the_invocation(url: &str, says: &str) {
    let moto = Moto::start();
    let s3 = bucket_on(&moto).await;
    let body = format!("{HEADER}2026-11-21T10:00:00Z,gpt-4o,1,1,,,,\n");
    let etag = put(&s3, "usage.csv", body.clone().into_bytes()).await;
    let down = telemetry_shared::db::make_pool(url, 1, telemetry_shared::db::Workload::Ingest)
        .expect("pool");
    let ingest = S3Ingest::new(
        down,
        S3ObjectStore::new(s3),
        S3IngestConfig {
            rejects_prefix: "rejected/".into(),
            batch_rows: 10,
            max_line_bytes: telemetry_shared::csv::DEFAULT_MAX_LINE_BYTES,
        },
    );
    let err = ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            "usage.csv",
            &etag,
            body.len(),
        )]))
        .await
        .expect_err("retryable failure");
    assert_eq!((err.failed, err.total), (1, 1));
    assert!(err.to_string().contains(says), "{err}");
}

#[tokio::test]
async fn a_truncated_gzip_keeps_what_was_read_and_is_not_retried() {
    let e = env("s3_truncated").await;
    let mut bytes = gzipped_fixture("codex.jsonl");
    bytes.truncate(bytes.len() / 2);
    let etag = put(&e.s3, "logs/cut.jsonl.gz", bytes.clone()).await;
    let event = s3_event(vec![record(
        "ObjectCreated:Put",
        "logs/cut.jsonl.gz",
        &etag,
        bytes.len(),
    )]);
    let report = e
        .ingest
        .handle(&event)
        .await
        .expect("a corrupt file does not fail the invocation");
    // The lines before the damage are stored, and the outcome says the file was cut.
    assert_eq!(statuses(&report), vec!["ingested"]);
    let reason = report.objects[0].reason.as_deref().unwrap_or("");
    assert!(reason.contains("corrupt or truncated"), "{reason}");
    let r = report.objects[0].report.as_ref().expect("report");
    assert!(r.rows_read > 0 && r.is_balanced(), "{r:?}");
    assert!(r.cut_short.is_some());
    assert_eq!(
        e.db.count("llm_calls").await as u64,
        r.inserted,
        "what was read is stored"
    );
    // Recorded: a re-delivery does not read it again.
    let again = e.ingest.handle(&event).await.expect("again");
    assert_eq!(statuses(&again), vec!["already_ingested"]);
    e.db.drop_db().await;
}
