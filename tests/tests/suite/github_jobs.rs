//! github-sync fetching the jobs of run attempts from a local GitHub (wiremock, jobs shaped
//! after `list-jobs-for-workflow-run` and the spec's `job-paginated` example) into a fresh
//! database: new attempts' jobs, a steady state that asks nothing, pages followed and
//! revalidated with their ETags, a re-run's new job ids and its flaky job, a job queued then
//! completed, steps with `-08:00` offsets and milliseconds, and hostile lists (a NUL in a
//! name, a job of another run, a purged attempt, a Link that loops, the quota spent
//! half-way).

use std::time::Duration;

use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use serde_json::{json, Value};
use telemetry_shared::github::billing::RunnerSkus;
use telemetry_shared::github::{sync, Repository, ReqwestGitHub, SyncPlan, SyncReport};
use telemetry_shared::stats::{job_stats, JobScope};
use telemetry_tests::github::{job_object, FakeGitHub, JobSpec, TOKEN};
use telemetry_tests::TestDb;
use tokio::time::Instant;

const REPO: &str = "acme/api";

fn days_ago(n: i64) -> NaiveDate {
    Utc::now().date_naive() - Days::days(n)
}

fn at(day: NaiveDate, h: u32) -> DateTime<Utc> {
    day.and_hms_opt(h, 0, 0).expect("time").and_utc()
}

fn plan(gh: &FakeGitHub, days: i64, runner_skus: RunnerSkus) -> SyncPlan {
    SyncPlan {
        api_url: gh.url.clone(),
        repositories: vec![Repository::parse(REPO).expect("repo")],
        since: days_ago(days),
        until: Utc::now().date_naive(),
        deadline: Instant::now() + Duration::from_secs(120),
        runner_skus,
    }
}

async fn run(db: &TestDb, gh: &FakeGitHub, days: i64) -> SyncReport {
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    sync(&db.pool, &api, &plan(gh, days, RunnerSkus::default()))
        .await
        .expect("sync")
}

/// The report's job counts add up, whatever happened.
fn adds_up(r: &SyncReport) {
    let r = &r.repositories[0];
    assert_eq!(
        r.jobs_seen,
        r.jobs_inserted + r.jobs_updated + r.jobs_unchanged + r.jobs_rejected,
        "{r:?}"
    );
}

/// `n` jobs of attempt `attempt` of run `run`, completed after `secs` seconds each.
fn jobs(gh: &FakeGitHub, run: i64, n: i64, first_id: i64, conclusion: &str) -> Vec<Value> {
    let attempt = gh.attempt_object(run);
    (0..n)
        .map(|i| {
            job_object(
                REPO,
                &attempt,
                JobSpec {
                    id: first_id + i,
                    name: &format!("shard {i}"),
                    status: "completed",
                    conclusion: Some(conclusion),
                    created: "2026-11-20T10:00:00Z".into(),
                    started: Some("2026-11-20T10:00:30Z".into()),
                    completed: Some("2026-11-20T10:02:31Z".into()),
                    labels: &["ubuntu-latest"],
                    steps: json!([]),
                },
            )
        })
        .collect()
}

#[tokio::test]
async fn new_attempts_get_their_jobs_and_a_steady_state_asks_for_none() {
    let db = TestDb::new("gh_jobs_steady").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(1), 5, 1_000);

    let first = run(&db, &gh, 3).await;
    adds_up(&first);
    let r = &first.repositories[0];
    assert!(first.complete, "{first:?}");
    assert_eq!((r.job_attempts, r.job_requests), (5, 5), "{r:?}");
    assert_eq!((r.jobs_seen, r.jobs_inserted), (5, 5));
    let jobs_asked = gh
        .log()
        .iter()
        .filter(|(p, _)| p.contains("/attempts/1/jobs?per_page=100"))
        .count();
    assert_eq!(jobs_asked, 5);
    let c = db.client().await;
    let row = c
        .query_one(
            "SELECT job_name, status, queue_seconds, labels, jsonb_array_length(steps) AS steps,
                    billable_minutes, billing_sku, repository_private
             FROM workflow_jobs WHERE github_job_id = 100001",
            &[],
        )
        .await
        .expect("the first run's job");
    assert_eq!(row.get::<_, String>("job_name"), "build");
    assert_eq!(row.get::<_, String>("status"), "completed");
    assert_eq!(row.get::<_, Option<i32>>("queue_seconds"), Some(5));
    assert_eq!(row.get::<_, Value>("labels"), json!(["ubuntu-latest"]));
    assert_eq!(row.get::<_, i32>("steps"), 2);
    assert_eq!(
        row.get::<_, Option<String>>("billing_sku").as_deref(),
        Some("linux")
    );
    assert_eq!(
        row.get::<_, Option<bool>>("repository_private"),
        Some(false)
    );

    gh.clear_log();
    let second = run(&db, &gh, 3).await;
    let r = &second.repositories[0];
    assert_eq!((r.job_attempts, r.job_requests), (0, 0), "{r:?}");
    assert_eq!(r.counted_requests(), 0, "{r:?}");
    assert!(gh.log().iter().all(|(p, _)| !p.contains("/jobs")));
    assert_eq!(db.count("workflow_jobs").await, 5);
    let kept = c
        .query_one(
            "SELECT sum(job_attempts)::int8 AS a, sum(jobs_inserted)::int8 AS i FROM github_sync_runs",
            &[],
        )
        .await
        .expect("reports");
    assert_eq!((kept.get::<_, i64>("a"), kept.get::<_, i64>("i")), (5, 5));
    db.drop_db().await;
}

