//! What CI users ask of jobs (`telemetry stats`): is CI slow because jobs wait for a
//! runner or because they run long (queue time per runner label, the slowest jobs and steps
//! by p95), which jobs fail, and which are flaky (failed in attempt n of a run, succeeded in
//! attempt n+1), and what they cost (billable minutes and an estimate per workflow and day).
//! Jobs count when they started (else were queued) in the period.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::github::store::FAILED_CONCLUSIONS;

/// Rows shown per list.
const TOP: i64 = 10;

/// Waits for a runner with one label.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueLine {
    /// A `runs-on` label.
    pub label: String,
    /// Jobs that started with it.
    pub jobs: i64,
    /// Median wait (s).
    pub p50_seconds: Option<f64>,
    /// 95th percentile wait (s).
    pub p95_seconds: Option<f64>,
}

/// Durations of one job or step.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DurationLine {
    /// owner/name.
    pub repository: String,
    /// The job's name.
    pub job: String,
    /// The step's name (step lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Completed runs of it.
    pub completed: i64,
    /// Median (s).
    pub p50_seconds: Option<f64>,
    /// 95th percentile (s).
    pub p95_seconds: Option<f64>,
}

/// Failures of one job name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailureLine {
    /// owner/name.
    pub repository: String,
    /// The job's name.
    pub job: String,
    /// Completed attempts.
    pub completed: i64,
    /// Of those, failed (`failure`, `startup_failure`, `timed_out`).
    pub failed: i64,
    /// `failed / completed`.
    pub failure_rate: Option<f64>,
    /// Times it failed in one attempt of a run and succeeded in the next.
    pub flaky: i64,
}

/// Billable minutes of one workflow on one UTC day.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BillingDay {
    /// UTC day the jobs completed.
    pub day: chrono::NaiveDate,
    /// owner/name.
    pub repository: String,
    /// Workflow name.
    pub workflow: Option<String>,
    /// Completed jobs.
    pub jobs: i64,
    /// Their minutes, each job rounded up.
    pub billable_minutes: i64,
    /// The estimated cost of the priced jobs (USD; public repositories' standard runners 0).
    pub cost_usd: f64,
    /// Jobs with no price (self-hosted, larger runners, unknown visibility): not $0.
    pub unpriced_jobs: i64,
}

/// The job figures.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct JobStats {
    /// Queue time per runner label, longest p95 first.
    pub queue_by_label: Vec<QueueLine>,
    /// The slowest jobs by p95.
    pub slowest_jobs: Vec<DurationLine>,
    /// The slowest steps by p95.
    pub slowest_steps: Vec<DurationLine>,
    /// Job names with failures, most failed first (flaky counts beside them).
    pub failing_jobs: Vec<FailureLine>,
    /// Billable minutes and estimated cost per workflow per day, oldest first.
    pub billing: Vec<BillingDay>,
}

/// Which jobs count: `$1` since, `$2` until (or NULL), `$3` the repository (or NULL).
const IN_PERIOD: &str = "coalesce(j.started_at, j.github_created_at, j.created_at) >= $1
    AND ($2::timestamptz IS NULL OR coalesce(j.started_at, j.github_created_at, j.created_at) < $2)
    AND ($3::text IS NULL OR j.repository = $3)";

/// The jobs [`job_stats`] counts.
#[derive(Debug, Clone, Copy)]
pub struct JobScope<'a> {
    /// Jobs started (else queued) from this instant.
    pub since: DateTime<Utc>,
    /// Before this instant, when given.
    pub until: Option<DateTime<Utc>>,
    /// Of this repository only, when given.
    pub repository: Option<&'a str>,
}

fn p(q: f64, expr: &str) -> String {
    format!("round((percentile_cont({q}) WITHIN GROUP (ORDER BY {expr}))::numeric, 1)::float8")
}

