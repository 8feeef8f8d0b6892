//! The dashboard test's data: a project with a git remote, a read key and an admin read key,
//! a week of calls of three models and four more (one unpriced, one naming a task), another
//! project's call, six workflow runs, a coverage report, CLI events, a briefing, a queued job,
//! and an agent task with a worker whose log is in the upload bucket.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use telemetry_tests::TestDb;

use super::key_of;
use crate::common::Server;

/// Where the worker's log is in the upload bucket (the test puts it there).
pub(super) const LOG_KEY: &str = "logs/w-abc123.jsonl";

/// What the checks need of the seeded data.
pub(super) struct Seeded {
    /// The project's id.
    pub project: String,
    /// Its read key.
    pub read: String,
    /// An admin read key.
    pub admin: String,
    /// When the data was made (its times are before it).
    pub now: DateTime<Utc>,
}

/// Seeds `db` through `server` (the API, with the project's secret key) and SQL.
pub(super) async fn seed(db: &TestDb, server: &Server) -> Seeded {
    let secret = key_of(
        db,
        &[
            "--project",
            "shop",
            "--remote",
            "git@github.com:acme/shop.git",
        ],
    );
    let project = {
        let c = db.client().await;
        let row = c
            .query_one("SELECT project_id FROM projects", &[])
            .await
            .expect("project");
        row.get::<_, String>(0)
    };
    let read = key_of(db, &["--project", &project, "--read"]);
    let admin = key_of(db, &["--read", "--all-projects"]);
    let other = key_of(db, &["--project", "other__00000001"]);
    let now = Utc::now();
    let at = |hours: i64| (now - Duration::hours(hours)).to_rfc3339();
    // A week of calls of three models (no session: the top lists below stay the four's).
    let mut history: Vec<Value> = Vec::new();
    for d in 1..=6_i64 {
        for (m, model) in ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5"]
            .iter()
            .enumerate()
        {
            let m = m as i64;
            history.push(
                json!({"call_id": format!("w{d}-{m}"), "timestamp": at(d * 24 + 5 + m),
                "model": model, "tokens_input": 20_000 * (d + m), "tokens_output": 3_000 * (7 - d),
                "tokens_cache_read": 150_000 * d, "tokens_cache_write": 10_000 * m}),
            );
        }
    }
    let calls = json!({"calls": [
        {"call_id": "a", "timestamp": at(50), "model": "claude-sonnet-4-5", "session_id": "s-old",
         "tokens_input": 120000, "tokens_output": 9000, "tokens_cache_read": 400000},
        {"call_id": "b", "timestamp": at(49), "model": "gpt-5", "session_id": "s-old",
         "tokens_input": 50000, "tokens_output": 4000},
        {"call_id": "c", "timestamp": at(2), "model": "claude-sonnet-4-5", "session_id": "s-new",
         "task_id": "gh-7", "tokens_input": 30000, "tokens_output": 2500, "tokens_cache_write": 8000,
         "tool": "claude_code", "repository": "acme/shop", "git_branch": "fix/cart",
         "user_email": "dev@example.com"},
        {"call_id": "d", "timestamp": at(1), "model": "acme-llm", "session_id": "s-new",
         "tokens_input": 10, "tokens_output": 10}
    ]});
    let http = reqwest::Client::new();
    let elsewhere = json!({"calls": [{"call_id": "o", "timestamp": at(3), "model": "gpt-5",
        "session_id": "s-other", "tokens_input": 1000, "tokens_output": 100}]});
    for (key, body) in [
        (&secret, calls),
        (&secret, json!({"calls": history})),
        (&other, elsewhere),
    ] {
        let resp = http
            .post(server.url("/ingest/llm-calls"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), 202);
    }
    db.client()
        .await
        .execute(
            "INSERT INTO workflow_runs (github_run_id, repository, workflow_name, status, conclusion,
                 started_at, duration_seconds, html_url, branch, commit_sha)
             SELECT n, 'acme/shop', 'ci', 'completed', CASE WHEN n = 3 THEN 'failure' ELSE 'success' END,
                    $1::timestamptz - n * interval '3 hours', 60 * n,
                    'https://github.com/acme/shop/actions/runs/' || n, 'main', repeat('ab', 20)
             FROM generate_series(1, 6) n",
            &[&now],
        )
        .await
        .expect("runs");
    // Their jobs: one `test` job each, run 3's failed then passed on a re-run (flaky), queued
    // 20 s, billed a minute per run number at the 2026 Linux rate.
    db.client()
        .await
        .execute(
            "INSERT INTO workflow_jobs (github_job_id, run_attempt, github_run_id, repository,
                 workflow_name, job_name, status, conclusion, github_created_at, started_at,
                 completed_at, queue_seconds, duration_seconds, labels, billable_minutes,
                 billing_sku, estimated_cost_usd, rate_version, repository_private)
             SELECT n * 10 + a, a, n, 'acme/shop', 'ci', 'test', 'completed',
                    CASE WHEN n = 3 AND a = 1 THEN 'failure' ELSE 'success' END,
                    $1::timestamptz - n * interval '3 hours' - interval '20 seconds',
                    $1::timestamptz - n * interval '3 hours',
                    $1::timestamptz - n * interval '3 hours' + 60 * n * interval '1 second',
                    20, 60 * n, '[\"ubuntu-latest\"]', n, 'linux', n * 0.006, 'github-2026-01', true
             FROM generate_series(1, 6) n, generate_series(1, 2) a WHERE a = 1 OR n = 3",
            &[&now],
        )
        .await
        .expect("jobs");

    // A coverage report of the runs' commit, and CLI events over two days.
    let lcov = "SF:src/lib.rs\nDA:1,1\nDA:2,1\nDA:3,0\nDA:4,1\nend_of_record\n";
    let events: Vec<Value> = (0..6)
        .map(|i| {
            json!({"event": if i < 4 { "cli_invocation" } else { "error" },
                   "distinct_id": format!("user-{}", i % 3), "timestamp": at(if i % 2 == 0 { 1 } else { 30 }),
                   "properties": {"id": format!("e{i}"), "os": if i < 3 { "linux" } else { "darwin" }}})
        })
        .collect();
    for body in [
        json!({"coverage": [{"repository": "acme/shop", "branch": "main", "commit": "ab".repeat(20),
                             "filename": "lcov.info", "report": lcov}]}),
        json!({"batch": events}),
        json!({"briefings": [{"session_id": "s-new", "task_id": "gh-7", "status": "completed",
                              "ended_at": at(1), "impact_level": "major", "doc_drift_risk": "high",
                              "raw_markdown": "## Summary\n\nFixed the flaky test."}],
               "jobs": [{"job_id": "j-1", "job_type": "doc_patch", "model": "haiku", "status": "queued",
                         "ts_created": at(1), "request": {"prompt": "update the docs"}}]}),
    ] {
        let resp = http
            .post(server.url("/ingest"))
            .bearer_auth(&secret)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), 202, "{body}");
    }
    // An agent task with a worker; call "c" names the task.
    db.client()
        .await
        .execute(
            "INSERT INTO tasks (task_id, title, detected_at, completed_at, status, status_at)
             VALUES ('gh-7', 'Fix the flaky test', $1::timestamptz - interval '3 hours',
                     $1::timestamptz - interval '1 hour', 'completed', $1::timestamptz - interval '1 hour');
             ",
            &[&now],
        )
        .await
        .expect("task");
    db.client()
        .await
        .execute(
            "INSERT INTO workers (worker_id, task_id, spawned_at, status, status_at, log_file)
             VALUES ('w-abc123', 'gh-7', $1::timestamptz - interval '150 minutes', 'completed',
                     $1::timestamptz - interval '70 minutes', $2)",
            &[
                &now,
                &format!("s3://{}/{LOG_KEY}", telemetry_tests::s3::BUCKET),
            ],
        )
        .await
        .expect("worker");
    Seeded {
        project,
        read,
        admin,
        now,
    }
}
