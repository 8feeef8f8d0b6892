//! Each log record of an export, mapped by what it is: a tool's usage event becomes an LLM
//! call ([`super::calls`]), anything else an event for `telemetry_events`, and a record that
//! cannot be stored is refused with the reason and where it sits in the export.

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::{Map, Value};

use super::attrs::{object, record_time, value, Attrs};
use super::calls;
use crate::model::{DedupKey, LlmCall, Tool};

/// What a deployment keeps of what exporters send.
#[derive(Debug, Clone, Copy, Default)]
pub struct OtlpSettings {
    /// Keep prompt text when an exporter sent it (`OTLP_KEEP_PROMPTS=1`); else dropped.
    pub keep_prompts: bool,
    /// Store users' emails as sent (`TELEMETRY_KEEP_EMAILS=1`); else only their hash.
    pub keep_emails: bool,
    /// Largest event, serialised (the API's `HTTP_MAX_EVENT_BYTES`).
    pub max_event_bytes: usize,
}

/// A record for `telemetry_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpEvent {
    /// `otlp:` and the record's key: the same record re-sent has the same id.
    pub insert_id: String,
    /// The event's qualified name (`claude_code.tool_result`).
    pub event: String,
    /// Who: the user id, else the session, else `unknown`.
    pub distinct_id: String,
    /// The record's attributes, its resource's under `resource`, its body under `body`.
    pub properties: Value,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
}

/// One record's fate.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// An LLM call.
    Call(Box<LlmCall>),
    /// An event.
    Event(OtlpEvent),
    /// Known, and not stored, with why (Codex's streaming events before the completed one).
    Skipped(&'static str),
}

/// A record of the export, where it sits, and what it became or why it was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRecord {
    /// `resourceLogs[i].scopeLogs[j].logRecords[k]`.
    pub path: String,
    /// What it became, or the reason it was refused.
    pub result: Result<Mapped, String>,
}

/// Every record of `export`, in order.
pub fn map_logs(export: &ExportLogsServiceRequest, settings: &OtlpSettings) -> Vec<MappedRecord> {
    let mut out = Vec::new();
    for (i, rl) in export.resource_logs.iter().enumerate() {
        let resource = rl
            .resource
            .as_ref()
            .map(|r| object(&r.attributes))
            .unwrap_or_default();
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            for (k, record) in sl.log_records.iter().enumerate() {
                out.push(MappedRecord {
                    path: format!("resourceLogs[{i}].scopeLogs[{j}].logRecords[{k}]"),
                    result: map_record(record, &resource, settings),
                });
            }
        }
    }
    out
}

/// The qualified event name: the record's `event_name` or `event.name` attribute, prefixed
/// the way Claude Code's body spells it (`api_request` is `claude_code.api_request`); a
/// record without one is named by a short body, else `otlp.log`.
fn event_name(record: &LogRecord, attrs: &Attrs<'_>) -> String {
    let body = match value(record.body.as_ref()) {
        Value::String(s) => Some(s),
        _ => None,
    };
    let named = Some(record.event_name.trim())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| attrs.text("event.name"));
    match (named, body) {
        (Some(n), Some(b)) if !n.contains('.') && b.ends_with(&format!(".{n}")) => b,
        (Some(n), _) if n.contains('.') => n,
        (Some(n), _) if attrs.text("service.name").as_deref() == Some("claude-code") => {
            format!("claude_code.{n}")
        }
        (Some(n), _) => n,
        (None, Some(b)) if (1..=100).contains(&b.len()) && !b.chars().any(char::is_whitespace) => b,
        (None, _) => "otlp.log".to_string(),
    }
}

/// The tool a qualified name belongs to.
fn tool_of(name: &str) -> Option<Tool> {
    match name.split_once('.').map(|(p, _)| p) {
        Some("claude_code") => Some(Tool::ClaudeCode),
        Some("codex") => Some(Tool::Codex),
        Some("gemini_cli") => Some(Tool::GeminiCli),
        _ => None,
    }
}

fn map_record(
    record: &LogRecord,
    resource: &Map<String, Value>,
    settings: &OtlpSettings,
) -> Result<Mapped, String> {
    let own = object(&record.attributes);
    let attrs = Attrs {
        record: &own,
        resource,
    };
    let name = event_name(record, &attrs);
    let ts = record_time(
        &attrs,
        record.time_unix_nano,
        record.observed_time_unix_nano,
    )?;
    let key = record_key(&name, ts, &attrs, &own);
    let tool = tool_of(&name);
    let call = match name.as_str() {
        "claude_code.api_request" => Some(calls::claude_request(&attrs)?),
        "claude_code.api_error" | "gemini_cli.api_error" => Some(calls::failed(&attrs)?),
        "gemini_cli.api_response" => Some(calls::gemini_response(&attrs)?),
        "codex.sse_event" => match attrs.text("event.kind").as_deref() {
            Some("response.completed") => Some(calls::codex_completed(&attrs)?),
            _ => {
                return Ok(Mapped::Skipped(
                    "a Codex stream event before its response.completed",
                ))
            }
        },
        _ => None,
    };
    if let Some(mut call) = call {
        call.dedup_key = key;
        call.timestamp = ts;
        call.attribution = calls::attribution(&attrs, tool, settings);
        call.attribution.tool = Some(tool.unwrap_or(Tool::Otlp));
        call.cost = crate::pricing::PriceBook::shipped().cost(
            &call.model,
            &call.tokens,
            call.source_cost_usd,
        );
        return Ok(Mapped::Call(Box::new(call)));
    }
    event(record, &name, ts, key, &attrs, settings).map(Mapped::Event)
}

