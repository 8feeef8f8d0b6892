//! github-sync state in the database: the repositories to sync, each `created=` window's page
//! ETags and completion time (the checkpoint a sync resumes from), earlier attempts already
//! stored, runs to refresh, and the per-repository sync reports.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::github::{Repository, Window};

/// One fetched page of a window: the URL asked for, the ETag it answered with, and where its
/// `Link: rel=next` led, so that a 304 still tells the way to the next page even when the
/// window was interrupted before that page was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    /// URL fetched (page 1 built, later pages as the `Link` header gave them).
    pub url: String,
    /// ETag to revalidate with.
    pub etag: Option<String>,
    /// The page's `rel=next` URL, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// True when the page had no `rel=next`: the window's last page. Pages stored before
    /// this field existed have neither, and their way on is unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last: bool,
}

impl PageState {
    /// A page as just fetched, with where it leads.
    pub fn fetched(url: String, etag: Option<String>, next: Option<String>) -> Self {
        let last = next.is_none();
        PageState {
            url,
            etag,
            next,
            last,
        }
    }

    /// True when the page was stored without its `Link` (before the field existed).
    pub fn way_on_unknown(&self) -> bool {
        self.next.is_none() && !self.last
    }
}

/// A window as stored.
#[derive(Debug, Clone)]
pub struct StoredWindow {
    /// The period.
    pub window: Window,
    /// Pages fetched so far (their runs are stored).
    pub pages: Vec<PageState>,
    /// When the window was last synced to its last page; `None` if never.
    pub synced_at: Option<DateTime<Utc>>,
}

/// Repositories in the `github_repositories` table, enabled ones only.
pub async fn listed_repositories(client: &impl GenericClient) -> Result<Vec<Repository>, DbError> {
    let rows = client
        .query(
            "SELECT repository FROM github_repositories WHERE enabled ORDER BY repository",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Repository::parse(r.get("repository")).ok())
        .collect())
}

/// A repository's last sync, as `telemetry github list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSync {
    /// When it finished, `YYYY-MM-DD HH:MM` UTC.
    pub finished_at: String,
    /// False when it stopped early (deadline, rate limit, failure).
    pub complete: bool,
    /// The repository's runs stored now.
    pub runs_stored: i64,
}

/// `repo`'s last sync, or `None` when it never ran.
pub async fn last_sync(
    client: &impl GenericClient,
    repo: &Repository,
) -> Result<Option<LastSync>, DbError> {
    let row = client
        .query_opt(
            "SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS finished_at,
                    complete,
                    (SELECT count(*) FROM workflow_runs WHERE repository = $1) AS runs_stored
             FROM github_sync_runs WHERE repository = $1 ORDER BY id DESC LIMIT 1",
            &[&repo.as_str()],
        )
        .await?;
    Ok(row.map(|r| LastSync {
        finished_at: r.get("finished_at"),
        complete: r.get("complete"),
        runs_stored: r.get("runs_stored"),
    }))
}

/// Adds (or re-enables) `repo`; true when it was not enabled before.
pub async fn add_repository(
    client: &impl GenericClient,
    repo: &Repository,
) -> Result<bool, DbError> {
    let n = client
        .execute(
            "INSERT INTO github_repositories (repository) VALUES ($1)
             ON CONFLICT (repository) DO UPDATE SET enabled = true
             WHERE NOT github_repositories.enabled",
            &[&repo.as_str()],
        )
        .await?;
    Ok(n == 1)
}

/// Disables `repo` (its runs and sync state stay); true when it was enabled.
pub async fn remove_repository(
    client: &impl GenericClient,
    repo: &Repository,
) -> Result<bool, DbError> {
    let n = client
        .execute(
            "UPDATE github_repositories SET enabled = false WHERE repository = $1 AND enabled",
            &[&repo.as_str()],
        )
        .await?;
    Ok(n == 1)
}

/// Ensures every day in `days` has a window (a whole-day one unless the day was split
/// before), then returns the windows starting on those days, least recently synced first,
/// newest first among equals: never-synced days come first, an interrupted sync resumes
/// where it stopped.
pub async fn plan_windows(
    client: &impl GenericClient,
    repo: &Repository,
    days: &[NaiveDate],
) -> Result<Vec<StoredWindow>, DbError> {
    let Some(first) = days.iter().min().map(|d| Window::day(*d).start) else {
        return Ok(Vec::new());
    };
    let last = days.iter().max().map_or(first, |d| Window::day(*d).end);
    let starts: Vec<DateTime<Utc>> = days.iter().map(|d| Window::day(*d).start).collect();
    client
        .execute(
            "INSERT INTO github_sync_windows (repository, window_start, window_end)
             SELECT $1, s, s + interval '1 day' FROM unnest($2::timestamptz[]) s
             WHERE NOT EXISTS (SELECT 1 FROM github_sync_windows w
                 WHERE w.repository = $1 AND w.window_start >= s
                   AND w.window_start < s + interval '1 day')
             ON CONFLICT DO NOTHING",
            &[&repo.as_str(), &starts],
        )
        .await?;
    let rows = client
        .query(
            "SELECT window_start, window_end, pages, synced_at FROM github_sync_windows
             WHERE repository = $1 AND window_start >= $2 AND window_start < $3
             ORDER BY synced_at ASC NULLS FIRST, window_start DESC",
            &[&repo.as_str(), &first, &last],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| StoredWindow {
            window: Window {
                start: r.get("window_start"),
                end: r.get("window_end"),
            },
            pages: serde_json::from_value(r.get("pages")).unwrap_or_default(),
            synced_at: r.get("synced_at"),
        })
        .collect())
}

