//! Request bodies: `Content-Encoding` (identity or gzip), size limits before and after
//! decompression with a ratio cap against zip bombs, and JSON parsing that reports where
//! the text went wrong.

use std::io::Read;

use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::response::ApiError;
use super::Limits;

/// The decoded body, checked against `limits`.
pub fn decode(headers: &HeaderMap, body: &[u8], limits: &Limits) -> Result<Vec<u8>, ApiError> {
    if body.len() > limits.max_body_bytes {
        return Err(too_large(
            format!(
                "the body is {} bytes; the limit is {}",
                body.len(),
                limits.max_body_bytes
            ),
            limits,
        ));
    }
    let encoding = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => gunzip(body, limits),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            format!("Content-Encoding {other:?} is not supported; send gzip or no encoding"),
        )),
    }
}

fn gunzip(body: &[u8], limits: &Limits) -> Result<Vec<u8>, ApiError> {
    // Whichever is smaller: the absolute cap, or the ratio cap for this body's size.
    let cap = limits
        .max_decompressed_bytes
        .min(body.len().saturating_mul(limits.max_ratio).max(1024));
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(body).take(cap as u64 + 1);
    reader.read_to_end(&mut out).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_gzip",
            format!("the gzip body cannot be decompressed: {e}"),
        )
    })?;
    if out.len() > cap {
        return Err(too_large(
            format!(
                "the gzip body expands beyond {cap} bytes (limits: {} bytes, or {}x the compressed size)",
                limits.max_decompressed_bytes, limits.max_ratio
            ),
            limits,
        ));
    }
    Ok(out)
}

pub(super) fn too_large(message: String, limits: &Limits) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message).details(json!({
        "max_body_bytes": limits.max_body_bytes,
        "max_decompressed_bytes": limits.max_decompressed_bytes,
        "max_ratio": limits.max_ratio,
    }))
}

/// Parses JSON; a syntax error says where (line, column).
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        )
        .details(json!({"line": e.line(), "column": e.column()}))
    })
}
