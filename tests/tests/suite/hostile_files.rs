//! Hostile files through the ingestion pipeline (what `telemetry ingest` and s3-ingest run):
//! values PostgreSQL would refuse (NUL characters, strings over their column, numbers beyond
//! INTEGER or NUMERIC, timestamps outside its range) cost only their own record; a value the
//! database still refuses is isolated to its record; the counts always add up, and the
//! stored rows are exactly the good ones. Real PostgreSQL, a fresh database per test.

use std::io::Cursor;

use telemetry_shared::ingest::{
    ingest_file, ingest_usage_csv, FileKind, IngestOptions, IngestReport, SourceInfo,
};
use telemetry_tests::TestDb;

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn source(kind: &str) -> SourceInfo {
    SourceInfo {
        kind: kind.into(),
        uri: format!("/tmp/hostile.{kind}"),
        version: None,
    }
}

async fn csv(db: &TestDb, body: Vec<u8>, batch_rows: usize) -> IngestReport {
    let r = ingest_usage_csv(
        &db.pool,
        Cursor::new(body),
        &source("usage_csv"),
        IngestOptions::new(batch_rows),
    )
    .await
    .expect("ingested");
    assert!(r.is_balanced(), "counts add up: {r:?}");
    r
}

async fn jsonl(db: &TestDb, body: String, batch_rows: usize) -> IngestReport {
    let kind = FileKind::from_name("hostile.jsonl").expect("kind");
    let r = ingest_file(
        &db.pool,
        Cursor::new(body.into_bytes()),
        kind,
        &source("jsonl"),
        IngestOptions::new(batch_rows),
    )
    .await
    .expect("ingested");
    assert!(r.is_balanced(), "counts add up: {r:?}");
    r
}

fn good(second: u32) -> String {
    format!("2026-11-01T10:00:{second:02}Z,gpt-4o,100,10,true,plan,100,ok\n")
}

fn rejected_lines(r: &IngestReport) -> Vec<u64> {
    r.rejects.iter().map(|x| x.line).collect()
}

