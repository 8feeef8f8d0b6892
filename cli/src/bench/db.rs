//! The benchmark's own database, created fresh and dropped after.

use telemetry_shared::db::{connect_one, migrate, with_database};

/// Drops and recreates `name`, migrates it, and returns a client and its URL.
pub async fn fresh(
    admin_url: &str,
    name: &str,
) -> anyhow::Result<(tokio_postgres::Client, String)> {
    drop_db(admin_url, name).await?;
    let admin = connect_one(admin_url).await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let url = with_database(admin_url, name);
    let mut client = connect_one(&url).await?;
    migrate(&mut client).await?;
    Ok((client, url))
}

/// Drops `name` if it exists.
pub async fn drop_db(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = connect_one(admin_url).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    Ok(())
}

/// Rows per second.
pub fn rate(rows: u64, secs: f64) -> f64 {
    rows as f64 / secs
}
