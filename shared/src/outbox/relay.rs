//! The relay: publishes undelivered outbox events to an event bus and marks them delivered.
//!
//! At-least-once: an event is marked delivered only after the bus accepted it, so a crash in
//! between publishes it again (consumers dedup on `detail.id`). One relay runs at a time (a
//! transaction-scoped advisory lock; a second caller returns at once, the running one picks
//! its events up) and events go out in commit order (their replay position). Once an event of a source fails, the
//! source's later events wait for the next relay, and until it is delivered the source's
//! events go one per PutEvents call, so a source that fails stays in order. (Entries of one
//! call are independent: the first failure of a source can only be reordered with later
//! entries of that same call; consumers order by `detail.id`.)

use crate::failure::Retryable;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{undelivered, OutboxEvent};
use crate::db::{DbError, Pool};

/// PutEvents accepts at most 10 entries per call.
pub const MAX_ENTRIES_PER_PUT: usize = 10;
/// Bytes of entries per call, kept under PutEvents' request limit.
const MAX_BYTES_PER_PUT: usize = 256 * 1024;
/// A payload larger than this is replaced by a pointer to the replay API.
const MAX_DETAIL_BYTES: usize = 200 * 1024;
/// Events read per round (one transaction).
const ROUND: i64 = 100;
/// Tries per round for entries the bus failed.
const ATTEMPTS: u32 = 3;
/// Advisory lock id held by the running relay.
const RELAY_LOCK: i64 = 0x7e1e_6e77_0001;

/// One entry for the bus.
#[derive(Debug, Clone, PartialEq)]
pub struct BusEntry {
    /// EventBridge `Source`.
    pub source: String,
    /// EventBridge `DetailType` (the event type).
    pub detail_type: String,
    /// JSON text: the event with its id.
    pub detail: String,
    /// When the event was written.
    pub time: DateTime<Utc>,
}

impl BusEntry {
    fn from_event(e: &OutboxEvent) -> Self {
        let mut detail = serde_json::to_string(e).unwrap_or_default();
        if detail.len() > MAX_DETAIL_BYTES {
            detail = json!({
                "id": e.id, "ts": e.ts, "type": e.kind, "source": e.source,
                "project_id": e.project_id, "truncated": true,
                "replay": format!("GET /events?after={}", e.id - 1),
            })
            .to_string();
        }
        Self {
            source: e.source.clone(),
            detail_type: e.kind.clone(),
            detail,
            time: e.ts,
        }
    }

    fn size(&self) -> usize {
        14 + self.source.len() + self.detail_type.len() + self.detail.len()
    }
}

/// Errors of a whole PutEvents call.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Throttling, timeouts, 5xx: the relay tries again.
    #[error("event bus unavailable: {0}")]
    Transient(String),
    /// Access denied, no such bus: will fail again until the configuration is fixed.
    #[error("event bus refused: {0}")]
    Permanent(String),
}

impl Retryable for BusError {
    fn is_retryable(&self) -> bool {
        matches!(self, BusError::Transient(_))
    }

    fn boundary(&self) -> &'static str {
        "EventBus"
    }
}

/// What the relay needs from an event bus.
pub trait EventBus: Send + Sync {
    /// Publishes up to [`MAX_ENTRIES_PER_PUT`] entries; one result per entry, in order:
    /// `None` when accepted, else the bus's error for it.
    fn put(
        &self,
        entries: &[BusEntry],
    ) -> impl Future<Output = Result<Vec<Option<String>>, BusError>> + Send;
}

/// What one relay did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RelayReport {
    /// Events the bus accepted and now marked delivered.
    pub published: u64,
    /// Entries the bus failed (each failed try counts; a round tries 3 times).
    pub failed_tries: u64,
    /// Events still undelivered when the relay stopped.
    pub pending: u64,
    /// The last error from the bus, if any event is left undelivered because of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Another relay was running: this one did nothing.
    pub busy: bool,
    /// Entries parked by this relay: the bus rejected them in every try of
    /// [`super::PARK_AFTER`] relays (`telemetry relay --parked` lists them).
    pub parked: u64,
}

/// Publishes undelivered events until none is left, the bus keeps failing, or `deadline`.
pub async fn relay(
    pool: &Pool,
    bus: &impl EventBus,
    deadline: Option<Instant>,
) -> Result<RelayReport, DbError> {
    let mut report = RelayReport::default();
    let mut client = pool.get().await?;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        // Publish in commit order: an event whose transaction committed after a later id's
        // gets a later position, so a source's events reach the bus in the order they
        // became visible.
        super::replay::sequence(&mut **client).await?;
        let tx = tokio_postgres::Client::transaction(&mut client).await?;
        let locked: bool = tx
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RELAY_LOCK])
            .await?
            .get(0);
        if !locked {
            report.busy = true;
            return Ok(report);
        }
        let events = undelivered(&tx, ROUND).await?;
        if events.is_empty() {
            tx.commit().await?;
            break;
        }
        // A bus that accepts and never answers must not hold the caller past its deadline:
        // what this round published unrecorded goes out again next time (at-least-once).
        let round = match deadline {
            Some(d) => tokio::time::timeout_at(d, publish(bus, &events, &mut report)).await,
            None => Ok(publish(bus, &events, &mut report).await),
        };
        let round = match round {
            Ok(round) => round,
            Err(_) => {
                let error = "the event bus did not answer before the relay's deadline";
                report.error = Some(error.to_string());
                let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
                tx.execute(
                    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2
                         WHERE event_id = ANY($1) AND delivered_at IS NULL",
                    &[&ids, &error],
                )
                .await?;
                tx.commit().await?;
                break;
            }
        };
        let delivered: Vec<i64> = round.delivered;
        let failed_ids: Vec<i64> = round.errors.keys().copied().collect();
        let failed_errors: Vec<&str> = failed_ids
            .iter()
            .map(|i| round.errors[i].as_str())
            .collect();
        tx.execute(
            "UPDATE outbox_events SET delivered_at = now(), attempts = attempts + 1,
                 last_error = NULL
             WHERE event_id = ANY($1)",
            &[&delivered],
        )
        .await?;
        tx.execute(
            "UPDATE outbox_events o SET attempts = attempts + 1, last_error = f.error
             FROM UNNEST($1::int8[], $2::text[]) AS f(id, error) WHERE o.event_id = f.id",
            &[&failed_ids, &failed_errors],
        )
        .await?;
        let rejected: Vec<i64> = round.rejected.iter().copied().collect();
        report.parked += super::parked::park_rejected(&tx, &rejected).await?;
        tx.commit().await?;
        report.published += delivered.len() as u64;
        if !round.errors.is_empty() || (events.len() as i64) < ROUND {
            break;
        }
    }
    report.pending = super::pending(&**client).await? as u64;
    Ok(report)
}

