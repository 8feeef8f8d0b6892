//! What a sync did, per repository: the report logged by github-sync, printed by the CLI and
//! kept in `github_sync_runs`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::github::store::RunCounts;

/// One repository's part of a sync. `runs_seen = inserted + updated + unchanged + rejected`,
/// and `jobs_seen = jobs_inserted + jobs_updated + jobs_unchanged + jobs_rejected`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RepoReport {
    /// owner/name.
    pub repository: String,
    /// Run objects received (list items, earlier attempts, refreshed runs).
    pub runs_seen: u64,
    /// Attempts stored for the first time.
    pub inserted: u64,
    /// Attempts GitHub changed since they were stored.
    pub updated: u64,
    /// Attempts received again with no change.
    pub unchanged: u64,
    /// Run objects that did not parse.
    pub rejected: u64,
    /// Earlier attempts fetched from `/attempts/{n}` because they were not stored.
    pub attempts_backfilled: u64,
    /// Unfinished runs outside the re-scanned period fetched one by one.
    pub refreshed: u64,
    /// HTTP requests made (including 304s).
    pub requests: u64,
    /// 304 Not Modified answers (not counted by GitHub's rate limit).
    pub not_modified: u64,
    /// Rate-limit waits sat through.
    pub rate_limit_waits: u64,
    /// GitHub's `x-ratelimit-remaining` after the last answer, when it sent one.
    pub quota_remaining: Option<u64>,
    /// Run attempts whose jobs were asked for.
    pub job_attempts: u64,
    /// Requests made for jobs (part of `requests`).
    pub job_requests: u64,
    /// Job objects received.
    pub jobs_seen: u64,
    /// Jobs stored for the first time.
    pub jobs_inserted: u64,
    /// Jobs further along than stored.
    pub jobs_updated: u64,
    /// Jobs received again with no progress.
    pub jobs_unchanged: u64,
    /// Job objects that did not parse or that the database refused.
    pub jobs_rejected: u64,
    /// `created=` windows synced to their last page.
    pub windows_done: u32,
    /// Windows in the period.
    pub windows_total: u32,
    /// Every window synced (and unfinished runs refreshed).
    pub complete: bool,
    /// Why the repository stopped early, if it did.
    pub error: Option<String>,
}

/// The counts parsing adds before anything is stored, taken back with
/// [`RepoReport::rewind`] when the write fails, so the report still adds up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParseMark {
    runs_seen: u64,
    rejected: u64,
    attempts_backfilled: u64,
    jobs_seen: u64,
    jobs_rejected: u64,
}

impl RepoReport {
    /// Where the parse-time counts stand now.
    pub(crate) fn mark(&self) -> ParseMark {
        ParseMark {
            runs_seen: self.runs_seen,
            rejected: self.rejected,
            attempts_backfilled: self.attempts_backfilled,
            jobs_seen: self.jobs_seen,
            jobs_rejected: self.jobs_rejected,
        }
    }

    /// Takes the parse-time counts back to `mark`.
    pub(crate) fn rewind(&mut self, mark: ParseMark) {
        self.runs_seen = mark.runs_seen;
        self.rejected = mark.rejected;
        self.attempts_backfilled = mark.attempts_backfilled;
        self.jobs_seen = mark.jobs_seen;
        self.jobs_rejected = mark.jobs_rejected;
    }

    /// An empty report for `repository`.
    pub fn new(repository: &str) -> Self {
        Self {
            repository: repository.into(),
            ..Self::default()
        }
    }

    /// Adds an upsert's counts.
    pub fn add(&mut self, c: RunCounts) {
        self.inserted += c.inserted;
        self.updated += c.updated;
        self.unchanged += c.unchanged;
    }

    /// Adds a jobs upsert's counts.
    pub fn add_jobs(&mut self, c: RunCounts) {
        self.jobs_inserted += c.inserted;
        self.jobs_updated += c.updated;
        self.jobs_unchanged += c.unchanged;
    }

    /// Requests GitHub counted against the quota.
    pub fn counted_requests(&self) -> u64 {
        self.requests - self.not_modified
    }
}

/// The whole sync.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// One entry per repository attempted, in the order synced.
    pub repositories: Vec<RepoReport>,
    /// Every repository complete.
    pub complete: bool,
    /// Why the sync stopped before the end (deadline, rate limit); it resumes next time.
    pub stopped: Option<String>,
}

impl SyncReport {
    /// Repositories that failed on their own (not stopped by the deadline or rate limit,
    /// which the next sync resumes from): a bad repository name, a 404, a refused request.
    pub fn failures(&self) -> Vec<&RepoReport> {
        self.repositories
            .iter()
            .filter(|r| r.error.is_some() && r.error != self.stopped)
            .collect()
    }

    /// Records the sync's custom metrics: requests made and counted, and the quota left.
    pub fn record_metrics(&self) {
        let (made, counted) = self.requests();
        metrics::counter!(crate::emf::name::GITHUB_REQUESTS).increment(made);
        metrics::counter!(crate::emf::name::GITHUB_COUNTED).increment(counted);
        if let Some(left) = self
            .repositories
            .iter()
            .rev()
            .find_map(|r| r.quota_remaining)
        {
            metrics::gauge!(crate::emf::name::GITHUB_QUOTA_LEFT).set(left as f64);
        }
    }

    /// Sum over repositories of requests made, and of those counted by GitHub.
    pub fn requests(&self) -> (u64, u64) {
        self.repositories.iter().fold((0, 0), |(a, b), r| {
            (a + r.requests, b + r.counted_requests())
        })
    }
}

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Keeps `report` in `github_sync_runs`.
pub async fn record_report(
    client: &impl GenericClient,
    started_at: DateTime<Utc>,
    r: &RepoReport,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO github_sync_runs (repository, started_at, runs_seen, inserted, updated,
                 unchanged, rejected, attempts_backfilled, refreshed, requests, not_modified,
                 rate_limit_waits, windows_done, windows_total, complete, error, job_attempts,
                 job_requests, jobs_seen, jobs_inserted, jobs_updated, jobs_unchanged,
                 jobs_rejected)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $23)",
            &[
                &r.repository,
                &started_at,
                &n(r.runs_seen),
                &n(r.inserted),
                &n(r.updated),
                &n(r.unchanged),
                &n(r.rejected),
                &n(r.attempts_backfilled),
                &n(r.refreshed),
                &n(r.requests),
                &n(r.not_modified),
                &n(r.rate_limit_waits),
                &i32::try_from(r.windows_done).unwrap_or(i32::MAX),
                &i32::try_from(r.windows_total).unwrap_or(i32::MAX),
                &r.complete,
                &r.error,
                &n(r.job_attempts),
                &n(r.job_requests),
                &n(r.jobs_seen),
                &n(r.jobs_inserted),
                &n(r.jobs_updated),
                &n(r.jobs_unchanged),
                &n(r.jobs_rejected),
            ],
        )
        .await?;
    Ok(())
}
