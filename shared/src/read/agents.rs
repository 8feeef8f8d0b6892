//! Agent tasks (seed 002) as the dashboard shows them: how many were detected in the range
//! by status, the tasks newest first with what their calls cost, and one task's timeline
//! (`query::task`). Agent records carry no project yet, so only an admin read key reads them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Number;
use tokio_postgres::GenericClient;

use super::{exact, QueryError, Range};
use crate::db::DbError;

/// A position in the task list: the last task of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCursor {
    /// Its `detected_at`.
    pub at: DateTime<Utc>,
    /// Its id.
    pub task_id: String,
}

impl TaskCursor {
    /// Parses `<microseconds>.<task id>`.
    pub fn parse(text: &str) -> Result<TaskCursor, QueryError> {
        let (at, id) = super::range::split_cursor(text)?;
        Ok(TaskCursor {
            at,
            task_id: id.to_string(),
        })
    }

    /// The cursor's text.
    pub fn text(&self) -> String {
        format!("{}.{}", self.at.timestamp_micros(), self.task_id)
    }
}

/// One task and its calls' cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRow {
    /// Task id.
    pub task_id: String,
    /// Title.
    pub title: Option<String>,
    /// `detected`, `active`, `completed` or `failed`.
    pub status: String,
    /// Detected.
    pub detected_at: DateTime<Utc>,
    /// Finished (completed or failed), if it has.
    pub ended_at: Option<DateTime<Utc>>,
    /// Pull request.
    pub pr_number: Option<i32>,
    /// Calls attributed to it (directly or through its workers).
    pub calls: i64,
    /// Of those, unpriced.
    pub unpriced_calls: i64,
    /// USD of the priced calls; `None` when none is priced.
    pub cost_usd: Option<Number>,
}

/// Tasks detected in `range` per status.
pub async fn task_counts(
    client: &impl GenericClient,
    range: &Range,
) -> Result<Vec<(String, i64)>, DbError> {
    let rows = client
        .query(
            "SELECT status::text AS status, count(*) AS tasks FROM tasks
             WHERE detected_at >= $1 AND detected_at < $2 GROUP BY 1 ORDER BY 1",
            &[&range.since, &range.until],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("status"), r.get("tasks")))
        .collect())
}

/// [`tasks`]' SQL: the range, the cursor's time and id, the limit.
pub(super) const TASKS_SQL: &str = "WITH page AS (
                 SELECT task_id, title, status, detected_at,
                        coalesce(completed_at, failed_at) AS ended_at, pr_number
                 FROM tasks
                 WHERE detected_at >= $1 AND detected_at < $2
                   AND (detected_at < $3 OR (detected_at = $3 AND task_id < $4 AND $4 <> ''))
                 ORDER BY detected_at DESC, task_id DESC LIMIT $5)
             SELECT p.*, coalesce(x.calls, 0) AS calls, coalesce(x.unpriced, 0) AS unpriced_calls,
                    trim_scale(x.cost)::text AS cost_usd
             FROM page p LEFT JOIN LATERAL (
                 SELECT count(*) AS calls, count(*) FILTER (WHERE estimated_cost IS NULL) AS unpriced,
                        sum(estimated_cost) AS cost
                 FROM (SELECT c.estimated_cost FROM llm_calls c WHERE c.task_id = p.task_id
                       UNION ALL
                       SELECT c.estimated_cost FROM workers w
                       JOIN llm_calls c ON c.worker_id = w.worker_id AND c.task_id IS NULL
                       WHERE w.task_id = p.task_id) own) x ON true
             ORDER BY p.detected_at DESC, p.task_id DESC";

/// A page of the tasks detected in `range`, newest first, after `cursor`.
pub async fn tasks(
    client: &impl GenericClient,
    range: &Range,
    cursor: Option<&TaskCursor>,
    limit: i64,
) -> Result<Vec<TaskRow>, DbError> {
    let (at, id) = cursor.map_or((range.until, ""), |c| (c.at, c.task_id.as_str()));
    // A call belongs to a task directly, or through its worker when it names no task: two
    // index lookups per task rather than one scan of every call.
    let rows = client
        .query(TASKS_SQL, &[&range.since, &range.until, &at, &id, &limit])
        .await?;
    Ok(rows
        .iter()
        .map(|r| TaskRow {
            task_id: r.get("task_id"),
            title: r.get("title"),
            status: r.get("status"),
            detected_at: r.get("detected_at"),
            ended_at: r.get("ended_at"),
            pr_number: r.get("pr_number"),
            calls: r.get("calls"),
            unpriced_calls: r.get("unpriced_calls"),
            cost_usd: exact(r.get("cost_usd")),
        })
        .collect())
}
