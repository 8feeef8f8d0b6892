//! Upserts of agent lifecycle records. Each statement computes the merged row in SQL (earliest
//! milestone times, highest-ranked status, known values kept over missing ones) and writes
//! only when that differs from what is stored, so a repeated or stale line is a duplicate
//! and lines arriving out of order still give the right timeline.

use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{AgentRecord, SessionRecord, TaskStatus, WorkerStatus};
use crate::db::DbError;
use crate::store::UpsertCounts;

/// `SET a = e1, ... WHERE (t.a, ...) IS DISTINCT FROM (e1, ...)` for `t`'s columns.
fn merge(columns: &[(&str, &str)]) -> String {
    let set: Vec<String> = columns.iter().map(|(c, e)| format!("{c} = {e}")).collect();
    let old: Vec<String> = columns.iter().map(|(c, _)| format!("t.{c}")).collect();
    let new: Vec<&str> = columns.iter().map(|(_, e)| *e).collect();
    format!(
        "SET {}, updated_at = now() WHERE ({}) IS DISTINCT FROM ({})",
        set.join(", "),
        old.join(", "),
        new.join(", ")
    )
}

fn session_sql() -> String {
    format!(
        "INSERT INTO sessions AS t (session_id, started_at, ended_at, git_commit, exit_reason, config)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (session_id) DO UPDATE {} RETURNING (xmax = 0)",
        merge(&[
            ("started_at", "LEAST(t.started_at, EXCLUDED.started_at)"),
            ("ended_at", "GREATEST(t.ended_at, EXCLUDED.ended_at)"),
            ("git_commit", "COALESCE(EXCLUDED.git_commit, t.git_commit)"),
            ("exit_reason", "COALESCE(EXCLUDED.exit_reason, t.exit_reason)"),
            ("config", "COALESCE(EXCLUDED.config, t.config)"),
        ])
    )
}

const TASK_WINS: &str = "(task_status_rank(EXCLUDED.status) > task_status_rank(t.status)
    OR (task_status_rank(EXCLUDED.status) = task_status_rank(t.status) AND EXCLUDED.status_at > t.status_at))";
const WORKER_WINS: &str = "(worker_status_rank(EXCLUDED.status) > worker_status_rank(t.status)
    OR (worker_status_rank(EXCLUDED.status) = worker_status_rank(t.status) AND EXCLUDED.status_at > t.status_at))";

fn task_sql() -> String {
    let status = format!("CASE WHEN {TASK_WINS} THEN EXCLUDED.status ELSE t.status END");
    let status_at = format!("CASE WHEN {TASK_WINS} THEN EXCLUDED.status_at ELSE t.status_at END");
    format!(
        "INSERT INTO tasks AS t (task_id, session_id, issue_number, title, detected_at, started_at,
             completed_at, failed_at, status, status_at, pr_number)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5, $10)
         ON CONFLICT (task_id) DO UPDATE {} RETURNING (xmax = 0)",
        merge(&[
            ("session_id", "COALESCE(EXCLUDED.session_id, t.session_id)"),
            (
                "issue_number",
                "COALESCE(EXCLUDED.issue_number, t.issue_number)"
            ),
            ("title", "COALESCE(EXCLUDED.title, t.title)"),
            ("detected_at", "LEAST(t.detected_at, EXCLUDED.detected_at)"),
            ("started_at", "LEAST(t.started_at, EXCLUDED.started_at)"),
            (
                "completed_at",
                "LEAST(t.completed_at, EXCLUDED.completed_at)"
            ),
            ("failed_at", "LEAST(t.failed_at, EXCLUDED.failed_at)"),
            ("status", &status),
            ("status_at", &status_at),
            ("pr_number", "COALESCE(EXCLUDED.pr_number, t.pr_number)"),
        ])
    )
}

