//! Line-by-line JSONL reader: decides each line's format and keeps the little state the
//! formats need (Claude Code message ids, the Codex model and running totals).

use std::io::BufRead;

use serde_json::Value;

use super::agent::{self, AgentRecord, AgentState};
use super::claude::ClaudeState;
use super::codex::CodexState;
use super::line_io::read_line;
use super::prefilter::carries_nothing;
use super::str_field;
use super::typed::Probe;
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
    pub(super) line: u64,
    bytes: u64,
    /// Bytes and lines up to the end of the last line read whole (with its newline).
    complete_bytes: u64,
    pub(super) complete_line: u64,
    pub(super) claude: ClaudeState,
    pub(super) codex: CodexState,
    pub(super) agent: AgentState,
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        Self {
            input,
            buf: Vec::with_capacity(64 * 1024),
            line: 0,
            bytes: 0,
            complete_bytes: 0,
            complete_line: 0,
            claude: ClaudeState::default(),
            codex: CodexState::default(),
            agent: AgentState::default(),
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Bytes up to the end of the last line that ended in a newline: where a later read of
    /// the grown file resumes (a last line still being written is read again then).
    pub fn complete_bytes(&self) -> u64 {
        self.complete_bytes
    }

    /// Lines read whole (ended by a newline) so far.
    pub fn complete_lines(&self) -> u64 {
        self.complete_line
    }

    fn classify(&mut self, line: u64) -> Line {
        // Moved out for the parse, so the parsers' state can change while the text is borrowed.
        let buf = std::mem::take(&mut self.buf);
        let result = self.parse_text(&buf);
        self.buf = buf;
        match result {
            Ok(Parsed::Record(record)) => Line::Record { line, record },
            Ok(Parsed::Duplicate) => Line::Duplicate { line },
            Ok(Parsed::Skipped) => Line::Skipped { line },
            Err(reason) => self.reject(line, reason),
        }
    }

    fn parse_text(&mut self, buf: &[u8]) -> Result<Parsed, String> {
        if carries_nothing(buf) {
            return Ok(Parsed::Skipped);
        }
        let text = std::str::from_utf8(buf)
            .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?
            .trim();
        // Transcript lines take the typed path; anything else, or a line whose fields do not
        // have the types the formats use, is read as a JSON value to say what it is.
        match serde_json::from_str::<Probe>(text) {
            Ok(p) => {
                let has = Fields {
                    payload: p.payload.present(),
                    timestamp: p.timestamp.is_some(),
                    session_or_message: p.session_id.is_some() || p.message.present(),
                };
                match route(p.kind(), has) {
                    Route::Codex => self.codex.parse(p.kind(), &p),
                    Route::Claude => self.claude.parse(&p),
                    _ => self.classify_value(text, None),
                }
            }
            Err(e) if e.is_syntax() || e.is_eof() => Err(format!("invalid JSON: {e}")),
            Err(e) => self.classify_value(text, Some(e)),
        }
    }

    /// A line that is not a transcript line, or one whose typed reading failed with
    /// `typed_error`.
    fn classify_value(
        &mut self,
        text: &str,
        typed_error: Option<serde_json::Error>,
    ) -> Result<Parsed, String> {
        let value: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => return Err("not a JSON object".into()),
            Err(e) => return Err(format!("invalid JSON: {e}")),
        };
        let present = |name| value.get(name).is_some_and(|v| !v.is_null());
        let kind = str_field(&value, "kind")
            .or_else(|| str_field(&value, "type"))
            .unwrap_or("");
        let has = Fields {
            payload: value.get("payload").is_some(),
            timestamp: present("timestamp"),
            session_or_message: present("sessionId") || value.get("message").is_some(),
        };
        match route(kind, has) {
            Route::Other => other_kind(kind, &value).unwrap_or(Ok(Parsed::Skipped)),
            Route::Agent => self.agent.parse(kind, &value),
            Route::Codex | Route::Claude => Err(match typed_error {
                Some(e) => format!("a field has the wrong type: {e}"),
                None => "a transcript line the typed reader did not take".into(),
            }),
            Route::Unknown => Err(format!(
                "unknown record: expected \"kind\" (or \"type\") to be one of {}, briefing, job, {}, or a Claude Code or Codex line",
                agent::KINDS.join(", "),
                ARCHIVED_KIND
            )),
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

/// Which parser a line's kind and fields select.
enum Route {
    Other,
    Agent,
    Codex,
    Claude,
    Unknown,
}

/// Which routing fields a line has (null counts as absent for the scalars).
struct Fields {
    payload: bool,
    timestamp: bool,
    session_or_message: bool,
}

fn route(kind: &str, has: Fields) -> Route {
    if matches!(kind, "briefing" | "job" | ARCHIVED_KIND) {
        Route::Other
    } else if agent::KINDS.contains(&kind) {
        Route::Agent
    } else if has.payload && has.timestamp {
        Route::Codex
    } else if has.session_or_message || claude_kind(kind) {
        Route::Claude
    } else {
        Route::Unknown
    }
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
            let n = match read_line(&mut self.input, &mut self.buf, MAX_LINE_BYTES + 1) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => return Some(Err(e)),
            };
            self.bytes += n as u64;
            self.line += 1;
            let line = self.line;
            if self.buf.last() == Some(&b'\n') {
                self.complete_bytes = self.bytes;
                self.complete_line = line;
            }
            if self.buf.len() > MAX_LINE_BYTES && self.buf.last() != Some(&b'\n') {
                // Consume the rest of the over-long line without keeping it.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    match read_line(&mut self.input, &mut rest, 1 << 20) {
                        Ok(0) => break,
                        Ok(k) => {
                            self.bytes += k as u64;
                            if rest.last() == Some(&b'\n') {
                                self.complete_bytes = self.bytes;
                                self.complete_line = line;
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
