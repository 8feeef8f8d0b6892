//! github-sync against a local GitHub (wiremock answering with recorded-shape bodies and
//! headers) and a fresh PostgreSQL database per test: backfill and steady state, Link
//! pagination, the 1,000-result cap, re-runs, runs that finish later, rate limits, server
//! errors, a deadline reached mid-sync then resumed, a bad token, an unknown repository.

use std::time::Duration;
use telemetry_shared::failure::Retryable;

use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use telemetry_shared::github::{
    sync, GitHubError, Repository, ReqwestGitHub, SyncError, SyncPlan, SyncReport,
};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::TestDb;
use tokio::time::Instant;

const REPO: &str = "acme/api";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_ago(n: i64) -> NaiveDate {
    today() - Days::days(n)
}

fn at(day: NaiveDate, h: u32) -> DateTime<Utc> {
    day.and_hms_opt(h, 0, 0).expect("time").and_utc()
}

fn plan(gh: &FakeGitHub, days: i64, deadline: Instant) -> SyncPlan {
    SyncPlan {
        api_url: gh.url.clone(),
        repositories: vec![Repository::parse(REPO).expect("repo")],
        since: days_ago(days),
        until: today(),
        deadline,
        runner_skus: Default::default(),
    }
}

async fn run(db: &TestDb, gh: &FakeGitHub, days: i64) -> SyncReport {
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let deadline = Instant::now() + Duration::from_secs(120);
    sync(&db.pool, &api, &plan(gh, days, deadline))
        .await
        .expect("sync")
}

async fn row(db: &TestDb, id: i64, attempt: i32) -> (String, Option<String>, Option<i32>) {
    let r = db
        .client()
        .await
        .query_one(
            "SELECT status, conclusion, duration_seconds FROM workflow_runs
             WHERE github_run_id = $1 AND run_attempt = $2",
            &[&id, &attempt],
        )
        .await
        .expect("row exists");
    (r.get(0), r.get(1), r.get(2))
}

#[tokio::test]
async fn backfill_follows_link_pages_then_a_steady_state_sync_costs_nothing() {
    let db = TestDb::new("gh_backfill").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(1), 230, 1_000);
    gh.add_day(days_ago(12), 40, 5_000);
    gh.add_day(days_ago(31), 5, 9_000); // outside a 30-day backfill

    let first = run(&db, &gh, 30).await;
    let r = &first.repositories[0];
    assert!(first.complete, "{first:?}");
    assert_eq!(
        (r.runs_seen, r.inserted, r.updated, r.unchanged),
        (270, 270, 0, 0)
    );
    assert_eq!(db.count("workflow_runs").await, 270);
    assert_eq!(r.windows_total, 31);
    // 31 day windows, two more pages for the busy day, one jobs list per run; nothing was
    // cached yet.
    assert_eq!((r.requests - r.job_requests, r.not_modified), (33, 0));
    assert_eq!((r.job_requests, r.jobs_inserted), (270, 270), "{r:?}");
    let log = gh.log();
    assert!(
        log.iter().any(
            |(p, _)| p.starts_with("/repositories/708123456/actions/runs?") && p.contains("page=3")
        ),
        "later pages follow the Link header as given: {log:?}"
    );

    gh.clear_log();
    let second = run(&db, &gh, 30).await;
    let r = &second.repositories[0];
    assert!(second.complete);
    assert_eq!((r.inserted, r.updated, r.runs_seen), (0, 0, 0));
    assert_eq!(r.counted_requests(), 0, "{r:?}");
    assert_eq!(r.not_modified, 33);
    assert_eq!(db.count("workflow_runs").await, 270);
    assert_eq!(db.count("github_sync_runs").await, 2);

    // A new run today: exactly two counted requests, its window and its jobs.
    gh.add_run(20_000, Utc::now() - Days::minutes(5), 42, "success");
    let third = run(&db, &gh, 30).await;
    assert_eq!(third.repositories[0].counted_requests(), 2);
    assert_eq!(third.repositories[0].job_requests, 1);
    assert_eq!(third.repositories[0].inserted, 1);
    db.drop_db().await;
}

#[tokio::test]
async fn a_day_over_the_result_cap_is_split_until_every_run_is_listed() {
    let db = TestDb::new("gh_cap").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(2), 1_450, 100_000);

    let report = run(&db, &gh, 3).await;
    let r = &report.repositories[0];
    assert!(report.complete, "{report:?}");
    assert_eq!(db.count("workflow_runs").await, 1_450);
    assert_eq!(r.inserted, 1_450);
    assert_eq!(r.windows_total, 5, "4 days, one split in two");
    let windows: Vec<String> = gh
        .log()
        .iter()
        .filter(|(p, _)| p.contains("created=") && !p.contains("&page="))
        .map(|(p, _)| p.clone())
        .collect();
    assert!(
        windows.iter().any(|p| p.contains("T12%3A00%3A00Z..")),
        "the day is queried in halves: {windows:?}"
    );
    // Next time the halves are used directly, and all answer 304.
    let again = run(&db, &gh, 3).await;
    assert_eq!(again.repositories[0].counted_requests(), 0, "{again:?}");
    db.drop_db().await;
}

