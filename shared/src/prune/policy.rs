//! Retention: how long each table the pipeline writes keeps its rows, which column the age is
//! measured on, and whether rows are archived to S3 before they are deleted.

use chrono::{DateTime, Months, TimeDelta, Utc};
use serde::Serialize;

/// How long rows are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum Retention {
    /// Never pruned.
    Keep,
    /// Calendar months.
    Months(u32),
    /// Days.
    Days(u32),
}

impl Retention {
    /// Parses `6mo`, `90d` or `keep`.
    pub fn parse(s: &str) -> Result<Retention, String> {
        let s = s.trim();
        let bad = || format!("retention {s:?}: expected e.g. 6mo, 90d or keep");
        if s == "keep" {
            return Ok(Retention::Keep);
        }
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
        let n: u32 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        match unit {
            "mo" => Ok(Retention::Months(n)),
            "d" => Ok(Retention::Days(n)),
            _ => Err(bad()),
        }
    }

    /// Rows older than this instant are pruned; `None` for [`Retention::Keep`].
    pub fn cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            Retention::Keep => None,
            Retention::Months(m) => now.checked_sub_months(Months::new(m)),
            Retention::Days(d) => now.checked_sub_signed(TimeDelta::days(i64::from(d))),
        }
    }
}

impl From<Retention> for String {
    fn from(r: Retention) -> String {
        match r {
            Retention::Keep => "keep".into(),
            Retention::Months(m) => format!("{m}mo"),
            Retention::Days(d) => format!("{d}d"),
        }
    }
}

/// How one table is pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TablePolicy {
    /// Table name.
    pub table: &'static str,
    /// The row's age is measured on this column (or expression over the row's columns).
    pub time_column: &'static str,
    /// Unique, non-null bigint key (archived tables).
    pub key_column: &'static str,
    /// Rows are written to the archive bucket before they are deleted.
    pub archive: bool,
    /// Only rows matching this SQL condition are ever pruned.
    pub only: Option<&'static str>,
    /// For tables whose rows can be corrected after they are written: the unique key that
    /// identifies a row across versions and the expression (over `{t}`, the row) that orders
    /// its versions. Restoring an archived row then replaces an older version of it and never
    /// a newer one, whatever order the archive objects are restored in.
    pub newest: Option<(&'static str, &'static str)>,
    /// The default retention.
    pub default: Retention,
    /// Why (shown in `telemetry prune --policy` and the README).
    pub why: &'static str,
}

const fn policy(
    table: &'static str,
    time_column: &'static str,
    key_column: &'static str,
    archive: bool,
    default: Retention,
    why: &'static str,
) -> TablePolicy {
    TablePolicy {
        table,
        time_column,
        key_column,
        archive,
        only: None,
        newest: None,
        default,
        why,
    }
}

