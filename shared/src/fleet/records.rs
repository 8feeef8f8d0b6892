//! Briefings and job records (design seed 003) parsed from JSON, as sent in JSONL
//! (`"kind": "briefing"` / `"kind": "job"`) or in `POST /ingest` (`briefings`, `jobs`).
//! Fields are snake_case; the seed's camelCase names are accepted too.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::project::ProjectId;

/// A completed session summary.
#[derive(Debug, Clone, PartialEq)]
pub struct BriefingRecord {
    /// Project (`{repo}__{8 hex}`).
    pub project_id: String,
    /// Session id.
    pub session_id: Option<String>,
    /// Task id.
    pub task_id: Option<String>,
    /// completed, blocked, failed or waiting_for_input.
    pub status: String,
    /// When the session started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// trivial, minor, moderate or major.
    pub impact_level: Option<String>,
    /// silent, mention or highlight.
    pub broadcast_level: Option<String>,
    /// low, medium or high.
    pub doc_drift_risk: Option<String>,
    /// Commit the session started from.
    pub base_commit: Option<String>,
    /// Commit it ended on.
    pub head_commit: Option<String>,
    /// Branch.
    pub branch: Option<String>,
    /// Blockers (JSON array).
    pub blockers: Value,
    /// Next steps (JSON array).
    pub next_steps: Value,
    /// Documentation paths touched (JSON array).
    pub docs_touched: Value,
    /// File paths touched (JSON array).
    pub files_touched: Value,
    /// The full briefing.
    pub raw_markdown: String,
}

/// A headless job's state.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// Project.
    pub project_id: String,
    /// The sender's job id, unique per project.
    pub job_id: String,
    /// worker_task, skill_patch, doc_patch or commander_turn.
    pub job_type: String,
    /// Model (opus, sonnet, haiku, or a full name).
    pub model: String,
    /// queued, running, completed, failed or canceled.
    pub status: String,
    /// When it was queued.
    pub ts_created: DateTime<Utc>,
    /// When it started.
    pub ts_started: Option<DateTime<Utc>>,
    /// When it finished.
    pub ts_finished: Option<DateTime<Utc>>,
    /// Repository root.
    pub repo_root: Option<String>,
    /// Input parameters.
    pub request: Value,
    /// Stream output, for replay.
    pub stream_chunks: Option<Value>,
    /// Result.
    pub result: Option<Value>,
    /// Error text.
    pub error: Option<String>,
}

/// The first of `names` present and not null.
fn get<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| v.get(*n).filter(|x| !x.is_null()))
}

fn text(v: &Value, names: &[&str]) -> Result<Option<String>, String> {
    match get(v, names) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!("{}: expected a string, found {other}", names[0])),
    }
}

fn required(v: &Value, names: &[&str]) -> Result<String, String> {
    text(v, names)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{}: required", names[0]))
}

fn one_of(v: &Value, names: &[&str], allowed: &[&str]) -> Result<Option<String>, String> {
    match text(v, names)? {
        Some(s) if !allowed.contains(&s.as_str()) => Err(format!(
            "{}: {s:?} is not one of {}",
            names[0],
            allowed.join(", ")
        )),
        other => Ok(other),
    }
}

fn time(v: &Value, names: &[&str]) -> Result<Option<DateTime<Utc>>, String> {
    match get(v, names) {
        None => Ok(None),
        Some(Value::String(_) | Value::Number(_)) => crate::csv::time_field(v, names).map(Some),
        Some(other) => Err(format!("{}: expected a timestamp, found {other}", names[0])),
    }
}

/// A JSON array field; the seed's `*_json` text columns are accepted as JSON text.
fn array(v: &Value, names: &[&str]) -> Result<Value, String> {
    match get(v, names) {
        None => Ok(Value::Array(Vec::new())),
        Some(a @ Value::Array(_)) => Ok(a.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(a @ Value::Array(_)) => Ok(a),
            _ => Err(format!("{}: expected a JSON array", names[0])),
        },
        Some(other) => Err(format!("{}: expected an array, found {other}", names[0])),
    }
}

/// JSON given as a value, or as JSON text (the seed's `*_json` columns).
fn json(v: &Value, names: &[&str]) -> Result<Option<Value>, String> {
    match get(v, names) {
        None => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| format!("{}: invalid JSON text: {e}", names[0])),
        Some(other) => Ok(Some(other.clone())),
    }
}

