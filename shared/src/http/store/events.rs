//! Telemetry events posted to `POST /ingest`: inserted once per (project, insert_id).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// One validated event (also the queued mode's message content, `crate::http::queue`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TelemetryEvent {
    /// The client's id, or a digest of the content.
    pub insert_id: String,
    /// Event name.
    pub event: String,
    /// Who sent it (the seed: the repository's UUID).
    pub distinct_id: String,
    /// Free-form properties.
    pub properties: Value,
    /// The client's timestamp as sent.
    pub client_timestamp: Option<DateTime<Utc>>,
    /// Skew-corrected time (received time when the client gave none).
    pub timestamp: DateTime<Utc>,
    /// The batch's `sent_at`.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the server received the batch.
    pub received_at: DateTime<Utc>,
}

/// Inserts `events` for `project`; for each, true when stored now, false when it was
/// already stored (or appeared earlier in the same batch).
pub async fn insert_events(
    client: &impl GenericClient,
    project: &str,
    events: &[TelemetryEvent],
) -> Result<Vec<bool>, DbError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = events.iter().map(|e| e.insert_id.as_str()).collect();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    let distinct: Vec<&str> = events.iter().map(|e| e.distinct_id.as_str()).collect();
    let props: Vec<&Value> = events.iter().map(|e| &e.properties).collect();
    let client_ts: Vec<Option<DateTime<Utc>>> = events.iter().map(|e| e.client_timestamp).collect();
    let ts: Vec<DateTime<Utc>> = events.iter().map(|e| e.timestamp).collect();
    let sent: Vec<Option<DateTime<Utc>>> = events.iter().map(|e| e.sent_at).collect();
    let received: Vec<DateTime<Utc>> = events.iter().map(|e| e.received_at).collect();
    let rows = client
        .query(
            "INSERT INTO telemetry_events (project_id, insert_id, event, distinct_id, properties,
                 client_timestamp, timestamp, sent_at, received_at)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::jsonb[],
                 $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
             ON CONFLICT (project_id, insert_id) DO NOTHING
             RETURNING insert_id",
            &[
                &project, &ids, &names, &distinct, &props, &client_ts, &ts, &sent, &received,
            ],
        )
        .await?;
    let mut stored: HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
    // The first copy of an id in the batch is the one stored; later copies are duplicates.
    Ok(events.iter().map(|e| stored.remove(&e.insert_id)).collect())
}

/// [`insert_events`] one event at a time, each in a savepoint of `tx`: for each, whether it
/// was stored now, or the database's refusal. For a batch the database refused as a whole on
/// one event's data, so that the others still land.
pub async fn insert_events_each(
    tx: &mut tokio_postgres::Transaction<'_>,
    project: &str,
    events: &[TelemetryEvent],
) -> Result<Vec<Result<bool, DbError>>, DbError> {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let sp = tx.savepoint("event").await?;
        match insert_events(&sp, project, std::slice::from_ref(e)).await {
            Ok(stored) => {
                sp.commit().await?;
                out.push(Ok(stored.first().copied().unwrap_or(false)));
            }
            Err(err) if err.is_data_error() => {
                sp.rollback().await?;
                out.push(Err(err));
            }
            Err(err) => return Err(err),
        }
    }
    Ok(out)
}

/// An event against `telemetry_events`.
mod validate {
    use super::TelemetryEvent;
    use crate::columns::tables::telemetry_events as te;
    use crate::columns::{Validate, ValueError};

    impl Validate for TelemetryEvent {
        fn validate(&self) -> Result<(), ValueError> {
            te::INSERT_ID.check_str(&self.insert_id)?;
            te::EVENT.check_str(&self.event)?;
            te::DISTINCT_ID.check_str(&self.distinct_id)?;
            te::PROPERTIES.check_json(&self.properties)?;
            te::CLIENT_TIMESTAMP.check_opt_time(self.client_timestamp)?;
            te::TIMESTAMP.check_time(self.timestamp)?;
            te::SENT_AT.check_opt_time(self.sent_at)
        }
    }
}

/// Which of `insert_ids` `project` has stored already (a re-sent batch's events).
pub async fn stored_insert_ids(
    client: &impl GenericClient,
    project: &str,
    insert_ids: &[&str],
) -> Result<HashSet<String>, DbError> {
    if insert_ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(client
        .query(
            "SELECT insert_id FROM telemetry_events WHERE project_id = $1 AND insert_id = ANY($2)",
            &[&project, &insert_ids],
        )
        .await?
        .iter()
        .map(|r| r.get("insert_id"))
        .collect())
}
