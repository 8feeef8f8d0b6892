//! OTLP log exports in the shapes the agents send them (modelled on the tools' published
//! event references): Claude Code, Codex CLI and Gemini CLI, as OTLP JSON text, and the
//! same export as protobuf bytes.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use serde_json::{json, Value};

/// A string attribute.
pub fn s(key: &str, v: &str) -> Value {
    json!({"key": key, "value": {"stringValue": v}})
}

/// An int attribute, written as the OTLP JSON mapping writes int64: a string.
pub fn i(key: &str, v: i64) -> Value {
    json!({"key": key, "value": {"intValue": v.to_string()}})
}

/// A log record at `ts` (RFC 3339) with `body` and `attributes`.
pub fn record(ts: &str, body: &str, attributes: Vec<Value>) -> Value {
    let nanos = chrono::DateTime::parse_from_rfc3339(ts)
        .expect("time")
        .timestamp_nanos_opt()
        .expect("nanos");
    json!({
        "timeUnixNano": nanos.to_string(),
        "observedTimeUnixNano": (nanos + 1_000_000).to_string(),
        "severityNumber": 9,
        "severityText": "INFO",
        "body": {"stringValue": body},
        "attributes": attributes,
        "droppedAttributesCount": 0,
    })
}

/// One export: a resource with `resource` attributes and one scope of `records`.
pub fn export(resource: Vec<Value>, scope: &str, records: Vec<Value>) -> Value {
    json!({"resourceLogs": [{
        "resource": {"attributes": resource, "droppedAttributesCount": 0},
        "scopeLogs": [{"scope": {"name": scope, "version": "1.0.0"}, "logRecords": records}]
    }]})
}

/// The same export as protobuf.
pub fn protobuf(export: &Value) -> Vec<u8> {
    let msg: ExportLogsServiceRequest =
        serde_json::from_value(export.clone()).expect("an OTLP JSON export");
    msg.encode_to_vec()
}

/// What Claude Code puts on every event of a session.
fn claude_standard(session: &str, seq: i64, ts: &str, name: &str) -> Vec<Value> {
    vec![
        s(
            "user.id",
            "5f0c2e7a9b1d4c3e8f6a7b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e",
        ),
        s("session.id", session),
        s("app.version", "2.1.233"),
        s("organization.id", "3f7e2a10-5c4b-4d1e-9a8f-6b7c8d9e0f1a"),
        s("user.email", "dev@example.com"),
        s("user.account_uuid", "acct-7b1e5d2c"),
        s("terminal.type", "vscode"),
        s("event.name", name),
        s("event.timestamp", ts),
        i("event.sequence", seq),
    ]
}

/// Claude Code's resource, with the repository and branch a team adds through
/// `OTEL_RESOURCE_ATTRIBUTES` (OpenTelemetry's VCS conventions).
pub fn claude_resource() -> Vec<Value> {
    vec![
        s("service.name", "claude-code"),
        s("service.version", "2.1.233"),
        s("os.type", "linux"),
        s("os.version", "6.8.0-45-generic"),
        s("host.arch", "amd64"),
        s("vcs.repository.url.full", "https://github.com/acme/api"),
        s("vcs.ref.head.name", "feature/otlp"),
    ]
}

/// A Claude Code session's export: two API requests (the second with cache reads), an API
/// error, a tool decision and result, and a prompt (text included, as
/// `OTEL_LOG_USER_PROMPTS=1` sends it).
pub fn claude_session(session: &str) -> Value {
    let at = |sec: u32| format!("2026-12-02T08:00:{sec:02}.125Z");
    let mut prompt = claude_standard(session, 1, &at(1), "user_prompt");
    prompt.extend([
        i("prompt_length", 27),
        s("prompt", "fix the flaky retry test pls"),
    ]);
    let mut first = claude_standard(session, 2, &at(3), "api_request");
    first.extend([
        s("model", "claude-sonnet-4-5-20250929"),
        s("input_tokens", "1200"),
        s("output_tokens", "350"),
        s("cache_read_tokens", "0"),
        s("cache_creation_tokens", "8000"),
        s("cost_usd", "0.039855"),
        s("duration_ms", "5120"),
    ]);
    let mut decision = claude_standard(session, 3, &at(9), "tool_decision");
    decision.extend([
        s("tool_name", "Bash"),
        s("decision", "accept"),
        s("source", "config"),
    ]);
    let mut result = claude_standard(session, 4, &at(11), "tool_result");
    result.extend([
        s("tool_name", "Bash"),
        s("success", "true"),
        s("duration_ms", "812"),
        s("decision", "accept"),
        s("source", "config"),
        s(
            "tool_parameters",
            r#"{"bash_command":"cargo","full_command":"cargo test retry"}"#,
        ),
    ]);
    let mut second = claude_standard(session, 5, &at(14), "api_request");
    second.extend([
        s("model", "claude-sonnet-4-5-20250929"),
        s("input_tokens", "40"),
        s("output_tokens", "120"),
        s("cache_read_tokens", "9200"),
        s("cache_creation_tokens", "0"),
        s("cost_usd", "0.004638"),
        s("duration_ms", "2210"),
    ]);
    let mut error = claude_standard(session, 6, &at(20), "api_error");
    error.extend([
        s("model", "claude-sonnet-4-5-20250929"),
        s("error", "Overloaded"),
        s("status_code", "529"),
        s("duration_ms", "30012"),
        s("attempt", "1"),
    ]);
    let records = [
        (1, "claude_code.user_prompt", prompt),
        (3, "claude_code.api_request", first),
        (9, "claude_code.tool_decision", decision),
        (11, "claude_code.tool_result", result),
        (14, "claude_code.api_request", second),
        (20, "claude_code.api_error", error),
    ]
    .into_iter()
    .map(|(sec, body, attrs)| record(&at(sec), body, attrs))
    .collect();
    export(
        claude_resource(),
        "com.anthropic.claude_code.events",
        records,
    )
}

