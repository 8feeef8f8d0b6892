//! Projects as the read side lists them (seed 003): active or archived, in id order, a page
//! at a time; a project's key sees its own project only.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// One project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRow {
    /// `{repo_name}__{8 hex}`.
    pub project_id: String,
    /// Repository name.
    pub repo_name: String,
    /// Git remote, when known.
    pub git_remote: Option<String>,
    /// `active` or `archived`.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Projects with `status` (`None`: any), `only` one of them when given, after `cursor` (a
/// project id) in id order.
pub async fn projects(
    client: &impl GenericClient,
    only: Option<&str>,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<ProjectRow>, DbError> {
    let rows = client
        .query(
            "SELECT project_id, repo_name, git_remote, status, created_at FROM projects
             WHERE ($1::text IS NULL OR project_id = $1) AND ($2::text IS NULL OR status = $2)
               AND project_id > coalesce($3, '')
             ORDER BY project_id LIMIT $4",
            &[&only, &status, &cursor, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ProjectRow {
            project_id: r.get("project_id"),
            repo_name: r.get("repo_name"),
            git_remote: r.get("git_remote"),
            status: r.get("status"),
            created_at: r.get("created_at"),
        })
        .collect())
}
