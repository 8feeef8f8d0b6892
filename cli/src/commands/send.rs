//! `telemetry send EVENT [--prop KEY=VALUE]...`: records an event in the local spool and
//! flushes it with the client library, as a CLI embedding it would. Silent on failure (set
//! `TELEMETRY_LOG=debug` to see why a flush did not happen).

use std::path::Path;

use serde_json::{Map, Value};
use telemetry_client::{flush, FlushConfig, HttpSender, RepoId, Spool, RETENTION};

use crate::output::write_json;

/// `KEY=VALUE` pairs as JSON properties; a value that parses as JSON keeps its type.
pub fn properties(props: &[String]) -> anyhow::Result<Value> {
    let mut map = Map::new();
    for p in props {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--prop {p:?}: expected KEY=VALUE"))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
        map.insert(k.to_string(), value);
    }
    Ok(Value::Object(map))
}

/// Spools `event`, flushes up to 25 spooled events to `endpoint` (when given), and removes
/// spooled files older than 2 days.
pub async fn run(
    event: &str,
    props: &[String],
    endpoint: Option<&str>,
    key: Option<String>,
    dir: &Path,
    keep_flushed: bool,
    json: bool,
) -> anyhow::Result<()> {
    let properties = properties(props)?;
    let spool = Spool::new(dir.join("spool"));
    let spooled = spool.record(event, properties);
    let mut flushed = 0;
    if let (Some(endpoint), Some(repo)) = (endpoint, RepoId::load_or_create(dir.join("repo-id"))) {
        if let Some(sender) = HttpSender::new(endpoint, key) {
            let config = FlushConfig {
                keep_flushed,
                ..FlushConfig::new(repo.as_str())
            };
            flushed = flush(&spool, &sender, &config).await;
        }
    }
    let removed = spool.cleanup_older_than(RETENTION);
    if json {
        write_json(&serde_json::json!({
            "spooled": spooled.is_some(), "flushed": flushed, "removed": removed,
            "pending": spool.find_unflushed(usize::MAX).len(),
        }))?;
    }
    Ok(())
}
