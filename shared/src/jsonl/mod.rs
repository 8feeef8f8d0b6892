//! JSONL logs, one JSON object per line, in three formats recognised line by line:
//! agent lifecycle records (`agent`), Claude Code transcripts (`claude`) and OpenAI Codex CLI
//! sessions (`codex`). [`JsonlReader`] streams a file and yields one [`Line`] per line.

mod agent;
mod claude;
mod codex;
mod conversation;
mod line_io;
mod prefilter;
mod reader;
mod resume;
mod store;
mod typed;

pub use agent::{
    AgentRecord, ApiCallParser, EventRecord, SessionRecord, TaskRecord, TaskStatus, WorkerRecord,
    WorkerStatus,
};
pub use conversation::{conversation, Turn};
pub use reader::{JsonlReader, Line, Record, MAX_LINE_BYTES};
pub use resume::ReaderState;
pub use store::upsert_agent_records;

pub(crate) use crate::csv::time_field;

use serde_json::Value;

/// A string field, or `None` when absent or null.
fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
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