#[tokio::test]
async fn jobs_pages_are_followed_and_revalidated_with_their_etags() {
    let db = TestDb::new("gh_jobs_pages").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_run(7, at(days_ago(1), 9), 300, "success");
    let list = jobs(&gh, 7, 130, 70_000, "success");
    gh.set_jobs(7, 1, list.clone());

    let first = run(&db, &gh, 2).await;
    adds_up(&first);
    let r = &first.repositories[0];
    assert_eq!((r.job_requests, r.jobs_inserted), (2, 130), "{r:?}");
    assert!(
        gh.log().iter().any(|(p, _)| p
            .starts_with("/repositories/708123456/actions/runs/7/attempts/1/jobs?")
            && p.contains("page=2")),
        "page 2 as the Link header gave it: {:?}",
        gh.log()
    );
    assert_eq!(db.count("workflow_jobs").await, 130);

    // The run changes (a new updated_at), its jobs do not: both pages answer 304.
    gh.edit_run(7, |r| r["updated_at"] = json!(Utc::now().to_rfc3339()));
    gh.clear_log();
    let second = run(&db, &gh, 2).await;
    let r = &second.repositories[0];
    assert_eq!((r.job_attempts, r.job_requests), (1, 2), "{r:?}");
    assert_eq!(r.jobs_seen, 0, "nothing re-read: {r:?}");
    let job_answers: Vec<u16> = gh
        .log()
        .iter()
        .filter(|(p, _)| p.contains("/jobs"))
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(job_answers, vec![304, 304]);

    // One job of page 2 changes: page 1 is still a 304, page 2 is read again.
    let mut changed = list;
    changed[120]["name"] = json!("shard 120 (renamed)");
    changed[120]["completed_at"] = json!("2026-11-20T10:05:00Z");
    gh.set_jobs(7, 1, changed);
    gh.edit_run(7, |r| {
        r["updated_at"] = json!((Utc::now() + Days::seconds(1)).to_rfc3339())
    });
    gh.clear_log();
    let third = run(&db, &gh, 2).await;
    adds_up(&third);
    let r = &third.repositories[0];
    assert_eq!(
        (r.job_requests, r.jobs_seen, r.jobs_updated),
        (2, 30, 1),
        "{r:?}"
    );
    let name: String = db
        .client()
        .await
        .query_one(
            "SELECT job_name FROM workflow_jobs WHERE github_job_id = 70120",
            &[],
        )
        .await
        .expect("job")
        .get(0);
    assert_eq!(name, "shard 120 (renamed)");
    db.drop_db().await;
}

