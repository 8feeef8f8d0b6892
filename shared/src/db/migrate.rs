//! Embedded SQL migrations from the workspace's `migrations/` folder, applied by refinery.

use super::DbError;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// A migration that this run applied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AppliedMigration {
    /// Version number (`V<n>__`).
    pub version: i32,
    /// Name after the version.
    pub name: String,
}

/// Applies every pending migration; returns those applied now (empty when up to date).
pub async fn migrate(
    client: &mut tokio_postgres::Client,
) -> Result<Vec<AppliedMigration>, DbError> {
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .run_async(client)
        .await
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| AppliedMigration {
            version: m.version(),
            name: m.name().to_string(),
        })
        .collect())
}
