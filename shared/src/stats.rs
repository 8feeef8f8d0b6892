//! Figures for `telemetry stats`: LLM cost and tokens by day and model, unpriced calls,
//! success rate, workflow runs by workflow with success rate and p50/p95 duration, and jobs
//! ([`job_stats`]).

mod jobs;

pub use jobs::{job_stats, BillingDay, DurationLine, FailureLine, JobScope, JobStats, QueueLine};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// LLM totals over the period.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LlmTotals {
    /// Calls.
    pub calls: i64,
    /// Uncached input tokens.
    pub input_tokens: i64,
    /// Cache-read tokens.
    pub cache_read_tokens: i64,
    /// Cache-write tokens.
    pub cache_write_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Estimated cost of the priced calls (USD).
    pub cost_usd: f64,
    /// Calls whose model has no price (not included in `cost_usd`).
    pub unpriced_calls: i64,
    /// Share of calls with a known outcome that succeeded, 0..=1.
    pub success_rate: Option<f64>,
}

/// One row of a breakdown (by day or by model).
#[derive(Debug, Clone, Serialize)]
pub struct LlmBucket {
    /// Day (UTC) or model name.
    pub key: String,
    /// Calls.
    pub calls: i64,
    /// All tokens.
    pub tokens: i64,
    /// Estimated cost of the priced calls (USD).
    pub cost_usd: f64,
    /// Calls without a price.
    pub unpriced_calls: i64,
}

/// Runs of one workflow.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowStats {
    /// owner/name.
    pub repository: String,
    /// Workflow name.
    pub workflow: String,
    /// Runs (attempts) started in the period.
    pub runs: i64,
    /// Completed runs.
    pub completed: i64,
    /// Successful share of completed runs.
    pub success_rate: Option<f64>,
    /// Median duration of completed runs (s, to 0.1 s).
    pub p50_seconds: Option<f64>,
    /// 95th percentile duration of completed runs (s, to 0.1 s).
    pub p95_seconds: Option<f64>,
}

/// One coverage snapshot in the period, with the workflow run of its commit.
#[derive(Debug, Clone, Serialize)]
pub struct CoveragePoint {
    /// owner/name.
    pub repository: String,
    /// Branch (the commit's run's when the report did not say).
    pub branch: Option<String>,
    /// Commit SHA.
    pub commit_sha: String,
    /// lcov, cobertura or istanbul.
    pub format: String,
    /// When the report was taken.
    pub captured_at: DateTime<Utc>,
    /// Line coverage (%).
    pub line_percent: Option<f64>,
    /// Branch coverage (%).
    pub branch_percent: Option<f64>,
    /// Change of line coverage since the previous report of the branch and format.
    pub line_change: Option<f64>,
    /// Conclusion of the latest workflow run of the commit, when synced.
    pub run_conclusion: Option<String>,
    /// Its URL.
    pub run_url: Option<String>,
}

/// Everything `telemetry stats` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Start of the period.
    pub since: DateTime<Utc>,
    /// LLM totals.
    pub llm: LlmTotals,
    /// LLM calls per UTC day.
    pub llm_by_day: Vec<LlmBucket>,
    /// LLM calls per model, costliest first.
    pub llm_by_model: Vec<LlmBucket>,
    /// Workflow runs per workflow.
    pub workflows: Vec<WorkflowStats>,
    /// Coverage reports per repository and branch, oldest first.
    pub coverage: Vec<CoveragePoint>,
    /// Jobs: queue time, the slowest, the failing and flaky.
    pub jobs: JobStats,
}

