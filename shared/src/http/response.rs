//! HTTP answers: JSON bodies, and the error shape every route uses,
//! `{"error": code, "message": text, "details": {...}}`. Only 429 and 5xx are retryable, and
//! they carry `Retry-After`.

use crate::failure::Retryable;
use http::{Response, StatusCode};
use serde_json::{json, Value};

/// The response type of the HTTP routes.
pub type HttpResponse = Response<Vec<u8>>;

/// A refused request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`invalid_json`, `unauthorized`, ...).
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Structured extras (positions, limits, per-event results).
    pub details: Value,
    /// Seconds to wait before retrying (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error without details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
        }
    }

    /// Adds details.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// Adds `Retry-After`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 401 with a reason.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 503: the database cannot be reached; nothing was stored.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message).retry_after(5)
    }

    /// The response.
    pub fn into_response(self) -> HttpResponse {
        let body = json!({"error": self.code, "message": self.message, "details": self.details});
        let mut resp = json_response(self.status, &body);
        if let Some(secs) = self.retry_after {
            if let Ok(v) = http::HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        if e.is_retryable() {
            tracing::warn!(error = %e, "database unavailable");
            ApiError::unavailable("the database is unavailable; nothing was stored, retry later")
        } else {
            tracing::error!(error = %e, "database error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the request could not be stored; nothing was stored",
            )
            .retry_after(5)
        }
    }
}

impl From<crate::pricing::OverrideError> for ApiError {
    fn from(e: crate::pricing::OverrideError) -> Self {
        match e {
            crate::pricing::OverrideError::Db(e) => e.into(),
            other => {
                tracing::error!(error = %other, "price overrides unusable");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "prices_unusable",
                    "the team's price overrides cannot be read; nothing was stored",
                )
            }
        }
    }
}

/// A JSON response with `status`.
pub fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    let mut resp = Response::new(serde_json::to_vec(body).unwrap_or_default());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}
