//! `POST /ingest` batches, exactly as the seed's client sends them:
//! `{"batch": [{"event", "distinct_id", "properties", "timestamp"?, "insert_id"?}], "sent_at"?}`.
//! Each event is accepted, a duplicate, or rejected with the reason and the JSON path of the
//! bad field; one bad event never stops the others.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::columns::Validate;
use crate::http::store::events::TelemetryEvent;

use super::Limits;

/// Longest event name and distinct id, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A rejected event: why, and where.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejection {
    /// Position in the batch.
    pub index: usize,
    /// Why.
    pub reason: String,
    /// JSON path of the bad field, e.g. `$.batch[2].distinct_id`.
    pub path: String,
}

impl Rejection {
    /// The event's entry in an answer's `results`.
    pub fn result(&self) -> Value {
        json!({"index": self.index, "status": "rejected", "reason": self.reason, "path": self.path})
    }

    /// The event as its batch's outbox event names it.
    pub fn refusal(&self) -> Value {
        json!({"index": self.index, "reason": self.reason, "path": self.path})
    }
}

/// A batch after validation.
#[derive(Debug)]
pub struct Batch {
    /// Valid events with their positions.
    pub events: Vec<(usize, TelemetryEvent)>,
    /// Refused events.
    pub rejected: Vec<Rejection>,
}

/// A problem with the whole batch: 400, or 413 when it has too many events.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchError {
    /// Why.
    pub reason: String,
    /// JSON path.
    pub path: String,
    /// More events than the limit allows.
    pub too_many: bool,
}

fn parse_time(v: &Value, path: &str) -> Result<Option<DateTime<Utc>>, (String, String)> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                (
                    format!("{s:?} is not an RFC 3339 timestamp"),
                    path.to_string(),
                )
            }),
        other => Err((
            format!("expected an RFC 3339 string, found {other}"),
            path.to_string(),
        )),
    }
}

/// Validates `body` received at `received_at`.
pub fn validate(
    body: &Value,
    received_at: DateTime<Utc>,
    limits: &Limits,
) -> Result<Batch, BatchError> {
    let obj = body.as_object().ok_or_else(|| BatchError {
        reason: "expected a JSON object with a \"batch\" array".into(),
        path: "$".into(),
        too_many: false,
    })?;
    let items = obj
        .get("batch")
        .and_then(Value::as_array)
        .ok_or_else(|| BatchError {
            reason: "\"batch\" must be an array of events".into(),
            path: "$.batch".into(),
            too_many: false,
        })?;
    if items.is_empty() {
        return Err(BatchError {
            reason: "the batch is empty".into(),
            path: "$.batch".into(),
            too_many: false,
        });
    }
    if items.len() > limits.max_events {
        return Err(BatchError {
            reason: format!(
                "{} events in one batch; the limit is {}",
                items.len(),
                limits.max_events
            ),
            path: "$.batch".into(),
            too_many: true,
        });
    }
    let sent_at = parse_time(obj.get("sent_at").unwrap_or(&Value::Null), "$.sent_at").map_err(
        |(reason, path)| BatchError {
            reason,
            path,
            too_many: false,
        },
    )?;
    // Clock skew: the client's clock ran (sent_at - received_at) ahead of ours.
    let skew = sent_at.map(|s| received_at - s);
    let mut batch = Batch {
        events: Vec::new(),
        rejected: Vec::new(),
    };
    for (i, item) in items.iter().enumerate() {
        match event(i, item, received_at, sent_at, skew, limits) {
            Ok(e) => batch.events.push((i, e)),
            Err((reason, path)) => batch.rejected.push(Rejection {
                index: i,
                reason,
                path,
            }),
        }
    }
    Ok(batch)
}

