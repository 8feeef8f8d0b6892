//! The operator's questions about agent runs (seed 002's query tool): cost over a period,
//! grouped by who, where and what ([`cost`]); one task's timeline; recent events by type.

mod cost;
mod worker;

pub use cost::{cost, cost_with_ci, BranchCi, CostBy, CostLine};
pub use worker::{worker, WorkerCall, WorkerView, WORKER_CALLS_SHOWN};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// One worker of a task.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerLine {
    /// Worker id.
    pub worker_id: String,
    /// spawned, completed, failed.
    pub status: String,
    /// When spawned.
    pub spawned_at: DateTime<Utc>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Its conversation log.
    pub log_file: Option<String>,
    /// LLM calls it made.
    pub calls: i64,
    /// Their tokens.
    pub tokens: i64,
    /// Their priced cost.
    pub cost_usd: f64,
}

/// One line of a task's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What kind of entry (`task`, `worker`, or an event type).
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// A task with its workers, calls, cost and timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    /// Task id.
    pub task_id: String,
    /// Title.
    pub title: Option<String>,
    /// Current status.
    pub status: String,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Pull request.
    pub pr_number: Option<i32>,
    /// Workers, in spawn order.
    pub workers: Vec<WorkerLine>,
    /// All calls of the task (by the call's task or its worker's).
    pub total: CostLine,
    /// Lifecycle and events, in time order.
    pub timeline: Vec<TimelineEntry>,
}

/// The task `task_id`, or `None`.
pub async fn task(client: &impl GenericClient, task_id: &str) -> Result<Option<TaskView>, DbError> {
    let Some(t) = client
        .query_opt(
            "SELECT title, status, started_at, completed_at, pr_number, detected_at, failed_at
             FROM tasks WHERE task_id = $1",
            &[&task_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let calls_of = "FROM llm_calls c LEFT JOIN workers cw ON cw.worker_id = c.worker_id
                    WHERE coalesce(c.task_id, cw.task_id) = $1";
    let workers = client
        .query(
            "SELECT w.worker_id, w.status, w.spawned_at, w.completed_at, w.log_file,
                    count(c.id) AS calls, coalesce(sum(c.total_tokens), 0)::int8 AS tokens,
                    coalesce(sum(c.estimated_cost), 0)::float8 AS cost_usd
             FROM workers w LEFT JOIN llm_calls c ON c.worker_id = w.worker_id
             WHERE w.task_id = $1 GROUP BY w.worker_id ORDER BY w.spawned_at",
            &[&task_id],
        )
        .await?
        .iter()
        .map(|r| WorkerLine {
            worker_id: r.get("worker_id"),
            status: r.get("status"),
            spawned_at: r.get("spawned_at"),
            completed_at: r.get("completed_at"),
            log_file: r.get("log_file"),
            calls: r.get("calls"),
            tokens: r.get("tokens"),
            cost_usd: r.get("cost_usd"),
        })
        .collect::<Vec<_>>();
    let r = client
        .query_one(
            &format!(
                "SELECT count(*) AS calls,
                        count(*) FILTER (WHERE c.estimated_cost IS NULL) AS unpriced_calls,
                        coalesce(sum(c.total_tokens), 0)::int8 AS tokens,
                        coalesce(sum(c.estimated_cost), 0)::float8 AS cost_usd {calls_of}"
            ),
            &[&task_id],
        )
        .await?;
    let total = CostLine {
        key: Some(task_id.to_string()),
        keys: Vec::new(),
        calls: r.get("calls"),
        unpriced_calls: r.get("unpriced_calls"),
        tokens: r.get("tokens"),
        cost_usd: r.get("cost_usd"),
        sourced_calls: 0,
        source_cost_usd: 0.0,
        table_cost_of_sourced_usd: 0.0,
    };
    let mut timeline = Vec::new();
    for (at, what) in [
        ("detected_at", "detected"),
        ("started_at", "started"),
        ("completed_at", "completed"),
        ("failed_at", "failed"),
    ] {
        if let Some(at) = t.get::<_, Option<DateTime<Utc>>>(at) {
            timeline.push(TimelineEntry {
                at,
                kind: "task".into(),
                message: format!("task {what}"),
            });
        }
    }
    for w in &workers {
        timeline.push(TimelineEntry {
            at: w.spawned_at,
            kind: "worker".into(),
            message: format!("worker {} spawned", w.worker_id),
        });
        if let Some(at) = w.completed_at {
            timeline.push(TimelineEntry {
                at,
                kind: "worker".into(),
                message: format!("worker {} {}", w.worker_id, w.status),
            });
        }
    }
    for r in client
        .query(
            "SELECT timestamp, event_type, message FROM events
             WHERE context_id = $1 OR message LIKE '%' || $1 || '%' ORDER BY timestamp",
            &[&task_id],
        )
        .await?
    {
        timeline.push(TimelineEntry {
            at: r.get("timestamp"),
            kind: r.get("event_type"),
            message: r.get("message"),
        });
    }
    timeline.sort_by_key(|e| e.at);
    Ok(Some(TaskView {
        task_id: task_id.to_string(),
        title: t.get("title"),
        status: t.get("status"),
        started_at: t.get("started_at"),
        completed_at: t.get("completed_at"),
        pr_number: t.get("pr_number"),
        workers,
        total,
        timeline,
    }))
}

/// One agent event.
#[derive(Debug, Clone, Serialize)]
pub struct EventLine {
    /// When.
    pub timestamp: DateTime<Utc>,
    /// Type (trigger, decision, ...).
    pub event_type: String,
    /// Severity.
    pub severity: Option<String>,
    /// What it is about.
    pub context_id: Option<String>,
    /// Message.
    pub message: String,
}

/// Agent events since `since`, of `event_type` when given, oldest first.
pub async fn events(
    client: &impl GenericClient,
    event_type: Option<&str>,
    since: DateTime<Utc>,
) -> Result<Vec<EventLine>, DbError> {
    Ok(client
        .query(
            "SELECT timestamp, event_type, severity, context_id, message FROM events
             WHERE timestamp >= $1 AND ($2::text IS NULL OR event_type = $2)
             ORDER BY timestamp, event_id",
            &[&since, &event_type],
        )
        .await?
        .iter()
        .map(|r| EventLine {
            timestamp: r.get("timestamp"),
            event_type: r.get("event_type"),
            severity: r.get("severity"),
            context_id: r.get("context_id"),
            message: r.get("message"),
        })
        .collect())
}
