//! The read API (`GET /api/v1/...`) as a script or the dashboard uses it: read keys read their
//! project only and write nothing, an admin read key reads everything, figures equal what was
//! stored, lists page through every row once, and hostile queries are refused by parameter.

mod hostile;
mod plans;

use serde_json::{json, Value};
use telemetry_shared::http::KeyKind;
use telemetry_tests::http_api::Api;

const A: &str = "alpha__1a2b3c4d";
const B: &str = "beta__5e6f7a8b";
const RANGE: &str = "since=2026-11-20&until=2026-11-23";

fn call(id: &str, ts: &str, model: &str, session: &str, input: u64) -> Value {
    json!({"call_id": id, "timestamp": ts, "model": model, "session_id": session,
           "tokens_input": input, "tokens_output": 100, "tokens_cache_read": 2000,
           "tokens_cache_write": 300})
}

/// Project A: two priced calls on 2026-11-20, one on the 21st, one unpriced; project B one;
/// one call read from a file (no project).
async fn seeded() -> (Api, String) {
    let t = Api::new("read_api").await;
    let a = t.key(A, KeyKind::Secret).await;
    let b = t.key(B, KeyKind::Secret).await;
    let calls = json!({"calls": [
        call("a1", "2026-11-20T08:00:00Z", "claude-sonnet-4-5", "s-1", 1000),
        call("a2", "2026-11-20T09:00:00Z", "claude-sonnet-4-5", "s-1", 3000),
        call("a3", "2026-11-21T10:00:00Z", "claude-sonnet-4-5", "s-2", 500),
        call("a4", "2026-11-21T11:00:00Z", "acme-llm", "s-2", 7),
    ]});
    assert_eq!(t.post("/ingest/llm-calls", &a, &calls).await.status, 202);
    let one = json!({"calls": [call("b1", "2026-11-20T08:30:00Z", "claude-sonnet-4-5", "s-b", 9)]});
    assert_eq!(t.post("/ingest/llm-calls", &b, &one).await.status, 202);
    t.db.client()
        .await
        .batch_execute(
            "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model,
                 input_tokens, output_tokens, cost_status)
             VALUES ('\\x000102030405060708090a0b0c0d0e0f', 1, 'usage_csv',
                 '2026-11-22T09:00:00Z', 'acme-llm', 10, 10, 'unknown_model')",
        )
        .await
        .expect("a file's call");
    (t, a)
}

/// An admin read key (`keys create --read --all-projects`).
async fn admin_key(t: &Api) -> String {
    let key = telemetry_shared::http::generate(KeyKind::Read).expect("key");
    telemetry_shared::http::store::keys::insert_key(&**t.db.client().await, None, &key, None)
        .await
        .expect("admin key");
    key.key
}

/// The stored sums of project `p` (or every row) per day and model, as the database prints
/// them: what the API must answer, digit for digit.
async fn stored(t: &Api, p: Option<&str>) -> Vec<(String, String, i64, Option<String>)> {
    let rows =
        t.db.client()
            .await
            .query(
                "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, model, count(*),
                    trim_scale(sum(estimated_cost))::text
             FROM llm_calls WHERE $1::text IS NULL OR project_id = $1
             GROUP BY 1, 2 ORDER BY 1, 2",
                &[&p],
            )
            .await
            .expect("sums");
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

fn answered(body: &Value) -> Vec<(String, String, i64, Option<String>)> {
    body["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (
                d["day"].as_str().expect("day").to_string(),
                d["model"].as_str().expect("model").to_string(),
                d["calls"].as_i64().expect("calls"),
                (!d["cost_usd"].is_null()).then(|| d["cost_usd"].to_string()),
            )
        })
        .collect()
}

