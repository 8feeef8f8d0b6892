//! s3-ingest logic against a real S3 API (moto_server with the real aws-sdk-s3 client) and
//! real PostgreSQL: notifications in both shapes, awkward keys, gzip, edge-case files,
//! re-delivery, grown re-uploads and rejects files. Failures: `s3_failures.rs`.

use serde_json::{json, Value};
use telemetry_tests::s3::{
    encode, get, gzipped_fixture, put, record, s3_env as env, s3_event, statuses,
};

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

#[tokio::test]
async fn csv_with_an_awkward_key_lands_and_its_rejects_are_written_back() {
    let e = env("s3_csv").await;
    let key = "uploads/usage été 2024+final.csv";
    let body = format!(
        "{HEADER}2026-11-21T10:00:00Z,gpt-4o,100,10,true,plan,5,\n\
         never,gpt-4o,1,1,true,plan,5,\n\
         2026-11-21T10:01:00Z,claude-haiku-4-5,200,20,false,review,9,\"timeout, retried\"\n"
    );
    let etag = put(&e.s3, key, body.clone().into_bytes()).await;
    let report = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            key,
            &etag,
            body.len(),
        )]))
        .await
        .expect("handled");
    let o = &report.objects[0];
    assert_eq!((o.status.as_str(), o.key.as_str()), ("ingested", key));
    let r = o.report.as_ref().expect("report");
    assert_eq!((r.rows_read, r.inserted, r.rejected), (3, 2, 1));
    assert_eq!(e.db.count("llm_calls").await, 2);

    let rejects_key = format!("rejected/{key}.errors.jsonl");
    assert_eq!(o.rejects_key.as_deref(), Some(rejects_key.as_str()));
    let rejects = get(&e.s3, &rejects_key)
        .await
        .expect("rejects file in the bucket");
    let line: Value = serde_json::from_str(rejects.trim()).expect("one JSON line");
    assert_eq!(line["line"], 3);
    assert!(line["reason"]
        .as_str()
        .unwrap_or("")
        .starts_with("bad timestamp \"never\""));
    assert_eq!(line["raw"], "never,gpt-4o,1,1,true,plan,5,");

    let c = e.db.client().await;
    let run = c
        .query_one(
            "SELECT source_uri, source_version, status, rows_read FROM ingest_runs",
            &[],
        )
        .await
        .expect("run");
    assert_eq!(
        run.get::<_, String>(0),
        format!("s3://telemetry-uploads/{key}")
    );
    assert_eq!(run.get::<_, Option<String>>(1), Some(etag.clone()));
    assert_eq!(
        (run.get::<_, String>(2), run.get::<_, i64>(3)),
        ("succeeded".into(), 3)
    );
    let manifest = c
        .query_one(
            "SELECT status, rejects_key, attempts FROM s3_objects WHERE key = $1",
            &[&key],
        )
        .await
        .expect("manifest");
    assert_eq!(manifest.get::<_, String>(0), "succeeded");
    assert_eq!(manifest.get::<_, Option<String>>(1), Some(rejects_key));

    // The rejects file's own creation event is not ingested (no loop).
    let again = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            &format!("rejected/{key}.errors.jsonl"),
            "x",
            1,
        )]))
        .await
        .expect("handled");
    assert_eq!(statuses(&again), vec!["skipped"]);
    drop(c);
    e.db.drop_db().await;
}

#[tokio::test]
async fn redelivery_is_a_noop_and_a_grown_reupload_adds_only_new_rows() {
    let e = env("s3_redeliver").await;
    let key = "usage.csv";
    let small = format!(
        "{HEADER}2026-11-21T10:00:00Z,gpt-4o,1,1,,,,\n2026-11-21T10:00:01Z,gpt-4o,1,1,,,,\n"
    );
    let etag = put(&e.s3, key, small.clone().into_bytes()).await;
    let event = s3_event(vec![record("ObjectCreated:Put", key, &etag, small.len())]);
    let first = e.ingest.handle(&event).await.expect("first");
    assert_eq!(statuses(&first), vec!["ingested"]);
    let second = e.ingest.handle(&event).await.expect("second");
    assert_eq!(statuses(&second), vec!["already_ingested"]);
    assert!(second.objects[0].report.is_none(), "nothing was read again");
    assert_eq!(e.db.count("ingest_runs").await, 1);

    let grown = format!("{small}2026-11-21T10:00:02Z,gpt-4o,1,1,,,,\n");
    let etag2 = put(&e.s3, key, grown.clone().into_bytes()).await;
    assert_ne!(etag, etag2);
    let third = e
        .ingest
        .handle(&s3_event(vec![record(
            "ObjectCreated:Put",
            key,
            &etag2,
            grown.len(),
        )]))
        .await
        .expect("grown");
    let r = third.objects[0].report.as_ref().expect("report");
    assert_eq!((r.inserted, r.duplicates), (1, 2));
    assert_eq!(e.db.count("llm_calls").await, 3);
    e.db.drop_db().await;
}

