//! Projects as the read side lists them (seed 003): active or archived, in id order, a page
//! at a time; a project's key sees its own project only.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::project::ProjectId;

/// One project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRow {
    /// `{repo_name}__{8 hex}`.
    pub project_id: String,
    /// Repository name.
    pub repo_name: String,
    /// Git remote, when known.
    pub git_remote: Option<String>,
    /// Repository root (an absolute path), when known.
    pub repo_root: Option<String>,
    /// `active` or `archived`.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Projects with `status` (`None`: any), `only` one of them when given, found at
/// `repo_root` when given (its stored root, or the id seed 003 derives from the path when the
/// project has no remote), after `cursor` (a project id) in id order.
pub async fn projects(
    client: &impl GenericClient,
    only: Option<&str>,
    status: Option<&str>,
    repo_root: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<ProjectRow>, DbError> {
    let derived = repo_root.and_then(|root| {
        let name = std::path::Path::new(root.trim_end_matches('/')).file_name()?;
        ProjectId::derive(&name.to_string_lossy(), root)
            .ok()
            .map(|id| id.as_str().to_string())
    });
    let rows = client
        .query(
            "SELECT project_id, repo_name, git_remote, repo_root, status, created_at FROM projects
             WHERE ($1::text IS NULL OR project_id = $1) AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR repo_root = $3 OR project_id = $4)
               AND project_id > coalesce($5, '')
             ORDER BY project_id LIMIT $6",
            &[&only, &status, &repo_root, &derived, &cursor, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ProjectRow {
            project_id: r.get("project_id"),
            repo_name: r.get("repo_name"),
            git_remote: r.get("git_remote"),
            repo_root: r.get("repo_root"),
            status: r.get("status"),
            created_at: r.get("created_at"),
        })
        .collect())
}

/// Archives `project` (seed 003's soft delete: it leaves the active list, its rows and keys
/// stay); false when no such project.
pub async fn archive_project(client: &impl GenericClient, project: &str) -> Result<bool, DbError> {
    Ok(client
        .execute(
            "UPDATE projects SET status = 'archived', updated_at = now() WHERE project_id = $1",
            &[&project],
        )
        .await?
        == 1)
}
