//! `POST /v1/logs` and `/v1/metrics` (bearer secret key) and `POST /p/{token}/v1/logs` and
//! `/v1/metrics` (public token, rate limited): OTLP/HTTP, protobuf or JSON, gzip or not.
//! Usage events become LLM calls, other records events; each refused record is counted in
//! `partialSuccess` with its path and reason. A refused request is answered with a
//! `google.rpc.Status` in the request's encoding, with `Retry-After` on 429 and 503.

use std::collections::BTreeMap;

use chrono::Utc;
use http::{Request, StatusCode};
use serde_json::{json, Value};

use super::llm_calls::store_calls;
use crate::columns::Validate;
use crate::http::app::HttpIngest;
use crate::http::auth::Caller;
use crate::http::body::decode;
use crate::http::response::{ApiError, HttpResponse};
use crate::http::store::events::TelemetryEvent;
use crate::http::store::write::{write_events, Refusals};
use crate::http::throttle::Reservation;
use crate::otlp::{
    data_points, decode_logs, decode_metrics, logs_answer, map_logs, metrics_answer, status_answer,
    Encoding, Mapped, OtlpSettings,
};

/// Reasons named in `errorMessage` at most; the count is always whole.
const REASONS_SHOWN: usize = 5;

/// The request's encoding, from its `Content-Type` (415 for another).
pub(super) fn encoding(req: &Request<Vec<u8>>) -> Result<Encoding, ApiError> {
    let ct = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Encoding::of_content_type(ct).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {ct:?}: OTLP/HTTP takes application/x-protobuf or application/json"
            ),
        )
    })
}

/// An error as OTLP answers it: the status, `Retry-After`, and a `Status` body.
pub(super) fn refused(e: ApiError, enc: Encoding) -> HttpResponse {
    let mut resp = e.clone().into_response();
    *resp.body_mut() = status_answer(e.status.as_u16(), &e.message, enc);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(enc.content_type()),
    );
    resp
}

fn answer(body: Vec<u8>, enc: Encoding) -> HttpResponse {
    let mut resp = http::Response::new(body);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(enc.content_type()),
    );
    resp
}

fn bad_request(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_otlp", message)
}

/// Counts of one export, logged and kept in the outbox events.
#[derive(Debug, Default)]
struct Tally {
    calls: usize,
    events: usize,
    skipped: usize,
    rejected: Vec<Value>,
}

/// `POST .../v1/logs` for `caller` (`public`: a public token, charged per stored record).
pub(super) async fn logs(
    api: &HttpIngest,
    caller: &Caller,
    public: bool,
    req: &Request<Vec<u8>>,
    enc: Encoding,
) -> Result<HttpResponse, ApiError> {
    let bytes = decode(req.headers(), req.body(), &api.config.limits)?;
    let export = decode_logs(&bytes, enc).map_err(bad_request)?;
    let records: usize = export
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    if records > api.config.max_otlp_records {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "{records} log records in one export; the limit is {} (set OTEL_BLRP_MAX_EXPORT_BATCH_SIZE lower)",
                api.config.max_otlp_records
            ),
        ));
    }
    let settings = OtlpSettings {
        keep_prompts: api.config.keep_prompts,
        keep_emails: api.config.keep_emails,
        max_event_bytes: api.config.limits.max_event_bytes,
    };
    let project = caller.project_id.as_str();
    let received_at = Utc::now();
    let mut tally = Tally::default();
    let (mut calls, mut call_at) = (Vec::new(), Vec::new());
    let (mut events, mut event_at) = (Vec::new(), Vec::new());
    let mapped = map_logs(&export, &settings);
    let reject = |i: usize, reason: &str| json!({"path": mapped[i].path, "reason": reason});
    for (i, m) in mapped.iter().enumerate() {
        match &m.result {
            Err(reason) => tally.rejected.push(reject(i, reason)),
            Ok(Mapped::Skipped(_)) => tally.skipped += 1,
            Ok(Mapped::Call(call)) => {
                let mut call = (**call).clone();
                // The key's project owns the call and is part of its identity.
                call.dedup_key = call.dedup_key.scoped(project);
                call.project_id = Some(project.to_string());
                match call.checked() {
                    Ok(c) => {
                        calls.push(c);
                        call_at.push(i);
                    }
                    Err(reason) => tally.rejected.push(reject(i, &reason)),
                }
            }
            Ok(Mapped::Event(e)) => {
                let event = TelemetryEvent {
                    insert_id: e.insert_id.clone(),
                    event: e.event.clone(),
                    distinct_id: e.distinct_id.clone(),
                    properties: e.properties.clone(),
                    client_timestamp: Some(e.timestamp),
                    timestamp: e.timestamp,
                    sent_at: None,
                    received_at,
                };
                match event.validate() {
                    Ok(()) => {
                        events.push(event);
                        event_at.push(i);
                    }
                    Err(err) => tally.rejected.push(reject(i, &err.to_string())),
                }
            }
        }
    }
    // A public token's ceiling counts the records stored new or changed: reserved now,
    // the rest given back once stored (an export sent again costs nothing).
    let reserved = match public {
        true => Some(
            Reservation::take(
                api,
                caller,
                BTreeMap::new(),
                calls.len() + events.len(),
                received_at,
            )
            .await?,
        ),
        false => None,
    };
    let written = async {
        let counts = store_calls(
            &api.pool,
            project,
            calls,
            call_at,
            &mut tally.rejected,
            reject,
        )
        .await?;
        let earlier = Refusals::of(tally.rejected.iter());
        let stored = write_events(&api.pool, project, &events, earlier, |pos, reason| {
            reject(event_at[pos], reason)
        })
        .await?;
        Ok::<_, ApiError>((counts, stored))
    }
    .await;
    if let Some(reserved) = reserved {
        let accepted = written.as_ref().map_or(0, |(counts, stored)| {
            (counts.inserted + counts.updated) as usize
                + stored.iter().filter(|s| matches!(s, Ok(true))).count()
        });
        reserved.settle_total(api, accepted).await;
    }
    let (counts, stored) = written?;
    tally.calls = (counts.inserted + counts.updated + counts.duplicates) as usize;
    for (pos, s) in stored.iter().enumerate() {
        match s {
            Ok(_) => tally.events += 1,
            Err(reason) => tally.rejected.push(reject(event_at[pos], reason)),
        }
    }
    tracing::info!(
        records,
        calls = tally.calls,
        calls_new = counts.inserted + counts.updated,
        events = tally.events,
        skipped = tally.skipped,
        rejected = tally.rejected.len(),
        "otlp logs"
    );
    let message = tally
        .rejected
        .iter()
        .take(REASONS_SHOWN)
        .map(|r| {
            format!(
                "{}: {}",
                r["path"].as_str().unwrap_or_default(),
                r["reason"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Ok(answer(
        logs_answer(tally.rejected.len(), &message, enc),
        enc,
    ))
}

/// `POST .../v1/metrics`: decoded and acknowledged, not stored. The agents' metrics are
/// running sums of what their log events already carry one by one (tokens, cost), so
/// storing both would count every call twice.
pub(super) async fn metrics(
    api: &HttpIngest,
    req: &Request<Vec<u8>>,
    enc: Encoding,
) -> Result<HttpResponse, ApiError> {
    let bytes = decode(req.headers(), req.body(), &api.config.limits)?;
    let export = decode_metrics(&bytes, enc).map_err(bad_request)?;
    tracing::info!(
        data_points = data_points(&export),
        "otlp metrics acknowledged"
    );
    Ok(answer(metrics_answer(0, "", enc), enc))
}
