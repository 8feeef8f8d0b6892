//! Who is calling: a secret key (`Authorization: Bearer tk_...`) or a public token in the
//! path (`/p/tp_.../ingest`), checked against the stored hash; the project it may write to.

use http::HeaderMap;

use super::keys::{hash_matches, parse_key, KeyKind};
use super::response::ApiError;
use crate::db::{DbError, Pool};
use crate::http::store::keys::{find_key, touch_key};

/// The project a request may write to, and the key that proved it.
pub(super) struct Caller {
    /// Project id.
    pub project_id: String,
    /// The key's row.
    pub key_id: i64,
}

/// The caller named by the `Authorization: Bearer` header.
pub(super) async fn bearer(pool: &Pool, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Authorization: Bearer <key> is missing (or post to /p/<public token>/ingest)",
            )
        })?;
    // The scheme is case-insensitive (RFC 9110, section 11.1).
    let key = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key)
        .ok_or_else(|| ApiError::unauthorized("Authorization must be Bearer <key>"))?;
    key_of(pool, KeyKind::Secret, key.trim()).await
}

/// The caller a key or token of `kind` proves, or 401.
pub(super) async fn key_of(
    pool: &Pool,
    kind: KeyKind,
    presented: &str,
) -> Result<Caller, ApiError> {
    let what = match kind {
        KeyKind::Secret => "key",
        KeyKind::Public => "public token",
    };
    let (found_kind, prefix) = parse_key(presented)
        .ok_or_else(|| ApiError::unauthorized(format!("the {what} is not valid")))?;
    if found_kind != kind {
        return Err(ApiError::unauthorized(format!("the {what} is not valid")));
    }
    let client = pool.get().await.map_err(DbError::from)?;
    let stored = find_key(&**client, kind, prefix)
        .await?
        .filter(|k| hash_matches(presented, &k.hash))
        .ok_or_else(|| ApiError::unauthorized(format!("the {what} is not valid")))?;
    if stored.revoked_at.is_some() {
        return Err(ApiError::unauthorized(format!("the {what} was revoked")));
    }
    if kind == KeyKind::Secret {
        touch_key(&**client, stored.id).await?;
    }
    Ok(Caller {
        project_id: stored.project_id,
        key_id: stored.id,
    })
}
