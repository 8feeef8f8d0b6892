//! The jobs of run attempts: each attempt that is new, whose run changed since its jobs were
//! stored, or that is not completed gets `/attempts/{n}/jobs`, page by page with the ETags
//! stored for it, so an unchanged list costs no counted request and an attempt in sync costs
//! no request at all. An attempt's jobs and its pages' ETags are committed together; a job
//! the database refuses is rejected alone.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{RepoSync, Stop};
use crate::columns::Validate;
use crate::db::DbError;
use crate::github::store::job_state::{self, DueJobs};
use crate::github::store::state::PageState;
use crate::github::store::{store_isolated, Isolated};
use crate::github::{GitHubApi, WorkflowJob, PER_PAGE};

/// Attempts whose jobs one repository's sync asks for at most (a backfill of more resumes
/// at the next sync, least recently checked first).
const JOBS_LIMIT: i64 = 10_000;
/// Pages of one attempt's jobs followed at most (GitHub runs 256 jobs per run at most).
const MAX_JOB_PAGES: usize = 10;

impl<A: GitHubApi> RepoSync<'_, A> {
    /// Fetches the jobs of every attempt due, of runs created since `since` or refreshed.
    pub(super) async fn sync_jobs(&mut self, since: DateTime<Utc>) -> Result<(), Stop> {
        let due = {
            let client = self.pool.get().await.map_err(DbError::from)?;
            job_state::jobs_due(&**client, self.repo, since, JOBS_LIMIT).await?
        };
        for d in &due {
            let before = self.rep.requests;
            let done = self.attempt_jobs(d).await;
            self.rep.job_requests += self.rep.requests - before;
            done?;
        }
        Ok(())
    }

    fn jobs_url(&self, run_id: i64, attempt: i32) -> String {
        format!(
            "{}/repos/{}/actions/runs/{run_id}/attempts/{attempt}/jobs?per_page={PER_PAGE}",
            self.plan.api_url, self.repo
        )
    }

    /// One attempt's jobs, every page, stored with the pages' ETags. Counted only once
    /// committed, so an attempt that fails leaves the report adding up.
    async fn attempt_jobs(&mut self, due: &DueJobs) -> Result<(), Stop> {
        self.rep.job_attempts += 1;
        let mark = self.rep.mark();
        let done = self.fetch_and_store_jobs(due).await;
        if done.is_err() {
            self.rep.rewind(mark);
        }
        done
    }

    async fn fetch_and_store_jobs(&mut self, due: &DueJobs) -> Result<(), Stop> {
        let mut pages: Vec<PageState> = Vec::new();
        let mut jobs: Vec<WorkflowJob> = Vec::new();
        let mut url = self.jobs_url(due.run_id, due.attempt);
        let mut gone = false;
        loop {
            let known = due.pages.get(pages.len()).filter(|p| p.url == url);
            let page = match self.get(&url, known.and_then(|p| p.etag.as_deref())).await {
                Ok(p) => p,
                // A purged attempt or a deleted run: nothing to list, not asked again until
                // the run changes.
                Err(Stop::Gone(msg)) => {
                    tracing::warn!(
                        "{}: the jobs of run {} attempt {} are gone: {msg}",
                        self.repo,
                        due.run_id,
                        due.attempt
                    );
                    gone = true;
                    break;
                }
                Err(stop) => return Err(stop),
            };
            let next = match (page.body, known) {
                // 304: this page's jobs are stored, and where it leads is known.
                (None, Some(k)) => {
                    pages.push(k.clone());
                    k.next.clone()
                }
                (None, None) => {
                    return Err(Stop::Repo(format!(
                        "{url} answered 304 to a request without an ETag"
                    )));
                }
                (Some(body), _) => {
                    let items = body
                        .get("jobs")
                        .and_then(Value::as_array)
                        .ok_or_else(|| Stop::Repo(format!("{url}: a jobs list without `jobs`")))?;
                    jobs.extend(self.parse_jobs(due, items));
                    pages.push(PageState::fetched(
                        url.clone(),
                        page.etag,
                        page.next.clone(),
                    ));
                    page.next
                }
            };
            match next {
                Some(n) if pages.iter().any(|p| p.url == n) || pages.len() >= MAX_JOB_PAGES => {
                    return Err(Stop::Repo(format!(
                        "the Link header of {url} leads back or past {MAX_JOB_PAGES} pages of jobs ({n}); not followed"
                    )));
                }
                Some(n) => url = n,
                None => break,
            }
        }
        self.store_jobs(due, &jobs, &pages, gone).await
    }

    async fn store_jobs(
        &mut self,
        due: &DueJobs,
        jobs: &[WorkflowJob],
        pages: &[PageState],
        gone: bool,
    ) -> Result<(), Stop> {
        let mut client = self.pool.get().await.map_err(DbError::from)?;
        let Isolated {
            tx,
            counts,
            refused,
        } = store_isolated(&mut client, jobs).await?;
        job_state::save_jobs_pages(&tx, due, pages, gone).await?;
        tx.commit().await.map_err(DbError::from)?;
        for (i, reason) in refused {
            self.rep.jobs_rejected += 1;
            tracing::warn!(
                "{}: job {} refused by the database: {reason}",
                self.repo,
                jobs[i].github_job_id
            );
        }
        self.rep.add_jobs(counts);
        Ok(())
    }

    /// The jobs of one page that parse, fit their columns and belong to the attempt asked for.
    fn parse_jobs(&mut self, due: &DueJobs, items: &[Value]) -> Vec<WorkflowJob> {
        let mut jobs = Vec::new();
        for item in items {
            self.rep.jobs_seen += 1;
            let job = WorkflowJob::from_api(
                self.repo.as_str(),
                due.private,
                item,
                &self.plan.runner_skus,
            )
            .and_then(|j| {
                if (j.github_run_id, j.run_attempt) == (due.run_id, due.attempt) {
                    Ok(j)
                } else {
                    Err(format!(
                        "job {} of run {} attempt {} listed under run {} attempt {}",
                        j.github_job_id, j.github_run_id, j.run_attempt, due.run_id, due.attempt
                    ))
                }
            })
            .and_then(Validate::checked);
            match job {
                Ok(j) => jobs.push(j),
                Err(e) => {
                    self.rep.jobs_rejected += 1;
                    tracing::warn!("{}: job skipped: {e}", self.repo);
                }
            }
        }
        jobs
    }
}
