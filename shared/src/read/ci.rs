//! CI as the dashboard shows it: run attempts per UTC day by outcome, each workflow's success
//! rate and p50/p95 duration per day, and recent failures with their GitHub links. A run's time
//! is when it started (or was created), the expression `workflow_runs_age` indexes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{params, Cursor, Range};
use crate::db::DbError;

/// A run attempt's time, as indexed.
const RUN_TIME: &str = "coalesce(r.started_at, r.github_created_at, r.created_at)";

/// Conclusions counted as failures.
const FAILED: &str = "('failure', 'timed_out', 'startup_failure')";

/// The `WHERE` of a range of runs, with the repository filter when there is one.
fn runs_in(repository: bool) -> String {
    let range = format!("{RUN_TIME} >= $1 AND {RUN_TIME} < $2");
    if repository {
        format!("{range} AND r.repository = $3")
    } else {
        range
    }
}

/// Run attempts of one UTC day with one outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CiRunsDay {
    /// UTC day.
    pub day: NaiveDate,
    /// The conclusion, or the status of a run not completed (`in_progress`, `queued`...).
    pub outcome: String,
    /// Run attempts.
    pub runs: i64,
}

/// Run attempts per UTC day and outcome in `range` (of `repository`, or all).
pub async fn ci_runs_daily(
    client: &impl GenericClient,
    range: &Range,
    repository: Option<&str>,
) -> Result<Vec<CiRunsDay>, DbError> {
    let sql = runs_daily_sql(repository.is_some());
    let rows = client.query(&sql, &params(range, &repository)).await?;
    Ok(rows
        .iter()
        .map(|r| CiRunsDay {
            day: r.get("day"),
            outcome: r.get("outcome"),
            runs: r.get("runs"),
        })
        .collect())
}

/// [`ci_runs_daily`]'s SQL.
pub(super) fn runs_daily_sql(repository: bool) -> String {
    format!(
        "SELECT ({RUN_TIME} AT TIME ZONE 'UTC')::date AS day,
                coalesce(r.conclusion, r.status)::text AS outcome, count(*) AS runs
         FROM workflow_runs r WHERE {}
         GROUP BY 1, 2 ORDER BY 1, 2",
        runs_in(repository)
    )
}

/// One workflow on one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CiWorkflowDay {
    /// UTC day.
    pub day: NaiveDate,
    /// Repository (`owner/name`).
    pub repository: String,
    /// Workflow name.
    pub workflow: String,
    /// Completed run attempts.
    pub completed: i64,
    /// Of those, successful.
    pub succeeded: i64,
    /// Of those, failed (failure, timed_out, startup_failure).
    pub failed: i64,
    /// Median duration of the completed attempts with one, in seconds.
    pub p50_seconds: Option<f64>,
    /// 95th percentile duration, in seconds.
    pub p95_seconds: Option<f64>,
}

/// Each workflow's completed attempts, outcomes and durations per UTC day in `range`.
pub async fn ci_workflows(
    client: &impl GenericClient,
    range: &Range,
    repository: Option<&str>,
) -> Result<Vec<CiWorkflowDay>, DbError> {
    let sql = workflows_sql(repository.is_some());
    let rows = client.query(&sql, &params(range, &repository)).await?;
    Ok(rows
        .iter()
        .map(|r| CiWorkflowDay {
            day: r.get("day"),
            repository: r.get("repository"),
            workflow: r.get("workflow"),
            completed: r.get("completed"),
            succeeded: r.get("succeeded"),
            failed: r.get("failed"),
            p50_seconds: r.get("p50"),
            p95_seconds: r.get("p95"),
        })
        .collect())
}

/// [`ci_workflows`]'s SQL.
pub(super) fn workflows_sql(repository: bool) -> String {
    format!(
        "SELECT ({RUN_TIME} AT TIME ZONE 'UTC')::date AS day, r.repository,
                r.workflow_name::text AS workflow, count(*) AS completed,
                count(*) FILTER (WHERE r.conclusion = 'success') AS succeeded,
                count(*) FILTER (WHERE r.conclusion IN {FAILED}) AS failed,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY r.duration_seconds) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_seconds) AS p95
         FROM workflow_runs r WHERE {} AND r.status = 'completed'
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        runs_in(repository)
    )
}

/// A failed run attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CiFailure {
    /// Row id (the cursor's tie-break).
    #[serde(skip)]
    pub id: i64,
    /// When it started (or was created).
    pub at: DateTime<Utc>,
    /// Repository.
    pub repository: String,
    /// Workflow name.
    pub workflow: String,
    /// GitHub's run id.
    pub github_run_id: i64,
    /// Attempt.
    pub run_attempt: i32,
    /// Branch.
    pub branch: Option<String>,
    /// Commit.
    pub commit_sha: Option<String>,
    /// `failure`, `timed_out` or `startup_failure`.
    pub conclusion: String,
    /// Duration in seconds.
    pub duration_seconds: Option<i32>,
    /// The run on GitHub.
    pub html_url: Option<String>,
}

impl CiFailure {
    /// The cursor after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.at,
            id: self.id,
        }
    }
}

/// A page of failed run attempts in `range`, newest first, after `cursor`.
pub async fn ci_failures(
    client: &impl GenericClient,
    range: &Range,
    repository: Option<&str>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<CiFailure>, DbError> {
    let (at, id) = cursor.map_or((range.until, i64::MAX), |c| (c.at, c.id));
    let mut p = params(range, &repository);
    p.extend([&at as &(dyn ToSql + Sync), &id, &limit]);
    let rows = client
        .query(&failures_sql(repository.is_some()), &p)
        .await?;
    Ok(rows
        .iter()
        .map(|r| CiFailure {
            id: r.get("id"),
            at: r.get("at"),
            repository: r.get("repository"),
            workflow: r.get("workflow"),
            github_run_id: r.get("github_run_id"),
            run_attempt: r.get("run_attempt"),
            branch: r.get("branch"),
            commit_sha: r.get("commit_sha"),
            conclusion: r.get("conclusion"),
            duration_seconds: r.get("duration_seconds"),
            html_url: r.get("html_url"),
        })
        .collect())
}

/// [`ci_failures`]'s SQL: the range (and repository), then cursor time, id and limit.
pub(super) fn failures_sql(repository: bool) -> String {
    let n = if repository { 4 } else { 3 };
    format!(
        "SELECT r.id, {RUN_TIME} AS at, r.repository, r.workflow_name::text AS workflow,
                r.github_run_id, r.run_attempt, r.branch::text AS branch,
                r.commit_sha::text AS commit_sha, r.conclusion::text AS conclusion,
                r.duration_seconds, r.html_url
         FROM workflow_runs r
         WHERE {} AND r.conclusion IN {FAILED} AND ({RUN_TIME}, r.id) < (${n}, ${})
         ORDER BY {RUN_TIME} DESC, r.id DESC LIMIT ${}",
        runs_in(repository),
        n + 1,
        n + 2
    )
}
