//! Upsert of workflow run attempts: one row per (run id, attempt), overwritten only by a
//! version with a newer GitHub `updated_at`, so a late or repeated fetch never rolls a run
//! back (an in-progress copy cannot replace the completed one).

use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::github::WorkflowRun;
use crate::outbox::{BroadcastLevel, EventKind};

/// Conclusions announced as `workflow_run_failed` outbox events.
pub const FAILED_CONCLUSIONS: &str = "('failure', 'startup_failure', 'timed_out')";

/// The project whose git remote is `up.repository` on GitHub (the first made), for the
/// failure events' `project_id`.
pub(super) const PROJECT_OF_REPOSITORY: &str = "(SELECT p.project_id FROM projects p
    WHERE lower(regexp_replace(regexp_replace(p.git_remote, '^.*github\\.com[:/]', ''),
                               '\\.git$', '')) = lower(up.repository)
    ORDER BY p.created_at LIMIT 1)";

/// One item per key, in first-seen order: a later copy replaces the one kept when
/// `replaces(later, kept)`.
pub(super) fn one_per_key<T, K: PartialEq>(
    items: &[T],
    key: impl Fn(&T) -> K,
    replaces: impl Fn(&T, &T) -> bool,
) -> Vec<&T> {
    let mut kept: Vec<&T> = Vec::with_capacity(items.len());
    for item in items {
        match kept.iter_mut().find(|k| key(k) == key(item)) {
            Some(k) if replaces(item, k) => *k = item,
            Some(_) => {}
            None => kept.push(item),
        }
    }
    kept
}

/// The last statement of an upsert whose `up` returns `(xmax = 0) AS inserted`: what
/// [`RunCounts::of`] reads.
pub(super) const COUNT_UP: &str = "SELECT count(*) FILTER (WHERE inserted) AS inserted,
    count(*) FILTER (WHERE NOT inserted) AS updated FROM up";

/// What one upsert did; the three add up to the runs passed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunCounts {
    /// New attempts.
    pub inserted: u64,
    /// Attempts GitHub changed since they were stored.
    pub updated: u64,
    /// Attempts already stored at this version or a newer one.
    pub unchanged: u64,
}

impl RunCounts {
    /// The counts of a [`COUNT_UP`] row for `given` items: the rest were unchanged.
    pub(super) fn of(row: &tokio_postgres::Row, given: usize) -> RunCounts {
        let inserted = row.get::<_, i64>("inserted") as u64;
        let updated = row.get::<_, i64>("updated") as u64;
        RunCounts {
            inserted,
            updated,
            unchanged: given as u64 - inserted - updated,
        }
    }
}

impl super::Upsert for WorkflowRun {
    const WHAT: &'static str = "run";

    fn upsert<C: GenericClient + Sync>(
        client: &C,
        items: &[Self],
    ) -> impl std::future::Future<Output = Result<RunCounts, DbError>> + Send {
        upsert_workflow_runs(client, items)
    }
}

