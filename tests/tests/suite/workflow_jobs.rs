//! `workflow_job` webhook deliveries (shapes after GitHub's `workflow_job` payload): a job
//! queued, then in progress, then completed has its queue time while it waits and its steps
//! in UTC at the end; a completed delivery that arrives before the in-progress one is never
//! rolled back; a forged signature stores nothing; a failed job is announced once per attempt;
//! a re-run's job (a new job id, attempt 2) is a row of its own.

use serde_json::{json, Value};
use telemetry_tests::http_api::{signed, Api, WEBHOOK_SECRET};

fn job(id: i64, attempt: i32, status: &str, conclusion: Option<&str>) -> Value {
    let started = (status != "queued").then_some("2026-12-02T08:00:40Z");
    let done = status == "completed";
    let steps: Vec<Value> = if status == "queued" {
        vec![]
    } else {
        vec![
            json!({"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
                   "started_at": "2026-12-02T00:00:40.000-08:00", "completed_at": "2026-12-02T00:00:42.250-08:00"}),
            json!({"name": "Run tests", "status": if done { "completed" } else { "in_progress" },
                   "conclusion": if done { conclusion } else { None }, "number": 2,
                   "started_at": "2026-12-02T00:00:42.250-08:00",
                   "completed_at": if done { Some("2026-12-02T00:03:10.000-08:00") } else { None }}),
        ]
    };
    json!({
        "action": status,
        "workflow_job": {
            "id": id, "run_id": 5_000_001, "run_attempt": attempt, "workflow_name": "CI",
            "head_branch": "fix/flaky", "head_sha": "acb5820ced9479c074f688cc328bf03f341a511d",
            "run_url": "https://api.github.com/repos/acme/shop/actions/runs/5000001",
            "html_url": format!("https://github.com/acme/shop/actions/runs/5000001/job/{id}"),
            "status": status, "conclusion": conclusion,
            "created_at": "2026-12-02T08:00:05Z", "started_at": started.unwrap_or("2026-12-02T08:00:05Z"),
            "completed_at": if done { Some("2026-12-02T08:03:10Z") } else { None },
            "name": "test (ubuntu-latest)", "steps": steps,
            "labels": ["ubuntu-latest"],
            "runner_id": if status == "queued" { Value::Null } else { json!(42) },
            "runner_name": if status == "queued" { Value::Null } else { json!("GitHub Actions 42") },
            "runner_group_id": if status == "queued" { Value::Null } else { json!(0) },
            "runner_group_name": if status == "queued" { Value::Null } else { json!("GitHub Actions") }
        },
        "repository": {"id": 1_296_269, "full_name": "acme/shop", "name": "shop", "private": true},
        "sender": {"login": "octocat", "id": 1}
    })
}

async fn deliver(t: &Api, body: &Value, secret: &str) -> (u16, Value) {
    let text = body.to_string();
    let sig = signed(text.as_bytes(), secret);
    let a = t
        .call(
            "POST",
            "/github/webhook",
            &[
                ("x-github-event", "workflow_job"),
                ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                ("x-hub-signature-256", &sig),
            ],
            text.as_bytes(),
        )
        .await;
    (a.status, a.body)
}

async fn stored(
    t: &Api,
) -> Vec<(
    i64,
    i32,
    String,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Value,
)> {
    t.db.client()
        .await
        .query(
            "SELECT github_job_id, run_attempt, status, conclusion, queue_seconds, duration_seconds, steps
             FROM workflow_jobs ORDER BY github_job_id",
            &[],
        )
        .await
        .expect("jobs")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)))
        .collect()
}