#[tokio::test]
async fn gzip_jsonl_through_eventbridge_and_mixed_records_in_one_event() {
    let e = env("s3_gzip").await;
    let key = "logs/session 1.jsonl.gz";
    let etag = put(&e.s3, key, gzipped_fixture("claude_code.jsonl")).await;
    let eventbridge = json!({
        "version": "0", "id": "f5f1e65c-dc3a-93ca-6c1e-b1647eac7963", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2026-11-22T05:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:s3:::telemetry-uploads"],
        "detail": {"version": "0", "bucket": {"name": "telemetry-uploads"},
                   "object": {"key": encode(key), "size": 100, "etag": etag, "sequencer": "006408CAD69598B05E"},
                   "request-id": "57H08PA84AB1JZW0", "requester": "123456789012",
                   "source-ip-address": "34.252.34.74", "reason": "PutObject"}
    });
    let report = e.ingest.handle(&eventbridge).await.expect("handled");
    assert_eq!(statuses(&report), vec!["ingested"]);
    assert_eq!(
        report.objects[0].report.as_ref().map(|r| r.skipped),
        Some(6)
    );
    assert_eq!(e.db.count("llm_calls").await, 3);

    // One invocation, several records, each on its own.
    let one_line = format!("{HEADER}2026-11-21T11:00:00Z,gpt-5,10,10,,,,\n");
    let only_bad = format!("{HEADER}x,y,z\nbad,gpt-5,1,1,,,,\n");
    let keys = [
        "one line.csv",
        "empty.csv",
        "empty.jsonl",
        "only bad.csv",
        "notes.txt",
        "missing.csv",
    ];
    let bodies = [
        one_line,
        String::new(),
        String::new(),
        only_bad,
        "hello".into(),
    ];
    let mut records = Vec::new();
    for (k, b) in keys.iter().zip(&bodies) {
        let etag = put(&e.s3, k, b.clone().into_bytes()).await;
        records.push(record("ObjectCreated:Put", k, &etag, b.len()));
    }
    records.push(record("ObjectCreated:Put", "missing.csv", "gone", 1));
    let lifecycle = json!({"eventVersion": "2.3", "eventSource": "aws:s3", "eventName": "s3:LifecycleTransition",
        "s3": {"bucket": {"name": "telemetry-uploads"}, "object": {"key": "one+line.csv", "size": 1}}});
    records.push(lifecycle);
    let report = e
        .ingest
        .handle(&s3_event(records))
        .await
        .expect("permanent problems do not fail the invocation");
    assert_eq!(
        statuses(&report),
        vec!["ingested", "rejected", "ingested", "ingested", "rejected", "rejected"]
    );
    assert!(
        report.objects[1]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("empty"),
        "{:?}",
        report.objects[1]
    );
    assert_eq!(
        report.objects[2].report.as_ref().map(|r| r.rows_read),
        Some(0)
    );
    let bad = report.objects[3].report.as_ref().expect("report");
    assert_eq!((bad.inserted, bad.rejected), (0, 2));
    let rejects = get(&e.s3, "rejected/only bad.csv.errors.jsonl")
        .await
        .expect("rejects file");
    assert_eq!(rejects.lines().count(), 2);
    assert!(report.objects[4]
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("unsupported file type"));
    assert!(
        report.objects[5]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("not found"),
        "{:?}",
        report.objects[5]
    );
    assert_eq!(report.ignored.len(), 1);
    assert!(report.ignored[0].contains("LifecycleTransition"));
    assert_eq!(e.db.count("llm_calls").await, 4);
    let rejected: i64 =
        e.db.client()
            .await
            .query_one(
                "SELECT count(*) FROM s3_objects WHERE status = 'rejected'",
                &[],
            )
            .await
            .expect("count")
            .get(0);
    assert_eq!(
        rejected, 3,
        "permanent failures are recorded, so a retry does not loop on them"
    );
    e.db.drop_db().await;
}
