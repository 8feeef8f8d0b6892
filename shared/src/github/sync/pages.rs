//! One window of a repository's sync, page by page: ETags revalidated, the way on from a
//! 304 known, a window split when its pages (not its count) show it is capped, and each
//! page's runs stored with its state in one transaction, a run the database refuses alone.

use serde_json::Value;

use super::{RepoSync, Stop};
use crate::columns::Validate;
use crate::db::DbError;
use crate::github::store::state::{self as state, PageState, StoredWindow};
use crate::github::store::{store_isolated, Isolated};
use crate::github::window::{PER_PAGE, RESULT_CAP};
use crate::github::{GitHubApi, Window, WorkflowRun};

impl<A: GitHubApi> RepoSync<'_, A> {
    /// Syncs one window; returns its halves instead when it reached the result cap.
    pub(super) async fn sync_window(
        &mut self,
        stored: &StoredWindow,
    ) -> Result<Option<(Window, Window)>, Stop> {
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
    async fn split(&mut self, w: &Window) -> Result<Option<(Window, Window)>, Stop> {
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
        w: &Window,
        body: &Value,
        pages: &[PageState],
        total: Option<i64>,
    ) -> Result<(), Stop> {
        let items = body
            .get("workflow_runs")
            .and_then(Value::as_array)
            .ok_or_else(|| Stop::Repo("runs list without workflow_runs".into()))?;
        // Counted only once committed, so a page that fails leaves the report adding up.
        let mark = self.rep.mark();
        let stored = self.store_page_runs(w, items, pages, total).await;
        if stored.is_err() {
            self.rep.rewind(mark);
        }
        stored
    }

    async fn store_page_runs(
        &mut self,
        w: &Window,
        items: &[Value],
        pages: &[PageState],
        total: Option<i64>,
    ) -> Result<(), Stop> {
        let mut runs = self.parse_runs(items.iter());
        let attempts = self.earlier_attempts(&runs).await?;
        runs.extend(attempts);
        let mut client = self.pool.get().await.map_err(DbError::from)?;
        let Isolated {
            tx,
            counts,
            refused,
        } = store_isolated(&mut client, &runs).await?;
        for (i, reason) in refused {
            self.rep.rejected += 1;
            tracing::warn!(
                "{}: run {} refused by the database: {reason}",
                self.repo,
                runs[i].github_run_id
            );
        }
        let total = total.and_then(|t| i32::try_from(t).ok());
        state::save_pages(&tx, self.repo, w, pages, total).await?;
        tx.commit().await.map_err(DbError::from)?;
        self.rep.add(counts);
        Ok(())
    }

    pub(super) fn parse_runs<'v>(
        &mut self,
        items: impl Iterator<Item = &'v Value>,
    ) -> Vec<WorkflowRun> {
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
}
