//! Claude Code transcripts: one LLM call per API response. A response is written as several
//! lines (one per content block, streamed partials first) sharing `message.id` and
//! `requestId`; sidechain (subagent) lines may repeat it. The call is keyed by those ids and
//! its first line's timestamp, and only a line with larger usage replaces what was kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::reader::{Parsed, Record};
use super::{count_field, str_field, time_field};
use crate::model::{CallSource, DedupKey, LlmCall, Tokens};
use crate::pricing::PriceBook;

#[derive(Default)]
pub(super) struct ClaudeState {
    /// Per response: first timestamp and the largest total usage seen.
    seen: HashMap<[u8; 16], (DateTime<Utc>, u64)>,
}

impl ClaudeState {
    pub(super) fn parse(&mut self, v: &Value) -> Result<Parsed, String> {
        let Some(msg) = v.get("message").filter(|m| m.get("usage").is_some()) else {
            return Ok(Parsed::Skipped);
        };
        if str_field(v, "type") != Some("assistant")
            || v.get("isApiErrorMessage") == Some(&Value::Bool(true))
        {
            return Ok(Parsed::Skipped);
        }
        let model = str_field(msg, "model").ok_or("message.model is missing")?;
        if model == "<synthetic>" {
            return Ok(Parsed::Skipped);
        }
        let id = str_field(msg, "id").ok_or("message.id is missing")?;
        let request = str_field(v, "requestId").unwrap_or("");
        let ts = time_field(v, &["timestamp"])?;
        let usage = &msg["usage"];
        // Anthropic's input_tokens already excludes cache reads and writes.
        let tokens = Tokens {
            input: count_field(usage, "input_tokens").map_err(|e| format!("message.usage.{e}"))?,
            cache_read: count_field(usage, "cache_read_input_tokens")
                .map_err(|e| format!("message.usage.{e}"))?,
            cache_write: count_field(usage, "cache_creation_input_tokens")
                .map_err(|e| format!("message.usage.{e}"))?,
            cache_write_1h: one_hour_writes(usage)?,
            output: count_field(usage, "output_tokens")
                .map_err(|e| format!("message.usage.{e}"))?,
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
            prompt_name: str_field(v, "attributionAgent").map(str::to_string),
            phase: None,
            cost: PriceBook::shipped().cost(model, &tokens, None),
            source_cost_usd: None,
            tokens,
            success: None,
            error_message: None,
            duration_ms: None,
            session_id: str_field(v, "sessionId").map(str::to_string),
            worker_id: str_field(v, "agentId").map(str::to_string),
            task_id: None,
            notes: None,
            project_id: None,
        })))
    }
}

/// `usage.cache_creation.ephemeral_1h_input_tokens`: of the cache writes, those kept an hour
/// (absent in older transcripts: all 5-minute). More than the total cannot be billed.
fn one_hour_writes(usage: &Value) -> Result<u32, String> {
    let split = &usage["cache_creation"];
    if !split.is_object() {
        return Ok(0);
    }
    let hour = count_field(split, "ephemeral_1h_input_tokens")
        .map_err(|e| format!("message.usage.cache_creation.{e}"))?;
    let all = count_field(usage, "cache_creation_input_tokens")
        .map_err(|e| format!("message.usage.{e}"))?;
    if hour > all {
        return Err(format!(
            "message.usage.cache_creation.ephemeral_1h_input_tokens: {hour} is more than cache_creation_input_tokens ({all})"
        ));
    }
    Ok(hour)
}
