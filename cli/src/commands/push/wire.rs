//! A call read from a transcript, as `POST /ingest/llm-calls` takes it: the `api_call` shape,
//! its `call_id` the call's own key, so that a call pushed twice (from two runs, two machines
//! syncing one home directory) is one row.

use serde_json::{json, Value};
use telemetry_shared::model::LlmCall;

/// The call's JSON.
pub fn call_json(c: &LlmCall) -> Value {
    let a = &c.attribution;
    let key: String = c.dedup_key.0.iter().map(|b| format!("{b:02x}")).collect();
    let mut v = json!({
        "call_id": format!("{}:{key}", c.source.as_str()),
        "ts": c.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "model": c.model,
        "tokens_input": c.tokens.input,
        "tokens_cache_read": c.tokens.cache_read,
        "tokens_cache_write": c.tokens.cache_write,
        "tokens_cache_write_1h": c.tokens.cache_write_1h,
        "tokens_output": c.tokens.output,
        "tool": c.tool().as_str(),
    });
    let fields = [
        ("session_id", &c.session_id),
        ("worker_id", &c.worker_id),
        ("task_id", &c.task_id),
        ("error_message", &c.error_message),
        ("repository", &a.repository),
        ("git_branch", &a.git_branch),
        ("user_id", &a.user_id),
        ("app_version", &a.app_version),
    ];
    for (name, value) in fields {
        if let Some(s) = value {
            v[name] = json!(s);
        }
    }
    if let Some(d) = c.duration_ms {
        v["duration_ms"] = json!(d);
    }
    if let Some(ok) = c.success {
        v["success"] = json!(ok);
    }
    v
}
