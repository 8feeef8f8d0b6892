//! Queued mode's answer to an event batch: its valid events on the ingest queue, then 202
//! with each event `queued` or `rejected`. Duplicates are found by the consumer, later.

use http::StatusCode;
use serde_json::{json, Value};

use crate::http::events::{Batch, Rejection};
use crate::http::queue::{bodies, QueueError, SqsQueue};
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::http::results::{every_item_rejected, outcome_status};
use crate::http::store::write::Refusals;

/// Puts `batch`'s valid events for `project` on `queue`; 503 (retry) when it is unavailable.
pub(super) async fn enqueue_events(
    queue: &SqsQueue,
    project: &str,
    batch: Batch,
) -> Result<HttpResponse, ApiError> {
    let mut results: Vec<Value> = vec![Value::Null; batch.events.len() + batch.rejected.len()];
    for r in &batch.rejected {
        results[r.index] = r.result();
    }
    if batch.events.is_empty() {
        return Err(every_item_rejected(&results));
    }
    let refused: Refusals = batch.rejected.iter().map(Rejection::refusal).collect();
    let events: Vec<_> = batch.events.iter().map(|(_, e)| e.clone()).collect();
    let messages = bodies(project, &events, refused).map_err(|e| unavailable(e.into()))?;
    queue.send(messages).await.map_err(unavailable)?;
    for (i, e) in &batch.events {
        results[*i] = json!({"index": i, "status": "queued", "insert_id": e.insert_id});
    }
    let summary = json!({
        "queued": batch.events.len(),
        "rejected": batch.rejected.len(),
        "results": results,
    });
    Ok(json_response(
        outcome_status(batch.events.len(), batch.rejected.len()),
        &summary,
    ))
}

/// A queue failure as the client sees it: 503 with `Retry-After` when retrying helps, 500
/// otherwise (a deployment's fault); the client keeps its batch either way.
fn unavailable(e: QueueError) -> ApiError {
    tracing::error!("event batch not queued: {e}");
    if e.is_retryable() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the ingest queue is unavailable; send the batch again",
        )
        .retry_after(5)
    } else {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the ingest queue refused the batch; send it again later",
        )
    }
}
