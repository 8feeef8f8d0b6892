//! usage.csv ingestion against a real PostgreSQL database (fresh per test): what lands, what
//! is rejected, what re-ingests do, and how a failed batch is reported.

use std::io::Cursor;
use telemetry_shared::failure::Retryable;

use telemetry_shared::ingest::{
    ingest_usage_csv, IngestError, IngestOptions, IngestReport, SourceInfo,
};
use telemetry_tests::TestDb;

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn source() -> SourceInfo {
    SourceInfo {
        kind: "usage_csv".into(),
        uri: "/tmp/usage.csv".into(),
        version: None,
    }
}

async fn ingest(db: &TestDb, body: &str, batch_rows: usize) -> Result<IngestReport, IngestError> {
    ingest_usage_csv(
        &db.pool,
        Cursor::new(body.as_bytes().to_vec()),
        &source(),
        IngestOptions::new(batch_rows),
    )
    .await
}

fn row(ts: &str, model: &str, inp: u32, out: u32) -> String {
    format!("{ts},{model},{inp},{out},true,plan,100,\n")
}

#[tokio::test]
async fn valid_rows_land_with_costs_and_bad_rows_are_reported() {
    let db = TestDb::new("csv_valid").await;
    let body = format!(
        "{HEADER}{}{}bogus,gpt-4o,1,1,true,a,1,\n{}{}",
        row("2026-11-01T10:00:00Z", "claude-sonnet-4-5", 100_000, 0),
        row("2026-11-01T10:00:01Z", "acme-llm", 10, 10),
        "2026-11-01T10:00:02Z,gpt-4o,-1,0,true,plan,100,\n",
        row("2026-11-01T10:00:03Z", "gpt-4o", 0, 1_000_000),
    );
    let r = ingest(&db, &body, 2).await.expect("ingest");
    assert_eq!(
        (r.rows_read, r.inserted, r.updated, r.duplicates, r.rejected),
        (5, 3, 0, 0, 2)
    );
    assert!(r.is_balanced());
    assert_eq!(
        r.rejects.iter().map(|x| x.line).collect::<Vec<_>>(),
        vec![4, 5],
        "{:?}",
        r.rejects
    );
    assert_eq!(r.rejects[1].reason, "prompt_tokens: negative value -1");
    // $0.30 for 100k Sonnet input + $10 for 1M gpt-4o output; the unknown model adds nothing.
    assert_eq!(r.cost_usd, 10.3);
    assert_eq!(r.unknown_models, vec!["acme-llm".to_string()]);

    let c = db.client().await;
    let rows = c
        .query(
            "SELECT model, input_tokens, output_tokens, total_tokens, estimated_cost::float8,
                    cost_status, price_version, source
             FROM llm_calls ORDER BY timestamp",
            &[],
        )
        .await
        .expect("query");
    type Stored = (String, i32, i64, Option<f64>, String, Option<String>);
    let got: Vec<Stored> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(3), r.get(4), r.get(5), r.get(6)))
        .collect();
    let version = telemetry_shared::pricing::PriceTable::shipped()
        .version
        .clone();
    assert_eq!(
        got[0],
        (
            "claude-sonnet-4-5".into(),
            100_000,
            100_000,
            Some(0.3),
            "priced".into(),
            Some(version.clone())
        )
    );
    assert_eq!(
        got[1],
        (
            "acme-llm".into(),
            10,
            20,
            None,
            "unknown_model".into(),
            None
        )
    );
    assert_eq!(got[2].3, Some(10.0));
    assert!(rows.iter().all(|r| r.get::<_, String>(7) == "usage_csv"));

    let run = c
        .query_one(
            "SELECT status, rows_read, inserted, rejected, jsonb_array_length(rejects), cost_usd::float8
             FROM ingest_runs WHERE id = $1",
            &[&r.ingest_run_id.expect("run id")],
        )
        .await
        .expect("run row");
    assert_eq!(run.get::<_, String>(0), "succeeded");
    assert_eq!(
        (
            run.get::<_, i64>(1),
            run.get::<_, i64>(2),
            run.get::<_, i64>(3)
        ),
        (5, 3, 2)
    );
    assert_eq!(run.get::<_, i32>(4), 2);
    assert_eq!(run.get::<_, f64>(5), 10.3);
    db.drop_db().await;
}