fn worker_sql() -> String {
    let status = format!("CASE WHEN {WORKER_WINS} THEN EXCLUDED.status ELSE t.status END");
    let status_at = format!("CASE WHEN {WORKER_WINS} THEN EXCLUDED.status_at ELSE t.status_at END");
    format!(
        "INSERT INTO workers AS t (worker_id, session_id, task_id, spawned_at, completed_at, pid,
             status, status_at, exit_code, log_file)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $4, $8, $9)
         ON CONFLICT (worker_id) DO UPDATE {} RETURNING (xmax = 0)",
        merge(&[
            ("session_id", "COALESCE(EXCLUDED.session_id, t.session_id)"),
            ("task_id", "COALESCE(EXCLUDED.task_id, t.task_id)"),
            ("spawned_at", "LEAST(t.spawned_at, EXCLUDED.spawned_at)"),
            (
                "completed_at",
                "LEAST(t.completed_at, EXCLUDED.completed_at)"
            ),
            ("pid", "COALESCE(EXCLUDED.pid, t.pid)"),
            ("status", &status),
            ("status_at", &status_at),
            ("exit_code", "COALESCE(EXCLUDED.exit_code, t.exit_code)"),
            ("log_file", "COALESCE(EXCLUDED.log_file, t.log_file)"),
        ])
    )
}

const EVENT_SQL: &str = "INSERT INTO events (event_key, session_id, timestamp, event_type,
        context_type, context_id, severity, message, details)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (event_key) DO NOTHING RETURNING true";

/// Upserts `records` in one transaction (a savepoint inside the caller's).
pub async fn upsert_agent_records(
    client: &mut impl GenericClient,
    records: &[AgentRecord],
) -> Result<UpsertCounts, DbError> {
    let mut counts = UpsertCounts::default();
    if records.is_empty() {
        return Ok(counts);
    }
    let tx = client.transaction().await?;
    let session = tx.prepare(&session_sql()).await?;
    let task = tx.prepare(&task_sql()).await?;
    let worker = tx.prepare(&worker_sql()).await?;
    let event = tx.prepare(EVENT_SQL).await?;
    for r in records {
        let row = match r {
            AgentRecord::Session(s) => tx.query_opt(&session, &session_params(s)).await?,
            AgentRecord::Task(t) => {
                let at = |status: TaskStatus| (t.status == status).then_some(t.ts);
                let (active, completed, failed) = (
                    at(TaskStatus::Active),
                    at(TaskStatus::Completed),
                    at(TaskStatus::Failed),
                );
                let params: [&(dyn ToSql + Sync); 10] = [
                    &t.task_id,
                    &t.session_id,
                    &t.issue_number,
                    &t.title,
                    &t.ts,
                    &active,
                    &completed,
                    &failed,
                    &t.status,
                    &t.pr_number,
                ];
                tx.query_opt(&task, &params).await?
            }
            AgentRecord::Worker(w) => {
                let completed = (w.status != WorkerStatus::Spawned).then_some(w.ts);
                let params: [&(dyn ToSql + Sync); 9] = [
                    &w.worker_id,
                    &w.session_id,
                    &w.task_id,
                    &w.ts,
                    &completed,
                    &w.pid,
                    &w.status,
                    &w.exit_code,
                    &w.log_file,
                ];
                tx.query_opt(&worker, &params).await?
            }
            AgentRecord::Event(e) => {
                let key = e.key.0.as_slice();
                let params: [&(dyn ToSql + Sync); 9] = [
                    &key,
                    &e.session_id,
                    &e.ts,
                    &e.event_type,
                    &e.context_type,
                    &e.context_id,
                    &e.severity,
                    &e.message,
                    &e.details,
                ];
                let inserted = tx.query_opt(&event, &params).await?.is_some();
                if inserted {
                    counts.inserted += 1;
                } else {
                    counts.duplicates += 1;
                }
                continue;
            }
        };
        match row.map(|r| r.get::<_, bool>(0)) {
            Some(true) => counts.inserted += 1,
            Some(false) => counts.updated += 1,
            None => counts.duplicates += 1,
        }
    }
    tx.commit().await?;
    Ok(counts)
}

fn session_params(s: &SessionRecord) -> [&(dyn ToSql + Sync); 6] {
    // Until its 'started' line arrives, a session is known to exist from its first record.
    let started = s.started_at.as_ref().unwrap_or(&s.ts);
    [
        &s.session_id,
        started,
        &s.ended_at,
        &s.git_commit,
        &s.exit_reason,
        &s.config,
    ]
}
