//! LLM calls as column arrays, for statements that read `UNNEST($1, $2, ...)`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;

use super::Usd;
use crate::model::LlmCall;

/// Every column a write sets, in parameter order: (column, alias in [`UNNEST_ARGS`], type).
/// The one list that the COPY, the INSERT, both UPDATEs and [`CallColumns::params`] follow.
const COLUMNS: [(&str, &str, &str); 29] = [
    ("dedup_key", "k", "bytea"),
    ("content_hash", "h", "int8"),
    ("source", "s", "text"),
    ("timestamp", "ts", "timestamptz"),
    ("model", "m", "text"),
    ("prompt_name", "pn", "text"),
    ("phase", "ph", "text"),
    ("input_tokens", "it", "int4"),
    ("cache_read_tokens", "cr", "int4"),
    ("cache_write_tokens", "cw", "int4"),
    ("output_tokens", "ot", "int4"),
    ("estimated_cost", "c", "numeric"),
    ("cost_status", "cs", "text"),
    ("price_version", "pv", "text"),
    ("success", "ok", "bool"),
    ("error_message", "em", "text"),
    ("duration_ms", "d", "int4"),
    ("session_id", "sid", "text"),
    ("notes", "n", "text"),
    ("worker_id", "wid", "text"),
    ("task_id", "tid", "text"),
    ("project_id", "pid", "text"),
    ("cache_write_1h_tokens", "cw1", "int4"),
    ("source_cost_usd", "sc", "numeric"),
    ("tool", "tl", "text"),
    ("repository", "rp", "text"),
    ("git_branch", "gb", "text"),
    ("user_id", "uid", "text"),
    ("app_version", "av", "text"),
];

/// `dedup_key, content_hash, ...`: the column list of an INSERT or COPY.
pub(super) static COLUMN_LIST: LazyLock<String> = LazyLock::new(|| {
    COLUMNS
        .iter()
        .map(|(c, _, _)| *c)
        .collect::<Vec<_>>()
        .join(", ")
});

/// `UNNEST($1::bytea[], ...) AS u(k, ...)`: the batch as rows aliased `u`.
pub(super) static UNNEST_ARGS: LazyLock<String> = LazyLock::new(|| {
    let args: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, _, t))| format!("${}::{t}[]", i + 1))
        .collect();
    let aliases: Vec<&str> = COLUMNS.iter().map(|(_, a, _)| *a).collect();
    format!("UNNEST({}) AS u({})", args.join(", "), aliases.join(", "))
});

