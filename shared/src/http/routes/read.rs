//! The read API, `GET /api/v1/...`: the JSON the dashboard draws, for scripts and Grafana
//! too. A read key (or a project's secret key) reads its project; an admin read key reads
//! everything and may filter by `project`. The answers are [`crate::read::answer`]'s.

use http::{Request, StatusCode};
use serde_json::json;

use crate::db::{DbError, Pool};
use crate::failure::Retryable;
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::objects::S3ObjectStore;
use crate::read::{
    answer as read_answer, worker_conversation, LogSource, Params, QueryError, ReadError,
    ReadRoute, Scope,
};

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        let (status, code) = if e.forbidden {
            (StatusCode::FORBIDDEN, "forbidden")
        } else {
            (StatusCode::BAD_REQUEST, "invalid_query")
        };
        ApiError::new(status, code, e.to_string()).details(json!({"parameter": e.parameter}))
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Query(e) => e.into(),
            ReadError::Db(e) => e.into(),
            ReadError::Store(e) if e.is_retryable() => {
                tracing::warn!(error = %e, "log store unavailable");
                ApiError::unavailable("the log store is unavailable; retry later")
            }
            ReadError::Store(e) => {
                tracing::error!(error = %e, "log store refused");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the log could not be read",
                )
            }
        }
    }
}

/// Answers read route `route` for a caller reading `scope`; `logs` is where a worker's
/// conversation is read from, when the API may read any.
pub(super) async fn answer(
    pool: &Pool,
    logs: Option<LogSource<'_, S3ObjectStore>>,
    scope: &Scope,
    route: ReadRoute,
    req: &Request<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    // Percent-decoding by axum's query extractor (serde_urlencoded).
    let pairs: Vec<(String, String)> =
        axum::extract::Query::try_from_uri(req.uri())
            .map(|q| q.0)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let params = Params::new(route, pairs)?;
    let client = pool.get().await.map_err(DbError::from)?;
    let body = if route == ReadRoute::AgentConversation {
        scope.agent_records()?;
        let worker = params
            .get("worker")
            .filter(|w| !w.is_empty())
            .ok_or_else(|| QueryError::bad("worker", "required: the worker's id"))?;
        worker_conversation(&**client, logs, worker).await?
    } else {
        read_answer(&**client, scope, route, &params).await?
    };
    Ok(json_response(StatusCode::OK, &body))
}