fn name_field(v: &Value, field: &str, base: &str) -> Result<String, (String, String)> {
    let path = format!("{base}.{field}");
    match v.get(field) {
        None | Some(Value::Null) => Err((format!("{field} is missing"), path)),
        Some(Value::String(s)) if s.trim().is_empty() => Err((format!("{field} is empty"), path)),
        Some(Value::String(s)) if s.chars().count() > MAX_NAME_CHARS => Err((
            format!("{field} is longer than {MAX_NAME_CHARS} characters"),
            path,
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err((format!("{field} must be a string, found {other}"), path)),
    }
}

fn event(
    i: usize,
    v: &Value,
    received_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    skew: Option<chrono::Duration>,
    limits: &Limits,
) -> Result<TelemetryEvent, (String, String)> {
    let base = format!("$.batch[{i}]");
    if !v.is_object() {
        return Err((format!("an event must be an object, found {v}"), base));
    }
    let size = v.to_string().len();
    if size > limits.max_event_bytes {
        return Err((
            format!(
                "the event is {size} bytes; the limit is {}",
                limits.max_event_bytes
            ),
            base,
        ));
    }
    let event = name_field(v, "event", &base)?;
    let distinct_id = name_field(v, "distinct_id", &base)?;
    let properties = match v.get("properties") {
        None | Some(Value::Null) => json!({}),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(other) => {
            return Err((
                format!("properties must be an object, found {other}"),
                format!("{base}.properties"),
            ))
        }
    };
    let client_timestamp = parse_time(
        v.get("timestamp").unwrap_or(&Value::Null),
        &format!("{base}.timestamp"),
    )?;
    let timestamp = match (client_timestamp, skew) {
        (Some(t), Some(s)) => t.checked_add_signed(s).ok_or_else(|| {
            (
                "the timestamp corrected for the client's clock is out of range".to_string(),
                format!("{base}.timestamp"),
            )
        })?,
        (Some(t), None) => t,
        (None, _) => received_at,
    };
    let insert_id = match v.get("insert_id") {
        None | Some(Value::Null) => content_id(&event, &distinct_id, client_timestamp, &properties),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= MAX_NAME_CHARS => s.clone(),
        Some(other) => {
            return Err((
                format!("insert_id must be a non-empty string of at most {MAX_NAME_CHARS} characters, found {other}"),
                format!("{base}.insert_id"),
            ))
        }
    };
    let e = TelemetryEvent {
        insert_id,
        event,
        distinct_id,
        properties,
        client_timestamp,
        timestamp,
        sent_at,
        received_at,
    };
    e.validate().map_err(|err| {
        // The stored `timestamp` is the event's `timestamp` after skew correction.
        let field = match err.column.as_str() {
            "client_timestamp" => "timestamp",
            other => other,
        };
        (err.to_string(), format!("{base}.{field}"))
    })?;
    Ok(e)
}

/// An id from the event's content (properties with sorted keys), so the same event sent
/// twice is stored once. Prefixed so it never equals a client's own id by accident.
fn content_id(
    event: &str,
    distinct_id: &str,
    timestamp: Option<DateTime<Utc>>,
    properties: &Value,
) -> String {
    let mut h = Sha256::new();
    for part in [
        event,
        distinct_id,
        &timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
        &properties.to_string(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    format!(
        "sha256:{}",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn bad_events_are_named_by_path_and_the_rest_pass() {
        let body = json!({"batch": [
            {"event": "cli_invocation", "distinct_id": "550e8400-e29b-41d4-a716-446655440000", "properties": {"command": "init"}},
            {"event": "cli_invocation", "properties": {}},
            {"event": "x".repeat(201), "distinct_id": "d"},
            {"event": "e", "distinct_id": "d", "properties": [1]},
            {"event": "e", "distinct_id": "d", "timestamp": "yesterday"},
            "not an object"
        ]});
        let b = validate(&body, now(), &Limits::default()).expect("batch");
        assert_eq!(b.events.len(), 1);
        let paths: Vec<&str> = b.rejected.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$.batch[1].distinct_id",
                "$.batch[2].event",
                "$.batch[3].properties",
                "$.batch[4].timestamp",
                "$.batch[5]"
            ]
        );
        assert_eq!(b.rejected[0].reason, "distinct_id is missing");
    }

    #[test]
    fn the_same_event_gets_the_same_id_and_skew_is_corrected() {
        let body = json!({"sent_at": "2026-11-22T08:05:00Z", "batch": [
            {"event": "e", "distinct_id": "d", "timestamp": "2026-11-22T08:04:00Z", "properties": {"b": 1, "a": 2}},
            {"event": "e", "distinct_id": "d", "timestamp": "2026-11-22T08:04:00Z", "properties": {"a": 2, "b": 1}},
            {"event": "e", "distinct_id": "d", "insert_id": "client-1"}
        ]});
        let b = validate(&body, now(), &Limits::default()).expect("batch");
        let (a, c) = (&b.events[0].1, &b.events[1].1);
        assert_eq!(a.insert_id, c.insert_id, "key order does not matter");
        assert!(a.insert_id.starts_with("sha256:"));
        // The client clock is 5 minutes ahead: 08:04 client time is 07:59 ours.
        assert_eq!(a.timestamp.to_rfc3339(), "2026-11-22T07:59:00+00:00");
        assert_eq!(
            a.client_timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-22T08:04:00+00:00")
        );
        assert_eq!(b.events[2].1.insert_id, "client-1");
        assert_eq!(b.events[2].1.timestamp, now());
    }

    #[test]
    fn whole_batch_problems_are_errors() {
        let l = Limits::default();
        assert_eq!(
            validate(&json!([]), now(), &l).expect_err("array").path,
            "$"
        );
        assert_eq!(
            validate(&json!({"batch": []}), now(), &l)
                .expect_err("empty")
                .path,
            "$.batch"
        );
        let many: Vec<Value> = (0..=l.max_events)
            .map(|_| json!({"event": "e", "distinct_id": "d"}))
            .collect();
        assert!(validate(&json!({"batch": many}), now(), &l)
            .expect_err("too many")
            .reason
            .contains("limit"));
        assert_eq!(
            validate(
                &json!({"batch": [{"event": "e", "distinct_id": "d"}], "sent_at": 5}),
                now(),
                &l
            )
            .expect_err("sent_at")
            .path,
            "$.sent_at"
        );
    }
}
