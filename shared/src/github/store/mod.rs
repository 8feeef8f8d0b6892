//! github-sync's SQL: workflow run attempts (`workflow_runs`), their jobs (`workflow_jobs`)
//! and the sync's own state
//! (repositories, windows with their page ETags, reports).

mod jobs;
mod runs;
pub mod state;

pub use jobs::upsert_workflow_jobs;
pub use runs::{upsert_workflow_runs, upsert_workflow_runs_each, RunCounts, FAILED_CONCLUSIONS};