/// Computes the figures for calls and runs at or after `since`.
pub async fn compute(client: &impl GenericClient, since: DateTime<Utc>) -> Result<Stats, DbError> {
    let t = client
        .query_one(
            "SELECT count(*) AS calls, coalesce(sum(input_tokens), 0)::int8 AS input_tokens,
                    coalesce(sum(cache_read_tokens), 0)::int8 AS cache_read_tokens,
                    coalesce(sum(cache_write_tokens), 0)::int8 AS cache_write_tokens,
                    coalesce(sum(output_tokens), 0)::int8 AS output_tokens,
                    coalesce(sum(estimated_cost), 0)::float8 AS cost_usd,
                    count(*) FILTER (WHERE cost_status = 'unknown_model') AS unpriced_calls,
                    (count(*) FILTER (WHERE success))::float8 / nullif(count(success), 0)
                        AS success_rate
             FROM llm_calls WHERE timestamp >= $1",
            &[&since],
        )
        .await?;
    let llm = LlmTotals {
        calls: t.get("calls"),
        input_tokens: t.get("input_tokens"),
        cache_read_tokens: t.get("cache_read_tokens"),
        cache_write_tokens: t.get("cache_write_tokens"),
        output_tokens: t.get("output_tokens"),
        cost_usd: t.get("cost_usd"),
        unpriced_calls: t.get("unpriced_calls"),
        success_rate: t.get("success_rate"),
    };
    let bucket = |r: &tokio_postgres::Row, key: String| LlmBucket {
        key,
        calls: r.get("calls"),
        tokens: r.get("tokens"),
        cost_usd: r.get("cost_usd"),
        unpriced_calls: r.get("unpriced_calls"),
    };
    const AGG: &str = "count(*) AS calls, coalesce(sum(total_tokens), 0)::int8 AS tokens,
         coalesce(sum(estimated_cost), 0)::float8 AS cost_usd,
         count(*) FILTER (WHERE cost_status = 'unknown_model') AS unpriced_calls";
    let by_day = client
        .query(
            &format!(
                "SELECT (timestamp AT TIME ZONE 'UTC')::date AS day, {AGG}
                 FROM llm_calls WHERE timestamp >= $1 GROUP BY 1 ORDER BY 1"
            ),
            &[&since],
        )
        .await?
        .iter()
        .map(|r| bucket(r, r.get::<_, NaiveDate>("day").to_string()))
        .collect();
    let by_model = client
        .query(
            &format!(
                "SELECT model, {AGG} FROM llm_calls WHERE timestamp >= $1
                 GROUP BY 1 ORDER BY cost_usd DESC, calls DESC, model"
            ),
            &[&since],
        )
        .await?
        .iter()
        .map(|r| bucket(r, r.get("model")))
        .collect();
    let workflows = client
        .query(
            "SELECT repository, workflow_name, count(*) AS runs,
                    count(*) FILTER (WHERE status = 'completed') AS completed,
                    (count(*) FILTER (WHERE conclusion = 'success'))::float8
                        / nullif(count(*) FILTER (WHERE status = 'completed'), 0) AS success_rate,
                    round((percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_seconds)
                        FILTER (WHERE status = 'completed'))::numeric, 1)::float8 AS p50_seconds,
                    round((percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_seconds)
                        FILTER (WHERE status = 'completed'))::numeric, 1)::float8 AS p95_seconds
             FROM workflow_runs WHERE coalesce(started_at, created_at) >= $1
             GROUP BY 1, 2 ORDER BY 1, 2",
            &[&since],
        )
        .await?
        .iter()
        .map(|r| WorkflowStats {
            repository: r.get("repository"),
            workflow: r.get("workflow_name"),
            runs: r.get("runs"),
            completed: r.get("completed"),
            success_rate: r.get("success_rate"),
            p50_seconds: r.get("p50_seconds"),
            p95_seconds: r.get("p95_seconds"),
        })
        .collect();
    let coverage = client
        .query(
            "SELECT c.repository, c.branch, c.commit_sha, c.format, c.captured_at,
                    c.line_percent::float8 AS line_percent,
                    c.branch_percent::float8 AS branch_percent,
                    (c.line_percent - lag(c.line_percent) OVER w)::float8 AS line_change,
                    r.conclusion AS run_conclusion, r.html_url AS run_url
             FROM coverage_snapshots c
             LEFT JOIN LATERAL (SELECT conclusion, html_url FROM workflow_runs
                                WHERE repository = c.repository AND commit_sha = c.commit_sha
                                ORDER BY started_at DESC NULLS LAST, run_attempt DESC LIMIT 1) r ON true
             WHERE c.captured_at >= $1
             WINDOW w AS (PARTITION BY c.repository, c.branch, c.format ORDER BY c.captured_at)
             ORDER BY c.repository, c.branch NULLS LAST, c.format, c.captured_at",
            &[&since],
        )
        .await?
        .iter()
        .map(|r| CoveragePoint {
            repository: r.get("repository"),
            branch: r.get("branch"),
            commit_sha: r.get("commit_sha"),
            format: r.get("format"),
            captured_at: r.get("captured_at"),
            line_percent: r.get("line_percent"),
            branch_percent: r.get("branch_percent"),
            line_change: r.get("line_change"),
            run_conclusion: r.get("run_conclusion"),
            run_url: r.get("run_url"),
        })
        .collect();
    Ok(Stats {
        since,
        llm,
        llm_by_day: by_day,
        llm_by_model: by_model,
        workflows,
        coverage,
        jobs: job_stats(
            client,
            JobScope {
                since,
                until: None,
                repository: None,
            },
        )
        .await?,
    })
}
