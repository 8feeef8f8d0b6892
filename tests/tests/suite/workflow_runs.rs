//! Workflow run attempts into real PostgreSQL: parsed from the REST API's run shape, one row
//! per (run, attempt), completion and duration derived, and overwritten only by a newer
//! GitHub `updated_at` (a stale in-progress copy never rolls a completed run back).

use serde_json::Value;
use telemetry_shared::github::store::{upsert_workflow_runs, RunCounts};
use telemetry_shared::github::WorkflowRun;
use telemetry_tests::TestDb;

fn page() -> Vec<Value> {
    let path = format!(
        "{}/fixtures/github/runs_page.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    v["workflow_runs"].as_array().expect("runs").clone()
}

fn counts(inserted: u64, updated: u64, unchanged: u64) -> RunCounts {
    RunCounts {
        inserted,
        updated,
        unchanged,
    }
}

#[test]
fn runs_are_read_with_completion_and_duration_per_attempt() {
    let runs: Vec<WorkflowRun> = page()
        .iter()
        .map(|r| WorkflowRun::from_api("acme/api", r).expect("run"))
        .collect();
    assert_eq!(runs[0].duration_seconds, Some(448), "10:00:02 -> 10:07:30");
    assert_eq!(runs[0].completed_at, Some(runs[0].github_updated_at));
    assert_eq!(
        (
            runs[1].status.as_str(),
            runs[1].completed_at,
            runs[1].duration_seconds
        ),
        ("in_progress", None, None)
    );
    // A re-run: attempt 2, timed from its own start, not the run's creation a day earlier.
    assert_eq!(
        (runs[2].run_attempt, runs[2].duration_seconds),
        (2, Some(40))
    );
    assert_eq!(runs[2].conclusion.as_deref(), Some("startup_failure"));
    let err =
        WorkflowRun::from_api("acme/api", &serde_json::json!({"id": "x"})).expect_err("bad run");
    assert!(err.starts_with("workflow run: "), "{err}");
}

#[tokio::test]
async fn upserts_only_move_forward_in_githubs_time() {
    let db = TestDb::new("workflow_runs").await;
    let c = db.client().await;
    let mut runs: Vec<WorkflowRun> = page()
        .iter()
        .map(|r| WorkflowRun::from_api("acme/api", r).expect("run"))
        .collect();
    assert_eq!(
        upsert_workflow_runs(&**c, &runs).await.expect("first"),
        counts(3, 0, 0)
    );
    assert_eq!(
        upsert_workflow_runs(&**c, &runs).await.expect("again"),
        counts(0, 0, 3)
    );

    // The in-progress run completes: a newer updated_at overwrites it.
    let mut done = runs[1].clone();
    done.status = "completed".into();
    done.conclusion = Some("failure".into());
    done.github_updated_at += chrono::TimeDelta::minutes(5);
    done.completed_at = Some(done.github_updated_at);
    done.duration_seconds = Some(359);
    assert_eq!(
        upsert_workflow_runs(&**c, std::slice::from_ref(&done))
            .await
            .expect("done"),
        counts(0, 1, 0)
    );
    // A stale copy (fetched earlier, delivered later) is refused.
    assert_eq!(
        upsert_workflow_runs(&**c, std::slice::from_ref(&runs[1]))
            .await
            .expect("stale"),
        counts(0, 0, 1)
    );
    let row = c
        .query_one(
            "SELECT status, conclusion, duration_seconds FROM workflow_runs WHERE github_run_id = 19700000002",
            &[],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, String>(0), "completed");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("failure"));
    assert_eq!(row.get::<_, Option<i32>>(2), Some(359));

    // Attempt 1 of the re-run is its own row; the same key twice in a batch keeps the newest.
    let mut first_attempt = runs[2].clone();
    first_attempt.run_attempt = 1;
    runs.push(first_attempt.clone());
    let mut older = first_attempt;
    older.github_updated_at -= chrono::TimeDelta::hours(1);
    older.conclusion = Some("cancelled".into());
    runs.push(older);
    assert_eq!(
        upsert_workflow_runs(&**c, &runs).await.expect("batch"),
        counts(1, 0, 4)
    );
    let attempts: Vec<(i32, Option<String>)> = c
        .query(
            "SELECT run_attempt, conclusion FROM workflow_runs WHERE github_run_id = 19700000003 ORDER BY 1",
            &[],
        )
        .await
        .expect("attempts")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        attempts,
        vec![
            (1, Some("startup_failure".into())),
            (2, Some("startup_failure".into()))
        ]
    );
    drop(c);
    db.drop_db().await;
}
