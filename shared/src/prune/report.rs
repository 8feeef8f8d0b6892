//! The prune report: per table the cut-off and the rows archived, deleted and kept; logged,
//! stored in `prune_runs` (with its `prune_completed` outbox event) and printed by the CLI.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::policy::Retention;
use crate::db::DbError;
use crate::outbox::{append, BroadcastLevel, EventKind, NewEvent};

/// One table's part of a prune.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TableReport {
    /// Table.
    pub table: String,
    /// Retention in force.
    pub retention: Retention,
    /// Rows older than this are pruned (`None`: kept forever).
    pub cutoff: Option<DateTime<Utc>>,
    /// Rows written to archive objects (a dry run: rows that would be).
    pub archived: u64,
    /// Rows deleted (a dry run: rows that would be).
    pub deleted: u64,
    /// Rows left in the table.
    pub kept: u64,
    /// Archive objects written (`s3://bucket/key`).
    pub objects: Vec<String>,
    /// Rows older than the cut-off still there (the deadline came first, or an error).
    pub remaining: u64,
    /// Why this table stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one prune did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PruneReport {
    /// `prune_runs.id` (none for a dry run).
    pub id: Option<i64>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Nothing was changed.
    pub dry_run: bool,
    /// Every table reached its cut-off; false when the deadline or an error stopped it
    /// (the next prune resumes).
    pub complete: bool,
    /// Per table, in pruning order.
    pub tables: Vec<TableReport>,
    /// Another prune held the lock: nothing was done.
    pub busy: bool,
}

impl PruneReport {
    /// Records the prune's custom metric: the rows it deleted.
    pub fn record_metrics(&self) {
        let deleted: u64 = self.tables.iter().map(|t| t.deleted).sum();
        metrics::counter!(crate::emf::name::ROWS_PRUNED).increment(deleted);
    }

    /// Errors of the tables that stopped on one.
    pub fn errors(&self) -> Vec<String> {
        self.tables
            .iter()
            .filter_map(|t| t.error.as_ref().map(|e| format!("{}: {e}", t.table)))
            .collect()
    }
}

/// Stores `report` in `prune_runs` and its `prune_completed` event, in one transaction;
/// returns the row id.
pub async fn record_report(
    client: &mut tokio_postgres::Client,
    report: &PruneReport,
) -> Result<i64, DbError> {
    let tables = serde_json::to_value(&report.tables).unwrap_or_default();
    let errors = report.errors();
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    let tx = client.transaction().await?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO prune_runs (started_at, dry_run, complete, tables, error)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &report.started_at,
                &report.dry_run,
                &report.complete,
                &tables,
                &error,
            ],
        )
        .await?
        .get(0);
    let summary: Vec<_> = report
        .tables
        .iter()
        .filter(|t| t.cutoff.is_some())
        .map(|t| {
            json!({"table": t.table, "cutoff": t.cutoff, "archived": t.archived,
                        "deleted": t.deleted, "kept": t.kept, "remaining": t.remaining})
        })
        .collect();
    let event = NewEvent {
        kind: EventKind::PruneCompleted,
        project_id: None,
        broadcast_level: Some(if error.is_some() {
            BroadcastLevel::Alert
        } else {
            BroadcastLevel::Silent
        }),
        payload: json!({"prune_run_id": id, "complete": report.complete, "error": error,
                        "tables": summary}),
        dedup_key: Some(format!("prune_run:{id}")),
    };
    append(&tx, &event).await?;
    tx.commit().await?;
    Ok(id)
}
