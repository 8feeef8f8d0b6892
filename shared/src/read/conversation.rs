//! A worker's conversation for the dashboard (`GET /api/v1/agents/conversation?worker=ID`):
//! its `log_file` read from the one bucket the API may read logs from, as turns. A log at a
//! local path stays on the agent's machine (the API never opens a server file an ingested
//! record names): `telemetry worker ID --show-conversation` reads it there.

use serde_json::{json, Value};
use tokio_postgres::GenericClient;

use super::{QueryError, ReadError};
use crate::ingest::{FileKind, Format};
use crate::jsonl::conversation;
use crate::objects::{parse_s3_uri, read_capped, ObjectStore, StoreError};

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
    let Some((bucket, key)) = parse_s3_uri(&log) else {
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
    let bytes = match read_capped(logs.store, bucket, key, MAX_LOG_BYTES).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(bad(format!(
            "{log} is over {} MiB: read it with `telemetry worker {worker} --show-conversation`",
            MAX_LOG_BYTES >> 20
        )))
        }
        Err(StoreError::NotFound(_)) => return Err(bad(format!("{log} is not in the bucket"))),
        Err(e) => return Err(ReadError::Store(e)),
    };
    let kind = FileKind {
        format: Format::Jsonl,
        gzip: key.ends_with(".gz"),
    };
    let turns = conversation(kind.reader(std::io::Cursor::new(bytes)));
    let more = turns.len().saturating_sub(MAX_TURNS);
    let shown: Vec<_> = turns.into_iter().take(MAX_TURNS).collect();
    Ok(json!({"worker_id": worker, "log_file": log, "turns": shown, "more_turns": more}))
}
