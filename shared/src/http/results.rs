//! Per-item results of a batch write, shared by every route that stores arrays: the status
//! of the whole answer, one rejected item with the path of the field at fault, and the 400
//! when nothing could be stored.

use http::StatusCode;
use serde_json::{json, Value};

use super::response::ApiError;

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
    crate::emf::records("batch", 0, 0, results.len());
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
