//! Projects, their keys and the public tokens' per-minute counters.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::http::{KeyKind, NewKey, ProjectId};

/// A stored key, as the API looks it up.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Row id.
    pub id: i64,
    /// Owning project (`None` for an admin read key).
    pub project_id: Option<String>,
    /// `secret`, `public` or `read`.
    pub kind: String,
    /// SHA-256 of the key.
    pub hash: Vec<u8>,
    /// Set once revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key as `telemetry keys list` shows it (never the key itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    /// Project (`None` for an admin read key: every project).
    pub project_id: Option<String>,
    /// Kind.
    pub kind: String,
    /// Prefix (identifies the key; not secret).
    pub prefix: String,
    /// Label given at creation.
    pub label: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last accepted request.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Creates the project if it does not exist.
pub async fn ensure_project(
    client: &impl GenericClient,
    project: &ProjectId,
    git_remote: Option<&str>,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO projects (project_id, repo_name, git_remote) VALUES ($1, $2, $3)
             ON CONFLICT (project_id) DO NOTHING",
            &[&project.as_str(), &project.repo_name(), &git_remote],
        )
        .await?;
    Ok(())
}

/// Records where `project`'s repository lives (an absolute path), unless it is known.
pub async fn note_repo_root(
    client: &impl GenericClient,
    project: &ProjectId,
    repo_root: &str,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE projects SET repo_root = $2, updated_at = now()
             WHERE project_id = $1 AND repo_root IS NULL",
            &[&project.as_str(), &repo_root],
        )
        .await?;
    Ok(())
}

/// Stores a new key's hash for `project` (`None`: an admin read key, every project).
pub async fn insert_key(
    client: &impl GenericClient,
    project: Option<&ProjectId>,
    key: &NewKey,
    label: Option<&str>,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO api_keys (project_id, kind, prefix, key_hash, label)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &project.map(ProjectId::as_str),
                &key.kind.as_str(),
                &key.prefix,
                &key.hash.as_slice(),
                &label,
            ],
        )
        .await?;
    Ok(())
}

/// Revokes the key with `prefix`; false when no live key has it.
pub async fn revoke_key(client: &impl GenericClient, prefix: &str) -> Result<bool, DbError> {
    Ok(client
        .execute(
            "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL",
            &[&prefix],
        )
        .await?
        == 1)
}

/// Keys, of one project or all, newest first.
pub async fn list_keys(
    client: &impl GenericClient,
    project: Option<&str>,
) -> Result<Vec<KeyInfo>, DbError> {
    let rows = client
        .query(
            "SELECT project_id, kind, prefix, label, created_at, revoked_at, last_used_at
             FROM api_keys WHERE $1::text IS NULL OR project_id = $1 ORDER BY id DESC",
            &[&project],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| KeyInfo {
            project_id: r.get("project_id"),
            kind: r.get("kind"),
            prefix: r.get("prefix"),
            label: r.get("label"),
            created_at: r.get("created_at"),
            revoked_at: r.get("revoked_at"),
            last_used_at: r.get("last_used_at"),
        })
        .collect())
}

/// The key with `prefix` of `kind`, revoked or not.
pub async fn find_key(
    client: &impl GenericClient,
    kind: KeyKind,
    prefix: &str,
) -> Result<Option<StoredKey>, DbError> {
    Ok(client
        .query_opt(
            "SELECT id, project_id, kind, key_hash, revoked_at FROM api_keys
             WHERE prefix = $1 AND kind = $2",
            &[&prefix, &kind.as_str()],
        )
        .await?
        .map(|r| StoredKey {
            id: r.get("id"),
            project_id: r.get("project_id"),
            kind: r.get("kind"),
            hash: r.get("key_hash"),
            revoked_at: r.get("revoked_at"),
        }))
}

/// Records that key `id` was used, at most once a minute (so a busy key is not a hot row).
pub async fn touch_key(client: &impl GenericClient, id: i64) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE api_keys SET last_used_at = now() WHERE id = $1
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            &[&id],
        )
        .await?;
    Ok(())
}
