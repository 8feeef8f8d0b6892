//! `telemetry cost`: calls, tokens and cost over a period, in total and grouped by any mix
//! of project, repository, branch, user, tool, model, task and session; and per branch
//! beside the branch's CI runs (`--with-ci`), joining `llm_calls.git_branch` to
//! `workflow_runs.branch` within one repository.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;

crate::text_enum! {
    /// A dimension `cost` groups calls by.
    pub enum CostBy {
        /// The project whose key posted the call.
        Project => "project",
        /// `owner/name`.
        Repository => "repository",
        /// The git branch.
        Branch => "branch",
        /// The user id.
        User => "user",
        /// The program that made the call.
        Tool => "tool",
        /// Model as recorded.
        Model => "model",
        /// The call's task (or its worker's task).
        Task => "task",
        /// Session.
        Session => "session",
    }
}

impl CostBy {
    /// The dimensions of `--by a,b,...`; the error lists the names.
    pub fn parse_list(s: &str) -> Result<Vec<CostBy>, String> {
        let mut out = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let by = CostBy::parse(name).ok_or_else(|| {
                let names: Vec<&str> = CostBy::ALL.iter().map(|b| b.as_str()).collect();
                format!("--by {name:?}: expected {}", names.join(", "))
            })?;
            if !out.contains(&by) {
                out.push(by);
            }
        }
        Ok(out)
    }

    fn column(self) -> &'static str {
        match self {
            CostBy::Project => "coalesce(c.project_id, '(no project)')",
            CostBy::Repository => "coalesce(c.repository, '(no repository)')",
            CostBy::Branch => "coalesce(c.git_branch, '(no branch)')",
            CostBy::User => "coalesce(c.user_id, '(no user)')",
            // Rows stored before V17 were given their tool by the migration.
            CostBy::Tool => "coalesce(c.tool, c.source)",
            CostBy::Model => "c.model",
            CostBy::Task => "coalesce(c.task_id, w.task_id, '(no task)')",
            CostBy::Session => "coalesce(c.session_id, w.session_id, '(no session)')",
        }
    }
}

/// Calls, tokens and cost of one group (or of everything).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostLine {
    /// Group key, its parts joined by ` / ` (`None` for the total).
    pub key: Option<String>,
    /// The group's value of each `--by` dimension, in order (empty for the total).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Calls.
    pub calls: i64,
    /// Calls whose model has no price (their cost is unknown, not $0).
    pub unpriced_calls: i64,
    /// All tokens.
    pub tokens: i64,
    /// Estimated USD of the priced calls.
    pub cost_usd: f64,
    /// Calls whose source reported its own cost as well.
    pub sourced_calls: i64,
    /// What the sources said those calls cost.
    pub source_cost_usd: f64,
    /// What the price table says those same calls cost (their unpriced ones count nothing).
    pub table_cost_of_sourced_usd: f64,
}

const AGGREGATES: &str = "count(*) AS calls,
    count(*) FILTER (WHERE c.estimated_cost IS NULL) AS unpriced_calls,
    coalesce(sum(c.total_tokens), 0)::int8 AS tokens,
    coalesce(sum(c.estimated_cost), 0)::float8 AS cost_usd,
    count(*) FILTER (WHERE c.source_cost_usd IS NOT NULL) AS sourced_calls,
    coalesce(sum(c.source_cost_usd), 0)::float8 AS source_cost_usd,
    coalesce(sum(c.estimated_cost) FILTER (WHERE c.source_cost_usd IS NOT NULL), 0)::float8
        AS table_cost_of_sourced_usd";

const CALLS_IN_RANGE: &str = "FROM llm_calls c LEFT JOIN workers w ON w.worker_id = c.worker_id
    WHERE c.timestamp >= $1 AND c.timestamp < $2";

fn line(r: &tokio_postgres::Row, dims: usize) -> CostLine {
    let keys: Vec<String> = (0..dims).map(|i| r.get(format!("k{i}").as_str())).collect();
    CostLine {
        key: (!keys.is_empty()).then(|| keys.join(" / ")),
        keys,
        calls: r.get("calls"),
        unpriced_calls: r.get("unpriced_calls"),
        tokens: r.get("tokens"),
        cost_usd: r.get("cost_usd"),
        sourced_calls: r.get("sourced_calls"),
        source_cost_usd: r.get("source_cost_usd"),
        table_cost_of_sourced_usd: r.get("table_cost_of_sourced_usd"),
    }
}

/// Cost of calls from `since` until `until`, in total and by the dimensions `by` (none: the
/// total only), largest first.
pub async fn cost(
    client: &impl GenericClient,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    by: &[CostBy],
) -> Result<(CostLine, Vec<CostLine>), DbError> {
    let total = line(
        &client
            .query_one(
                &format!("SELECT {AGGREGATES} {CALLS_IN_RANGE}"),
                &[&since, &until],
            )
            .await?,
        0,
    );
    if by.is_empty() {
        return Ok((total, Vec::new()));
    }
    let keys: Vec<String> = by
        .iter()
        .enumerate()
        .map(|(i, b)| format!("{} AS k{i}", b.column()))
        .collect();
    let group: Vec<String> = (1..=by.len()).map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT {}, {AGGREGATES} {CALLS_IN_RANGE}
         GROUP BY {} ORDER BY cost_usd DESC, calls DESC, {}",
        keys.join(", "),
        group.join(", "),
        group.join(", ")
    );
    let lines = client
        .query(&sql, &[&since, &until])
        .await?
        .iter()
        .map(|r| line(r, by.len()))
        .collect();
    Ok((total, lines))
}

/// One branch of one repository: its LLM calls and its workflow runs in the same period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BranchCi {
    /// The calls (keys: repository, branch).
    #[serde(flatten)]
    pub llm: CostLine,
    /// Workflow runs (every attempt) started on the branch in the period.
    pub runs: i64,
    /// Of those, runs that concluded `failure`, `timed_out` or `startup_failure`.
    pub failed_runs: i64,
    /// Their total run time, in minutes (completed runs).
    pub run_minutes: f64,
}

/// Per (repository, branch) of the calls that name both: cost beside the branch's CI.
pub async fn cost_with_ci(
    client: &impl GenericClient,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<BranchCi>, DbError> {
    let sql = format!(
        "WITH calls AS (
             SELECT c.repository AS k0, c.git_branch AS k1, {AGGREGATES} {CALLS_IN_RANGE}
               AND c.repository IS NOT NULL AND c.git_branch IS NOT NULL
             GROUP BY 1, 2)
         SELECT calls.*, ci.runs, ci.failed_runs, ci.run_minutes
         FROM calls CROSS JOIN LATERAL (
             SELECT count(*) AS runs,
                    count(*) FILTER (WHERE r.conclusion IN ('failure', 'timed_out', 'startup_failure'))
                        AS failed_runs,
                    coalesce(sum(r.duration_seconds), 0)::float8 / 60 AS run_minutes
             FROM workflow_runs r
             WHERE r.repository = calls.k0 AND r.branch = calls.k1
               AND r.started_at >= $1 AND r.started_at < $2) ci
         ORDER BY cost_usd DESC, calls DESC, k0, k1"
    );
    Ok(client
        .query(&sql, &[&since, &until])
        .await?
        .iter()
        .map(|r| BranchCi {
            llm: line(r, 2),
            runs: r.get("runs"),
            failed_runs: r.get("failed_runs"),
            run_minutes: r.get("run_minutes"),
        })
        .collect())
}
