//! One attempt of a workflow run, from the REST API's run object (`/actions/runs` items,
//! `/actions/runs/{id}`, `/actions/runs/{id}/attempts/{n}`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One row of `workflow_runs`: a run attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRun {
    /// Run id (the same for every attempt).
    pub github_run_id: i64,
    /// Attempt number, from 1.
    pub run_attempt: i32,
    /// owner/name.
    pub repository: String,
    /// Workflow name.
    pub workflow_name: String,
    /// Head branch.
    pub branch: Option<String>,
    /// Head commit.
    pub commit_sha: Option<String>,
    /// Triggering event (push, pull_request, schedule, ...).
    pub event_type: Option<String>,
    /// queued, in_progress, completed, waiting, requested, pending.
    pub status: String,
    /// success, failure, cancelled, skipped, neutral, timed_out, action_required, stale,
    /// startup_failure; `None` until completed.
    pub conclusion: Option<String>,
    /// When this attempt started (`run_started_at` resets on re-run).
    pub started_at: Option<DateTime<Utc>>,
    /// GitHub's `updated_at` once completed (runs have no completion field).
    pub completed_at: Option<DateTime<Utc>>,
    /// `completed_at - started_at` for completed attempts.
    pub duration_seconds: Option<i32>,
    /// Link to the run.
    pub html_url: Option<String>,
    /// GitHub's `updated_at`: a stored row is only overwritten by a newer one.
    pub github_updated_at: DateTime<Utc>,
    /// GitHub's `created_at` of the run (shared by its attempts; the list filters on it).
    pub github_created_at: Option<DateTime<Utc>>,
    /// The repository's `private`, when the run object carried its repository.
    pub repository_private: Option<bool>,
}

#[derive(Deserialize)]
struct ApiRun {
    id: i64,
    run_attempt: Option<i32>,
    name: Option<String>,
    path: Option<String>,
    head_branch: Option<String>,
    head_sha: Option<String>,
    event: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    run_started_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    created_at: Option<DateTime<Utc>>,
    html_url: Option<String>,
    repository: Option<ApiRepository>,
}

#[derive(Deserialize)]
struct ApiRepository {
    private: Option<bool>,
}

impl WorkflowRun {
    /// Reads a run object of `repository` (owner/name); the error names what is wrong.
    pub fn from_api(repository: &str, run: &serde_json::Value) -> Result<WorkflowRun, String> {
        let r: ApiRun =
            serde_json::from_value(run.clone()).map_err(|e| format!("workflow run: {e}"))?;
        let status = r.status.unwrap_or_else(|| "queued".into());
        let completed_at = (status == "completed").then_some(r.updated_at);
        let duration_seconds = match (r.run_started_at, completed_at) {
            (Some(start), Some(end)) => i32::try_from((end - start).num_seconds().max(0)).ok(),
            _ => None,
        };
        Ok(WorkflowRun {
            github_run_id: r.id,
            run_attempt: r.run_attempt.unwrap_or(1).max(1),
            repository: repository.to_string(),
            // A run of a deleted workflow file can come without a name: its path names it.
            workflow_name: r
                .name
                .filter(|n| !n.is_empty())
                .or(r.path)
                .unwrap_or_else(|| format!("run {}", r.id)),
            branch: r.head_branch,
            commit_sha: r.head_sha,
            event_type: r.event,
            status,
            conclusion: r.conclusion,
            started_at: r.run_started_at,
            completed_at,
            duration_seconds,
            html_url: r.html_url,
            github_updated_at: r.updated_at,
            github_created_at: r.created_at,
            repository_private: r.repository.and_then(|p| p.private),
        })
    }
}

/// A run attempt against `workflow_runs`.
mod validate {
    use super::WorkflowRun;
    use crate::columns::tables::workflow_runs as wr;
    use crate::columns::{Validate, ValueError};

    impl Validate for WorkflowRun {
        fn validate(&self) -> Result<(), ValueError> {
            wr::GITHUB_RUN_ID.check_int(self.github_run_id)?;
            wr::RUN_ATTEMPT.check_int(self.run_attempt.into())?;
            wr::REPOSITORY.check_str(&self.repository)?;
            wr::WORKFLOW_NAME.check_str(&self.workflow_name)?;
            wr::BRANCH.check_opt_str(self.branch.as_deref())?;
            wr::COMMIT_SHA.check_opt_str(self.commit_sha.as_deref())?;
            wr::EVENT_TYPE.check_opt_str(self.event_type.as_deref())?;
            wr::STATUS.check_str(&self.status)?;
            wr::CONCLUSION.check_opt_str(self.conclusion.as_deref())?;
            wr::STARTED_AT.check_opt_time(self.started_at)?;
            wr::COMPLETED_AT.check_opt_time(self.completed_at)?;
            wr::DURATION_SECONDS.check_opt_int(self.duration_seconds.map(i64::from))?;
            wr::HTML_URL.check_opt_str(self.html_url.as_deref())?;
            wr::GITHUB_UPDATED_AT.check_time(self.github_updated_at)?;
            wr::GITHUB_CREATED_AT.check_opt_time(self.github_created_at)
        }
    }
}
