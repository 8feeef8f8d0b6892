//! Writes of briefings and jobs, each with its outbox events in the caller's transaction:
//! `briefing_added` (plus `session_blocked` and `doc_drift_warning` when they apply) for a
//! new briefing, `job_completed` once a job reaches a final status.

use serde_json::json;
use tokio_postgres::GenericClient;

use super::records::{BriefingRecord, JobRecord};
use crate::db::DbError;
use crate::outbox::{append, BroadcastLevel, EventKind, NewEvent};
use crate::store::UpsertCounts;

/// What an upsert did with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored for the first time.
    Inserted,
    /// Stored before, changed now.
    Updated,
    /// Already stored as sent (or newer).
    Duplicate,
}

/// The counts of `written`.
pub fn counts(written: &[Written]) -> UpsertCounts {
    let mut c = UpsertCounts::default();
    for w in written {
        match w {
            Written::Inserted => c.inserted += 1,
            Written::Updated => c.updated += 1,
            Written::Duplicate => c.duplicates += 1,
        }
    }
    c
}

/// Creates the projects `ids` name, if missing (a JSONL upload may be first to name one).
async fn ensure_projects(client: &impl GenericClient, ids: &[&str]) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO projects (project_id, repo_name)
             SELECT p, split_part(p, '__', 1) FROM unnest($1::text[]) AS p
             ON CONFLICT (project_id) DO NOTHING",
            &[&ids],
        )
        .await?;
    Ok(())
}

/// Upserts briefings on the seed's key (project, session, task, ended_at): a new one is
/// inserted, a changed one updated, an identical one is a duplicate.
pub async fn upsert_briefings(
    client: &impl GenericClient,
    briefings: &[BriefingRecord],
) -> Result<Vec<Written>, DbError> {
    let mut written = Vec::with_capacity(briefings.len());
    let projects: Vec<&str> = briefings.iter().map(|b| b.project_id.as_str()).collect();
    ensure_projects(client, &projects).await?;
    for b in briefings {
        let row = client
            .query_opt(
                "INSERT INTO briefings AS t (project_id, session_id, task_id, status, started_at,
                     ended_at, impact_level, broadcast_level, doc_drift_risk, base_commit,
                     head_commit, branch, blockers, next_steps, docs_touched, files_touched,
                     raw_markdown)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                 ON CONFLICT ON CONSTRAINT briefings_identity DO UPDATE SET
                     status = EXCLUDED.status, started_at = EXCLUDED.started_at,
                     impact_level = EXCLUDED.impact_level, broadcast_level = EXCLUDED.broadcast_level,
                     doc_drift_risk = EXCLUDED.doc_drift_risk, base_commit = EXCLUDED.base_commit,
                     head_commit = EXCLUDED.head_commit, branch = EXCLUDED.branch,
                     blockers = EXCLUDED.blockers, next_steps = EXCLUDED.next_steps,
                     docs_touched = EXCLUDED.docs_touched, files_touched = EXCLUDED.files_touched,
                     raw_markdown = EXCLUDED.raw_markdown
                 WHERE (t.status, t.started_at, t.impact_level, t.broadcast_level, t.doc_drift_risk,
                        t.base_commit, t.head_commit, t.branch, t.blockers, t.next_steps,
                        t.docs_touched, t.files_touched, t.raw_markdown)
                   IS DISTINCT FROM
                       (EXCLUDED.status, EXCLUDED.started_at, EXCLUDED.impact_level,
                        EXCLUDED.broadcast_level, EXCLUDED.doc_drift_risk, EXCLUDED.base_commit,
                        EXCLUDED.head_commit, EXCLUDED.branch, EXCLUDED.blockers,
                        EXCLUDED.next_steps, EXCLUDED.docs_touched, EXCLUDED.files_touched,
                        EXCLUDED.raw_markdown)
                 RETURNING briefing_id, (xmax = 0) AS inserted",
                &[
                    &b.project_id, &b.session_id, &b.task_id, &b.status, &b.started_at,
                    &b.ended_at, &b.impact_level, &b.broadcast_level, &b.doc_drift_risk,
                    &b.base_commit, &b.head_commit, &b.branch, &b.blockers, &b.next_steps,
                    &b.docs_touched, &b.files_touched, &b.raw_markdown,
                ],
            )
            .await?;
        match row.map(|r| (r.get::<_, i64>("briefing_id"), r.get::<_, bool>("inserted"))) {
            None => written.push(Written::Duplicate),
            Some((_, false)) => written.push(Written::Updated),
            Some((id, true)) => {
                written.push(Written::Inserted);
                announce_briefing(client, id, b).await?;
            }
        }
    }
    Ok(written)
}

