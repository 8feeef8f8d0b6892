//! github-sync fetching the jobs of run attempts from a local GitHub (wiremock, jobs shaped
//! after `list-jobs-for-workflow-run` and the spec's `job-paginated` example) into a fresh
//! database: new attempts' jobs, a steady state that asks nothing, pages followed and
//! revalidated with their ETags, a re-run's new job ids and its flaky job, a job queued then
//! completed, steps with `-08:00` offsets and milliseconds, and hostile lists (a NUL in a
//! name, a job of another run, a purged attempt, a Link that loops, the quota spent
//! half-way: `faults`).

use std::time::Duration;

use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use serde_json::{json, Value};
use telemetry_shared::github::billing::RunnerSkus;
use telemetry_shared::github::{sync, Repository, ReqwestGitHub, SyncPlan, SyncReport};
use telemetry_shared::stats::{job_stats, JobScope};
use telemetry_tests::github::{job_object, FakeGitHub, JobSpec, TOKEN};
use telemetry_tests::TestDb;
use tokio::time::Instant;

mod faults;
mod offsets;

pub(super) const REPO: &str = "acme/api";

pub(super) fn days_ago(n: i64) -> NaiveDate {
    Utc::now().date_naive() - Days::days(n)
}

pub(super) fn at(day: NaiveDate, h: u32) -> DateTime<Utc> {
    day.and_hms_opt(h, 0, 0).expect("time").and_utc()
}

pub(super) fn plan(gh: &FakeGitHub, days: i64, runner_skus: RunnerSkus) -> SyncPlan {
    SyncPlan {
        api_url: gh.url.clone(),
        repositories: vec![Repository::parse(REPO).expect("repo")],
        since: days_ago(days),
        until: Utc::now().date_naive(),
        deadline: Instant::now() + Duration::from_secs(120),
        runner_skus,
    }
}

pub(super) async fn run(db: &TestDb, gh: &FakeGitHub, days: i64) -> SyncReport {
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    sync(&db.pool, &api, &plan(gh, days, RunnerSkus::default()))
        .await
        .expect("sync")
}

/// The report's job counts add up, whatever happened.
pub(super) fn adds_up(r: &SyncReport) {
    let r = &r.repositories[0];
    assert_eq!(
        r.jobs_seen,
        r.jobs_inserted + r.jobs_updated + r.jobs_unchanged + r.jobs_rejected,
        "{r:?}"
    );
}

/// `n` jobs of attempt `attempt` of run `run`, completed after `secs` seconds each.
pub(super) fn jobs(
    gh: &FakeGitHub,
    run: i64,
    n: i64,
    first_id: i64,
    conclusion: &str,
) -> Vec<Value> {
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