/// A Codex CLI turn: stream events (skipped), the completed response with its usage, and a
/// tool result.
pub fn codex_turn(conversation: &str) -> Value {
    let at = |sec: u32| format!("2026-12-02T09:10:{sec:02}.500Z");
    let standard = |ts: &str, name: &str| {
        vec![
            s("event.name", name),
            s("event.timestamp", ts),
            s("conversation.id", conversation),
            s("app.version", "0.146.0"),
            s("auth_mode", "ChatGPT"),
            s("user.account_id", "user-Zq81nB"),
            s("user.email", "dev@example.com"),
            s("terminal.type", "iTerm.app"),
            s("model", "gpt-5-codex"),
            s("slug", "gpt-5-codex"),
        ]
    };
    let mut delta = standard(&at(2), "codex.sse_event");
    delta.extend([
        s("event.kind", "response.output_text.delta"),
        i("duration_ms", 3),
    ]);
    let mut done = standard(&at(5), "codex.sse_event");
    done.extend([
        s("event.kind", "response.completed"),
        i("input_token_count", 24_000),
        i("output_token_count", 900),
        i("cached_token_count", 20_000),
        i("reasoning_token_count", 512),
        i("tool_token_count", 0),
        i("duration_ms", 4_100),
    ]);
    let mut tool = standard(&at(7), "codex.tool_result");
    tool.extend([
        s("tool_name", "shell"),
        s("call_id", "call_8sD2"),
        s("arguments", r#"{"command":["cargo","test"]}"#),
        i("duration_ms", 2_300),
        s("success", "true"),
        s("output", "test result: ok"),
    ]);
    let resource = vec![
        s("service.name", "codex_cli_rs"),
        s("service.version", "0.146.0"),
        s("env", "dev"),
    ];
    let records = vec![
        record(&at(2), "", delta),
        record(&at(5), "", done),
        record(&at(7), "", tool),
    ];
    export(resource, "codex_otel", records)
}

/// A Gemini CLI exchange: a prompt (no text), the API response with cached and thinking
/// tokens, and an API error.
pub fn gemini_exchange(session: &str) -> Value {
    let at = |sec: u32| format!("2026-12-02T10:20:{sec:02}.000Z");
    let standard = |ts: &str, name: &str| {
        vec![
            s("session.id", session),
            s("installation.id", "inst-4d2c9e"),
            s("user.email", "dev@example.com"),
            s("event.name", name),
            s("event.timestamp", ts),
        ]
    };
    let mut prompt = standard(&at(1), "gemini_cli.user_prompt");
    prompt.extend([
        i("prompt_length", 42),
        s("prompt_id", "p-1"),
        s("auth_type", "oauth-personal"),
    ]);
    let mut response = standard(&at(6), "gemini_cli.api_response");
    response.extend([
        s("model", "gemini-2.5-pro"),
        i("status_code", 200),
        i("duration_ms", 5_400),
        i("input_token_count", 15_000),
        i("output_token_count", 700),
        i("cached_content_token_count", 12_000),
        i("thoughts_token_count", 1_300),
        i("tool_token_count", 100),
        i("total_token_count", 17_100),
        s("prompt_id", "p-1"),
        s("auth_type", "oauth-personal"),
    ]);
    let mut error = standard(&at(9), "gemini_cli.api_error");
    error.extend([
        s("model", "gemini-2.5-pro"),
        s("error", "Resource has been exhausted"),
        i("status_code", 429),
        i("duration_ms", 800),
        s("prompt_id", "p-2"),
    ]);
    let resource = vec![
        s("service.name", "gemini-cli"),
        s("service.version", "0.21.0"),
    ];
    let records = vec![
        record(&at(1), "User prompt. Length: 42.", prompt),
        record(&at(6), "API response from gemini-2.5-pro.", response),
        record(&at(9), "API error for gemini-2.5-pro.", error),
    ];
    export(resource, "gemini-cli", records)
}
