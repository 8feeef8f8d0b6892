//! One prune: for each table past its retention, archive (when the table is archived) and
//! delete, oldest month first, in bounded batches that never block ingestion; stops before
//! the deadline and resumes at the next run.
//!
//! Batched deletes, not time partitions: a partitioned table's unique keys must include the
//! partition column, and the keys that make re-delivery idempotent (`dedup_key`,
//! `(github_run_id, run_attempt)`, `event_key`, `(project_id, insert_id)`) do not contain a
//! time. Adding one would let the same record stored with two timestamps become two rows.

use chrono::{DateTime, Datelike, Months, TimeZone, Utc};
use tokio::time::Instant;
use tokio_postgres::GenericClient;

use super::archive::{object_key, write_part};
use super::config::PruneConfig;
use super::policy::TablePolicy;
use super::report::{record_report, PruneReport, TableReport};
use crate::db::{DbError, Pool};
use crate::objects::ObjectStore;

/// Held by the running prune (session-level advisory lock).
const PRUNE_LOCK: i64 = 0x7e1e_6e77_0002;

/// When to run and what to do.
#[derive(Debug, Clone, Copy)]
pub struct PruneRequest {
    /// Ages are measured from this instant.
    pub now: DateTime<Utc>,
    /// Stop before this (the Lambda deadline); `None` runs to the end.
    pub deadline: Option<Instant>,
    /// Count only; change nothing.
    pub dry_run: bool,
}

/// Prunes every table of `cfg`'s plan; records the report unless `dry_run`.
pub async fn prune(
    pool: &Pool,
    store: &impl ObjectStore,
    cfg: &PruneConfig,
    req: PruneRequest,
) -> Result<PruneReport, DbError> {
    let mut client = pool.get().await?;
    let mut report = PruneReport {
        id: None,
        started_at: Utc::now(),
        dry_run: req.dry_run,
        complete: true,
        tables: Vec::new(),
        busy: false,
    };
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&PRUNE_LOCK])
        .await?
        .get(0);
    if !locked {
        report.busy = true;
        report.complete = false;
        return Ok(report);
    }
    let result = prune_tables(&mut client, store, cfg, req, &mut report).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&PRUNE_LOCK])
        .await;
    result?;
    unlocked?;
    if !req.dry_run {
        report.id = Some(record_report(&mut client, &report).await?);
    }
    Ok(report)
}

async fn prune_tables(
    client: &mut tokio_postgres::Client,
    store: &impl ObjectStore,
    cfg: &PruneConfig,
    req: PruneRequest,
    report: &mut PruneReport,
) -> Result<(), DbError> {
    // Starting a new part needs room: stop a tenth of the time left (at most 30 s) early.
    // An upload may run into that margin, but not past half of it: the rest is for
    // rolling back and writing the report.
    let (stop_at, upload_by) = match req.deadline {
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            let margin = (left / 10).min(std::time::Duration::from_secs(30));
            (Some(d - margin), Some(d - margin / 2))
        }
        None => (None, None),
    };
    for (policy, retention) in &cfg.plan.tables {
        let cutoff = retention.cutoff(req.now);
        let mut t = TableReport {
            table: policy.table.to_string(),
            retention: *retention,
            cutoff,
            archived: 0,
            deleted: 0,
            kept: 0,
            objects: Vec::new(),
            remaining: 0,
            error: None,
        };
        if let Some(cutoff) = cutoff {
            if req.dry_run {
                let older = count_older(&*client, policy, cutoff).await?;
                t.archived = if policy.archive { older } else { 0 };
                t.deleted = older;
            } else if policy.archive {
                let by = Bounds { stop_at, upload_by };
                archive_and_delete(client, store, cfg, policy, cutoff, by, &mut t).await?;
            } else {
                delete_older(&*client, cfg, policy, cutoff, stop_at, &mut t).await?;
            }
            if !req.dry_run {
                t.remaining = count_older(&*client, policy, cutoff).await?;
            }
        }
        let total: i64 = client
            .query_one(&format!("SELECT count(*) FROM {}", policy.table), &[])
            .await?
            .get(0);
        t.kept = (total as u64).saturating_sub(if req.dry_run { t.deleted } else { 0 });
        if t.remaining > 0 || t.error.is_some() {
            report.complete = false;
        }
        report.tables.push(t);
    }
    Ok(())
}

fn past(at: Option<Instant>) -> bool {
    at.is_some_and(|d| Instant::now() >= d)
}

fn condition(policy: &TablePolicy) -> String {
    match policy.only {
        Some(c) => format!("{} < $1 AND {c}", policy.time_column),
        None => format!("{} < $1", policy.time_column),
    }
}

async fn count_older(
    client: &impl GenericClient,
    policy: &TablePolicy,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbError> {
    let sql = format!(
        "SELECT count(*) FROM {} WHERE {}",
        policy.table,
        condition(policy)
    );
    let n: i64 = client.query_one(&sql, &[&cutoff]).await?.get(0);
    Ok(n as u64)
}

/// Tables that are not archived: delete older rows, a batch per statement.
async fn delete_older(
    client: &impl GenericClient,
    cfg: &PruneConfig,
    policy: &TablePolicy,
    cutoff: DateTime<Utc>,
    stop_at: Option<Instant>,
    t: &mut TableReport,
) -> Result<(), DbError> {
    let _span = crate::xray::database(format_args!("delete {}", policy.table));
    let sql = format!(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM {table} WHERE {cond} LIMIT $2 FOR UPDATE SKIP LOCKED))",
        table = policy.table,
        cond = condition(policy),
    );
    while !past(stop_at) {
        let n = client.execute(&sql, &[&cutoff, &cfg.delete_batch]).await?;
        t.deleted += n;
        if n < cfg.delete_batch as u64 {
            break;
        }
    }
    Ok(())
}

