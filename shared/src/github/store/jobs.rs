//! Upsert of workflow jobs: one row per (job id, attempt), overwritten only by a copy further
//! along (queued or waiting, then in progress, then completed; then a later completion or
//! start, or more steps completed), so an out-of-order webhook delivery (`completed` before
//! `in_progress`) or a stale fetch never rolls a job back. A job stored as completed with a
//! failing conclusion writes one `workflow_job_failed` outbox event per job attempt.

use tokio_postgres::GenericClient;

use super::runs::{one_per_key, RunCounts, COUNT_UP, FAILED_CONCLUSIONS, PROJECT_OF_REPOSITORY};
use crate::db::DbError;
use crate::github::billing::Bill;
use crate::github::WorkflowJob;
use crate::outbox::{BroadcastLevel, EventKind};
use crate::store::Usd;

/// How far along the row `t` is, as a comparable row value.
fn progress(t: &str) -> String {
    format!(
        "(CASE {t}.status WHEN 'completed' THEN 2 WHEN 'in_progress' THEN 1 ELSE 0 END,
          coalesce({t}.completed_at, '-infinity'), coalesce({t}.started_at, '-infinity'),
          (SELECT count(*) FROM jsonb_array_elements({t}.steps) s WHERE s->>'status' = 'completed'))"
    )
}

impl super::Upsert for WorkflowJob {
    const WHAT: &'static str = "job";

    fn upsert<C: GenericClient + Sync>(
        client: &C,
        items: &[Self],
    ) -> impl std::future::Future<Output = Result<RunCounts, DbError>> + Send {
        upsert_workflow_jobs(client, items)
    }
}

