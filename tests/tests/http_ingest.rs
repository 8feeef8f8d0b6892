//! http-ingest at the handler: API Gateway v2 events decoded by lambda_http as in the
//! deployed function, a fresh PostgreSQL database per test, and every response checked
//! against the OpenAPI document the API serves.

use std::io::Write;

use serde_json::{json, Value};
use telemetry_shared::db::make_pool;
use telemetry_shared::http::{
    generate, HttpConfig, HttpIngest, KeyKind, Limits, ProjectId, OPENAPI,
};
use telemetry_shared::store::keys::{ensure_project, insert_key, revoke_key};
use telemetry_tests::openapi::{validate_error, validate_response};
use telemetry_tests::{apigw, free_port, TestDb};

const WEBHOOK_SECRET: &str = "whsec-It's a Secret to Everybody";
const REPO_ID: &str = "550e8400-e29b-41d4-a716-446655440000";

struct Api {
    db: TestDb,
    api: HttpIngest,
    spec: Value,
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Value,
}

fn config() -> HttpConfig {
    HttpConfig {
        limits: Limits::default(),
        public_events_per_minute: 5,
        webhook_secret: Some(WEBHOOK_SECRET.into()),
    }
}

impl Api {
    async fn new(label: &str) -> Api {
        let db = TestDb::new(label).await;
        let api = HttpIngest::new(db.pool.clone(), config());
        Api {
            db,
            api,
            spec: serde_json::from_str(OPENAPI).expect("spec"),
        }
    }

    async fn key(&self, project: &str, kind: KeyKind) -> String {
        let project = ProjectId::parse(project).expect("project id");
        let key = generate(kind).expect("key");
        let client = self.db.client().await;
        ensure_project(&**client, &project, None)
            .await
            .expect("project");
        insert_key(&**client, &project, &key, None)
            .await
            .expect("key");
        key.key
    }

    async fn call(
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

    async fn post(&self, path: &str, key: &str, body: &Value) -> Answer {
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

    async fn events(&self, project: &str) -> i64 {
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
fn seed_batch(n: usize) -> Value {
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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

#[tokio::test]
async fn the_seeds_batch_is_accepted_once_and_a_resend_reports_duplicates() {
    let t = Api::new("http_seed").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let first = t.post("/ingest", &key, &seed_batch(25)).await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(
        (
            first.body["accepted"].as_u64(),
            first.body["duplicate"].as_u64()
        ),
        (Some(25), Some(0))
    );
    assert_eq!(t.events("swamp__1a2b3c4d").await, 25);

    let again = t.post("/ingest", &key, &seed_batch(25)).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["duplicate"], 25);
    assert_eq!(again.body["results"][3]["status"], "duplicate");
    assert_eq!(
        again.body["results"][3]["insert_id"],
        first.body["results"][3]["insert_id"]
    );
    assert_eq!(t.events("swamp__1a2b3c4d").await, 25);
    let row =
        t.db.client()
            .await
            .query_one(
                "SELECT event, distinct_id, properties->>'command', received_at IS NOT NULL
             FROM telemetry_events LIMIT 1",
                &[],
            )
            .await
            .expect("row");
    assert_eq!(row.get::<_, String>(0), "cli_invocation");
    assert_eq!(row.get::<_, String>(1), REPO_ID);
    assert_eq!(row.get::<_, String>(2), "model method run");
    t.db.drop_db().await;
}

#[tokio::test]
async fn one_bad_event_is_rejected_with_its_path_and_the_others_land() {
    let t = Api::new("http_mixed").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let mut body = seed_batch(3);
    body["batch"][1]["distinct_id"] = json!(42);
    body["sent_at"] = json!("2026-11-22T08:00:00Z");
    let a = t.post("/ingest", &key, &body).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(a.body["accepted"], 2);
    assert_eq!(a.body["results"][1]["status"], "rejected");
    assert_eq!(a.body["results"][1]["path"], "$.batch[1].distinct_id");
    assert_eq!(t.events("swamp__1a2b3c4d").await, 2);

    let all_bad = json!({"batch": [{"event": ""}, {"distinct_id": "x"}]});
    let a = t.post("/ingest", &key, &all_bad).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"], "invalid_batch");
    assert_eq!(a.body["details"]["results"][0]["path"], "$.batch[0].event");

    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &format!("Bearer {key}"))],
            b"{\"batch\": [\n  {\"event\": }]}",
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"], "invalid_json");
    assert_eq!(
        (
            a.body["details"]["line"].as_u64(),
            a.body["details"]["column"].as_u64()
        ),
        (Some(2), Some(13))
    );
    t.db.drop_db().await;
}

#[tokio::test]
async fn gzip_is_accepted_within_limits_and_bombs_and_oversize_bodies_are_413() {
    let t = Api::new("http_gzip").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let auth = format!("Bearer {key}");
    let body = gzip(seed_batch(10).to_string().as_bytes());
    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &auth), ("content-encoding", "gzip")],
            &body,
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["accepted"], 10);

    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &auth), ("content-encoding", "br")],
            b"{}",
        )
        .await;
    assert_eq!(a.status, 415);

    // 50 MB of spaces compress to about 50 KB: far over the ratio cap.
    let bomb = gzip(&vec![b' '; 50 << 20]);
    let a = t
        .call(
            "POST",
            "/ingest",
            &[("authorization", &auth), ("content-encoding", "gzip")],
            &bomb,
        )
        .await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("expands beyond"));

    let huge = vec![b' '; (1 << 20) + 1];
    let a = t
        .call("POST", "/ingest", &[("authorization", &auth)], &huge)
        .await;
    assert_eq!(a.status, 413);
    assert_eq!(a.body["details"]["max_body_bytes"], 1 << 20);

    let mut big = seed_batch(1);
    big["batch"][0]["properties"]["blob"] = json!("x".repeat(70_000));
    let a = t.post("/ingest", &key, &big).await;
    assert_eq!(a.status, 400);
    assert!(a.body["details"]["results"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("limit"));
    assert_eq!(t.events("swamp__1a2b3c4d").await, 10);
    t.db.drop_db().await;
}

