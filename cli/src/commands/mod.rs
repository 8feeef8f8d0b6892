//! One module per subcommand, plus the database plumbing they share.

pub mod fleet;
pub mod github;
pub mod ingest;
pub mod ingest_all;
pub mod ingest_many;
pub mod keys;
pub mod migrate;
pub mod prices;
pub mod prune;
pub mod push;
pub mod query;
pub mod report;
pub mod s3;
pub mod send;
pub mod serve;
pub mod stats;
pub mod worker;

use anyhow::{anyhow, Context};
use telemetry_shared::db::{make_pool, DbError, Pool, Workload};

/// Database settings from the command line / environment.
pub struct DbArgs {
    /// `--database-url` or `DATABASE_URL`.
    pub url: Option<String>,
}

impl DbArgs {
    /// The connection string, or a clear error naming what to set.
    pub fn url(&self) -> anyhow::Result<&str> {
        self.url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| anyhow!("DATABASE_URL is not set (or pass --database-url)"))
    }

    /// A small pool for reports and other short commands; see [`DbArgs::pool_for`].
    pub async fn pool(&self) -> anyhow::Result<Pool> {
        self.pool_for(Workload::Interactive).await
    }

    /// A small pool bounded in time for `workload`, checked by taking one connection so
    /// failures (timed out, no such database, login refused) surface here.
    pub async fn pool_for(&self, workload: Workload) -> anyhow::Result<Pool> {
        let pool = make_pool(self.url()?, 2, workload)?;
        let _probe = pool
            .get()
            .await
            .map_err(DbError::from)
            .context("cannot reach the database")?;
        Ok(pool)
    }
}

/// Adds a hint when the schema is missing.
pub fn hint_migrate(e: DbError) -> anyhow::Error {
    let missing_table = matches!(&e, DbError::Query(q)
        if q.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE));
    if missing_table {
        anyhow!("{e} (the schema is missing: run `telemetry migrate` first)")
    } else {
        e.into()
    }
}
