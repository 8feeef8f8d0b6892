//! Parked outbox entries: events the bus rejected on every try of [`PARK_AFTER`] relays
//! (not throttling, not an unreachable bus: the entry itself). Parking lets the events of
//! the same source behind it move on; the entry keeps its error until someone retries it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// Relays (of 3 tries each) an entry may be rejected in before it is parked.
pub const PARK_AFTER: i32 = 3;

/// A parked entry, as `telemetry relay --parked` lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParkedEvent {
    /// Event id.
    pub id: i64,
    /// Event type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Source.
    pub source: String,
    /// Relays it failed in.
    pub attempts: i32,
    /// The bus's last answer for it.
    pub last_error: Option<String>,
    /// When it was parked.
    pub parked_at: DateTime<Utc>,
}

/// True when a per-entry error may go away by itself (throttling, the bus's own failure):
/// such an entry is retried, never parked.
pub fn is_transient_entry_error(error: &str) -> bool {
    let code = error.split(':').next().unwrap_or("");
    code.contains("Throttl") || code.contains("Internal")
}

/// Parks those of `ids` that failed in [`PARK_AFTER`] relays or more; returns how many.
pub async fn park_rejected(client: &impl GenericClient, ids: &[i64]) -> Result<u64, DbError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(client
        .execute(
            "UPDATE outbox_events SET parked_at = now()
             WHERE event_id = ANY($1) AND attempts >= $2 AND delivered_at IS NULL
               AND parked_at IS NULL",
            &[&ids, &PARK_AFTER],
        )
        .await?)
}

/// Every parked entry, oldest first.
pub async fn list_parked(client: &impl GenericClient) -> Result<Vec<ParkedEvent>, DbError> {
    let rows = client
        .query(
            "SELECT event_id, type, source, attempts, last_error, parked_at FROM outbox_events
             WHERE parked_at IS NOT NULL AND delivered_at IS NULL ORDER BY event_id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ParkedEvent {
            id: r.get("event_id"),
            kind: r.get("type"),
            source: r.get("source"),
            attempts: r.get("attempts"),
            last_error: r.get("last_error"),
            parked_at: r.get("parked_at"),
        })
        .collect())
}

/// Unparks `ids` (every parked entry when `None`) for the next relay, with a fresh count of
/// tries; returns how many.
pub async fn unpark(client: &impl GenericClient, ids: Option<&[i64]>) -> Result<u64, DbError> {
    Ok(client
        .execute(
            "UPDATE outbox_events SET parked_at = NULL, attempts = 0
             WHERE parked_at IS NOT NULL AND delivered_at IS NULL
               AND ($1::int8[] IS NULL OR event_id = ANY($1))",
            &[&ids],
        )
        .await?)
}

#[cfg(test)]
mod tests {
    use super::is_transient_entry_error;

    #[test]
    fn throttling_and_internal_failures_are_not_parked() {
        assert!(is_transient_entry_error(
            "ThrottlingException: Rate exceeded"
        ));
        assert!(is_transient_entry_error("InternalFailure: try again"));
        assert!(!is_transient_entry_error(
            "MalformedDetail: Detail is malformed."
        ));
        assert!(!is_transient_entry_error("InvalidArgument: bad source"));
    }
}
