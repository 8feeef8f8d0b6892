//! s3-ingest logic against a real S3 API (moto_server with the real aws-sdk-s3 client) and
//! real PostgreSQL: notifications in both shapes, awkward keys, gzip, edge-case files,
//! re-delivery, grown re-uploads, rejects files, and which failures are retried.

use std::io::Write;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use telemetry_shared::s3::{EventReport, S3Ingest, S3IngestConfig, S3ObjectStore};
use telemetry_tests::{Moto, TestDb};

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

struct Env {
    db: TestDb,
    s3: aws_sdk_s3::Client,
    ingest: S3Ingest<S3ObjectStore>,
    _moto: Moto,
}

async fn env(label: &str) -> Env {
    let moto = Moto::start();
    let s3 = moto.s3();
    s3.create_bucket()
        .bucket("telemetry-uploads")
        .send()
        .await
        .expect("bucket");
    let db = TestDb::new(label).await;
    let cfg = S3IngestConfig {
        rejects_prefix: "rejected/".into(),
        batch_rows: 2,
    };
    let ingest = S3Ingest::new(db.pool.clone(), S3ObjectStore::new(s3.clone()), cfg);
    Env {
        db,
        s3,
        ingest,
        _moto: moto,
    }
}

/// Uploads `body` and returns its ETag.
async fn put(s3: &aws_sdk_s3::Client, key: &str, body: Vec<u8>) -> String {
    let out = s3
        .put_object()
        .bucket("telemetry-uploads")
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put");
    out.e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string()
}

async fn get(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    let out = s3
        .get_object()
        .bucket("telemetry-uploads")
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = out.body.collect().await.ok()?.into_bytes();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Form-URL-encodes a key the way S3 notifications carry it.
fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b' ' => "+".to_string(),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An S3 event notification record, shaped as AWS sends it.
fn record(event_name: &str, key: &str, etag: &str, size: usize) -> Value {
    json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T05:00:00.000Z", "eventName": event_name,
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "ingest",
               "bucket": {"name": "telemetry-uploads", "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::telemetry-uploads"},
               "object": {"key": encode(key), "size": size, "eTag": etag, "sequencer": "0A1B2C3D4E5F678901"}}
    })
}

fn s3_event(records: Vec<Value>) -> Value {
    json!({ "Records": records })
}

fn statuses(r: &EventReport) -> Vec<&str> {
    r.objects.iter().map(|o| o.status).collect()
}

#[tokio::test]
async fn csv_with_an_awkward_key_lands_and_its_rejects_are_written_back() {
    let e = env("s3_csv").await;
    let key = "uploads/usage été 2024+final.csv";
    let body = format!(
        "{HEADER}2026-11-21T10:00:00Z,gpt-4o,100,10,true,plan,5,\n\
         never,gpt-4o,1,1,true,plan,5,\n\
         2026-11-21T10:01:00Z,claude-haiku-4-5,200,20,false,review,9,\"timeout, retried\"\n"
    );
    let etag = put(&e.s3, key, body.clone().into_bytes()).await;
    let report = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            key,
            &etag,
            body.len(),
        )]))
        .await
        .expect("handled");
    let o = &report.objects[0];
    assert_eq!((o.status, o.key.as_str()), ("ingested", key));
    let r = o.report.as_ref().expect("report");
    assert_eq!((r.rows_read, r.inserted, r.rejected), (3, 2, 1));
    assert_eq!(e.db.count("llm_calls").await, 2);

    let rejects_key = format!("rejected/{key}.errors.jsonl");
    assert_eq!(o.rejects_key.as_deref(), Some(rejects_key.as_str()));
    let rejects = get(&e.s3, &rejects_key)
        .await
        .expect("rejects file in the bucket");
    let line: Value = serde_json::from_str(rejects.trim()).expect("one JSON line");
    assert_eq!(line["line"], 3);
    assert!(line["reason"]
        .as_str()
        .unwrap_or("")
        .starts_with("bad timestamp \"never\""));
    assert_eq!(line["raw"], "never,gpt-4o,1,1,true,plan,5,");

    let c = e.db.client().await;
    let run = c
        .query_one(
            "SELECT source_uri, source_version, status, rows_read FROM ingest_runs",
            &[],
        )
        .await
        .expect("run");
    assert_eq!(
        run.get::<_, String>(0),
        format!("s3://telemetry-uploads/{key}")
    );
    assert_eq!(run.get::<_, Option<String>>(1), Some(etag.clone()));
    assert_eq!(
        (run.get::<_, String>(2), run.get::<_, i64>(3)),
        ("succeeded".into(), 3)
    );
    let manifest = c
        .query_one(
            "SELECT status, rejects_key, attempts FROM s3_objects WHERE key = $1",
            &[&key],
        )
        .await
        .expect("manifest");
    assert_eq!(manifest.get::<_, String>(0), "succeeded");
    assert_eq!(manifest.get::<_, Option<String>>(1), Some(rejects_key));

    // The rejects file's own creation event is not ingested (no loop).
    let again = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            &format!("rejected/{key}.errors.jsonl"),
            "x",
            1,
        )]))
        .await
        .expect("handled");
    assert_eq!(statuses(&again), vec!["skipped"]);
    drop(c);
    e.db.drop_db().await;
}