/// Every table the pipeline writes, in pruning order (`s3_objects` before the `ingest_runs`
/// it references).
pub const POLICIES: &[TablePolicy] = &[
    TablePolicy {
        newest: Some(("(github_run_id, run_attempt)", "{t}.github_updated_at")),
        ..policy(
            "workflow_runs",
            // A run that never started (queued, then cancelled) has no started_at: it ages on
            // when GitHub created it, else when it was stored.
            "coalesce(started_at, github_created_at, created_at)",
            "id",
            true,
            Retention::Months(6),
            "seed 000: 6 months of CI history",
        )
    },
    TablePolicy {
        newest: Some((
            "(github_job_id, run_attempt)",
            "coalesce({t}.updated_at, {t}.created_at)",
        )),
        ..policy(
            "workflow_jobs",
            "coalesce(started_at, github_created_at, created_at)",
            "id",
            true,
            Retention::Months(6),
            "as workflow_runs: 6 months of CI history",
        )
    },
    TablePolicy {
        newest: Some(("(dedup_key)", "coalesce({t}.updated_at, {t}.created_at)")),
        ..policy(
            "llm_calls",
            "timestamp",
            "id",
            true,
            Retention::Months(6),
            "seed 000: 6 months of LLM calls",
        )
    },
    policy(
        "events",
        "timestamp",
        "event_id",
        true,
        Retention::Days(90),
        "seed 002: agent events, 90 days active",
    ),
    policy(
        "telemetry_events",
        "timestamp",
        "id",
        true,
        Retention::Days(90),
        "CLI events, like agent events",
    ),
    policy(
        "jobs",
        "ts_created",
        "id",
        true,
        Retention::Months(6),
        "job history with its stream output",
    ),
    TablePolicy {
        only: Some("delivered_at IS NOT NULL"),
        ..policy(
            "outbox_events",
            "ts",
            "event_id",
            false,
            Retention::Days(30),
            "the replay window; undelivered events are never pruned",
        )
    },
    policy(
        "s3_objects",
        "updated_at",
        "",
        false,
        Retention::Months(12),
        "re-delivery guard; rows stay idempotent without it",
    ),
    policy(
        "ingest_files",
        "read_at",
        "",
        false,
        Retention::Months(12),
        "file cursors; a file whose cursor is gone is read whole again, storing nothing twice",
    ),
    TablePolicy {
        only: Some(
            "NOT EXISTS (SELECT 1 FROM s3_objects s WHERE s.ingest_run_id = ingest_runs.id)",
        ),
        ..policy(
            "ingest_runs",
            "started_at",
            "id",
            false,
            Retention::Months(12),
            "ingestion reports",
        )
    },
    policy(
        "github_sync_runs",
        "started_at",
        "id",
        false,
        Retention::Months(12),
        "sync reports",
    ),
    policy(
        "prune_runs",
        "started_at",
        "id",
        false,
        Retention::Months(12),
        "prune reports",
    ),
    policy(
        "api_key_usage",
        "window_start",
        "",
        false,
        Retention::Days(2),
        "per-minute rate-limit counters",
    ),
    policy(
        "api_install_usage",
        "window_start",
        "",
        false,
        Retention::Days(2),
        "per-minute rate-limit counters of each install of a public token",
    ),
    policy(
        "briefings",
        "ended_at",
        "briefing_id",
        true,
        Retention::Keep,
        "seed 003: durable history",
    ),
    policy(
        "coverage_snapshots",
        "captured_at",
        "id",
        true,
        Retention::Keep,
        "one row per commit: small",
    ),
    policy(
        "sessions",
        "started_at",
        "",
        false,
        Retention::Keep,
        "seed 002: metadata is kept",
    ),
    policy(
        "tasks",
        "detected_at",
        "",
        false,
        Retention::Keep,
        "seed 002: metadata is kept",
    ),
    policy(
        "workers",
        "spawned_at",
        "",
        false,
        Retention::Keep,
        "seed 002: metadata is kept",
    ),
    policy(
        "github_sync_windows",
        "synced_at",
        "",
        false,
        Retention::Keep,
        "one row per repository and day; ETags of the sync period",
    ),
    policy(
        "prune_archives",
        "written_at",
        "",
        false,
        Retention::Keep,
        "where each archived month is",
    ),
    policy(
        "projects",
        "created_at",
        "",
        false,
        Retention::Keep,
        "configuration",
    ),
    policy(
        "api_keys",
        "created_at",
        "",
        false,
        Retention::Keep,
        "configuration (revoked keys stay for audit)",
    ),
    policy(
        "github_repositories",
        "added_at",
        "",
        false,
        Retention::Keep,
        "configuration",
    ),
    policy(
        "llm_budget",
        "updated_at",
        "",
        false,
        Retention::Keep,
        "configuration",
    ),
    policy(
        "model_prices",
        "updated_at",
        "",
        false,
        Retention::Keep,
        "configuration (the team's prices)",
    ),
];

/// The retention in force for each table: the defaults with overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPlan {
    /// (policy, retention) in pruning order.
    pub tables: Vec<(TablePolicy, Retention)>,
}

impl RetentionPlan {
    /// The defaults, overridden by `spec` (`table=6mo,table=90d,table=keep`, as in
    /// `PRUNE_RETENTION`). Only tables with a default retention other than `keep` can be
    /// changed: the others hold configuration or what pruning itself needs.
    pub fn parse(spec: &str) -> Result<RetentionPlan, String> {
        let mut tables: Vec<(TablePolicy, Retention)> =
            POLICIES.iter().map(|p| (*p, p.default)).collect();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("retention {item:?}: expected table=6mo|90d|keep"))?;
            let prunable: Vec<&str> = POLICIES
                .iter()
                .filter(|p| p.default != Retention::Keep)
                .map(|p| p.table)
                .collect();
            let entry = tables
                .iter_mut()
                .find(|(p, _)| p.table == name.trim() && p.default != Retention::Keep)
                .ok_or_else(|| {
                    format!(
                        "retention: {name:?} cannot be pruned; tables: {}",
                        prunable.join(", ")
                    )
                })?;
            entry.1 = Retention::parse(value)?;
        }
        Ok(RetentionPlan { tables })
    }
}

#[cfg(test)]
mod tests;
