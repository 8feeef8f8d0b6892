//! OTLP attribute lists as JSON objects, and typed reads of one attribute: the exporters
//! disagree on types (Claude Code sends token counts as strings, others as ints or
//! doubles), so a number is read from any of the three.

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Any, AnyValue, KeyValue};
use serde_json::{Map, Value};

/// An attribute list as an object (a later duplicate key wins, as in the SDKs).
pub(super) fn object(list: &[KeyValue]) -> Map<String, Value> {
    list.iter()
        .map(|kv| (kv.key.clone(), value(kv.value.as_ref())))
        .collect()
}

/// One value as JSON: bytes as hex, as the OTLP JSON mapping writes ids.
pub(super) fn value(v: Option<&AnyValue>) -> Value {
    match v.and_then(|v| v.value.as_ref()) {
        None => Value::Null,
        Some(Any::StringValue(s)) => Value::String(s.clone()),
        Some(Any::BoolValue(b)) => Value::Bool(*b),
        Some(Any::IntValue(i)) => Value::from(*i),
        Some(Any::DoubleValue(d)) => serde_json::Number::from_f64(*d)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Some(Any::ArrayValue(a)) => Value::Array(a.values.iter().map(|v| value(Some(v))).collect()),
        Some(Any::KvlistValue(kv)) => Value::Object(object(&kv.values)),
        Some(Any::BytesValue(b)) => Value::String(b.iter().map(|x| format!("{x:02x}")).collect()),
        // An index into a profiles string table: meaningless outside one.
        Some(Any::StringValueStrindex(_)) => Value::Null,
    }
}

/// The record's attributes over its resource's: a record's own value wins.
pub(super) struct Attrs<'a> {
    pub(super) record: &'a Map<String, Value>,
    pub(super) resource: &'a Map<String, Value>,
}

impl Attrs<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.record
            .get(key)
            .or_else(|| self.resource.get(key))
            .filter(|v| !v.is_null())
    }

    /// A non-empty string (a number reads as its digits).
    pub(super) fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The first of `keys` that is set.
    pub(super) fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.text(k))
    }

    /// A token count: a whole number from 0 to `i32::MAX` (the column's range), as an int,
    /// a whole double or a string of digits; absent is 0.
    pub(super) fn count(&self, key: &str) -> Result<u32, String> {
        Ok(self.number(key)?.map_or(0, |n| n as u32))
    }

    /// A whole number from 0 to `i32::MAX`, or `None` when absent.
    pub(super) fn number(&self, key: &str) -> Result<Option<u64>, String> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match numeric(v) {
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(i32::MAX)).contains(&n) => {
                Ok(Some(n as u64))
            }
            _ => Err(format!(
                "{key}: {v} is not a whole number from 0 to {}",
                i32::MAX
            )),
        }
    }

    /// A non-negative finite amount, or `None` when absent.
    pub(super) fn amount(&self, key: &str) -> Result<Option<f64>, String> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match numeric(v) {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
            _ => Err(format!("{key}: {v} is not a non-negative amount")),
        }
    }
}

/// A number, or a string of one.
fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// The time of a record: its `event.timestamp` attribute (RFC 3339, as the agents write
/// it), else its `timeUnixNano`, else when the SDK observed it.
pub(super) fn record_time(
    attrs: &Attrs<'_>,
    time_unix_nano: u64,
    observed_unix_nano: u64,
) -> Result<DateTime<Utc>, String> {
    if let Some(t) = attrs.text("event.timestamp") {
        return DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| format!("event.timestamp: {t:?} is not an RFC 3339 timestamp"));
    }
    [time_unix_nano, observed_unix_nano]
        .into_iter()
        .find(|n| *n > 0)
        .map(|n| DateTime::from_timestamp_nanos(i64::try_from(n).unwrap_or(i64::MAX)))
        .ok_or_else(|| {
            "the record has no event.timestamp, timeUnixNano or observedTimeUnixNano".into()
        })
}
