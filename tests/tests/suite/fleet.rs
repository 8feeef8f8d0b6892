//! Briefings and job history (seed 003) into real PostgreSQL, from a JSONL upload and from
//! `POST /ingest`: the seed's unique keys, re-delivery stored once, and each new fact's
//! outbox event written with it.

use std::io::Cursor;

use serde_json::json;
use telemetry_shared::http::KeyKind;
use telemetry_shared::ingest::{ingest_file, FileKind, IngestOptions, IngestReport, SourceInfo};
use telemetry_tests::bus::outbox_types;
use telemetry_tests::http_api::Api;
use telemetry_tests::TestDb;

async fn ingest(db: &TestDb) -> IngestReport {
    let path = format!("{}/fixtures/fleet.jsonl", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&path).expect("fixture");
    let report = ingest_file(
        &db.pool,
        Cursor::new(body),
        FileKind::from_name("fleet.jsonl").expect("kind"),
        &SourceInfo {
            kind: "jsonl".into(),
            uri: "fleet.jsonl".into(),
            version: None,
        },
        IngestOptions::new(3),
    )
    .await
    .expect("ingest");
    assert!(report.is_balanced(), "{report:?}");
    report
}

#[tokio::test]
async fn briefings_and_jobs_from_jsonl_with_their_events_once() {
    let db = TestDb::new("fleet_jsonl").await;
    let r = ingest(&db).await;
    // 7 lines: 2 briefings, 1 job inserted then updated twice, a stale `running` after
    // `completed` (a duplicate), and a briefing with a bad status.
    assert_eq!(
        (r.rows_read, r.inserted, r.updated, r.duplicates, r.rejected),
        (7, 3, 2, 1, 1)
    );
    assert_eq!(r.rejects[0].line, 5);
    assert!(
        r.rejects[0]
            .reason
            .starts_with("status: \"done\" is not one of"),
        "{}",
        r.rejects[0].reason
    );

    let client = db.client().await;
    let job = client
        .query_one(
            "SELECT status, ts_started IS NOT NULL, result FROM jobs WHERE job_id = 'j-17'",
            &[],
        )
        .await
        .expect("job");
    assert_eq!(
        job.get::<_, String>(0),
        "completed",
        "a late `running` does not move it back"
    );
    assert!(
        job.get::<_, bool>(1),
        "the start time from `running` is kept"
    );
    assert_eq!(
        job.get::<_, serde_json::Value>(2),
        json!({"summary": "Fixed login bug"})
    );
    let blocked = client
        .query_one(
            "SELECT blockers, doc_drift_risk FROM briefings WHERE session_id = 'def456'",
            &[],
        )
        .await
        .expect("briefing");
    assert_eq!(
        blocked.get::<_, serde_json::Value>(0),
        json!(["waiting on API keys from ops"])
    );
    let project: String = client
        .query_one(
            "SELECT repo_name FROM projects WHERE project_id = 'mimesis__607a7a7c'",
            &[],
        )
        .await
        .expect("project")
        .get(0);
    assert_eq!(project, "mimesis");

    let mut types = outbox_types(&db).await;
    types.sort();
    assert_eq!(
        types,
        [
            "briefing_added",
            "briefing_added",
            "doc_drift_warning",
            "file_ingested",
            "job_completed",
            "session_blocked"
        ]
    );

    // The same file again: nothing new, no new facts except the file's own report.
    let again = ingest(&db).await;
    assert_eq!(
        (
            again.inserted,
            again.updated,
            again.duplicates,
            again.rejected
        ),
        (0, 0, 6, 1)
    );
    assert_eq!(db.count("briefings").await, 2);
    assert_eq!(db.count("jobs").await, 1);
    assert_eq!(
        outbox_types(&db).await.len(),
        7,
        "one more file_ingested only"
    );
}

#[tokio::test]
async fn briefings_and_jobs_posted_to_ingest_get_a_result_each() {
    let api = Api::new("fleet_http").await;
    let key = api.key("mimesis__607a7a7c", KeyKind::Secret).await;
    let body = json!({
        "briefings": [
            {"session_id": "abc123", "task_id": "task-001", "status": "completed",
             "ended_at": "2026-11-29T09:42:00Z", "impact_level": "major", "broadcast_level": "highlight",
             "raw_markdown": "## Summary\n\nRewrote the auth layer."},
            {"session_id": "abc124", "status": "completed", "raw_markdown": "## Summary", "project_id": "other__00000000"}
        ],
        "jobs": [
            {"job_id": "7", "job_type": "worker_task", "model": "opus", "status": "failed",
             "ts_created": "2026-11-29T09:00:00Z", "request": {"prompt": "fix the flaky test"},
             "error": "worker exited with code 1"}
        ]
    });
    let r = api.post("/ingest", &key, &body).await;
    assert_eq!(r.status, 207, "{}", r.body);
    assert_eq!(
        (r.body["accepted"].as_i64(), r.body["rejected"].as_i64()),
        (Some(2), Some(1))
    );
    let rejected = &r.body["results"][0];
    assert_eq!(rejected["path"], "$.briefings[1].project_id");
    let again = api.post("/ingest", &key, &body).await;
    assert_eq!(
        (
            again.body["accepted"].as_i64(),
            again.body["duplicate"].as_i64()
        ),
        (Some(0), Some(2))
    );
    assert_eq!(api.db.count("briefings").await, 1);

    let auth = format!("Bearer {key}");
    let page = api
        .call("GET", "/events?after=0", &[("authorization", &auth)], b"")
        .await;
    let types: Vec<&str> = page.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(types, ["briefing_added", "job_completed"]);
    assert_eq!(page.body["events"][0]["broadcast_level"], "highlight");
    assert!(page.body["events"][0]["briefing_id"].is_i64());
    assert_eq!(page.body["events"][1]["payload"]["status"], "failed");
    assert_eq!(page.body["events"][1]["broadcast_level"], "alert");

    let mixed = api
        .post("/ingest", &key, &json!({"batch": [], "jobs": []}))
        .await;
    assert_eq!(mixed.status, 400);
}
