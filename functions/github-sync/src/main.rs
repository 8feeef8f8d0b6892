//! github-sync: the scheduled Lambda (EventBridge, every 6 hours) that brings GitHub Actions
//! workflow runs into `workflow_runs`. Wiring only: configuration, the token (from the
//! environment or Secrets Manager), the pool and the GitHub client are built once at cold
//! start; each invocation runs `telemetry_shared::github::run_sync` until its deadline. A
//! failed invocation is reported with its `Failure` type (`Retryable.Database`, ...).

use std::time::Duration;

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use telemetry_shared::config::Config;
use telemetry_shared::db::{make_pool, Pool, Workload};
use telemetry_shared::emf::Emf;
use telemetry_shared::failure::Failure;
use telemetry_shared::github::{
    deadline_from_epoch_ms, run_sync, GitHubConfig, ReqwestGitHub, SyncRequest,
};
use telemetry_shared::outbox::Relayer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry_shared::logging::init_lambda();

    let config = Config::load().await?;
    let github = GitHubConfig::from_env()?;
    let token = github.token().await?;
    let api = ReqwestGitHub::new(token.expose())?;
    let pool = make_pool(&config.database_url, config.db_pool_size, Workload::Sync)?;
    let relayer = Relayer::from_env(pool.clone(), None).await;
    let emf = Emf::install("github-sync");
    let (pool, api, github, relayer, emf) = (&pool, &api, &github, &relayer, &emf);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let result = handle(event, pool, api, github, relayer).await;
        if let Some(emf) = emf {
            emf.flush();
        }
        result.map_err(diagnostic)
    }))
    .await
}

/// One sync, until the invocation's deadline.
async fn handle(
    event: LambdaEvent<Value>,
    pool: &Pool,
    api: &ReqwestGitHub,
    github: &GitHubConfig,
    relayer: &Relayer,
) -> Result<Value, Failure> {
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    let request =
        SyncRequest::from_event(&event.payload).map_err(|e| Failure::permanent("Payload", e))?;
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    tracing::info!(seconds_left = left.as_secs_f32(), "github sync starts");
    let only = &request.repositories;
    let outcome = run_sync(pool, api, github, only, request.since, deadline).await;
    // `workflow_run_failed` events were committed with their runs: publish them now.
    relayer.run(Duration::from_secs(30), Some(deadline)).await;
    let report = outcome?;
    report.record_metrics();
    // A sync stopped by the deadline or the rate limit resumes at the next schedule; a
    // repository that failed on its own fails the invocation, so the alarm fires.
    if let Some(r) = report.failures().first() {
        let error = r.error.as_deref().unwrap_or_default();
        let what = format!("{}: {error}", r.repository);
        return Err(Failure::permanent("GitHubRepository", what));
    }
    serde_json::to_value(&report).map_err(|e| Failure::permanent("Report", e))
}

/// The failure, logged, as Lambda reports it (`errorType` is `Retryable.Database`, ...).
fn diagnostic(f: Failure) -> Diagnostic {
    let f = f.logged();
    Diagnostic {
        error_type: f.error_type,
        error_message: f.message,
    }
}
