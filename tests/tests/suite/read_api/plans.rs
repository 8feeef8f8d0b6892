//! The read queries on a database of 1,000,000 calls, 50,000 runs, 30,000 tasks, 200,000
//! CLI events and 8,000 coverage reports over a year: PostgreSQL serves each from an index
//! (no sequential scan of those tables) for a
//! 7-day range, for one project and for all, and the answers stay within the range asked.

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use telemetry_shared::read::{plans, Range};

/// The tables no read query may scan whole.
const SCANNED_NEVER: [&str; 5] = [
    "llm_calls",
    "workflow_runs",
    "tasks",
    "telemetry_events",
    "coverage_snapshots",
];

/// Every `Seq Scan` node's relation in a plan.
fn seq_scans(plan: &Value, out: &mut Vec<String>) {
    match plan {
        Value::Object(o) => {
            if o.get("Node Type").and_then(Value::as_str) == Some("Seq Scan") {
                out.push(
                    o.get("Relation Name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .into(),
                );
            }
            o.values().for_each(|v| seq_scans(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| seq_scans(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn read_queries_use_indexes_on_a_million_calls() {
    let db = telemetry_tests::TestDb::new("read_api_plans").await;
    let c = db.client().await;
    // A year of calls for 20 projects (and some of no project), a call every ~31 s.
    c.batch_execute(
        "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, project_id,
             session_id, task_id, input_tokens, output_tokens, estimated_cost, cost_status)
         SELECT decode(lpad(to_hex(n), 32, '0'), 'hex'), n, 'claude_code',
                '2026-01-01T00:00:00Z'::timestamptz + n * interval '31 seconds',
                'claude-sonnet-4-5',
                CASE WHEN n % 21 = 0 THEN NULL ELSE 'p' || (n % 21) || '__00000000' END,
                's-' || (n / 50), CASE WHEN n % 3 = 0 THEN 'gh-' || (n / 30) END,
                1000, 100, 0.0045, 'priced'
         FROM generate_series(1, 1000000) n;
         INSERT INTO workflow_runs (github_run_id, repository, workflow_name, status, conclusion,
             started_at, duration_seconds)
         SELECT n, 'acme/r' || (n % 30), 'ci', 'completed',
                CASE WHEN n % 7 = 0 THEN 'failure' ELSE 'success' END,
                '2026-01-01T00:00:00Z'::timestamptz + n * interval '10 minutes', 60
         FROM generate_series(1, 50000) n;
         INSERT INTO tasks (task_id, detected_at, status, status_at)
         SELECT 'gh-' || n, '2026-01-01T00:00:00Z'::timestamptz + n * interval '15 minutes',
                'completed', '2026-01-01T00:00:00Z'::timestamptz + n * interval '15 minutes'
         FROM generate_series(1, 30000) n;
         INSERT INTO telemetry_events (project_id, insert_id, event, distinct_id, properties,
             timestamp, received_at)
         SELECT 'p' || (n % 20) || '__00000000', 'e' || n, 'cli_invocation', 'd' || (n % 500),
                jsonb_build_object('os', (ARRAY['linux', 'darwin', 'win32'])[1 + n % 3]),
                '2026-01-01T00:00:00Z'::timestamptz + n * interval '2 minutes', now()
         FROM generate_series(1, 200000) n;
         INSERT INTO coverage_snapshots (repository, branch, commit_sha, format, lines_covered,
             lines_total, captured_at, project_id)
         SELECT 'acme/r' || (n % 30), 'main', lpad(to_hex(n), 40, '0'), 'lcov', 800, 1000,
                '2026-01-01T00:00:00Z'::timestamptz + n * interval '1 hour', 'p3__00000000'
         FROM generate_series(1, 8000) n;
         ANALYZE llm_calls; ANALYZE workflow_runs; ANALYZE tasks; ANALYZE telemetry_events;
         ANALYZE coverage_snapshots;",
    )
    .await
    .expect("a million calls");
    let until = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time");
    let range = Range {
        since: until - Duration::days(7),
        until,
    };
    for (project, repository) in [(None, None), (Some("p3__00000000"), Some("acme/r3"))] {
        for (name, plan) in plans(&**c, &range, project, repository)
            .await
            .expect("plans")
        {
            let mut scans = Vec::new();
            seq_scans(&plan, &mut scans);
            assert!(
                !scans.iter().any(|r| SCANNED_NEVER.contains(&r.as_str())),
                "{name} ({project:?}) scans {scans:?}:\n{plan:#}"
            );
        }
    }
}
