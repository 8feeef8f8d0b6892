//! The dashboard in Chromium over the seeded data: each view's tables against the stored
//! rows, the key kept for the tab and forgotten, the range and project switched, agent records
//! refused to a project's key and shown to an admin's, and the offline report.

use chrono::Duration;
use serde_json::{json, Value};
use telemetry_tests::TestDb;

use super::seed::{seed, Seeded, LOG_KEY};
use super::{browse, jobs_card_shows_what_is_stored, rows, shots, stored_cost_rows};
use crate::common::{telemetry, Server};

#[tokio::test]
async fn the_dashboard_shows_what_was_stored_in_a_real_browser() {
    let db = TestDb::new("cli_dashboard").await;
    // The upload bucket on moto, holding the worker's log the conversation view reads.
    let moto = telemetry_tests::Moto::start();
    let s3 = telemetry_tests::s3::bucket_on(&moto).await;
    let log = std::fs::read(format!(
        "{}/../tests/fixtures/claude_code.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    telemetry_tests::s3::put(&s3, LOG_KEY, log).await;
    let mut env: Vec<(&str, String)> = moto.env();
    env.push((
        "CONVERSATION_LOG_BUCKET",
        telemetry_tests::s3::BUCKET.to_string(),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&db.url, &env);
    let Seeded {
        project,
        read,
        admin,
        now,
    } = seed(&db, &server).await;
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
    // Who, where and with what: the one call that says so, its email only as a hash.
    let users = rows(&seen, "llm", "llm-top-users");
    assert_eq!(users.len(), 1, "{users:?}");
    assert!(
        users[0][0].starts_with("sha256:") && !users[0][0].contains('@'),
        "{users:?}"
    );
    assert_eq!(
        rows(&seen, "llm", "llm-top-branches")[0][0],
        "acme/shop fix/cart"
    );
    let tools: Vec<String> = rows(&seen, "llm", "llm-top-tools")
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        tools,
        ["agent", "claude_code"],
        "by cost: the week's agent calls first"
    );
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
    jobs_card_shows_what_is_stored(&seen, &db).await;

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
    // The worker's conversation, read from the bucket: the turns of the log, in order.
    let said: Vec<String> = rows(&seen, "conversation", "agent-conversation")
        .iter()
        .map(|r| r[2].clone())
        .collect();
    assert!(
        said.iter().any(|w| w == "user") && said.iter().any(|w| w == "assistant"),
        "{said:?}"
    );
    assert_eq!(seen["conversation"]["hash"], "#conversation=w-abc123");
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
    assert_eq!(
        rows(&offline, "ci", "ci-job-billing"),
        rows(&seen, "ci", "ci-job-billing")
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
