//! `CallSender` against a server that answers as the API does: `Retry-After` followed
//! within the budget (and not past it), every call refused as a delivered batch, and no
//! answer at all as a batch to send again.

use std::time::{Duration, Instant};

use serde_json::json;
use telemetry_client::{CallSender, CallsOutcome};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn calls() -> Vec<serde_json::Value> {
    vec![
        json!({"call_id": "a", "ts": "2026-12-02T08:00:00Z", "model": "claude-sonnet-4-5"}),
        json!({"call_id": "b", "ts": "2026-12-02T08:00:01Z", "model": "claude-sonnet-4-5"}),
    ]
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_then_delivered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ingest/llm-calls"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(
                    json!({"error": "rate_limited", "message": "slow down", "details": {}}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/ingest/llm-calls"))
        .and(header("authorization", "Bearer tk_test"))
        .respond_with(ResponseTemplate::new(207).set_body_json(json!({
            "inserted": 1, "updated": 0, "duplicate": 0, "rejected": 1,
            "results": [{"index": 1, "status": "rejected", "reason": "model: too long", "path": "$.calls[1].model"}]
        })))
        .mount(&server)
        .await;
    let sender = CallSender::new(&server.uri(), "tk_test", Duration::from_secs(5)).expect("sender");
    let t0 = Instant::now();
    let outcome = sender.send(&calls()).await;
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(
        outcome,
        CallsOutcome::Delivered {
            inserted: 1,
            updated: 0,
            duplicate: 0,
            rejected: vec![(1, "model: too long".into())]
        }
    );
    let sent = server.received_requests().await.expect("requests");
    assert_eq!(sent.len(), 2);
    let body: serde_json::Value = serde_json::from_slice(&sent[1].body).expect("json");
    assert_eq!(body["calls"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_wait_past_the_budget_is_not_waited_and_the_batch_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "60").set_body_json(
            json!({"error": "unavailable", "message": "database unavailable", "details": {}}),
        ))
        .mount(&server)
        .await;
    let mut sender =
        CallSender::new(&server.uri(), "tk_test", Duration::from_secs(5)).expect("sender");
    sender.retry_budget = Duration::from_secs(10);
    let t0 = Instant::now();
    let outcome = sender.send(&calls()).await;
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(
        matches!(outcome, CallsOutcome::Failed(ref why) if why.contains("503")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn every_call_refused_is_delivered_and_no_server_is_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_batch", "message": "all 2 items were rejected",
            "details": {"results": [
                {"index": 0, "status": "rejected", "reason": "ts: bad", "path": "$.calls[0].ts"},
                {"index": 1, "status": "rejected", "reason": "ts: bad", "path": "$.calls[1].ts"}]}
        })))
        .mount(&server)
        .await;
    let sender = CallSender::new(&server.uri(), "tk_test", Duration::from_secs(5)).expect("sender");
    match sender.send(&calls()).await {
        CallsOutcome::Delivered {
            inserted, rejected, ..
        } => {
            assert_eq!((inserted, rejected.len()), (0, 2));
        }
        other => panic!("{other:?}"),
    }
    let port = telemetry_tests::free_port();
    let gone = CallSender::new(
        &format!("http://127.0.0.1:{port}"),
        "tk_test",
        Duration::from_secs(2),
    )
    .expect("sender");
    assert!(matches!(gone.send(&calls()).await, CallsOutcome::Failed(_)));
}
