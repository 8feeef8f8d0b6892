//! `GET /api/v1/agents/conversation?worker=`: a worker's log read from the upload bucket
//! (moto, the real S3 client) as the same turns `telemetry worker --show-conversation` prints;
//! a local path, another bucket, a missing object, a project's key: refused, each said.

use serde_json::json;
use telemetry_shared::http::KeyKind;
use telemetry_shared::jsonl::conversation;
use telemetry_shared::objects::S3ObjectStore;
use telemetry_tests::http_api::Api;
use telemetry_tests::s3::{bucket_on, gzipped_fixture, put, BUCKET};
use telemetry_tests::Moto;

use super::{admin_key, A};

#[tokio::test]
async fn a_workers_conversation_is_read_from_the_upload_bucket_only() {
    let moto = Moto::start();
    let s3 = bucket_on(&moto).await;
    put(
        &s3,
        "logs/w-1.jsonl.gz",
        gzipped_fixture("claude_code.jsonl"),
    )
    .await;
    let t = Api::with_logs(
        "read_api_conversation",
        S3ObjectStore::new(s3.clone()),
        BUCKET,
    )
    .await;
    let admin = admin_key(&t).await;
    let read_a = t.key(A, KeyKind::Read).await;
    t.db.client()
        .await
        .batch_execute(&format!(
            "INSERT INTO workers (worker_id, task_id, spawned_at, status, status_at, log_file)
             VALUES ('w-1', 't1', now(), 'completed', now(), 's3://{BUCKET}/logs/w-1.jsonl.gz'),
                    ('w-local', 't1', now(), 'completed', now(), 'logs/w-local.jsonl'),
                    ('w-other', 't1', now(), 'completed', now(), 's3://someone-elses/logs/x.jsonl'),
                    ('w-gone', 't1', now(), 'completed', now(), 's3://{BUCKET}/logs/gone.jsonl'),
                    ('w-none', 't1', now(), 'spawned', now(), NULL)"
        ))
        .await
        .expect("workers");
    let got = t
        .get("/api/v1/agents/conversation?worker=w-1", &admin)
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    // The turns the CLI reads from the same file.
    let file = std::fs::File::open(format!(
        "{}/../tests/fixtures/claude_code.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let expected = serde_json::to_value(conversation(std::io::BufReader::new(file))).expect("json");
    assert_eq!(got.body["turns"], expected);
    assert_eq!(got.body["more_turns"], 0);

    for (worker, status, says) in [
        ("w-local", 400, "local path"),
        ("w-other", 403, "bucket"),
        ("w-gone", 400, "not in the bucket"),
        ("w-none", 400, "no log_file"),
        ("w-nobody", 400, "no worker"),
    ] {
        let a = t
            .get(
                &format!("/api/v1/agents/conversation?worker={worker}"),
                &admin,
            )
            .await;
        assert_eq!(a.status, status, "{worker}: {}", a.body);
        assert!(
            a.body["message"].as_str().is_some_and(|m| m.contains(says)),
            "{worker}: {}",
            a.body
        );
    }
    let refused = t
        .get("/api/v1/agents/conversation?worker=w-1", &read_a)
        .await;
    assert_eq!(refused.status, 403);
    let missing = t.get("/api/v1/agents/conversation", &admin).await;
    assert_eq!(
        (missing.status, &missing.body["details"]["parameter"]),
        (400, &json!("worker"))
    );

    // Without a log bucket the API reads no log at all.
    let plain = Api::new("read_api_conversation_off").await;
    let admin = admin_key(&plain).await;
    plain
        .db
        .client()
        .await
        .batch_execute(&format!(
            "INSERT INTO workers (worker_id, spawned_at, status, status_at, log_file)
             VALUES ('w-1', now(), 'completed', now(), 's3://{BUCKET}/logs/w-1.jsonl.gz')"
        ))
        .await
        .expect("worker");
    let off = plain
        .get("/api/v1/agents/conversation?worker=w-1", &admin)
        .await;
    assert_eq!(off.status, 403, "{}", off.body);
}