fn month_of(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(at)
}

/// When to stop starting parts, and when an upload in progress must give up.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    stop_at: Option<Instant>,
    upload_by: Option<Instant>,
}

/// Archived tables: oldest month first, one transaction per part: lock and write the rows
/// (skipping rows another transaction holds), upload the part and confirm it is stored,
/// record it, delete exactly those rows, commit. The rows cannot change between being
/// archived and deleted, so every archived row is in exactly one object, with its last
/// values; an upload that fails or does not finish in time rolls everything back.
async fn archive_and_delete(
    client: &mut tokio_postgres::Client,
    store: &impl ObjectStore,
    cfg: &PruneConfig,
    policy: &TablePolicy,
    cutoff: DateTime<Utc>,
    by: Bounds,
    t: &mut TableReport,
) -> Result<(), DbError> {
    let Some(bucket) = cfg.archive_bucket.as_deref() else {
        if count_older(&*client, policy, cutoff).await? > 0 {
            t.error =
                Some("ARCHIVE_BUCKET is not set: rows are never deleted without an archive".into());
        }
        return Ok(());
    };
    let time = policy.time_column;
    let oldest_sql = format!(
        "SELECT min({time}) FROM {} WHERE {}",
        policy.table,
        condition(policy)
    );
    let delete_sql = format!(
        "DELETE FROM {table} t USING UNNEST($1::int8[], $2::int8[]) AS a(k, x)
         WHERE t.{key} = a.k AND t.xmin::text::int8 = a.x",
        table = policy.table,
        key = policy.key_column,
    );
    while !past(by.stop_at) {
        let oldest: Option<DateTime<Utc>> = client.query_one(&oldest_sql, &[&cutoff]).await?.get(0);
        let Some(oldest) = oldest else { break };
        let month = month_of(oldest);
        let to = month
            .checked_add_months(Months::new(1))
            .unwrap_or(cutoff)
            .min(cutoff);
        let tx = client.transaction().await?;
        let part_no: i32 = tx
            .query_one(
                "SELECT coalesce(max(part), 0) + 1 FROM prune_archives
                 WHERE table_name = $1 AND month = $2::timestamptz::date",
                &[&policy.table, &month],
            )
            .await?
            .get(0);
        let part = match write_part(&tx, policy, month, to, cfg.part_rows).await {
            Ok(p) => p,
            Err(super::archive::ArchiveError::Db(e)) => return Err(e),
            Err(e) => {
                t.error = Some(e.to_string());
                break;
            }
        };
        if part.rows == 0 {
            // Rows of this month exist (min() found one) but every one is locked.
            t.error = Some(format!(
                "rows of {} older than the cut-off are locked by another transaction: skipped, left for the next prune",
                month.format("%Y-%m")
            ));
            break;
        }
        let key = object_key(&cfg.archive_prefix, policy.table, month, part_no);
        let upload = async {
            let _span = crate::xray::aws("S3", "PutObject");
            store
                .put_file(bucket, &key, &part.path, "application/gzip")
                .await?;
            store.etag(bucket, &key).await
        };
        let stored = match by.upload_by {
            Some(d) => tokio::time::timeout_at(d, upload).await,
            None => Ok(upload.await),
        };
        match stored {
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None)) => {
                t.error = Some(format!("s3://{bucket}/{key} was not found after upload"));
                break;
            }
            Ok(Err(e)) => {
                t.error = Some(format!(
                    "archive s3://{bucket}/{key} not written, nothing deleted: {e}"
                ));
                break;
            }
            Err(_) => {
                t.error = Some(format!(
                    "archive s3://{bucket}/{key} not confirmed before the deadline, nothing deleted"
                ));
                break;
            }
        }
        tx.execute(
            "INSERT INTO prune_archives (table_name, month, part, bucket, key, rows, bytes)
             VALUES ($1, $2::timestamptz::date, $3, $4, $5, $6, $7)",
            &[
                &policy.table,
                &month,
                &part_no,
                &bucket,
                &key,
                &(part.rows as i64),
                &(part.bytes as i64),
            ],
        )
        .await?;
        let span = crate::xray::database(format_args!("delete archived {}", policy.table));
        let mut deleted = 0;
        for chunk in part.versions.chunks(cfg.delete_batch.max(1) as usize) {
            let keys: Vec<i64> = chunk.iter().map(|v| v.0).collect();
            let xmins: Vec<i64> = chunk.iter().map(|v| v.1).collect();
            deleted += tx.execute(&delete_sql, &[&keys, &xmins]).await?;
        }
        tx.commit().await?;
        drop(span);
        t.archived += part.rows;
        t.deleted += deleted;
        t.objects.push(format!("s3://{bucket}/{key}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_at_midnight_utc() {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 17, 13, 5, 0)
            .single()
            .expect("valid");
        assert_eq!(
            month_of(at),
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
                .single()
                .expect("valid")
        );
    }
}