#[tokio::test]
async fn a_rerun_adds_attempt_two_and_an_unseen_attempt_one_is_backfilled() {
    let db = TestDb::new("gh_rerun").await;
    let gh = FakeGitHub::start(REPO).await;
    let day = days_ago(3);
    gh.add_run(1, at(day, 9), 300, "failure");
    gh.add_run(2, at(day, 10), 300, "failure");
    // Run 2 was re-run before we ever synced: the list shows only attempt 2.
    gh.rerun(2, at(day, 11));
    gh.complete(2, at(day, 11) + Days::seconds(90), "success");

    let first = run(&db, &gh, 5).await;
    assert_eq!(first.repositories[0].attempts_backfilled, 1);
    assert_eq!(
        row(&db, 2, 1).await,
        ("completed".into(), Some("failure".into()), Some(300))
    );
    assert_eq!(
        row(&db, 2, 2).await,
        ("completed".into(), Some("success".into()), Some(90))
    );

    // Run 1 re-run after it was stored: attempt 2 is a new row, attempt 1 stays as it was.
    gh.rerun(1, at(day, 12));
    let second = run(&db, &gh, 5).await;
    let r = &second.repositories[0];
    assert_eq!((r.inserted, r.attempts_backfilled), (1, 0), "{r:?}");
    assert_eq!(row(&db, 1, 1).await.1.as_deref(), Some("failure"));
    assert_eq!(row(&db, 1, 2).await.0, "in_progress");
    assert_eq!(db.count("workflow_runs").await, 4);
    db.drop_db().await;
}

#[tokio::test]
async fn runs_in_progress_are_refreshed_until_they_complete() {
    let db = TestDb::new("gh_progress").await;
    let gh = FakeGitHub::start(REPO).await;
    let started = Utc::now() - Days::minutes(30);
    gh.add_unfinished_run(7, started, "in_progress");
    // A run older than the period, stored while it was queued (waiting for approval).
    let old = Utc::now() - Days::days(45);
    gh.add_unfinished_run(8, old, "queued");
    run(&db, &gh, 60).await;
    assert_eq!(row(&db, 7, 1).await, ("in_progress".into(), None, None));
    assert_eq!(row(&db, 8, 1).await.0, "queued");

    gh.complete(7, started + Days::seconds(600), "timed_out");
    gh.complete(8, old + Days::days(46), "stale");
    let report = run(&db, &gh, 30).await;
    let r = &report.repositories[0];
    assert_eq!(
        row(&db, 7, 1).await,
        ("completed".into(), Some("timed_out".into()), Some(600))
    );
    assert_eq!(row(&db, 8, 1).await.1.as_deref(), Some("stale"));
    assert_eq!((r.updated, r.refreshed), (2, 1), "{r:?}");

    // Completed now: nothing left to refresh, nothing counted.
    let quiet = run(&db, &gh, 30).await;
    assert_eq!(quiet.repositories[0].counted_requests(), 0, "{quiet:?}");
    db.drop_db().await;
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_waited_out() {
    let db = TestDb::new("gh_limits").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(1), 20, 1);
    gh.script([
        FakeGitHub::secondary_limit(1),
        FakeGitHub::server_error(502),
        FakeGitHub::server_error(502),
    ]);
    let report = run(&db, &gh, 2).await;
    let r = &report.repositories[0];
    assert!(report.complete, "{report:?}");
    assert_eq!(r.rate_limit_waits, 1);
    assert_eq!(db.count("workflow_runs").await, 20);
    let statuses: Vec<u16> = gh.log().iter().map(|(_, s)| *s).collect();
    assert_eq!(&statuses[..4], [403, 502, 502, 200]);
    db.drop_db().await;
}

#[tokio::test]
async fn a_spent_quota_stops_the_sync_cleanly_and_the_next_one_resumes() {
    let db = TestDb::new("gh_primary").await;
    let gh = FakeGitHub::start(REPO).await;
    for d in 0..4 {
        gh.add_day(days_ago(d), 3, 100 * (d + 1));
    }
    // Two windows succeed, then the quota is spent for an hour.
    gh.spend_quota_after(2);
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let p = plan(&gh, 3, Instant::now() + Duration::from_secs(60));
    let first = sync(&db.pool, &api, &p)
        .await
        .expect("sync returns a report");
    assert!(!first.complete);
    let stopped = first.stopped.clone().expect("stopped");
    assert!(stopped.contains("rate limit"), "{stopped}");
    let done = first.repositories[0].windows_done;
    assert!(done < 4, "{first:?}");
    let stored_first = db.count("workflow_runs").await;

    assert_eq!(done, 2);
    assert_eq!(stored_first, 6);
    gh.restore_quota();
    gh.clear_log();
    let second = sync(&db.pool, &api, &p).await.expect("resume");
    assert!(second.complete, "{second:?}");
    assert_eq!(db.count("workflow_runs").await, 12);
    assert!(stored_first < 12);
    // The windows finished before the stop are revalidated last and cost nothing.
    let r = &second.repositories[0];
    assert_eq!(r.not_modified, u64::from(done), "{r:?}");
    let windows: Vec<(String, u16)> = gh
        .log()
        .into_iter()
        .filter(|(p, _)| p.contains("created="))
        .collect();
    assert_eq!(windows.last().map(|(_, s)| *s), Some(304), "{windows:?}");
    // Then the jobs of all 12 runs (none was reached before the stop).
    assert_eq!((r.job_attempts, r.jobs_inserted), (12, 12), "{r:?}");
    db.drop_db().await;
}

