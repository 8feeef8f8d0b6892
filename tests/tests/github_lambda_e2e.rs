//! github-sync end to end through the real Lambda Runtime API: `cargo lambda watch` runs the
//! function, which reads its token at cold start from a Secrets Manager secret through the
//! Parameters and Secrets extension's local endpoint (played by a local HTTP server, as the
//! layer is not available outside Lambda), then `cargo lambda invoke` delivers the scheduled
//! event and the function syncs a local GitHub into a fresh PostgreSQL database.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::lambda::{Watch, XrayDaemon};
use telemetry_tests::TestDb;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:telemetry/github-token-AbCdEf";

fn scheduled_event() -> Value {
    let path = format!(
        "{}/fixtures/events/github_sync_schedule.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// The extension's answer: GetSecretValue's shape.
async fn secrets_extension() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/secretsmanager/get"))
        .and(query_param("secretId", SECRET_ARN))
        .and(header(
            "x-aws-parameters-secrets-token",
            "session-token-e2e",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ARN": SECRET_ARN, "Name": "telemetry/github-token",
            "SecretString": json!({"token": TOKEN}).to_string(),
            "VersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            "VersionStages": ["AWSCURRENT"], "CreatedDate": "2026-11-01T09:00:00.000Z"
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn scheduled_event_syncs_runs_through_the_lambda_runtime_api() {
    let db = TestDb::new("gh_lambda").await;
    let gh = FakeGitHub::start("acme/api").await;
    let day = Utc::now().date_naive() - Duration::days(2);
    gh.add_day(day, 150, 1);
    gh.add_unfinished_run(900, Utc::now() - Duration::minutes(3), "in_progress");
    let ext = secrets_extension().await;
    let ext_port = ext.address().port().to_string();

    let daemon = XrayDaemon::start();
    let daemon_addr = daemon.address();
    let watch = Watch::start(&[
        ("AWS_XRAY_DAEMON_ADDRESS", &daemon_addr),
        ("DATABASE_URL", &db.url),
        ("GITHUB_API_URL", &gh.url),
        ("GITHUB_REPOSITORIES", "acme/api"),
        ("GITHUB_TOKEN_SECRET_ARN", SECRET_ARN),
        ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", &ext_port),
        ("AWS_SESSION_TOKEN", "session-token-e2e"),
    ]);
    // A by-hand invocation with a bad repository name is refused with the reason. Being
    // first, it also waits out the emulator's build of the function, which would otherwise
    // eat into the scheduled invocation's deadline.
    let err = watch
        .invoke("github-sync", &json!({"repositories": ["not a repo"]}))
        .expect_err("refused");
    assert!(err.contains("repositories"), "{err}");

    let first = watch
        .invoke("github-sync", &scheduled_event())
        .expect("the sync succeeds");
    let repo = &first["repositories"][0];
    assert_eq!(first["complete"], true, "{first}");
    assert_eq!(repo["repository"], "acme/api");
    assert_eq!(repo["inserted"], 151, "{first}");
    assert_eq!(db.count("workflow_runs").await, 151);

    gh.complete(900, Utc::now(), "success");
    let second = watch
        .invoke("github-sync", &scheduled_event())
        .expect("the second sync succeeds");
    let repo = &second["repositories"][0];
    assert_eq!(repo["updated"], 1, "{second}");
    assert_eq!(repo["inserted"], 0);
    // Only today's window and run 900's jobs changed: two counted requests, the rest 304.
    let requests = repo["requests"].as_u64().unwrap_or_default();
    let not_modified = repo["not_modified"].as_u64().unwrap_or_default();
    assert_eq!(requests - not_modified, 2, "{second}");
    assert_eq!(repo["jobs_updated"], 1, "{second}");
    assert_eq!(db.count("workflow_jobs").await, 151);
    // Each sync wrote its custom metrics as EMF: the second made `requests`, two counted,
    // and GitHub's quota left after its last answer.
    let emf = watch.emf_lines();
    let syncs: Vec<&Value> = emf
        .iter()
        .filter(|d| d["function"] == "github-sync" && d.get("github_requests").is_some())
        .collect();
    let last = syncs.last().expect("the second sync's metrics");
    assert_eq!(last["github_requests"].as_u64(), Some(requests), "{emf:?}");
    assert_eq!(last["github_requests_counted"], 2);
    assert!(
        last["github_quota_remaining"]
            .as_f64()
            .is_some_and(|q| q > 0.0 && q < 5000.0),
        "{last}"
    );

    // Every request to GitHub was a subsegment of its invocation's trace, with the method,
    // the URL without its query, and GitHub's status; the runs' upserts were traced too.
    let docs = daemon.documents();
    let calls = daemon.ended(&docs, "GitHub");
    let made = first["repositories"][0]["requests"]
        .as_u64()
        .unwrap_or_default()
        + requests;
    assert!(
        docs.iter().all(|d| d.is_object()),
        "packets that are not segments: {:?}",
        docs.iter()
            .filter(|d| !d.is_object())
            .take(3)
            .collect::<Vec<_>>()
    );
    assert_eq!(calls.len() as u64, made, "{} documents", docs.len());
    for c in &calls {
        assert_eq!(c["namespace"], "remote", "{c}");
        assert_eq!(c["http"]["request"]["method"], "GET", "{c}");
        let url = c["http"]["request"]["url"].as_str().unwrap_or_default();
        assert!(url.starts_with(&gh.url) && !url.contains('?'), "{c}");
    }
    let statuses: Vec<u64> = calls
        .iter()
        .filter_map(|c| c["http"]["response"]["status"].as_u64())
        .collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&304),
        "{statuses:?}"
    );
    assert!(
        !daemon.ended(&docs, "PostgreSQL upsert run").is_empty(),
        "{docs:?}"
    );

    drop(watch);
    db.drop_db().await;
}
