//! One attempt of a workflow job, from the REST API's job object (`/actions/runs/{id}/
//! attempts/{n}/jobs` items, `/actions/jobs/{id}`) or a `workflow_job` webhook delivery's
//! `workflow_job`: queue time and duration from its times, its steps in UTC.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::billing::{self, Bill, RunnerSkus};

/// One row of `workflow_jobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowJob {
    /// Job id (new for every attempt).
    pub github_job_id: i64,
    /// The run's attempt the job belongs to, from 1.
    pub run_attempt: i32,
    /// Run id.
    pub github_run_id: i64,
    /// owner/name.
    pub repository: String,
    /// The workflow's name.
    pub workflow_name: Option<String>,
    /// The job's name.
    pub job_name: String,
    /// Head branch.
    pub head_branch: Option<String>,
    /// Head commit.
    pub head_sha: Option<String>,
    /// queued, in_progress, completed, waiting, requested, pending.
    pub status: String,
    /// success, failure, cancelled, skipped, ...; `None` until completed.
    pub conclusion: Option<String>,
    /// When GitHub queued it.
    pub github_created_at: Option<DateTime<Utc>>,
    /// When a runner picked it up.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// `started_at - github_created_at`.
    pub queue_seconds: Option<i32>,
    /// `completed_at - started_at`.
    pub duration_seconds: Option<i32>,
    /// The runner.
    pub runner_name: Option<String>,
    /// Its group.
    pub runner_group_name: Option<String>,
    /// The `runs-on` labels.
    pub labels: Vec<String>,
    /// Steps: name, number, status, conclusion, started_at, completed_at (UTC).
    pub steps: Value,
    /// Link to the job.
    pub html_url: Option<String>,
    /// The repository's visibility, when the source said.
    pub repository_private: Option<bool>,
    /// GitHub's bill for it, once it completed.
    pub bill: Option<Bill>,
}

#[derive(Deserialize)]
struct ApiJob {
    id: i64,
    run_id: i64,
    run_attempt: Option<i32>,
    workflow_name: Option<String>,
    name: Option<String>,
    head_branch: Option<String>,
    head_sha: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    created_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    runner_name: Option<String>,
    runner_group_name: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    steps: Vec<ApiStep>,
    html_url: Option<String>,
}

#[derive(Deserialize)]
struct ApiStep {
    name: Option<String>,
    number: Option<i64>,
    status: Option<String>,
    conclusion: Option<String>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

/// Whole seconds from `a` to `b`, when both are known and `b` is not before `a`.
fn seconds(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<i32> {
    let s = (b? - a?).num_seconds();
    (s >= 0).then(|| i32::try_from(s).unwrap_or(i32::MAX))
}

fn utc(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    })
}

impl WorkflowJob {
    /// The job of `repository` (`private`, when known) from its API object, billed with
    /// `skus` for larger runners; the error says what is missing or bad.
    pub fn from_api(
        repository: &str,
        private: Option<bool>,
        v: &Value,
        skus: &RunnerSkus,
    ) -> Result<WorkflowJob, String> {
        let j: ApiJob =
            serde_json::from_value(v.clone()).map_err(|e| format!("not a workflow job: {e}"))?;
        let status = j.status.ok_or("the job has no status")?;
        let steps: Vec<Value> = j
            .steps
            .iter()
            .map(|s| {
                json!({"name": s.name, "number": s.number, "status": s.status,
                       "conclusion": s.conclusion, "started_at": utc(s.started_at),
                       "completed_at": utc(s.completed_at)})
            })
            .collect();
        let duration_seconds = if status == "completed" {
            seconds(j.started_at, j.completed_at)
        } else {
            None
        };
        let bill = duration_seconds
            .zip(j.completed_at)
            .map(|(d, at)| billing::bill(d, &j.labels, at, private, skus));
        Ok(WorkflowJob {
            github_job_id: j.id,
            run_attempt: j.run_attempt.unwrap_or(1).max(1),
            github_run_id: j.run_id,
            repository: repository.to_string(),
            workflow_name: j.workflow_name,
            job_name: j.name.ok_or("the job has no name")?,
            head_branch: j.head_branch,
            head_sha: j.head_sha,
            // A waiting job's started_at is its creation: its wait is not known yet.
            queue_seconds: if matches!(status.as_str(), "in_progress" | "completed") {
                seconds(j.created_at, j.started_at)
            } else {
                None
            },
            duration_seconds,
            status,
            conclusion: j.conclusion,
            github_created_at: j.created_at,
            started_at: j.started_at,
            completed_at: j.completed_at,
            runner_name: j.runner_name.filter(|r| !r.is_empty()),
            runner_group_name: j.runner_group_name.filter(|r| !r.is_empty()),
            labels: j.labels,
            steps: Value::Array(steps),
            html_url: j.html_url,
            repository_private: private,
            bill,
        })
    }
}