#[tokio::test]
async fn read_keys_read_their_project_only_and_write_nothing() {
    let (t, secret_a) = seeded().await;
    let read_a = t.key(A, KeyKind::Read).await;
    let url = format!("/api/v1/llm/cost-daily?{RANGE}");

    let got = t.get(&url, &read_a).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["project"], A);
    assert_eq!(answered(&got.body), stored(&t, Some(A)).await);
    // The unpriced model is a row of its own with a null cost, never 0.
    let acme = got.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["model"] == "acme-llm")
        .expect("acme-llm")
        .clone();
    assert_eq!(
        (acme["unpriced_calls"].as_i64(), acme["cost_usd"].is_null()),
        (Some(1), true)
    );
    // Naming its own project is fine; another project is 403.
    assert_eq!(
        t.get(&format!("{url}&project={A}"), &read_a).await.status,
        200
    );
    let other = t.get(&format!("{url}&project={B}"), &read_a).await;
    assert_eq!(
        (other.status, &other.body["details"]["parameter"]),
        (403, &json!("project"))
    );
    // The project's secret key reads the same.
    let by_secret = t.get(&url, &secret_a).await;
    assert_eq!(by_secret.body["days"], got.body["days"]);

    // A read key writes nothing, on every write route.
    let before = t.db.count("llm_calls").await;
    let write = t
        .post(
            "/ingest/llm-calls",
            &read_a,
            &json!({"calls": [call("x", "2026-11-20T08:00:00Z", "m", "s", 1)]}),
        )
        .await;
    assert_eq!(
        (write.status, write.body["error"].as_str()),
        (403, Some("forbidden"))
    );
    let events = t
        .post(
            "/ingest",
            &read_a,
            &telemetry_tests::http_api::seed_batch(1),
        )
        .await;
    assert_eq!(events.status, 403, "{}", events.body);
    assert_eq!(t.db.count("llm_calls").await, before);
    assert_eq!(t.events(A).await, 0);

    // A public token may not read; no key, a wrong key and a revoked key are 401.
    let public = t.key(A, KeyKind::Public).await;
    assert_eq!(t.get("/api/v1/whoami", &public).await.status, 403);
    assert_eq!(t.call("GET", &url, &[], b"").await.status, 401);
    let mut forged = read_a.clone();
    forged.pop();
    forged.push(if read_a.ends_with('0') { '1' } else { '0' });
    assert_eq!(t.get(&url, &forged).await.status, 401);
    let who = t.get("/api/v1/whoami", &read_a).await;
    assert_eq!(who.body, json!({"scope": "project", "project_id": A}));
    let prefix = telemetry_shared::http::parse_key(&read_a)
        .expect("key")
        .1
        .to_string();
    t.db.client()
        .await
        .execute(
            "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1",
            &[&prefix],
        )
        .await
        .expect("revoke");
    assert_eq!(t.get(&url, &read_a).await.status, 401);
}

