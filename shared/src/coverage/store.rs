//! Writing coverage snapshots: one row per (repository, commit, format), linked at query time
//! to the workflow runs of that commit; the branch, when the sender did not give it, is the
//! run's.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use super::{CoverageFormat, CoverageTotals};
use crate::db::DbError;

/// A report's totals with where they come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageSnapshot {
    /// owner/name.
    pub repository: String,
    /// Branch, when known.
    pub branch: Option<String>,
    /// Commit SHA (hex).
    pub commit_sha: String,
    /// Report format.
    pub format: CoverageFormat,
    /// Totals.
    pub totals: CoverageTotals,
    /// When the report was made (upload time when unknown).
    pub captured_at: DateTime<Utc>,
    /// The project whose key posted it (HTTP); `None` for reports read from files.
    pub project_id: Option<String>,
}

/// Upserts `s`; returns (inserted, updated): a resent identical report changes nothing, a
/// re-run's new totals replace the old.
pub async fn upsert_coverage(
    client: &impl GenericClient,
    s: &CoverageSnapshot,
) -> Result<(bool, bool), DbError> {
    let t = &s.totals;
    let row = client
        .query_opt(
            "INSERT INTO coverage_snapshots AS c (repository, branch, commit_sha, format,
                 lines_covered, lines_total, branches_covered, branches_total,
                 functions_covered, functions_total, captured_at, project_id)
             VALUES ($1, coalesce($2, (SELECT w.branch FROM workflow_runs w
                                       WHERE w.repository = $1 AND w.commit_sha = $3
                                       ORDER BY w.started_at DESC NULLS LAST LIMIT 1)),
                     $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             -- (project, repository, commit, format), NULLS NOT DISTINCT: a report posted
             -- with another project's key is a row of its own.
             ON CONFLICT ON CONSTRAINT coverage_snapshots_identity DO UPDATE SET
                 branch = coalesce(EXCLUDED.branch, c.branch),
                 lines_covered = EXCLUDED.lines_covered, lines_total = EXCLUDED.lines_total,
                 branches_covered = EXCLUDED.branches_covered, branches_total = EXCLUDED.branches_total,
                 functions_covered = EXCLUDED.functions_covered,
                 functions_total = EXCLUDED.functions_total, captured_at = EXCLUDED.captured_at
             WHERE (c.lines_covered, c.lines_total, c.branches_covered, c.branches_total,
                    c.functions_covered, c.functions_total, c.branch)
                 IS DISTINCT FROM
                   (EXCLUDED.lines_covered, EXCLUDED.lines_total, EXCLUDED.branches_covered,
                    EXCLUDED.branches_total, EXCLUDED.functions_covered, EXCLUDED.functions_total,
                    coalesce(EXCLUDED.branch, c.branch))
             RETURNING (xmax = 0)",
            &[
                &s.repository,
                &s.branch,
                &s.commit_sha,
                &s.format.as_str(),
                &(t.lines_covered as i32),
                &(t.lines_total as i32),
                &t.branches_covered.map(|n| n as i32),
                &t.branches_total.map(|n| n as i32),
                &t.functions_covered.map(|n| n as i32),
                &t.functions_total.map(|n| n as i32),
                &s.captured_at,
                &s.project_id,
            ],
        )
        .await?;
    Ok(match row.map(|r| r.get::<_, bool>(0)) {
        Some(true) => (true, false),
        Some(false) => (false, true),
        None => (false, false),
    })
}

/// A snapshot against `coverage_snapshots`.
mod validate {
    use super::CoverageSnapshot;
    use crate::columns::tables::coverage_snapshots as cov;
    use crate::columns::{Validate, ValueError};

    impl Validate for CoverageSnapshot {
        fn validate(&self) -> Result<(), ValueError> {
            cov::REPOSITORY.check_str(&self.repository)?;
            cov::BRANCH.check_opt_str(self.branch.as_deref())?;
            cov::COMMIT_SHA.check_str(&self.commit_sha)?;
            let n = &self.totals;
            cov::LINES_COVERED.check_int(n.lines_covered)?;
            cov::LINES_TOTAL.check_int(n.lines_total)?;
            cov::BRANCHES_COVERED.check_opt_int(n.branches_covered)?;
            cov::BRANCHES_TOTAL.check_opt_int(n.branches_total)?;
            cov::FUNCTIONS_COVERED.check_opt_int(n.functions_covered)?;
            cov::FUNCTIONS_TOTAL.check_opt_int(n.functions_total)?;
            cov::CAPTURED_AT.check_time(self.captured_at)?;
            cov::PROJECT_ID.check_opt_str(self.project_id.as_deref())
        }
    }
}
