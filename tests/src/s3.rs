//! Helpers for s3-ingest tests: a bucket on moto, a migrated database, the ingester wired to
//! both, uploads, and notifications shaped as AWS sends them.

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use telemetry_shared::s3::{EventReport, S3Ingest, S3IngestConfig, S3ObjectStore};

use crate::{Moto, TestDb};

/// The bucket every helper uses.
pub const BUCKET: &str = "telemetry-uploads";

/// A moto server with [`BUCKET`], a fresh database, and an ingester on both.
pub struct S3Env {
    /// The database.
    pub db: TestDb,
    /// A real S3 client on moto.
    pub s3: aws_sdk_s3::Client,
    /// The ingester under test (rejects under `rejected/`, 2 lines per batch).
    pub ingest: S3Ingest<S3ObjectStore>,
    _moto: Moto,
}

/// A real S3 client on `moto`, with [`BUCKET`] created.
pub async fn bucket_on(moto: &Moto) -> aws_sdk_s3::Client {
    let s3 = moto.s3();
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    s3
}

/// The gzip compression of `tests/fixtures/<name>`.
pub fn gzipped_fixture(name: &str) -> Vec<u8> {
    use std::io::Write;
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).expect("gzip");
    gz.finish().expect("gzip")
}

/// Starts everything for one test.
pub async fn s3_env(label: &str) -> S3Env {
    let moto = Moto::start();
    let s3 = bucket_on(&moto).await;
    let db = TestDb::new(label).await;
    let cfg = S3IngestConfig {
        rejects_prefix: "rejected/".into(),
        batch_rows: 2,
        max_line_bytes: telemetry_shared::csv::DEFAULT_MAX_LINE_BYTES,
    };
    let ingest = S3Ingest::new(db.pool.clone(), S3ObjectStore::new(s3.clone()), cfg);
    S3Env {
        db,
        s3,
        ingest,
        _moto: moto,
    }
}

/// Uploads `body` to [`BUCKET`] and returns its ETag.
pub async fn put(s3: &aws_sdk_s3::Client, key: &str, body: Vec<u8>) -> String {
    let out = s3
        .put_object()
        .bucket(BUCKET)
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

/// The object's text, or `None` when it does not exist.
pub async fn get(s3: &aws_sdk_s3::Client, key: &str) -> Option<String> {
    let out = s3.get_object().bucket(BUCKET).key(key).send().await.ok()?;
    let bytes = out.body.collect().await.ok()?.into_bytes();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Form-URL-encodes a key the way S3 notifications carry it.
pub fn encode(key: &str) -> String {
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

/// An S3 event notification record for [`BUCKET`], shaped as AWS sends it.
pub fn record(event_name: &str, key: &str, etag: &str, size: usize) -> Value {
    json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T05:00:00.000Z", "eventName": event_name,
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "ingest",
               "bucket": {"name": BUCKET, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::telemetry-uploads"},
               "object": {"key": encode(key), "size": size, "eTag": etag, "sequencer": "0A1B2C3D4E5F678901"}}
    })
}

/// A notification holding `records`.
pub fn s3_event(records: Vec<Value>) -> Value {
    json!({ "Records": records })
}

/// Each object's status, in order.
pub fn statuses(r: &EventReport) -> Vec<&str> {
    r.objects.iter().map(|o| o.status.as_str()).collect()
}
