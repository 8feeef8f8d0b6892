//! LLM calls as the dashboard shows them: cost and tokens per UTC day and model, the calls
//! themselves newest first, and the sessions or tasks that cost most. Costs are the stored
//! NUMERICs, exactly; a group with no priced call has a `null` cost, never 0.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Number;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{exact, params, Cursor, Range};
use crate::db::DbError;

/// One UTC day of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostDay {
    /// UTC day.
    pub day: NaiveDate,
    /// Model as recorded.
    pub model: String,
    /// Calls.
    pub calls: i64,
    /// Calls with no price (their cost is unknown, not 0).
    pub unpriced_calls: i64,
    /// Uncached input tokens.
    pub input_tokens: i64,
    /// Cache-read tokens.
    pub cache_read_tokens: i64,
    /// Cache-write tokens (5-minute and 1-hour).
    pub cache_write_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// USD of the priced calls; `None` when none is priced.
    pub cost_usd: Option<Number>,
}

/// The `WHERE` of a range of calls, with the project filter when there is one (two texts
/// rather than `$3 IS NULL OR ...`, so each has a plan on its own index).
fn calls_in(project: bool) -> &'static str {
    match project {
        true => "c.timestamp >= $1 AND c.timestamp < $2 AND c.project_id = $3",
        false => "c.timestamp >= $1 AND c.timestamp < $2",
    }
}

/// Cost and tokens per UTC day and model in `range`, oldest day first.
pub async fn llm_cost_daily(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
) -> Result<Vec<CostDay>, DbError> {
    let rows = client
        .query(&cost_daily_sql(project.is_some()), &params(range, &project))
        .await?;
    Ok(rows
        .iter()
        .map(|r| CostDay {
            day: r.get("day"),
            model: r.get("model"),
            calls: r.get("calls"),
            unpriced_calls: r.get("unpriced_calls"),
            input_tokens: r.get("input_tokens"),
            cache_read_tokens: r.get("cache_read_tokens"),
            cache_write_tokens: r.get("cache_write_tokens"),
            output_tokens: r.get("output_tokens"),
            cost_usd: exact(r.get("cost_usd")),
        })
        .collect())
}

/// [`llm_cost_daily`]'s SQL.
pub(super) fn cost_daily_sql(project: bool) -> String {
    format!(
        "SELECT (c.timestamp AT TIME ZONE 'UTC')::date AS day, c.model,
                count(*) AS calls,
                count(*) FILTER (WHERE c.estimated_cost IS NULL) AS unpriced_calls,
                sum(c.input_tokens)::int8 AS input_tokens,
                sum(c.cache_read_tokens)::int8 AS cache_read_tokens,
                sum(c.cache_write_tokens)::int8 AS cache_write_tokens,
                sum(c.output_tokens)::int8 AS output_tokens,
                trim_scale(sum(c.estimated_cost))::text AS cost_usd
         FROM llm_calls c WHERE {}
         GROUP BY 1, 2 ORDER BY 1, 2",
        calls_in(project)
    )
}

/// One stored call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRow {
    /// Row id.
    pub id: i64,
    /// When the call was made.
    pub timestamp: DateTime<Utc>,
    /// Where it was read from (`claude_code`, `codex`, `csv`, `api_call`, ...).
    pub source: String,
    /// Model.
    pub model: String,
    /// Project, when the call was posted with a project's key.
    pub project_id: Option<String>,
    /// Session (the call's, or its worker's).
    pub session_id: Option<String>,
    /// Task (the call's, or its worker's).
    pub task_id: Option<String>,
    /// Worker.
    pub worker_id: Option<String>,
    /// Uncached input tokens.
    pub input_tokens: i32,
    /// Cache-read tokens.
    pub cache_read_tokens: i32,
    /// Cache-write tokens.
    pub cache_write_tokens: i32,
    /// Output tokens.
    pub output_tokens: i32,
    /// USD; `None` when the model has no price.
    pub cost_usd: Option<Number>,
    /// `priced`, `unknown_model` or `from_source`.
    pub cost_status: String,
    /// Duration, when the source gave one.
    pub duration_ms: Option<i32>,
    /// Success, when the source said.
    pub success: Option<bool>,
}

impl CallRow {
    /// The cursor after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.timestamp,
            id: self.id,
        }
    }
}

