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
/// Runs without the pool's statement and lock timeouts (an index build may take longer),
/// which are restored afterwards for the connection's next user.
pub async fn migrate(
    client: &mut tokio_postgres::Client,
) -> Result<Vec<AppliedMigration>, DbError> {
    client
        .batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
        .await?;
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .run_async(client)
        .await
        .map_err(|e| DbError::Migration(e.to_string()));
    client
        .batch_execute("RESET statement_timeout; RESET lock_timeout")
        .await?;
    let report = report?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| AppliedMigration {
            version: m.version(),
            name: m.name().to_string(),
        })
        .collect())
}
