//! What a broken script or an attacker sends the read API: unknown, repeated, oversized and
//! NUL-carrying parameters, inverted and unbounded ranges, forged cursors, wrong methods.
//! Each is one 400 (or 403/405) naming the parameter, and the database is never asked.

use serde_json::json;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

use super::A;

#[tokio::test]
async fn hostile_queries_are_refused_by_parameter() {
    let t = Api::new("read_api_hostile").await;
    let key = t.key(A, KeyKind::Read).await;
    let long = "9".repeat(300);
    let cases: Vec<(String, &str)> = vec![
        ("/api/v1/llm/calls?bogus=1".into(), "query"),
        ("/api/v1/llm/calls?since=7d&since=1d".into(), "since"),
        (
            "/api/v1/llm/calls?since=2026-11-22&until=2026-11-21".into(),
            "since",
        ),
        (
            "/api/v1/llm/calls?since=2024-01-01&until=2026-11-21".into(),
            "since",
        ),
        ("/api/v1/llm/calls?since=%00".into(), "since"),
        ("/api/v1/llm/calls?until=2026-02-30".into(), "until"),
        (format!("/api/v1/llm/calls?since={long}"), "since"),
        ("/api/v1/llm/calls?limit=1000000".into(), "limit"),
        ("/api/v1/llm/calls?limit=-1".into(), "limit"),
        ("/api/v1/llm/calls?cursor=1.2.3".into(), "cursor"),
        (
            "/api/v1/llm/calls?cursor=99999999999999999999.1".into(),
            "cursor",
        ),
        ("/api/v1/llm/top?by=colour".into(), "by"),
        ("/api/v1/llm/cost-daily?limit=5".into(), "query"),
        ("/api/v1/ci/runs-daily?cursor=1.1".into(), "query"),
    ];
    for (url, parameter) in &cases {
        let a = t.get(url, &key).await;
        assert_eq!(
            (a.status, a.body["details"]["parameter"].as_str()),
            (400, Some(*parameter)),
            "{url}: {}",
            a.body
        );
    }
    // Undecodable percent-encoding (not UTF-8) is a 400 too.
    let bad = t.get("/api/v1/llm/calls?since=%FF%FE", &key).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    // Percent-encoded values are decoded: an RFC 3339 time with an encoded offset.
    let ok = t
        .get(
            "/api/v1/llm/calls?since=2026-11-20T00%3A00%3A00%2B02%3A00&until=2026-11-21",
            &key,
        )
        .await;
    assert_eq!(
        (ok.status, &ok.body["range"]["since"]),
        (200, &json!("2026-11-19T22:00:00Z")),
        "{}",
        ok.body
    );
    // A read route answers GET only; a write route's GET is 405 too.
    let post = t.post("/api/v1/llm/calls", &key, &json!({})).await;
    assert_eq!(
        (post.status, post.headers.get("allow").map(|v| v.as_bytes())),
        (405, Some(&b"GET"[..]))
    );
    assert_eq!(t.get("/api/v1/nothing", &key).await.status, 404);
    // A key in the query string is not a key.
    assert_eq!(
        t.call("GET", &format!("/api/v1/whoami?key={key}"), &[], b"")
            .await
            .status,
        401
    );
}
