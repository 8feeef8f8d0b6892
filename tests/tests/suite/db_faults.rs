//! The database misbehaving: a server that accepts and never answers, one starting up or
//! shutting down, a database or role that does not exist, a statement that runs too long,
//! and runs left `running` by a process that was killed. Every case fails within its budget,
//! says what happened, and is classified retryable or not; nothing is reported stored.

use std::io::Cursor;
use std::time::{Duration, Instant};
use telemetry_shared::failure::Retryable;

use serde_json::Value;
use telemetry_shared::db::{make_pool, with_database, DbError, Workload};
use telemetry_shared::http::HttpIngest;
use telemetry_shared::ingest::{ingest_usage_csv, IngestError, IngestOptions, SourceInfo};
use telemetry_tests::fake_pg::FakePg;
use telemetry_tests::http_api::{config, seed_batch};
use telemetry_tests::{admin_url, apigw, TestDb};

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

async fn ingest(url: &str, workload: Workload, body: &str) -> Result<u64, IngestError> {
    let pool = make_pool(url, 1, workload).expect("pool");
    let source = SourceInfo {
        kind: "usage_csv".into(),
        uri: "/tmp/faults.csv".into(),
        version: None,
    };
    ingest_usage_csv(
        &pool,
        Cursor::new(body.as_bytes().to_vec()),
        &source,
        IngestOptions::new(10),
    )
    .await
    .map(|r| r.inserted)
}

/// POSTs one event batch (and GETs /healthz) to an API on `url`; returns the statuses, the
/// Retry-After values and the slowest answer.
async fn http(url: &str) -> (Vec<u16>, Vec<String>, Duration) {
    let api = std::sync::Arc::new(HttpIngest::new(
        make_pool(url, 1, Workload::Request).expect("pool"),
        config(),
    ));
    let (mut statuses, mut retry, mut slowest) = (vec![], vec![], Duration::ZERO);
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
        let t0 = Instant::now();
        let resp = api.handle(apigw::request(&event)).await;
        slowest = slowest.max(t0.elapsed());
        statuses.push(resp.status().as_u16());
        retry.push(
            resp.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        );
        let body: Value = serde_json::from_slice(resp.body()).expect("json");
        assert_eq!(body["error"], "unavailable", "{body}");
    }
    (statuses, retry, slowest)
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_connect_timeout() {
    let silent = FakePg::silent();
    let t0 = Instant::now();
    let err = ingest(&silent.url("&connect_timeout=1"), Workload::Ingest, HEADER)
        .await
        .expect_err("no answer");
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "bounded by connect_timeout: {took:?}"
    );
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(silent.connections() >= 1, "the server was reached");
}

#[tokio::test]
async fn the_api_answers_503_before_its_budget_when_the_server_never_answers() {
    // No connect_timeout in the URL: requests still give up after 3 s, inside the
    // function's 10 s.
    let silent = FakePg::silent();
    let (statuses, retry, slowest) = http(&silent.url("")).await;
    assert_eq!(statuses, [503, 503]);
    assert_eq!(retry, ["5", "5"]);
    assert!(slowest < Duration::from_secs(6), "{slowest:?}");
}

#[tokio::test]
async fn a_server_starting_up_or_shutting_down_is_transient() {
    for (code, message) in [
        ("57P03", "the database system is starting up"),
        (
            "57P01",
            "terminating connection due to administrator command",
        ),
        ("53300", "sorry, too many clients already"),
    ] {
        let fake = FakePg::refusing(code, message);
        let err = ingest(&fake.url(""), Workload::Ingest, HEADER)
            .await
            .expect_err("refused");
        assert!(err.is_retryable(), "{code}: {err}");
        let text = err.to_string();
        assert!(text.contains(message) && text.contains(code), "{text}");
        assert!(!text.contains("connection string"), "{text}");
        let (statuses, retry, _) = http(&fake.url("")).await;
        assert_eq!(
            (statuses, retry),
            (vec![503, 503], vec!["5".into(), "5".into()])
        );
    }
}

