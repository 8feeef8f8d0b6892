//! `POST /ingest/llm-calls`: LLM calls in the agent `api_call` shape, priced and upserted
//! into `llm_calls`, and the `batch_ingested` outbox event every stored batch writes.

use http::StatusCode;
use serde_json::{json, Value};

use crate::columns::Validate;
use crate::db::{DbError, Pool};
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::http::results::{every_item_rejected, item_rejected, outcome_status};
use crate::http::store::write::{announce_batch, Refusals};
use crate::http::Limits;
use crate::jsonl::ApiCallParser;
use crate::model::LlmCall;
use crate::pricing::load_price_book;
use crate::store::{upsert_llm_calls, upsert_llm_calls_each, UpsertCounts};

/// Parses `body.calls`, stores the valid ones for `project` with the batch's outbox event.
pub(super) async fn ingest_calls(
    pool: &Pool,
    limits: &Limits,
    keep_emails: bool,
    project: &str,
    body: &Value,
) -> Result<HttpResponse, ApiError> {
    let items = body
        .get("calls")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_batch",
                "\"calls\" must be a non-empty array of LLM calls",
            )
            .details(json!({"path": "$.calls"}))
        })?;
    if items.len() > limits.max_events {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_calls",
            format!("at most {} calls per request", limits.max_events),
        ));
    }
    let mut parser = ApiCallParser::keeping_emails(keep_emails);
    let mut calls = Vec::new();
    let mut indices = Vec::new();
    let mut rejected = Vec::new();
    for (i, item) in items.iter().enumerate() {
        // The key's project owns the call and is part of its identity: another project's
        // key posting the same call id writes a row of its own.
        let scoped = parser.parse(item).map(|mut c| {
            c.dedup_key = c.dedup_key.scoped(project);
            c.project_id = Some(project.to_string());
            c
        });
        match scoped.and_then(Validate::checked) {
            Ok(c) => {
                indices.push(i);
                calls.push(c)
            }
            Err(reason) => {
                rejected.push(item_rejected("calls", i, &reason));
            }
        }
    }
    let counts = store_calls(pool, project, calls, indices, &mut rejected, |i, reason| {
        item_rejected("calls", i, reason)
    })
    .await?;
    let kept = (counts.inserted + counts.updated + counts.duplicates) as usize;
    if kept == 0 {
        return Err(every_item_rejected(&rejected));
    }
    let summary = json!({
        "inserted": counts.inserted,
        "updated": counts.updated,
        "duplicate": counts.duplicates,
        "rejected": rejected.len(),
        "results": rejected,
    });
    Ok(json_response(
        outcome_status(kept, rejected.len()),
        &summary,
    ))
}

/// Prices `calls` (with the team's overrides) and stores them for `project` in one
/// transaction with the batch's outbox event; `at[i]` is where call `i` sits in the request.
/// A call the overrides or the database refuse joins `rejected` (by `reject`), and never
/// costs another its place. Nothing is committed when nothing was kept.
pub(super) async fn store_calls(
    pool: &Pool,
    project: &str,
    mut calls: Vec<LlmCall>,
    mut at: Vec<usize>,
    rejected: &mut Vec<Value>,
    reject: impl Fn(usize, &str) -> Value,
) -> Result<UpsertCounts, ApiError> {
    if calls.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let mut client = pool.get().await.map_err(DbError::from)?;
    let prices = load_price_book(&**client).await?;
    if prices.override_count() > 0 {
        // A team's rate can move a cost out of its column's range: checked again.
        let (mut kept, mut kept_at) = (Vec::with_capacity(calls.len()), Vec::new());
        for (i, mut c) in at.into_iter().zip(calls) {
            prices.apply(&mut c);
            match c.validate() {
                Ok(()) => {
                    kept_at.push(i);
                    kept.push(c);
                }
                Err(e) => rejected.push(reject(i, &e.to_string())),
            }
        }
        (calls, at) = (kept, kept_at);
        if calls.is_empty() {
            return Ok(UpsertCounts::default());
        }
    }
    let mut tx = tokio_postgres::Client::transaction(&mut client)
        .await
        .map_err(DbError::from)?;
    let counts = match upsert_llm_calls(&mut tx, &calls).await {
        Ok(c) => c,
        Err(e) if e.is_data_error() => {
            // The database refused one call's value: store the others one by one.
            tx.rollback().await.map_err(DbError::from)?;
            tx = tokio_postgres::Client::transaction(&mut client)
                .await
                .map_err(DbError::from)?;
            let mut counts = UpsertCounts::default();
            for (i, r) in at.iter().zip(upsert_llm_calls_each(&mut tx, &calls).await?) {
                match r {
                    Ok(c) => counts += c,
                    Err(e) => rejected.push(reject(
                        *i,
                        &format!("refused by the database: {}", e.server_message()),
                    )),
                }
            }
            counts
        }
        Err(e) => return Err(e.into()),
    };
    if counts.inserted + counts.updated + counts.duplicates == 0 {
        return Ok(counts);
    }
    let new = (counts.inserted + counts.updated) as usize;
    announce_batch(
        &tx,
        project,
        "llm_calls",
        new,
        counts.duplicates as usize,
        &Refusals::of(rejected.iter()),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    crate::emf::records("llm_calls", new, counts.duplicates as usize, rejected.len());
    let unpriced = calls.iter().filter(|c| c.cost.usd.is_none()).count();
    metrics::counter!(crate::emf::name::UNPRICED).increment(unpriced as u64);
    Ok(counts)
}
