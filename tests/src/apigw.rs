//! API Gateway HTTP API (payload v2.0) requests for handler-level tests, shaped like the
//! events API Gateway sends (see the README's pointers to recorded examples), decoded by
//! `lambda_http` exactly as in the deployed function.

use base64::Engine;
use serde_json::{json, Map, Value};

/// The v2.0 event for one request. Bodies that are not UTF-8 (gzip) are base64-encoded, as
/// API Gateway does.
pub fn event(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let mut h = Map::new();
    for (k, v) in [
        ("accept", "*/*"),
        ("host", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
        ("user-agent", "Deno/2.1.4"),
        (
            "x-amzn-trace-id",
            "Root=1-6740a3c2-2b8f0f6e3c1d4e5f6a7b8c9d",
        ),
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ] {
        h.insert(k.into(), json!(v));
    }
    h.insert("content-length".into(), json!(body.len().to_string()));
    for (k, v) in headers {
        h.insert(k.to_ascii_lowercase(), json!(v));
    }
    let (body, b64) = match std::str::from_utf8(body) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    // API Gateway splits the target: the path, and the query as sent (still percent-encoded).
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": h,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "Deno/2.1.4"},
            "requestId": "Kc9bRgWxoAMEVhw=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:08:00:00 +0000",
            "timeEpoch": 1_795_334_400_000u64
        },
        "body": body,
        "isBase64Encoded": b64
    })
}

/// Decodes `event` with `lambda_http` and turns it into the request the shared handler takes,
/// as `functions/http-ingest` does.
pub fn request(event: &Value) -> http::Request<Vec<u8>> {
    let req =
        lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event");
    let (parts, body) = req.into_parts();
    http::Request::from_parts(parts, body.to_vec())
}
