//! `GET /healthz` (200 when the database answers) and `GET /openapi.json` (the contract).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Value};

use crate::db::DbError;
use crate::http::app::HttpIngest;
use crate::http::response::{json_response, ApiError};
use crate::http::OPENAPI;

/// 200 with `{"status":"ok"}` when a query runs, else 503.
pub(super) async fn health(State(api): State<Arc<HttpIngest>>) -> Response {
    let checked = async {
        let client = api.pool.get().await.map_err(DbError::from)?;
        client
            .query_one("SELECT 1", &[])
            .await
            .map_err(DbError::from)?;
        Ok::<_, ApiError>(json_response(
            StatusCode::OK,
            &json!({"status": "ok", "database": "ok"}),
        ))
    };
    checked
        .await
        .unwrap_or_else(ApiError::into_response)
        .map(Body::from)
}

/// The OpenAPI 3.1 description.
pub(super) async fn openapi() -> Response {
    let spec: Value = serde_json::from_str(OPENAPI).unwrap_or_default();
    json_response(StatusCode::OK, &spec).map(Body::from)
}
