//! `s3_objects`: which object versions were ingested, so a re-delivered event is a no-op.

use tokio_postgres::GenericClient;

use super::ObjectRef;
use crate::db::DbError;

/// Whether to process an object version.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Claim {
    /// First delivery, or an earlier attempt failed: process it (attempt number).
    Proceed(i32),
    /// Already ingested or rejected for good.
    Done(String),
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
             VALUES ($1, $2, $3, $4, $5, 'processing')
             ON CONFLICT (bucket, key, etag, version_id) DO UPDATE
                 SET attempts = s3_objects.attempts + 1, status = 'processing', error = NULL,
                     updated_at = now()
                 WHERE s3_objects.status NOT IN ('succeeded', 'rejected')
             RETURNING attempts",
            &[&obj.bucket, &obj.key, &etag, &version, &obj.size],
        )
        .await?;
    if let Some(r) = row {
        return Ok(Claim::Proceed(r.get(0)));
    }
    let status: String = client
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
    pub status: &'a str,
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