/// The job figures for the jobs of `scope`.
pub async fn job_stats(
    client: &impl GenericClient,
    scope: JobScope<'_>,
) -> Result<JobStats, DbError> {
    let (since, until, repository) = (scope.since, scope.until, scope.repository);
    let queue = client
        .query(
            &format!(
                "SELECT l AS label, count(*) AS jobs, {} AS p50, {} AS p95
                 FROM workflow_jobs j, jsonb_array_elements_text(j.labels) l
                 WHERE {IN_PERIOD} AND j.queue_seconds IS NOT NULL
                 GROUP BY 1 ORDER BY p95 DESC NULLS LAST, 1 LIMIT {TOP}",
                p(0.5, "j.queue_seconds"),
                p(0.95, "j.queue_seconds")
            ),
            &[&since, &until, &repository],
        )
        .await?
        .iter()
        .map(|r| QueueLine {
            label: r.get("label"),
            jobs: r.get("jobs"),
            p50_seconds: r.get("p50"),
            p95_seconds: r.get("p95"),
        })
        .collect();
    let duration = |r: &tokio_postgres::Row, step: bool| DurationLine {
        repository: r.get("repository"),
        job: r.get("job_name"),
        step: step.then(|| r.get("step")),
        completed: r.get("completed"),
        p50_seconds: r.get("p50"),
        p95_seconds: r.get("p95"),
    };
    let slowest_jobs = client
        .query(
            &format!(
                "SELECT j.repository, j.job_name, count(*) AS completed, {} AS p50, {} AS p95
                 FROM workflow_jobs j
                 WHERE {IN_PERIOD} AND j.status = 'completed' AND j.duration_seconds IS NOT NULL
                 GROUP BY 1, 2 ORDER BY p95 DESC, 1, 2 LIMIT {TOP}",
                p(0.5, "j.duration_seconds"),
                p(0.95, "j.duration_seconds")
            ),
            &[&since, &until, &repository],
        )
        .await?
        .iter()
        .map(|r| duration(r, false))
        .collect();
    let step_secs =
        "extract(epoch FROM (s->>'completed_at')::timestamptz - (s->>'started_at')::timestamptz)";
    let slowest_steps = client
        .query(
            &format!(
                "SELECT j.repository, j.job_name, s->>'name' AS step, count(*) AS completed,
                        {} AS p50, {} AS p95
                 FROM workflow_jobs j, jsonb_array_elements(j.steps) s
                 WHERE {IN_PERIOD} AND s->>'status' = 'completed'
                   AND s->>'started_at' IS NOT NULL AND s->>'completed_at' IS NOT NULL
                 GROUP BY 1, 2, 3 ORDER BY p95 DESC, 1, 2, 3 LIMIT {TOP}",
                p(0.5, step_secs),
                p(0.95, step_secs)
            ),
            &[&since, &until, &repository],
        )
        .await?
        .iter()
        .map(|r| duration(r, true))
        .collect();
    let failing_jobs = client
        .query(
            &format!(
                "SELECT j.repository, j.job_name,
                        count(*) FILTER (WHERE j.status = 'completed') AS completed,
                        count(*) FILTER (WHERE j.conclusion IN {FAILED_CONCLUSIONS}) AS failed,
                        count(*) FILTER (WHERE j.conclusion IN {FAILED_CONCLUSIONS} AND EXISTS (
                            SELECT 1 FROM workflow_jobs n
                            WHERE n.github_run_id = j.github_run_id AND n.job_name = j.job_name
                              AND n.run_attempt = j.run_attempt + 1 AND n.conclusion = 'success'))
                            AS flaky
                 FROM workflow_jobs j WHERE {IN_PERIOD}
                 GROUP BY 1, 2 HAVING count(*) FILTER (WHERE j.conclusion IN {FAILED_CONCLUSIONS}) > 0
                 ORDER BY failed DESC, flaky DESC, 1, 2 LIMIT {TOP}"
            ),
            &[&since, &until, &repository],
        )
        .await?
        .iter()
        .map(|r| {
            let (completed, failed): (i64, i64) = (r.get("completed"), r.get("failed"));
            FailureLine {
                repository: r.get("repository"),
                job: r.get("job_name"),
                completed,
                failed,
                failure_rate: (completed > 0).then(|| failed as f64 / completed as f64),
                flaky: r.get("flaky"),
            }
        })
        .collect();
    let billing = client
        .query(
            &format!(
                "SELECT (j.completed_at AT TIME ZONE 'UTC')::date AS day, j.repository,
                        j.workflow_name, count(*) AS jobs,
                        coalesce(sum(j.billable_minutes), 0)::int8 AS minutes,
                        coalesce(sum(j.estimated_cost_usd), 0)::float8 AS cost,
                        count(*) FILTER (WHERE j.estimated_cost_usd IS NULL) AS unpriced
                 FROM workflow_jobs j
                 WHERE {IN_PERIOD} AND j.status = 'completed' AND j.completed_at IS NOT NULL
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ),
            &[&since, &until, &repository],
        )
        .await?
        .iter()
        .map(|r| BillingDay {
            day: r.get("day"),
            repository: r.get("repository"),
            workflow: r.get("workflow_name"),
            jobs: r.get("jobs"),
            billable_minutes: r.get("minutes"),
            cost_usd: r.get("cost"),
            unpriced_jobs: r.get("unpriced"),
        })
        .collect();
    Ok(JobStats {
        billing,
        queue_by_label: queue,
        slowest_jobs,
        slowest_steps,
        failing_jobs,
    })
}
