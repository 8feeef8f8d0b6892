//! Dashboard benchmark (`scripts/bench dashboard`): the read API calls the dashboard's views
//! make, on a database of 1,000,000 LLM calls (a year, 20 projects), 50,000 workflow runs,
//! 2,500 tasks, 200,000 CLI events and 8,000 coverage reports, through the same handler
//! http-ingest runs, for an admin read key and a project's read
//! key over 7 and 30 days. The baseline, measured in the same run, is a bare
//! `count(*)` of the calls in the same range (the least any answer over them costs). Also the
//! page's weight: its HTML and files, raw and gzipped.

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use telemetry_shared::dashboard::{asset, ASSETS, INDEX};
use telemetry_shared::http::store::keys::{ensure_project, insert_key};
use telemetry_shared::http::{generate, respond, HttpConfig, HttpIngest, KeyKind, ProjectId};
use telemetry_tests::{apigw, TestDb};

/// Every call the dashboard's views make (the first load is whoami, projects and the LLM
/// view's three); the agents' list answers admin keys only.
const ROUTES: [&str; 12] = [
    "/api/v1/whoami",
    "/api/v1/projects",
    "/api/v1/llm/cost-daily",
    "/api/v1/llm/top?by=session",
    "/api/v1/llm/top?by=task",
    "/api/v1/ci/runs-daily",
    "/api/v1/ci/workflows",
    "/api/v1/ci/failures?limit=20",
    "/api/v1/agents/tasks?limit=50",
    "/api/v1/coverage?limit=500",
    "/api/v1/events/daily",
    "/api/v1/events/daily?property=os",
];

fn gz(bytes: &[u8]) -> usize {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip").len()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    ms(sorted[((sorted.len() as f64 - 1.0) * p).round() as usize])
}

