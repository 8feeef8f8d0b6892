//! http-ingest at the handler, the other routes: GitHub webhooks, LLM calls, health, the
//! served spec, unknown routes, and a database that is down.

use serde_json::{json, Value};
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::http::{HttpIngest, KeyKind, OPENAPI};
use telemetry_tests::http_api::{config, seed_batch, signed, Api, WEBHOOK_SECRET};
use telemetry_tests::openapi::validate_response;
use telemetry_tests::{apigw, free_port};

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
    let api = std::sync::Arc::new(HttpIngest::new(
        make_pool(&url, 1, Workload::Request).expect("pool"),
        config(),
    ));
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