async fn failures(t: &Api) -> Vec<Value> {
    t.db.client()
        .await
        .query(
            "SELECT payload FROM outbox_events WHERE type = 'workflow_job_failed' ORDER BY event_id",
            &[],
        )
        .await
        .expect("outbox")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_job_is_known_while_it_waits_and_complete_at_the_end() {
    let t = Api::new("webhook_jobs").await;
    let (status, body) = deliver(&t, &job(900, 1, "queued", None), WEBHOOK_SECRET).await;
    assert_eq!(
        (status, body["inserted"].clone()),
        (202, json!(1)),
        "{body}"
    );
    let rows = stored(&t).await;
    assert_eq!(rows[0].2, "queued");
    assert_eq!(rows[0].4, None, "queued: its wait is not over yet");
    let (_, body) = deliver(&t, &job(900, 1, "in_progress", None), WEBHOOK_SECRET).await;
    assert_eq!(body["updated"], 1, "{body}");
    assert_eq!(stored(&t).await[0].4, Some(35), "35 s in the queue");
    let (_, body) = deliver(
        &t,
        &job(900, 1, "completed", Some("success")),
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(body["updated"], 1, "{body}");
    let rows = stored(&t).await;
    let (_, _, status, conclusion, queue, duration, steps) = &rows[0];
    assert_eq!(
        (status.as_str(), conclusion.as_deref()),
        ("completed", Some("success"))
    );
    assert_eq!((*queue, *duration), (Some(35), Some(150)));
    // Step times with -08:00 offsets and milliseconds, stored in UTC.
    assert_eq!(steps[1]["started_at"], "2026-12-02T08:00:42.250Z");
    assert_eq!(steps[1]["completed_at"], "2026-12-02T08:03:10.000Z");
    // A stale in-progress delivery after the completed one changes nothing.
    let (_, body) = deliver(&t, &job(900, 1, "in_progress", None), WEBHOOK_SECRET).await;
    assert_eq!(body["unchanged"], 1, "{body}");
    assert_eq!(stored(&t).await[0].2, "completed");
    assert!(failures(&t).await.is_empty(), "a success is not announced");
    t.db.drop_db().await;
}

#[tokio::test]
async fn out_of_order_forged_failed_and_rerun_deliveries() {
    let t = Api::new("webhook_jobs_order").await;
    // Completed (failed) first, then the in-progress delivery GitHub sent earlier.
    let failed = job(901, 1, "completed", Some("failure"));
    assert_eq!(deliver(&t, &failed, WEBHOOK_SECRET).await.0, 202);
    let (_, body) = deliver(&t, &job(901, 1, "in_progress", None), WEBHOOK_SECRET).await;
    assert_eq!(body["unchanged"], 1, "{body}");
    // Redelivered: announced once per job attempt.
    assert_eq!(deliver(&t, &failed, WEBHOOK_SECRET).await.1["unchanged"], 1);
    let announced = failures(&t).await;
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert_eq!(announced[0]["job"], "test (ubuntu-latest)");
    assert_eq!(announced[0]["failed_steps"], json!(["Run tests"]));
    assert_eq!(announced[0]["labels"], json!(["ubuntu-latest"]));
    // A forged signature: 401, nothing stored.
    let (status, _) = deliver(&t, &job(902, 1, "queued", None), "not the secret").await;
    assert_eq!(status, 401);
    // The re-run: a new job id in attempt 2, a row of its own, succeeding.
    assert_eq!(
        deliver(
            &t,
            &job(903, 2, "completed", Some("success")),
            WEBHOOK_SECRET
        )
        .await
        .1["inserted"],
        1
    );
    let rows = stored(&t).await;
    let keys: Vec<(i64, i32, Option<String>)> =
        rows.iter().map(|r| (r.0, r.1, r.3.clone())).collect();
    assert_eq!(
        keys,
        [
            (901, 1, Some("failure".into())),
            (903, 2, Some("success".into()))
        ]
    );
    // A delivery with no job object, or a job without its name, is a 400.
    let mut broken = job(904, 1, "queued", None);
    broken["workflow_job"]
        .as_object_mut()
        .expect("job")
        .remove("name");
    assert_eq!(deliver(&t, &broken, WEBHOOK_SECRET).await.0, 400);
    // Hostile values: a NUL in a name, steps that are not a list, a start time out of range.
    for (field, value) in [
        ("name", json!("test\u{0}job")),
        ("steps", json!("not a list")),
        ("started_at", json!("99999-01-01T00:00:00Z")),
        ("labels", json!([1, 2])),
    ] {
        let mut bad = job(905, 1, "in_progress", None);
        bad["workflow_job"][field] = value;
        let (status, body) = deliver(&t, &bad, WEBHOOK_SECRET).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_webhook")),
            "{field}: {body}"
        );
    }
    assert_eq!(
        stored(&t).await.len(),
        2,
        "nothing stored from a refused delivery"
    );
    t.db.drop_db().await;
}

#[tokio::test]
async fn stats_show_queue_time_by_label_slow_steps_and_flaky_jobs() {
    let t = Api::new("webhook_jobs_stats").await;
    // Attempt 1 fails, attempt 2 (a new job id) passes: flaky once. Another job passes.
    for body in [
        job(910, 1, "completed", Some("failure")),
        job(911, 2, "completed", Some("success")),
    ] {
        assert_eq!(deliver(&t, &body, WEBHOOK_SECRET).await.0, 202);
    }
    let mut lint = job(912, 1, "completed", Some("success"));
    lint["workflow_job"]["name"] = json!("lint");
    lint["workflow_job"]["labels"] = json!(["self-hosted", "linux"]);
    lint["workflow_job"]["started_at"] = json!("2026-12-02T08:02:05Z");
    assert_eq!(deliver(&t, &lint, WEBHOOK_SECRET).await.0, 202);
    let since = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let scope = telemetry_shared::stats::JobScope {
        since,
        until: None,
        repository: None,
    };
    let s = telemetry_shared::stats::job_stats(&**t.db.client().await, scope)
        .await
        .expect("stats");
    let labels: Vec<(String, i64, Option<f64>)> = s
        .queue_by_label
        .iter()
        .map(|q| (q.label.clone(), q.jobs, q.p95_seconds))
        .collect();
    // lint waited 120 s on the self-hosted pool; the test jobs 35 s on ubuntu-latest.
    assert_eq!(
        labels,
        [
            ("linux".into(), 1, Some(120.0)),
            ("self-hosted".into(), 1, Some(120.0)),
            ("ubuntu-latest".into(), 2, Some(35.0))
        ]
    );
    assert_eq!(s.slowest_steps[0].step.as_deref(), Some("Run tests"));
    assert_eq!(s.slowest_steps[0].p95_seconds, Some(147.8));
    let failing: Vec<(String, i64, i64, i64)> = s
        .failing_jobs
        .iter()
        .map(|f| (f.job.clone(), f.completed, f.failed, f.flaky))
        .collect();
    assert_eq!(failing, [("test (ubuntu-latest)".into(), 2, 1, 1)]);
    assert_eq!(s.failing_jobs[0].failure_rate, Some(0.5));
    // Billable: 150 + 150 + 65 s, each rounded up: 3 + 3 + 2 minutes. The test jobs ran on
    // ubuntu-latest in a private repository (Linux, $0.006 a minute from 2026); lint on the
    // team's own runner: minutes, no price.
    let day = &s.billing[0];
    assert_eq!(
        (
            day.jobs,
            day.billable_minutes,
            day.cost_usd,
            day.unpriced_jobs
        ),
        (3, 8, 0.036, 1)
    );
    let sku: Vec<(i64, Option<String>)> =
        t.db.client()
            .await
            .query(
                "SELECT github_job_id, billing_sku FROM workflow_jobs ORDER BY 1",
                &[],
            )
            .await
            .expect("skus")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    assert_eq!(
        sku,
        [
            (910, Some("linux".into())),
            (911, Some("linux".into())),
            (912, Some("self-hosted".into()))
        ]
    );
    t.db.drop_db().await;
}
