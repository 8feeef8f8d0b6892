//! Routing and the write paths: `POST /ingest` (bearer key), `POST /p/{token}/ingest`
//! (public token; `briefings`/`jobs` bodies go to `records`), `POST /ingest/llm-calls`,
//! `POST /github/webhook`, `GET /events` (replay), `GET /healthz`, `GET /openapi.json`.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::body::{decode, parse_json};
use super::calls::{announce_batch, ingest_calls};
use super::events::{validate, Batch, Rejection};
use super::keys::{hash_matches, parse_key, KeyKind};
use super::records::{has_records, replay, store_records};
use super::redact::loggable_path;
use super::response::{json_response, ApiError, HttpResponse};
use super::webhook::{self, Delivery};
use super::HttpConfig;
use crate::columns::Validate;
use crate::db::{DbError, Pool};
use crate::github::WorkflowRun;
use crate::store::events::{insert_events, insert_events_each};
use crate::store::keys::{count_usage, find_key, touch_key};
use crate::store::upsert_workflow_runs;

/// The OpenAPI 3.1 description served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The API: a pool and settings, built once per cold start.
pub struct HttpIngest {
    pool: Pool,
    config: HttpConfig,
}

/// The project a request may write to, and how it proved it.
struct Caller {
    project_id: String,
    key_id: i64,
}

impl HttpIngest {
    /// The API over `pool`.
    pub fn new(pool: Pool, config: HttpConfig) -> Self {
        Self { pool, config }
    }

