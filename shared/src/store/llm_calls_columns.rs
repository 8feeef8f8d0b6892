//! LLM calls as column arrays, for statements that read `UNNEST($1, $2, ...)`.

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;

use super::Usd;
use crate::model::LlmCall;

/// The `UNNEST` argument list matching [`CallColumns::params`], aliased for use in SQL.
pub(super) const UNNEST_ARGS: &str =
    "UNNEST($1::bytea[], $2::int8[], $3::text[], $4::timestamptz[],
    $5::text[], $6::text[], $7::text[], $8::int4[], $9::int4[], $10::int4[], $11::int4[],
    $12::numeric[], $13::text[], $14::text[], $15::bool[], $16::text[], $17::int4[], $18::text[],
    $19::text[], $20::text[], $21::text[], $22::text[])
    AS u(k, h, s, ts, m, pn, ph, it, cr, cw, ot, c, cs, pv, ok, em, d, sid, n, wid, tid, pid)";

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
    version: Vec<Option<&'static str>>,
    success: Vec<Option<bool>>,
    error: Vec<Option<&'a str>>,
    duration: Vec<Option<i32>>,
    session: Vec<Option<&'a str>>,
    notes: Vec<Option<&'a str>>,
    worker: Vec<Option<&'a str>>,
    task: Vec<Option<&'a str>>,
    project: Vec<Option<&'a str>>,
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
            version: calls.iter().map(|c| c.cost.price_version).collect(),
            success: calls.iter().map(|c| c.success).collect(),
            error: opt(|c| &c.error_message),
            duration: calls.iter().map(|c| c.duration_ms.map(i32_of)).collect(),
            session: opt(|c| &c.session_id),
            notes: opt(|c| &c.notes),
            worker: opt(|c| &c.worker_id),
            task: opt(|c| &c.task_id),
            project: opt(|c| &c.project_id),
        }
    }

    /// Parameters for [`UNNEST_ARGS`].
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); 22] {
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
            &self.version,
            &self.success,
            &self.error,
            &self.duration,
            &self.session,
            &self.notes,
            &self.worker,
            &self.task,
            &self.project,
        ]
    }
}
