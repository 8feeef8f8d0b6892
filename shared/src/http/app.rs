//! The API as one value built once per cold start (or per `telemetry serve`): the pool and
//! settings, the axum router over them, and `handle` for callers that hold a whole request
//! (the tests, the benchmark).

use std::sync::Arc;

use axum::Router;
use http::Request;
use serde_json::Value;
use tower::ServiceExt;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_layer::Layer;

use super::body::{decode, parse_json};
use super::response::{ApiError, HttpResponse};
use super::HttpConfig;
use crate::db::Pool;
use crate::http::queue::SqsQueue;
use crate::objects::S3ObjectStore;
use crate::read::LogSource;

/// The OpenAPI 3.1 description served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The API: a pool and settings (and, when it may read workers' logs, an object store; in
/// queued mode, the ingest queue).
pub struct HttpIngest {
    pub(super) pool: Pool,
    pub(super) config: HttpConfig,
    logs: Option<S3ObjectStore>,
    pub(super) queue: Option<SqsQueue>,
}

/// The router as a service, a trailing slash trimmed before routing (`/ingest/` is
/// `/ingest`): what Lambda and `telemetry serve` run.
pub type HttpService = NormalizePath<Router>;

impl HttpIngest {
    /// The API over `pool`.
    pub fn new(pool: Pool, config: HttpConfig) -> Self {
        Self {
            pool,
            config,
            logs: None,
            queue: None,
        }
    }

    /// The API with the AWS clients its configuration asks for, built once (at cold start):
    /// S3 when it reads workers' logs (`log_bucket`), SQS in queued mode
    /// (`ingest_queue_url`); no AWS configuration is loaded when it needs neither.
    pub async fn with_aws_clients(mut self) -> Self {
        if self.config.log_bucket.is_none() && self.config.ingest_queue_url.is_none() {
            return self;
        }
        let aws = crate::config::load_aws().await;
        if self.config.log_bucket.is_some() {
            self.logs = Some(S3ObjectStore::from_config(&aws));
        }
        if let Some(url) = &self.config.ingest_queue_url {
            self.queue = Some(SqsQueue::from_config(&aws, url.clone()));
        }
        self
    }

    /// The API in queued mode: event batches go to `queue` (built once, at cold start), and
    /// a consumer stores them (`crate::http::queue`).
    pub fn with_queue(mut self, queue: SqsQueue) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The API reading workers' logs from `store`, in `config.log_bucket` (built once at cold
    /// start, as the pool is).
    pub fn with_log_store(mut self, store: S3ObjectStore) -> Self {
        self.logs = Some(store);
        self
    }

    /// Where a worker's conversation is read: the store and the one bucket, when both are set.
    pub(super) fn log_source(&self) -> Option<LogSource<'_, S3ObjectStore>> {
        match (&self.logs, &self.config.log_bucket) {
            (Some(store), Some(bucket)) => Some(LogSource { store, bucket }),
            _ => None,
        }
    }

    /// The routes as a service.
    pub fn service(self: Arc<Self>) -> HttpService {
        NormalizePathLayer::trim_trailing_slash().layer(super::routes::router(self))
    }

    /// Answers one whole request (building the routes for it: callers that answer many
    /// build [`HttpIngest::service`] once and use [`respond`]).
    pub async fn handle(self: &Arc<Self>, req: Request<Vec<u8>>) -> HttpResponse {
        respond(&self.clone().service(), req).await
    }

    /// The request's body decoded (gzip, limits) and parsed as JSON.
    pub(super) fn json_body(&self, req: &Request<Vec<u8>>) -> Result<Value, ApiError> {
        let bytes = decode(req.headers(), req.body(), &self.config.limits)?;
        parse_json(&bytes)
    }
}

/// Answers one whole request with `service`; every failure is a JSON error response.
pub async fn respond(service: &HttpService, req: Request<Vec<u8>>) -> HttpResponse {
    let req = req.map(axum::body::Body::from);
    let resp = match service.clone().oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let (parts, body) = resp.into_parts();
    // Every body is an in-memory JSON document: reading it cannot fail.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    http::Response::from_parts(parts, bytes.to_vec())
}
