//! Claude Code transcripts: one LLM call per API response. A response is written as several
//! lines (one per content block, streamed partials first) sharing `message.id` and
//! `requestId`; sidechain (subagent) lines may repeat it. The call is keyed by those ids and
//! its first line's timestamp, and only a line with larger usage replaces what was kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::reader::{Parsed, Record};
use super::typed::{ClaudeUsage, Count, Probe};
use crate::csv::parse_timestamp;
use crate::model::{branch_name, Attribution, CallSource, DedupKey, LlmCall, Tokens, Tool};
use crate::pricing::PriceBook;

#[derive(Default)]
pub(super) struct ClaudeState {
    /// Per response: first timestamp and the largest total usage seen.
    pub(super) seen: HashMap<[u8; 16], (DateTime<Utc>, u64)>,
}

impl ClaudeState {
    pub(super) fn parse(&mut self, v: &Probe<'_>) -> Result<Parsed, String> {
        let Some(msg) = v.message.get().filter(|m| m.usage.present()) else {
            return Ok(Parsed::Skipped);
        };
        if v.ty.as_deref() != Some("assistant") || v.is_api_error_message.get() == Some(&true) {
            return Ok(Parsed::Skipped);
        }
        let model = msg.model.as_deref().ok_or("message.model is missing")?;
        if model == "<synthetic>" {
            return Ok(Parsed::Skipped);
        }
        let id = msg.id.as_deref().ok_or("message.id is missing")?;
        let request = v.request_id.as_deref().unwrap_or("");
        let ts = v
            .timestamp
            .as_deref()
            .ok_or_else(|| "missing timestamp".to_string())
            .and_then(|t| parse_timestamp(t).map_err(|e| format!("timestamp: {e}")))?;
        let usage = msg.usage.get();
        let u = |f: fn(&ClaudeUsage) -> Count| usage.map_or(0, |u| f(u).0);
        // Anthropic's input_tokens already excludes cache reads and writes.
        let tokens = Tokens {
            input: u(|u| u.input_tokens),
            cache_read: u(|u| u.cache_read_input_tokens),
            cache_write: u(|u| u.cache_creation_input_tokens),
            cache_write_1h: one_hour_writes(usage)?,
            output: u(|u| u.output_tokens),
        };
        let mut h = Sha256::new();
        h.update(id.as_bytes());
        h.update([0]);
        h.update(request.as_bytes());
        let mut ident = [0u8; 16];
        ident.copy_from_slice(&h.finalize()[..16]);
        let first_ts = match self.seen.get_mut(&ident) {
            Some((_, max)) if tokens.total() <= *max => return Ok(Parsed::Duplicate),
            Some((first, max)) => {
                *max = tokens.total();
                *first
            }
            None => {
                self.seen.insert(ident, (ts, tokens.total()));
                ts
            }
        };
        Ok(Parsed::Record(Record::Call(LlmCall {
            dedup_key: DedupKey::derive(
                CallSource::ClaudeCode.as_str(),
                first_ts,
                &[id.as_bytes(), request.as_bytes()],
            ),
            source: CallSource::ClaudeCode,
            timestamp: first_ts,
            model: model.to_string(),
            prompt_name: v.attribution_agent.as_deref().map(str::to_string),
            phase: None,
            cost: PriceBook::shipped().cost(model, &tokens, None),
            source_cost_usd: None,
            tokens,
            success: None,
            error_message: None,
            duration_ms: None,
            session_id: v.session_id.as_deref().map(str::to_string),
            worker_id: v.agent_id.as_deref().map(str::to_string),
            task_id: None,
            notes: None,
            project_id: None,
            attribution: Attribution {
                tool: Some(Tool::ClaudeCode),
                git_branch: v.git_branch.as_deref().and_then(branch_name),
                app_version: v.version.as_deref().map(str::to_string),
                cwd: v.cwd.as_deref().map(str::to_string),
                ..Attribution::default()
            },
        })))
    }
}

/// `usage.cache_creation.ephemeral_1h_input_tokens`: of the cache writes, those kept an hour
/// (absent in older transcripts: all 5-minute). More than the total cannot be billed.
fn one_hour_writes(usage: Option<&ClaudeUsage>) -> Result<u32, String> {
    let Some(usage) = usage else { return Ok(0) };
    let Some(split) = usage.cache_creation.get() else {
        return Ok(0);
    };
    let (hour, all) = (
        split.ephemeral_1h_input_tokens.0,
        usage.cache_creation_input_tokens.0,
    );
    if hour > all {
        return Err(format!(
            "message.usage.cache_creation.ephemeral_1h_input_tokens: {hour} is more than cache_creation_input_tokens ({all})"
        ));
    }
    Ok(hour)
}
