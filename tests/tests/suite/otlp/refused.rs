//! Refused OTLP requests: undecodable, wrong type, no or wrong key, a public token over its
//! limit, the database gone. Each is answered with a `google.rpc.Status` in the request's
//! encoding, `Retry-After` where a retry can succeed, and stores nothing.

use std::time::Duration;

use prost::Message;
use serde_json::json;
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::http::{HttpIngest, KeyKind};
use telemetry_shared::otlp::Status;
use telemetry_tests::apigw;
use telemetry_tests::fake_pg::FakePg;
use telemetry_tests::http_api::{config, gzip, Api};
use telemetry_tests::otlp::{claude_session, codex_turn, protobuf, s};

use super::{counts, json_of, post, JSON, PROJECT, PROTO};

fn status_of(body: &[u8], ct: &str) -> (i32, String) {
    if ct == PROTO {
        let s = Status::decode(body).expect("a google.rpc.Status");
        (s.code, s.message)
    } else {
        let v = json_of(body);
        (
            v["code"].as_i64().unwrap_or(-1) as i32,
            v["message"].as_str().unwrap_or("").into(),
        )
    }
}

#[tokio::test]
async fn refused_exports_are_answered_with_a_status_in_their_encoding() {
    let t = Api::new("otlp_refused").await;
    let key = t.key(PROJECT, KeyKind::Secret).await;
    let read = t.key(PROJECT, KeyKind::Read).await;
    // Undecodable: 400, INVALID_ARGUMENT, in the request's encoding.
    let (st, h, body) = post(&t, &key, PROTO, b"\xff\xff\xff\x0f not protobuf", false).await;
    assert_eq!((st, h["content-type"].to_str().expect("ct")), (400, PROTO));
    assert_eq!(status_of(&body, PROTO).0, 3);
    let (st, _, body) = post(
        &t,
        &key,
        JSON,
        br#"{"resourceLogs": [{"scopeLogs": 7}]}"#,
        false,
    )
    .await;
    assert_eq!(st, 400);
    let (code, message) = status_of(&body, JSON);
    assert_eq!(code, 3);
    assert!(message.contains("not an OTLP JSON message"), "{message}");
    // A truncated gzip stream is a bad body, not a crash.
    let gz = gzip(claude_session("s").to_string().as_bytes());
    let (st, _, _) = t
        .raw(
            "/v1/logs",
            &[
                ("content-type", JSON),
                ("content-encoding", "gzip"),
                ("authorization", &format!("Bearer {key}")),
            ],
            &gz[..gz.len() / 2],
        )
        .await;
    assert_eq!(st, 400);
    let (st, _, _) = post(&t, &key, "text/plain", b"hello", false).await;
    assert_eq!(st, 415);
    let (st, _, body) = t
        .raw(
            "/v1/logs",
            &[("content-type", PROTO)],
            &protobuf(&claude_session("s")),
        )
        .await;
    assert_eq!((st, status_of(&body, PROTO).0), (401, 16));
    let (st, _, _) = post(
        &t,
        &read,
        JSON,
        claude_session("s").to_string().as_bytes(),
        false,
    )
    .await;
    assert_eq!(st, 403, "a read key may not write");
    let (st, _, _) = post(&t, "tk_nothing_here", JSON, b"{}", false).await;
    assert_eq!(st, 401);
    assert_eq!(
        counts(&t).await,
        (0, 0),
        "nothing stored by a refused request"
    );
    // An empty export is a full success.
    let (st, _, body) = post(&t, &key, JSON, b"{}", false).await;
    assert_eq!((st, json_of(&body)), (200, json!({})));
    t.db.drop_db().await;
}

#[tokio::test]
async fn public_tokens_post_in_the_path_and_are_rate_limited_with_retry_after() {
    let t = Api::new("otlp_public").await;
    let token = t.key(PROJECT, KeyKind::Public).await;
    telemetry_tests::http_api::within_one_minute().await;
    let path = format!("/p/{token}/v1/logs");
    // Two storable records per export (the stream delta is skipped); 5 a minute allowed,
    // and only records stored new count: the same export again costs nothing.
    let mut statuses = Vec::new();
    let mut last = None;
    for conversation in ["conv-p1", "conv-p1", "conv-p2", "conv-p3"] {
        let body = protobuf(&codex_turn(conversation));
        let (st, headers, answer) = t.raw(&path, &[("content-type", PROTO)], &body).await;
        statuses.push(st);
        last = Some((headers, answer));
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let (headers, answer) = last.expect("answer");
    let wait: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(status_of(&answer, PROTO).0, 8);
    assert_eq!(counts(&t).await, (2, 2));
    // Metrics are acknowledged on the same path and never stored.
    let metrics = json!({"resourceMetrics": [{"resource": {"attributes": [s("service.name", "claude-code")]},
        "scopeMetrics": [{"metrics": [{"name": "claude_code.token.usage", "unit": "tokens",
            "sum": {"aggregationTemporality": 1, "isMonotonic": true, "dataPoints": [
                {"asDouble": 1200, "timeUnixNano": "1764662400000000000",
                 "attributes": [s("type", "input"), s("model", "claude-sonnet-4-5")]}]}}]}]}]});
    let (st, _, answer) = t
        .raw(
            &format!("/p/{token}/v1/metrics"),
            &[("content-type", JSON)],
            metrics.to_string().as_bytes(),
        )
        .await;
    assert_eq!((st, json_of(&answer)), (200, json!({})));
    assert_eq!(counts(&t).await, (2, 2));
    t.db.drop_db().await;
}

#[tokio::test]
async fn a_database_that_never_answers_is_a_503_with_retry_after() {
    let silent = FakePg::silent();
    let api = std::sync::Arc::new(HttpIngest::new(
        make_pool(&silent.url(""), 1, Workload::Request).expect("pool"),
        config(),
    ));
    let event = apigw::event(
        "POST",
        "/v1/logs",
        &[
            ("content-type", PROTO),
            (
                "authorization",
                "Bearer tk_0123456789ab_0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
        ],
        &protobuf(&claude_session("s")),
    );
    let t0 = std::time::Instant::now();
    let resp = api.handle(apigw::request(&event)).await;
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.headers()["retry-after"], "5");
    assert_eq!(status_of(resp.body(), PROTO).0, 14);
}
