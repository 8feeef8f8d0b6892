//! One worker (seed 002's `worker w-abc123`): its record, its calls and their cost.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// Calls listed with a worker, newest first.
pub const WORKER_CALLS_SHOWN: i64 = 200;

/// One call of a worker.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerCall {
    /// When.
    pub timestamp: DateTime<Utc>,
    /// Model.
    pub model: String,
    /// All tokens.
    pub tokens: i64,
    /// Priced cost; `None` when the model has no price.
    pub cost_usd: Option<f64>,
}

/// A worker with its calls.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerView {
    /// Worker id.
    pub worker_id: String,
    /// Session.
    pub session_id: Option<String>,
    /// Task.
    pub task_id: Option<String>,
    /// spawned, completed, failed.
    pub status: String,
    /// Process id.
    pub pid: Option<i32>,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// When spawned.
    pub spawned_at: DateTime<Utc>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Its conversation log (a path or an `s3://` URI).
    pub log_file: Option<String>,
    /// All its calls.
    pub calls: i64,
    /// Those whose model has no price.
    pub unpriced_calls: i64,
    /// Their tokens.
    pub tokens: i64,
    /// Priced cost of its calls.
    pub cost_usd: f64,
    /// Its newest calls (at most [`WORKER_CALLS_SHOWN`]).
    pub recent_calls: Vec<WorkerCall>,
}

/// The worker `worker_id`, or `None`.
pub async fn worker(
    client: &impl GenericClient,
    worker_id: &str,
) -> Result<Option<WorkerView>, DbError> {
    let Some(w) = client
        .query_opt(
            "SELECT w.worker_id, w.session_id, w.task_id, w.status, w.pid, w.exit_code,
                    w.spawned_at, w.completed_at, w.log_file,
                    count(c.id) AS calls,
                    count(c.id) FILTER (WHERE c.id IS NOT NULL AND c.estimated_cost IS NULL) AS unpriced,
                    coalesce(sum(c.total_tokens), 0)::int8 AS tokens,
                    coalesce(sum(c.estimated_cost), 0)::float8 AS cost_usd
             FROM workers w LEFT JOIN llm_calls c ON c.worker_id = w.worker_id
             WHERE w.worker_id = $1 GROUP BY w.worker_id",
            &[&worker_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let recent_calls = client
        .query(
            "SELECT timestamp, model, total_tokens, estimated_cost::float8 AS cost_usd
             FROM llm_calls WHERE worker_id = $1 ORDER BY timestamp DESC, id DESC LIMIT $2",
            &[&worker_id, &WORKER_CALLS_SHOWN],
        )
        .await?
        .iter()
        .map(|r| WorkerCall {
            timestamp: r.get("timestamp"),
            model: r.get("model"),
            tokens: r.get::<_, Option<i64>>("total_tokens").unwrap_or(0),
            cost_usd: r.get("cost_usd"),
        })
        .collect();
    Ok(Some(WorkerView {
        worker_id: w.get("worker_id"),
        session_id: w.get("session_id"),
        task_id: w.get("task_id"),
        status: w.get("status"),
        pid: w.get("pid"),
        exit_code: w.get("exit_code"),
        spawned_at: w.get("spawned_at"),
        completed_at: w.get("completed_at"),
        log_file: w.get("log_file"),
        calls: w.get("calls"),
        unpriced_calls: w.get("unpriced"),
        tokens: w.get("tokens"),
        cost_usd: w.get("cost_usd"),
        recent_calls,
    }))
}