#[tokio::test]
async fn keys_are_checked_revocable_and_confined_to_their_project() {
    let t = Api::new("http_keys").await;
    let mine = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let theirs = t.key("other__9f8e7d6c", KeyKind::Secret).await;

    let a = t
        .call("POST", "/ingest", &[], seed_batch(1).to_string().as_bytes())
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.headers.get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let mut forged = mine.clone();
    forged.replace_range(forged.len() - 4.., "0000");
    assert_eq!(t.post("/ingest", &forged, &seed_batch(1)).await.status, 401);
    assert_eq!(
        t.post("/ingest", "not-a-key", &seed_batch(1)).await.status,
        401
    );

    assert_eq!(t.post("/ingest", &theirs, &seed_batch(2)).await.status, 202);
    assert_eq!(t.events("other__9f8e7d6c").await, 2);
    assert_eq!(
        t.events("swamp__1a2b3c4d").await,
        0,
        "a key writes only into its own project"
    );

    let prefix = telemetry_shared::http::parse_key(&mine)
        .expect("shape")
        .1
        .to_string();
    revoke_key(&**t.db.client().await, &prefix)
        .await
        .expect("revoke");
    let a = t.post("/ingest", &mine, &seed_batch(1)).await;
    assert_eq!(a.status, 401);
    assert!(a.body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("revoked"));
    t.db.drop_db().await;
}

#[tokio::test]
async fn public_tokens_append_through_the_path_are_rate_limited_and_revocable() {
    let t = Api::new("http_public").await;
    let token = t.key("swamp__1a2b3c4d", KeyKind::Public).await;
    let secret = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let path = format!("/p/{token}/ingest");
    // Exactly what the seed's client sends: no credentials, JSON body.
    let a = t
        .call(
            "POST",
            &path,
            &[("content-type", "application/json")],
            seed_batch(3).to_string().as_bytes(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(t.events("swamp__1a2b3c4d").await, 3);

    // The limit is 5 events a minute in this test's configuration.
    let a = t
        .call("POST", &path, &[], seed_batch(3).to_string().as_bytes())
        .await;
    assert_eq!(a.status, 429, "{}", a.body);
    let wait: u64 = a.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
    assert_eq!(t.events("swamp__1a2b3c4d").await, 3);

    // A secret key is not a path token, and a token is not a bearer key.
    let a = t
        .call(
            "POST",
            &format!("/p/{secret}/ingest"),
            &[],
            seed_batch(1).to_string().as_bytes(),
        )
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(t.post("/ingest", &token, &seed_batch(1)).await.status, 401);

    let prefix = telemetry_shared::http::parse_key(&token)
        .expect("shape")
        .1
        .to_string();
    revoke_key(&**t.db.client().await, &prefix)
        .await
        .expect("revoke");
    let a = t
        .call("POST", &path, &[], seed_batch(1).to_string().as_bytes())
        .await;
    assert_eq!(a.status, 401);
    t.db.drop_db().await;
}

fn signed(body: &[u8], secret: &str) -> String {
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

#[tokio::test]
async fn workflow_run_webhooks_are_verified_and_upserted() {
    let t = Api::new("http_webhook").await;
    let body = json!({
        "action": "completed",
        "workflow_run": {
            "id": 30_433_642, "name": "Build", "head_branch": "main",
            "head_sha": "acb5820ced9479c074f688cc328bf03f341a511d", "path": ".github/workflows/build.yml",
            "run_number": 562, "event": "push", "status": "completed", "conclusion": "startup_failure",
            "workflow_id": 159_038, "run_attempt": 1,
            "created_at": "2026-11-22T07:50:00Z", "updated_at": "2026-11-22T07:50:41Z",
            "run_started_at": "2026-11-22T07:50:00Z",
            "html_url": "https://github.com/octo-org/octo-repo/actions/runs/30433642"
        },
        "repository": {"id": 1_296_269, "full_name": "octo-org/octo-repo", "name": "octo-repo"},
        "sender": {"login": "octocat", "id": 1}
    })
    .to_string();
    let good = signed(body.as_bytes(), WEBHOOK_SECRET);
    let headers = |sig: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("x-github-event", "workflow_run"),
            ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            ("x-hub-signature-256", sig),
        ]
    };
    let good: &'static str = Box::leak(good.into_boxed_str());
    let a = t
        .call("POST", "/github/webhook", &headers(good), body.as_bytes())
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["inserted"], 1);
    let row =
        t.db.client()
            .await
            .query_one(
                "SELECT repository, conclusion, duration_seconds FROM workflow_runs",
                &[],
            )
            .await
            .expect("stored");
    assert_eq!(row.get::<_, String>(0), "octo-org/octo-repo");
    assert_eq!(row.get::<_, String>(1), "startup_failure");
    assert_eq!(row.get::<_, i32>(2), 41);

    let forged: &'static str = Box::leak(signed(body.as_bytes(), "wrong").into_boxed_str());
    let a = t
        .call("POST", "/github/webhook", &headers(forged), body.as_bytes())
        .await;
    assert_eq!(a.status, 401);
    let a = t
        .call(
            "POST",
            "/github/webhook",
            &[("x-github-event", "ping")],
            b"{}",
        )
        .await;
    assert_eq!(a.status, 401, "unsigned deliveries are refused");
    let ping_sig: &'static str = Box::leak(
        signed(b"{\"zen\":\"Keep it logically awesome.\"}", WEBHOOK_SECRET).into_boxed_str(),
    );
    let a = t
        .call(
            "POST",
            "/github/webhook",
            &[
                ("x-github-event", "ping"),
                ("x-hub-signature-256", ping_sig),
            ],
            b"{\"zen\":\"Keep it logically awesome.\"}",
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(t.db.count("workflow_runs").await, 1);
    t.db.drop_db().await;
}

