//! The GitHub REST client against a local HTTP server (wiremock) answering with
//! recorded-shape bodies and headers: Link pagination, ETag 304s, rate limits, server errors,
//! a bad token, and deadlines that stop waiting instead of sleeping past them.

use std::time::Duration;
use telemetry_shared::failure::Retryable;

use serde_json::{json, Value};
use telemetry_shared::github::{GitHubApi, GitHubError, ReqwestGitHub};
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn runs_page() -> Value {
    let path = format!(
        "{}/fixtures/github/runs_page.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// Headers as api.github.com sends them with a runs page.
fn github_ok(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-github-api-version-selected", "2022-11-28")
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4987")
        .insert_header("x-ratelimit-reset", "1795000000")
        .insert_header("x-ratelimit-used", "13")
        .insert_header("x-ratelimit-resource", "core")
        .set_body_json(body)
}

fn later(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

#[tokio::test]
async fn follows_link_pages_as_given_and_revalidates_with_etags() {
    let server = MockServer::start().await;
    let next = format!(
        "{}/repositories/136124802/actions/runs?per_page=100&page=2",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/repos/acme/api/actions/runs"))
        .and(header("authorization", "Bearer ghs_test"))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header("if-none-match", "W/\"page1\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "W/\"page1\""))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/api/actions/runs"))
        .respond_with(
            github_ok(&runs_page())
                .insert_header("etag", "W/\"page1\"")
                .insert_header(
                    "link",
                    format!(r#"<{next}>; rel="next", <{next}>; rel="last""#).as_str(),
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/136124802/actions/runs"))
        .and(query_param("page", "2"))
        .respond_with(github_ok(&json!({"total_count": 3, "workflow_runs": []})))
        .mount(&server)
        .await;

    let gh = ReqwestGitHub::new("ghs_test").expect("client");
    let first = gh
        .get(
            &format!("{}/repos/acme/api/actions/runs?per_page=100", server.uri()),
            None,
            later(30),
        )
        .await
        .expect("page 1");
    assert_eq!(
        first
            .body
            .as_ref()
            .map(|b| b["workflow_runs"].as_array().map(Vec::len)),
        Some(Some(3))
    );
    assert_eq!(first.next.as_deref(), Some(next.as_str()));
    assert_eq!(first.etag.as_deref(), Some("W/\"page1\""));
    let second = gh.get(&next, None, later(30)).await.expect("page 2");
    assert_eq!(second.next, None);

    let again = gh
        .get(
            &format!("{}/repos/acme/api/actions/runs?per_page=100", server.uri()),
            first.etag.as_deref(),
            later(30),
        )
        .await
        .expect("304");
    assert!(again.body.is_none());
    assert!(!again.counted, "304s do not count against the quota");
}

#[tokio::test]
async fn waits_out_a_secondary_limit_and_retries_server_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/limited"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/limited"))
        .respond_with(github_ok(&runs_page()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flaky"))
        .respond_with(github_ok(&runs_page()))
        .mount(&server)
        .await;

    let gh = ReqwestGitHub::new("ghs_test").expect("client");
    let started = std::time::Instant::now();
    let page = gh
        .get(&format!("{}/limited", server.uri()), None, later(30))
        .await
        .expect("after the wait");
    assert_eq!(page.waits, 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    let page = gh
        .get(&format!("{}/flaky", server.uri()), None, later(60))
        .await
        .expect("after retries");
    assert!(page.body.is_some());
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(5));
}

#[tokio::test]
async fn bad_tokens_and_limits_past_the_deadline_stop_cleanly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/bad-token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})))
        .mount(&server)
        .await;
    let reset = chrono::Utc::now().timestamp() + 3600;
    Mock::given(method("GET"))
        .and(path("/exhausted"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded for installation ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/slow-down"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "60")
                .set_body_json(json!({"message": "m"})),
        )
        .mount(&server)
        .await;

    let gh = ReqwestGitHub::new("wrong").expect("client");
    let err = gh
        .get(&format!("{}/bad-token", server.uri()), None, later(30))
        .await
        .expect_err("401");
    assert!(matches!(err, GitHubError::BadToken(_)));
    assert!(
        err.to_string().contains("Bad credentials") && err.to_string().contains("GITHUB_TOKEN"),
        "{err}"
    );
    assert!(!err.is_retryable());

    let started = std::time::Instant::now();
    let err = gh
        .get(&format!("{}/exhausted", server.uri()), None, later(30))
        .await
        .expect_err("primary");
    assert!(matches!(err, GitHubError::RateLimited { .. }), "{err}");
    assert!(err.is_retryable());
    let err = gh
        .get(&format!("{}/slow-down", server.uri()), None, later(5))
        .await
        .expect_err("secondary");
    assert!(matches!(err, GitHubError::Deadline(_)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no sleeping past the deadline"
    );
}
