//! `ingest_runs` bookkeeping: one row per ingestion of one source, with its counts.

use tokio_postgres::GenericClient;

use super::IngestReport;
use crate::db::DbError;
use crate::outbox::{BroadcastLevel, EventKind};

/// How an ingestion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestRunOutcome {
    /// Every record was accounted for.
    Succeeded,
    /// Stopped early; the counts cover what was committed.
    Failed,
}

/// How long a run may show no progress before it counts as killed: longer than any batch
/// may take (the ingest statement timeout is 2 minutes, a Lambda lives 15 at most).
pub const STALE_AFTER_MINUTES: i32 = 20;

/// Records the start of an ingestion; returns its id. Runs left `running` with no progress
/// for [`STALE_AFTER_MINUTES`] are first marked failed (abandoned), keeping their counts.
pub async fn start_ingest_run(
    client: &impl GenericClient,
    source_kind: &str,
    source_uri: &str,
    source_version: Option<&str>,
) -> Result<i64, DbError> {
    mark_abandoned_runs(client).await?;
    let row = client
        .query_one(
            "INSERT INTO ingest_runs (source_kind, source_uri, source_version)
             VALUES ($1, $2, $3) RETURNING id",
            &[&source_kind, &source_uri, &source_version],
        )
        .await?;
    Ok(row.get(0))
}

/// Marks runs with no progress for [`STALE_AFTER_MINUTES`] as failed; returns how many.
pub async fn mark_abandoned_runs(client: &impl GenericClient) -> Result<u64, DbError> {
    let n = client
        .execute(
            "UPDATE ingest_runs SET status = 'failed', finished_at = now(),
                 error = 'abandoned: no progress since '
                     || to_char(coalesce(heartbeat_at, started_at) AT TIME ZONE 'UTC',
                                'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                     || ' (the process was stopped or lost the database); the counts are '
                     || 'what its committed batches stored, and re-running the source is safe'
             WHERE status = 'running'
               AND coalesce(heartbeat_at, started_at) < now() - make_interval(mins => $1)",
            &[&STALE_AFTER_MINUTES],
        )
        .await?;
    Ok(n)
}

/// Records the counts committed so far by run `id` (after each batch): a run that is
/// killed keeps a true account of what it stored, and shows it was alive.
pub async fn record_progress(
    client: &impl GenericClient,
    id: i64,
    report: &IngestReport,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE ingest_runs SET heartbeat_at = now(), rows_read = $2, inserted = $3,
                 updated = $4, duplicates = $5, rejected = $6, skipped = $7
             WHERE id = $1 AND status = 'running'",
            &[
                &id,
                &(report.rows_read as i64),
                &(report.inserted as i64),
                &(report.updated as i64),
                &(report.duplicates as i64),
                &(report.rejected as i64),
                &(report.skipped as i64),
            ],
        )
        .await?;
    Ok(())
}

/// Stores the final counts (and the first rejects) of run `id`, and in the same statement
/// its `file_ingested` outbox event (with the counts and the first 10 rejects).
pub async fn finish_ingest_run(
    client: &impl GenericClient,
    id: i64,
    report: &IngestReport,
    outcome: IngestRunOutcome,
    error: Option<&str>,
) -> Result<(), DbError> {
    let status = match outcome {
        IngestRunOutcome::Succeeded => "succeeded",
        IngestRunOutcome::Failed => "failed",
    };
    let rejects = serde_json::to_value(&report.rejects).unwrap_or_default();
    client
        .execute(
            "WITH r AS (
                UPDATE ingest_runs SET status = $2, finished_at = now(), rows_read = $3,
                    inserted = $4, updated = $5, duplicates = $6, rejected = $7,
                    cost_usd = $8::float8::numeric(18, 8), rejects = $9, error = $10, skipped = $11
                WHERE id = $1 RETURNING *)
             INSERT INTO outbox_events (type, source, broadcast_level, payload, dedup_key)
             SELECT $12::text, $13::text,
                 CASE WHEN r.status = 'failed' OR r.rejected > 0 THEN $14::text ELSE $15::text END,
                 jsonb_build_object('ingest_run_id', r.id, 'source_kind', r.source_kind,
                     'uri', r.source_uri, 'version', r.source_version, 'status', r.status,
                     'rows_read', r.rows_read, 'inserted', r.inserted, 'updated', r.updated,
                     'duplicates', r.duplicates, 'rejected', r.rejected, 'skipped', r.skipped,
                     'cost_usd', r.cost_usd, 'error', r.error,
                     'rejects', (SELECT coalesce(jsonb_agg(x), '[]'::jsonb) FROM
                         (SELECT jsonb_build_object('line', j->'line', 'reason', j->'reason') AS x
                          FROM jsonb_array_elements(r.rejects) j LIMIT 10) s)),
                 'ingest_run:' || r.id
             FROM r ON CONFLICT (dedup_key) DO NOTHING",
            &[
                &id,
                &status,
                &(report.rows_read as i64),
                &(report.inserted as i64),
                &(report.updated as i64),
                &(report.duplicates as i64),
                &(report.rejected as i64),
                &report.cost_usd,
                &rejects,
                &error,
                &(report.skipped as i64),
                &EventKind::FileIngested,
                &EventKind::FileIngested.source(),
                &BroadcastLevel::Mention,
                &BroadcastLevel::Silent,
            ],
        )
        .await?;
    Ok(())
}
