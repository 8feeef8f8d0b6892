//! JSONL logs into real PostgreSQL: agent lifecycle tables with the right timeline whatever
//! the line order, Claude Code and Codex calls once each, and idempotent re-ingestion.

use std::io::Cursor;

use telemetry_shared::ingest::{ingest_file, FileKind, IngestOptions, IngestReport, SourceInfo};
use telemetry_tests::TestDb;

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn ingest(db: &TestDb, name: &str, body: String) -> IngestReport {
    let report = ingest_file(
        &db.pool,
        Cursor::new(body.into_bytes()),
        FileKind::from_name(name).expect("kind"),
        &SourceInfo {
            kind: "jsonl".into(),
            uri: name.into(),
            version: None,
        },
        IngestOptions::new(4),
    )
    .await
    .expect("ingest");
    assert!(report.is_balanced(), "{report:?}");
    report
}

#[tokio::test]
async fn agent_log_builds_the_timeline_and_reingest_changes_nothing() {
    let db = TestDb::new("jsonl_agent").await;
    let r = ingest(&db, "agent.jsonl", fixture("agent.jsonl")).await;
    // 12 lines: 11 records (one task updated three times, the worker twice, the session
    // twice), 1 rejected.
    assert_eq!((r.rows_read, r.rejected), (12, 1));
    assert_eq!(r.rejects[0].line, 11);
    assert!(r.rejects[0]
        .raw
        .as_deref()
        .unwrap_or("")
        .contains("finished"));
    let c = db.client().await;
    let task = c
        .query_one(
            "SELECT status, detected_at::text, started_at::text, completed_at::text, pr_number, title, session_id
             FROM tasks WHERE task_id = 'gh-450'",
            &[],
        )
        .await
        .expect("task");
    // 'completed' arrived before 'active': the late 'active' line only fills started_at.
    assert_eq!(task.get::<_, String>(0), "completed");
    assert_eq!(task.get::<_, String>(1), "2026-11-20 08:00:05+00");
    assert_eq!(task.get::<_, String>(2), "2026-11-20 08:00:12+00");
    assert_eq!(task.get::<_, String>(3), "2026-11-20 08:20:00+00");
    assert_eq!(task.get::<_, Option<i32>>(4), Some(496));
    assert_eq!(
        task.get::<_, Option<String>>(5).as_deref(),
        Some("Fix flaky login test")
    );
    assert_eq!(task.get::<_, Option<String>>(6).as_deref(), Some("run-42"));
    let worker = c
        .query_one(
            "SELECT status, pid, exit_code, completed_at::text FROM workers",
            &[],
        )
        .await
        .expect("worker");
    assert_eq!(worker.get::<_, String>(0), "completed");
    assert_eq!(
        (
            worker.get::<_, Option<i32>>(1),
            worker.get::<_, Option<i32>>(2)
        ),
        (Some(12345), Some(0))
    );
    let session = c
        .query_one("SELECT started_at::text, ended_at::text, exit_reason, config->>'max_workers' FROM sessions", &[])
        .await
        .expect("session");
    assert_eq!(session.get::<_, String>(0), "2026-11-20 08:00:00+00");
    assert_eq!(
        session.get::<_, Option<String>>(1).as_deref(),
        Some("2026-11-20 09:00:00+00")
    );
    assert_eq!(
        session.get::<_, Option<String>>(2).as_deref(),
        Some("normal")
    );
    assert_eq!(session.get::<_, Option<String>>(3).as_deref(), Some("4"));
    assert_eq!(db.count("events").await, 2);
    let calls = c
        .query(
            "SELECT worker_id, task_id, cost_status, source_cost_usd::float8
             FROM llm_calls ORDER BY timestamp",
            &[],
        )
        .await
        .expect("calls");
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].get::<_, Option<String>>(0).as_deref(),
        Some("w-abc123")
    );
    // Its own cost is kept beside the table's price of the same tokens.
    assert_eq!(calls[1].get::<_, String>(2), "priced");
    assert!(calls[1].get::<_, Option<f64>>(3).is_some());

    let again = ingest(&db, "agent.jsonl", fixture("agent.jsonl")).await;
    assert_eq!(
        (
            again.inserted,
            again.updated,
            again.duplicates,
            again.rejected
        ),
        (0, 0, 11, 1)
    );

    // The same lines in reverse order give the same rows.
    let reversed: String = fixture("agent.jsonl")
        .lines()
        .rev()
        .map(|l| format!("{l}\n"))
        .collect();
    let db2 = TestDb::new("jsonl_agent_rev").await;
    ingest(&db2, "agent.jsonl", reversed).await;
    let dump =
        |t: &'static str| format!("SELECT to_jsonb(x) - 'created_at' - 'updated_at' FROM {t} x");
    for table in ["tasks", "workers", "sessions"] {
        let a: serde_json::Value = c.query_one(&dump(table), &[]).await.expect("a").get(0);
        let b: serde_json::Value = db2
            .client()
            .await
            .query_one(&dump(table), &[])
            .await
            .expect("b")
            .get(0);
        assert_eq!(a, b, "{table} differs with lines in reverse order");
    }
    drop(c);
    db.drop_db().await;
    db2.drop_db().await;
}

#[tokio::test]
async fn claude_code_and_codex_calls_land_once_with_split_tokens() {
    let db = TestDb::new("jsonl_llm").await;
    let r = ingest(&db, "claude_code.jsonl", fixture("claude_code.jsonl")).await;
    // 12 lines: msg_A (one insert, then an update within its batch), msg_B once (sidechain
    // copy is a duplicate), msg_C once; 6 lines carry no usage.
    assert_eq!((r.rows_read, r.rejected, r.skipped), (12, 0, 6));
    assert_eq!(db.count("llm_calls").await, 3);
    let c = db.client().await;
    let a = c
        .query_one(
            "SELECT input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, session_id, source
             FROM llm_calls WHERE model LIKE 'claude-sonnet%'",
            &[],
        )
        .await
        .expect("msg_A");
    assert_eq!(
        (
            a.get::<_, i32>(0),
            a.get::<_, i32>(1),
            a.get::<_, i32>(2),
            a.get::<_, i32>(3)
        ),
        (12, 30000, 2000, 180)
    );
    assert_eq!(a.get::<_, Option<String>>(4).as_deref(), Some("sess-cc-1"));
    assert_eq!(a.get::<_, String>(5), "claude_code");

    let r = ingest(&db, "codex.jsonl", fixture("codex.jsonl")).await;
    assert_eq!((r.inserted, r.duplicates, r.skipped), (2, 1, 6));
    let turn2 = c
        .query_one(
            "SELECT input_tokens, cache_read_tokens, output_tokens, estimated_cost::float8 FROM llm_calls
             WHERE source = 'codex' ORDER BY timestamp DESC LIMIT 1",
            &[],
        )
        .await
        .expect("turn 2");
    assert_eq!(
        (
            turn2.get::<_, i32>(0),
            turn2.get::<_, i32>(1),
            turn2.get::<_, i32>(2)
        ),
        (1050, 15100, 46)
    );
    assert_eq!(turn2.get::<_, f64>(3), 0.00366);

    // Re-delivery of both files stores nothing new.
    let r1 = ingest(&db, "claude_code.jsonl", fixture("claude_code.jsonl")).await;
    let r2 = ingest(&db, "codex.jsonl", fixture("codex.jsonl")).await;
    assert_eq!(
        (r1.inserted, r1.updated, r2.inserted, r2.updated),
        (0, 0, 0, 0)
    );
    assert_eq!(db.count("llm_calls").await, 5);
    drop(c);
    db.drop_db().await;
}