#[tokio::test]
async fn a_rerun_lists_new_job_ids_and_its_failed_then_passed_job_is_flaky() {
    let db = TestDb::new("gh_jobs_rerun").await;
    let gh = FakeGitHub::start(REPO).await;
    let day = days_ago(2);
    gh.add_run(42, at(day, 9), 120, "failure");
    run(&db, &gh, 3).await;

    gh.rerun(42, at(day, 11));
    let during = run(&db, &gh, 3).await;
    adds_up(&during);
    let c = db.client().await;
    let status = |attempt: i32| {
        let c = &c;
        async move {
            c.query_one(
                "SELECT github_job_id, status, conclusion FROM workflow_jobs
                 WHERE github_run_id = 42 AND run_attempt = $1",
                &[&attempt],
            )
            .await
            .map(|r| {
                (
                    r.get::<_, i64>(0),
                    r.get::<_, String>(1),
                    r.get::<_, Option<String>>(2),
                )
            })
            .expect("one job per attempt")
        }
    };
    assert_eq!(
        status(1).await,
        (4_201, "completed".into(), Some("failure".into()))
    );
    assert_eq!(status(2).await, (4_202, "in_progress".into(), None));

    // Unfinished: asked again, conditionally; still running, it costs nothing counted.
    let idle = run(&db, &gh, 3).await;
    let r = &idle.repositories[0];
    assert_eq!(
        (r.job_attempts, r.job_requests, r.counted_requests()),
        (1, 1, 0),
        "{r:?}"
    );

    gh.complete(42, at(day, 12), "success");
    let done = run(&db, &gh, 3).await;
    adds_up(&done);
    assert_eq!(done.repositories[0].jobs_updated, 1, "{done:?}");
    assert_eq!(
        status(2).await,
        (4_202, "completed".into(), Some("success".into()))
    );
    assert_eq!(db.count("workflow_jobs").await, 2);
    let failed: i64 = c
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE type = 'workflow_job_failed'",
            &[],
        )
        .await
        .expect("outbox")
        .get(0);
    assert_eq!(
        failed, 1,
        "one failure event for attempt 1, none for the pass"
    );
    let scope = JobScope {
        since: at(day, 0),
        until: None,
        repository: Some(REPO),
    };
    let stats = job_stats(&**c, scope).await.expect("stats");
    let build = stats
        .failing_jobs
        .iter()
        .find(|l| l.job == "build")
        .expect("build failed once");
    assert_eq!((build.completed, build.failed, build.flaky), (2, 1, 1));
    // Completed and in sync: nothing is asked any more.
    let after = run(&db, &gh, 3).await;
    assert_eq!(after.repositories[0].job_requests, 0, "{after:?}");
    db.drop_db().await;
}

