//! `telemetry cost`, `task` and `events` on an agent log ingested into a fresh database.

use crate::common::{json, telemetry};
use telemetry_tests::TestDb;

#[tokio::test]
async fn cost_task_and_events_answer_from_an_ingested_agent_log() {
    let db = TestDb::new("cli_query").await;
    let log = format!(
        "{}/../tests/fixtures/agent.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    json(&telemetry(&db, &["ingest", "jsonl", &log, "--json"]));
    // A usage.csv call with an unknown model: unpriced, not $0.
    let csv = std::env::temp_dir().join(format!("query-{}.csv", std::process::id()));
    std::fs::write(
        &csv,
        "timestamp,model,prompt_tokens,completion_tokens\n2026-11-20T09:00:00Z,acme-llm,10,10\n",
    )
    .expect("csv");
    json(&telemetry(
        &db,
        &["ingest", "csv", csv.to_str().expect("utf8"), "--json"],
    ));

    // 5000 x $3/M + 2000 x $15/M = $0.045 priced, plus $0.0045 reported by the source.
    let c = json(&telemetry(
        &db,
        &["cost", "--since", "2026-11-20", "--by", "task", "--json"],
    ));
    assert_eq!(c["total"]["calls"], 3);
    assert_eq!(c["total"]["unpriced_calls"], 1);
    assert!(
        (c["total"]["cost_usd"].as_f64().expect("usd") - 0.0495).abs() < 1e-9,
        "{c}"
    );
    assert_eq!(c["groups"][0]["key"], "gh-450");
    assert_eq!(c["groups"][0]["calls"], 2);
    assert_eq!(c["groups"][1]["key"], "(no task)");
    let by_model = json(&telemetry(
        &db,
        &["cost", "--since", "2026-11-20", "--by", "model", "--json"],
    ));
    assert_eq!(by_model["groups"][0]["key"], "claude-sonnet-4-5");
    let table = telemetry(&db, &["cost", "--since", "2026-11-20"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("total") && text.contains("$0.0495") && text.contains("unknown, not $0"),
        "{text}"
    );
    let today = json(&telemetry(&db, &["cost", "--today", "--json"]));
    assert_eq!(today["total"]["calls"], 0);
    assert!(
        !telemetry(&db, &["cost"]).status.success(),
        "a period is required"
    );

    let t = json(&telemetry(&db, &["task", "gh-450", "--json"]));
    assert_eq!(t["status"], "completed");
    assert_eq!(t["pr_number"], 496);
    assert_eq!(t["workers"][0]["worker_id"], "w-abc123");
    assert_eq!(t["workers"][0]["calls"], 2);
    let kinds: Vec<&str> = t["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["task", "trigger", "worker", "task", "decision", "worker", "task"],
        "{t}"
    );
    let missing = telemetry(&db, &["task", "gh-999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no task"));

    let e = json(&telemetry(
        &db,
        &["events", "--type", "decision", "--last", "3650d", "--json"],
    ));
    assert_eq!(e.as_array().map(Vec::len), Some(1));
    assert_eq!(e[0]["context_id"], "gh-450");
    let none = json(&telemetry(&db, &["events", "--json"]));
    assert_eq!(
        none.as_array().map(Vec::len),
        Some(0),
        "the fixture is older than 24h"
    );
    db.drop_db().await;
}
