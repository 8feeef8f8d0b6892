//! GitHub Actions: workflow runs as the REST API describes them. (The sync itself, with
//! pagination, windows and rate limits, is github-sync's; this is the model it stores.)

mod client;
pub mod limits;
mod run;

pub use client::{next_link, GitHubApi, GitHubError, Page, ReqwestGitHub};
pub use run::WorkflowRun;
