//! Coverage as the dashboard shows it: each report in the range (line and branch %) with the
//! conclusion of the commit's latest workflow run, newest first, a page at a time.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Number;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{exact, Cursor, Range};
use crate::db::DbError;

/// One coverage report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    /// Row id (the cursor's tie-break).
    #[serde(skip)]
    pub id: i64,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
    /// Repository.
    pub repository: String,
    /// Branch.
    pub branch: Option<String>,
    /// Commit.
    pub commit_sha: String,
    /// `lcov`, `cobertura` or `istanbul`.
    pub format: String,
    /// Lines covered.
    pub lines_covered: i32,
    /// Lines in all.
    pub lines_total: i32,
    /// Line %, as stored (2 decimals); `None` with no lines.
    pub line_percent: Option<Number>,
    /// Branch %, when the report counts branches.
    pub branch_percent: Option<Number>,
    /// The conclusion (or status) of the commit's latest workflow run attempt, if any.
    pub run_conclusion: Option<String>,
}

impl CoverageRow {
    /// The cursor after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.captured_at,
            id: self.id,
        }
    }
}

/// [`coverage`]'s SQL: the range, then the project and repository filters (NULL: any), the
/// cursor's time and id, the limit.
pub(super) fn coverage_sql(project: bool, repository: bool) -> String {
    // Every parameter is referenced (an unused one has no type); an absent filter is NULL.
    let filter = format!(
        "s.captured_at >= $1 AND s.captured_at < $2 AND {} AND {}",
        if project {
            "s.project_id = $3"
        } else {
            "$3::text IS NULL"
        },
        if repository {
            "s.repository = $4"
        } else {
            "$4::text IS NULL"
        },
    );
    format!(
        "SELECT s.id, s.captured_at, s.repository, s.branch::text AS branch, s.commit_sha::text AS commit_sha,
                s.format::text AS format, s.lines_covered, s.lines_total,
                s.line_percent::text AS line_percent, s.branch_percent::text AS branch_percent,
                (SELECT coalesce(r.conclusion, r.status)::text FROM workflow_runs r
                 WHERE r.repository = s.repository AND r.commit_sha = s.commit_sha
                 ORDER BY coalesce(r.started_at, r.github_created_at, r.created_at) DESC, r.run_attempt DESC
                 LIMIT 1) AS run_conclusion
         FROM coverage_snapshots s
         WHERE {filter} AND (s.captured_at, s.id) < ($5, $6)
         ORDER BY s.captured_at DESC, s.id DESC LIMIT $7"
    )
}

/// A page of coverage reports in `range`, newest first, after `cursor`.
pub async fn coverage(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
    repository: Option<&str>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<CoverageRow>, DbError> {
    let (at, id) = cursor.map_or((range.until, i64::MAX), |c| (c.at, c.id));
    let p: [&(dyn ToSql + Sync); 7] = [
        &range.since,
        &range.until,
        &project,
        &repository,
        &at,
        &id,
        &limit,
    ];
    let rows = client
        .query(&coverage_sql(project.is_some(), repository.is_some()), &p)
        .await?;
    Ok(rows
        .iter()
        .map(|r| CoverageRow {
            id: r.get("id"),
            captured_at: r.get("captured_at"),
            repository: r.get("repository"),
            branch: r.get("branch"),
            commit_sha: r.get("commit_sha"),
            format: r.get("format"),
            lines_covered: r.get("lines_covered"),
            lines_total: r.get("lines_total"),
            line_percent: exact(r.get("line_percent")),
            branch_percent: exact(r.get("branch_percent")),
            run_conclusion: r.get("run_conclusion"),
        })
        .collect())
}
