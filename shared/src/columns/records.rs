//! [`Validate`]: a record checked against the columns it is written to, each value against
//! its column, the first refusal returned. Each feature implements it next to its record
//! (`jsonl::AgentRecord`, `github::WorkflowRun`, ...); `LlmCall`, written by several, is here.

use super::tables::llm_calls as c;
use super::ValueError;
use crate::model::LlmCall;

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
        c::PROJECT_ID.check_opt_str(self.project_id.as_deref())?;
        let a = &self.attribution;
        c::REPOSITORY.check_opt_str(a.repository.as_deref())?;
        c::GIT_BRANCH.check_opt_str(a.git_branch.as_deref())?;
        c::USER_ID.check_opt_str(a.user_id.as_deref())?;
        c::APP_VERSION.check_opt_str(a.app_version.as_deref())
    }
}
