//! Which run attempts' jobs the sync fetches (new attempts, runs changed since their jobs
//! were stored, runs not completed) and, per attempt, the ETags of its jobs pages, written in
//! the transaction that stored the jobs.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use super::state::PageState;
use crate::db::DbError;
use crate::github::Repository;

/// An attempt whose jobs are due.
#[derive(Debug, Clone)]
pub struct DueJobs {
    /// Run id.
    pub run_id: i64,
    /// Attempt.
    pub attempt: i32,
    /// The run's `updated_at` as stored: the jobs are in sync once stored for it.
    pub run_updated_at: DateTime<Utc>,
    /// The repository's visibility, as the run said.
    pub private: Option<bool>,
    /// The pages of the attempt's jobs stored so far, with their ETags.
    pub pages: Vec<PageState>,
}

/// Attempts of `repo` whose jobs are due: of runs created since `since` (the period the
/// windows cover) or refreshed one by one, least recently checked first, at most `limit`.
pub async fn jobs_due(
    client: &impl GenericClient,
    repo: &Repository,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueJobs>, DbError> {
    let rows = client
        .query(
            "SELECT github_run_id, run_attempt, github_updated_at, repository_private, jobs_pages
             FROM workflow_runs
             WHERE repository = $1 AND gone_at IS NULL
               AND (status <> 'completed' OR jobs_synced_for IS DISTINCT FROM github_updated_at)
               AND (coalesce(github_created_at, started_at, created_at) >= $2
                    OR refreshed_at IS NOT NULL)
             ORDER BY jobs_checked_at NULLS FIRST, github_run_id DESC, run_attempt DESC
             LIMIT $3",
            &[&repo.as_str(), &since, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DueJobs {
            run_id: r.get("github_run_id"),
            attempt: r.get("run_attempt"),
            run_updated_at: r.get("github_updated_at"),
            private: r.get("repository_private"),
            pages: serde_json::from_value(r.get("jobs_pages")).unwrap_or_default(),
        })
        .collect())
}

/// Records the pages of `due`'s jobs just stored (call in the transaction that stored
/// them). The attempt is in sync, not due again until its run changes, when every job stored
/// for it is completed; `gone` (GitHub has no such attempt any more) puts it in sync as is.
pub async fn save_jobs_pages(
    client: &impl GenericClient,
    due: &DueJobs,
    pages: &[PageState],
    gone: bool,
) -> Result<(), DbError> {
    let json = serde_json::to_value(pages).unwrap_or_default();
    client
        .execute(
            "UPDATE workflow_runs r SET jobs_pages = $3, jobs_checked_at = now(),
                 jobs_synced_for = CASE WHEN $5 OR NOT EXISTS (SELECT 1 FROM workflow_jobs j
                         WHERE j.github_run_id = r.github_run_id
                           AND j.run_attempt = r.run_attempt AND j.status <> 'completed')
                     THEN $4 ELSE r.jobs_synced_for END
             WHERE github_run_id = $1 AND run_attempt = $2",
            &[&due.run_id, &due.attempt, &json, &due.run_updated_at, &gone],
        )
        .await?;
    Ok(())
}
