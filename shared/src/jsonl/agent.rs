//! Agent lifecycle records (design seed 002), one JSON object per line, named by `kind` (or
//! `type`): `session`, `task`, `worker`, `event`, `api_call`. Times come from `ts` (or
//! `timestamp`). The fields are documented in the README ("Agent lifecycle records").

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::reader::{Parsed, Record};
use super::{count_field, str_field, time_field};
use crate::columns::tables::llm_calls;
use crate::csv::occurrence::Occurrences;
use crate::model::{CallSource, DedupKey, LlmCall, Tokens};
use crate::pricing::PriceBook;

/// The record kinds.
pub const KINDS: [&str; 5] = ["session", "task", "worker", "event", "api_call"];
const TIME: [&str; 2] = ["ts", "timestamp"];

/// A session started or ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// Session id.
    pub session_id: String,
    /// When the session started, if this record says.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended, if this record says.
    pub ended_at: Option<DateTime<Utc>>,
    /// Time of the record (a session is known to exist from then).
    pub ts: DateTime<Utc>,
    /// Commit the coordinator ran.
    pub git_commit: Option<String>,
    /// normal, error, signal.
    pub exit_reason: Option<String>,
    /// Settings snapshot.
    pub config: Option<Value>,
}

crate::text_enum! {
    /// `tasks.status`, in rank order (a status changes only to a higher rank, or the same
    /// rank with a later time).
    pub enum TaskStatus {
        /// Seen for the first time.
        Detected => "detected",
        /// Being worked on.
        Active => "active",
        /// Done.
        Completed => "completed",
        /// Given up.
        Failed => "failed",
    }
}

crate::text_enum! {
    /// `workers.status`, in rank order.
    pub enum WorkerStatus {
        /// Started.
        Spawned => "spawned",
        /// Finished its work.
        Completed => "completed",
        /// Exited with a failure.
        Failed => "failed",
    }
}

/// A task status transition.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// Task id (e.g. gh-450).
    pub task_id: String,
    /// Owning session.
    pub session_id: Option<String>,
    /// The status it moved to.
    pub status: TaskStatus,
    /// When the transition happened.
    pub ts: DateTime<Utc>,
    /// Issue number.
    pub issue_number: Option<i32>,
    /// Title.
    pub title: Option<String>,
    /// Pull request that completed it.
    pub pr_number: Option<i32>,
}

/// A worker status transition.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerRecord {
    /// Worker id (e.g. w-abc123).
    pub worker_id: String,
    /// Owning session.
    pub session_id: Option<String>,
    /// Task it works on.
    pub task_id: Option<String>,
    /// The status it moved to.
    pub status: WorkerStatus,
    /// When the transition happened.
    pub ts: DateTime<Utc>,
    /// Process id.
    pub pid: Option<i32>,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Path of its JSONL conversation log.
    pub log_file: Option<String>,
}

/// A generic event (trigger, decision, error, worktree operation, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Identity: digest of the record and its occurrence in the file.
    pub key: DedupKey,
    /// Session.
    pub session_id: Option<String>,
    /// When.
    pub ts: DateTime<Utc>,
    /// trigger, decision, error, worktree_op, ...
    pub event_type: String,
    /// task, worker, coordinator, ...
    pub context_type: Option<String>,
    /// Id of the related object.
    pub context_id: Option<String>,
    /// debug, info, warning, error.
    pub severity: Option<String>,
    /// Human-readable message.
    pub message: String,
    /// Structured data.
    pub details: Option<Value>,
}

/// A non-call lifecycle record.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentRecord {
    /// Session start/end.
    Session(SessionRecord),
    /// Task transition.
    Task(TaskRecord),
    /// Worker transition.
    Worker(WorkerRecord),
    /// Event.
    Event(EventRecord),
}

#[derive(Default)]
pub(super) struct AgentState {
    pub(super) occurrences: Occurrences,
    /// Store a `user_email` as sent rather than hashed.
    keep_emails: bool,
}

fn req<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    match v.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(format!("missing {name}")),
        Some(other) => Err(format!("{name}: expected a string, found {other}")),
    }
}

fn opt(v: &Value, name: &str) -> Option<String> {
    str_field(v, name).map(str::to_string)
}