    /// Answers one request; every failure is a JSON error response.
    pub async fn handle(&self, req: Request<Vec<u8>>) -> HttpResponse {
        let method = req.method().clone();
        let path = loggable_path(req.uri().path());
        let resp = match self.route(req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        tracing::info!(%method, %path, status = resp.status().as_u16(), "request");
        resp
    }

    async fn route(&self, req: Request<Vec<u8>>) -> Result<HttpResponse, ApiError> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let allowed = match segments.as_slice() {
            ["healthz"] | ["openapi.json"] | ["events"] => Method::GET,
            ["ingest"] | ["ingest", "llm-calls"] | ["github", "webhook"] | ["p", _, "ingest"] => {
                Method::POST
            }
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no route {path}; see GET /openapi.json"),
                ))
            }
        };
        if req.method() != allowed {
            let mut resp = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{path} accepts {allowed} only"),
            )
            .into_response();
            resp.headers_mut().insert(
                http::header::ALLOW,
                http::HeaderValue::from_static(if allowed == Method::GET {
                    "GET"
                } else {
                    "POST"
                }),
            );
            return Ok(resp);
        }
        match segments.as_slice() {
            ["healthz"] => self.health().await,
            ["openapi.json"] => {
                let spec: Value = serde_json::from_str(OPENAPI).unwrap_or_default();
                Ok(json_response(StatusCode::OK, &spec))
            }
            ["ingest"] => {
                let caller = self.bearer(&req).await?;
                self.ingest_events(&caller, &req).await
            }
            ["events"] => {
                let caller = self.bearer(&req).await?;
                replay(&self.pool, &caller.project_id, &req).await
            }
            ["ingest", "llm-calls"] => {
                let caller = self.bearer(&req).await?;
                let body = self.json_body(&req)?;
                ingest_calls(&self.pool, &self.config.limits, &caller.project_id, &body).await
            }
            ["p", token, "ingest"] => {
                let caller = self.key(KeyKind::Public, token).await?;
                self.ingest_public(&caller, &req).await
            }
            _ => self.webhook(&req).await,
        }
    }

    async fn health(&self) -> Result<HttpResponse, ApiError> {
        let client = self.pool.get().await.map_err(DbError::from)?;
        client
            .query_one("SELECT 1", &[])
            .await
            .map_err(DbError::from)?;
        Ok(json_response(
            StatusCode::OK,
            &json!({"status": "ok", "database": "ok"}),
        ))
    }

    async fn bearer(&self, req: &Request<Vec<u8>>) -> Result<Caller, ApiError> {
        let header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Authorization: Bearer <key> is missing (or post to /p/<public token>/ingest)",
                )
            })?;
        // The scheme is case-insensitive (RFC 9110, section 11.1).
        let key = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key)
            .ok_or_else(|| ApiError::unauthorized("Authorization must be Bearer <key>"))?;
        self.key(KeyKind::Secret, key.trim()).await
    }

    async fn key(&self, kind: KeyKind, presented: &str) -> Result<Caller, ApiError> {
        let what = match kind {
            KeyKind::Secret => "key",
            KeyKind::Public => "public token",
        };
        let (found_kind, prefix) = parse_key(presented)
            .ok_or_else(|| ApiError::unauthorized(format!("the {what} is not valid")))?;
        if found_kind != kind {
            return Err(ApiError::unauthorized(format!("the {what} is not valid")));
        }
        let client = self.pool.get().await.map_err(DbError::from)?;
        let stored = find_key(&**client, kind, prefix)
            .await?
            .filter(|k| hash_matches(presented, &k.hash))
            .ok_or_else(|| ApiError::unauthorized(format!("the {what} is not valid")))?;
        if stored.revoked_at.is_some() {
            return Err(ApiError::unauthorized(format!("the {what} was revoked")));
        }
        if kind == KeyKind::Secret {
            touch_key(&**client, stored.id).await?;
        }
        Ok(Caller {
            project_id: stored.project_id,
            key_id: stored.id,
        })
    }

    fn json_body(&self, req: &Request<Vec<u8>>) -> Result<Value, ApiError> {
        let bytes = decode(req.headers(), req.body(), &self.config.limits)?;
        parse_json(&bytes)
    }

    async fn ingest_public(
        &self,
        caller: &Caller,
        req: &Request<Vec<u8>>,
    ) -> Result<HttpResponse, ApiError> {
        let body = self.json_body(req)?;
        let now = Utc::now();
        let batch = self.validate(&body, now)?;
        // Only events that can be stored count against the token: a malformed batch is a
        // 400 or 413, never a lock-out.
        let n = batch.events.len();
        let window = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
        let client = self.pool.get().await.map_err(DbError::from)?;
        let used = count_usage(
            &**client,
            caller.key_id,
            window,
            i32::try_from(n).unwrap_or(i32::MAX),
        )
        .await?;
        drop(client);
        let limit = self.config.public_events_per_minute;
        if u32::try_from(used).unwrap_or(u32::MAX) > limit {
            let wait = (window + TimeDelta::minutes(1) - now).num_seconds().max(1);
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("this public token may post {limit} events per minute"),
            )
            .details(json!({"limit_per_minute": limit}))
            .retry_after(u64::try_from(wait).unwrap_or(60)));
        }
        self.store_events(caller, batch).await
    }

    async fn ingest_events(
        &self,
        caller: &Caller,
        req: &Request<Vec<u8>>,
    ) -> Result<HttpResponse, ApiError> {
        let body = self.json_body(req)?;
        if has_records(&body) {
            return store_records(&self.pool, &caller.project_id, &body).await;
        }
        let batch = self.validate(&body, Utc::now())?;
        self.store_events(caller, batch).await
    }

    /// The events of `body`, each valid or rejected; 400 or 413 for a bad batch.
    fn validate(&self, body: &Value, received_at: DateTime<Utc>) -> Result<Batch, ApiError> {
        validate(body, received_at, &self.config.limits).map_err(|e| {
            let (status, code) = if e.too_many {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            } else {
                (StatusCode::BAD_REQUEST, "invalid_batch")
            };
            ApiError::new(status, code, e.reason).details(json!({"path": e.path}))
        })
    }

    async fn store_events(&self, caller: &Caller, batch: Batch) -> Result<HttpResponse, ApiError> {
        if batch.events.is_empty() {
            return Err(every_item_rejected(&batch.rejected.iter().map(|r| json!({
                "index": r.index, "status": "rejected", "reason": r.reason, "path": r.path,
            })).collect::<Vec<_>>()));
        }
        let mut client = self.pool.get().await.map_err(DbError::from)?;
        let events: Vec<_> = batch.events.iter().map(|(_, e)| e.clone()).collect();
        let mut tx = tokio_postgres::Client::transaction(&mut client)
            .await
            .map_err(DbError::from)?;
        let stored: Vec<Result<bool, DbError>> =
            match insert_events(&tx, &caller.project_id, &events).await {
                Ok(s) => s.into_iter().map(Ok).collect(),
                Err(e) if e.is_data_error() => {
                    // The database refused one event's value: store the others one by one.
                    tx.rollback().await.map_err(DbError::from)?;
                    tx = tokio_postgres::Client::transaction(&mut client)
                        .await
                        .map_err(DbError::from)?;
                    insert_events_each(&mut tx, &caller.project_id, &events).await?
                }
                Err(e) => return Err(e.into()),
            };
        let total = batch.events.len() + batch.rejected.len();
        let mut rejected = batch.rejected;
        for ((i, _), s) in batch.events.iter().zip(&stored) {
            if let Err(e) = s {
                rejected.push(Rejection {
                    index: *i,
                    reason: format!("refused by the database: {}", e.server_message()),
                    path: format!("$.batch[{i}]"),
                });
            }
        }
        let new = stored.iter().filter(|s| matches!(s, Ok(true))).count();
        let kept = stored.iter().filter(|s| s.is_ok()).count();
        let rejects: Vec<Value> = rejected
            .iter()
            .map(|r| json!({"index": r.index, "reason": r.reason, "path": r.path}))
            .collect();
        if kept > 0 {
            announce_batch(&tx, &caller.project_id, "events", new, kept - new, &rejects).await?;
            tx.commit().await.map_err(DbError::from)?;
        }
        let mut results = vec![Value::Null; total];
        let mut accepted = 0;
        for ((i, e), s) in batch.events.iter().zip(&stored) {
            if let Ok(new) = s {
                accepted += usize::from(*new);
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
        Ok(json_response(
            outcome_status(kept, rejected.len()),
            &summary,
        ))
    }

    async fn webhook(&self, req: &Request<Vec<u8>>) -> Result<HttpResponse, ApiError> {
        let secret = self.config.webhook_secret.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_configured",
                "the GitHub webhook is not configured (GITHUB_WEBHOOK_SECRET)",
            )
        })?;
        match webhook::read(secret.as_bytes(), req.headers(), req.body())? {
            Delivery::Ping => Ok(json_response(StatusCode::OK, &json!({"ok": true}))),
            Delivery::Ignored(event) => Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({"ignored": event}),
            )),
            Delivery::WorkflowRun { repository, run } => {
                let run = WorkflowRun::from_api(&repository, &run)
                    .and_then(Validate::checked)
                    .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_webhook", e))?;
                let client = self.pool.get().await.map_err(DbError::from)?;
                let counts = upsert_workflow_runs(&**client, std::slice::from_ref(&run)).await?;
                Ok(json_response(
                    StatusCode::ACCEPTED,
                    &json!({
                        "github_run_id": run.github_run_id, "run_attempt": run.run_attempt,
                        "inserted": counts.inserted, "updated": counts.updated,
                        "unchanged": counts.unchanged,
                    }),
                ))
            }
        }
    }
}

/// 202 when nothing was rejected, 207 when some items landed and some did not.
pub(super) fn outcome_status(stored: usize, rejected: usize) -> StatusCode {
    if rejected == 0 || stored == 0 {
        StatusCode::ACCEPTED
    } else {
        StatusCode::MULTI_STATUS
    }
}

/// One rejected item of array `array` with its reason, and the path of the field the reason
/// names (`field: ...`), else of the item.
pub(super) fn item_rejected(array: &str, i: usize, reason: &str) -> Value {
    let field = reason.split(':').next().unwrap_or_default();
    let path = if !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        format!("$.{array}[{i}].{field}")
    } else {
        format!("$.{array}[{i}]")
    };
    json!({"index": i, "status": "rejected", "reason": reason, "path": path})
}

/// 400 when no item of the request could be stored, with each one's reason.
pub(super) fn every_item_rejected(results: &[Value]) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_batch",
        format!(
            "all {} items were rejected; nothing was stored",
            results.len()
        ),
    )
    .details(json!({"results": results}))
}
