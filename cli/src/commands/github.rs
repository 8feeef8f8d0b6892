//! `telemetry ingest github` (the github-sync job, by hand) and `telemetry github
//! add|remove|list` (the repositories it syncs).

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use chrono::NaiveDate;
use telemetry_shared::github::store::state::{add_repository, last_sync, remove_repository};
use telemetry_shared::github::{
    parse_repositories, repositories, run_sync, GitHubConfig, Repository, ReqwestGitHub, SyncReport,
};
use tokio::time::Instant;

use super::{hint_migrate, DbArgs};
use crate::output::{table, write_json};
use telemetry_shared::db::Workload;

/// `ingest github [--since DATE] [--repo OWNER/NAME]... [--json] [--time-limit SECS]`.
pub async fn ingest(
    db: &DbArgs,
    since: Option<&str>,
    repos: &[String],
    json: bool,
    time_limit: u64,
) -> anyhow::Result<()> {
    let since = since
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| anyhow!("--since: {s:?} is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let only = repos
        .iter()
        .map(|r| Repository::parse(r).map_err(|e| anyhow!("--repo: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let report = sync(db, &only, since, time_limit).await?;
    if json {
        write_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    if let Some(why) = &report.stopped {
        bail!("sync stopped early ({why}); run it again to resume");
    }
    if let Some(r) = report.failures().first() {
        bail!(
            "{}: {}",
            r.repository,
            r.error.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}

/// One sync of `only` (default: every configured repository) from `since`.
pub(super) async fn sync(
    db: &DbArgs,
    only: &[Repository],
    since: Option<NaiveDate>,
    time_limit: u64,
) -> anyhow::Result<SyncReport> {
    let cfg = GitHubConfig::from_env()?;
    let token = cfg.token().await?;
    let api = ReqwestGitHub::new(token.expose())?;
    let pool = db.pool_for(Workload::Sync).await?;
    let deadline = Instant::now() + Duration::from_secs(time_limit);
    run_sync(&pool, &api, &cfg, only, since, deadline)
        .await
        .map_err(|e| match e {
            telemetry_shared::github::SyncError::Db(d) => hint_migrate(d),
            other => other.into(),
        })
}

/// The report as a table, one line per repository.
pub(super) fn render_report(report: &SyncReport) -> String {
    render(report)
}

/// The report as a table, one line per repository.
fn render(report: &SyncReport) -> String {
    let rows: Vec<Vec<String>> = report
        .repositories
        .iter()
        .map(|r| {
            vec![
                r.repository.clone(),
                r.runs_seen.to_string(),
                r.inserted.to_string(),
                r.updated.to_string(),
                r.unchanged.to_string(),
                r.attempts_backfilled.to_string(),
                r.refreshed.to_string(),
                format!("{}/{}", r.jobs_inserted + r.jobs_updated, r.jobs_seen),
                r.requests.to_string(),
                r.not_modified.to_string(),
                r.rate_limit_waits.to_string(),
                format!("{}/{}", r.windows_done, r.windows_total),
            ]
        })
        .collect();
    let (requests, counted) = report.requests();
    let for_jobs: u64 = report.repositories.iter().map(|r| r.job_requests).sum();
    format!(
        "GitHub Actions sync\n\n{}\n{requests} requests ({for_jobs} for jobs), {counted} counted against the rate limit{}\n",
        table(
            &[
                "repository", "runs seen", "inserted", "updated", "unchanged",
                "attempts", "refreshed", "jobs stored/seen", "requests", "304s", "waits", "windows",
            ],
            &rows
        ),
        if report.complete { "" } else { " (incomplete)" }
    )
}

/// `github add OWNER/NAME`.
pub async fn add(db: &DbArgs, repo: &str) -> anyhow::Result<()> {
    let repo = Repository::parse(repo).map_err(anyhow::Error::msg)?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    let added = add_repository(&**client, &repo)
        .await
        .map_err(hint_migrate)?;
    println!(
        "{repo} {}",
        if added { "added" } else { "was already listed" }
    );
    Ok(())
}

/// `github remove OWNER/NAME`: stops syncing it; stored runs stay.
pub async fn remove(db: &DbArgs, repo: &str) -> anyhow::Result<()> {
    let repo = Repository::parse(repo).map_err(anyhow::Error::msg)?;
    let pool = db.pool().await?;
    let client = pool.get().await.context("database")?;
    if !remove_repository(&**client, &repo)
        .await
        .map_err(hint_migrate)?
    {
        bail!("{repo} is not in the repository table (GITHUB_REPOSITORIES is read from the environment)");
    }
    println!("{repo} removed (its stored runs are kept)");
    Ok(())
}

/// `github list`: what a sync would cover, with each repository's last sync.
pub async fn list(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    // The token is not needed to list: only the repository settings are read.
    let cfg_repos = parse_repositories(&std::env::var("GITHUB_REPOSITORIES").unwrap_or_default())?;
    let repos = repositories(&pool, &cfg_repos, &[])
        .await
        .map_err(hint_migrate)?;
    let client = pool.get().await.context("database")?;
    let mut out = Vec::new();
    for repo in &repos {
        let last = last_sync(&**client, repo).await.map_err(hint_migrate)?;
        let (when, complete, runs) = match last {
            Some(l) => (l.finished_at, l.complete, l.runs_stored),
            None => ("never".into(), false, 0),
        };
        out.push(serde_json::json!({
            "repository": repo.as_str(),
            "from": if cfg_repos.contains(repo) { "GITHUB_REPOSITORIES" } else { "table" },
            "last_sync": when,
            "last_sync_complete": complete,
            "runs_stored": runs,
        }));
    }
    if json {
        return write_json(&out);
    }
    let rows: Vec<Vec<String>> = out
        .iter()
        .map(|v| {
            [
                "repository",
                "from",
                "last_sync",
                "last_sync_complete",
                "runs_stored",
            ]
            .iter()
            .map(|k| match &v[*k] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
        })
        .collect();
    print!(
        "{}",
        table(
            &["repository", "from", "last sync", "complete", "runs"],
            &rows
        )
    );
    Ok(())
}
