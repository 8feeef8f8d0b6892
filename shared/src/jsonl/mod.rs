//! JSONL logs, one JSON object per line, in three formats recognised line by line:
//! agent lifecycle records (`agent`), Claude Code transcripts (`claude`) and OpenAI Codex CLI
//! sessions (`codex`). [`JsonlReader`] streams a file and yields one [`Line`] per line.

mod agent;
mod claude;
mod codex;
mod reader;

pub use agent::{AgentRecord, ApiCallParser, EventRecord, SessionRecord, TaskRecord, WorkerRecord};
pub use reader::{JsonlReader, Line, Record, MAX_LINE_BYTES};

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A string field, or `None` when absent or null.
fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

/// A timestamp field (RFC 3339 string or epoch number) parsed like CSV timestamps.
pub(crate) fn time_field(v: &Value, names: &[&str]) -> Result<DateTime<Utc>, String> {
    for name in names {
        match v.get(*name) {
            Some(Value::String(s)) => {
                return crate::csv::parse_timestamp(s).map_err(|e| format!("{name}: {e}"))
            }
            Some(Value::Number(n)) => {
                return crate::csv::parse_timestamp(&n.to_string())
                    .map_err(|e| format!("{name}: {e}"))
            }
            _ => {}
        }
    }
    Err(format!("missing {}", names.join(" or ")))
}

/// A non-negative token count that fits the 32-bit columns; absent is 0.
fn count_field(v: &Value, name: &str) -> Result<u32, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|n| *n <= i32::MAX as u64)
            .map(|n| n as u32)
            .ok_or_else(|| format!("{name}: {n} is not a non-negative whole number that fits")),
        Some(other) => Err(format!("{name}: expected a number, found {other}")),
    }
}
