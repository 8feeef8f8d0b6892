//! A worker's conversation for the dashboard (`GET /api/v1/agents/conversation?worker=ID`):
//! its `log_file` read from the one bucket the API may read logs from, as turns. A log at a
//! local path stays on the agent's machine (the API never opens a server file an ingested
//! record names): `telemetry worker ID --show-conversation` reads it there.

use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio_postgres::GenericClient;

use super::{QueryError, ReadError};
use crate::ingest::{FileKind, Format};
use crate::jsonl::conversation;
use crate::objects::{ObjectStore, StoreError, Version};

/// The largest log read (held in memory while it is split into turns).
pub const MAX_LOG_BYTES: u64 = 64 * 1024 * 1024;
/// Turns answered at most.
pub const MAX_TURNS: usize = 2_000;

/// Where the API reads logs: a store and the one bucket it may read.
pub struct LogSource<'a, S> {
    /// The object store.
    pub store: &'a S,
    /// The bucket (`CONVERSATION_LOG_BUCKET`).
    pub bucket: &'a str,
}

/// Worker `worker`'s conversation: `{worker_id, log_file, turns, more_turns}`.
pub async fn worker_conversation<S: ObjectStore>(
    client: &impl GenericClient,
    logs: Option<LogSource<'_, S>>,
    worker: &str,
) -> Result<Value, ReadError> {
    let bad = |m: String| ReadError::Query(QueryError::bad("worker", m));
    let row = client
        .query_opt(
            "SELECT log_file FROM workers WHERE worker_id = $1",
            &[&worker],
        )
        .await
        .map_err(crate::db::DbError::from)?
        .ok_or_else(|| bad(format!("no worker {worker:?}")))?;
    let log: Option<String> = row.get("log_file");
    let log = log
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| bad(format!("worker {worker} has no log_file")))?;
    let Some((bucket, key)) = log
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
    else {
        return Err(bad(format!(
            "its log is a local path on the agent's machine ({log}): `telemetry worker {worker} --show-conversation` reads it there"
        )));
    };
    let logs = logs.ok_or_else(|| {
        ReadError::Query(QueryError::forbidden(
            "worker",
            "this API reads no logs (CONVERSATION_LOG_BUCKET is unset)",
        ))
    })?;
    if bucket != logs.bucket {
        return Err(ReadError::Query(QueryError::forbidden(
            "worker",
            format!("this API reads logs from bucket {} only", logs.bucket),
        )));
    }
    let object = match logs.store.get(bucket, key, Version::default()).await {
        Ok(o) => o,
        Err(StoreError::NotFound(_)) => return Err(bad(format!("{log} is not in the bucket"))),
        Err(e) => return Err(ReadError::Store(e)),
    };
    let mut bytes = Vec::new();
    object
        .body
        .take(MAX_LOG_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ReadError::Store(StoreError::Transient(format!("reading {log}: {e}"))))?;
    if bytes.len() as u64 > MAX_LOG_BYTES {
        return Err(bad(format!(
            "{log} is over {} MiB: read it with `telemetry worker {worker} --show-conversation`",
            MAX_LOG_BYTES >> 20
        )));
    }
    let kind = FileKind {
        format: Format::Jsonl,
        gzip: key.ends_with(".gz"),
    };
    let turns = conversation(kind.reader(std::io::Cursor::new(bytes)));
    let more = turns.len().saturating_sub(MAX_TURNS);
    let shown: Vec<_> = turns.into_iter().take(MAX_TURNS).collect();
    Ok(json!({"worker_id": worker, "log_file": log, "turns": shown, "more_turns": more}))
}
