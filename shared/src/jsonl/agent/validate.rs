//! Each agent record against the table it lands in.

use super::AgentRecord;
use crate::columns::tables::{events as ev, sessions as s, tasks as t, workers as w};
use crate::columns::{Validate, ValueError};

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
                t::STATUS.check_str(r.status.as_str())?;
                t::DETECTED_AT.check_time(r.ts)?;
                t::ISSUE_NUMBER.check_opt_int(r.issue_number.map(i64::from))?;
                t::TITLE.check_opt_str(r.title.as_deref())?;
                t::PR_NUMBER.check_opt_int(r.pr_number.map(i64::from))
            }
            AgentRecord::Worker(r) => {
                w::WORKER_ID.check_str(&r.worker_id)?;
                w::SESSION_ID.check_opt_str(r.session_id.as_deref())?;
                w::TASK_ID.check_opt_str(r.task_id.as_deref())?;
                w::STATUS.check_str(r.status.as_str())?;
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