#[tokio::test]
async fn an_admin_read_key_reads_every_project_and_the_files_rows() {
    let (t, _) = seeded().await;
    let admin = admin_key(&t).await;
    let who = t.get("/api/v1/whoami", &admin).await;
    assert_eq!(
        who.body,
        json!({"scope": "all_projects", "project_id": null})
    );
    let all = t
        .get(&format!("/api/v1/llm/cost-daily?{RANGE}"), &admin)
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(answered(&all.body), stored(&t, None).await);
    let only_b = t
        .get(
            &format!("/api/v1/llm/cost-daily?{RANGE}&project={B}"),
            &admin,
        )
        .await;
    assert_eq!(answered(&only_b.body), stored(&t, Some(B)).await);
    // The range bounds the answer: the 22nd's file row is outside [20th, 22nd).
    let two_days = t
        .get(
            "/api/v1/llm/cost-daily?since=2026-11-20&until=2026-11-22",
            &admin,
        )
        .await;
    assert!(answered(&two_days.body)
        .iter()
        .all(|d| d.0.as_str() < "2026-11-22"));

    // Top sessions by cost: s-1 (two priced calls) before s-2 (one priced, one not).
    let top = t
        .get(
            &format!("/api/v1/llm/top?{RANGE}&project={A}&by=session"),
            &admin,
        )
        .await;
    let keys: Vec<&str> = top.body["top"]
        .as_array()
        .expect("top")
        .iter()
        .map(|l| l["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["s-1", "s-2"], "{}", top.body);
    assert_eq!(top.body["top"][1]["unpriced_calls"], 1);
}

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
async fn coverage_and_cli_events_are_read_per_project_with_a_property_breakdown() {
    let t = Api::new("read_api_cov_events").await;
    let secret_a = t.key(A, KeyKind::Secret).await;
    let read_a = t.key(A, KeyKind::Read).await;
    let admin = admin_key(&t).await;
    let c = t.db.client().await;
    c.batch_execute(&format!(
        "INSERT INTO coverage_snapshots (repository, branch, commit_sha, format, lines_covered,
             lines_total, captured_at, project_id)
         VALUES ('acme/api', 'main', 'aaaaaaa', 'lcov', 750, 1000, '2026-11-20T10:00:00Z', '{A}'),
                ('acme/api', 'main', 'bbbbbbb', 'lcov', 800, 1000, '2026-11-21T10:00:00Z', '{A}'),
                ('acme/web', 'main', 'ccccccc', 'lcov', 1, 3, '2026-11-21T11:00:00Z', '{B}');
         INSERT INTO workflow_runs (github_run_id, run_attempt, repository, workflow_name, status,
             conclusion, started_at, commit_sha)
         VALUES (1, 1, 'acme/api', 'ci', 'completed', 'failure', '2026-11-21T09:00:00Z', 'bbbbbbb'),
                (1, 2, 'acme/api', 'ci', 'completed', 'success', '2026-11-21T09:30:00Z', 'bbbbbbb');"
    ))
    .await
    .expect("coverage");
    let cov = t.get(&format!("/api/v1/coverage?{RANGE}"), &read_a).await;
    assert_eq!(cov.status, 200, "{}", cov.body);
    let reports = cov.body["reports"].as_array().expect("reports");
    // Project A's two reports, newest first; the re-run's success is the commit's conclusion.
    assert_eq!(reports.len(), 2, "{}", cov.body);
    assert_eq!(
        (
            &reports[0]["commit_sha"],
            reports[0]["line_percent"].to_string(),
            &reports[0]["run_conclusion"]
        ),
        (&json!("bbbbbbb"), "80.00".to_string(), &json!("success"))
    );
    assert_eq!(reports[1]["run_conclusion"], Value::Null);
    let all = t.get(&format!("/api/v1/coverage?{RANGE}"), &admin).await;
    let web = all.body["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .find(|r| r["repository"] == "acme/web")
        .expect("B's report for the admin")
        .clone();
    // 1 of 3 lines: the stored 33.33, as stored.
    assert_eq!(web["line_percent"].to_string(), "33.33");

    // Events: two names over two days, a property with 12 values (top 10 + other) and absent.
    let batch: Vec<Value> = (0..30)
        .map(|i| {
            let mut props = json!({"id": format!("ev-{i}")});
            if i % 6 != 5 {
                props["cmd"] = json!(format!("c{}", i % 12));
            }
            json!({"event": if i % 3 == 0 { "error" } else { "cli_invocation" },
                   "distinct_id": format!("user-{}", i % 4),
                   "timestamp": format!("2026-11-2{}T08:{:02}:00Z", i % 2, i),
                   "properties": props})
        })
        .collect();
    let posted = t.post("/ingest", &secret_a, &json!({"batch": batch})).await;
    assert_eq!(posted.status, 202, "{}", posted.body);
    let daily = t
        .get(
            &format!("/api/v1/events/daily?{RANGE}&property=cmd"),
            &read_a,
        )
        .await;
    assert_eq!(daily.status, 200, "{}", daily.body);
    let stored: Vec<(String, String, i64, i64)> = c
        .query(
            "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, event, count(*),
                    count(DISTINCT distinct_id)
             FROM telemetry_events GROUP BY 1, 2 ORDER BY 1, 2",
            &[],
        )
        .await
        .expect("stored")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let answered: Vec<(String, String, i64, i64)> = daily.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            (
                d["day"].as_str().expect("day").into(),
                d["event"].as_str().expect("event").into(),
                d["events"].as_i64().expect("n"),
                d["distinct_ids"].as_i64().expect("ids"),
            )
        })
        .collect();
    assert_eq!(answered, stored);
    let values: std::collections::BTreeMap<String, i64> = daily.body["by_property"]
        .as_array()
        .expect("by_property")
        .iter()
        .fold(Default::default(), |mut m, r| {
            *m.entry(r["value"].as_str().expect("v").to_string())
                .or_default() += r["events"].as_i64().expect("n");
            m
        });
    assert_eq!(values.values().sum::<i64>(), 30);
    assert_eq!(values.get("(none)"), Some(&5));
    assert!(
        values.contains_key("(other)") && values.len() == 11,
        "{values:?}"
    );
    // A property name is a value, never SQL; NUL is refused.
    let odd = t
        .get(
            &format!("/api/v1/events/daily?{RANGE}&property=a'%22b"),
            &read_a,
        )
        .await;
    assert_eq!(odd.status, 200, "{}", odd.body);
    let nul = t
        .get(
            &format!("/api/v1/events/daily?{RANGE}&property=%00"),
            &read_a,
        )
        .await;
    assert_eq!(
        (nul.status, &nul.body["details"]["parameter"]),
        (400, &json!("property"))
    );
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
