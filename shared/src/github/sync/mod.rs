//! The sync: for each repository, every `created=` window of the period, page by page with
//! stored ETags, earlier attempts of re-runs, then unfinished runs older than the period,
//! then the jobs of the attempts that are new, changed or unfinished.
//! Each page's runs and its ETag are committed together, so stopping anywhere (deadline, rate
//! limit, crash) loses nothing and the next invocation resumes with the least recently synced
//! windows.

use crate::failure::Retryable;
use std::collections::VecDeque;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use tokio::time::Instant;

use super::report::{record_report, RepoReport, SyncReport};
use super::{GitHubApi, GitHubError, Repository};
use crate::db::{DbError, Pool};
use crate::github::billing::RunnerSkus;
use crate::github::store::state::{self as state, StoredWindow};

mod attempts;
mod jobs;
mod pages;

/// Time kept back from the deadline to commit the last page and write the report (at most a
/// tenth of the time the sync was given).
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);
/// Unfinished runs older than the period refreshed per repository and sync.
const REFRESH_LIMIT: i64 = 100;
/// Windows one repository's sync may plan, splits included (400 days of busy ones).
const MAX_WINDOWS: u32 = 4_000;
/// Re-runs GitHub allows per run: earlier attempts further back are not fetched.
const MAX_RERUNS: i32 = 50;

/// What one sync covers.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    /// REST API base URL.
    pub api_url: String,
    /// Repositories, in order.
    pub repositories: Vec<Repository>,
    /// First day of the period (UTC).
    pub since: NaiveDate,
    /// Last day of the period (UTC), normally today.
    pub until: NaiveDate,
    /// Stop cleanly before this instant.
    pub deadline: Instant,
    /// Larger-runner labels and their billing SKUs, for the jobs' bills.
    pub runner_skus: RunnerSkus,
}

/// Errors that end the whole sync.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The token was refused: no repository can be synced.
    #[error(transparent)]
    GitHub(GitHubError),
    /// Nothing is configured.
    #[error("no repositories to sync: set GITHUB_REPOSITORIES=owner/name[,owner/name] or run `telemetry github add owner/name`")]
    NoRepositories,
    /// The period asked for cannot be planned (a `since` too far back).
    #[error("{0}")]
    Plan(String),
}

impl Retryable for SyncError {
    /// True when the next scheduled run may succeed without anyone changing anything.
    fn is_retryable(&self) -> bool {
        match self {
            SyncError::Db(e) => e.is_retryable(),
            SyncError::GitHub(e) => e.is_retryable(),
            SyncError::NoRepositories | SyncError::Plan(_) => false,
        }
    }

    fn boundary(&self) -> &'static str {
        "GitHubSync"
    }
}

/// Why a repository's sync ended early.
enum Stop {
    /// End the whole sync with an error.
    Fatal(SyncError),
    /// End the whole sync cleanly (deadline, quota, GitHub down); resume next time.
    Halt(String),
    /// Give up on this repository only.
    Repo(String),
    /// What was asked for does not exist (404): an unknown repository, a deleted run, a
    /// purged attempt. Fails the repository unless the caller can skip the item.
    Gone(String),
}

impl From<DbError> for Stop {
    fn from(e: DbError) -> Self {
        Stop::Fatal(e.into())
    }
}

impl From<GitHubError> for Stop {
    fn from(e: GitHubError) -> Self {
        match e {
            GitHubError::BadToken(_) => Stop::Fatal(SyncError::GitHub(e)),
            GitHubError::RateLimited { .. }
            | GitHubError::Deadline(_)
            | GitHubError::Unavailable(_) => Stop::Halt(e.to_string()),
            GitHubError::NotFound(_) => Stop::Gone(e.to_string()),
            GitHubError::Failed(_) => Stop::Repo(e.to_string()),
        }
    }
}

