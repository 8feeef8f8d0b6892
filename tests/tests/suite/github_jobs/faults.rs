//! Jobs lists that go wrong, and bills that need the organisation's word: a NUL in a name, a
//! job of another run, a time that does not parse, a 404 for an attempt's jobs, a `Link` that
//! loops, the quota spent half-way, a larger runner mapped by its label.

use chrono::Utc;
use serde_json::json;
use telemetry_shared::github::billing::RunnerSkus;
use telemetry_shared::github::{sync, ReqwestGitHub};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::TestDb;

use super::{adds_up, at, days_ago, jobs, plan, run, REPO};

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
