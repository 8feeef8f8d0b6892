//! The fleet's read side (seed 003's repositories): briefings filtered by project, status,
//! impact and doc-drift risk, newest first; job history per project, and the pending jobs.
//! A briefing's time is when it ended (or was stored); a job's when it was created.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{Cursor, Range};
use crate::db::DbError;

/// A briefing's time, as indexed.
const BRIEFING_TIME: &str = "coalesce(b.ended_at, b.created_at)";

/// What to list of the briefings; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct BriefingFilter<'a> {
    /// Project.
    pub project: Option<&'a str>,
    /// `completed`, `blocked`, `failed`, `waiting_for_input`.
    pub status: Option<&'a str>,
    /// `trivial`, `minor`, `moderate`, `major`.
    pub impact: Option<&'a str>,
    /// `low`, `medium`, `high`.
    pub drift: Option<&'a str>,
}

/// One briefing, without its markdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BriefingRow {
    /// Row id (the cursor's tie-break).
    pub briefing_id: i64,
    /// When it ended (or was stored).
    pub at: DateTime<Utc>,
    /// Project.
    pub project_id: String,
    /// Session.
    pub session_id: Option<String>,
    /// Task.
    pub task_id: Option<String>,
    /// Status.
    pub status: String,
    /// Impact.
    pub impact_level: Option<String>,
    /// Broadcast level.
    pub broadcast_level: Option<String>,
    /// Doc-drift risk.
    pub doc_drift_risk: Option<String>,
    /// Branch.
    pub branch: Option<String>,
    /// Head commit.
    pub head_commit: Option<String>,
    /// Blockers.
    pub blockers: Value,
    /// Next steps.
    pub next_steps: Value,
}

impl BriefingRow {
    /// The cursor after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.at,
            id: self.briefing_id,
        }
    }
}

/// A page of briefings in `range` matching `f`, newest first, after `cursor`.
pub async fn briefings(
    client: &impl GenericClient,
    range: &Range,
    f: &BriefingFilter<'_>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<BriefingRow>, DbError> {
    let (at, id) = cursor.map_or((range.until, i64::MAX), |c| (c.at, c.id));
    let p: [&(dyn ToSql + Sync); 9] = [
        &range.since,
        &range.until,
        &f.project,
        &f.status,
        &f.impact,
        &f.drift,
        &at,
        &id,
        &limit,
    ];
    let rows = client
        .query(
            &format!(
                "SELECT b.briefing_id, {BRIEFING_TIME} AS at, b.project_id, b.session_id, b.task_id,
                        b.status, b.impact_level, b.broadcast_level, b.doc_drift_risk, b.branch,
                        b.head_commit, b.blockers, b.next_steps
                 FROM briefings b
                 WHERE {BRIEFING_TIME} >= $1 AND {BRIEFING_TIME} < $2
                   AND ($3::text IS NULL OR b.project_id = $3)
                   AND ($4::text IS NULL OR b.status = $4)
                   AND ($5::text IS NULL OR b.impact_level = $5)
                   AND ($6::text IS NULL OR b.doc_drift_risk = $6)
                   AND ({BRIEFING_TIME}, b.briefing_id) < ($7, $8)
                 ORDER BY {BRIEFING_TIME} DESC, b.briefing_id DESC LIMIT $9"
            ),
            &p,
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| BriefingRow {
            briefing_id: r.get("briefing_id"),
            at: r.get("at"),
            project_id: r.get("project_id"),
            session_id: r.get("session_id"),
            task_id: r.get("task_id"),
            status: r.get("status"),
            impact_level: r.get("impact_level"),
            broadcast_level: r.get("broadcast_level"),
            doc_drift_risk: r.get("doc_drift_risk"),
            branch: r.get("branch"),
            head_commit: r.get("head_commit"),
            blockers: r.get("blockers"),
            next_steps: r.get("next_steps"),
        })
        .collect())
}

/// One job, without its request and stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    /// Row id (the cursor's tie-break).
    #[serde(skip)]
    pub id: i64,
    /// Project.
    pub project_id: String,
    /// The sender's job id.
    pub job_id: String,
    /// `worker_task`, `skill_patch`, `doc_patch`, `commander_turn`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Model.
    pub model: String,
    /// `queued`, `running`, `completed`, `failed`, `canceled`.
    pub status: String,
    /// Created.
    pub ts_created: DateTime<Utc>,
    /// Started.
    pub ts_started: Option<DateTime<Utc>>,
    /// Finished.
    pub ts_finished: Option<DateTime<Utc>>,
    /// Repository root.
    pub repo_root: Option<String>,
    /// The error of a failed job.
    pub error: Option<String>,
}

impl JobRow {
    /// The cursor after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.ts_created,
            id: self.id,
        }
    }
}

/// A page of jobs created in `range` (of `project`; only queued and running ones when
/// `pending`; of `status`), newest first, after `cursor`.
pub async fn jobs(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
    status: Option<&str>,
    pending: bool,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<JobRow>, DbError> {
    let (at, id) = cursor.map_or((range.until, i64::MAX), |c| (c.at, c.id));
    let p: [&(dyn ToSql + Sync); 8] = [
        &range.since,
        &range.until,
        &project,
        &status,
        &pending,
        &at,
        &id,
        &limit,
    ];
    let rows = client
        .query(
            "SELECT id, project_id, job_id, type, model, status, ts_created, ts_started,
                    ts_finished, repo_root, error
             FROM jobs
             WHERE ts_created >= $1 AND ts_created < $2
               AND ($3::text IS NULL OR project_id = $3)
               AND ($4::text IS NULL OR status = $4)
               AND (NOT $5 OR status IN ('queued', 'running'))
               AND (ts_created, id) < ($6, $7)
             ORDER BY ts_created DESC, id DESC LIMIT $8",
            &p,
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| JobRow {
            id: r.get("id"),
            project_id: r.get("project_id"),
            job_id: r.get("job_id"),
            kind: r.get("type"),
            model: r.get("model"),
            status: r.get("status"),
            ts_created: r.get("ts_created"),
            ts_started: r.get("ts_started"),
            ts_finished: r.get("ts_finished"),
            repo_root: r.get("repo_root"),
            error: r.get("error"),
        })
        .collect())
}
