//! Who is calling: a secret key (`Authorization: Bearer tk_...`), a public token in the path
//! (`/p/tp_.../ingest`) or a read key (`Authorization: Bearer tr_...`), checked against the
//! stored hash; the project it may write to, or the projects it may read.

use http::{HeaderMap, StatusCode};

use super::keys::{hash_matches, parse_key, KeyKind};
use super::response::ApiError;
use crate::db::{DbError, Pool};
use crate::http::store::keys::{find_key, touch_key, StoredKey};
use crate::read::Scope;

/// The project a request may write to, and the key that proved it.
pub(super) struct Caller {
    /// Project id.
    pub project_id: String,
    /// The key's row.
    pub key_id: i64,
}

/// The key in the `Authorization: Bearer` header, unchecked.
fn presented(headers: &HeaderMap) -> Result<&str, ApiError> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Authorization: Bearer <key> is missing (or post to /p/<public token>/ingest)",
            )
        })?;
    // The scheme is case-insensitive (RFC 9110, section 11.1).
    header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .ok_or_else(|| ApiError::unauthorized("Authorization must be Bearer <key>"))
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// The writer named by the `Authorization: Bearer` header: a secret key. A valid read key
/// is 403 (it may not write), anything else 401.
pub(super) async fn bearer(pool: &Pool, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let key = presented(headers)?;
    if parse_key(key).is_some_and(|(kind, _)| kind == KeyKind::Read) {
        lookup(pool, KeyKind::Read, key).await?;
        return Err(forbidden(
            "a read key cannot write; use the project's secret key",
        ));
    }
    key_of(pool, KeyKind::Secret, key).await
}

/// What the `Authorization: Bearer` key may read: a read key's scope, or a secret key's own
/// project. A valid public token is 403 (it is shipped inside CLIs: it may not read).
pub(super) async fn reader(pool: &Pool, headers: &HeaderMap) -> Result<Scope, ApiError> {
    let key = presented(headers)?;
    match parse_key(key).map(|(kind, _)| kind) {
        Some(KeyKind::Public) => {
            lookup(pool, KeyKind::Public, key).await?;
            Err(forbidden(
                "a public token cannot read; use a read key (telemetry keys create --read)",
            ))
        }
        Some(KeyKind::Read) => {
            let stored = lookup(pool, KeyKind::Read, key).await?;
            touch(pool, &stored).await?;
            Ok(stored.project_id.map_or(Scope::AllProjects, Scope::Project))
        }
        _ => Ok(Scope::Project(
            key_of(pool, KeyKind::Secret, key).await?.project_id,
        )),
    }
}

/// The caller a key or token of `kind` proves, or 401.
pub(super) async fn key_of(
    pool: &Pool,
    kind: KeyKind,
    presented: &str,
) -> Result<Caller, ApiError> {
    let stored = lookup(pool, kind, presented).await?;
    if kind == KeyKind::Secret {
        touch(pool, &stored).await?;
    }
    Ok(Caller {
        // Only read keys lack a project (the table's check), and `lookup` found `kind`.
        project_id: stored.project_id.unwrap_or_default(),
        key_id: stored.id,
    })
}

/// The live stored key of `kind` that `presented` is, or 401.
async fn lookup(pool: &Pool, kind: KeyKind, presented: &str) -> Result<StoredKey, ApiError> {
    let what = match kind {
        KeyKind::Secret => "key",
        KeyKind::Public => "public token",
        KeyKind::Read => "read key",
    };
    let invalid = || ApiError::unauthorized(format!("the {what} is not valid"));
    let (found_kind, prefix) = parse_key(presented).ok_or_else(invalid)?;
    if found_kind != kind {
        return Err(invalid());
    }
    let client = pool.get().await.map_err(DbError::from)?;
    let stored = find_key(&**client, kind, prefix)
        .await?
        .filter(|k| hash_matches(presented, &k.hash))
        .ok_or_else(invalid)?;
    if stored.revoked_at.is_some() {
        return Err(ApiError::unauthorized(format!("the {what} was revoked")));
    }
    Ok(stored)
}

async fn touch(pool: &Pool, key: &StoredKey) -> Result<(), ApiError> {
    let client = pool.get().await.map_err(DbError::from)?;
    touch_key(&**client, key.id).await?;
    Ok(())
}