async fn models(db: &TestDb) -> Vec<String> {
    db.client()
        .await
        .query("SELECT model FROM llm_calls ORDER BY timestamp", &[])
        .await
        .expect("models")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn csv_values_the_columns_refuse_cost_only_their_row() {
    let mut body = HEADER.as_bytes().to_vec();
    body.extend(good(0).as_bytes());
    // Line 3: a NUL byte inside a field.
    body.extend(b"2026-11-01T10:00:01Z,gpt-4o,1,1,true,pl\0an,100,x\n");
    body.extend(good(2).as_bytes());
    // Line 5: a model longer than VARCHAR(100).
    body.extend(
        format!(
            "2026-11-01T10:00:03Z,{},1,1,true,plan,100,\n",
            "m".repeat(101)
        )
        .as_bytes(),
    );
    // Line 6: tokens beyond INTEGER.
    body.extend(b"2026-11-01T10:00:04Z,gpt-4o,3000000000,1,true,plan,100,\n");
    // Line 7: a task type over VARCHAR(255).
    body.extend(
        format!(
            "2026-11-01T10:00:05Z,gpt-4o,1,1,true,{},100,\n",
            "t".repeat(256)
        )
        .as_bytes(),
    );
    // Line 8: a duration beyond INTEGER.
    body.extend(b"2026-11-01T10:00:06Z,gpt-4o,1,1,true,plan,99999999999,\n");
    // Line 9: a NUL in the notes.
    body.extend(b"2026-11-01T10:00:07Z,gpt-4o,1,1,true,plan,1,a\0b\n");
    body.extend(good(8).as_bytes());
    for batch_rows in [1, 3, 5000] {
        let db = TestDb::new("hostile_csv_values_b").await;
        let r = csv(&db, body.clone(), batch_rows).await;
        assert_eq!((r.rows_read, r.inserted, r.rejected), (9, 3, 6), "{r:?}");
        assert_eq!(
            rejected_lines(&r),
            vec![3, 5, 6, 7, 8, 9],
            "{:?}",
            r.rejects
        );
        let reasons: Vec<&str> = r.rejects.iter().map(|x| x.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("task_type: contains a NUL"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("model: 101 characters"),
            "{reasons:?}"
        );
        assert!(
            reasons[3].starts_with("task_type: 256 characters"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].contains("input_tokens") || reasons[2].contains("prompt_tokens"),
            "{reasons:?}"
        );
        assert!(
            reasons[5].starts_with("notes: contains a NUL"),
            "{reasons:?}"
        );
        assert_eq!(db.count("llm_calls").await, 3);
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_value_the_database_still_refuses_is_isolated_to_its_row() {
    // A constraint the column checks do not know stands in for any refusal they miss.
    let db = TestDb::new("hostile_csv_bisect").await;
    db.client()
        .await
        .batch_execute("ALTER TABLE llm_calls ADD CONSTRAINT no_evil CHECK (model <> 'evil-model')")
        .await
        .expect("constraint");
    let mut body = HEADER.to_string();
    for s in 0..20 {
        if s == 13 {
            body.push_str(&format!(
                "2026-11-01T10:00:{s:02}Z,evil-model,1,1,true,plan,1,\n"
            ));
        } else {
            body.push_str(&good(s));
        }
    }
    let r = csv(&db, body.clone().into_bytes(), 8).await;
    assert_eq!((r.rows_read, r.inserted, r.rejected), (20, 19, 1), "{r:?}");
    assert_eq!(rejected_lines(&r), vec![15]);
    assert!(
        r.rejects[0].reason.contains("no_evil"),
        "the database's reason: {}",
        r.rejects[0].reason
    );
    assert_eq!(db.count("llm_calls").await, 19);
    assert!(!models(&db).await.contains(&"evil-model".to_string()));
    // Re-delivery: nothing new, the bad row rejected again, nothing lost.
    let again = csv(&db, body.into_bytes(), 8).await;
    assert_eq!(
        (again.inserted, again.duplicates, again.rejected),
        (0, 19, 1)
    );
    assert_eq!(db.last_ingest_status().await, "succeeded");
    db.drop_db().await;
}

#[tokio::test]
async fn jsonl_records_with_values_the_columns_refuse_cost_only_their_line() {
    let lines = [
        // 1: fine.
        r#"{"kind":"api_call","ts":"2026-11-01T10:00:00Z","model":"gpt-4o","tokens_input":10,"tokens_output":5,"session_id":"s1"}"#.to_string(),
        // 2: a session id over VARCHAR(255).
        format!(r#"{{"kind":"api_call","ts":"2026-11-01T10:00:01Z","model":"gpt-4o","tokens_input":10,"tokens_output":5,"session_id":"{}"}}"#, "s".repeat(256)),
        // 3: a NUL in an event's details (JSONB refuses \u0000).
        r#"{"kind":"event","ts":"2026-11-01T10:00:02Z","event_type":"decision","message":"m","details":{"why":"a\u0000b"}}"#.to_string(),
        // 4: a NUL in a task title.
        r#"{"kind":"task","ts":"2026-11-01T10:00:03Z","task_id":"gh-1","status":"detected","title":"t\u0000"}"#.to_string(),
        // 5: fine.
        r#"{"kind":"task","ts":"2026-11-01T10:00:04Z","task_id":"gh-2","status":"detected","title":"ok"}"#.to_string(),
        // 6: a NUL in a model name.
        r#"{"kind":"api_call","ts":"2026-11-01T10:00:05Z","model":"gpt\u00004o","tokens_input":1,"tokens_output":1}"#.to_string(),
        // 7: fine.
        r#"{"kind":"event","ts":"2026-11-01T10:00:06Z","event_type":"decision","message":"fine","details":{"k":[1,2]}}"#.to_string(),
        // 8: a cost beyond NUMERIC(14, 8).
        r#"{"kind":"api_call","ts":"2026-11-01T10:00:07Z","model":"gpt-4o","tokens_input":1,"tokens_output":1,"estimated_cost_usd":12345678.9}"#.to_string(),
    ];
    let body = lines.join("\n") + "\n";
    for batch_rows in [1, 2, 5000] {
        let db = TestDb::new("hostile_jsonl_b").await;
        let r = jsonl(&db, body.clone(), batch_rows).await;
        assert_eq!((r.rows_read, r.rejected), (8, 5), "{r:?}");
        assert_eq!(rejected_lines(&r), vec![2, 3, 4, 6, 8], "{:?}", r.rejects);
        assert!(
            r.rejects[4].reason.starts_with("estimated_cost_usd:"),
            "{:?}",
            r.rejects
        );
        assert!(
            r.rejects[1]
                .reason
                .starts_with("details.why: contains a NUL"),
            "{:?}",
            r.rejects
        );
        assert_eq!(db.count("llm_calls").await, 1);
        assert_eq!(db.count("tasks").await, 1);
        assert_eq!(db.count("events").await, 1);
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_jsonl_batch_is_one_transaction_and_a_refusal_splits_only_around_it() {
    let db = TestDb::new("hostile_jsonl_bisect").await;
    db.client()
        .await
        .batch_execute("ALTER TABLE tasks ADD CONSTRAINT no_evil CHECK (title <> 'evil')")
        .await
        .expect("constraint");
    let mut lines = Vec::new();
    for i in 0..10 {
        lines.push(format!(r#"{{"kind":"api_call","ts":"2026-11-01T10:00:{i:02}Z","model":"gpt-4o","tokens_input":1,"tokens_output":1}}"#));
        let title = if i == 6 { "evil" } else { "fine" };
        lines.push(format!(r#"{{"kind":"task","ts":"2026-11-01T10:01:{i:02}Z","task_id":"gh-{i}","status":"detected","title":"{title}"}}"#));
    }
    let r = jsonl(&db, lines.join("\n") + "\n", 5000).await;
    assert_eq!((r.rows_read, r.inserted, r.rejected), (20, 19, 1), "{r:?}");
    assert_eq!(rejected_lines(&r), vec![14]);
    assert_eq!(db.count("llm_calls").await, 10);
    assert_eq!(db.count("tasks").await, 9);
    db.drop_db().await;
}

#[tokio::test]
async fn a_row_dated_far_in_the_future_does_not_merge_later_same_second_calls() {
    let db = TestDb::new("hostile_csv_future").await;
    let same = "2026-11-01T09:00:00Z,gpt-4o,7,7,true,plan,1,same second\n";
    let mut body = format!("{HEADER}{same}2099-12-31T23:59:59Z,gpt-4o,1,1,true,plan,1,future\n");
    // Enough rows that the occurrence window is swept before the second sighting.
    for i in 0..10_050u32 {
        body.push_str(&format!(
            "2026-11-01T{:02}:{:02}:{:02}Z,gpt-4o,1,1,true,fill,1,\n",
            10 + i / 3600,
            (i / 60) % 60,
            i % 60
        ));
    }
    body.push_str(same);
    let r = csv(&db, body.into_bytes(), 5000).await;
    assert_eq!((r.inserted, r.duplicates), (10_053, 0), "{r:?}");
    let n: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM llm_calls WHERE notes = 'same second'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 2, "two calls in the same second stay two calls");
    db.drop_db().await;
}

async fn output_tokens(db: &TestDb) -> Vec<i32> {
    db.client()
        .await
        .query(
            "SELECT output_tokens FROM llm_calls ORDER BY timestamp",
            &[],
        )
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get::<_, i32>(0))
        .collect()
}

/// One Claude Code transcript line of response `msg` with `output` output tokens (a streamed
/// partial has fewer than the final line).
fn claude_line(msg: &str, ts: &str, output: u32) -> String {
    serde_json::json!({
        "type": "assistant", "sessionId": "9b2f6c1e-session", "requestId": format!("req_{msg}"),
        "timestamp": ts, "uuid": format!("{msg}-{output}"),
        "message": {"id": msg, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                    "content": [{"type": "text", "text": "…"}],
                    "usage": {"input_tokens": 12, "cache_creation_input_tokens": 300,
                              "cache_read_input_tokens": 4000, "output_tokens": output}}
    })
    .to_string()
}

#[tokio::test]
async fn a_smaller_claude_usage_never_replaces_a_larger_one() {
    let db = TestDb::new("hostile_claude_usage").await;
    // Response A streamed as a partial then its final line, straddling a batch boundary
    // (one line per batch), then response B.
    let full = [
        claude_line("msg_A", "2026-11-21T10:00:00.000Z", 1),
        claude_line("msg_A", "2026-11-21T10:00:03.000Z", 250),
        claude_line("msg_B", "2026-11-21T10:01:00.000Z", 90),
    ]
    .join("\n")
        + "\n";
    let first = jsonl(&db, full.clone(), 1).await;
    assert_eq!(first.inserted + first.updated, 3, "{first:?}");
    assert_eq!(output_tokens(&db).await, [250, 90]);

    // The identical file again, the response still straddling batches: nothing is written.
    let again = jsonl(&db, full, 1).await;
    assert_eq!((again.inserted, again.updated), (0, 0), "{again:?}");
    assert_eq!(output_tokens(&db).await, [250, 90]);

    // A copy cut mid-response (only A's partial line): the stored final usage stays.
    let cut = claude_line("msg_A", "2026-11-21T10:00:00.000Z", 1) + "\n";
    let r = jsonl(&db, cut, 5000).await;
    assert_eq!((r.inserted, r.updated), (0, 0), "{r:?}");
    assert_eq!(output_tokens(&db).await, [250, 90]);
    db.drop_db().await;
}