/// The record's project: `project` (the API key's) when given, which the record may repeat
/// but not contradict.
fn project(v: &Value, project: Option<&str>) -> Result<String, String> {
    let named = text(v, &["project_id", "projectId"])?;
    match (project, named) {
        (Some(p), Some(n)) if n != p => {
            Err(format!("project_id: {n:?} is not this key's project {p:?}"))
        }
        (Some(p), _) => Ok(p.to_string()),
        (None, Some(n)) => ProjectId::parse(&n)
            .map(|p| p.as_str().to_string())
            .map_err(|e| format!("project_id: {e}")),
        (None, None) => Err("project_id: required".into()),
    }
}

/// Parses a briefing.
pub fn parse_briefing(v: &Value, key_project: Option<&str>) -> Result<BriefingRecord, String> {
    if !v.is_object() {
        return Err("a briefing must be a JSON object".into());
    }
    Ok(BriefingRecord {
        project_id: project(v, key_project)?,
        session_id: text(v, &["session_id", "sessionId"])?,
        task_id: text(v, &["task_id", "taskId"])?,
        status: one_of(
            v,
            &["status"],
            &["completed", "blocked", "failed", "waiting_for_input"],
        )?
        .ok_or("status: required")?,
        started_at: time(v, &["started_at", "startedAt"])?,
        ended_at: time(v, &["ended_at", "endedAt"])?,
        impact_level: one_of(
            v,
            &["impact_level", "impactLevel"],
            &["trivial", "minor", "moderate", "major"],
        )?,
        broadcast_level: one_of(
            v,
            &["broadcast_level", "broadcastLevel"],
            &["silent", "mention", "highlight"],
        )?,
        doc_drift_risk: one_of(
            v,
            &["doc_drift_risk", "docDriftRisk"],
            &["low", "medium", "high"],
        )?,
        base_commit: text(v, &["base_commit", "baseCommit"])?,
        head_commit: text(v, &["head_commit", "headCommit"])?,
        branch: text(v, &["branch"])?,
        blockers: array(v, &["blockers", "blockers_json", "blockersJson"])?,
        next_steps: array(v, &["next_steps", "next_steps_json", "nextStepsJson"])?,
        docs_touched: array(v, &["docs_touched", "docs_touched_json", "docsTouchedJson"])?,
        files_touched: array(
            v,
            &["files_touched", "files_touched_json", "filesTouchedJson"],
        )?,
        raw_markdown: required(v, &["raw_markdown", "rawMarkdown"])?,
    })
}

/// Parses a job record.
pub fn parse_job(v: &Value, key_project: Option<&str>) -> Result<JobRecord, String> {
    if !v.is_object() {
        return Err("a job must be a JSON object".into());
    }
    Ok(JobRecord {
        project_id: project(v, key_project)?,
        job_id: required(v, &["job_id", "jobId"])?,
        job_type: one_of(
            v,
            &["job_type", "jobType"],
            &["worker_task", "skill_patch", "doc_patch", "commander_turn"],
        )?
        .ok_or("job_type: required")?,
        model: required(v, &["model"])?,
        status: one_of(
            v,
            &["status"],
            &["queued", "running", "completed", "failed", "canceled"],
        )?
        .ok_or("status: required")?,
        ts_created: time(v, &["ts_created", "tsCreated"])?.ok_or("ts_created: required")?,
        ts_started: time(v, &["ts_started", "tsStarted"])?,
        ts_finished: time(v, &["ts_finished", "tsFinished"])?,
        repo_root: text(v, &["repo_root", "repoRoot"])?,
        request: json(v, &["request", "request_json", "requestJson"])?
            .ok_or("request: required")?,
        stream_chunks: json(
            v,
            &["stream_chunks", "stream_chunks_json", "streamChunksJson"],
        )?,
        result: json(v, &["result", "result_json", "resultJson"])?,
        error: text(v, &["error"])?,
    })
}

/// Briefings and jobs against their columns.
mod validate {
    use super::{BriefingRecord, JobRecord};
    use crate::columns::tables::{briefings as b, jobs as j};
    use crate::columns::{Validate, ValueError};
    use crate::fleet::FleetRecord;

