//! [`Validate`] for every record the pipeline writes: each value against its column, the
//! first refusal returned.

use super::tables::{
    briefings as b, coverage_snapshots as cov, events as ev, jobs as j, llm_calls as c,
    sessions as s, tasks as t, telemetry_events as te, workers as w, workflow_runs as wr,
};
use super::ValueError;
use crate::coverage::CoverageSnapshot;
use crate::fleet::{BriefingRecord, FleetRecord, JobRecord};
use crate::github::WorkflowRun;
use crate::jsonl::AgentRecord;
use crate::model::LlmCall;
use crate::store::events::TelemetryEvent;

/// A record that can be checked against the columns it is written to.
pub trait Validate {
    /// `Ok` when every value fits its column; else the first that does not.
    fn validate(&self) -> Result<(), ValueError>;

    /// The record itself when every value fits, else the reason (`column: ...`), the form
    /// parsers reject with.
    fn checked(self) -> Result<Self, String>
    where
        Self: Sized,
    {
        self.validate().map(|()| self).map_err(|e| e.to_string())
    }
}

impl Validate for LlmCall {
    fn validate(&self) -> Result<(), ValueError> {
        c::TIMESTAMP.check_time(self.timestamp)?;
        c::MODEL.check_str(&self.model)?;
        c::PROMPT_NAME.check_opt_str(self.prompt_name.as_deref())?;
        c::PHASE.check_opt_str(self.phase.as_deref())?;
        let k = &self.tokens;
        c::INPUT_TOKENS.check_int(k.input.into())?;
        c::CACHE_READ_TOKENS.check_int(k.cache_read.into())?;
        c::CACHE_WRITE_TOKENS.check_int(k.cache_write.into())?;
        c::CACHE_WRITE_1H_TOKENS.check_int(k.cache_write_1h.into())?;
        c::OUTPUT_TOKENS.check_int(k.output.into())?;
        c::ESTIMATED_COST.check_opt_decimal(self.cost.usd)?;
        c::SOURCE_COST_USD.check_opt_decimal(self.source_cost_usd)?;
        c::PRICE_VERSION.check_opt_str(self.cost.price_version)?;
        c::ERROR_MESSAGE.check_opt_str(self.error_message.as_deref())?;
        c::DURATION_MS.check_opt_int(self.duration_ms.map(i64::from))?;
        c::SESSION_ID.check_opt_str(self.session_id.as_deref())?;
        c::NOTES.check_opt_str(self.notes.as_deref())?;
        c::WORKER_ID.check_opt_str(self.worker_id.as_deref())?;
        c::TASK_ID.check_opt_str(self.task_id.as_deref())?;
        c::PROJECT_ID.check_opt_str(self.project_id.as_deref())
    }
}

impl Validate for AgentRecord {
    fn validate(&self) -> Result<(), ValueError> {
        match self {
            AgentRecord::Session(r) => {
                s::SESSION_ID.check_str(&r.session_id)?;
                s::STARTED_AT.check_time(r.ts)?;
                s::STARTED_AT.check_opt_time(r.started_at)?;
                s::ENDED_AT.check_opt_time(r.ended_at)?;
                s::GIT_COMMIT.check_opt_str(r.git_commit.as_deref())?;
                s::EXIT_REASON.check_opt_str(r.exit_reason.as_deref())?;
                s::CONFIG.check_opt_json(r.config.as_ref())
            }
            AgentRecord::Task(r) => {
                t::TASK_ID.check_str(&r.task_id)?;
                t::SESSION_ID.check_opt_str(r.session_id.as_deref())?;
                t::STATUS.check_str(&r.status)?;
                t::DETECTED_AT.check_time(r.ts)?;
                t::ISSUE_NUMBER.check_opt_int(r.issue_number.map(i64::from))?;
                t::TITLE.check_opt_str(r.title.as_deref())?;
                t::PR_NUMBER.check_opt_int(r.pr_number.map(i64::from))
            }
            AgentRecord::Worker(r) => {
                w::WORKER_ID.check_str(&r.worker_id)?;
                w::SESSION_ID.check_opt_str(r.session_id.as_deref())?;
                w::TASK_ID.check_opt_str(r.task_id.as_deref())?;
                w::STATUS.check_str(&r.status)?;
                w::SPAWNED_AT.check_time(r.ts)?;
                w::LOG_FILE.check_opt_str(r.log_file.as_deref())
            }
            AgentRecord::Event(r) => {
                ev::SESSION_ID.check_opt_str(r.session_id.as_deref())?;
                ev::TIMESTAMP.check_time(r.ts)?;
                ev::EVENT_TYPE.check_str(&r.event_type)?;
                ev::CONTEXT_TYPE.check_opt_str(r.context_type.as_deref())?;
                ev::CONTEXT_ID.check_opt_str(r.context_id.as_deref())?;
                ev::SEVERITY.check_opt_str(r.severity.as_deref())?;
                ev::MESSAGE.check_str(&r.message)?;
                ev::DETAILS.check_opt_json(r.details.as_ref())
            }
        }
    }
}

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

