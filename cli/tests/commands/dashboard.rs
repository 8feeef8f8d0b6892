//! The dashboard as a user opens it: `telemetry serve`, a read key typed once, the LLM and CI
//! views drawn in Debian's Chromium (playwright-core, `tests/browser/dashboard.mjs`) with
//! tables equal to what was stored, the page under its CSP with no console error, and
//! `telemetry report --html` read offline with the same numbers.

use std::path::Path;
use std::process::Command;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use telemetry_tests::TestDb;

use crate::common::{telemetry, Server};

/// Where the browser's screenshots are kept for CI: `target/dashboard-screenshots/<test>/`.
fn shots(test: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("dashboard-screenshots").join(test);
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

/// The browser script's findings; its screenshots go to `shots`.
fn browse(shots: &Path, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/dashboard.mjs");
    let out = Command::new("node")
        .arg(&script)
        .args(args)
        .env("SHOTS", shots)
        .output()
        .expect("node runs (scripts/test installs it, with playwright-core and chromium)");
    assert!(
        out.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

fn rows(seen: &Value, view: &str, table: &str) -> Vec<Vec<String>> {
    seen[view]["tables"][table]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table} in {view}: {seen}"))
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|c| c.as_str().expect("cell").to_string())
                .collect()
        })
        .collect()
}

/// (day, model, calls, cost as the page prints it) per stored group of `project` (or every
/// project), from the database.
async fn stored_cost_rows(
    db: &TestDb,
    since: chrono::DateTime<Utc>,
    project: Option<&str>,
) -> Vec<Vec<String>> {
    let c = db.client().await;
    c.query(
        "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, model, count(*)::text,
                CASE WHEN sum(estimated_cost) IS NULL THEN 'unknown'
                     ELSE '$' || to_char(round(sum(estimated_cost), 4), 'FM999990.0000') END
         FROM llm_calls WHERE timestamp >= $1 AND ($2::text IS NULL OR project_id = $2)
         GROUP BY 1, 2 ORDER BY 1, 2",
        &[&since, &project],
    )
    .await
    .expect("stored")
    .iter()
    .map(|r| (0..4).map(|i| r.get::<_, String>(i)).collect())
    .collect()
}