#[tokio::test]
async fn redelivery_is_a_noop_and_a_grown_reupload_adds_only_new_rows() {
    let e = env("s3_redeliver").await;
    let key = "usage.csv";
    let small = format!(
        "{HEADER}2026-11-21T10:00:00Z,gpt-4o,1,1,,,,\n2026-11-21T10:00:01Z,gpt-4o,1,1,,,,\n"
    );
    let etag = put(&e.s3, key, small.clone().into_bytes()).await;
    let event = s3_event(vec![record("ObjectCreated:Put", key, &etag, small.len())]);
    let first = e.ingest.handle(&event).await.expect("first");
    assert_eq!(statuses(&first), vec!["ingested"]);
    let second = e.ingest.handle(&event).await.expect("second");
    assert_eq!(statuses(&second), vec!["already_ingested"]);
    assert!(second.objects[0].report.is_none(), "nothing was read again");
    assert_eq!(e.db.count("ingest_runs").await, 1);

    let grown = format!("{small}2026-11-21T10:00:02Z,gpt-4o,1,1,,,,\n");
    let etag2 = put(&e.s3, key, grown.clone().into_bytes()).await;
    assert_ne!(etag, etag2);
    let third = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            key,
            &etag2,
            grown.len(),
        )]))
        .await
        .expect("grown");
    let r = third.objects[0].report.as_ref().expect("report");
    assert_eq!((r.inserted, r.duplicates), (1, 2));
    assert_eq!(e.db.count("llm_calls").await, 3);
    e.db.drop_db().await;
}

