//! Request-count benchmark of github-sync against the local GitHub (`scripts/bench github`):
//! a 30-day backfill with every attempt's jobs, a steady-state sync with no new runs, one
//! with a single new run, and,
//! as the baseline measured in the same run, the same re-scan without ETags (what a collector
//! that does not revalidate pays every 6 hours).

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use telemetry_shared::github::{
    sync, GitHubApi, GitHubError, Page, Repository, ReqwestGitHub, SyncPlan, SyncReport,
};
use telemetry_tests::github::{FakeGitHub, TOKEN};
use telemetry_tests::TestDb;

/// The same client, never revalidating.
struct NoEtags(ReqwestGitHub);

impl GitHubApi for NoEtags {
    async fn get(
        &self,
        url: &str,
        _etag: Option<&str>,
        deadline: tokio::time::Instant,
    ) -> Result<Page, GitHubError> {
        self.0.get(url, None, deadline).await
    }

    fn requests_made(&self) -> u64 {
        self.0.requests_made()
    }
}

struct Row {
    name: &'static str,
    secs: f64,
    report: SyncReport,
}

async fn measure(name: &'static str, db: &TestDb, api: &impl GitHubApi, plan: &SyncPlan) -> Row {
    let t = Instant::now();
    let report = sync(&db.pool, api, plan).await.expect("sync");
    assert!(report.complete, "{name}: {report:?}");
    Row {
        name,
        secs: t.elapsed().as_secs_f64(),
        report,
    }
}

#[tokio::main]
async fn main() {
    let per_day: i64 = std::env::args()
        .skip_while(|a| a != "--runs-per-day")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let db = TestDb::new("github_bench").await;
    let gh = FakeGitHub::start("acme/monorepo").await;
    let today = Utc::now().date_naive();
    let mut id = 1_000_000;
    for d in 0..30 {
        // One release day far over GitHub's 1,000-result cap.
        let n = if d == 9 { 1_500 } else { per_day };
        gh.add_day(today - Days::days(d), n, id);
        id += n;
    }
    // 5% of the runs were re-run once before the first sync: attempt 1 must be backfilled.
    let reruns: Vec<i64> = (1_000_000..id).step_by(20).collect();
    for r in &reruns {
        gh.rerun(*r, Utc::now() - Days::minutes(1));
        gh.complete(*r, Utc::now(), "success");
    }
    let runs = id - 1_000_000;
    let api = ReqwestGitHub::new(TOKEN).expect("client");
    let plan = SyncPlan {
        api_url: gh.url.clone(),
        repositories: vec![Repository::parse("acme/monorepo").expect("repo")],
        since: today - Days::days(30),
        until: today,
        deadline: tokio::time::Instant::now() + Duration::from_secs(3_600),
        runner_skus: Default::default(),
    };
    let mut rows = vec![measure("backfill, 30 days", &db, &api, &plan).await];
    rows.push(measure("steady state, no new runs", &db, &api, &plan).await);
    gh.add_run(id, Utc::now() - Days::seconds(30), 50, "success");
    rows.push(measure("steady state, 1 new run", &db, &api, &plan).await);
    rows.push(
        measure(
            "baseline: re-scan without ETags",
            &db,
            &NoEtags(api.clone()),
            &plan,
        )
        .await,
    );

    println!(
        "github-sync request counts: {runs} runs created over 30 days ({per_day}/day, one day of 1,500), synced as 31 day windows, \
         {} re-run once; local GitHub (wiremock), PostgreSQL at {}\n",
        reruns.len(),
        telemetry_tests::admin_url()
            .split('@')
            .next_back()
            .unwrap_or_default()
    );
    println!(
        "| sync | requests | counted | 304s | attempts fetched | jobs lists | inserted | updated | jobs stored | windows | seconds |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let rep = &r.report.repositories[0];
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
            r.name,
            rep.requests,
            rep.counted_requests(),
            rep.not_modified,
            rep.attempts_backfilled,
            rep.job_requests,
            rep.inserted,
            rep.updated,
            rep.jobs_inserted + rep.jobs_updated,
            rep.windows_total,
            r.secs
        );
    }
    let first = &rows[0].report.repositories[0];
    let backfill = first.counted_requests();
    let lists = backfill - first.attempts_backfilled - first.job_requests;
    let steady = rows[1].report.repositories[0].counted_requests();
    let naive = rows[3].report.repositories[0].counted_requests();
    println!(
        "\nbackfill: {lists} list requests for {runs} runs = {:.2} x N/100 (+ {} attempt requests, + {} jobs lists for {} attempts): {:.3} counted requests per run",
        lists as f64 / (runs as f64 / 100.0),
        first.attempts_backfilled,
        first.job_requests,
        first.job_attempts,
        backfill as f64 / runs as f64
    );
    assert_eq!(
        steady, 0,
        "the steady state counts nothing: {:?}",
        rows[1].report
    );
    println!(
        "steady state: {steady} counted requests vs {naive} for the re-scan without ETags (baseline)"
    );
    db.drop_db().await;
}
