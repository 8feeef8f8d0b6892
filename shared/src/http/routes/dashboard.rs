//! `GET /dashboard` and the files it loads (`GET /dashboard/<file>`), from the binary, under
//! the page's Content-Security-Policy. The page holds no data: it asks the read API.

use axum::body::Body;
use axum::extract::Path;
use axum::response::Response;
use http::{header, HeaderValue, StatusCode};

use crate::dashboard::{asset, CSP, INDEX};
use crate::http::response::ApiError;

fn served(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The files' names carry no version: a deploy must not leave an old script cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// The page.
pub(super) async fn page() -> Response {
    served("text/html; charset=utf-8", INDEX)
}

/// One of the page's files, or 404.
pub(super) async fn file(Path(name): Path<String>) -> Response {
    match asset(&name) {
        Some(a) => served(a.content_type, a.body),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("the dashboard has no file {name:?}"),
        )
        .into_response()
        .map(Body::from),
    }
}