#[tokio::test]
async fn gzip_jsonl_through_eventbridge_and_mixed_records_in_one_event() {
    let e = env("s3_gzip").await;
    let transcript = std::fs::read(format!(
        "{}/fixtures/claude_code.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&transcript).expect("gzip");
    let key = "logs/session 1.jsonl.gz";
    let etag = put(&e.s3, key, gz.finish().expect("gzip")).await;
    let eventbridge = json!({
        "version": "0", "id": "f5f1e65c-dc3a-93ca-6c1e-b1647eac7963", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2026-11-22T05:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:s3:::telemetry-uploads"],
        "detail": {"version": "0", "bucket": {"name": "telemetry-uploads"},
                   "object": {"key": encode(key), "size": 100, "etag": etag, "sequencer": "006408CAD69598B05E"},
                   "request-id": "57H08PA84AB1JZW0", "requester": "123456789012",
                   "source-ip-address": "34.252.34.74", "reason": "PutObject"}
    });
    let report = e.ingest.handle(&eventbridge).await.expect("handled");
    assert_eq!(statuses(&report), vec!["ingested"]);
    assert_eq!(
        report.objects[0].report.as_ref().map(|r| r.skipped),
        Some(6)
    );
    assert_eq!(e.db.count("llm_calls").await, 3);

    // One invocation, several records, each on its own.
    let one_line = format!("{HEADER}2026-11-21T11:00:00Z,gpt-5,10,10,,,,\n");
    let only_bad = format!("{HEADER}x,y,z\nbad,gpt-5,1,1,,,,\n");
    let keys = [
        "one line.csv",
        "empty.csv",
        "empty.jsonl",
        "only bad.csv",
        "notes.txt",
        "missing.csv",
    ];
    let bodies = [
        one_line,
        String::new(),
        String::new(),
        only_bad,
        "hello".into(),
    ];
    let mut records = Vec::new();
    for (k, b) in keys.iter().zip(&bodies) {
        let etag = put(&e.s3, k, b.clone().into_bytes()).await;
        records.push(record("ObjectCreated:Put", k, &etag, b.len()));
    }
    records.push(record("ObjectCreated:Put", "missing.csv", "gone", 1));
    let lifecycle = json!({"eventVersion": "2.3", "eventSource": "aws:s3", "eventName": "s3:LifecycleTransition",
        "s3": {"bucket": {"name": "telemetry-uploads"}, "object": {"key": "one+line.csv", "size": 1}}});
    records.push(lifecycle);
    let report = e
        .ingest
        .handle(&s3_event(records))
        .await
        .expect("permanent problems do not fail the invocation");
    assert_eq!(
        statuses(&report),
        vec!["ingested", "rejected", "ingested", "ingested", "rejected", "rejected"]
    );
    assert!(
        report.objects[1]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("empty"),
        "{:?}",
        report.objects[1]
    );
    assert_eq!(
        report.objects[2].report.as_ref().map(|r| r.rows_read),
        Some(0)
    );
    let bad = report.objects[3].report.as_ref().expect("report");
    assert_eq!((bad.inserted, bad.rejected), (0, 2));
    let rejects = get(&e.s3, "rejected/only bad.csv.errors.jsonl")
        .await
        .expect("rejects file");
    assert_eq!(rejects.lines().count(), 2);
    assert!(report.objects[4]
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("unsupported file type"));
    assert!(
        report.objects[5]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("not found"),
        "{:?}",
        report.objects[5]
    );
    assert_eq!(report.ignored.len(), 1);
    assert!(report.ignored[0].contains("LifecycleTransition"));
    assert_eq!(e.db.count("llm_calls").await, 4);
    let rejected: i64 =
        e.db.client()
            .await
            .query_one(
                "SELECT count(*) FROM s3_objects WHERE status = 'rejected'",
                &[],
            )
            .await
            .expect("count")
            .get(0);
    assert_eq!(
        rejected, 3,
        "permanent failures are recorded, so a retry does not loop on them"
    );
    e.db.drop_db().await;
}

#[tokio::test]
async fn a_database_outage_fails_the_invocation_for_a_retry() {
    let moto = Moto::start();
    let s3 = moto.s3();
    s3.create_bucket()
        .bucket("telemetry-uploads")
        .send()
        .await
        .expect("bucket");
    let body = format!("{HEADER}2026-11-21T10:00:00Z,gpt-4o,1,1,,,,\n");
    let etag = put(&s3, "usage.csv", body.clone().into_bytes()).await;
    let down =
        telemetry_shared::db::make_pool("postgres://postgres@127.0.0.1:1/x?sslmode=disable", 1)
            .expect("pool");
    let ingest = S3Ingest::new(
        down,
        S3ObjectStore::new(s3),
        S3IngestConfig {
            rejects_prefix: "rejected/".into(),
            batch_rows: 10,
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
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[tokio::test]
async fn a_truncated_gzip_is_rejected_for_good_not_retried() {
    let e = env("s3_truncated").await;
    let transcript = std::fs::read(format!(
        "{}/fixtures/codex.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&transcript).expect("gzip");
    let mut bytes = gz.finish().expect("gzip");
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
    assert_eq!(statuses(&report), vec!["rejected"]);
    let reason = report.objects[0].reason.as_deref().unwrap_or("");
    assert!(reason.contains("corrupt or truncated"), "{reason}");
    // Recorded: a re-delivery does not read it again.
    let again = e.ingest.handle(&event).await.expect("again");
    assert_eq!(statuses(&again), vec!["already_ingested"]);
    e.db.drop_db().await;
}
