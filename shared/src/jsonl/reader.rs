//! Line-by-line JSONL reader: decides each line's format and keeps the little state the
//! formats need (Claude Code message ids, the Codex model and running totals).

use std::io::BufRead;

use serde_json::Value;

use super::agent::{self, AgentRecord, AgentState};
use super::claude::ClaudeState;
use super::codex::CodexState;
use crate::fleet::{parse_briefing, parse_job, FleetRecord};
use crate::model::LlmCall;
use crate::prune::{parse_archived, ArchivedRow, ARCHIVED_KIND};

/// Lines longer than this are rejected (their bytes are still consumed).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// Raw text kept with a reject, for the rejects file.
const RAW_KEEP: usize = 4096;

/// Something to store.
#[derive(Debug)]
pub enum Record {
    /// An LLM call (Claude Code response, Codex turn, agent `api_call`).
    Call(LlmCall),
    /// A session, task, worker or event record.
    Agent(AgentRecord),
    /// A briefing or job record.
    Fleet(FleetRecord),
    /// A row from an archive object, restored as it was.
    Archived(ArchivedRow),
}

/// What one line turned into; every non-blank line becomes exactly one of these.
// Lines move once, into a batch; boxing the record would cost an allocation per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Line {
    /// A record to upsert.
    Record {
        /// 1-based line number.
        line: u64,
        /// The record.
        record: Record,
    },
    /// A repeat of something this file already said (a streamed copy of a Claude Code
    /// response, a Codex total that did not move): counted as a duplicate.
    Duplicate {
        /// 1-based line number.
        line: u64,
    },
    /// A valid line that carries no telemetry (a user turn, a summary, a snapshot).
    Skipped {
        /// 1-based line number.
        line: u64,
    },
    /// An invalid line.
    Reject {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
        /// The start of the line as read.
        raw: String,
    },
}

/// Streaming reader over a JSONL source.
pub struct JsonlReader<R: BufRead> {
    input: R,
    buf: Vec<u8>,
    line: u64,
    bytes: u64,
    claude: ClaudeState,
    codex: CodexState,
    agent: AgentState,
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        Self {
            input,
            buf: Vec::with_capacity(64 * 1024),
            line: 0,
            bytes: 0,
            claude: ClaudeState::default(),
            codex: CodexState::default(),
            agent: AgentState::default(),
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn classify(&mut self, line: u64) -> Line {
        let text = match std::str::from_utf8(&self.buf) {
            Ok(t) => t.trim(),
            Err(e) => {
                return self.reject(line, format!("invalid UTF-8 at byte {}", e.valid_up_to()))
            }
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => return self.reject(line, "not a JSON object".into()),
            Err(e) => return self.reject(line, format!("invalid JSON: {e}")),
        };
        let kind = value
            .get("kind")
            .or_else(|| value.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let result = if let Some(r) = other_kind(kind, &value) {
            r
        } else if agent::KINDS.contains(&kind) {
            self.agent.parse(kind, &value)
        } else if value.get("payload").is_some() && value.get("timestamp").is_some() {
            self.codex.parse(kind, &value)
        } else if value.get("sessionId").is_some()
            || value.get("message").is_some()
            || claude_kind(kind)
        {
            self.claude.parse(&value)
        } else {
            Err(format!(
                "unknown record: expected \"kind\" (or \"type\") to be one of {}, briefing, job, {}, or a Claude Code or Codex line",
                agent::KINDS.join(", "),
                ARCHIVED_KIND
            ))
        };
        match result {
            Ok(Parsed::Record(record)) => Line::Record { line, record },
            Ok(Parsed::Duplicate) => Line::Duplicate { line },
            Ok(Parsed::Skipped) => Line::Skipped { line },
            Err(reason) => self.reject(line, reason),
        }
    }

    /// The start of the line last read, as a reject shows it.
    pub fn current_raw(&self) -> String {
        String::from_utf8_lossy(&self.buf[..self.buf.len().min(RAW_KEEP)])
            .trim_end()
            .to_string()
    }

    fn reject(&self, line: u64, reason: String) -> Line {
        let raw = self.current_raw();
        Line::Reject { line, reason, raw }
    }
}

/// Briefings, jobs and archived rows.
fn other_kind(kind: &str, value: &Value) -> Option<Result<Parsed, String>> {
    let record = match kind {
        "briefing" => parse_briefing(value, None).map(|b| Record::Fleet(FleetRecord::Briefing(b))),
        "job" => parse_job(value, None).map(|j| Record::Fleet(FleetRecord::Job(j))),
        ARCHIVED_KIND => parse_archived(value).map(Record::Archived),
        _ => return None,
    };
    Some(record.map(Parsed::Record))
}

fn claude_kind(kind: &str) -> bool {
    matches!(
        kind,
        "user"
            | "assistant"
            | "system"
            | "summary"
            | "file-history-snapshot"
            | "queue-operation"
            | "last-prompt"
    )
}

/// What a format parser made of a line.
#[allow(clippy::large_enum_variant)]
pub(super) enum Parsed {
    Record(Record),
    Duplicate,
    Skipped,
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            let n = match std::io::Read::take(&mut self.input, MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
            {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => return Some(Err(e)),
            };
            self.bytes += n as u64;
            self.line += 1;
            let line = self.line;
            if self.buf.len() > MAX_LINE_BYTES && self.buf.last() != Some(&b'\n') {
                // Consume the rest of the over-long line without keeping it.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    match std::io::Read::take(&mut self.input, 1 << 20).read_until(b'\n', &mut rest)
                    {
                        Ok(0) => break,
                        Ok(k) => {
                            self.bytes += k as u64;
                            if rest.last() == Some(&b'\n') {
                                break;
                            }
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
                let reason = format!("line longer than {MAX_LINE_BYTES} bytes");
                return Some(Ok(self.reject(line, reason)));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Ok(self.classify(line)));
        }
    }
}

#[cfg(test)]
mod tests;