/// `content_hash = <from>.content_hash, ...` for every attribute (the identity stays), where
/// `from(column, alias)` names the new value.
pub(super) fn set_all(from: impl Fn(&str, &str) -> String) -> String {
    COLUMNS[1..]
        .iter()
        .map(|(c, a, _)| format!("{c} = {}", from(c, a)))
        .chain(std::iter::once("updated_at = now()".to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The condition an update of stored call `t` by the batch's `u` must also meet: a Claude Code
/// response is streamed as lines of growing usage, so a smaller usage (a partial line, a
/// file cut mid-response, a response split across batches) never replaces a larger one.
/// `new_total` is the SQL for the new row's total tokens.
pub(super) fn usage_never_shrinks(new_total: &str) -> String {
    format!("(t.source <> 'claude_code' OR {new_total} >= t.total_tokens)")
}

/// Column-wise copy of a batch.
pub(super) struct CallColumns<'a> {
    keys: Vec<&'a [u8]>,
    hashes: Vec<i64>,
    sources: Vec<&'static str>,
    ts: Vec<DateTime<Utc>>,
    models: Vec<&'a str>,
    prompt: Vec<Option<&'a str>>,
    phase: Vec<Option<&'a str>>,
    input: Vec<i32>,
    read: Vec<i32>,
    write: Vec<i32>,
    output: Vec<i32>,
    cost: Vec<Option<Usd>>,
    status: Vec<&'static str>,
    price_version: Vec<Option<&'static str>>,
    success: Vec<Option<bool>>,
    error: Vec<Option<&'a str>>,
    duration: Vec<Option<i32>>,
    session: Vec<Option<&'a str>>,
    notes: Vec<Option<&'a str>>,
    worker: Vec<Option<&'a str>>,
    task: Vec<Option<&'a str>>,
    project: Vec<Option<&'a str>>,
    write_1h: Vec<i32>,
    source_cost: Vec<Option<Usd>>,
    tool: Vec<&'static str>,
    repository: Vec<Option<&'a str>>,
    branch: Vec<Option<&'a str>>,
    user: Vec<Option<&'a str>>,
    version: Vec<Option<&'a str>>,
}

/// Token counts are validated to fit i32 by every parser; clamp defensively.
pub(super) fn i32_of(n: u32) -> i32 {
    n.min(i32::MAX as u32) as i32
}

impl<'a> CallColumns<'a> {
    /// Splits `calls` into columns.
    pub(super) fn new(calls: &[&'a LlmCall]) -> Self {
        let opt = |f: fn(&'a LlmCall) -> &'a Option<String>| {
            calls.iter().map(|c| f(c).as_deref()).collect::<Vec<_>>()
        };
        let int = |f: fn(&LlmCall) -> u32| calls.iter().map(|c| i32_of(f(c))).collect::<Vec<_>>();
        CallColumns {
            keys: calls.iter().map(|c| c.dedup_key.0.as_slice()).collect(),
            hashes: calls.iter().map(|c| c.content_hash()).collect(),
            sources: calls.iter().map(|c| c.source.as_str()).collect(),
            ts: calls.iter().map(|c| c.timestamp).collect(),
            models: calls.iter().map(|c| c.model.as_str()).collect(),
            prompt: opt(|c| &c.prompt_name),
            phase: opt(|c| &c.phase),
            input: int(|c| c.tokens.input),
            read: int(|c| c.tokens.cache_read),
            write: int(|c| c.tokens.cache_write),
            output: int(|c| c.tokens.output),
            cost: calls
                .iter()
                .map(|c| c.cost.usd.map(Usd::from_f64))
                .collect(),
            status: calls.iter().map(|c| c.cost.status.as_str()).collect(),
            price_version: calls.iter().map(|c| c.cost.price_version).collect(),
            success: calls.iter().map(|c| c.success).collect(),
            error: opt(|c| &c.error_message),
            duration: calls.iter().map(|c| c.duration_ms.map(i32_of)).collect(),
            session: opt(|c| &c.session_id),
            notes: opt(|c| &c.notes),
            worker: opt(|c| &c.worker_id),
            task: opt(|c| &c.task_id),
            project: opt(|c| &c.project_id),
            write_1h: int(|c| c.tokens.cache_write_1h),
            source_cost: calls
                .iter()
                .map(|c| c.source_cost_usd.map(Usd::from_f64))
                .collect(),
            tool: calls.iter().map(|c| c.tool().as_str()).collect(),
            repository: opt(|c| &c.attribution.repository),
            branch: opt(|c| &c.attribution.git_branch),
            user: opt(|c| &c.attribution.user_id),
            version: opt(|c| &c.attribution.app_version),
        }
    }

    /// Parameters for [`UNNEST_ARGS`].
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); COLUMNS.len()] {
        [
            &self.keys,
            &self.hashes,
            &self.sources,
            &self.ts,
            &self.models,
            &self.prompt,
            &self.phase,
            &self.input,
            &self.read,
            &self.write,
            &self.output,
            &self.cost,
            &self.status,
            &self.price_version,
            &self.success,
            &self.error,
            &self.duration,
            &self.session,
            &self.notes,
            &self.worker,
            &self.task,
            &self.project,
            &self.write_1h,
            &self.source_cost,
            &self.tool,
            &self.repository,
            &self.branch,
            &self.user,
            &self.version,
        ]
    }
}