#[tokio::test]
async fn reingest_and_grown_copy_add_only_new_rows_and_keep_identical_calls_apart() {
    let db = TestDb::new("csv_grown").await;
    let dup = row("2026-11-01T10:00:00Z", "gpt-4o", 5, 5);
    let first = format!(
        "{HEADER}{dup}{dup}{}",
        row("2026-11-01T10:01:00Z", "gpt-4o", 1, 1)
    );
    let r1 = ingest(&db, &first, 1000).await.expect("first");
    assert_eq!(
        (r1.inserted, r1.duplicates),
        (3, 0),
        "identical calls are two calls"
    );

    let r2 = ingest(&db, &first, 1000).await.expect("same file again");
    assert_eq!((r2.inserted, r2.updated, r2.duplicates), (0, 0, 3));
    assert_eq!(db.count("llm_calls").await, 3);

    let grown = format!(
        "{first}{dup}{}",
        row("2026-11-02T00:00:00Z", "claude-haiku-4-5", 7, 7)
    );
    let r3 = ingest(&db, &grown, 2).await.expect("grown copy");
    assert_eq!(
        (r3.rows_read, r3.inserted, r3.updated, r3.duplicates),
        (5, 2, 0, 3)
    );
    assert_eq!(db.count("llm_calls").await, 5);
    db.drop_db().await;
}

#[tokio::test]
async fn two_developers_calls_in_the_same_second_are_both_kept() {
    let db = TestDb::new("csv_two_devs").await;
    let alice = format!("{HEADER}{}", row("2026-11-01T10:00:00Z", "gpt-4o", 5, 5));
    let bob = format!("{HEADER}{}", row("2026-11-01T10:00:00Z", "gpt-4o", 50, 5));
    ingest(&db, &alice, 10).await.expect("alice");
    let r = ingest(&db, &bob, 10).await.expect("bob");
    assert_eq!((r.inserted, r.updated, r.duplicates), (1, 0, 0));
    let c = db.client().await;
    let tokens: Vec<i32> = c
        .query(
            "SELECT input_tokens FROM llm_calls ORDER BY input_tokens",
            &[],
        )
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tokens, [5, 50], "neither call overwrote the other");
    // Re-uploading either file adds nothing.
    let r = ingest(&db, &alice, 10).await.expect("alice again");
    assert_eq!((r.inserted, r.updated, r.duplicates), (0, 0, 1));
    db.drop_db().await;
}