    impl Validate for BriefingRecord {
        fn validate(&self) -> Result<(), ValueError> {
            b::SESSION_ID.check_opt_str(self.session_id.as_deref())?;
            b::TASK_ID.check_opt_str(self.task_id.as_deref())?;
            b::STATUS.check_str(&self.status)?;
            b::STARTED_AT.check_opt_time(self.started_at)?;
            b::ENDED_AT.check_opt_time(self.ended_at)?;
            b::IMPACT_LEVEL.check_opt_str(self.impact_level.as_deref())?;
            b::BROADCAST_LEVEL.check_opt_str(self.broadcast_level.as_deref())?;
            b::DOC_DRIFT_RISK.check_opt_str(self.doc_drift_risk.as_deref())?;
            b::BASE_COMMIT.check_opt_str(self.base_commit.as_deref())?;
            b::HEAD_COMMIT.check_opt_str(self.head_commit.as_deref())?;
            b::BRANCH.check_opt_str(self.branch.as_deref())?;
            b::BLOCKERS.check_json(&self.blockers)?;
            b::NEXT_STEPS.check_json(&self.next_steps)?;
            b::DOCS_TOUCHED.check_json(&self.docs_touched)?;
            b::FILES_TOUCHED.check_json(&self.files_touched)?;
            b::RAW_MARKDOWN.check_str(&self.raw_markdown)
        }
    }

    impl Validate for JobRecord {
        fn validate(&self) -> Result<(), ValueError> {
            j::JOB_ID.check_str(&self.job_id)?;
            j::TYPE.check_str(&self.job_type)?;
            j::MODEL.check_str(&self.model)?;
            j::STATUS.check_str(&self.status)?;
            j::TS_CREATED.check_time(self.ts_created)?;
            j::TS_STARTED.check_opt_time(self.ts_started)?;
            j::TS_FINISHED.check_opt_time(self.ts_finished)?;
            j::REPO_ROOT.check_opt_str(self.repo_root.as_deref())?;
            j::REQUEST.check_json(&self.request)?;
            j::STREAM_CHUNKS.check_opt_json(self.stream_chunks.as_ref())?;
            j::RESULT.check_opt_json(self.result.as_ref())?;
            j::ERROR.check_opt_str(self.error.as_deref())
        }
    }

    impl Validate for FleetRecord {
        fn validate(&self) -> Result<(), ValueError> {
            match self {
                FleetRecord::Briefing(r) => r.validate(),
                FleetRecord::Job(r) => r.validate(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn briefing_in_the_seeds_shape() {
        let b = parse_briefing(
            &json!({"projectId": "mimesis__607a7a7c", "sessionId": "abc123", "taskId": "task-001",
                    "status": "completed", "impactLevel": "minor", "broadcastLevel": "mention",
                    "blockers_json": "[\"waiting on review\"]",
                    "rawMarkdown": "## Summary\n\nFixed login bug..."}),
            None,
        )
        .expect("valid");
        assert_eq!(b.project_id, "mimesis__607a7a7c");
        assert_eq!(b.blockers, json!(["waiting on review"]));
        assert_eq!(b.next_steps, json!([]));
        let err = parse_briefing(
            &json!({"project_id": "mimesis__607a7a7c", "status": "done", "raw_markdown": "x"}),
            None,
        )
        .expect_err("refused");
        assert!(err.starts_with("status: \"done\" is not one of"), "{err}");
        let err = parse_briefing(
            &json!({"project_id": "other__00000000", "status": "completed", "raw_markdown": "x"}),
            Some("mimesis__607a7a7c"),
        )
        .expect_err("refused");
        assert!(err.contains("is not this key's project"), "{err}");
    }

    #[test]
    fn job_needs_its_identity_and_request() {
        let j = parse_job(
            &json!({"project_id": "mimesis__607a7a7c", "job_id": 42, "job_type": "commander_turn",
                    "model": "sonnet", "status": "queued", "ts_created": "2026-11-30T10:00:00Z",
                    "requestJson": "{\"prompt\":\"Generate briefing summary\"}"}),
            None,
        )
        .expect("valid");
        assert_eq!(j.job_id, "42");
        assert_eq!(j.request, json!({"prompt": "Generate briefing summary"}));
        let err = parse_job(
            &json!({"project_id": "mimesis__607a7a7c", "job_id": "1", "job_type": "worker_task",
                                    "model": "opus", "status": "queued", "request": {}}),
            None,
        )
        .expect_err("refused");
        assert_eq!(err, "ts_created: required");
    }
}
