//! The consumer's work on one delivery of messages: read each, check its events again
//! against their columns (the queue is a boundary: anything with `sqs:SendMessage` can write
//! to it), and write them per project through the direct mode's path. A message that cannot
//! be read, or whose write failed for a reason other than its data, is handed back.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::message::{EventsMessage, FORMAT};
use crate::columns::Validate;
use crate::db::Pool;
use crate::http::store::events::TelemetryEvent;
use crate::http::store::write::{write_events, Refusals};

/// One message as the queue delivered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The queue's id for it (what a partial batch response names).
    pub id: String,
    /// Its body.
    pub body: String,
    /// When it was sent, in milliseconds since the epoch (SQS's `SentTimestamp`).
    pub sent_at_ms: Option<i64>,
}

/// What one delivery came to. `events = accepted + duplicate + rejected + retried`.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ConsumeReport {
    /// Messages read.
    pub messages: usize,
    /// Ids of the messages handed back (delivered again, or dead-lettered).
    pub failed: Vec<String>,
    /// Of those, the ones that could not be read at all.
    pub unreadable: usize,
    /// Events in the readable messages, those refused before queueing included.
    pub events: usize,
    /// Stored now.
    pub accepted: usize,
    /// Already stored (a re-delivery, a re-send).
    pub duplicate: usize,
    /// Refused here (a column's check or the database) or by http-ingest before queueing.
    pub rejected: usize,
    /// In messages handed back for another try.
    pub retried: usize,
    /// Age of the oldest message, in seconds.
    pub oldest_seconds: f64,
}

/// A readable message: its position and content, with its events checked.
struct Checked {
    at: usize,
    message: EventsMessage,
    valid: Vec<TelemetryEvent>,
}

/// Reads and stores `deliveries`, received at `now`.
pub async fn consume(pool: &Pool, deliveries: &[Delivery], now: DateTime<Utc>) -> ConsumeReport {
    let mut report = ConsumeReport {
        messages: deliveries.len(),
        ..ConsumeReport::default()
    };
    let mut by_project: BTreeMap<String, Vec<Checked>> = BTreeMap::new();
    for (at, d) in deliveries.iter().enumerate() {
        if let Some(ms) = d.sent_at_ms {
            let age = (now.timestamp_millis() - ms).max(0) as f64 / 1000.0;
            report.oldest_seconds = report.oldest_seconds.max(age);
        }
        match read(at, d) {
            Ok(c) => {
                report.events += c.valid.len() + c.message.refused.count;
                by_project
                    .entry(c.message.project_id.clone())
                    .or_default()
                    .push(c);
            }
            Err(why) => {
                tracing::warn!(message_id = d.id, "a queued message cannot be read: {why}");
                report.unreadable += 1;
                report.failed.push(d.id.clone());
            }
        }
    }
    for (project, group) in by_project {
        write_group(pool, &project, group, deliveries, &mut report).await;
    }
    crate::emf::queue(report.messages, report.failed.len(), report.oldest_seconds);
    report
}

fn read(at: usize, d: &Delivery) -> Result<Checked, String> {
    let mut message: EventsMessage = serde_json::from_str(&d.body).map_err(|e| e.to_string())?;
    if message.format != FORMAT {
        return Err(format!(
            "format {} (this build reads {FORMAT})",
            message.format
        ));
    }
    let mut valid = Vec::with_capacity(message.events.len());
    for (i, e) in std::mem::take(&mut message.events).into_iter().enumerate() {
        match e.validate() {
            Ok(()) => valid.push(e),
            Err(err) => message.refused.push(json!({
                "index": i, "reason": err.to_string(),
                "path": format!("$.events[{i}].{}", err.column),
            })),
        }
    }
    Ok(Checked { at, message, valid })
}

/// One project's messages in one transaction; all handed back when it fails for a reason
/// other than an event's data (those are refused one by one inside it).
async fn write_group(
    pool: &Pool,
    project: &str,
    group: Vec<Checked>,
    deliveries: &[Delivery],
    report: &mut ConsumeReport,
) {
    let ids: Vec<&str> = group.iter().map(|c| deliveries[c.at].id.as_str()).collect();
    let mut events = Vec::new();
    let mut refused = Refusals::default();
    for c in group {
        events.extend(c.valid);
        refused.merge(c.message.refused);
    }
    // Keys in one order: two consumers handed the same messages in different orders (SQS
    // is at-least-once) wait on each other's inserts instead of deadlocking.
    events.sort_by(|a, b| a.insert_id.cmp(&b.insert_id));
    let earlier = refused.count;
    match write_events(
        pool,
        project,
        &events,
        refused,
        |pos, reason| json!({"insert_id": events[pos].insert_id, "reason": reason}),
    )
    .await
    {
        Ok(stored) => {
            report.accepted += stored.iter().filter(|s| matches!(s, Ok(true))).count();
            report.duplicate += stored.iter().filter(|s| matches!(s, Ok(false))).count();
            report.rejected += earlier + stored.iter().filter(|s| s.is_err()).count();
        }
        Err(e) => {
            tracing::warn!(project, "queued events not stored, handed back: {e}");
            report.retried += events.len() + earlier;
            report.failed.extend(ids.iter().map(|id| id.to_string()));
        }
    }
}