#[tokio::test]
async fn llm_calls_land_in_llm_calls_with_cost() {
    let t = Api::new("http_llm").await;
    let key = t.key("swamp__1a2b3c4d", KeyKind::Secret).await;
    let body = json!({"calls": [
        {"timestamp": "2026-11-22T07:00:00Z", "model": "claude-sonnet-4-5", "tokens_input": 1000,
         "tokens_output": 100, "call_id": "req_011CVa1", "session_id": "s-1", "success": true},
        {"timestamp": "2026-11-22T07:00:01Z", "model": "claude-sonnet-4-5", "tokens_input": -5}
    ]});
    let a = t.post("/ingest/llm-calls", &key, &body).await;
    assert_eq!(a.status, 207, "{}", a.body);
    assert_eq!(a.body["inserted"], 1);
    assert_eq!(a.body["results"][0]["index"], 1);
    assert_eq!(a.body["results"][0]["path"], "$.calls[1].tokens_input");
    let cost: f64 =
        t.db.client()
            .await
            .query_one("SELECT estimated_cost::float8 FROM llm_calls", &[])
            .await
            .expect("row")
            .get(0);
    assert!((cost - 0.0045).abs() < 1e-9, "{cost}");
    let again = t
        .post(
            "/ingest/llm-calls",
            &key,
            &json!({"calls": [body["calls"][0]]}),
        )
        .await;
    assert_eq!(
        (again.status, again.body["duplicate"].as_u64()),
        (202, Some(1))
    );
    t.db.drop_db().await;
}

#[tokio::test]
async fn health_spec_and_unknown_routes() {
    let t = Api::new("http_misc").await;
    let a = t.call("GET", "/healthz", &[], b"").await;
    assert_eq!((a.status, a.body["database"].as_str()), (200, Some("ok")));
    let a = t.call("GET", "/openapi.json", &[], b"").await;
    assert_eq!(a.body, t.spec, "the served spec is the file");
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../shared/src/http/openapi.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("spec file"),
    )
    .expect("json");
    assert_eq!(a.body, file);
    assert_eq!(t.call("GET", "/nope", &[], b"").await.status, 404);
    let a = t.call("GET", "/ingest", &[], b"").await;
    assert_eq!(
        (a.status, a.headers.get("allow").map(|v| v.as_bytes())),
        (405, Some(&b"POST"[..]))
    );
    t.db.drop_db().await;
}

#[tokio::test]
async fn a_database_that_is_down_is_503_and_nothing_is_reported_accepted() {
    let spec: Value = serde_json::from_str(OPENAPI).expect("spec");
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable&connect_timeout=2",
        free_port()
    );
    let api = HttpIngest::new(make_pool(&url, 1).expect("pool"), config());
    for (method, path) in [("POST", "/ingest"), ("GET", "/healthz")] {
        let event = apigw::event(
            method,
            path,
            &[(
                "authorization",
                "Bearer tk_0123456789ab_0123456789abcdef0123456789abcdef0123456789abcdef",
            )],
            seed_batch(1).to_string().as_bytes(),
        );
        let resp = api.handle(apigw::request(&event)).await;
        assert_eq!(resp.status().as_u16(), 503, "{path}");
        assert_eq!(resp.headers()["retry-after"], "5");
        let body: Value = serde_json::from_slice(resp.body()).expect("json");
        validate_response(&spec, method, path, 503, &body).expect("503 is described");
        assert_eq!(body["error"], "unavailable");
    }
}
