//! github-sync's SQL: workflow run attempts (`workflow_runs`), their jobs (`workflow_jobs`)
//! and the sync's own state
//! (repositories, windows with their page ETags, the jobs due, reports).

mod isolate;
pub mod job_state;
mod jobs;
mod runs;
pub mod state;

pub use isolate::{store_isolated, Isolated, Upsert};
pub use jobs::upsert_workflow_jobs;
pub use runs::{upsert_workflow_runs, RunCounts, FAILED_CONCLUSIONS};
