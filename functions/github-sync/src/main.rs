//! github-sync: the scheduled Lambda (EventBridge, every 6 hours) that brings GitHub Actions
//! workflow runs into `workflow_runs`. Wiring only: configuration, the token (from the
//! environment or Secrets Manager), the pool and the GitHub client are built once at cold
//! start; each invocation runs `telemetry_shared::github::run_sync` until its deadline.

use std::time::Duration;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use telemetry_shared::config::Config;
use telemetry_shared::db::{make_pool, Workload};
use telemetry_shared::github::{
    deadline_from_epoch_ms, run_sync, GitHubConfig, ReqwestGitHub, SyncRequest,
};
use telemetry_shared::outbox::Relayer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let github = GitHubConfig::from_env()?;
    let token = github.token.resolve().await?;
    let api = ReqwestGitHub::new(token.expose())?;
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Sync)?;
    let relayer = Relayer::from_env(pool.clone(), None).await;
    let (pool, api, github, relayer) = (&pool, &api, &github, &relayer);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let request = SyncRequest::from_event(&event.payload)?;
        let deadline = deadline_from_epoch_ms(event.context.deadline);
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        tracing::info!(seconds_left = left.as_secs_f32(), "github sync starts");
        let only = &request.repositories;
        let outcome = run_sync(pool, api, github, only, request.since, deadline).await;
        // `workflow_run_failed` events were committed with their runs: publish them now.
        relayer.run(Duration::from_secs(30), Some(deadline)).await;
        match outcome {
            // A sync stopped by the deadline or the rate limit resumes at the next schedule;
            // a repository that failed on its own fails the invocation, so the alarm fires.
            Ok(report) => match report.failures().first() {
                None => Ok::<Value, Error>(serde_json::to_value(&report)?),
                Some(r) => Err(format!(
                    "{}: {}",
                    r.repository,
                    r.error.as_deref().unwrap_or_default()
                )
                .into()),
            },
            Err(e) => {
                tracing::error!(error = %e, retryable = e.is_retryable(), "github sync failed");
                Err(e.into())
            }
        }
    }))
    .await
}
