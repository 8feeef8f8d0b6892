//! GitHub Actions: workflow runs as the REST API describes them, the REST client port, and
//! the sync that github-sync and `telemetry ingest github` run.

pub mod billing;
mod client;
mod config;
mod job;
mod job_row;
pub mod limits;
mod report;
mod run;
pub mod store;
mod sync;
mod window;

pub use client::{next_link, GitHubApi, GitHubError, Page, ReqwestGitHub};
pub use config::{
    parse_repositories, runner_skus, GitHubConfig, Repository, Token, DEFAULT_SYNC_DAYS,
    MAX_SYNC_DAYS,
};
pub use job::{deadline_from_epoch_ms, repositories, run_sync, SyncRequest};
pub use job_row::WorkflowJob;
pub use report::{record_report, RepoReport, SyncReport};
pub use run::WorkflowRun;
pub use sync::{sync, SyncError, SyncPlan, DEADLINE_MARGIN};
pub use window::{days, Window, PER_PAGE, RESULT_CAP};
