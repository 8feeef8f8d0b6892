//! github-sync's pages against a local GitHub that misbehaves between or inside them: a window
//! interrupted after page 2 of 3 (with page state as stored today and as stored before pages
//! kept their Link), a `Link` to another origin, a `Link` back to a fetched page.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use telemetry_shared::github::{sync, Repository, ReqwestGitHub, SyncPlan, SyncReport};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::TestDb;
use tokio::time::Instant;

const REPO: &str = "acme/api";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn run(db: &TestDb, gh: &FakeGitHub, days: i64) -> SyncReport {
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let plan = SyncPlan {
        api_url: gh.url.clone(),
        repositories: vec![Repository::parse(REPO).expect("repo")],
        since: today() - chrono::Duration::days(days),
        until: today(),
        deadline: Instant::now() + Duration::from_secs(120),
        runner_skus: Default::default(),
    };
    sync(&db.pool, &api, &plan).await.expect("sync")
}

/// Syncs today's 250 runs (three pages) with the quota spent after page 2, then runs
/// `between` on the database and syncs again with the quota back: returns the first and
/// second reports.
async fn interrupted_after_page_two(
    label: &str,
    between: &str,
) -> (TestDb, FakeGitHub, SyncReport, SyncReport) {
    let db = TestDb::new(label).await;
    let gh = FakeGitHub::start(REPO).await;
    gh.add_day(today(), 250, 1);
    gh.spend_quota_after(2);
    let first = run(&db, &gh, 0).await;
    assert!(!first.complete, "{first:?}");
    assert_eq!(db.count("workflow_runs").await, 200, "pages 1-2 stored");
    db.client()
        .await
        .batch_execute(between)
        .await
        .expect("between");
    gh.restore_quota();
    let second = run(&db, &gh, 0).await;
    (db, gh, first, second)
}

#[tokio::test]
async fn a_window_interrupted_after_page_two_is_completed_by_the_next_sync() {
    let (db, gh, _, second) = interrupted_after_page_two("gh_interrupted", "SELECT 1").await;
    assert!(second.complete, "{second:?}");
    assert_eq!(db.count("workflow_runs").await, 250, "page 3 was fetched");
    let r = &second.repositories[0];
    // Pages 1 and 2 revalidate (304, free); page 3 is fetched; then the jobs of all.
    assert_eq!(
        (r.requests - r.job_requests, r.not_modified, r.inserted),
        (3, 2, 50),
        "{r:?}"
    );
    assert_eq!(r.jobs_inserted, 250, "{r:?}");
    // And the window is complete now: a third sync costs nothing.
    gh.clear_log();
    let third = run(&db, &gh, 0).await;
    assert_eq!(third.repositories[0].not_modified, 3, "{third:?}");
    assert!(gh.log().iter().all(|(_, s)| *s == 304), "{:?}", gh.log());
    db.drop_db().await;
}

#[tokio::test]
async fn a_window_interrupted_under_the_old_page_state_is_completed_too() {
    // Page state stored before pages kept their Link: no `next`, no `last`.
    let (db, _gh, _, second) = interrupted_after_page_two(
        "gh_interrupted_old",
        "UPDATE github_sync_windows
         SET pages = (SELECT jsonb_agg(p - 'next' - 'last') FROM jsonb_array_elements(pages) p)",
    )
    .await;
    assert!(second.complete, "{second:?}");
    assert_eq!(db.count("workflow_runs").await, 250);
    db.drop_db().await;
}

/// A page of no runs whose `Link: rel=next` is `next`.
fn page_linking_to(next: &str) -> (u16, wiremock::ResponseTemplate) {
    (
        200,
        wiremock::ResponseTemplate::new(200)
            .insert_header("content-type", "application/json; charset=utf-8")
            .insert_header("link", format!("<{next}>; rel=\"next\"").as_str())
            .set_body_json(serde_json::json!({"total_count": 200, "workflow_runs": []})),
    )
}

#[tokio::test]
async fn a_link_to_another_origin_is_not_followed_and_the_token_stays_home() {
    let db = TestDb::new("gh_link_origin").await;
    let gh = FakeGitHub::start(REPO).await;
    let elsewhere = wiremock::MockServer::start().await;
    gh.script([page_linking_to(&format!(
        "{}/repositories/1/actions/runs?page=2",
        elsewhere.uri()
    ))]);
    let report = run(&db, &gh, 0).await;
    let r = &report.repositories[0];
    let error = r.error.clone().unwrap_or_default();
    assert!(error.contains("outside the API origin"), "{r:?}");
    let seen = elsewhere.received_requests().await.unwrap_or_default();
    assert!(
        seen.is_empty(),
        "nothing, and no token, sent elsewhere: {seen:?}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_link_back_to_a_fetched_page_stops_the_window_instead_of_looping() {
    let db = TestDb::new("gh_link_loop").await;
    let gh = FakeGitHub::start(REPO).await;
    let page2 = format!("{}/repositories/708123456/actions/runs?page=2", gh.url);
    gh.script((0..50).map(|_| page_linking_to(&page2)));
    let report = run(&db, &gh, 0).await;
    let r = &report.repositories[0];
    assert!(
        r.error
            .as_deref()
            .unwrap_or_default()
            .contains("points back"),
        "{r:?}"
    );
    assert_eq!(r.requests, 2, "page 1, page 2, and not page 2 again: {r:?}");
    db.drop_db().await;
}
