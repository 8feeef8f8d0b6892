//! `POST /ingest` (bearer key) and `POST /p/{token}/ingest` (public token, rate limited per
//! install and per token, `http::throttle`):
//! event batches, each event accepted, a duplicate or rejected by its path, written with the
//! batch's outbox event in one transaction, or in queued mode put on the ingest queue
//! (`queued`). A `briefings`/`jobs` body goes to `records`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::{Request, StatusCode};
use serde_json::{json, Value};

use super::queued::enqueue_events;
use super::records::{has_records, store_records};
use crate::db::DbError;
use crate::http::app::HttpIngest;
use crate::http::auth::Caller;
use crate::http::events::{validate, Batch, Rejection};
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::http::results::{every_item_rejected, outcome_status};
use crate::http::store::events::stored_insert_ids;
use crate::http::store::write::{write_events, Refusals};
use crate::http::throttle::{per_install, Reservation};

pub(super) async fn ingest_public(
    api: &HttpIngest,
    caller: &Caller,
    req: &Request<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    let body = api.json_body(req)?;
    let now = Utc::now();
    let batch = checked(api, &body, now)?;
    // Only events that can be stored are reserved: a malformed batch is a 400 or 413, never
    // a lock-out, and a re-sent batch's stored events are not new; of those reserved, only
    // the ones accepted stay counted.
    let ids: Vec<&str> = batch
        .events
        .iter()
        .map(|(_, e)| e.insert_id.as_str())
        .collect();
    let known = {
        let client = api.pool.get().await.map_err(DbError::from)?;
        stored_insert_ids(&**client, &caller.project_id, &ids).await?
    };
    let new: Vec<&str> = batch
        .events
        .iter()
        .filter(|(_, e)| !known.contains(&e.insert_id))
        .map(|(_, e)| e.distinct_id.as_str())
        .collect();
    let installs = per_install(new.iter().copied());
    let total = new.len();
    let reserved = Reservation::take(api, caller, installs.clone(), total, now).await?;
    // Queued, the events not stored before are counted: the consumer finds the duplicates
    // among them later.
    match take_batch(api, caller, batch, installs).await {
        Ok((answer, accepted)) => {
            reserved.settle(api, &accepted).await;
            Ok(answer)
        }
        Err(e) => {
            reserved.settle(api, &BTreeMap::new()).await;
            Err(e)
        }
    }
}

pub(super) async fn ingest_events(
    api: &HttpIngest,
    caller: &Caller,
    req: &Request<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    let body = api.json_body(req)?;
    if has_records(&body) {
        return store_records(&api.pool, &caller.project_id, &body).await;
    }
    let batch = checked(api, &body, Utc::now())?;
    take_batch(api, caller, batch, BTreeMap::new())
        .await
        .map(|(answer, _)| answer)
}

/// Stores `batch` (direct mode) or queues it; the answer, and the events accepted per
/// install (queued: `queued_installs`, the events reserved as new).
async fn take_batch(
    api: &HttpIngest,
    caller: &Caller,
    batch: Batch,
    queued_installs: BTreeMap<String, i32>,
) -> Result<(HttpResponse, BTreeMap<String, i32>), ApiError> {
    match &api.queue {
        Some(queue) => enqueue_events(queue, &caller.project_id, batch)
            .await
            .map(|answer| (answer, queued_installs)),
        None => store_events(api, caller, batch).await,
    }
}

/// The events of `body`, each valid or rejected; 400 or 413 for a bad batch.
fn checked(api: &HttpIngest, body: &Value, received_at: DateTime<Utc>) -> Result<Batch, ApiError> {
    validate(body, received_at, &api.config.limits).map_err(|e| {
        let (status, code) = if e.too_many {
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        } else {
            (StatusCode::BAD_REQUEST, "invalid_batch")
        };
        ApiError::new(status, code, e.reason).details(json!({"path": e.path}))
    })
}

/// Stores the batch's events; the answer, and the events accepted (new) per `distinct_id`.
async fn store_events(
    api: &HttpIngest,
    caller: &Caller,
    batch: Batch,
) -> Result<(HttpResponse, BTreeMap<String, i32>), ApiError> {
    if batch.events.is_empty() {
        return Err(every_item_rejected(
            &batch
                .rejected
                .iter()
                .map(Rejection::result)
                .collect::<Vec<_>>(),
        ));
    }
    let events: Vec<_> = batch.events.iter().map(|(_, e)| e.clone()).collect();
    let total = batch.events.len() + batch.rejected.len();
    let mut rejected = batch.rejected;
    let earlier: Refusals = rejected.iter().map(Rejection::refusal).collect();
    let at: Vec<usize> = batch.events.iter().map(|(i, _)| *i).collect();
    let stored = write_events(&api.pool, &caller.project_id, &events, earlier, |pos, reason| {
        json!({"index": at[pos], "reason": reason, "path": format!("$.batch[{}]", at[pos])})
    })
    .await?;
    for ((i, _), s) in batch.events.iter().zip(&stored) {
        if let Err(reason) = s {
            rejected.push(Rejection {
                index: *i,
                reason: reason.clone(),
                path: format!("$.batch[{i}]"),
            });
        }
    }
    let kept = stored.iter().filter(|s| s.is_ok()).count();
    let mut results = vec![Value::Null; total];
    let mut accepted = 0;
    let mut by_install: BTreeMap<String, i32> = BTreeMap::new();
    for ((i, e), s) in batch.events.iter().zip(&stored) {
        if let Ok(new) = s {
            accepted += usize::from(*new);
            if *new {
                *by_install.entry(e.distinct_id.clone()).or_default() += 1;
            }
            results[*i] = json!({
                "index": i,
                "status": if *new { "accepted" } else { "duplicate" },
                "insert_id": e.insert_id,
            });
        }
    }
    for r in &rejected {
        results[r.index] = r.result();
    }
    if kept == 0 {
        return Err(every_item_rejected(&results));
    }
    let summary = json!({
        "accepted": accepted,
        "duplicate": kept - accepted,
        "rejected": rejected.len(),
        "results": results,
    });
    Ok((
        json_response(outcome_status(kept, rejected.len()), &summary),
        by_install,
    ))
}