struct Round {
    delivered: Vec<i64>,
    /// Events left undelivered because the bus failed them, with the reason.
    errors: HashMap<i64, String>,
    /// Of those, the ones the bus rejected as entries (not throttled, not a failed call):
    /// candidates for parking.
    rejected: HashSet<i64>,
}

/// Publishes `events` in order, retrying failed entries; a source with a failed event
/// publishes nothing after it.
async fn publish(bus: &impl EventBus, events: &[OutboxEvent], report: &mut RelayReport) -> Round {
    let mut delivered = Vec::new();
    let mut errors: HashMap<i64, String> = HashMap::new();
    let mut rejected: HashSet<i64> = HashSet::new();
    let mut queue: Vec<&OutboxEvent> = events.iter().collect();
    'attempts: for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 << (2 * attempt))).await;
        }
        let mut retry = Vec::new();
        let mut blocked: HashSet<&str> = HashSet::new();
        // Sources with a failure behind them: one event per call until they recover.
        let mut suspect: HashSet<&str> = queue
            .iter()
            .filter(|e| e.attempts > 0 || errors.contains_key(&e.id))
            .map(|e| e.source.as_str())
            .collect();
        let mut i = 0;
        while i < queue.len() {
            // The next call: consecutive sendable events, within the entry and size limits.
            let mut chunk: Vec<&OutboxEvent> = Vec::new();
            let mut entries: Vec<BusEntry> = Vec::new();
            let mut bytes = 0;
            while i < queue.len() && chunk.len() < MAX_ENTRIES_PER_PUT {
                let e = queue[i];
                if blocked.contains(e.source.as_str()) {
                    retry.push(e);
                    i += 1;
                    continue;
                }
                let entry = BusEntry::from_event(e);
                let repeat_suspect = suspect.contains(e.source.as_str())
                    && chunk.iter().any(|c| c.source == e.source);
                if !chunk.is_empty() && (repeat_suspect || bytes + entry.size() > MAX_BYTES_PER_PUT)
                {
                    break;
                }
                bytes += entry.size();
                entries.push(entry);
                chunk.push(e);
                i += 1;
            }
            if chunk.is_empty() {
                continue;
            }
            let mut bus_failed = false;
            let results = match bus.put(&entries).await {
                Ok(r) if r.len() == chunk.len() => r,
                Ok(r) => vec![
                    Some(format!(
                        "bus answered {} results for {} entries",
                        r.len(),
                        chunk.len()
                    ));
                    chunk.len()
                ],
                Err(e) => {
                    bus_failed = true;
                    vec![Some(e.to_string()); chunk.len()]
                }
            };
            for (e, result) in chunk.into_iter().zip(results) {
                match result {
                    None => {
                        errors.remove(&e.id);
                        rejected.remove(&e.id);
                        delivered.push(e.id);
                    }
                    Some(err) => {
                        if !bus_failed && !super::parked::is_transient_entry_error(&err) {
                            rejected.insert(e.id);
                        } else {
                            rejected.remove(&e.id);
                        }
                        report.failed_tries += 1;
                        blocked.insert(e.source.as_str());
                        suspect.insert(e.source.as_str());
                        errors.insert(e.id, err);
                        retry.push(e);
                    }
                }
            }
            if bus_failed {
                // The call itself failed (unreachable, no answer, no such bus, throttled):
                // every further call would wait and fail the same way. The rest waits for
                // the next relay.
                retry.extend(&queue[i..]);
                retry.sort_by_key(|e| (e.cursor, e.id));
                queue = retry;
                break 'attempts;
            }
        }
        // Keep commit order for the next try.
        retry.sort_by_key(|e| (e.cursor, e.id));
        queue = retry;
        if queue.is_empty() {
            break;
        }
    }
    if let Some(e) = queue.iter().find_map(|e| errors.get(&e.id)) {
        report.error = Some(e.clone());
    }
    // Events held back behind a failed one keep no error of their own.
    errors.retain(|id, _| queue.iter().any(|e| e.id == *id));
    rejected.retain(|id| errors.contains_key(id));
    Round {
        delivered,
        errors,
        rejected,
    }
}