/// Syncs every repository of `plan`, recording a report per repository.
pub async fn sync(
    pool: &Pool,
    api: &impl GitHubApi,
    plan: &SyncPlan,
) -> Result<SyncReport, SyncError> {
    if plan.repositories.is_empty() {
        return Err(SyncError::NoRepositories);
    }
    let days = super::window::days(plan.since, plan.until);
    let given = plan.deadline.saturating_duration_since(Instant::now());
    let stop_at = plan
        .deadline
        .checked_sub(DEADLINE_MARGIN.min(given / 10))
        .unwrap_or(plan.deadline);
    let mut report = SyncReport::default();
    for repo in &plan.repositories {
        let started = Utc::now();
        let mut rep = RepoReport::new(repo.as_str());
        let mut sync = RepoSync {
            pool,
            api,
            plan,
            repo,
            rep: &mut rep,
            stop_at,
            unlisted: Vec::new(),
        };
        let outcome = sync.run(&days).await;
        let stop = match outcome {
            Ok(()) => {
                rep.complete = true;
                None
            }
            Err(Stop::Repo(msg) | Stop::Gone(msg)) => {
                rep.error = Some(msg);
                None
            }
            Err(Stop::Halt(msg)) => {
                rep.error = Some(msg.clone());
                Some(Ok(msg))
            }
            Err(Stop::Fatal(e)) => {
                rep.error = Some(e.to_string());
                Some(Err(e))
            }
        };
        tracing::info!(report = %serde_json::to_string(&rep).unwrap_or_default(), "github sync of {repo}");
        // The report is bookkeeping: a database that just failed the sync may refuse it too.
        if let Ok(client) = pool.get().await {
            if let Err(e) = record_report(&**client, started, &rep).await {
                tracing::warn!("could not record the sync report of {repo}: {e}");
            }
        }
        report.repositories.push(rep);
        match stop {
            None => {}
            Some(Ok(msg)) => {
                report.stopped = Some(msg);
                return Ok(report);
            }
            Some(Err(e)) => return Err(e),
        }
    }
    report.complete = report.repositories.iter().all(|r| r.complete);
    Ok(report)
}

struct RepoSync<'a, A> {
    pool: &'a Pool,
    api: &'a A,
    plan: &'a SyncPlan,
    repo: &'a Repository,
    rep: &'a mut RepoReport,
    stop_at: Instant,
    /// Windows with more runs than GitHub lists that cannot be split further.
    unlisted: Vec<String>,
}

impl<A: GitHubApi> RepoSync<'_, A> {
    async fn get(&mut self, url: &str, etag: Option<&str>) -> Result<super::Page, Stop> {
        if Instant::now() >= self.stop_at {
            return Err(Stop::Halt(format!(
                "deadline reached; {} resumes at the next sync",
                self.repo
            )));
        }
        if !same_origin(url, &self.plan.api_url) {
            // The token is sent with every request: never to another host than the API's.
            return Err(Stop::Repo(format!(
                "a Link points outside the API origin {} ({url}); not followed, so the token is not sent there",
                self.plan.api_url
            )));
        }
        let before = self.api.requests_made();
        let page = self.api.get(url, etag, self.stop_at).await;
        // Every request made, retries included, whether or not the fetch succeeded.
        self.rep.requests += self.api.requests_made().saturating_sub(before);
        let page = page?;
        self.rep.rate_limit_waits += u64::from(page.waits);
        self.rep.quota_remaining = page.remaining.or(self.rep.quota_remaining);
        if !page.counted {
            self.rep.not_modified += 1;
        }
        Ok(page)
    }

    async fn run(&mut self, days: &[NaiveDate]) -> Result<(), Stop> {
        let client = self.pool.get().await.map_err(DbError::from)?;
        let mut queue: VecDeque<StoredWindow> = state::plan_windows(&**client, self.repo, days)
            .await?
            .into();
        drop(client);
        self.rep.windows_total = u32::try_from(queue.len()).unwrap_or(u32::MAX);
        while let Some(w) = queue.pop_front() {
            if let Some((a, b)) = self.sync_window(&w).await? {
                if self.rep.windows_total >= MAX_WINDOWS {
                    return Err(Stop::Repo(format!(
                        "more than {MAX_WINDOWS} windows planned; the halves of {} wait for the next sync",
                        w.window.created_filter()
                    )));
                }
                // Both halves next, before older work: the day is not done until they are.
                self.rep.windows_total += 1;
                for half in [b, a] {
                    queue.push_front(StoredWindow {
                        window: half,
                        pages: Vec::new(),
                        synced_at: None,
                    });
                }
            } else {
                self.rep.windows_done += 1;
            }
        }
        self.refresh_unfinished(days).await?;
        if let Some(first) = days.iter().min() {
            self.sync_jobs(super::Window::day(*first).start).await?;
        }
        if self.unlisted.is_empty() {
            Ok(())
        } else {
            Err(Stop::Repo(format!(
                "runs not listed: GitHub lists 1,000 runs per query at most, and {} could not be split further",
                self.unlisted.join(", ")
            )))
        }
    }
}

/// True when `url` has the scheme, host and port of `api_url`.
fn same_origin(url: &str, api_url: &str) -> bool {
    match (reqwest::Url::parse(url), reqwest::Url::parse(api_url)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}
