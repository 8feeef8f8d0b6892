//! github-sync's SQL: workflow run attempts (`workflow_runs`) and the sync's own state
//! (repositories, windows with their page ETags, reports).

mod runs;
pub mod state;

pub use runs::{upsert_workflow_runs, upsert_workflow_runs_each, RunCounts, FAILED_CONCLUSIONS};
