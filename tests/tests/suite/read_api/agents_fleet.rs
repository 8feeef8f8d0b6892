//! The agent routes (an admin read key's: agent records carry no project yet) and the fleet's
//! (seed 003's briefings, jobs and projects, scoped by key).

use serde_json::json;
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

use super::{admin_key, seeded, A, B, RANGE};

#[tokio::test]
async fn agent_routes_are_an_admins_and_page_through_tasks_with_their_cost() {
    let (t, secret_a) = seeded().await;
    let admin = admin_key(&t).await;
    let read_a = t.key(A, KeyKind::Read).await;
    t.db.client()
        .await
        .batch_execute(
            "INSERT INTO tasks (task_id, title, detected_at, status, status_at)
             SELECT 't' || n, 'task ' || n, '2026-11-20T00:00:00Z'::timestamptz + n * interval '1 hour',
                    CASE WHEN n = 5 THEN 'failed' ELSE 'completed' END, '2026-11-21T00:00:00Z'
             FROM generate_series(1, 5) n;
             INSERT INTO workers (worker_id, task_id, spawned_at, status, status_at)
             VALUES ('w-1', 't1', '2026-11-20T01:30:00Z', 'completed', '2026-11-20T02:00:00Z')",
        )
        .await
        .expect("tasks");
    // t1's calls: one naming it, one through its worker w-1.
    let calls = json!({"calls": [
        {"call_id": "t1-a", "timestamp": "2026-11-20T01:40:00Z", "model": "claude-sonnet-4-5",
         "task_id": "t1", "tokens_input": 100, "tokens_output": 10},
        {"call_id": "t1-b", "timestamp": "2026-11-20T01:50:00Z", "model": "claude-sonnet-4-5",
         "worker_id": "w-1", "tokens_input": 200, "tokens_output": 20}
    ]});
    assert_eq!(
        t.post("/ingest/llm-calls", &secret_a, &calls).await.status,
        202
    );
    for url in ["/api/v1/agents/tasks", "/api/v1/agents/task?id=t1"] {
        let refused = t.get(url, &read_a).await;
        assert_eq!(refused.status, 403, "{url}: {}", refused.body);
    }
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("/api/v1/agents/tasks?{RANGE}&limit=2");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = t.get(&url, &admin).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["by_status"], json!({"completed": 4, "failed": 1}));
        for task in page.body["tasks"].as_array().expect("tasks") {
            ids.push(task["task_id"].as_str().expect("id").to_string());
            if task["task_id"] == "t1" {
                let stored: String =
                    t.db.client()
                        .await
                        .query_one(
                            "SELECT trim_scale(sum(estimated_cost))::text FROM llm_calls
                         WHERE task_id = 't1' OR worker_id = 'w-1'",
                            &[],
                        )
                        .await
                        .expect("cost")
                        .get(0);
                assert_eq!(
                    (task["calls"].as_i64(), task["cost_usd"].to_string()),
                    (Some(2), stored)
                );
            }
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(ids.len() <= 6, "the pages never end: {ids:?}");
    }
    assert_eq!(ids, ["t5", "t4", "t3", "t2", "t1"]);
    let one = t.get("/api/v1/agents/task?id=t1", &admin).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(
        (
            one.body["task"]["total"]["calls"].as_i64(),
            one.body["task"]["workers"][0]["worker_id"].as_str()
        ),
        (Some(2), Some("w-1"))
    );
    for (url, parameter) in [
        ("/api/v1/agents/task?id=nope", "id"),
        ("/api/v1/agents/task", "id"),
        ("/api/v1/agents/task?id=t1&since=7d", "query"),
        ("/api/v1/agents/tasks?cursor=x", "cursor"),
    ] {
        let a = t.get(url, &admin).await;
        assert_eq!(
            (a.status, a.body["details"]["parameter"].as_str()),
            (400, Some(parameter)),
            "{url}"
        );
    }
}

#[tokio::test]
async fn fleet_routes_read_the_keys_project_and_refuse_unknown_filters() {
    let t = Api::new("read_api_fleet").await;
    let read_a = t.key(A, KeyKind::Read).await;
    let _ = t.key(B, KeyKind::Secret).await;
    let admin = admin_key(&t).await;
    t.db.client()
        .await
        .batch_execute(&format!(
            "INSERT INTO briefings (project_id, task_id, status, ended_at, impact_level,
                 doc_drift_risk, raw_markdown)
             VALUES ('{A}', 'a1', 'completed', '2026-11-20T10:00:00Z', 'major', 'high', '#'),
                    ('{A}', 'a2', 'blocked', '2026-11-21T10:00:00Z', 'minor', 'low', '#'),
                    ('{B}', 'b1', 'completed', '2026-11-21T11:00:00Z', 'major', 'high', '#');
             INSERT INTO jobs (project_id, job_id, type, model, status, ts_created, request)
             VALUES ('{A}', 'j1', 'worker_task', 'opus', 'running', '2026-11-20T10:00:00Z', '{{}}'),
                    ('{B}', 'j2', 'doc_patch', 'haiku', 'queued', '2026-11-21T10:00:00Z', '{{}}');"
        ))
        .await
        .expect("fleet rows");
    let tasks = |a: &telemetry_tests::http_api::Answer, list: &str, field: &str| -> Vec<String> {
        a.body[list]
            .as_array()
            .unwrap_or_else(|| panic!("{}", a.body))
            .iter()
            .map(|b| b[field].as_str().expect("id").to_string())
            .collect()
    };
    let own = t
        .get(&format!("/api/v1/fleet/briefings?{RANGE}"), &read_a)
        .await;
    assert_eq!(tasks(&own, "briefings", "task_id"), ["a2", "a1"]);
    let risky = t
        .get(
            &format!("/api/v1/fleet/briefings?{RANGE}&drift=high"),
            &admin,
        )
        .await;
    assert_eq!(tasks(&risky, "briefings", "task_id"), ["b1", "a1"]);
    let pending = t
        .get(&format!("/api/v1/fleet/jobs?{RANGE}&pending=true"), &admin)
        .await;
    assert_eq!(tasks(&pending, "jobs", "job_id"), ["j2", "j1"]);
    let mine = t
        .get(&format!("/api/v1/fleet/jobs?{RANGE}&pending=true"), &read_a)
        .await;
    assert_eq!(tasks(&mine, "jobs", "job_id"), ["j1"]);
    let projects = t.get("/api/v1/projects?status=all", &read_a).await;
    assert_eq!(tasks(&projects, "projects", "project_id"), [A]);
    for (url, parameter) in [
        (
            format!("/api/v1/fleet/briefings?{RANGE}&impact=huge"),
            "impact",
        ),
        (format!("/api/v1/fleet/jobs?{RANGE}&pending=yes"), "pending"),
        (format!("/api/v1/fleet/jobs?{RANGE}&status=lost"), "status"),
        ("/api/v1/projects?status=gone".to_string(), "status"),
    ] {
        let a = t.get(&url, &admin).await;
        assert_eq!(
            (a.status, a.body["details"]["parameter"].as_str()),
            (400, Some(parameter)),
            "{url}"
        );
    }
    let other = t
        .get(&format!("/api/v1/fleet/jobs?{RANGE}&project={B}"), &read_a)
        .await;
    assert_eq!(other.status, 403);
}
