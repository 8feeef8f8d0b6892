//! The batch upsert's two paths (COPY fast path, ON CONFLICT fallback) against real
//! PostgreSQL: same results, and concurrent writers of the same calls store each call once.

use std::io::Cursor;

use telemetry_shared::csv::{Row, UsageCsvReader};
use telemetry_shared::ingest::{ingest_usage_csv, IngestOptions, SourceInfo};
use telemetry_shared::model::LlmCall;
use telemetry_shared::store::{upsert_llm_calls, upsert_llm_calls_on_conflict, UpsertCounts};
use telemetry_tests::TestDb;

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn calls(rows: &str) -> Vec<LlmCall> {
    UsageCsvReader::new(format!("{HEADER}{rows}").into_bytes().as_slice())
        .expect("header")
        .map(|r| match r.expect("io") {
            Row::Call { call, .. } => call,
            Row::Reject { reason, .. } => panic!("fixture row rejected: {reason}"),
        })
        .collect()
}

fn counts(inserted: u64, updated: u64, duplicates: u64) -> UpsertCounts {
    UpsertCounts {
        inserted,
        updated,
        duplicates,
    }
}

async fn table(db: &TestDb) -> Vec<String> {
    db.client()
        .await
        .query(
            "SELECT format('%s|%s|%s|%s|%s|%s|%s|%s', encode(dedup_key, 'hex'), model,
                    input_tokens, output_tokens, estimated_cost, cost_status, success, notes)
             FROM llm_calls ORDER BY dedup_key",
            &[],
        )
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn fast_path_and_on_conflict_fallback_agree() {
    let fast = TestDb::new("upsert_fast").await;
    let slow = TestDb::new("upsert_slow").await;
    let first = calls(
        "2026-11-01T10:00:00Z,gpt-4o,10,1,true,a,5,x\n\
         2026-11-01T10:00:00Z,gpt-4o,10,1,true,a,5,x\n\
         2026-11-01T10:00:01Z,claude-opus-4-5,10,1,false,a,5,\"a, b\"\n",
    );
    // The first call again with other tokens under its key (as a source with ids of its
    // own re-sends a corrected call), the other two unchanged, and a new one.
    let mut changed = first.clone();
    changed[0].tokens.input = 99;
    changed.extend(calls("2026-11-01T10:00:02Z,acme,1,1,,,,\n"));
    let mut f = fast.client().await;
    let s = slow.client().await;
    for (batch, expected) in [
        (&first, counts(3, 0, 0)),
        (&first, counts(0, 0, 3)),
        (&changed, counts(1, 1, 2)),
    ] {
        let a = upsert_llm_calls(&mut **f, batch).await.expect("fast");
        let b = upsert_llm_calls_on_conflict(&**s, batch)
            .await
            .expect("slow");
        assert_eq!(a, expected);
        assert_eq!(b, expected);
    }
    let rows = table(&fast).await;
    assert_eq!(rows, table(&slow).await);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().any(|r| r.contains("|gpt-4o|99|")), "{rows:?}");
    assert!(
        rows.iter().any(|r| r.contains("|acme|1|1||unknown_model|")),
        "{rows:?}"
    );
    drop((f, s));
    fast.drop_db().await;
    slow.drop_db().await;
}

#[tokio::test]
async fn a_key_repeated_in_one_batch_keeps_its_last_version() {
    let db = TestDb::new("upsert_repeat").await;
    let mut batch = calls("2026-11-01T10:00:00Z,gpt-4o,1,1,,,,\n");
    let mut newer = batch[0].clone();
    newer.tokens.input = 42;
    batch.push(newer);
    let mut c = db.client().await;
    let got = upsert_llm_calls(&mut **c, &batch).await.expect("upsert");
    assert_eq!(got, counts(1, 0, 1));
    let tokens: i32 = c
        .query_one("SELECT input_tokens FROM llm_calls", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(tokens, 42);
    drop(c);
    db.drop_db().await;
}

#[tokio::test]
async fn concurrent_ingests_of_the_same_file_store_each_call_once() {
    let db = TestDb::new("upsert_concurrent").await;
    let mut body = String::from(HEADER);
    for i in 0..2_000 {
        body += &format!(
            "2026-11-01T10:{:02}:{:02}Z,gpt-4o,{i},1,true,a,1,\n",
            i / 60 % 60,
            i % 60
        );
        if i % 7 == 0 {
            // An identical call in the same second: a distinct second occurrence.
            body += &format!(
                "2026-11-01T10:{:02}:{:02}Z,gpt-4o,{i},1,true,a,1,\n",
                i / 60 % 60,
                i % 60
            );
        }
    }
    let expected = 2_000 + 2_000 / 7 + 1;
    let mut tasks = Vec::new();
    for n in 0..4 {
        let pool = db.pool.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            ingest_usage_csv(
                &pool,
                Cursor::new(body.into_bytes()),
                &SourceInfo {
                    kind: "usage_csv".into(),
                    uri: format!("writer-{n}"),
                    version: None,
                },
                IngestOptions::new(100),
            )
            .await
        }));
    }
    let mut inserted = 0;
    for t in tasks {
        let r = t.await.expect("join").expect("ingest");
        assert!(r.is_balanced());
        assert_eq!(r.rows_read, expected);
        inserted += r.inserted;
    }
    assert_eq!(
        inserted, expected,
        "each call inserted by exactly one writer"
    );
    assert_eq!(db.count("llm_calls").await, expected as i64);
    db.drop_db().await;
}
