//! OpenAI Codex CLI sessions: `token_count` events carry a running total; a turn's usage is
//! the difference from the previous total (the event's own `last_token_usage` for the first
//! one in a file), and the model is the latest `turn_context`'s. OpenAI counts cached tokens
//! inside input tokens: they are split out, as Anthropic reports them, so totals compare.

use super::reader::{Parsed, Record};
use super::typed::{CodexUsage, Payload, Probe};
use crate::csv::parse_timestamp;
use crate::model::{
    branch_name, repository_of_remote, Attribution, CallSource, DedupKey, LlmCall, Tokens, Tool,
};
use crate::pricing::PriceBook;

/// Model recorded when a token count comes before any turn context.
const UNKNOWN_MODEL: &str = "unknown";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Usage {
    pub(super) input: u32,
    pub(super) cached: u32,
    pub(super) cache_write: u32,
    pub(super) output: u32,
    pub(super) total: u32,
}

impl Usage {
    fn from(u: Option<&CodexUsage>) -> Usage {
        let Some(u) = u else {
            return Usage::default();
        };
        Usage {
            input: u.input_tokens.0,
            cached: u.cached_input_tokens.0,
            cache_write: u.cache_write_input_tokens.0,
            output: u.output_tokens.0,
            total: u.total_tokens.0,
        }
    }

    /// `self - earlier`, or `None` when a counter went backwards (a new session's totals).
    fn since(self, earlier: Usage) -> Option<Usage> {
        Some(Usage {
            input: self.input.checked_sub(earlier.input)?,
            cached: self.cached.checked_sub(earlier.cached)?,
            cache_write: self.cache_write.checked_sub(earlier.cache_write)?,
            output: self.output.checked_sub(earlier.output)?,
            total: self.total.checked_sub(earlier.total)?,
        })
    }
}

/// Where and with what version a session ran, from its `session_meta` and `turn_context`.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct SessionPlace {
    cwd: Option<String>,
    branch: Option<String>,
    repository: Option<String>,
    version: Option<String>,
}

#[derive(Default)]
pub(super) struct CodexState {
    pub(super) session: Option<String>,
    pub(super) model: Option<String>,
    pub(super) previous: Option<Usage>,
    pub(super) place: SessionPlace,
}

impl CodexState {
    pub(super) fn parse(&mut self, kind: &str, v: &Probe<'_>) -> Result<Parsed, String> {
        let Some(payload) = v.payload.get() else {
            return Ok(Parsed::Skipped);
        };
        match (kind, payload.ty.as_deref()) {
            ("session_meta", _) => {
                self.session = payload
                    .id
                    .as_deref()
                    .or(payload.session_id.as_deref())
                    .map(str::to_string);
                self.previous = None;
                let git = payload.git.get();
                self.place = SessionPlace {
                    cwd: payload.cwd.as_deref().map(str::to_string),
                    branch: git.and_then(|g| g.branch.as_deref()).and_then(branch_name),
                    repository: git
                        .and_then(|g| g.repository_url.as_deref())
                        .and_then(repository_of_remote),
                    version: payload.cli_version.as_deref().map(str::to_string),
                };
                Ok(Parsed::Skipped)
            }
            ("turn_context", _) => {
                if let Some(m) = payload.model.as_deref() {
                    self.model = Some(m.to_string());
                }
                if let Some(cwd) = payload.cwd.as_deref() {
                    self.place.cwd = Some(cwd.to_string());
                }
                Ok(Parsed::Skipped)
            }
            ("event_msg", Some("token_count")) => self.token_count(v, payload),
            _ => Ok(Parsed::Skipped),
        }
    }

    fn token_count(&mut self, v: &Probe<'_>, payload: &Payload<'_>) -> Result<Parsed, String> {
        let Some(info) = payload.info.get() else {
            // Rate-limit-only updates carry no usage.
            return Ok(Parsed::Skipped);
        };
        let total = Usage::from(info.total_token_usage.get());
        let turn = match self.previous {
            Some(prev) if prev == total => return Ok(Parsed::Duplicate),
            Some(prev) => total.since(prev),
            None => None,
        };
        let turn = match turn {
            Some(t) => t,
            None => match info.last_token_usage.get() {
                Some(last) => Usage::from(Some(last)),
                None => total,
            },
        };
        // A turn refused for its time still moves the total: its tokens are its own.
        self.previous = Some(total);
        let ts = v
            .timestamp
            .as_deref()
            .ok_or_else(|| "missing timestamp".to_string())
            .and_then(|t| parse_timestamp(t).map_err(|e| format!("timestamp: {e}")))?;
        let tokens = Tokens {
            input: turn
                .input
                .saturating_sub(turn.cached)
                .saturating_sub(turn.cache_write),
            cache_read: turn.cached,
            cache_write: turn.cache_write,
            // OpenAI reports one cache-write lifetime.
            cache_write_1h: 0,
            output: turn.output,
        };
        let model = self.model.as_deref().unwrap_or(UNKNOWN_MODEL);
        let session = self.session.as_deref().unwrap_or("");
        Ok(Parsed::Record(Record::Call(LlmCall {
            // The running total identifies the turn within its session.
            dedup_key: DedupKey::derive(
                CallSource::Codex.as_str(),
                ts,
                &[session.as_bytes(), &total.total.to_le_bytes()],
            ),
            source: CallSource::Codex,
            timestamp: ts,
            model: model.to_string(),
            prompt_name: None,
            phase: None,
            cost: PriceBook::shipped().cost(model, &tokens, None),
            source_cost_usd: None,
            tokens,
            success: None,
            error_message: None,
            duration_ms: None,
            session_id: self.session.clone(),
            worker_id: None,
            task_id: None,
            notes: None,
            project_id: None,
            attribution: Attribution {
                tool: Some(Tool::Codex),
                repository: self.place.repository.clone(),
                git_branch: self.place.branch.clone(),
                user_id: None,
                app_version: self.place.version.clone(),
                cwd: self.place.cwd.clone(),
            },
        })))
    }
}
