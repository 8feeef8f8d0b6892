//! s3-ingest end to end through the real Lambda Runtime API: `cargo lambda watch` runs the
//! function binary, `cargo lambda invoke` delivers an S3 notification, the function reads the
//! object from moto_server with the real SDK and writes to a fresh PostgreSQL database.

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use telemetry_tests::lambda::{Watch, XrayDaemon};
use telemetry_tests::{Moto, TestDb};

fn invoke(watch: &Watch, event: &Value) -> Value {
    watch
        .invoke("s3-ingest", event)
        .expect("invocation succeeds")
}

#[tokio::test]
async fn s3_notification_through_the_lambda_runtime_api() {
    let moto = Moto::start();
    let s3 = moto.s3();
    s3.create_bucket()
        .bucket("uploads-e2e")
        .send()
        .await
        .expect("bucket");
    let body = std::fs::read(format!(
        "{}/fixtures/agent.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let key = "uploads/run 42/agent+log.jsonl";
    let put = s3
        .put_object()
        .bucket("uploads-e2e")
        .key(key)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("upload");
    let etag = put
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    let db = TestDb::new("lambda_e2e").await;

    let daemon = XrayDaemon::start();
    let daemon_addr = daemon.address();
    let watch = Watch::start(&[
        ("AWS_XRAY_DAEMON_ADDRESS", &daemon_addr),
        ("DATABASE_URL", &db.url),
        ("AWS_ENDPOINT_URL", &moto.endpoint),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("S3_FORCE_PATH_STYLE", "true"),
        ("REJECTS_PREFIX", "rejected/"),
    ]);

    // The key as S3 sends it: form-URL-encoded.
    let event = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T05:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "EXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZ"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "UploadJsonl",
               "bucket": {"name": "uploads-e2e", "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::uploads-e2e"},
               "object": {"key": "uploads/run+42/agent%2Blog.jsonl", "size": body.len(), "eTag": etag, "sequencer": "0A1B2C3D4E5F678901"}}
    }]});
    let first = invoke(&watch, &event);
    assert_eq!(first["objects"][0]["status"], "ingested", "{first}");
    assert_eq!(first["objects"][0]["key"], key);
    assert_eq!(first["objects"][0]["report"]["rejected"], 1);
    assert_eq!(db.count("tasks").await, 1);
    assert_eq!(db.count("llm_calls").await, 2);
    let rejects = s3
        .get_object()
        .bucket("uploads-e2e")
        .key(format!("rejected/{key}.errors.jsonl"))
        .send()
        .await
        .expect("rejects file written by the function");
    let text = rejects.body.collect().await.expect("body").into_bytes();
    assert!(String::from_utf8_lossy(&text).contains("\"line\":11"));

    let second = invoke(&watch, &event);
    assert_eq!(
        second["objects"][0]["status"], "already_ingested",
        "{second}"
    );
    assert_eq!(db.count("llm_calls").await, 2);
    // The object's batch write was a subsegment of the first invocation's trace.
    let docs = daemon.documents();
    assert_eq!(
        daemon.ended(&docs, "PostgreSQL write_batch").len(),
        1,
        "{} documents",
        docs.len()
    );
    // The function holds a connection: stop it before dropping its database.
    drop(watch);
    db.drop_db().await;
}
