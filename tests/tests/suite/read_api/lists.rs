//! The read API's lists page through every row once, newest first, and the CI routes read
//! the project's repository (from its git remote) with the runs' GitHub links.

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

use super::{call, A, B, RANGE};

#[tokio::test]
async fn call_lists_page_through_every_row_once_newest_first() {
    let t = Api::new("read_api_pages").await;
    let key = t.key(A, KeyKind::Secret).await;
    // 230 calls, in batches, many sharing a timestamp: the cursor breaks ties by id.
    for batch in 0..3 {
        let calls: Vec<Value> = (0..77)
            .map(|i| {
                let n = batch * 77 + i;
                let ts = format!("2026-11-20T{:02}:00:00Z", n % 5);
                call(&format!("c{n}"), &ts, "claude-sonnet-4-5", "s", 10 + n)
            })
            .collect();
        let a = t
            .post("/ingest/llm-calls", &key, &json!({"calls": calls}))
            .await;
        assert_eq!(a.status, 202, "{}", a.body);
    }
    let read = t.key(A, KeyKind::Read).await;
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("/api/v1/llm/calls?{RANGE}&limit=50");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = t.get(&url, &read).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        for c in page.body["calls"].as_array().expect("calls") {
            seen.push((
                c["timestamp"].as_str().expect("ts").to_string(),
                c["id"].as_i64().expect("id"),
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 20, "the pages never end");
    }
    let stored: Vec<i64> =
        t.db.client()
            .await
            .query(
                "SELECT id FROM llm_calls ORDER BY timestamp DESC, id DESC",
                &[],
            )
            .await
            .expect("ids")
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), stored);
    assert_eq!((stored.len(), pages), (231, 5));
}

