//! github-sync against a GitHub that lies or misbehaves (the local fake, or a raw socket for
//! broken bodies): lying `total_count`s, more runs in one instant than GitHub lists, a limit
//! that never lifts, purged attempts, absurd attempt numbers, bodies that break off, a
//! `--since` far back, unfinished runs to refresh and runs GitHub deleted. Each test checks the
//! rows stored, the requests made (bounded) and the report (`complete`, `error`).

use std::io::{Read, Write};
use std::time::Duration;

use chrono::{Duration as Days, NaiveDate, Utc};
use telemetry_shared::github::{
    run_sync, sync, GitHubConfig, Repository, ReqwestGitHub, SyncError, SyncPlan, SyncReport,
};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::TestDb;
use tokio::time::Instant;

const REPO: &str = "acme/api";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn plan(api_url: &str, days: i64) -> SyncPlan {
    SyncPlan {
        api_url: api_url.to_string(),
        repositories: vec![Repository::parse(REPO).expect("repo")],
        since: today() - Days::days(days),
        until: today(),
        deadline: Instant::now() + Duration::from_secs(120),
        runner_skus: Default::default(),
    }
}

async fn run(db: &TestDb, api_url: &str, days: i64) -> SyncReport {
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    sync(&db.pool, &api, &plan(api_url, days))
        .await
        .expect("a report")
}

/// The report's counts add up, and every sync so far (`syncs`) recorded its row.
async fn check_recorded(db: &TestDb, r: &SyncReport, syncs: i64) {
    for rep in &r.repositories {
        assert_eq!(
            rep.runs_seen,
            rep.inserted + rep.updated + rep.unchanged + rep.rejected,
            "{rep:?}"
        );
        assert_eq!(
            rep.jobs_seen,
            rep.jobs_inserted + rep.jobs_updated + rep.jobs_unchanged + rep.jobs_rejected,
            "{rep:?}"
        );
    }
    assert_eq!(
        db.count("github_sync_runs").await,
        syncs * r.repositories.len() as i64,
        "every repository's report is recorded"
    );
}

