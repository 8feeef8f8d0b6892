//! `telemetry ingest s3 s3://BUCKET/KEY`: one object through the s3-ingest code path.

use anyhow::{anyhow, bail};
use telemetry_shared::s3::{OutcomeStatus, S3Ingest, S3IngestConfig, S3ObjectStore};

use super::DbArgs;
use crate::output::write_json;
use telemetry_shared::db::Workload;

/// Splits `s3://bucket/key`.
pub(crate) fn parse_uri(uri: &str) -> anyhow::Result<(&str, &str)> {
    telemetry_shared::objects::parse_s3_uri(uri)
        .ok_or_else(|| anyhow!("expected s3://BUCKET/KEY, got {uri:?}"))
}

/// Ingests one object (AWS credentials, region and `AWS_ENDPOINT_URL` from the environment;
/// `S3_FORCE_PATH_STYLE=true` for S3-compatible servers).
pub async fn run(db: &DbArgs, uri: &str, json: bool, batch_rows: usize) -> anyhow::Result<()> {
    let (bucket, key) = parse_uri(uri)?;
    let pool = db.pool_for(Workload::Ingest).await?;
    let mut cfg = S3IngestConfig::from_env();
    cfg.batch_rows = batch_rows;
    let ingest = S3Ingest::new(
        pool,
        S3ObjectStore::from_config(&telemetry_shared::config::load_aws().await),
        cfg,
    );
    let outcome = ingest.ingest_key(bucket, key).await?;
    match &outcome.report {
        Some(r) => eprintln!(
            "{uri}: {}: {} rows read: {} inserted, {} updated, {} duplicates, {} rejected, {} skipped{}",
            outcome.status,
            r.rows_read,
            r.inserted,
            r.updated,
            r.duplicates,
            r.rejected,
            r.skipped,
            outcome.rejects_key.as_deref().map(|k| format!("; rejects in s3://{bucket}/{k}")).unwrap_or_default()
        ),
        None => eprintln!("{uri}: {}: {}", outcome.status, outcome.reason.as_deref().unwrap_or("")),
    }
    if json {
        write_json(&outcome)?;
    }
    if outcome.status == OutcomeStatus::Failed {
        bail!("{uri}: {}", outcome.reason.as_deref().unwrap_or("failed"));
    }
    Ok(())
}