impl Validate for TelemetryEvent {
    fn validate(&self) -> Result<(), ValueError> {
        te::INSERT_ID.check_str(&self.insert_id)?;
        te::EVENT.check_str(&self.event)?;
        te::DISTINCT_ID.check_str(&self.distinct_id)?;
        te::PROPERTIES.check_json(&self.properties)?;
        te::CLIENT_TIMESTAMP.check_opt_time(self.client_timestamp)?;
        te::TIMESTAMP.check_time(self.timestamp)?;
        te::SENT_AT.check_opt_time(self.sent_at)
    }
}

impl Validate for WorkflowRun {
    fn validate(&self) -> Result<(), ValueError> {
        wr::GITHUB_RUN_ID.check_int(self.github_run_id)?;
        wr::RUN_ATTEMPT.check_int(self.run_attempt.into())?;
        wr::REPOSITORY.check_str(&self.repository)?;
        wr::WORKFLOW_NAME.check_str(&self.workflow_name)?;
        wr::BRANCH.check_opt_str(self.branch.as_deref())?;
        wr::COMMIT_SHA.check_opt_str(self.commit_sha.as_deref())?;
        wr::EVENT_TYPE.check_opt_str(self.event_type.as_deref())?;
        wr::STATUS.check_str(&self.status)?;
        wr::CONCLUSION.check_opt_str(self.conclusion.as_deref())?;
        wr::STARTED_AT.check_opt_time(self.started_at)?;
        wr::COMPLETED_AT.check_opt_time(self.completed_at)?;
        wr::DURATION_SECONDS.check_opt_int(self.duration_seconds.map(i64::from))?;
        wr::HTML_URL.check_opt_str(self.html_url.as_deref())?;
        wr::GITHUB_UPDATED_AT.check_time(self.github_updated_at)?;
        wr::GITHUB_CREATED_AT.check_opt_time(self.github_created_at)
    }
}

impl Validate for CoverageSnapshot {
    fn validate(&self) -> Result<(), ValueError> {
        cov::REPOSITORY.check_str(&self.repository)?;
        cov::BRANCH.check_opt_str(self.branch.as_deref())?;
        cov::COMMIT_SHA.check_str(&self.commit_sha)?;
        let n = &self.totals;
        cov::LINES_COVERED.check_int(n.lines_covered)?;
        cov::LINES_TOTAL.check_int(n.lines_total)?;
        cov::BRANCHES_COVERED.check_opt_int(n.branches_covered)?;
        cov::BRANCHES_TOTAL.check_opt_int(n.branches_total)?;
        cov::FUNCTIONS_COVERED.check_opt_int(n.functions_covered)?;
        cov::FUNCTIONS_TOTAL.check_opt_int(n.functions_total)?;
        cov::CAPTURED_AT.check_time(self.captured_at)?;
        cov::PROJECT_ID.check_opt_str(self.project_id.as_deref())
    }
}
