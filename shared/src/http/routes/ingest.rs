//! `POST /ingest` (bearer key) and `POST /p/{token}/ingest` (public token, rate limited per
//! install and per token, `http::throttle`):
//! event batches, each event accepted, a duplicate or rejected by its path, written with the
//! batch's outbox event in one transaction. A `briefings`/`jobs` body goes to `records`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::{Request, StatusCode};
use serde_json::{json, Value};

use super::llm_calls::announce_batch;
use super::records::{has_records, store_records};
use crate::db::DbError;
use crate::http::app::HttpIngest;
use crate::http::auth::Caller;
use crate::http::events::{validate, Batch, Rejection};
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::http::results::{every_item_rejected, outcome_status};
use crate::http::store::events::{
    insert_events, insert_events_each, stored_insert_ids, TelemetryEvent,
};
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
    let reserved = Reservation::take(
        api,
        caller,
        per_install(new.iter().copied()),
        new.len(),
        now,
    )
    .await?;
    match store_events(api, caller, batch).await {
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
    store_events(api, caller, batch)
        .await
        .map(|(answer, _)| answer)
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
                .map(|r| {
                    json!({
                        "index": r.index, "status": "rejected", "reason": r.reason, "path": r.path,
                    })
                })
                .collect::<Vec<_>>(),
        ));
    }
    let events: Vec<_> = batch.events.iter().map(|(_, e)| e.clone()).collect();
    let total = batch.events.len() + batch.rejected.len();
    let mut rejected = batch.rejected;
    let earlier: Vec<Value> = rejected
        .iter()
        .map(|r| json!({"index": r.index, "reason": r.reason, "path": r.path}))
        .collect();
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
        results[r.index] = json!({
            "index": r.index, "status": "rejected", "reason": r.reason, "path": r.path,
        });
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

/// Inserts `events` for `project` in one transaction with the batch's outbox event, which
/// names `rejects` (the request's other refusals) and the database's: for each event, stored
/// now (true), already stored (false), or why the database refused it. A refusal is one
/// event's (`reject(position, reason)` names it in the outbox event), never the batch's.
pub(super) async fn write_events(
    pool: &crate::db::Pool,
    project: &str,
    events: &[TelemetryEvent],
    mut rejects: Vec<Value>,
    reject: impl Fn(usize, &str) -> Value,
) -> Result<Vec<Result<bool, String>>, ApiError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut client = pool.get().await.map_err(DbError::from)?;
    let mut tx = tokio_postgres::Client::transaction(&mut client)
        .await
        .map_err(DbError::from)?;
    let stored: Vec<Result<bool, String>> = match insert_events(&tx, project, events).await {
        Ok(s) => s.into_iter().map(Ok).collect(),
        Err(e) if e.is_data_error() => {
            // The database refused one event's value: store the others one by one.
            tx.rollback().await.map_err(DbError::from)?;
            tx = tokio_postgres::Client::transaction(&mut client)
                .await
                .map_err(DbError::from)?;
            insert_events_each(&mut tx, project, events)
                .await?
                .into_iter()
                .map(|r| r.map_err(|e| format!("refused by the database: {}", e.server_message())))
                .collect()
        }
        Err(e) => return Err(e.into()),
    };
    for (pos, s) in stored.iter().enumerate() {
        if let Err(reason) = s {
            rejects.push(reject(pos, reason));
        }
    }
    let new = stored.iter().filter(|s| matches!(s, Ok(true))).count();
    let kept = stored.iter().filter(|s| s.is_ok()).count();
    if kept > 0 {
        announce_batch(&tx, project, "events", new, kept - new, &rejects).await?;
        tx.commit().await.map_err(DbError::from)?;
    }
    crate::emf::records("events", new, kept - new, rejects.len());
    Ok(stored)
}