/// The record's identity: its name, time and session, and its `event.sequence` when the
/// exporter numbers events (Claude Code does), else a digest of all its attributes. A
/// re-sent export carries the same values, so it maps to the same keys.
fn record_key(
    name: &str,
    ts: DateTime<Utc>,
    attrs: &Attrs<'_>,
    own: &Map<String, Value>,
) -> DedupKey {
    let session = attrs
        .first(&["session.id", "conversation.id"])
        .unwrap_or_default();
    let ident = match attrs.text("event.sequence") {
        Some(seq) => format!("seq:{seq}"),
        // serde_json's maps are sorted: the same attributes give the same text.
        None => format!("attrs:{}", serde_json::to_string(own).unwrap_or_default()),
    };
    DedupKey::derive(
        &format!("otlp:{name}"),
        ts,
        &[session.as_bytes(), ident.as_bytes()],
    )
}

const PROMPT_KEYS: [&str; 2] = ["prompt", "prompt_text"];

fn event(
    record: &LogRecord,
    name: &str,
    ts: DateTime<Utc>,
    key: DedupKey,
    attrs: &Attrs<'_>,
    settings: &OtlpSettings,
) -> Result<OtlpEvent, String> {
    let mut props = attrs.record.clone();
    let is_prompt = name.ends_with("user_prompt");
    if !settings.keep_prompts {
        for k in PROMPT_KEYS {
            props.remove(k);
        }
    }
    let user = calls::user_id(attrs, settings.keep_emails);
    if !settings.keep_emails {
        props.remove("user.email");
    }
    let body = value(record.body.as_ref());
    // A prompt event's body may be the prompt itself.
    if !body.is_null() && (settings.keep_prompts || !is_prompt) && body.as_str() != Some(name) {
        props.insert("body".into(), body);
    }
    let mut resource = attrs.resource.clone();
    if !settings.keep_emails {
        resource.remove("user.email");
    }
    if !resource.is_empty() {
        props.insert("resource".into(), Value::Object(resource));
    }
    let properties = Value::Object(props);
    let size = properties.to_string().len();
    if size > settings.max_event_bytes {
        return Err(format!(
            "the record's attributes are {size} bytes; the limit is {}",
            settings.max_event_bytes
        ));
    }
    let distinct_id = user
        .or_else(|| attrs.first(&["session.id", "conversation.id"]))
        .unwrap_or_else(|| "unknown".into());
    Ok(OtlpEvent {
        insert_id: format!(
            "otlp:{}",
            key.0.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        event: name.to_string(),
        distinct_id,
        properties,
        timestamp: ts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn export(prompt_attrs: Value) -> ExportLogsServiceRequest {
        serde_json::from_value(json!({"resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
            "scopeLogs": [{"logRecords": [{
                "timeUnixNano": "1764662400000000000",
                "body": {"stringValue": "claude_code.user_prompt"},
                "attributes": prompt_attrs
            }]}]
        }]}))
        .expect("export")
    }

    fn settings(keep_prompts: bool, keep_emails: bool) -> OtlpSettings {
        OtlpSettings {
            keep_prompts,
            keep_emails,
            max_event_bytes: 64 << 10,
        }
    }

    #[test]
    fn prompts_and_emails_are_kept_only_when_configured() {
        let attrs = json!([
            {"key": "event.name", "value": {"stringValue": "user_prompt"}},
            {"key": "session.id", "value": {"stringValue": "s"}},
            {"key": "user.email", "value": {"stringValue": "Dev@Example.com"}},
            {"key": "prompt", "value": {"stringValue": "the secret plan"}},
            {"key": "prompt_length", "value": {"intValue": "15"}}
        ]);
        let event = |s: &OtlpSettings| match &map_logs(&export(attrs.clone()), s)[0].result {
            Ok(Mapped::Event(e)) => e.clone(),
            other => panic!("{other:?}"),
        };
        let dropped = event(&settings(false, false));
        assert_eq!(dropped.event, "claude_code.user_prompt");
        assert!(!dropped.properties.to_string().contains("secret plan"));
        assert!(!dropped.properties.to_string().contains("xample"));
        assert!(
            dropped.distinct_id.starts_with("sha256:"),
            "{}",
            dropped.distinct_id
        );
        assert_eq!(dropped.properties["prompt_length"], json!(15));
        let kept = event(&settings(true, true));
        assert_eq!(kept.properties["prompt"], "the secret plan");
        assert_eq!(kept.distinct_id, "dev@example.com");
        // The same record, the same id, whatever is kept.
        assert_eq!(kept.insert_id, dropped.insert_id);
    }

    #[test]
    fn names_come_from_the_record_the_attribute_or_the_body() {
        let name = |record: Value| {
            let e: ExportLogsServiceRequest = serde_json::from_value(json!({"resourceLogs": [
                {"scopeLogs": [{"logRecords": [record]}]}]}))
            .expect("export");
            match &map_logs(&e, &settings(false, false))[0].result {
                Ok(Mapped::Event(e)) => e.event.clone(),
                other => panic!("{other:?}"),
            }
        };
        let t = "1764662400000000000";
        assert_eq!(
            name(json!({"timeUnixNano": t, "eventName": "deploy.done"})),
            "deploy.done"
        );
        assert_eq!(
            name(
                json!({"timeUnixNano": t, "attributes": [{"key": "event.name", "value": {"stringValue": "x.y"}}]})
            ),
            "x.y"
        );
        assert_eq!(
            name(json!({"timeUnixNano": t, "body": {"stringValue": "started"}})),
            "started"
        );
        assert_eq!(
            name(json!({"timeUnixNano": t, "body": {"stringValue": "a long sentence of text"}})),
            "otlp.log"
        );
    }
}