async fn job_of_run_9(
    c: &tokio_postgres::Client,
) -> (String, Option<i32>, Option<i32>, Option<i32>) {
    let r = c
        .query_one(
            "SELECT status, queue_seconds, duration_seconds, billable_minutes
             FROM workflow_jobs WHERE github_run_id = 9",
            &[],
        )
        .await
        .expect("the job");
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

#[tokio::test]
async fn a_job_queued_then_completed_gets_its_queue_time_and_bill() {
    let db = TestDb::new("gh_jobs_queued").await;
    let gh = FakeGitHub::start(REPO).await;
    let created = Utc::now() - Days::minutes(30);
    gh.add_unfinished_run(9, created, "queued");
    let first = run(&db, &gh, 1).await;
    adds_up(&first);
    let c = db.client().await;
    assert_eq!(job_of_run_9(&c).await, ("queued".into(), None, None, None));

    gh.edit_run(9, |r| {
        r["status"] = json!("completed");
        r["conclusion"] = json!("success");
        r["updated_at"] = json!(
            (created + Days::seconds(150)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    });
    let done = run(&db, &gh, 1).await;
    adds_up(&done);
    assert_eq!(done.repositories[0].jobs_updated, 1, "{done:?}");
    // Queued 5 s before the run started; 150 s of work billed as 3 minutes.
    assert_eq!(
        job_of_run_9(&c).await,
        ("completed".into(), Some(5), Some(150), Some(3))
    );
    db.drop_db().await;
}

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

#[tokio::test]
async fn a_bad_job_costs_only_itself_and_jobs_gone_are_not_asked_again() {
    let db = TestDb::new("gh_jobs_hostile").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_run(21, at(days_ago(1), 8), 60, "success");
    gh.add_run(22, at(days_ago(1), 9), 60, "success");
    let mut list = jobs(&gh, 21, 4, 2_100, "success");
    list[1]["name"] = json!("lint\u{0}");
    list[2]["run_id"] = json!(999); // a job of another run
    list[3]["started_at"] = json!("not a time");
    gh.set_jobs(21, 1, list);
    // The day windows are answered for real; then run 22's jobs (asked first) are gone.
    gh.script_after(3, [FakeGitHub::not_found()]);

    let first = run(&db, &gh, 2).await;
    adds_up(&first);
    let r = &first.repositories[0];
    assert!(first.complete, "a purged attempt is no failure: {first:?}");
    assert_eq!(
        (r.jobs_seen, r.jobs_inserted, r.jobs_rejected),
        (4, 1, 3),
        "{r:?}"
    );
    assert_eq!(db.count("workflow_jobs").await, 1);
    let again = run(&db, &gh, 2).await;
    assert_eq!(again.repositories[0].job_requests, 0, "{again:?}");
    db.drop_db().await;
}

#[tokio::test]
async fn a_jobs_link_that_loops_fails_the_repository_but_keeps_its_runs() {
    let db = TestDb::new("gh_jobs_loop").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_run(31, at(days_ago(1), 8), 60, "success");
    run(&db, &gh, 2).await;
    // The run changes; its jobs page then points at itself.
    gh.edit_run(31, |r| r["updated_at"] = json!(Utc::now().to_rfc3339()));
    let url = format!(
        "{}/repos/{REPO}/actions/runs/31/attempts/1/jobs?per_page=100",
        gh.url
    );
    let looping = wiremock::ResponseTemplate::new(200)
        .insert_header("etag", "W/\"loop\"")
        .insert_header("link", format!(r#"<{url}>; rel="next""#).as_str())
        .set_body_json(json!({"total_count": 1, "jobs": jobs(&gh, 31, 1, 3_100, "success")}));
    // The three day windows are answered for real, then the jobs list loops.
    gh.script_after(3, [(200, looping)]);
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let plan = plan(&gh, 2, RunnerSkus::default());
    let r = sync(&db.pool, &api, &plan).await.expect("sync");
    let rep = &r.repositories[0];
    assert!(!r.complete);
    assert!(
        rep.error
            .as_deref()
            .unwrap_or_default()
            .contains("leads back"),
        "{rep:?}"
    );
    assert_eq!(rep.updated, 1, "the changed run is stored: {rep:?}");
    assert_eq!(db.count("workflow_runs").await, 1);
    assert_eq!(
        db.count("workflow_jobs").await,
        1,
        "the job of the first sync stays"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_quota_spent_half_way_through_the_jobs_resumes_at_the_next_sync() {
    let db = TestDb::new("gh_jobs_quota").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(1), 10, 5_000);
    // 3 day windows, then 4 jobs lists, then the quota is spent.
    gh.spend_quota_after(3 + 4);
    let first = run(&db, &gh, 2).await;
    adds_up(&first);
    assert!(first.stopped.is_some(), "{first:?}");
    assert_eq!(db.count("workflow_runs").await, 10);
    assert_eq!(db.count("workflow_jobs").await, 4);

    gh.restore_quota();
    let second = run(&db, &gh, 2).await;
    adds_up(&second);
    let r = &second.repositories[0];
    assert!(second.complete, "{second:?}");
    assert_eq!(
        (r.job_attempts, r.jobs_inserted),
        (6, 6),
        "only the rest: {r:?}"
    );
    assert_eq!(db.count("workflow_jobs").await, 10);
    let third = run(&db, &gh, 2).await;
    assert_eq!(third.repositories[0].counted_requests(), 0, "{third:?}");
    db.drop_db().await;
}

/// Job id, minutes, SKU, cost, rate version, private.
type JobBill = (
    i64,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
);

#[tokio::test]
async fn a_larger_runner_mapped_by_its_label_is_billed_even_in_a_public_repository() {
    let db = TestDb::new("gh_jobs_larger").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_run(51, at(days_ago(1), 8), 200, "success");
    let mut list = jobs(&gh, 51, 2, 5_100, "success");
    list[0]["labels"] = json!(["acme-linux-16"]);
    list[1]["labels"] = json!(["acme-unmapped-64"]);
    gh.set_jobs(51, 1, list);
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let skus = RunnerSkus::parse("acme-linux-16=linux_16_core").expect("mapping");
    let plan = plan(&gh, 2, skus);
    adds_up(&sync(&db.pool, &api, &plan).await.expect("sync"));
    let rows = db
        .client()
        .await
        .query(
            "SELECT github_job_id, billable_minutes, billing_sku, estimated_cost_usd::text,
                    rate_version, repository_private
             FROM workflow_jobs ORDER BY github_job_id",
            &[],
        )
        .await
        .expect("jobs");
    let got: Vec<JobBill> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    // 121 s is 3 minutes; the 16-core Linux rate from 2026 is $0.042 a minute.
    assert_eq!(
        got,
        vec![
            (
                5_100,
                Some(3),
                Some("linux_16_core".into()),
                Some("0.126000".into()),
                Some("github-2026-01".into()),
                Some(false)
            ),
            (5_101, Some(3), None, None, None, Some(false)),
        ]
    );
    db.drop_db().await;
}
