//! http-ingest at the handler for tests: API Gateway v2 events decoded by lambda_http as in
//! the deployed function, a fresh database, and every answer checked against the OpenAPI
//! document the API serves.

use std::io::Write;

use serde_json::{json, Value};
use telemetry_shared::http::store::keys::{ensure_project, insert_key};
use telemetry_shared::http::{
    generate, HttpConfig, HttpIngest, KeyKind, Limits, ProjectId, OPENAPI,
};

use crate::openapi::{validate_error, validate_response};
use crate::{apigw, TestDb};

/// The webhook secret the test API is configured with.
pub const WEBHOOK_SECRET: &str = "whsec-It's a Secret to Everybody";
/// The seed's repository UUID (`distinct_id`).
pub const REPO_ID: &str = "550e8400-e29b-41d4-a716-446655440000";

/// The API under test and its database.
pub struct Api {
    /// The test's database.
    pub db: TestDb,
    api: std::sync::Arc<HttpIngest>,
    /// The served OpenAPI document.
    pub spec: Value,
}

/// One answer.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: http::HeaderMap,
    /// JSON body.
    pub body: Value,
}

/// A new key of `kind` for `project` (created if needed), as `telemetry keys create` makes it.
pub async fn create_key(
    client: &impl tokio_postgres::GenericClient,
    project: &str,
    kind: KeyKind,
) -> String {
    let project = ProjectId::parse(project).expect("project id");
    let key = generate(kind).expect("key");
    ensure_project(client, &project, None)
        .await
        .expect("project");
    insert_key(client, Some(&project), &key, None)
        .await
        .expect("key");
    key.key
}

/// Waits, if need be, until at least 15 s remain in the current UTC minute: rate limits count
/// per minute, and a test that posts up to a limit must not see its window reset half-way.
pub async fn within_one_minute() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second >= 45 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

/// The test configuration: default limits, 5 public events a minute, a webhook secret.
pub fn config() -> HttpConfig {
    HttpConfig {
        limits: Limits::default(),
        public_events_per_minute: 5,
        install_events_per_minute: 5,
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        log_bucket: None,
        keep_prompts: false,
        keep_emails: false,
        max_otlp_records: 2048,
        runner_skus: Default::default(),
        ingest_queue_url: None,
    }
}

impl Api {
    /// A fresh database and the API over it (public tokens limited to 5 events a minute).
    pub async fn new(label: &str) -> Api {
        let db = TestDb::new(label).await;
        let api = std::sync::Arc::new(HttpIngest::new(db.pool.clone(), config()));
        Api {
            db,
            api,
            spec: serde_json::from_str(OPENAPI).expect("spec"),
        }
    }

    /// A fresh database and the API over it with `cfg`.
    pub async fn with_config(label: &str, cfg: HttpConfig) -> Api {
        let db = TestDb::new(label).await;
        let api = std::sync::Arc::new(HttpIngest::new(db.pool.clone(), cfg));
        Api {
            db,
            api,
            spec: serde_json::from_str(OPENAPI).expect("spec"),
        }
    }

    /// A fresh database and the API over it with `cfg` in queued mode: event batches go to
    /// `queue`.
    pub async fn with_queue(
        label: &str,
        cfg: HttpConfig,
        queue: telemetry_shared::http::queue::SqsQueue,
    ) -> Api {
        let db = TestDb::new(label).await;
        let api = std::sync::Arc::new(HttpIngest::new(db.pool.clone(), cfg).with_queue(queue));
        Api {
            db,
            api,
            spec: serde_json::from_str(OPENAPI).expect("spec"),
        }
    }

    /// A fresh database and the API over it reading workers' logs from `bucket` in `store`.
    pub async fn with_logs(
        label: &str,
        store: telemetry_shared::objects::S3ObjectStore,
        bucket: &str,
    ) -> Api {
        let db = TestDb::new(label).await;
        let mut cfg = config();
        cfg.log_bucket = Some(bucket.to_string());
        let api = std::sync::Arc::new(HttpIngest::new(db.pool.clone(), cfg).with_log_store(store));
        Api {
            db,
            api,
            spec: serde_json::from_str(OPENAPI).expect("spec"),
        }
    }

    /// A new key of `kind` for `project` (created if needed).
    pub async fn key(&self, project: &str, kind: KeyKind) -> String {
        create_key(&**self.db.client().await, project, kind).await
    }

    /// Sends one request through API Gateway v2 decoding; the answer must match the spec.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let event = apigw::event(method, path, headers, body);
        let resp = self.api.handle(apigw::request(&event)).await;
        let status = resp.status().as_u16();
        let body: Value = serde_json::from_slice(resp.body()).expect("every answer is JSON");
        validate_response(&self.spec, method, path, status, &body)
            .and_then(|()| {
                if status >= 400 {
                    validate_error(&self.spec, &body)
                } else {
                    Ok(())
                }
            })
            .unwrap_or_else(|e| panic!("response does not match the spec: {e}\n{body}"));
        Answer {
            status,
            headers: resp.headers().clone(),
            body,
        }
    }

    /// Sends one request through API Gateway v2 decoding and returns the answer as bytes,
    /// unchecked (OTLP answers are protobuf or `google.rpc.Status`, not the API's JSON).
    pub async fn raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, http::HeaderMap, Vec<u8>) {
        let event = apigw::event("POST", path, headers, body);
        let resp = self.api.handle(apigw::request(&event)).await;
        (
            resp.status().as_u16(),
            resp.headers().clone(),
            resp.body().clone(),
        )
    }

    /// POSTs JSON with a bearer key.
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Answer {
        let auth = format!("Bearer {key}");
        self.call(
            "POST",
            path,
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            body.to_string().as_bytes(),
        )
        .await
    }

    /// POSTs `body` as JSON to `path` with no credentials (a public token is in the path).
    pub async fn post_public(&self, path: &str, body: &Value) -> Answer {
        self.call(
            "POST",
            path,
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await
    }

    /// GETs `path` (with its query) with a bearer key.
    pub async fn get(&self, path: &str, key: &str) -> Answer {
        let auth = format!("Bearer {key}");
        self.call("GET", path, &[("authorization", &auth)], b"")
            .await
    }

    /// Events stored for `project`.
    pub async fn events(&self, project: &str) -> i64 {
        self.db
            .client()
            .await
            .query_one(
                "SELECT count(*) FROM telemetry_events WHERE project_id = $1",
                &[&project],
            )
            .await
            .expect("count")
            .get(0)
    }
}

/// The seed's client: `{event: "cli_invocation", distinct_id: repoId, properties}` per entry.
pub fn seed_batch(n: usize) -> Value {
    let batch: Vec<Value> = (0..n)
        .map(|i| {
            json!({"event": "cli_invocation", "distinct_id": REPO_ID, "properties": {
                "id": format!("0b6c3f0e-9d1a-4c7e-8a53-2f6f4b1e7d{i:02}"),
                "command": "model method run", "args": ["deploy"], "exitCode": 0,
                "startedAt": format!("2026-11-22T07:{i:02}:00.000Z"), "durationMs": 1240 + i,
                "swampVersion": "20260211.120000.0", "os": "linux", "arch": "x86_64"
            }})
        })
        .collect();
    json!({"batch": batch})
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// The `X-Hub-Signature-256` GitHub sends for `body` under `secret`.
pub fn signed(body: &[u8], secret: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    let sig: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={sig}")
}
