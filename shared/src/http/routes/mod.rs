//! The routes of the HTTP API, one module each, on an axum [`Router`]: every handler reads
//! the whole body (bounded by the request limit), answers JSON, and turns every failure into
//! the documented error body. Unknown paths are 404 and wrong methods 405 with `Allow`, in the
//! same JSON shape.

mod dashboard;
mod ingest;
mod llm_calls;
mod meta;
mod otlp;
mod queued;
mod read;
mod records;
mod webhook;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{Method, Request, StatusCode};

use super::app::HttpIngest;
use super::auth::{bearer, key_of, reader};
use super::body::too_large;
use super::keys::KeyKind;
use super::redact::loggable_path;
use super::response::{ApiError, HttpResponse};
use crate::otlp::Encoding;

/// The API's routes over `api`.
pub(super) fn router(api: Arc<HttpIngest>) -> Router {
    let mut routes = Router::new();
    for (path, route) in crate::read::ReadRoute::PATHS {
        routes = routes.route(
            path,
            get(move |api: Api, req: Request<Body>| read_route(api, req, route)),
        );
    }
    routes
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/{file}", get(dashboard::file))
        .route("/healthz", get(meta::health))
        .route("/openapi.json", get(meta::openapi))
        .route("/events", get(replay))
        .route("/ingest", post(ingest_events))
        .route("/ingest/llm-calls", post(llm_calls))
        .route("/github/webhook", post(webhook::receive))
        .route("/p/{token}/ingest", post(ingest_public))
        .route(
            "/v1/logs",
            post(|api: Api, req| otlp(api, None, Signal::Logs, req)),
        )
        .route(
            "/v1/metrics",
            post(|api: Api, req| otlp(api, None, Signal::Metrics, req)),
        )
        .route(
            "/p/{token}/v1/logs",
            post(|api: Api, Path(t): Path<String>, req| otlp(api, Some(t), Signal::Logs, req)),
        )
        .route(
            "/p/{token}/v1/metrics",
            post(|api: Api, Path(t): Path<String>, req| otlp(api, Some(t), Signal::Metrics, req)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(api)
}

type Api = State<Arc<HttpIngest>>;

/// Runs `answer` on the buffered request and logs the outcome.
async fn answer<F, Fut>(api: &HttpIngest, req: Request<Body>, answer: F) -> Response
where
    F: FnOnce(Request<Vec<u8>>) -> Fut,
    Fut: std::future::Future<Output = Result<HttpResponse, ApiError>>,
{
    let (method, path) = (req.method().clone(), loggable_path(req.uri().path()));
    let resp = match buffered(api, req).await {
        Ok(req) => answer(req).await.unwrap_or_else(ApiError::into_response),
        Err(e) => e.into_response(),
    };
    tracing::info!(%method, %path, status = resp.status().as_u16(), "request");
    resp.map(Body::from)
}

/// The request with its body read whole, refusing more than the body limit.
async fn buffered(api: &HttpIngest, req: Request<Body>) -> Result<Request<Vec<u8>>, ApiError> {
    let limits = &api.config.limits;
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|_| {
            too_large(
                format!(
                    "the body is over {} bytes, the limit",
                    limits.max_body_bytes
                ),
                limits,
            )
        })?;
    Ok(Request::from_parts(parts, bytes.to_vec()))
}

async fn ingest_events(State(api): Api, req: Request<Body>) -> Response {
    let a = api.clone();
    answer(&api, req, |req| async move {
        let caller = bearer(&a.pool, req.headers()).await?;
        ingest::ingest_events(&a, &caller, &req).await
    })
    .await
}

async fn ingest_public(State(api): Api, Path(token): Path<String>, req: Request<Body>) -> Response {
    let a = api.clone();
    answer(&api, req, |req| async move {
        let caller = key_of(&a.pool, KeyKind::Public, &token).await?;
        ingest::ingest_public(&a, &caller, &req).await
    })
    .await
}

async fn llm_calls(State(api): Api, req: Request<Body>) -> Response {
    let a = api.clone();
    answer(&api, req, |req| async move {
        let caller = bearer(&a.pool, req.headers()).await?;
        let body = a.json_body(&req)?;
        let (limits, keep) = (&a.config.limits, a.config.keep_emails);
        llm_calls::ingest_calls(&a.pool, limits, keep, &caller.project_id, &body).await
    })
    .await
}

/// What an OTLP export carries.
#[derive(Clone, Copy)]
enum Signal {
    Logs,
    Metrics,
}

/// An OTLP export, from a secret key's bearer or a public token in the path; every answer,
/// refusals included, in the request's encoding.
async fn otlp(
    State(api): Api,
    token: Option<String>,
    signal: Signal,
    req: Request<Body>,
) -> Response {
    let (method, path) = (req.method().clone(), loggable_path(req.uri().path()));
    let resp = match buffered(&api, req).await {
        Err(e) => otlp::refused(e, Encoding::Json),
        Ok(req) => match otlp::encoding(&req) {
            Err(e) => otlp::refused(e, Encoding::Json),
            Ok(enc) => {
                let answer = async {
                    let caller = match &token {
                        Some(t) => key_of(&api.pool, KeyKind::Public, t).await?,
                        None => bearer(&api.pool, req.headers()).await?,
                    };
                    match signal {
                        Signal::Logs => otlp::logs(&api, &caller, token.is_some(), &req, enc).await,
                        Signal::Metrics => otlp::metrics(&api, &req, enc).await,
                    }
                };
                answer.await.unwrap_or_else(|e| otlp::refused(e, enc))
            }
        },
    };
    tracing::info!(%method, %path, status = resp.status().as_u16(), "request");
    resp.map(Body::from)
}

async fn replay(State(api): Api, req: Request<Body>) -> Response {
    let a = api.clone();
    answer(&api, req, |req| async move {
        let project = match reader(&a.pool, req.headers()).await? {
            crate::read::Scope::Project(p) => Some(p),
            crate::read::Scope::AllProjects => None,
        };
        records::replay(&a.pool, project.as_deref(), &req).await
    })
    .await
}

async fn read_route(
    State(api): Api,
    req: Request<Body>,
    route: crate::read::ReadRoute,
) -> Response {
    let a = api.clone();
    answer(&api, req, |req| async move {
        let scope = reader(&a.pool, req.headers()).await?;
        read::answer(&a.pool, a.log_source(), &scope, route, &req).await
    })
    .await
}

async fn not_found(req: Request<Body>) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_string();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {path}; see GET /openapi.json"),
    )
    .into_response()
    .map(Body::from)
}

async fn method_not_allowed(req: Request<Body>) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let read = crate::read::ReadRoute::PATHS
        .iter()
        .any(|(p, _)| *p == path);
    let allowed = match path.as_str() {
        "/healthz" | "/openapi.json" | "/events" => Method::GET,
        _ if read || path == "/dashboard" || path.starts_with("/dashboard/") => Method::GET,
        _ => Method::POST,
    };
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
    resp.map(Body::from).into_response()
}
