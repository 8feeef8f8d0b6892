//! The transactional outbox (design seed 003): facts written to `outbox_events` in the same
//! transaction as the data they describe, published to EventBridge by [`relay`], and
//! replayable by cursor ([`after`]).

mod eventbridge;
mod kinds;
mod parked;
mod relay;
mod relayer;
mod replay;

pub use eventbridge::EventBridgeBus;
pub use kinds::{
    BroadcastLevel, EventKind, SOURCE_FLEET, SOURCE_GITHUB, SOURCE_INGEST, SOURCE_LLM, SOURCE_PRUNE,
};
pub use parked::{list_parked, unpark, ParkedEvent, PARK_AFTER};
pub use relay::{relay, BusEntry, BusError, EventBus, RelayReport, MAX_ENTRIES_PER_PUT};
pub use relayer::{bus_timeouts, Relayer};
pub use replay::after;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Event type (the EventBridge `DetailType`); its source comes with it.
    pub kind: EventKind,
    /// Project the event belongs to, when it has one (replay is per project).
    pub project_id: Option<&'a str>,
    /// How loudly to announce it.
    pub broadcast_level: Option<BroadcastLevel>,
    /// Event-specific data.
    pub payload: Value,
    /// Set when the same fact may be observed again: a second copy is not written.
    pub dedup_key: Option<String>,
}

/// Appends `event` with `client` (call it inside the transaction that writes the data);
/// returns its id, or `None` when an event with the same `dedup_key` exists.
pub async fn append(
    client: &impl GenericClient,
    event: &NewEvent<'_>,
) -> Result<Option<i64>, DbError> {
    let row = client
        .query_opt(
            "INSERT INTO outbox_events (type, source, project_id, broadcast_level, payload, dedup_key)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (dedup_key) DO NOTHING RETURNING event_id",
            &[
                &event.kind,
                &event.kind.source(),
                &event.project_id,
                &event.broadcast_level,
                &event.payload,
                &event.dedup_key,
            ],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// A stored event, as replayed and as published.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutboxEvent {
    /// The cursor and the id consumers dedup on.
    pub id: i64,
    /// When it was written.
    pub ts: DateTime<Utc>,
    /// Event type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Source.
    pub source: String,
    /// Project, when it has one.
    pub project_id: Option<String>,
    /// Briefing it announces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub briefing_id: Option<i64>,
    /// silent, mention, highlight or alert.
    pub broadcast_level: Option<String>,
    /// Event-specific data.
    pub payload: Value,
    /// When the relay published it (not part of the published detail).
    #[serde(skip)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Failed publishing attempts so far.
    #[serde(skip)]
    pub attempts: i32,
    /// Its replay position (commit order; see [`after`]), once it has one.
    pub cursor: Option<i64>,
}

pub(crate) const COLUMNS: &str =
    "event_id, ts, type, source, project_id, briefing_id, broadcast_level, \
                       payload, delivered_at, attempts, seq";

pub(crate) fn from_row(r: &tokio_postgres::Row) -> OutboxEvent {
    OutboxEvent {
        id: r.get("event_id"),
        ts: r.get("ts"),
        kind: r.get("type"),
        source: r.get("source"),
        project_id: r.get("project_id"),
        briefing_id: r.get("briefing_id"),
        broadcast_level: r.get("broadcast_level"),
        payload: r.get("payload"),
        delivered_at: r.get("delivered_at"),
        attempts: r.get("attempts"),
        cursor: r.get("seq"),
    }
}

/// Undelivered events that are not parked, in commit order (their replay position: call
/// [`replay::sequence`] first so that every committed event has one).
pub(crate) async fn undelivered(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<OutboxEvent>, DbError> {
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM outbox_events
                 WHERE delivered_at IS NULL AND parked_at IS NULL AND seq IS NOT NULL
                 ORDER BY seq LIMIT $1"
            ),
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Seconds the oldest event waiting for the relay has waited (0 when none waits; parked
/// ones not included): the outbox's lag.
pub async fn lag_seconds(client: &impl GenericClient) -> Result<f64, DbError> {
    let row = client
        .query_one(
            "SELECT coalesce(extract(epoch FROM now() - min(ts)), 0)::float8
             FROM outbox_events WHERE delivered_at IS NULL AND parked_at IS NULL",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// How many events wait for the relay (parked ones not included).
pub async fn pending(client: &impl GenericClient) -> Result<i64, DbError> {
    let row = client
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL AND parked_at IS NULL",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