/// Upserts `runs` in one statement, which also writes a `workflow_run_failed` outbox event
/// (once per attempt) for each attempt it stores as completed with a failure.
pub async fn upsert_workflow_runs(
    client: &impl GenericClient,
    runs: &[WorkflowRun],
) -> Result<RunCounts, DbError> {
    if runs.is_empty() {
        return Ok(RunCounts::default());
    }
    // A key twice in one statement is refused by PostgreSQL: keep the newest copy.
    let latest = one_per_key(
        runs,
        |r| (r.github_run_id, r.run_attempt),
        |new, kept| new.github_updated_at > kept.github_updated_at,
    );
    let ids: Vec<i64> = latest.iter().map(|r| r.github_run_id).collect();
    let attempts: Vec<i32> = latest.iter().map(|r| r.run_attempt).collect();
    let repos: Vec<&str> = latest.iter().map(|r| r.repository.as_str()).collect();
    let names: Vec<&str> = latest.iter().map(|r| r.workflow_name.as_str()).collect();
    let branches: Vec<Option<&str>> = latest.iter().map(|r| r.branch.as_deref()).collect();
    let shas: Vec<Option<&str>> = latest.iter().map(|r| r.commit_sha.as_deref()).collect();
    let events: Vec<Option<&str>> = latest.iter().map(|r| r.event_type.as_deref()).collect();
    let statuses: Vec<&str> = latest.iter().map(|r| r.status.as_str()).collect();
    let conclusions: Vec<Option<&str>> = latest.iter().map(|r| r.conclusion.as_deref()).collect();
    let started: Vec<_> = latest.iter().map(|r| r.started_at).collect();
    let completed: Vec<_> = latest.iter().map(|r| r.completed_at).collect();
    let durations: Vec<Option<i32>> = latest.iter().map(|r| r.duration_seconds).collect();
    let urls: Vec<Option<&str>> = latest.iter().map(|r| r.html_url.as_deref()).collect();
    let updated: Vec<_> = latest.iter().map(|r| r.github_updated_at).collect();
    let created: Vec<_> = latest.iter().map(|r| r.github_created_at).collect();
    let private: Vec<Option<bool>> = latest.iter().map(|r| r.repository_private).collect();
    let row = client
        .query_one(
            &format!("WITH up AS (
                INSERT INTO workflow_runs AS t (github_run_id, run_attempt, repository, workflow_name,
                    branch, commit_sha, event_type, status, conclusion, started_at, completed_at,
                    duration_seconds, html_url, github_updated_at, github_created_at,
                    repository_private)
                SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::text[],
                    $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[],
                    $11::timestamptz[], $12::int4[], $13::text[], $14::timestamptz[],
                    $15::timestamptz[], $19::bool[])
                ON CONFLICT (github_run_id, run_attempt) DO UPDATE SET
                    repository = EXCLUDED.repository, workflow_name = EXCLUDED.workflow_name,
                    branch = EXCLUDED.branch, commit_sha = EXCLUDED.commit_sha,
                    event_type = EXCLUDED.event_type, status = EXCLUDED.status,
                    conclusion = EXCLUDED.conclusion, started_at = EXCLUDED.started_at,
                    completed_at = EXCLUDED.completed_at, duration_seconds = EXCLUDED.duration_seconds,
                    html_url = EXCLUDED.html_url, github_updated_at = EXCLUDED.github_updated_at,
                    github_created_at = coalesce(EXCLUDED.github_created_at, t.github_created_at),
                    repository_private = coalesce(EXCLUDED.repository_private, t.repository_private),
                    updated_at = now()
                WHERE t.github_updated_at IS NULL OR EXCLUDED.github_updated_at > t.github_updated_at
                RETURNING (xmax = 0) AS inserted, t.*),
             failed AS (
                INSERT INTO outbox_events (type, source, project_id, broadcast_level, payload, dedup_key)
                SELECT $16::text, $17::text,
                    {PROJECT_OF_REPOSITORY},
                    $18::text,
                    jsonb_build_object('repository', up.repository, 'workflow', up.workflow_name,
                        'run_id', up.github_run_id, 'attempt', up.run_attempt,
                        'branch', up.branch, 'commit', up.commit_sha, 'event', up.event_type,
                        'conclusion', up.conclusion, 'completed_at', up.completed_at,
                        'duration_seconds', up.duration_seconds, 'url', up.html_url),
                    $16::text || ':' || up.github_run_id || ':' || up.run_attempt
                FROM up WHERE up.status = 'completed' AND up.conclusion IN {FAILED_CONCLUSIONS}
                ON CONFLICT (dedup_key) DO NOTHING)
             {COUNT_UP}"),
            &[
                &ids, &attempts, &repos, &names, &branches, &shas, &events, &statuses, &conclusions,
                &started, &completed, &durations, &urls, &updated, &created,
                &EventKind::WorkflowRunFailed, &EventKind::WorkflowRunFailed.source(),
                &BroadcastLevel::Alert, &private,
            ],
        )
        .await?;
    Ok(RunCounts::of(&row, runs.len()))
}