/// Upserts `jobs` in one statement (with their failure events); counts as runs are counted.
pub async fn upsert_workflow_jobs(
    client: &impl GenericClient,
    jobs: &[WorkflowJob],
) -> Result<RunCounts, DbError> {
    if jobs.is_empty() {
        return Ok(RunCounts::default());
    }
    // A key twice in one statement is refused by PostgreSQL: keep the last copy of each.
    let latest = one_per_key(jobs, |j| (j.github_job_id, j.run_attempt), |_, _| true);
    let col = |f: fn(&WorkflowJob) -> Option<&str>| latest.iter().map(|j| f(j)).collect::<Vec<_>>();
    let ids: Vec<i64> = latest.iter().map(|j| j.github_job_id).collect();
    let attempts: Vec<i32> = latest.iter().map(|j| j.run_attempt).collect();
    let runs: Vec<i64> = latest.iter().map(|j| j.github_run_id).collect();
    let repos: Vec<&str> = latest.iter().map(|j| j.repository.as_str()).collect();
    let workflows = col(|j| j.workflow_name.as_deref());
    let names: Vec<&str> = latest.iter().map(|j| j.job_name.as_str()).collect();
    let branches = col(|j| j.head_branch.as_deref());
    let shas = col(|j| j.head_sha.as_deref());
    let statuses: Vec<&str> = latest.iter().map(|j| j.status.as_str()).collect();
    let conclusions = col(|j| j.conclusion.as_deref());
    let created: Vec<_> = latest.iter().map(|j| j.github_created_at).collect();
    let started: Vec<_> = latest.iter().map(|j| j.started_at).collect();
    let completed: Vec<_> = latest.iter().map(|j| j.completed_at).collect();
    let queued: Vec<Option<i32>> = latest.iter().map(|j| j.queue_seconds).collect();
    let durations: Vec<Option<i32>> = latest.iter().map(|j| j.duration_seconds).collect();
    let runners = col(|j| j.runner_name.as_deref());
    let groups = col(|j| j.runner_group_name.as_deref());
    let labels: Vec<serde_json::Value> =
        latest.iter().map(|j| serde_json::json!(j.labels)).collect();
    let steps: Vec<&serde_json::Value> = latest.iter().map(|j| &j.steps).collect();
    let urls = col(|j| j.html_url.as_deref());
    let private: Vec<Option<bool>> = latest.iter().map(|j| j.repository_private).collect();
    let bills: Vec<Option<&Bill>> = latest.iter().map(|j| j.bill.as_ref()).collect();
    let minutes: Vec<Option<i32>> = bills.iter().map(|b| b.map(|b| b.minutes)).collect();
    let skus: Vec<Option<&str>> = bills.iter().map(|b| b.and_then(|b| b.sku)).collect();
    let costs: Vec<Option<Usd>> = bills
        .iter()
        .map(|b| b.and_then(|b| b.cost_usd).map(Usd::from_f64))
        .collect();
    let versions: Vec<Option<&str>> = bills
        .iter()
        .map(|b| b.and_then(|b| b.rate_version))
        .collect();
    let sql = format!(
        "WITH up AS (
            INSERT INTO workflow_jobs AS t (github_job_id, run_attempt, github_run_id, repository,
                workflow_name, job_name, head_branch, head_sha, status, conclusion,
                github_created_at, started_at, completed_at, queue_seconds, duration_seconds,
                runner_name, runner_group_name, labels, steps, html_url, repository_private,
                billable_minutes, billing_sku, estimated_cost_usd, rate_version)
            SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::int8[], $4::text[], $5::text[],
                $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[],
                $12::timestamptz[], $13::timestamptz[], $14::int4[], $15::int4[], $16::text[],
                $17::text[], $18::jsonb[], $19::jsonb[], $20::text[], $24::bool[], $25::int4[],
                $26::text[], $27::numeric[], $28::text[])
            ON CONFLICT (github_job_id, run_attempt) DO UPDATE SET
                github_run_id = EXCLUDED.github_run_id, repository = EXCLUDED.repository,
                workflow_name = coalesce(EXCLUDED.workflow_name, t.workflow_name),
                job_name = EXCLUDED.job_name,
                head_branch = coalesce(EXCLUDED.head_branch, t.head_branch),
                head_sha = coalesce(EXCLUDED.head_sha, t.head_sha),
                status = EXCLUDED.status, conclusion = EXCLUDED.conclusion,
                github_created_at = coalesce(EXCLUDED.github_created_at, t.github_created_at),
                started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at,
                queue_seconds = EXCLUDED.queue_seconds, duration_seconds = EXCLUDED.duration_seconds,
                runner_name = coalesce(EXCLUDED.runner_name, t.runner_name),
                runner_group_name = coalesce(EXCLUDED.runner_group_name, t.runner_group_name),
                labels = EXCLUDED.labels, steps = EXCLUDED.steps, html_url = EXCLUDED.html_url,
                repository_private = coalesce(EXCLUDED.repository_private, t.repository_private),
                billable_minutes = EXCLUDED.billable_minutes, billing_sku = EXCLUDED.billing_sku,
                estimated_cost_usd = EXCLUDED.estimated_cost_usd,
                rate_version = EXCLUDED.rate_version,
                updated_at = now()
            WHERE {new} > {old}
            RETURNING (xmax = 0) AS inserted, t.*),
         failed AS (
            INSERT INTO outbox_events (type, source, project_id, broadcast_level, payload, dedup_key)
            SELECT $21::text, $22::text,
                {PROJECT_OF_REPOSITORY},
                $23::text,
                jsonb_build_object('repository', up.repository, 'workflow', up.workflow_name,
                    'job', up.job_name, 'job_id', up.github_job_id, 'run_id', up.github_run_id,
                    'attempt', up.run_attempt, 'branch', up.head_branch, 'commit', up.head_sha,
                    'conclusion', up.conclusion, 'completed_at', up.completed_at,
                    'runner', up.runner_name, 'labels', up.labels, 'url', up.html_url,
                    'failed_steps', (SELECT coalesce(jsonb_agg(s->'name'), '[]'::jsonb)
                                     FROM jsonb_array_elements(up.steps) s
                                     WHERE s->>'conclusion' = 'failure')),
                $21::text || ':' || up.github_job_id || ':' || up.run_attempt
            FROM up WHERE up.status = 'completed' AND up.conclusion IN {FAILED_CONCLUSIONS}
            ON CONFLICT (dedup_key) DO NOTHING)
         {COUNT_UP}",
        new = progress("EXCLUDED"),
        old = progress("t"),
    );
    let row = client
        .query_one(
            &sql,
            &[
                &ids,
                &attempts,
                &runs,
                &repos,
                &workflows,
                &names,
                &branches,
                &shas,
                &statuses,
                &conclusions,
                &created,
                &started,
                &completed,
                &queued,
                &durations,
                &runners,
                &groups,
                &labels,
                &steps,
                &urls,
                &EventKind::WorkflowJobFailed,
                &EventKind::WorkflowJobFailed.source(),
                &BroadcastLevel::Mention,
                &private,
                &minutes,
                &skus,
                &costs,
                &versions,
            ],
        )
        .await?;
    Ok(RunCounts::of(&row, jobs.len()))
}
