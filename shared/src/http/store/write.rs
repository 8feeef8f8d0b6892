//! A batch's write: its events inserted in one transaction with the `batch_ingested` outbox
//! event that counts what was stored, duplicated and refused. The API's routes and the
//! queue's consumer (`crate::http::queue`) write through here, so both count the same way.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::events::{insert_events, insert_events_each, TelemetryEvent};
use crate::db::{DbError, Pool};
use crate::outbox::{append, BroadcastLevel, EventKind, NewEvent};

/// A batch's refusals as its outbox event names them: how many, and the first few.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Refusals {
    /// Every refusal, counted.
    pub count: usize,
    /// The first [`Refusals::KEPT`] of them (index, reason, path).
    pub first: Vec<Value>,
}

impl Refusals {
    /// Refusals an outbox event names one by one.
    pub const KEPT: usize = 10;

    /// Counts `refusal`, keeping it when fewer than [`Refusals::KEPT`] are kept.
    pub fn push(&mut self, refusal: Value) {
        self.count += 1;
        if self.first.len() < Self::KEPT {
            self.first.push(refusal);
        }
    }

    /// Adds `other`'s refusals, keeping the first [`Refusals::KEPT`] of both.
    pub fn merge(&mut self, other: Refusals) {
        self.count += other.count;
        let room = Self::KEPT.saturating_sub(self.first.len());
        self.first.extend(other.first.into_iter().take(room));
    }

    /// The refusals `all`.
    pub fn of<'a>(all: impl IntoIterator<Item = &'a Value>) -> Self {
        all.into_iter().cloned().collect()
    }
}

impl FromIterator<Value> for Refusals {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let mut r = Self::default();
        for v in iter {
            r.push(v);
        }
        r
    }
}

/// Inserts `events` for `project` in one transaction with the batch's outbox event, which
/// counts `refused` (the batch's other refusals) and the database's: for each event, stored
/// now (true), already stored (false), or why the database refused it. A refusal is one
/// event's (`reject(position, reason)` names it in the outbox event), never the batch's.
pub async fn write_events(
    pool: &Pool,
    project: &str,
    events: &[TelemetryEvent],
    mut refused: Refusals,
    reject: impl Fn(usize, &str) -> Value,
) -> Result<Vec<Result<bool, String>>, DbError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let _span = crate::xray::database("write_events");
    let mut client = pool.get().await?;
    let mut tx = tokio_postgres::Client::transaction(&mut client).await?;
    let stored: Vec<Result<bool, String>> = match insert_events(&tx, project, events).await {
        Ok(s) => s.into_iter().map(Ok).collect(),
        Err(e) if e.is_data_error() => {
            // The database refused one event's value: store the others one by one.
            tx.rollback().await?;
            tx = tokio_postgres::Client::transaction(&mut client).await?;
            insert_events_each(&mut tx, project, events)
                .await?
                .into_iter()
                .map(|r| r.map_err(|e| format!("refused by the database: {}", e.server_message())))
                .collect()
        }
        Err(e) => return Err(e),
    };
    for (pos, s) in stored.iter().enumerate() {
        if let Err(reason) = s {
            refused.push(reject(pos, reason));
        }
    }
    let new = stored.iter().filter(|s| matches!(s, Ok(true))).count();
    let kept = stored.iter().filter(|s| s.is_ok()).count();
    if kept > 0 {
        announce_batch(&tx, project, "events", new, kept - new, &refused).await?;
        tx.commit().await?;
    }
    crate::emf::records("events", new, kept - new, refused.count);
    Ok(stored)
}

/// Writes the `batch_ingested` outbox event of a batch, in the batch's transaction.
pub async fn announce_batch(
    tx: &impl tokio_postgres::GenericClient,
    project: &str,
    kind: &str,
    stored: usize,
    duplicates: usize,
    refused: &Refusals,
) -> Result<(), DbError> {
    let payload = json!({
        "kind": kind,
        "accepted": stored,
        "duplicate": duplicates,
        "rejected": refused.count,
        "rejects": refused.first,
    });
    let level = if refused.count == 0 {
        BroadcastLevel::Silent
    } else {
        BroadcastLevel::Mention
    };
    let event = NewEvent {
        kind: EventKind::BatchIngested,
        project_id: Some(project),
        broadcast_level: Some(level),
        payload,
        dedup_key: None,
    };
    append(tx, &event).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_refusals_count_all_and_keep_the_first_ten() {
        let of =
            |from: usize, n: usize| -> Refusals { (from..from + n).map(|i| json!(i)).collect() };
        let mut r = of(0, 7);
        r.merge(of(100, 6));
        assert_eq!(r.count, 13);
        assert_eq!(
            r.first,
            (0..7).chain(100..103).map(|i| json!(i)).collect::<Vec<_>>()
        );
        r.merge(Refusals::default());
        assert_eq!((r.count, r.first.len()), (13, Refusals::KEPT));
    }
}
