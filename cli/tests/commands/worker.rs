//! `telemetry worker ID [--show-conversation]` over an ingested agent log whose worker's
//! log_file is a Claude Code transcript (a relative path, as agents write it).

use std::process::{Command, Output};

use telemetry_tests::TestDb;

use crate::common::{json, telemetry};

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn worker_in(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", &db.url)
        .output()
        .expect("run telemetry")
}

#[tokio::test]
async fn a_worker_shows_its_calls_cost_and_conversation() {
    let db = TestDb::new("cli_worker").await;
    json(&telemetry(
        &db,
        &["ingest", "jsonl", &fixture("agent.jsonl"), "--json"],
    ));
    let dir = std::env::temp_dir().join(format!("cli-worker-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("logs")).expect("dir");

    // The log is not there yet: the worker is shown, the conversation is an error naming it.
    let out = worker_in(&db, &dir, &["worker", "w-abc123", "--show-conversation"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("logs/gh-450.jsonl"));

    std::fs::copy(fixture("claude_code.jsonl"), dir.join("logs/gh-450.jsonl")).expect("log");
    let r = json(&worker_in(
        &db,
        &dir,
        &["worker", "w-abc123", "--show-conversation", "--json"],
    ));
    let w = &r["worker"];
    assert_eq!(w["status"], "completed", "{r}");
    assert_eq!(w["exit_code"], 0);
    assert_eq!(w["calls"], 2);
    assert_eq!(w["recent_calls"].as_array().map(Vec::len), Some(2));
    // The same figure as `telemetry task` gives for the worker.
    let task = json(&telemetry(&db, &["task", "gh-450", "--json"]));
    let from_task = task["workers"][0]["cost_usd"]
        .as_f64()
        .expect("task's worker cost");
    assert!((w["cost_usd"].as_f64().unwrap_or(-1.0) - from_task).abs() < 1e-9);
    let turns = r["conversation"].as_array().expect("turns");
    assert!(turns.iter().any(|t| t["role"] == "user"), "{r}");
    assert!(turns.iter().any(|t| t["role"] == "assistant"), "{r}");
    assert!(turns
        .iter()
        .all(|t| t["line"].as_u64().is_some_and(|l| l > 0)));

    // On a terminal: a header, the calls, then the turns.
    let out = worker_in(&db, &dir, &["worker", "w-abc123", "--show-conversation"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("w-abc123  [completed]  task gh-450"),
        "{text}"
    );
    assert!(text.contains("assistant"), "{text}");

    let missing = telemetry(&db, &["worker", "w-nobody"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no worker \"w-nobody\""));
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A worker whose log_file is in the upload bucket (moto, the real S3 client): the same
/// turns as the local file; a missing object is an error naming it.
#[tokio::test]
async fn a_workers_log_in_s3_reads_as_the_same_turns() {
    let db = TestDb::new("cli_worker_s3").await;
    json(&telemetry(
        &db,
        &["ingest", "jsonl", &fixture("agent.jsonl"), "--json"],
    ));
    let moto = telemetry_tests::Moto::start();
    let s3 = telemetry_tests::s3::bucket_on(&moto).await;
    let bucket = telemetry_tests::s3::BUCKET;
    telemetry_tests::s3::put(
        &s3,
        "logs/gh-450.jsonl.gz",
        telemetry_tests::s3::gzipped_fixture("claude_code.jsonl"),
    )
    .await;
    let c = db.client().await;
    c.execute(
        "UPDATE workers SET log_file = $1 WHERE worker_id = 'w-abc123'",
        &[&format!("s3://{bucket}/logs/gh-450.jsonl.gz")],
    )
    .await
    .expect("log_file");
    let env: Vec<(&str, String)> = moto.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let from_s3 = json(&crate::common::telemetry_with(
        &db,
        &["worker", "w-abc123", "--show-conversation", "--json"],
        &env,
    ));
    // The same log read from a local path.
    let dir = std::env::temp_dir().join(format!("cli-worker-s3-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("logs")).expect("dir");
    std::fs::copy(fixture("claude_code.jsonl"), dir.join("logs/gh-450.jsonl")).expect("log");
    c.execute(
        "UPDATE workers SET log_file = 'logs/gh-450.jsonl' WHERE worker_id = 'w-abc123'",
        &[],
    )
    .await
    .expect("log_file");
    let local = json(&worker_in(
        &db,
        &dir,
        &["worker", "w-abc123", "--show-conversation", "--json"],
    ));
    assert!(from_s3["conversation"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(from_s3["conversation"], local["conversation"]);

    c.execute(
        "UPDATE workers SET log_file = $1 WHERE worker_id = 'w-abc123'",
        &[&format!("s3://{bucket}/logs/missing.jsonl")],
    )
    .await
    .expect("log_file");
    let out =
        crate::common::telemetry_with(&db, &["worker", "w-abc123", "--show-conversation"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("logs/missing.jsonl"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(&dir);
}