/// A page of calls in `range`, newest first, after `cursor`.
pub async fn llm_calls(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<CallRow>, DbError> {
    let (at, id) = cursor.map_or((range.until, i64::MAX), |c| (c.at, c.id));
    let mut p = params(range, &project);
    p.extend([&at as &(dyn ToSql + Sync), &id, &limit]);
    let rows = client.query(&calls_sql(project.is_some()), &p).await?;
    Ok(rows.iter().map(call_row).collect())
}

/// [`llm_calls`]'s SQL: the range (and project), then cursor time, cursor id and limit.
pub(super) fn calls_sql(project: bool) -> String {
    let n = if project { 4 } else { 3 };
    format!(
        "SELECT c.id, c.timestamp, c.source, c.model, c.project_id,
                coalesce(c.session_id, w.session_id) AS session_id,
                coalesce(c.task_id, w.task_id) AS task_id, c.worker_id,
                c.input_tokens, c.cache_read_tokens, c.cache_write_tokens, c.output_tokens,
                trim_scale(c.estimated_cost)::text AS cost_usd, c.cost_status,
                c.duration_ms, c.success
         FROM llm_calls c LEFT JOIN workers w ON w.worker_id = c.worker_id
         WHERE {} AND (c.timestamp, c.id) < (${n}, ${})
         ORDER BY c.timestamp DESC, c.id DESC LIMIT ${}",
        calls_in(project),
        n + 1,
        n + 2
    )
}

fn call_row(r: &tokio_postgres::Row) -> CallRow {
    CallRow {
        id: r.get("id"),
        timestamp: r.get("timestamp"),
        source: r.get("source"),
        model: r.get("model"),
        project_id: r.get("project_id"),
        session_id: r.get("session_id"),
        task_id: r.get("task_id"),
        worker_id: r.get("worker_id"),
        input_tokens: r.get("input_tokens"),
        cache_read_tokens: r.get("cache_read_tokens"),
        cache_write_tokens: r.get("cache_write_tokens"),
        output_tokens: r.get("output_tokens"),
        cost_usd: exact(r.get("cost_usd")),
        cost_status: r.get("cost_status"),
        duration_ms: r.get("duration_ms"),
        success: r.get("success"),
    }
}

crate::text_enum! {
    /// What [`llm_top`] groups by.
    pub enum TopBy {
        /// The call's session, or its worker's.
        Session => "session",
        /// The call's task, or its worker's.
        Task => "task",
        /// The user id.
        User => "user",
        /// `owner/name`.
        Repository => "repository",
        /// The repository and branch (`acme/api fix/retry`).
        Branch => "branch",
        /// The program that made the call.
        Tool => "tool",
        /// The model.
        Model => "model",
        /// The project (an admin read key's question).
        Project => "project",
    }
}

impl TopBy {
    fn key(self) -> &'static str {
        match self {
            TopBy::Session => "coalesce(c.session_id, w.session_id)",
            TopBy::Task => "coalesce(c.task_id, w.task_id)",
            TopBy::User => "c.user_id",
            TopBy::Repository => "c.repository",
            TopBy::Branch => "(coalesce(c.repository || ' ', '') || c.git_branch)",
            TopBy::Tool => "coalesce(c.tool, c.source)",
            TopBy::Model => "c.model",
            TopBy::Project => "c.project_id",
        }
    }
}

/// One group (session, task, user, ...) and what its calls in the range cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopLine {
    /// The group's value (session id, task id, user id, ...).
    pub key: String,
    /// Calls.
    pub calls: i64,
    /// Calls with no price.
    pub unpriced_calls: i64,
    /// All tokens.
    pub total_tokens: i64,
    /// USD of the priced calls; `None` when none is priced.
    pub cost_usd: Option<Number>,
    /// First call in the range.
    pub first_call_at: DateTime<Utc>,
    /// Last call in the range.
    pub last_call_at: DateTime<Utc>,
}

/// The `limit` groups whose calls in `range` cost most (unpriced ones last); calls without
/// the value (no user, no branch) are in none.
pub async fn llm_top(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
    by: TopBy,
    limit: i64,
) -> Result<Vec<TopLine>, DbError> {
    let mut p = params(range, &project);
    p.push(&limit);
    let rows = client.query(&top_sql(project.is_some(), by), &p).await?;
    Ok(rows
        .iter()
        .map(|r| TopLine {
            key: r.get("key"),
            calls: r.get("calls"),
            unpriced_calls: r.get("unpriced_calls"),
            total_tokens: r.get("total_tokens"),
            cost_usd: exact(r.get("cost_usd")),
            first_call_at: r.get("first_call_at"),
            last_call_at: r.get("last_call_at"),
        })
        .collect())
}

/// [`llm_top`]'s SQL: the range (and project), then the limit.
pub(super) fn top_sql(project: bool, by: TopBy) -> String {
    let n = if project { 4 } else { 3 };
    format!(
        "SELECT {key} AS key, count(*) AS calls,
                count(*) FILTER (WHERE c.estimated_cost IS NULL) AS unpriced_calls,
                sum(c.total_tokens)::int8 AS total_tokens,
                trim_scale(sum(c.estimated_cost))::text AS cost_usd,
                sum(c.estimated_cost) AS sort_cost,
                min(c.timestamp) AS first_call_at, max(c.timestamp) AS last_call_at
         FROM llm_calls c LEFT JOIN workers w ON w.worker_id = c.worker_id
         WHERE {} AND {key} IS NOT NULL
         GROUP BY 1 ORDER BY sort_cost DESC NULLS LAST, calls DESC, 1 LIMIT ${n}",
        calls_in(project),
        key = by.key(),
    )
}
