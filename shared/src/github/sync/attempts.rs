//! Attempts beyond the listed one: earlier attempts of re-runs (at most 50 back, a purged
//! one a reject), and the refresh of unfinished runs older than the period, in turn, with
//! runs GitHub deleted retired.

use chrono::NaiveDate;

use super::{RepoSync, Stop, MAX_RERUNS, REFRESH_LIMIT};
use crate::db::DbError;
use crate::github::store::state;
use crate::github::store::upsert_workflow_runs;
use crate::github::{GitHubApi, Window, WorkflowRun};

impl<A: GitHubApi> RepoSync<'_, A> {
    /// Earlier attempts of re-run runs that are not stored, or stored unfinished.
    pub(super) async fn earlier_attempts(
        &mut self,
        runs: &[WorkflowRun],
    ) -> Result<Vec<WorkflowRun>, Stop> {
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
    pub(super) async fn refresh_unfinished(&mut self, days: &[NaiveDate]) -> Result<(), Stop> {
        let Some(first) = days.iter().min() else {
            return Ok(());
        };
        let before = Window::day(*first).start;
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
            let mark = self.rep.mark();
            let runs = self.parse_runs(page.body.iter());
            let stored = async {
                let client = self.pool.get().await.map_err(DbError::from)?;
                let counts = upsert_workflow_runs(&**client, &runs).await?;
                Ok::<_, DbError>((client, counts))
            }
            .await;
            let (client, counts) = match stored {
                Ok(c) => c,
                Err(e) => {
                    self.rep.rewind(mark);
                    return Err(e.into());
                }
            };
            self.rep.refreshed += runs.len() as u64;
            self.rep.add(counts);
            state::mark_refreshed(&**client, id, attempt, false).await?;
        }
        Ok(())
    }
}
