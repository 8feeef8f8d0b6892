//! The sync: for each repository, every `created=` window of the period, page by page with
//! stored ETags, earlier attempts of re-runs, then unfinished runs older than the period.
//! Each page's runs and its ETag are committed together, so stopping anywhere (deadline, rate
//! limit, crash) loses nothing and the next invocation resumes with the least recently synced
//! windows.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use serde_json::Value;
use tokio::time::Instant;

use super::report::{record_report, RepoReport, SyncReport};
use super::window::{PER_PAGE, RESULT_CAP};
use super::{GitHubApi, GitHubError, Repository, WorkflowRun};
use crate::columns::Validate;
use crate::db::{DbError, Pool};
use crate::store::github_sync::{self as state, PageState, StoredWindow};
use crate::store::{upsert_workflow_runs, upsert_workflow_runs_each};

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

impl SyncError {
    /// True when the next scheduled run may succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Db(e) => e.is_retryable(),
            SyncError::GitHub(e) => e.is_retryable(),
            SyncError::NoRepositories | SyncError::Plan(_) => false,
        }
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
        if self.unlisted.is_empty() {
            Ok(())
        } else {
            Err(Stop::Repo(format!(
                "runs not listed: GitHub lists 1,000 runs per query at most, and {} could not be split further",
                self.unlisted.join(", ")
            )))
        }
    }

    /// Syncs one window; returns its halves instead when it reached the result cap.
    async fn sync_window(
        &mut self,
        stored: &StoredWindow,
    ) -> Result<Option<(super::Window, super::Window)>, Stop> {
        let w = stored.window;
        let mut pages: Vec<PageState> = Vec::new();
        let mut url = w.first_page_url(&self.plan.api_url, self.repo.as_str());
        loop {
            let idx = pages.len();
            let known = stored.pages.get(idx).filter(|p| p.url == url);
            let mut page = self
                .get(&url, known.and_then(|p| p.etag.as_deref()))
                .await?;
            // A 304 for a page stored before its Link was (older state), with nothing stored
            // after it: the window may have been interrupted here, so ask for the page itself
            // once, to learn where it leads, rather than take it for the last.
            if page.body.is_none()
                && known.is_some_and(PageState::way_on_unknown)
                && stored.pages.get(idx + 1).is_none()
            {
                page = self.get(&url, None).await?;
            }
            let next = match page.body {
                // 304: this page's runs were stored with this ETag, and where it leads too.
                None => {
                    let known = known.cloned().unwrap_or_else(|| PageState {
                        url: url.clone(),
                        etag: None,
                        next: None,
                        last: false,
                    });
                    let next = known
                        .next
                        .clone()
                        .or_else(|| stored.pages.get(idx + 1).map(|p| p.url.clone()));
                    pages.push(known);
                    next
                }
                Some(body) => {
                    let total = body.get("total_count").and_then(Value::as_i64);
                    let listed = body
                        .get("workflow_runs")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    let full = listed as u64 == u64::from(PER_PAGE);
                    // Capped: the count says so and page 1 is full (a count alone may lie:
                    // five runs claiming a million must not split the day into minutes).
                    let capped_first = idx == 0 && full && total.is_some_and(|t| t >= RESULT_CAP);
                    if capped_first {
                        if let Some(halves) = self.split(&w).await? {
                            return Ok(Some(halves));
                        }
                    }
                    pages.push(PageState::fetched(
                        url.clone(),
                        page.etag.clone(),
                        page.next.clone(),
                    ));
                    self.store_page(&w, &body, &pages, total).await?;
                    // A full last page that GitHub can serve (the 10th) means capped too,
                    // whatever the count said.
                    let capped_last = full && (idx as i64 + 1) * i64::from(PER_PAGE) >= RESULT_CAP;
                    if capped_last {
                        if let Some(halves) = self.split(&w).await? {
                            return Ok(Some(halves));
                        }
                        self.unlisted.push(w.created_filter());
                        tracing::warn!(
                            "{}: more than {RESULT_CAP} runs created in {}: beyond the cap, some are not listed",
                            self.repo,
                            w.created_filter()
                        );
                        break;
                    }
                    page.next
                }
            };
            match next {
                Some(n) if pages.iter().any(|p| p.url == n) => {
                    return Err(Stop::Repo(format!(
                        "the Link header of {url} points back to a page already fetched ({n}); not followed"
                    )));
                }
                Some(n) => url = n,
                None => break,
            }
        }
        let client = self.pool.get().await.map_err(DbError::from)?;
        state::finish_window(&**client, self.repo, &w, &pages).await?;
        Ok(None)
    }

    /// Replaces `w` by its halves (stored), when it can still be split.
    async fn split(
        &mut self,
        w: &super::Window,
    ) -> Result<Option<(super::Window, super::Window)>, Stop> {
        let Some(halves) = w.split() else {
            return Ok(None);
        };
        let mut client = self.pool.get().await.map_err(DbError::from)?;
        state::split_window(&mut **client, self.repo, w, halves).await?;
        Ok(Some(halves))
    }

    /// Stores one page's runs, with the earlier attempts they need, and the page's ETag, in
    /// one transaction.
    async fn store_page(
        &mut self,
        w: &super::Window,
        body: &Value,
        pages: &[PageState],
        total: Option<i64>,
    ) -> Result<(), Stop> {
        let items = body
            .get("workflow_runs")
            .and_then(Value::as_array)
            .ok_or_else(|| Stop::Repo("runs list without workflow_runs".into()))?;
        // Counted only once committed, so a page that fails leaves the report adding up.
        let before = (
            self.rep.runs_seen,
            self.rep.rejected,
            self.rep.attempts_backfilled,
        );
        let stored = self.store_page_runs(w, items, pages, total).await;
        if stored.is_err() {
            (
                self.rep.runs_seen,
                self.rep.rejected,
                self.rep.attempts_backfilled,
            ) = before;
        }
        stored
    }

    async fn store_page_runs(
        &mut self,
        w: &super::Window,
        items: &[Value],
        pages: &[PageState],
        total: Option<i64>,
    ) -> Result<(), Stop> {
        let mut runs = self.parse_runs(items.iter());
        let attempts = self.earlier_attempts(&runs).await?;
        runs.extend(attempts);
        let mut client = self.pool.get().await.map_err(DbError::from)?;
        let mut tx = (**client).transaction().await.map_err(DbError::from)?;
        let counts = match upsert_workflow_runs(&tx, &runs).await {
            Ok(c) => c,
            // A value the database still refuses costs only its run: the page again, one
            // run per savepoint.
            Err(e) if e.is_data_error() => {
                tx.rollback().await.map_err(DbError::from)?;
                tx = (**client).transaction().await.map_err(DbError::from)?;
                let (counts, refused) = upsert_workflow_runs_each(&mut tx, &runs).await?;
                for (i, reason) in refused {
                    self.rep.rejected += 1;
                    tracing::warn!(
                        "{}: run {} refused by the database: {reason}",
                        self.repo,
                        runs[i].github_run_id
                    );
                }
                counts
            }
            Err(e) => return Err(e.into()),
        };
        let total = total.and_then(|t| i32::try_from(t).ok());
        state::save_pages(&tx, self.repo, w, pages, total).await?;
        tx.commit().await.map_err(DbError::from)?;
        self.rep.add(counts);
        Ok(())
    }

    fn parse_runs<'v>(&mut self, items: impl Iterator<Item = &'v Value>) -> Vec<WorkflowRun> {
        let mut runs = Vec::new();
        for item in items {
            self.rep.runs_seen += 1;
            let run = WorkflowRun::from_api(self.repo.as_str(), item).and_then(Validate::checked);
            match run {
                Ok(r) => runs.push(r),
                Err(e) => {
                    self.rep.rejected += 1;
                    tracing::warn!("{}: run skipped: {e}", self.repo);
                }
            }
        }
        runs
    }

    /// Earlier attempts of re-run runs that are not stored, or stored unfinished.
    async fn earlier_attempts(&mut self, runs: &[WorkflowRun]) -> Result<Vec<WorkflowRun>, Stop> {
        let ids: Vec<i64> = runs
            .iter()
            .filter(|r| r.run_attempt > 1)
            .map(|r| r.github_run_id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let stored = {
            let client = self.pool.get().await.map_err(DbError::from)?;
            state::stored_attempts(&**client, &ids).await?
        };
        let mut out = Vec::new();
        for run in runs.iter().filter(|r| r.run_attempt > 1) {
            let have = stored.get(&run.github_run_id);
            // GitHub allows 50 re-runs: a run claiming attempt 3000 costs 50 requests at most.
            let first = (run.run_attempt - MAX_RERUNS).max(1);
            for n in first..run.run_attempt {
                let state = have.and_then(|v| v.iter().find(|(a, _)| *a == n));
                if matches!(state, Some((_, true))) {
                    continue;
                }
                let url = self.attempt_url(run.github_run_id, n);
                let page = match self.get(&url, None).await {
                    Ok(p) => p,
                    // A purged attempt: one rejected item, the run and the rest are kept.
                    Err(Stop::Gone(msg)) => {
                        self.rep.runs_seen += 1;
                        self.rep.rejected += 1;
                        tracing::warn!(
                            "{}: attempt {n} of run {} is gone: {msg}",
                            self.repo,
                            run.github_run_id
                        );
                        continue;
                    }
                    Err(stop) => return Err(stop),
                };
                if state.is_none() {
                    self.rep.attempts_backfilled += 1;
                }
                out.extend(self.parse_runs(page.body.iter()));
            }
        }
        Ok(out)
    }

    fn attempt_url(&self, run_id: i64, attempt: i32) -> String {
        format!(
            "{}/repos/{}/actions/runs/{run_id}/attempts/{attempt}?exclude_pull_requests=true",
            self.plan.api_url, self.repo
        )
    }

    /// Runs created before the period that were unfinished when stored: no window will list
    /// them again, so each is fetched until it completes.
    async fn refresh_unfinished(&mut self, days: &[NaiveDate]) -> Result<(), Stop> {
        let Some(first) = days.iter().min() else {
            return Ok(());
        };
        let before = super::Window::day(*first).start;
        let todo = {
            let client = self.pool.get().await.map_err(DbError::from)?;
            state::runs_to_refresh(&**client, self.repo, before, REFRESH_LIMIT).await?
        };
        for (id, attempt) in todo {
            let url = self.attempt_url(id, attempt);
            let page = match self.get(&url, None).await {
                Ok(p) => p,
                // A deleted run answers 404: retired, never asked for again.
                Err(Stop::Gone(msg)) => {
                    tracing::warn!(
                        "{}: run {id} is gone, no longer refreshed: {msg}",
                        self.repo
                    );
                    let client = self.pool.get().await.map_err(DbError::from)?;
                    state::mark_refreshed(&**client, id, attempt, true).await?;
                    continue;
                }
                Err(stop) => return Err(stop),
            };
            let before = (self.rep.runs_seen, self.rep.rejected);
            let runs = self.parse_runs(page.body.iter());
            let client = self.pool.get().await.map_err(DbError::from)?;
            let counts = match upsert_workflow_runs(&**client, &runs).await {
                Ok(c) => c,
                Err(e) => {
                    (self.rep.runs_seen, self.rep.rejected) = before;
                    return Err(e.into());
                }
            };
            state::mark_refreshed(&**client, id, attempt, false).await?;
            self.rep.refreshed += runs.len() as u64;
            self.rep.add(counts);
        }
        Ok(())
    }
}

/// True when `url` has the scheme, host and port of `api_url`.
fn same_origin(url: &str, api_url: &str) -> bool {
    match (reqwest::Url::parse(url), reqwest::Url::parse(api_url)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}
