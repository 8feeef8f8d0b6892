//! The read side: what the read API (`GET /api/v1/...`), the dashboard and scripts ask of
//! the stored data. Every query is bounded by a [`Range`] (at most [`MAX_RANGE_DAYS`]) and a
//! [`Scope`], lists are keyset-paginated ([`Cursor`]), and each is served by an index.

mod agents;
mod answer;
mod ci;
mod conversation;
mod coverage;
mod events;
mod fleet;
mod llm;
mod plans;
mod projects;
pub mod range;
mod routes;

pub use agents::{TaskCursor, TaskRow};
pub use answer::{answer, Params, ReadError};
pub use ci::{ci_failures, ci_runs_daily, ci_workflows, CiFailure, CiRunsDay, CiWorkflowDay};
pub use conversation::{worker_conversation, LogSource, MAX_LOG_BYTES, MAX_TURNS};
pub use coverage::{coverage, CoverageRow};
pub use events::{events_by_property, events_daily, EventDay, PropertyDay};
pub use fleet::{briefings, jobs, BriefingFilter, BriefingRow, JobRow};
pub use llm::{llm_calls, llm_cost_daily, llm_top, CallRow, CostDay, TopBy, TopLine};
pub use plans::plans;
pub use projects::{archive_project, projects, ProjectRow};
pub use range::{Cursor, QueryError, Range, MAX_RANGE_DAYS};
pub use routes::ReadRoute;

use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// What a caller may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One project's rows (a project's read key, or its secret key).
    Project(String),
    /// Every row, of every project and of no project (an admin read key).
    AllProjects,
}

impl Scope {
    /// The project filter for a request naming `asked` (or none): a project's key reads its
    /// own project whatever it asks, and may not name another one.
    pub fn project(&self, asked: Option<&str>) -> Result<Option<String>, QueryError> {
        match (self, asked) {
            (Scope::AllProjects, asked) => Ok(asked.map(str::to_string)),
            (Scope::Project(own), Some(asked)) if asked != own => Err(QueryError::forbidden(
                "project",
                format!("this key reads project {own} only"),
            )),
            (Scope::Project(own), _) => Ok(Some(own.clone())),
        }
    }

    /// Agent records (tasks, workers, their logs) carry no project yet: only an admin read key
    /// reads them.
    pub fn agent_records(&self) -> Result<(), QueryError> {
        match self {
            Scope::AllProjects => Ok(()),
            Scope::Project(_) => Err(QueryError::forbidden(
                "project",
                "agent records carry no project yet: an admin read key (keys create --read --all-projects) reads them",
            )),
        }
    }
}

/// A range's parameters (`$1`, `$2`), and the project or repository filter's (`$3`).
fn params<'a>(range: &'a Range, filter: &'a Option<&'a str>) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut p: Vec<&(dyn ToSql + Sync)> = vec![&range.since, &range.until];
    if let Some(filter) = filter {
        p.push(filter);
    }
    p
}

/// Numbers stored as NUMERIC, exactly as stored (`trim_scale(x)::text` parsed as a JSON
/// number, which keeps every digit).
pub(crate) fn exact(text: Option<String>) -> Option<serde_json::Number> {
    text.and_then(|t| t.parse().ok())
}

/// The GitHub repository (`owner/name`) of `project`, from its stored git remote; `None`
/// when it has no remote (its CI runs cannot be told apart from others').
pub async fn project_repository(
    client: &impl GenericClient,
    project: &str,
) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "SELECT git_remote FROM projects WHERE project_id = $1",
            &[&project],
        )
        .await?;
    Ok(row
        .and_then(|r| r.get::<_, Option<String>>("git_remote"))
        .and_then(|remote| crate::project::repository_of_remote(&remote)))
}
