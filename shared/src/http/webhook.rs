//! `POST /github/webhook`: GitHub `workflow_run` and `workflow_job` deliveries, verified with
//! `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the configured secret, compared
//! in constant time) and upserted into `workflow_runs` and `workflow_jobs` as the scheduled
//! sync does, so runs appear within seconds (and a job's queue time while it waits), and the
//! next sync reconciles.

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

use super::response::ApiError;

/// True when `signature` (`sha256=<hex>`) is the HMAC of `body` under `secret`.
pub fn signature_valid(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(hex) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What a verified delivery asks for.
#[derive(Debug)]
pub enum Delivery {
    /// `ping`: the hook was set up.
    Ping,
    /// A `workflow_run` event: the repository and the run object.
    WorkflowRun {
        /// owner/name.
        repository: String,
        /// The `workflow_run` object.
        run: Value,
    },
    /// A `workflow_job` event (queued, in_progress, completed, waiting): the repository and
    /// the job object.
    WorkflowJob {
        /// owner/name.
        repository: String,
        /// `repository.private`, when sent.
        private: Option<bool>,
        /// The `workflow_job` object.
        job: Value,
    },
    /// Any other event: acknowledged, not stored.
    Ignored(String),
}

/// Verifies and reads a delivery.
pub fn read(secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<Delivery, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = header("x-hub-signature-256").ok_or_else(|| {
        ApiError::unauthorized("X-Hub-Signature-256 is missing: set the webhook's secret")
    })?;
    if !signature_valid(secret, body, signature) {
        return Err(ApiError::unauthorized(
            "X-Hub-Signature-256 does not match the body: wrong webhook secret",
        ));
    }
    let event = header("x-github-event").unwrap_or_default().to_string();
    match event.as_str() {
        "ping" => Ok(Delivery::Ping),
        "workflow_run" | "workflow_job" => {
            let v: Value = super::body::parse_json(body)?;
            let repository = v
                .pointer("/repository/full_name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("repository.full_name is missing"))?
                .to_string();
            let object = v
                .get(event.as_str())
                .filter(|r| r.is_object())
                .ok_or_else(|| bad(&format!("{event} is missing")))?
                .clone();
            Ok(if event == "workflow_run" {
                Delivery::WorkflowRun {
                    repository,
                    run: object,
                }
            } else {
                Delivery::WorkflowJob {
                    repository,
                    private: v.pointer("/repository/private").and_then(Value::as_bool),
                    job: object,
                }
            })
        }
        other => Ok(Delivery::Ignored(other.to_string())),
    }
}

fn bad(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_webhook", message).details(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_documented_example_verifies() {
        // From GitHub's "Validating webhook deliveries" page.
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            sig
        ));
        assert!(!signature_valid(b"another secret", b"Hello, World!", sig));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World?",
            sig
        ));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            "sha1=abc"
        ));
        assert!(!signature_valid(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            "sha256=zz"
        ));
    }
}