/// Stores the pages fetched so far; call in the transaction that stored their runs.
pub async fn save_pages(
    client: &impl GenericClient,
    repo: &Repository,
    window: &Window,
    pages: &[PageState],
    total_count: Option<i32>,
) -> Result<(), DbError> {
    let json = serde_json::to_value(pages).unwrap_or_default();
    client
        .execute(
            "UPDATE github_sync_windows SET pages = $3,
                 total_count = coalesce($4, total_count)
             WHERE repository = $1 AND window_start = $2",
            &[&repo.as_str(), &window.start, &json, &total_count],
        )
        .await?;
    Ok(())
}

/// Marks the window synced through its last page (`pages` is its final page list).
pub async fn finish_window(
    client: &impl GenericClient,
    repo: &Repository,
    window: &Window,
    pages: &[PageState],
) -> Result<(), DbError> {
    let json = serde_json::to_value(pages).unwrap_or_default();
    client
        .execute(
            "UPDATE github_sync_windows SET pages = $3, synced_at = now()
             WHERE repository = $1 AND window_start = $2",
            &[&repo.as_str(), &window.start, &json],
        )
        .await?;
    Ok(())
}

/// Replaces `window` by its two halves (never synced yet).
pub async fn split_window(
    client: &mut impl GenericClient,
    repo: &Repository,
    window: &Window,
    halves: (Window, Window),
) -> Result<(), DbError> {
    let tx = client.transaction().await?;
    tx.execute(
        "DELETE FROM github_sync_windows WHERE repository = $1 AND window_start = $2",
        &[&repo.as_str(), &window.start],
    )
    .await?;
    for half in [halves.0, halves.1] {
        tx.execute(
            "INSERT INTO github_sync_windows (repository, window_start, window_end)
             VALUES ($1, $2, $3)",
            &[&repo.as_str(), &half.start, &half.end],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// For each run id, its stored attempts and whether each is completed.
pub async fn stored_attempts(
    client: &impl GenericClient,
    run_ids: &[i64],
) -> Result<HashMap<i64, Vec<(i32, bool)>>, DbError> {
    let mut out: HashMap<i64, Vec<(i32, bool)>> = HashMap::new();
    if run_ids.is_empty() {
        return Ok(out);
    }
    for r in client
        .query(
            "SELECT github_run_id, run_attempt, status = 'completed' AS completed
             FROM workflow_runs WHERE github_run_id = ANY($1)",
            &[&run_ids],
        )
        .await?
    {
        out.entry(r.get("github_run_id"))
            .or_default()
            .push((r.get("run_attempt"), r.get("completed")));
    }
    Ok(out)
}

/// Attempts of `repo` not completed when last stored, of runs created before `before` (so
/// no window re-scan will see them again), oldest first, at most `limit`.
pub async fn runs_to_refresh(
    client: &impl GenericClient,
    repo: &Repository,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(i64, i32)>, DbError> {
    Ok(client
        .query(
            "SELECT github_run_id, run_attempt FROM workflow_runs
             WHERE repository = $1 AND status <> 'completed' AND gone_at IS NULL
               AND coalesce(github_created_at, started_at, created_at) < $2
             ORDER BY refreshed_at NULLS FIRST, github_run_id, run_attempt LIMIT $3",
            &[&repo.as_str(), &before, &limit],
        )
        .await?
        .iter()
        .map(|r| (r.get("github_run_id"), r.get("run_attempt")))
        .collect())
}

/// Records that attempt `attempt` of run `id` was just refreshed, or (`gone`) that GitHub
/// answered 404 for it: it is then never refreshed again.
pub async fn mark_refreshed(
    client: &impl GenericClient,
    id: i64,
    attempt: i32,
    gone: bool,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE workflow_runs SET refreshed_at = now(),
                 gone_at = CASE WHEN $3 THEN now() ELSE gone_at END
             WHERE github_run_id = $1 AND run_attempt = $2",
            &[&id, &attempt, &gone],
        )
        .await?;
    Ok(())
}