#[tokio::main]
async fn main() {
    let arg = |name: &str| {
        std::env::args()
            .skip_while(|a| a != name)
            .nth(1)
            .and_then(|v| v.parse::<usize>().ok())
    };
    let (calls, runs, repeat) = (
        arg("--calls").unwrap_or(1_000_000),
        arg("--runs").unwrap_or(50_000),
        arg("--repeat").unwrap_or(20),
    );
    let db = TestDb::new("dashboard_bench").await;
    let admin = generate(KeyKind::Read).expect("key");
    let reader = generate(KeyKind::Read).expect("key");
    let project = ProjectId::parse("p3__00000000").expect("id");
    let t = Instant::now();
    {
        let c = db.client().await;
        ensure_project(&**c, &project, Some("git@github.com:acme/r3.git"))
            .await
            .expect("project");
        insert_key(&**c, None, &admin, None).await.expect("key");
        insert_key(&**c, Some(&project), &reader, None)
            .await
            .expect("key");
        // The calls fill the year before now evenly; tasks and sessions as an agent fleet has.
        c.execute(
            "INSERT INTO llm_calls (dedup_key, content_hash, source, timestamp, model, project_id,
                 session_id, task_id, input_tokens, cache_read_tokens, output_tokens,
                 estimated_cost, cost_status)
             SELECT decode(lpad(to_hex(n), 32, '0'), 'hex'), n, 'claude_code',
                    now() - (n * (31536000.0 / $1)) * interval '1 second',
                    (ARRAY['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5', 'acme-llm'])[1 + n % 4],
                    CASE WHEN n % 21 = 0 THEN NULL ELSE 'p' || (n % 21) || '__00000000' END,
                    's-' || (n / 40), 'gh-' || (n / 400), 1000 + n % 5000, 20000, 300,
                    CASE WHEN n % 4 = 3 THEN NULL ELSE 0.0045 + (n % 100) * 0.0001 END,
                    CASE WHEN n % 4 = 3 THEN 'unknown_model' ELSE 'priced' END
             FROM generate_series(1, $1::int) n",
            &[&(calls as i32)],
        )
        .await
        .expect("calls");
        c.execute(
            "INSERT INTO workflow_runs (github_run_id, repository, workflow_name, status,
                 conclusion, started_at, duration_seconds, html_url)
             SELECT n, 'acme/r' || (n % 30), 'ci-' || (n % 5), 'completed',
                    CASE WHEN n % 7 = 0 THEN 'failure' ELSE 'success' END,
                    now() - (n * (31536000.0 / $1)) * interval '1 second', 60 + n % 600,
                    'https://github.com/acme/r' || (n % 30) || '/actions/runs/' || n
             FROM generate_series(1, $1::int) n",
            &[&(runs as i32)],
        )
        .await
        .expect("runs");
        c.execute(
            "INSERT INTO tasks (task_id, detected_at, status, status_at)
             SELECT 'gh-' || n, now() - (n * 400 * (31536000.0 / $1::float8)) * interval '1 second',
                    'completed', now()
             FROM generate_series(1, ($1::float8 / 400)::int) n",
            &[&(calls as f64)],
        )
        .await
        .expect("tasks");
        c.execute(
            "INSERT INTO telemetry_events (project_id, insert_id, event, distinct_id, properties,
                 timestamp, received_at)
             SELECT 'p' || (n % 21) || '__00000000', 'e' || n,
                    (ARRAY['cli_invocation', 'error', 'login'])[1 + n % 3], 'd' || (n % 5000),
                    jsonb_build_object('os', (ARRAY['linux', 'darwin', 'win32'])[1 + n % 3]),
                    now() - (n * (31536000.0 / $1::float8)) * interval '1 second', now()
             FROM generate_series(1, $1::float8::int) n",
            &[&(calls as f64 / 5.0)],
        )
        .await
        .expect("events");
        c.execute(
            "INSERT INTO coverage_snapshots (repository, branch, commit_sha, format, lines_covered,
                 lines_total, captured_at, project_id)
             SELECT 'acme/r' || (n % 30), 'main', lpad(to_hex(n), 40, '0'), 'lcov', 800, 1000,
                    now() - n * interval '1 hour', 'p' || (n % 21) || '__00000000'
             FROM generate_series(1, 8000) n",
            &[],
        )
        .await
        .expect("coverage");
        c.batch_execute(
            "ANALYZE llm_calls; ANALYZE workflow_runs; ANALYZE tasks; ANALYZE telemetry_events;
             ANALYZE coverage_snapshots",
        )
        .await
        .expect("analyze");
    }
    println!(
        "dashboard bench: {calls} calls and {runs} runs loaded in {:.1} s; {repeat} rounds per route",
        t.elapsed().as_secs_f64()
    );
    let api = std::sync::Arc::new(HttpIngest::new(
        db.pool.clone(),
        HttpConfig::from_lookup(|_| None).expect("config"),
    ));
    let service = api.service();
    println!("| key | range | route | p50 ms | p95 ms | max ms | rows in range | baseline count(*) p50 ms | p50 / baseline |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    let mut worst = 0.0_f64;
    for (who, key, filter) in [
        ("admin", &admin.key, None),
        ("project", &reader.key, Some(project.as_str())),
    ] {
        let auth = format!("Bearer {key}");
        for days in [7_i64, 30] {
            // The baseline: count the range's calls (index-only), the same number of times.
            let c = db.client().await;
            let count_sql = match filter {
                Some(_) => "SELECT count(*) FROM llm_calls WHERE timestamp >= now() - $1 * interval '1 day' AND project_id = $2",
                None => "SELECT count(*) FROM llm_calls WHERE timestamp >= now() - $1 * interval '1 day' AND $2::text IS NULL",
            };
            let mut base = Vec::new();
            let mut in_range = 0_i64;
            for _ in 0..repeat + 2 {
                let s = Instant::now();
                in_range = c
                    .query_one(count_sql, &[&(days as f64), &filter])
                    .await
                    .expect("count")
                    .get(0);
                base.push(s.elapsed());
            }
            base.drain(..2);
            base.sort();
            let base_p50 = pct(&base, 0.5);
            for route in ROUTES {
                let sep = if route.contains('?') { '&' } else { '?' };
                if who == "project" && route.contains("/agents/") {
                    continue;
                }
                let path = if route.ends_with("whoami") || route.ends_with("projects") {
                    route.to_string()
                } else {
                    format!("{route}{sep}since={days}d")
                };
                let mut lat = Vec::new();
                for round in 0..repeat + 2 {
                    let e = apigw::event("GET", &path, &[("authorization", &auth)], b"");
                    let s = Instant::now();
                    let resp = respond(&service, apigw::request(&e)).await;
                    let took = s.elapsed();
                    assert_eq!(
                        resp.status().as_u16(),
                        200,
                        "{path}: {:?}",
                        String::from_utf8_lossy(resp.body())
                    );
                    // Two warm-up rounds: the pool's connections and prepared plans.
                    if round >= 2 {
                        lat.push(took);
                    }
                }
                lat.sort();
                let p50 = pct(&lat, 0.5);
                worst = worst.max(pct(&lat, 0.95));
                println!(
                    "| {who} | {days} d | `{route}` | {p50:.1} | {:.1} | {:.1} | {in_range} | {base_p50:.1} | {:.1}x |",
                    pct(&lat, 0.95),
                    ms(*lat.last().expect("rounds")),
                    p50 / base_p50.max(0.001)
                );
            }
        }
    }
    let mut raw = INDEX.len();
    let mut zipped = gz(INDEX.as_bytes());
    for a in ASSETS.iter().chain(asset("app.js")) {
        raw += a.body.len();
        zipped += gz(a.body.as_bytes());
    }
    println!(
        "\nslowest p95: {worst:.1} ms (target: every call under 300 ms)\npage weight: {:.1} KB raw, {:.1} KB gzipped (target: under 200 KB compressed)",
        raw as f64 / 1024.0,
        zipped as f64 / 1024.0
    );
    db.drop_db().await;
}
