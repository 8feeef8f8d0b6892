//! A queued batch: one project's validated events and the request's refusals, as JSON,
//! split so that no message passes SQS's size limit.

use serde::{Deserialize, Serialize};

use crate::http::store::events::TelemetryEvent;
use crate::http::store::write::Refusals;

/// The message format this build writes and reads.
pub const FORMAT: u32 = 1;

/// SQS's largest message everywhere (256 KiB; some regions now take 1 MiB).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// One message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsMessage {
    /// [`FORMAT`].
    pub format: u32,
    /// The project the batch was posted to (authenticated by http-ingest).
    pub project_id: String,
    /// Validated events, in the order sent.
    pub events: Vec<TelemetryEvent>,
    /// The request's refusals (in the first message of a split batch only).
    #[serde(default)]
    pub refused: Refusals,
}

/// The messages carrying `events` of `project_id`, each under [`MAX_MESSAGE_BYTES`] (an
/// event larger than that alone goes alone, and SQS refuses it); `refused` rides with the
/// first.
pub fn bodies(
    project_id: &str,
    events: &[TelemetryEvent],
    refused: Refusals,
) -> Result<Vec<String>, serde_json::Error> {
    let sizes: Vec<usize> = events
        .iter()
        .map(|e| serde_json::to_vec(e).map(|v| v.len() + 1))
        .collect::<Result<_, _>>()?;
    let empty = |refused: &Refusals| {
        serde_json::to_vec(&EventsMessage {
            format: FORMAT,
            project_id: project_id.to_string(),
            events: Vec::new(),
            refused: refused.clone(),
        })
        .map(|v| v.len())
    };
    let mut out = Vec::new();
    let mut refused = Some(refused);
    let mut start = 0;
    while start < events.len() {
        let mine = refused.take().unwrap_or_default();
        let mut size = empty(&mine)?;
        let mut end = start;
        while end < events.len() && (end == start || size + sizes[end] <= MAX_MESSAGE_BYTES) {
            size += sizes[end];
            end += 1;
        }
        out.push(serde_json::to_string(&EventsMessage {
            format: FORMAT,
            project_id: project_id.to_string(),
            events: events[start..end].to_vec(),
            refused: mine,
        })?);
        start = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn event(i: usize, pad: usize) -> TelemetryEvent {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 4, 8, 0, 0)
            .single()
            .expect("time");
        TelemetryEvent {
            insert_id: format!("e{i}"),
            event: "cli_invocation".into(),
            distinct_id: "install-1".into(),
            properties: json!({"pad": "x".repeat(pad), "n": 12345678901234567890u64}),
            client_timestamp: Some(at + chrono::Duration::nanoseconds(123_456_789)),
            timestamp: at,
            sent_at: None,
            received_at: at,
        }
    }

    #[test]
    fn a_large_batch_is_split_under_the_limit_and_reads_back_the_same() {
        let events: Vec<_> = (0..100).map(|i| event(i, 60_000)).collect();
        let refused = Refusals::of(&[json!({"index": 100, "reason": "r"})]);
        let out = bodies("p", &events, refused.clone()).expect("bodies");
        assert!(out.len() >= 24, "{} messages", out.len());
        let mut back = Vec::new();
        for (i, b) in out.iter().enumerate() {
            assert!(
                b.len() <= MAX_MESSAGE_BYTES,
                "message {i}: {} bytes",
                b.len()
            );
            let m: EventsMessage = serde_json::from_str(b).expect("parse");
            assert_eq!(m.refused.count, usize::from(i == 0));
            back.extend(m.events);
        }
        assert_eq!(back, events, "nanoseconds and big numbers survive");
    }

    #[test]
    fn a_small_batch_is_one_message() {
        let events: Vec<_> = (0..25).map(|i| event(i, 100)).collect();
        let out = bodies("p", &events, Refusals::default()).expect("bodies");
        assert_eq!(out.len(), 1);
    }
}