async fn keys(c: &deadpool_postgres::Object) -> Vec<(i64, Vec<u8>)> {
    c.query("SELECT id, dedup_key FROM llm_calls ORDER BY id", &[])
        .await
        .expect("keys")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Migration V8 re-keys usage.csv rows stored before it: its SQL must derive exactly the keys
/// the reader derives, or a re-upload of an old file would count every row twice.
#[tokio::test]
async fn migration_v8_derives_the_readers_keys_for_rows_stored_before_it() {
    let db = TestDb::new("csv_rekey").await;
    let body = format!(
        "{HEADER}{dup}{dup}{}{}{}{}",
        "2026-11-01T10:00:00Z,gpt-4o,5,5,,,,\n",
        "2026-11-01T10:00:00.123456Z,claude-sonnet-4-5,0,0,false,\"plan, ünïcode\",0,\"why, \"\"quoted\"\"\"\n",
        "2000-02-29T23:59:59Z,gpt-4o,300000,1,true,leap,2147483647,\n",
        row("2026-11-01T10:00:00Z", "gpt-4o", 5, 6),
        dup = row("2026-11-01T10:00:00Z", "gpt-4o", 5, 5),
    );
    let r = ingest(&db, &body, 3).await.expect("ingest");
    assert_eq!((r.inserted, r.rejected), (6, 0), "{r:?}");
    let c = db.client().await;
    let reader_keys = keys(&c).await;
    // Stand-ins for keys of the old scheme (same time prefix, another digest).
    c.batch_execute(
        "UPDATE llm_calls SET dedup_key = substring(dedup_key FROM 1 FOR 8) || int8send(id)",
    )
    .await
    .expect("scramble");
    assert_ne!(keys(&c).await, reader_keys);
    c.batch_execute(include_str!(
        "../../../migrations/V8__usage_csv_full_identity.sql"
    ))
    .await
    .expect("migration SQL");
    assert_eq!(
        keys(&c).await,
        reader_keys,
        "the SQL derives the reader's keys"
    );
    let again = ingest(&db, &body, 3).await.expect("re-upload");
    assert_eq!((again.inserted, again.updated, again.duplicates), (0, 0, 6));
    db.drop_db().await;
}

#[tokio::test]
async fn a_failed_batch_rolls_back_names_its_lines_and_a_rerun_completes() {
    let db = TestDb::new("csv_failbatch").await;
    // A real database-side failure for one row: a trigger refusing model 'explode'.
    db.client()
        .await
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.model = 'explode' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
             RETURN NEW; END $$;
             CREATE TRIGGER refuse BEFORE INSERT ON llm_calls FOR EACH ROW EXECUTE FUNCTION refuse();",
        )
        .await
        .expect("trigger");
    let body = format!(
        "{HEADER}{}{}{}{}{}",
        row("2026-11-01T10:00:00Z", "gpt-4o", 1, 1),
        row("2026-11-01T10:00:01Z", "gpt-4o", 1, 1),
        row("2026-11-01T10:00:02Z", "gpt-4o", 1, 1),
        row("2026-11-01T10:00:03Z", "explode", 1, 1),
        row("2026-11-01T10:00:04Z", "gpt-4o", 1, 1),
    );
    let err = ingest(&db, &body, 2).await.expect_err("batch 2 fails");
    let msg = err.to_string();
    assert!(msg.contains("batch of lines 4-5 was rolled back"), "{msg}");
    assert!(msg.contains("refused by test trigger"), "{msg}");
    assert!(!err.is_retryable(), "a refused row fails again");
    // Batch 1 committed, batch 2 rolled back whole, batch 3 never written.
    assert_eq!(db.count("llm_calls").await, 2);
    assert_eq!(db.last_ingest_status().await, "failed");

    db.client()
        .await
        .batch_execute("DROP TRIGGER refuse ON llm_calls")
        .await
        .expect("drop");
    let r = ingest(&db, &body, 2).await.expect("rerun");
    assert_eq!((r.inserted, r.duplicates), (3, 2));
    assert_eq!(db.count("llm_calls").await, 5);
    db.drop_db().await;
}

#[tokio::test]
async fn header_problems_fail_the_file_and_are_recorded() {
    let db = TestDb::new("csv_header").await;
    let err = ingest(&db, "time,model\n1,2\n", 10)
        .await
        .expect_err("bad header");
    assert!(
        err.to_string()
            .contains("header lacks required column(s) timestamp, prompt_tokens"),
        "{err}"
    );
    assert!(!err.is_retryable());
    let (status, error): (String, Option<String>) = db
        .client()
        .await
        .query_one("SELECT status, error FROM ingest_runs", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("run");
    assert_eq!(status, "failed");
    assert!(error.unwrap_or_default().contains("prompt_tokens"));
    assert_eq!(db.count("llm_calls").await, 0);
    db.drop_db().await;
}

#[tokio::test]
async fn an_unreachable_database_is_a_retryable_error() {
    // Port 1 on loopback: nothing listens there.
    let pool = telemetry_shared::db::make_pool(
        "postgres://postgres@127.0.0.1:1/x?sslmode=disable",
        1,
        telemetry_shared::db::Workload::Ingest,
    )
    .expect("pool");
    let err = ingest_usage_csv(
        &pool,
        Cursor::new(HEADER.as_bytes().to_vec()),
        &source(),
        IngestOptions::new(10),
    )
    .await
    .expect_err("no server");
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}