#[tokio::test]
async fn a_deadline_reached_mid_sync_stops_cleanly_and_the_next_run_resumes() {
    let db = TestDb::new("gh_deadline").await;
    let gh = FakeGitHub::start(REPO).await;
    for d in 0..10 {
        gh.add_day(days_ago(d), 2, 1_000 * (d + 1));
    }
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    // Every answer is slow, and the invocation has little time left.
    gh.set_delay(Duration::from_millis(250));
    let short = Instant::now() + Duration::from_millis(1700);
    let first = sync(&db.pool, &api, &plan(&gh, 9, short))
        .await
        .expect("report");
    assert!(
        Instant::now() < short + Duration::from_millis(500),
        "never sleeps past the deadline"
    );
    assert!(
        first
            .stopped
            .as_deref()
            .unwrap_or_default()
            .contains("deadline"),
        "{first:?}"
    );
    let done = first.repositories[0].windows_done;
    assert!((1..10).contains(&done), "{first:?}");
    assert_eq!(db.count("workflow_runs").await, 2 * i64::from(done));

    gh.set_delay(Duration::ZERO);
    let second = run(&db, &gh, 9).await;
    assert!(second.complete);
    assert_eq!(db.count("workflow_runs").await, 20);
    assert_eq!(second.repositories[0].not_modified, u64::from(done));
    db.drop_db().await;
}

#[tokio::test]
async fn a_bad_token_is_a_clear_error_and_nothing_is_written() {
    let db = TestDb::new("gh_token").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(1), 3, 1);
    let api = ReqwestGitHub::new("ghp_revoked").expect("client");
    let err = sync(
        &db.pool,
        &api,
        &plan(&gh, 2, Instant::now() + Duration::from_secs(30)),
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(err, SyncError::GitHub(GitHubError::BadToken(_))),
        "{err:?}"
    );
    assert!(err.to_string().contains("GITHUB_TOKEN"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(db.count("workflow_runs").await, 0);
    let recorded: Option<String> = db
        .client()
        .await
        .query_one("SELECT error FROM github_sync_runs", &[])
        .await
        .expect("report recorded")
        .get(0);
    assert!(recorded.unwrap_or_default().contains("rejected the token"));
    db.drop_db().await;
}

#[tokio::test]
async fn an_unknown_repository_fails_alone() {
    let db = TestDb::new("gh_unknown").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(days_ago(1), 3, 1);
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let mut p = plan(&gh, 2, Instant::now() + Duration::from_secs(30));
    p.repositories
        .insert(0, Repository::parse("acme/gone").expect("repo"));
    let report = sync(&db.pool, &api, &p).await.expect("report");
    let failures = report.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].repository, "acme/gone");
    assert!(
        failures[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("404"),
        "{report:?}"
    );
    assert!(report.repositories[1].complete);
    assert_eq!(db.count("workflow_runs").await, 3);
    db.drop_db().await;
}

#[tokio::test]
async fn a_run_with_values_the_columns_refuse_costs_only_itself() {
    let db = TestDb::new("gh_hostile_run").await;
    let gh = FakeGitHub::start(REPO).await;
    for id in 1..=4 {
        gh.add_run(id, at(days_ago(1), 8 + id as u32), 60, "success");
    }
    gh.edit_run(2, |r| r["head_branch"] = "b".repeat(300).into());
    gh.edit_run(3, |r| r["name"] = "Bu\u{0}ild".into());
    let report = run(&db, &gh, 2).await;
    let r = &report.repositories[0];
    assert!(report.complete, "{report:?}");
    assert_eq!((r.runs_seen, r.inserted, r.rejected), (4, 2, 2), "{r:?}");
    assert_eq!(db.count("workflow_runs").await, 2);
    // The next sync still works and keeps the good runs; the bad ones stay rejected.
    gh.add_run(5, at(days_ago(1), 20), 60, "failure");
    let again = run(&db, &gh, 2).await;
    assert!(again.complete, "{again:?}");
    assert_eq!(db.count("workflow_runs").await, 3);
    db.drop_db().await;
}