#[tokio::test]
async fn ci_routes_read_the_projects_repository_with_github_links() {
    let t = Api::new("read_api_ci").await;
    let read = t.key(A, KeyKind::Read).await;
    let c = t.db.client().await;
    c.batch_execute(
        "UPDATE projects SET git_remote = 'git@github.com:acme/api.git';
         INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status,
             conclusion, started_at, duration_seconds, html_url)
         SELECT n, 1, 'acme/api', 'ci', 'completed',
                CASE WHEN n % 4 = 0 THEN 'failure' ELSE 'success' END,
                '2026-11-20T00:00:00Z'::timestamptz + n * interval '1 hour', n * 10,
                'https://github.com/acme/api/actions/runs/' || n
         FROM generate_series(1, 40) n;
         INSERT INTO workflow_runs (github_run_id, repository, workflow_name, status, started_at)
         VALUES (100, 'acme/api', 'ci', 'in_progress', '2026-11-21T05:00:00Z'),
                (200, 'other/repo', 'ci', 'completed', '2026-11-20T05:00:00Z')",
    )
    .await
    .expect("runs");
    let daily = t
        .get(&format!("/api/v1/ci/runs-daily?{RANGE}"), &read)
        .await;
    assert_eq!(
        (daily.status, &daily.body["repository"]),
        (200, &json!("acme/api")),
        "{}",
        daily.body
    );
    let runs: i64 = daily.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["runs"].as_i64().expect("runs"))
        .sum();
    assert_eq!(
        runs, 41,
        "another repository's run is not the project's: {}",
        daily.body
    );
    let forbidden = t
        .get(
            &format!("/api/v1/ci/runs-daily?{RANGE}&repository=other/repo"),
            &read,
        )
        .await;
    assert_eq!(forbidden.status, 403);

    // Failures: every 4th run, newest first, with its link; one page of 3 then the rest.
    let first = t
        .get(&format!("/api/v1/ci/failures?{RANGE}&limit=3"), &read)
        .await;
    let ids: Vec<i64> = first.body["failures"]
        .as_array()
        .expect("f")
        .iter()
        .map(|f| f["github_run_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [40, 36, 32]);
    assert_eq!(
        first.body["failures"][0]["html_url"],
        "https://github.com/acme/api/actions/runs/40"
    );
    let cursor = first.body["next_cursor"].as_str().expect("more");
    let rest = t
        .get(
            &format!("/api/v1/ci/failures?{RANGE}&limit=100&cursor={cursor}"),
            &read,
        )
        .await;
    assert_eq!(rest.body["failures"].as_array().expect("f").len(), 7);
    assert!(rest.body["next_cursor"].is_null());

    // Per workflow and day: the 20th has runs 1-23 (completed), 5 failures (4, 8, .. 20),
    // durations 10..230 s, so p50 120 s.
    let wf = t.get(&format!("/api/v1/ci/workflows?{RANGE}"), &read).await;
    let day1 = &wf.body["workflows"][0];
    assert_eq!(
        (
            day1["day"].as_str(),
            day1["completed"].as_i64(),
            day1["failed"].as_i64(),
            day1["succeeded"].as_i64(),
            day1["p50_seconds"].as_f64()
        ),
        (Some("2026-11-20"), Some(23), Some(5), Some(18), Some(120.0)),
        "{}",
        wf.body
    );

    // A project with no git remote has no CI rows it may read.
    let read_b = t.key(B, KeyKind::Read).await;
    let none = t
        .get(&format!("/api/v1/ci/failures?{RANGE}"), &read_b)
        .await;
    assert_eq!(
        (none.status, none.body["failures"].as_array().map(Vec::len)),
        (200, Some(0))
    );
}

#[tokio::test]
async fn ci_jobs_read_the_projects_repository_only() {
    let t = Api::new("read_api_ci_jobs").await;
    let read = t.key(A, KeyKind::Read).await;
    t.db.client()
        .await
        .batch_execute(
            "UPDATE projects SET git_remote = 'https://github.com/acme/api';
             INSERT INTO workflow_jobs (github_job_id, run_attempt, github_run_id, repository,
                 workflow_name, job_name, status, conclusion, github_created_at, started_at,
                 completed_at, queue_seconds, duration_seconds, labels, billable_minutes,
                 billing_sku, estimated_cost_usd, rate_version, repository_private)
             SELECT n + CASE WHEN repo = 'acme/api' THEN 0 ELSE 1000 END, a, n / 10, repo,
                    'ci', 'test', 'completed',
                    CASE WHEN a = 1 AND n % 10 = 0 THEN 'failure' ELSE 'success' END,
                    '2026-11-20T10:00:00Z'::timestamptz + n * interval '1 minute',
                    '2026-11-20T10:00:00Z'::timestamptz + n * interval '1 minute' + n * interval '1 second',
                    '2026-11-20T10:30:00Z'::timestamptz + n * interval '1 minute',
                    n, 1800 - n, '[\"ubuntu-latest\"]', 30, 'linux', 0.18, 'github-2026-01', true
             FROM generate_series(1, 20) n, generate_series(1, 2) a,
                  (VALUES ('acme/api'), ('other/repo')) r(repo)
             WHERE a = 1 OR n % 10 = 0;",
        )
        .await
        .expect("jobs");
    let jobs = t.get(&format!("/api/v1/ci/jobs?{RANGE}"), &read).await;
    assert_eq!(
        (jobs.status, &jobs.body["repository"]),
        (200, &json!("acme/api")),
        "{}",
        jobs.body
    );
    let j = &jobs.body["jobs"];
    // acme/api alone: 20 first attempts and 2 re-runs; jobs 10 and 20 failed then passed.
    assert_eq!(j["queue_by_label"][0]["jobs"], 22, "{j}");
    assert_eq!(
        (
            &j["failing_jobs"][0]["completed"],
            &j["failing_jobs"][0]["failed"],
            &j["failing_jobs"][0]["flaky"]
        ),
        (&json!(22), &json!(2), &json!(2)),
        "{j}"
    );
    assert_eq!(j["billing"][0]["billable_minutes"], 22 * 30, "{j}");
    let other = t
        .get(
            &format!("/api/v1/ci/jobs?{RANGE}&repository=other/repo"),
            &read,
        )
        .await;
    assert_eq!(other.status, 403, "{}", other.body);
    let read_b = t.key(B, KeyKind::Read).await;
    let none = t.get(&format!("/api/v1/ci/jobs?{RANGE}"), &read_b).await;
    assert_eq!(
        (
            none.status,
            none.body["jobs"]["billing"].as_array().map(Vec::len)
        ),
        (200, Some(0)),
        "{}",
        none.body
    );
}