fn opt_int(v: &Value, name: &str) -> Result<Option<i32>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{name}: {n} is not a 32-bit whole number")),
        Some(other) => Err(format!("{name}: expected a number, found {other}")),
    }
}

fn one_of(v: &Value, name: &str, allowed: &[&str]) -> Result<String, String> {
    let s = req(v, name)?;
    if allowed.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{name}: {s:?} is not one of {}",
            allowed.join(", ")
        ))
    }
}

/// The `status` field, one of `all`.
fn status_field<T: Copy + std::fmt::Display>(
    v: &Value,
    all: &[T],
    parse: fn(&str) -> Option<T>,
) -> Result<T, String> {
    let names: Vec<String> = all.iter().map(T::to_string).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let s = one_of(v, "status", &names)?;
    parse(&s).ok_or_else(|| format!("status: {s:?}"))
}

impl AgentState {
    pub(super) fn parse(&mut self, kind: &str, v: &Value) -> Result<Parsed, String> {
        let ts = time_field(v, &TIME)?;
        let record = match kind {
            "session" => {
                let status = match v.get("status") {
                    None | Some(Value::Null) => "started".to_string(),
                    Some(_) => one_of(v, "status", &["started", "ended"])?,
                };
                AgentRecord::Session(SessionRecord {
                    session_id: req(v, "session_id")?.to_string(),
                    started_at: (status == "started").then_some(ts),
                    ended_at: (status == "ended").then_some(ts),
                    ts,
                    git_commit: opt(v, "git_commit"),
                    exit_reason: opt(v, "exit_reason"),
                    config: v.get("config").filter(|c| !c.is_null()).cloned(),
                })
            }
            "task" => AgentRecord::Task(TaskRecord {
                task_id: req(v, "task_id")?.to_string(),
                session_id: opt(v, "session_id"),
                status: status_field(v, TaskStatus::ALL, TaskStatus::parse)?,
                ts,
                issue_number: opt_int(v, "issue_number")?,
                title: opt(v, "title"),
                pr_number: opt_int(v, "pr_number")?,
            }),
            "worker" => AgentRecord::Worker(WorkerRecord {
                worker_id: req(v, "worker_id")?.to_string(),
                session_id: opt(v, "session_id"),
                task_id: opt(v, "task_id"),
                status: status_field(v, WorkerStatus::ALL, WorkerStatus::parse)?,
                ts,
                pid: opt_int(v, "pid")?,
                exit_code: opt_int(v, "exit_code")?,
                log_file: opt(v, "log_file"),
            }),
            "event" => {
                let severity = match v.get("severity") {
                    None | Some(Value::Null) => None,
                    Some(_) => Some(one_of(
                        v,
                        "severity",
                        &["debug", "info", "warning", "error"],
                    )?),
                };
                let event = EventRecord {
                    key: DedupKey([0; 16]),
                    session_id: opt(v, "session_id"),
                    ts,
                    event_type: req(v, "event_type")?.to_string(),
                    context_type: opt(v, "context_type"),
                    context_id: opt(v, "context_id"),
                    severity,
                    message: req(v, "message")?.to_string(),
                    details: v.get("details").filter(|d| !d.is_null()).cloned(),
                };
                let key = self.keyed("event", ts, &canonical(v));
                AgentRecord::Event(EventRecord { key, ..event })
            }
            "api_call" => {
                return self
                    .api_call(v, ts)
                    .map(|c| Parsed::Record(Record::Call(c)))
            }
            other => return Err(format!("unknown kind {other:?}")),
        };
        Ok(Parsed::Record(Record::Agent(record)))
    }

    /// A key for a record without an id of its own: its content plus its occurrence, so
    /// two identical lines stay two records and a re-read keeps the same keys.
    fn keyed(&mut self, namespace: &str, ts: DateTime<Utc>, content: &str) -> DedupKey {
        let mut h = Sha256::new();
        h.update(namespace.as_bytes());
        h.update(content.as_bytes());
        let mut ident = [0u8; 16];
        ident.copy_from_slice(&h.finalize()[..16]);
        let ordinal = self.occurrences.next(ident, ts);
        DedupKey::derive(namespace, ts, &[&ident, &ordinal.to_le_bytes()])
    }

