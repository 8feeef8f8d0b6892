//! `telemetry stats` figures from real rows: workflow success rate and p50/p95 durations per
//! workflow (runs inserted directly: the GitHub sync comes with its own issue), LLM totals.

use chrono::{TimeZone, Utc};
use telemetry_shared::stats::compute;
use telemetry_tests::TestDb;

#[tokio::test]
async fn workflow_success_rate_and_duration_percentiles() {
    let db = TestDb::new("stats_workflows").await;
    let c = db.client().await;
    // ci: 10 completed runs of 10..100 s, 8 successes, plus one still in progress.
    for i in 1..=10i64 {
        let conclusion = if i <= 8 { "success" } else { "failure" };
        c.execute(
            "INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status,
                 conclusion, started_at, duration_seconds)
             VALUES ($1, 1, 'acme/api', 'ci', 'completed', $2, '2026-11-20T10:00:00Z', $3)",
            &[&i, &conclusion, &((i * 10) as i32)],
        )
        .await
        .expect("run");
    }
    c.execute(
        "INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status, started_at)
         VALUES (99, 1, 'acme/api', 'ci', 'in_progress', '2026-11-20T11:00:00Z')",
        &[],
    )
    .await
    .expect("running");
    // An old run outside the period.
    c.execute(
        "INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status,
             conclusion, started_at, duration_seconds)
         VALUES (7, 2, 'acme/api', 'deploy', 'completed', 'startup_failure', '2026-01-01T00:00:00Z', 1)",
        &[],
    )
    .await
    .expect("old");

    let since = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("date");
    let s = compute(&**c, since).await.expect("stats");
    assert_eq!(
        s.workflows.len(),
        1,
        "the old deploy run is outside the period"
    );
    let ci = &s.workflows[0];
    assert_eq!(
        (ci.repository.as_str(), ci.workflow.as_str()),
        ("acme/api", "ci")
    );
    assert_eq!((ci.runs, ci.completed), (11, 10));
    assert_eq!(ci.success_rate, Some(0.8));
    // percentile_cont over 10, 20, ..., 100.
    assert_eq!(ci.p50_seconds, Some(55.0));
    assert_eq!(ci.p95_seconds, Some(95.5));
    assert_eq!(s.llm.calls, 0);
    assert!(s.llm_by_day.is_empty());
    drop(c);
    db.drop_db().await;
}
