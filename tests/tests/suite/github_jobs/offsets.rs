//! A job as the spec's `job-paginated` example writes it: job times in `Z`, step times at
//! `-08:00` with milliseconds, on a self-hosted runner.

use serde_json::{json, Value};
use telemetry_tests::github::{job_object, FakeGitHub, JobSpec};
use telemetry_tests::TestDb;

use super::{adds_up, at, days_ago, run, REPO};

#[tokio::test]
async fn steps_with_offsets_and_milliseconds_are_stored_in_utc() {
    let db = TestDb::new("gh_jobs_offsets").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_run(11, at(days_ago(1), 17), 120, "success");
    let attempt = gh.attempt_object(11);
    // The spec's job-paginated example: job times in Z, step times at -08:00 with millis.
    let job = job_object(
        REPO,
        &attempt,
        JobSpec {
            id: 399_444_496,
            name: "build",
            status: "completed",
            conclusion: Some("success"),
            created: "2020-01-20T17:42:35Z".into(),
            started: Some("2020-01-20T17:42:40Z".into()),
            completed: Some("2020-01-20T17:44:39Z".into()),
            labels: &["self-hosted", "linux"],
            steps: json!([
                {"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
                 "started_at": "2020-01-20T09:42:40.000-08:00", "completed_at": "2020-01-20T09:42:41.250-08:00"},
                {"name": "Run tests", "status": "completed", "conclusion": "success", "number": 2,
                 "started_at": "2020-01-20T09:42:41.250-08:00", "completed_at": "2020-01-20T09:44:38.000-08:00"}
            ]),
        },
    );
    gh.set_jobs(11, 1, vec![job]);
    adds_up(&run(&db, &gh, 2).await);
    let r = db
        .client()
        .await
        .query_one(
            "SELECT steps, queue_seconds, duration_seconds, billing_sku, estimated_cost_usd::text,
                    runner_name
             FROM workflow_jobs WHERE github_job_id = 399444496",
            &[],
        )
        .await
        .expect("job");
    let steps: Value = r.get("steps");
    assert_eq!(steps[0]["started_at"], "2020-01-20T17:42:40.000Z");
    assert_eq!(steps[0]["completed_at"], "2020-01-20T17:42:41.250Z");
    assert_eq!(steps[1]["completed_at"], "2020-01-20T17:44:38.000Z");
    assert_eq!(r.get::<_, Option<i32>>("queue_seconds"), Some(5));
    assert_eq!(r.get::<_, Option<i32>>("duration_seconds"), Some(119));
    assert_eq!(
        r.get::<_, Option<String>>("billing_sku").as_deref(),
        Some("self-hosted")
    );
    assert_eq!(
        r.get::<_, Option<String>>("estimated_cost_usd"),
        None,
        "self-hosted: unpriced"
    );
    assert_eq!(
        r.get::<_, Option<String>>("runner_name").as_deref(),
        Some("ci-box-3")
    );
    db.drop_db().await;
}
