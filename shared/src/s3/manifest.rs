//! `s3_objects`: which object versions were ingested, so a re-delivered event is a no-op.

use tokio_postgres::GenericClient;

use super::ObjectRef;
use crate::db::DbError;

crate::text_enum! {
    /// `s3_objects.status`: where an object version's processing stands.
    pub enum ObjectStatus {
        /// Claimed by an invocation now (or by one that died: the next claims it again).
        Processing => "processing",
        /// Every record accounted for: re-deliveries are no-ops.
        Succeeded => "succeeded",
        /// Unreadable for good (wrong type, no header): never retried.
        Rejected => "rejected",
        /// A transient failure: the retry processes it again.
        Failed => "failed",
    }
}

/// Whether to process an object version.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Claim {
    /// First delivery, or an earlier attempt failed: process it (attempt number).
    Proceed(i32),
    /// Already ingested or rejected for good.
    Done(ObjectStatus),
}

/// Records that `obj` (version `etag`) is being processed, unless it already was.
pub(super) async fn claim(
    client: &impl GenericClient,
    obj: &ObjectRef,
    etag: &str,
) -> Result<Claim, DbError> {
    let version = obj.version_id.as_deref().unwrap_or("");
    let row = client
        .query_opt(
            "INSERT INTO s3_objects (bucket, key, etag, version_id, size_bytes, status)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (bucket, key, etag, version_id) DO UPDATE
                 SET attempts = s3_objects.attempts + 1, status = $6, error = NULL,
                     updated_at = now()
                 WHERE s3_objects.status NOT IN ($7, $8)
             RETURNING attempts",
            &[
                &obj.bucket,
                &obj.key,
                &etag,
                &version,
                &obj.size,
                &ObjectStatus::Processing,
                &ObjectStatus::Succeeded,
                &ObjectStatus::Rejected,
            ],
        )
        .await?;
    if let Some(r) = row {
        return Ok(Claim::Proceed(r.get(0)));
    }
    let status: ObjectStatus = client
        .query_one(
            "SELECT status FROM s3_objects WHERE bucket = $1 AND key = $2 AND etag = $3 AND version_id = $4",
            &[&obj.bucket, &obj.key, &etag, &version],
        )
        .await?
        .get(0);
    Ok(Claim::Done(status))
}

/// How processing ended.
pub(super) struct Finish<'a> {
    pub status: ObjectStatus,
    pub ingest_run_id: Option<i64>,
    pub rejects_key: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// Stores the outcome of processing `obj` version `etag`.
pub(super) async fn finish(
    client: &impl GenericClient,
    obj: &ObjectRef,
    etag: &str,
    f: Finish<'_>,
) -> Result<(), DbError> {
    let version = obj.version_id.as_deref().unwrap_or("");
    client
        .execute(
            "INSERT INTO s3_objects (bucket, key, etag, version_id, size_bytes, status, ingest_run_id, rejects_key, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (bucket, key, etag, version_id) DO UPDATE
                 SET status = EXCLUDED.status, ingest_run_id = EXCLUDED.ingest_run_id,
                     rejects_key = EXCLUDED.rejects_key, error = EXCLUDED.error, updated_at = now()",
            &[&obj.bucket, &obj.key, &etag, &version, &obj.size, &f.status, &f.ingest_run_id, &f.rejects_key, &f.error],
        )
        .await?;
    Ok(())
}
