//! One scheduled or by-hand sync: which repositories (configuration plus the
//! `github_repositories` table, or an explicit list), which period, and until when.

use chrono::{Duration, NaiveDate, Utc};
use tokio::time::Instant;

use super::{sync, GitHubApi, GitHubConfig, Repository, SyncError, SyncPlan, SyncReport};
use crate::db::{DbError, Pool};
use crate::github::store::state::listed_repositories;

/// Turns a Lambda deadline (milliseconds since the Unix epoch) into an [`Instant`]. A value
/// too small to be a date after 2001 is read as milliseconds from now: `cargo lambda watch`
/// sends the time left (its timeout) rather than an epoch time.
pub fn deadline_from_epoch_ms(deadline_ms: u64) -> Instant {
    const YEAR_2001_MS: u64 = 978_307_200_000;
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let left_ms = if deadline_ms < YEAR_2001_MS {
        deadline_ms
    } else {
        deadline_ms.saturating_sub(now_ms)
    };
    Instant::now() + std::time::Duration::from_millis(left_ms)
}

/// Repositories to sync: `only` when given, else `configured` (`GITHUB_REPOSITORIES`)
/// then the table's.
pub async fn repositories(
    pool: &Pool,
    configured: &[Repository],
    only: &[Repository],
) -> Result<Vec<Repository>, DbError> {
    if !only.is_empty() {
        return Ok(only.to_vec());
    }
    let client = pool.get().await?;
    let mut repos = configured.to_vec();
    for r in listed_repositories(&**client).await? {
        if !repos.contains(&r) {
            repos.push(r);
        }
    }
    Ok(repos)
}

/// Syncs `only` (or every configured repository) from `since` (default: the configured
/// number of days back) through today, stopping cleanly before `deadline`.
pub async fn run_sync(
    pool: &Pool,
    api: &impl GitHubApi,
    cfg: &GitHubConfig,
    only: &[Repository],
    since: Option<NaiveDate>,
    deadline: Instant,
) -> Result<SyncReport, SyncError> {
    let today = Utc::now().date_naive();
    if let Some(s) = since {
        let earliest = today - Duration::days(i64::from(super::config::MAX_SYNC_DAYS));
        if s < earliest {
            return Err(SyncError::Plan(format!(
                "since {s} is more than {} days back (the most GITHUB_SYNC_DAYS allows); the earliest is {earliest}",
                super::config::MAX_SYNC_DAYS
            )));
        }
    }
    let plan = SyncPlan {
        api_url: cfg.api_url.clone(),
        repositories: repositories(pool, &cfg.repositories, only).await?,
        since: since.unwrap_or(today - Duration::days(i64::from(cfg.sync_days))),
        until: today,
        deadline,
        runner_skus: cfg.runner_skus.clone(),
    };
    sync(pool, api, &plan).await
}

/// What an invocation asks for. A scheduled event (`"detail": {}`) asks for the default; a
/// by-hand invocation may give `since` and `repositories`, at the top level or in `detail`.
#[derive(Debug, Default, PartialEq)]
pub struct SyncRequest {
    /// First day to fetch.
    pub since: Option<NaiveDate>,
    /// Only these repositories.
    pub repositories: Vec<Repository>,
}

impl SyncRequest {
    /// Reads an invocation payload; the error names the bad field.
    pub fn from_event(payload: &serde_json::Value) -> Result<Self, String> {
        let field = |name: &str| {
            payload
                .get(name)
                .or_else(|| payload.get("detail").and_then(|d| d.get(name)))
        };
        let since = match field("since") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => {
                let s = v.as_str().unwrap_or_default();
                Some(
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| format!("since: {v} is not a YYYY-MM-DD date"))?,
                )
            }
        };
        let repositories = match field("repositories") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| Repository::parse(i.as_str().unwrap_or_default()))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("repositories: {e}"))?,
            Some(other) => return Err(format!("repositories: expected a list, got {other}")),
        };
        Ok(Self {
            since,
            repositories,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_read_as_epoch_times_or_as_time_left() {
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).expect("after 1970");
        let left = |d: Instant| d.saturating_duration_since(Instant::now()).as_secs();
        assert!((898..=900).contains(&left(deadline_from_epoch_ms(now_ms + 900_000))));
        assert!((598..=600).contains(&left(deadline_from_epoch_ms(600_000))));
        assert_eq!(left(deadline_from_epoch_ms(now_ms - 1_000)), 0);
    }

    #[test]
    fn a_scheduled_event_asks_for_the_default_sync() {
        let event = serde_json::json!({
            "version": "0", "id": "5d5c1c2e-0c5e-4b61-9a3b-1f1d0a2b6c7d",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-22T06:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/github-sync"],
            "detail": {}
        });
        assert_eq!(SyncRequest::from_event(&event), Ok(SyncRequest::default()));
    }

    #[test]
    fn a_by_hand_invocation_can_narrow_the_sync() {
        let req = SyncRequest::from_event(&serde_json::json!({
            "since": "2026-10-01", "repositories": ["acme/api"]
        }))
        .expect("valid");
        assert_eq!(
            req.since.map(|d| d.to_string()).as_deref(),
            Some("2026-10-01")
        );
        assert_eq!(req.repositories[0].as_str(), "acme/api");
        let err = SyncRequest::from_event(&serde_json::json!({"detail": {"since": "yesterday"}}))
            .expect_err("bad date");
        assert!(err.starts_with("since:"), "{err}");
    }
}