    fn api_call(&mut self, v: &Value, ts: DateTime<Utc>) -> Result<LlmCall, String> {
        let model = req(v, "model")?;
        let tokens = Tokens {
            input: count_field(v, "tokens_input")?,
            cache_read: count_field(v, "tokens_cache_read")?,
            cache_write: count_field(v, "tokens_cache_write")?,
            cache_write_1h: count_field(v, "tokens_cache_write_1h")?,
            output: count_field(v, "tokens_output")?,
        };
        if tokens.cache_write_1h > tokens.cache_write {
            return Err(format!(
                "tokens_cache_write_1h: {} is more than tokens_cache_write ({}), which counts both lifetimes",
                tokens.cache_write_1h, tokens.cache_write
            ));
        }
        let source_cost_usd = match v.get("estimated_cost_usd") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_f64() {
                // Rounded as the column stores it, so that a re-read row hashes the same.
                Some(usd) if usd >= 0.0 && usd.is_finite() => {
                    llm_calls::SOURCE_COST_USD
                        .check_opt_decimal(Some(usd))
                        .map_err(|e| format!("estimated_cost_usd: {}", e.reason))?;
                    Some((usd * 1e8).round() / 1e8)
                }
                _ => return Err(format!("estimated_cost_usd: {n} is negative")),
            },
            Some(other) => {
                return Err(format!(
                    "estimated_cost_usd: expected a number, found {other}"
                ))
            }
        };
        // The table prices every call it knows; the record's own figure is kept beside it,
        // and is the cost only of a model no table knows.
        let cost = PriceBook::shipped().cost(model, &tokens, source_cost_usd);
        let duration_ms = match v.get("duration_ms") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(d) if (0.0..=f64::from(i32::MAX)).contains(&d) => Some(d.round() as u32),
                _ => return Err(format!("duration_ms: {n} is out of range")),
            },
            Some(other) => return Err(format!("duration_ms: expected a number, found {other}")),
        };
        let success = match v.get("success") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => return Err(format!("success: expected true or false, found {other}")),
        };
        let dedup_key = match str_field(v, "call_id") {
            Some(id) => DedupKey::derive(CallSource::AgentLog.as_str(), ts, &[id.as_bytes()]),
            None => self.keyed(CallSource::AgentLog.as_str(), ts, &canonical(v)),
        };
        Ok(LlmCall {
            dedup_key,
            source: CallSource::AgentLog,
            timestamp: ts,
            model: model.to_string(),
            prompt_name: None,
            phase: None,
            tokens,
            cost,
            source_cost_usd,
            success,
            error_message: opt(v, "error_message"),
            duration_ms,
            session_id: opt(v, "session_id"),
            worker_id: opt(v, "worker_id"),
            task_id: opt(v, "task_id"),
            notes: None,
            project_id: None,
            attribution: attribution::attribution_of(v, self.keep_emails)?,
        })
    }
}

/// The record as compact JSON with sorted keys (serde_json's map is ordered): two lines
/// that differ only in spacing or key order are the same record.
fn canonical(v: &Value) -> String {
    v.to_string()
}

/// Parses agent-format `api_call` objects one at a time (the HTTP API's LLM-call route):
/// identical calls within one parser stay distinct, and the same list parsed again gives the
/// same keys.
#[derive(Default)]
pub struct ApiCallParser(AgentState);

impl ApiCallParser {
    /// A parser that stores a call's `user_email` as sent (a deployment's
    /// `TELEMETRY_KEEP_EMAILS=1`); by default only its hash, as `user_id`.
    pub fn keeping_emails(keep: bool) -> Self {
        let mut p = Self::default();
        p.0.keep_emails = keep;
        p
    }

    /// One call; the error names the bad field.
    pub fn parse(&mut self, v: &Value) -> Result<LlmCall, String> {
        if !v.is_object() {
            return Err(format!("a call must be an object, found {v}"));
        }
        match self.0.parse("api_call", v)? {
            Parsed::Record(Record::Call(c)) => Ok(c),
            _ => Err("not an LLM call".into()),
        }
    }
}

mod attribution;
mod validate;