#[tokio::test]
async fn a_huge_lying_total_count_does_not_split_a_quiet_day() {
    let db = TestDb::new("ghf_big_count").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(today(), 5, 1);
    gh.lie_about_total(Some(1_000_000));
    let r = run(&db, &gh.url, 0).await;
    let rep = &r.repositories[0];
    assert!(r.complete, "{r:?}");
    assert_eq!(
        (
            rep.windows_total,
            rep.requests - rep.job_requests,
            rep.inserted
        ),
        (1, 1, 5)
    );
    assert_eq!(rep.job_requests, 5, "a jobs list per run: {rep:?}");
    check_recorded(&db, &r, 1).await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_small_lying_total_count_still_lists_every_run_over_the_cap() {
    let db = TestDb::new("ghf_small_count").await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(today(), 1_200, 1);
    gh.lie_about_total(Some(5));
    let r = run(&db, &gh.url, 0).await;
    assert!(r.complete, "{r:?}");
    assert_eq!(
        db.count("workflow_runs").await,
        1_200,
        "none dropped at the cap"
    );
    let rep = &r.repositories[0];
    assert!(
        rep.windows_total >= 2,
        "split after a full 10th page: {rep:?}"
    );
    assert!(rep.requests - rep.job_requests <= 40, "{rep:?}");
    check_recorded(&db, &r, 1).await;
    db.drop_db().await;
}

#[tokio::test]
async fn more_runs_in_one_instant_than_github_lists_is_reported_not_complete() {
    let db = TestDb::new("ghf_instant").await;
    let gh = FakeGitHub::start(REPO).await;
    let at = today().and_hms_opt(12, 0, 0).expect("noon").and_utc();
    for id in 1..=1_200 {
        gh.add_run(id, at, 60, "success");
    }
    let r = run(&db, &gh.url, 0).await;
    let rep = &r.repositories[0];
    assert!(!r.complete, "{r:?}");
    let error = rep.error.clone().unwrap_or_default();
    assert!(error.contains("runs not listed"), "{rep:?}");
    assert_eq!(
        db.count("workflow_runs").await,
        1_000,
        "what GitHub lists is stored"
    );
    assert!(
        rep.requests - rep.job_requests <= 60,
        "bounded splitting: {rep:?}"
    );
    check_recorded(&db, &r, 1).await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_limit_that_never_lifts_is_not_hammered() {
    for (label, answer) in [
        ("ghf_retry_after_0", FakeGitHub::secondary_limit(0)),
        ("ghf_reset_past", FakeGitHub::primary_limit(-60)),
    ] {
        let db = TestDb::new(label).await;
        let gh = FakeGitHub::start(REPO).await;
        gh.add_day(today(), 3, 1);
        gh.script(std::iter::repeat_n(answer, 50));
        let t0 = Instant::now();
        let r = run(&db, &gh.url, 0).await;
        assert!(!r.complete, "{label}: {r:?}");
        assert!(
            r.stopped
                .as_deref()
                .unwrap_or_default()
                .contains("rate limit"),
            "{label}: {r:?}"
        );
        let made = gh.log().len();
        assert!(made <= 4, "{label}: {made} requests");
        assert_eq!(
            r.repositories[0].requests, made as u64,
            "{label}: every request counted"
        );
        assert!(
            t0.elapsed() >= Duration::from_secs(3),
            "{label}: a minimum back-off"
        );
        check_recorded(&db, &r, 1).await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_purged_attempt_is_one_reject_and_an_absurd_attempt_number_is_bounded() {
    let db = TestDb::new("ghf_attempts").await;
    let gh = FakeGitHub::start(REPO).await;
    let at = today().and_hms_opt(1, 0, 0).expect("1am").and_utc();
    gh.add_run(1, at, 60, "failure");
    gh.rerun(1, at + Days::minutes(5));
    gh.complete(1, at + Days::minutes(9), "success");
    gh.purge_attempt(1, 1);
    gh.add_run(2, at + Days::minutes(1), 60, "success");
    gh.edit_run(2, |v| v["run_attempt"] = serde_json::json!(3000));
    let r = run(&db, &gh.url, 0).await;
    let rep = &r.repositories[0];
    assert!(r.complete, "{r:?}");
    assert_eq!(rep.error, None);
    // Run 1: attempt 2 stored, attempt 1 rejected. Run 2: attempt 3000 stored, the 50
    // attempts before it asked for (none exists) and rejected; no more.
    assert_eq!(db.count("workflow_runs").await, 2);
    assert_eq!(rep.rejected, 51, "{rep:?}");
    assert_eq!(rep.requests - rep.job_requests, 1 + 1 + 50, "{rep:?}");
    assert_eq!(
        rep.job_attempts, 2,
        "the jobs of the two stored attempts: {rep:?}"
    );
    check_recorded(&db, &r, 1).await;
    db.drop_db().await;
}

/// A server that answers every request with headers promising 2,000 bytes, then 20 bytes
/// and a close.
fn broken_body_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicU32>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n{\"total_count\": 1, \"",
            );
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_body_that_breaks_off_is_a_transient_error_retried_and_counted() {
    let db = TestDb::new("ghf_broken_body").await;
    let (url, served) = broken_body_server();
    let r = run(&db, &url, 0).await;
    assert!(!r.complete);
    let stopped = r.stopped.clone().unwrap_or_default();
    assert!(
        stopped.contains("broke off") && !stopped.contains("bad JSON"),
        "{r:?}"
    );
    let made = served.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(made, 5, "retried with backoff, then left for the next sync");
    assert_eq!(r.repositories[0].requests, u64::from(made), "{r:?}");
    check_recorded(&db, &r, 1).await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_since_far_back_is_refused_before_any_request() {
    let db = TestDb::new("ghf_since").await;
    let gh = FakeGitHub::start(REPO).await;
    let cfg = GitHubConfig::from_lookup(|k| match k {
        "GITHUB_TOKEN" => Some(TOKEN.to_string()),
        "GITHUB_REPOSITORIES" => Some(REPO.to_string()),
        "GITHUB_API_URL" => Some(gh.url.clone()),
        _ => None,
    })
    .expect("config");
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let since = NaiveDate::from_ymd_opt(1990, 1, 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let err = run_sync(&db.pool, &api, &cfg, &[], since, deadline)
        .await
        .expect_err("refused");
    assert!(matches!(err, SyncError::Plan(_)), "{err}");
    assert!(err.to_string().contains("400 days"), "{err}");
    assert!(gh.log().is_empty());
    db.drop_db().await;
}

#[tokio::test]
async fn unfinished_old_runs_are_refreshed_in_turn_and_deleted_ones_retired() {
    let db = TestDb::new("ghf_refresh").await;
    let gh = FakeGitHub::start(REPO).await;
    let old = (today() - Days::days(40))
        .and_hms_opt(8, 0, 0)
        .expect("t")
        .and_utc();
    for id in 1..=150 {
        gh.add_unfinished_run(id, old + Days::seconds(id), "in_progress");
    }
    // Stored while the 45-day period still covered them.
    run(&db, &gh.url, 45).await;
    assert_eq!(db.count("workflow_runs").await, 150);
    gh.delete_run(7);
    let refreshed = |db: &TestDb| {
        let db = db.pool.clone();
        async move {
            let c = db.get().await.expect("client");
            let r = c
                .query_one(
                    "SELECT count(*) FILTER (WHERE refreshed_at IS NOT NULL),
                            count(*) FILTER (WHERE gone_at IS NOT NULL)
                     FROM workflow_runs",
                    &[],
                )
                .await
                .expect("counts");
            (r.get::<_, i64>(0), r.get::<_, i64>(1))
        }
    };
    let first = run(&db, &gh.url, 30).await;
    assert_eq!(
        first.repositories[0].refreshed, 99,
        "100 asked for, 1 gone: {first:?}"
    );
    assert_eq!(refreshed(&db).await, (100, 1));
    let second = run(&db, &gh.url, 30).await;
    // The 50 never refreshed come first; the deleted run is not asked for again.
    assert_eq!(refreshed(&db).await, (150, 1));
    let asked_for_7 = gh
        .log()
        .iter()
        .filter(|(p, _)| p.contains("/runs/7/") && !p.contains("/jobs"))
        .count();
    assert_eq!(asked_for_7, 1, "retired after its 404");
    let jobs_of_7_since = gh
        .log()
        .iter()
        .skip_while(|(p, _)| !p.contains("/runs/7/attempts/1?"))
        .filter(|(p, _)| p.contains("/runs/7/"))
        .count();
    assert_eq!(jobs_of_7_since, 1, "nor its jobs: {:?}", gh.log());
    check_recorded(&db, &second, 3).await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_run_the_database_still_refuses_costs_only_itself() {
    let db = TestDb::new("ghf_db_refuses").await;
    db.client()
        .await
        .batch_execute(
            "ALTER TABLE workflow_runs ADD CONSTRAINT no_evil CHECK (workflow_name <> 'evil')",
        )
        .await
        .expect("constraint");
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(today(), 5, 1);
    gh.edit_run(3, |v| v["name"] = serde_json::json!("evil"));
    let r = run(&db, &gh.url, 0).await;
    let rep = &r.repositories[0];
    assert!(r.complete, "{r:?}");
    assert_eq!(rep.error, None);
    assert_eq!((rep.inserted, rep.rejected), (4, 1), "{rep:?}");
    assert_eq!(db.count("workflow_runs").await, 4);
    check_recorded(&db, &r, 1).await;
    db.drop_db().await;
}