fn key_of(db: &TestDb, args: &[&str]) -> String {
    let mut all = vec!["keys", "create"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = telemetry(db, &all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["key"].as_str().expect("key").to_string()
}

#[tokio::test]
async fn the_dashboard_shows_what_was_stored_in_a_real_browser() {
    let db = TestDb::new("cli_dashboard").await;
    let secret = key_of(
        &db,
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
    let read = key_of(&db, &["--project", &project, "--read"]);
    let admin = key_of(&db, &["--read", "--all-projects"]);
    let other = key_of(&db, &["--project", "other__00000001"]);
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
         "task_id": "gh-7", "tokens_input": 30000, "tokens_output": 2500, "tokens_cache_write": 8000},
        {"call_id": "d", "timestamp": at(1), "model": "acme-llm", "session_id": "s-new",
         "tokens_input": 10, "tokens_output": 10}
    ]});
    let server = Server::start(&db.url, &[]);
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
            "INSERT INTO workers (worker_id, task_id, spawned_at, status, status_at)
             VALUES ('w-abc123', 'gh-7', $1::timestamptz - interval '150 minutes', 'completed',
                     $1::timestamptz - interval '70 minutes')",
            &[&now],
        )
        .await
        .expect("worker");
    let dir = shots("live");
    let shot = dir.join("llm.png");
    let seen = browse(
        &dir,
        &[
            "live",
            server.url("").as_str(),
            &read,
            shot.to_str().expect("path"),
            &admin,
            &project,
        ],
    );
    // The wrong key's 401 and the project key's 403 on agent records are the refused
    // requests, and the console errors a browser prints for them on its own; nothing else
    // (no CSP violation, no script error).
    assert_eq!(
        seen["refused"],
        json!(["401 /api/v1/whoami", "403 /api/v1/agents/tasks"]),
        "{seen}"
    );
    let problems = seen["problems"].as_array().expect("problems");
    let unexpected: Vec<&Value> = problems
        .iter()
        .filter(|p| {
            !p.as_str()
                .is_some_and(|p| p.contains("status of 401") || p.contains("status of 403"))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "console errors or CSP violations: {problems:?}"
    );
    assert!(
        seen["csp"]
            .as_str()
            .is_some_and(|c| c.contains("script-src 'self'")),
        "{seen}"
    );
    assert_eq!(seen["login_first"], true);
    assert!(
        seen["wrong_key_message"]
            .as_str()
            .is_some_and(|m| m.contains("refused")),
        "{seen}"
    );
    assert!(
        seen["who"].as_str().is_some_and(|w| w.contains(&project)),
        "{seen}"
    );

    // The table under the cost chart is what was stored, group for group; acme-llm has no
    // price and reads "unknown", never $0.
    let week = now - Duration::days(7);
    assert_eq!(
        rows(&seen, "llm", "llm-cost-daily")
            .iter()
            .map(|r| { vec![r[0].clone(), r[1].clone(), r[2].clone(), r[4].clone()] })
            .collect::<Vec<_>>(),
        stored_cost_rows(&db, week, Some(&project)).await
    );
    assert!(rows(&seen, "llm", "llm-cost-daily")
        .iter()
        .any(|r| r[1] == "acme-llm" && r[4] == "unknown"));
    assert!(
        seen["llm"]["unpriced_note"]
            .as_str()
            .is_some_and(|n| n.contains("1 of 22 calls")),
        "{seen}"
    );
    // The week's total, rounded from the stored sum (not from floats added in the page).
    let total: String = db
        .client()
        .await
        .query_one(
            "SELECT '$' || to_char(round(sum(estimated_cost), 4), 'FM999990.0000')
             FROM llm_calls WHERE timestamp >= $1 AND project_id = $2",
            &[&week, &project],
        )
        .await
        .expect("total")
        .get(0);
    assert!(
        seen["llm"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains(&total)),
        "{total} in {}",
        seen["llm"]["summary"]
    );
    let sessions: Vec<String> = rows(&seen, "llm", "llm-top-sessions")
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(sessions, ["s-old", "s-new"]);
    assert_eq!(rows(&seen, "llm", "llm-top-tasks")[0][0], "gh-7");
    let drawn: Vec<&str> = seen["llm"]["charts"]
        .as_array()
        .expect("charts")
        .iter()
        .filter(|c| c["canvases"].as_u64() > Some(0))
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(drawn, ["llm-cost", "llm-tokens"], "{seen}");

    // CI: six runs, one failure with its GitHub link.
    let runs: u64 = rows(&seen, "ci", "ci-runs-daily")
        .iter()
        .map(|r| r[2].parse::<u64>().expect("runs"))
        .sum();
    assert_eq!(runs, 6);
    assert_eq!(
        seen["ci"]["tables"]["ci-failures"]["links"],
        json!(["https://github.com/acme/shop/actions/runs/3"])
    );
    let rate = &rows(&seen, "ci", "ci-workflow-rates")[0];
    assert_eq!(
        (rate[0].as_str(), rate[1].as_str(), rate[2].as_str()),
        ("acme/shop / ci", "6", "83.3%")
    );

    // The key survives a reload of the tab; the last 24 h leave out the older calls.
    assert_eq!(
        (&seen["login_after_reload"], &seen["hash_after_reload"]),
        (&json!(false), &json!("#ci"))
    );
    let recent = rows(&seen, "last_24h", "llm-cost-daily");
    let recent: Vec<Vec<String>> = recent
        .iter()
        .map(|r| vec![r[0].clone(), r[1].clone(), r[2].clone(), r[4].clone()])
        .collect();
    assert_eq!(
        recent,
        stored_cost_rows(&db, now - Duration::hours(24), Some(&project)).await
    );
    assert_eq!(recent.len(), 2, "{recent:?}");
    assert_eq!(seen["login_after_forget"], true);
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "a screenshot"
    );
    if let Ok(keep) = std::env::var("DASHBOARD_SCREENSHOT") {
        std::fs::copy(&shot, keep).expect("keep the screenshot");
    }

    // Coverage: 3 of 4 lines, the commit's latest run a success.
    let cov = rows(&seen, "coverage", "coverage-reports");
    assert_eq!(
        (
            cov.len(),
            cov[0][4].as_str(),
            cov[0][6].as_str(),
            cov[0][7].as_str()
        ),
        (1, "75.00", "3 / 4", "success"),
        "{cov:?}"
    );
    // CLI events: per day and name as stored, and by the value of `os`.
    let per_day: Vec<Vec<String>> = db
        .client()
        .await
        .query(
            "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, event, count(*)::text,
                    count(DISTINCT distinct_id)::text
             FROM telemetry_events GROUP BY 1, 2 ORDER BY 1, 2",
            &[],
        )
        .await
        .expect("events")
        .iter()
        .map(|r| (0..4).map(|i| r.get::<_, String>(i)).collect())
        .collect();
    assert_eq!(rows(&seen, "events", "events-daily"), per_day);
    let by_os: u64 = rows(&seen, "events", "events-by-property")
        .iter()
        .filter(|r| r[1] == "linux")
        .map(|r| r[2].parse::<u64>().expect("n"))
        .sum();
    assert_eq!(by_os, 3);

    // The fleet: the briefing with its impact and drift, the queued job as pending.
    let briefing = &rows(&seen, "fleet", "fleet-briefings")[0];
    assert_eq!(
        (
            briefing[2].as_str(),
            briefing[4].as_str(),
            briefing[5].as_str()
        ),
        ("gh-7", "major", "high")
    );
    assert_eq!(rows(&seen, "fleet", "fleet-pending")[0][2], "j-1");
    assert_eq!(rows(&seen, "fleet", "fleet-projects")[0][0], project);

    // Agents: a project's key is told why it sees none; the admin key follows the top task's
    // link to its timeline, then lists the tasks with their calls' cost.
    assert!(
        seen["agents_note"]
            .as_str()
            .is_some_and(|n| n.contains("admin read key")),
        "{seen}"
    );
    assert!(
        seen["admin_projects"]
            .as_array()
            .is_some_and(|p| p.contains(&json!(project))),
        "{seen}"
    );
    assert_eq!(seen["task"]["hash"], "#task=gh-7");
    assert_eq!(
        seen["task"]["title"],
        "gh-7: Fix the flaky test (completed)"
    );
    assert_eq!(rows(&seen, "task", "agent-workers")[0][0], "w-abc123");
    let timeline: Vec<String> = rows(&seen, "task", "agent-timeline")
        .iter()
        .map(|r| r[2].clone())
        .collect();
    assert!(
        timeline.iter().any(|m| m == "task detected")
            && timeline.iter().any(|m| m == "task completed"),
        "{timeline:?}"
    );
    let c_cost: String = db
        .client()
        .await
        .query_one(
            "SELECT '$' || to_char(round(estimated_cost, 4), 'FM999990.0000')
             FROM llm_calls WHERE task_id = 'gh-7'",
            &[],
        )
        .await
        .expect("cost")
        .get(0);
    let tasks = rows(&seen, "agents", "agent-tasks");
    assert_eq!(
        (
            tasks.len(),
            tasks[0][0].as_str(),
            tasks[0][5].as_str(),
            tasks[0][7].as_str()
        ),
        (1, "gh-7", "1", c_cost.as_str())
    );

    // The admin's project filter: the last 24 h of every project, then of one.
    let day_ago = now - Duration::hours(24);
    let cut = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|r| vec![r[0].clone(), r[1].clone(), r[2].clone(), r[4].clone()])
            .collect()
    };
    assert_eq!(
        cut(rows(&seen, "admin_all", "llm-cost-daily")),
        stored_cost_rows(&db, day_ago, None).await
    );
    assert_eq!(
        cut(rows(&seen, "admin_one", "llm-cost-daily")),
        stored_cost_rows(&db, day_ago, Some(&project)).await
    );
    assert_ne!(
        rows(&seen, "admin_all", "llm-cost-daily"),
        rows(&seen, "admin_one", "llm-cost-daily")
    );

    // The offline report of the same week: the same cost table, no network, no key.
    let report = std::env::temp_dir().join(format!("report-{}.html", std::process::id()));
    let out = telemetry(
        &db,
        &[
            "report",
            "--html",
            report.to_str().expect("path"),
            "--since",
            "7d",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline = browse(&dir, &["offline", report.to_str().expect("path")]);
    assert!(
        offline["problems"].as_array().is_some_and(Vec::is_empty),
        "{offline}"
    );
    assert_eq!(offline["login"], false);
    // The report reads every project: the week's rows of both.
    assert_eq!(
        cut(rows(&offline, "llm", "llm-cost-daily")),
        stored_cost_rows(&db, week, None).await
    );
    assert_eq!(
        rows(&offline, "ci", "ci-failures"),
        rows(&seen, "ci", "ci-failures")
    );
    assert_eq!(rows(&offline, "agents", "agent-tasks"), tasks);
    assert_eq!(
        rows(&offline, "fleet", "fleet-pending"),
        rows(&seen, "fleet", "fleet-pending")
    );
    let _ = std::fs::remove_file(&report);
    assert!(server.stop().success());
    db.drop_db().await;
}

/// The page and its files: their types and security headers, and 404 for a file it lacks.
#[tokio::test]
async fn the_page_and_its_files_are_served_under_the_csp() {
    let db = TestDb::new("cli_dashboard_files").await;
    let server = Server::start(&db.url, &[]);
    let http = reqwest::Client::new();
    let mut total = 0;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/uPlot.iife.min.js", "text/javascript"),
        ("/dashboard/uPlot.min.css", "text/css"),
    ] {
        let resp = http.get(server.url(path)).send().await.expect("get");
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert!(
            h["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with(kind)),
            "{path}"
        );
        assert!(h["content-security-policy"]
            .to_str()
            .is_ok_and(|c| c.contains("default-src 'none'")));
        assert_eq!(h["x-content-type-options"], "nosniff");
        total += resp.bytes().await.expect("body").len();
    }
    assert!(total < 200_000, "{total} bytes uncompressed");
    for missing in [
        "/dashboard/../Cargo.toml",
        "/dashboard/nope.js",
        "/dashboard/%2e%2e%2fapp.js",
    ] {
        let resp = http.get(server.url(missing)).send().await.expect("get");
        assert_eq!(resp.status(), 404, "{missing}");
    }
    let wrong = http
        .post(server.url("/dashboard"))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 405);
    drop(server);
    db.drop_db().await;
}

/// An empty database: every view says what to run to fill it.
#[tokio::test]
async fn every_view_of_an_empty_database_says_what_to_run() {
    let db = TestDb::new("cli_dashboard_empty").await;
    let read = key_of(&db, &["--project", "shop__1a2b3c4d", "--read"]);
    let server = Server::start(&db.url, &[]);
    let seen = browse(&shots("empty"), &["empty", server.url("").as_str(), &read]);
    assert!(
        seen["problems"].as_array().is_some_and(Vec::is_empty),
        "{seen}"
    );
    for (view, says) in [
        ("llm", "telemetry ingest all"),
        ("ci", "telemetry github add"),
        ("coverage", "uploads/coverage/"),
        ("events", "POST /ingest"),
        ("fleet", "briefings"),
    ] {
        let texts = seen["empty"][view].as_array().expect("texts");
        assert!(
            texts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.contains(says))),
            "{view}: {texts:?}"
        );
    }
    assert!(server.stop().success());
    db.drop_db().await;
}
