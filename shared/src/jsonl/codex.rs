//! OpenAI Codex CLI sessions: `token_count` events carry a running total; a turn's usage is
//! the difference from the previous total (the event's own `last_token_usage` for the first
//! one in a file), and the model is the latest `turn_context`'s. OpenAI counts cached tokens
//! inside input tokens: they are split out, as Anthropic reports them, so totals compare.

use serde_json::Value;

use super::reader::{Parsed, Record};
use super::{count_field, str_field, time_field};
use crate::model::{CallSource, DedupKey, LlmCall, Tokens};
use crate::pricing::PriceBook;

/// Model recorded when a token count comes before any turn context.
const UNKNOWN_MODEL: &str = "unknown";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Usage {
    input: u32,
    cached: u32,
    cache_write: u32,
    output: u32,
    total: u32,
}

impl Usage {
    fn from(v: &Value, path: &str) -> Result<Usage, String> {
        let f = |name| count_field(v, name).map_err(|e| format!("{path}.{e}"));
        Ok(Usage {
            input: f("input_tokens")?,
            cached: f("cached_input_tokens")?,
            cache_write: f("cache_write_input_tokens")?,
            output: f("output_tokens")?,
            total: f("total_tokens")?,
        })
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

#[derive(Default)]
pub(super) struct CodexState {
    session: Option<String>,
    model: Option<String>,
    previous: Option<Usage>,
}

impl CodexState {
    pub(super) fn parse(&mut self, kind: &str, v: &Value) -> Result<Parsed, String> {
        let payload = &v["payload"];
        match (kind, str_field(payload, "type")) {
            ("session_meta", _) => {
                self.session = str_field(payload, "id")
                    .or_else(|| str_field(payload, "session_id"))
                    .map(str::to_string);
                self.previous = None;
                Ok(Parsed::Skipped)
            }
            ("turn_context", _) => {
                if let Some(m) = str_field(payload, "model") {
                    self.model = Some(m.to_string());
                }
                Ok(Parsed::Skipped)
            }
            ("event_msg", Some("token_count")) => self.token_count(v, payload),
            _ => Ok(Parsed::Skipped),
        }
    }

    fn token_count(&mut self, v: &Value, payload: &Value) -> Result<Parsed, String> {
        let info = &payload["info"];
        if info.is_null() {
            // Rate-limit-only updates carry no usage.
            return Ok(Parsed::Skipped);
        }
        let total = Usage::from(&info["total_token_usage"], "payload.info.total_token_usage")?;
        let turn = match self.previous {
            Some(prev) if prev == total => return Ok(Parsed::Duplicate),
            Some(prev) => total.since(prev),
            None => None,
        };
        let turn = match turn {
            Some(t) => t,
            None => match info.get("last_token_usage") {
                Some(last) if !last.is_null() => {
                    Usage::from(last, "payload.info.last_token_usage")?
                }
                _ => total,
            },
        };
        self.previous = Some(total);
        let ts = time_field(v, &["timestamp"])?;
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
        })))
    }
}