async fn announce_briefing(
    client: &impl GenericClient,
    id: i64,
    b: &BriefingRecord,
) -> Result<(), DbError> {
    let payload = json!({
        "briefing_id": id, "project_id": b.project_id, "session_id": b.session_id,
        "task_id": b.task_id, "status": b.status, "impact_level": b.impact_level,
        "doc_drift_risk": b.doc_drift_risk, "branch": b.branch, "head_commit": b.head_commit,
        "ended_at": b.ended_at, "blockers": b.blockers, "next_steps": b.next_steps,
    });
    // The record's level was checked against the names when it was parsed.
    let level = b.broadcast_level.as_deref().and_then(BroadcastLevel::parse);
    let mut events = vec![(
        EventKind::BriefingAdded,
        level.unwrap_or(BroadcastLevel::Mention),
    )];
    if b.status == "blocked" {
        events.push((EventKind::SessionBlocked, BroadcastLevel::Alert));
    }
    if b.doc_drift_risk.as_deref() == Some("high") {
        events.push((EventKind::DocDriftWarning, BroadcastLevel::Alert));
    }
    for (kind, level) in events {
        let event = NewEvent {
            kind,
            project_id: Some(&b.project_id),
            broadcast_level: Some(level),
            payload: payload.clone(),
            dedup_key: Some(format!("{}:{id}", kind.as_str())),
        };
        let event_id = append(client, &event).await?;
        client
            .execute(
                "UPDATE outbox_events SET briefing_id = $2 WHERE event_id = $1",
                &[&event_id, &id],
            )
            .await?;
    }
    Ok(())
}

/// Upserts jobs on (project, job id). A status never moves back (a late `running` after
/// `completed` is a duplicate); the first final status writes `job_completed`.
pub async fn upsert_jobs(
    client: &impl GenericClient,
    jobs: &[JobRecord],
) -> Result<Vec<Written>, DbError> {
    let mut written = Vec::with_capacity(jobs.len());
    let projects: Vec<&str> = jobs.iter().map(|j| j.project_id.as_str()).collect();
    ensure_projects(client, &projects).await?;
    const RANK: &str = "CASE $1 WHEN 'queued' THEN 1 WHEN 'running' THEN 2 ELSE 3 END";
    let rank = |col: &str| RANK.replace("$1", col);
    let sql = format!(
        "INSERT INTO jobs AS t (project_id, job_id, type, model, status, ts_created, ts_started,
             ts_finished, repo_root, request, stream_chunks, result, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT ON CONSTRAINT jobs_identity DO UPDATE SET
             type = EXCLUDED.type, model = EXCLUDED.model, status = EXCLUDED.status,
             ts_created = EXCLUDED.ts_created,
             ts_started = coalesce(EXCLUDED.ts_started, t.ts_started),
             ts_finished = coalesce(EXCLUDED.ts_finished, t.ts_finished),
             repo_root = coalesce(EXCLUDED.repo_root, t.repo_root), request = EXCLUDED.request,
             stream_chunks = coalesce(EXCLUDED.stream_chunks, t.stream_chunks),
             result = coalesce(EXCLUDED.result, t.result), error = coalesce(EXCLUDED.error, t.error),
             updated_at = now()
         WHERE {new} >= {old}
           AND (t.type, t.model, t.status, t.ts_created, t.ts_started, t.ts_finished, t.repo_root,
                t.request, t.stream_chunks, t.result, t.error)
           IS DISTINCT FROM
               (EXCLUDED.type, EXCLUDED.model, EXCLUDED.status, EXCLUDED.ts_created,
                coalesce(EXCLUDED.ts_started, t.ts_started), coalesce(EXCLUDED.ts_finished, t.ts_finished),
                coalesce(EXCLUDED.repo_root, t.repo_root), EXCLUDED.request,
                coalesce(EXCLUDED.stream_chunks, t.stream_chunks), coalesce(EXCLUDED.result, t.result),
                coalesce(EXCLUDED.error, t.error))
         RETURNING (xmax = 0) AS inserted, t.status, t.ts_finished, t.error",
        new = rank("EXCLUDED.status"),
        old = rank("t.status"),
    );
    for j in jobs {
        let row = client
            .query_opt(
                &sql,
                &[
                    &j.project_id,
                    &j.job_id,
                    &j.job_type,
                    &j.model,
                    &j.status,
                    &j.ts_created,
                    &j.ts_started,
                    &j.ts_finished,
                    &j.repo_root,
                    &j.request,
                    &j.stream_chunks,
                    &j.result,
                    &j.error,
                ],
            )
            .await?;
        let Some(row) = row else {
            written.push(Written::Duplicate);
            continue;
        };
        written.push(if row.get::<_, bool>("inserted") {
            Written::Inserted
        } else {
            Written::Updated
        });
        let status: String = row.get("status");
        if matches!(status.as_str(), "completed" | "failed" | "canceled") {
            let finished: Option<chrono::DateTime<chrono::Utc>> = row.get("ts_finished");
            let error: Option<String> = row.get("error");
            let event = NewEvent {
                kind: EventKind::JobCompleted,
                project_id: Some(&j.project_id),
                broadcast_level: Some(if status == "completed" {
                    BroadcastLevel::Mention
                } else {
                    BroadcastLevel::Alert
                }),
                payload: json!({"project_id": j.project_id, "job_id": j.job_id, "type": j.job_type,
                                "model": j.model, "status": status, "ts_finished": finished,
                                "error": error}),
                dedup_key: Some(format!("job_completed:{}:{}", j.project_id, j.job_id)),
            };
            append(client, &event).await?;
        }
    }
    Ok(written)
}