/// A job against `workflow_jobs`.
mod validate {
    use super::WorkflowJob;
    use crate::columns::tables::workflow_jobs as c;
    use crate::columns::{Validate, ValueError};

    impl Validate for WorkflowJob {
        fn validate(&self) -> Result<(), ValueError> {
            c::REPOSITORY.check_str(&self.repository)?;
            c::WORKFLOW_NAME.check_opt_str(self.workflow_name.as_deref())?;
            c::JOB_NAME.check_str(&self.job_name)?;
            c::HEAD_BRANCH.check_opt_str(self.head_branch.as_deref())?;
            c::HEAD_SHA.check_opt_str(self.head_sha.as_deref())?;
            c::STATUS.check_str(&self.status)?;
            c::CONCLUSION.check_opt_str(self.conclusion.as_deref())?;
            c::GITHUB_CREATED_AT.check_opt_time(self.github_created_at)?;
            c::STARTED_AT.check_opt_time(self.started_at)?;
            c::COMPLETED_AT.check_opt_time(self.completed_at)?;
            c::RUNNER_NAME.check_opt_str(self.runner_name.as_deref())?;
            c::RUNNER_GROUP_NAME.check_opt_str(self.runner_group_name.as_deref())?;
            c::LABELS.check_json(&serde_json::json!(self.labels))?;
            c::STEPS.check_json(&self.steps)?;
            c::HTML_URL.check_opt_str(self.html_url.as_deref())?;
            if let Some(b) = &self.bill {
                c::BILLABLE_MINUTES.check_int(b.minutes.into())?;
                c::BILLING_SKU.check_opt_str(b.sku)?;
                c::ESTIMATED_COST_USD.check_opt_decimal(b.cost_usd)?;
                c::RATE_VERSION.check_opt_str(b.rate_version)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_time_duration_and_steps_in_utc() {
        let v = json!({"id": 7, "run_id": 70, "run_attempt": 2, "workflow_name": "CI", "name": "build",
            "status": "completed", "conclusion": "success",
            "created_at": "2020-01-20T17:42:10Z", "started_at": "2020-01-20T17:42:40Z",
            "completed_at": "2020-01-20T17:44:39Z", "labels": ["ubuntu-latest"],
            "runner_name": "GitHub Actions 3", "runner_group_name": "GitHub Actions",
            "steps": [{"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
                       "started_at": "2020-01-20T09:42:40.000-08:00", "completed_at": "2020-01-20T09:42:41.500-08:00"}]});
        let j = WorkflowJob::from_api("octo-org/octo-repo", Some(true), &v, &RunnerSkus::default())
            .expect("job");
        assert_eq!(
            (j.github_job_id, j.run_attempt, j.github_run_id),
            (7, 2, 70)
        );
        assert_eq!((j.queue_seconds, j.duration_seconds), (Some(30), Some(119)));
        assert_eq!(j.steps[0]["started_at"], "2020-01-20T17:42:40.000Z");
        assert_eq!(j.steps[0]["completed_at"], "2020-01-20T17:42:41.500Z");
        // 119 s on ubuntu-latest in 2020, private: 2 minutes at $0.008.
        let bill = j.bill.expect("bill");
        assert_eq!((bill.minutes, bill.cost_usd), (2, Some(0.016)));
        let queued = json!({"id": 8, "run_id": 70, "name": "test", "status": "queued",
                            "created_at": "2020-01-20T17:42:10Z", "started_at": "2020-01-20T17:42:10Z",
                            "runner_name": "", "labels": []});
        let q =
            WorkflowJob::from_api("o/r", None, &queued, &RunnerSkus::default()).expect("queued");
        assert_eq!(
            (
                q.run_attempt,
                q.queue_seconds,
                q.duration_seconds,
                q.runner_name
            ),
            (1, None, None, None)
        );
        assert!(
            WorkflowJob::from_api("o/r", None, &json!({"id": 1}), &RunnerSkus::default()).is_err()
        );
    }
}