#[tokio::test]
async fn a_missing_database_or_role_says_so_and_is_not_retried() {
    let url = with_database(&admin_url(), "telemetry_no_such_database");
    let err = ingest(&url, Workload::Ingest, HEADER)
        .await
        .expect_err("no database");
    assert!(!err.is_retryable(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("database \"telemetry_no_such_database\" does not exist")
            && text.contains("telemetry migrate --create-database"),
        "{text}"
    );

    let url = admin_url().replacen("postgres@", "telemetry_no_such_role@", 1);
    assert!(url.contains("telemetry_no_such_role@"), "{url}");
    let err = ingest(&url, Workload::Ingest, HEADER)
        .await
        .expect_err("no role");
    assert!(!err.is_retryable(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("refused the login") && text.contains("telemetry_no_such_role"),
        "{text}"
    );
}

#[tokio::test]
async fn every_workload_bounds_its_statements() {
    let db = TestDb::new("db_faults_timeouts").await;
    for (workload, statement, lock) in [
        (Workload::Request, "5s", "0"),
        (Workload::Ingest, "2min", "0"),
        (Workload::Prune, "5min", "5s"),
    ] {
        let pool = make_pool(&db.url, 1, workload).expect("pool");
        let c = pool.get().await.expect("connection");
        let show = |name: &'static str| {
            let c = &c;
            async move {
                c.query_one(&format!("SHOW {name}"), &[])
                    .await
                    .expect("show")
                    .get::<_, String>(0)
            }
        };
        assert_eq!(
            (show("statement_timeout").await, show("lock_timeout").await),
            (statement.to_string(), lock.to_string()),
            "{workload:?}"
        );
    }
    // A statement over the limit is cancelled by the server: "timed out", retryable.
    let url = format!("{}&options=-c%20statement_timeout%3D200", db.url);
    let pool = make_pool(&url, 1, Workload::Request).expect("pool");
    let c = pool.get().await.expect("connection");
    let t0 = Instant::now();
    let err = DbError::from(
        c.query_one("SELECT pg_sleep(5)", &[])
            .await
            .expect_err("cancelled"),
    );
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    drop(c);
    db.drop_db().await;
}

#[tokio::test]
async fn a_run_left_running_by_a_killed_process_is_marked_abandoned_by_the_next() {
    let db = TestDb::new("db_faults_stale").await;
    let c = db.client().await;
    c.batch_execute(
        "INSERT INTO ingest_runs (source_kind, source_uri, started_at, heartbeat_at, rows_read, inserted)
             VALUES ('usage_csv', '/killed.csv', now() - interval '2 hours', now() - interval '1 hour', 10, 10),
                    ('usage_csv', '/alive.csv', now() - interval '1 hour', now() - interval '1 minute', 5, 5)",
    )
    .await
    .expect("runs");
    let body = format!("{HEADER}2026-11-01T10:00:00Z,gpt-4o,1,1,true,plan,1,\n");
    assert_eq!(
        ingest(&db.url, Workload::Ingest, &body)
            .await
            .expect("ingest"),
        1
    );
    let rows = c
        .query(
            "SELECT source_uri, status, coalesce(error, ''), rows_read, heartbeat_at IS NOT NULL
             FROM ingest_runs ORDER BY id",
            &[],
        )
        .await
        .expect("runs");
    let got: Vec<(String, String, String, i64, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("/killed.csv", "failed")
    );
    assert!(
        got[0].2.starts_with("abandoned: no progress since "),
        "{:?}",
        got[0]
    );
    assert_eq!(got[0].3, 10, "the counts it committed are kept");
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_str()),
        ("/alive.csv", "running")
    );
    assert_eq!(
        (got[2].1.as_str(), got[2].3, got[2].4),
        ("succeeded", 1, true)
    );
    drop(c);
    db.drop_db().await;
}
