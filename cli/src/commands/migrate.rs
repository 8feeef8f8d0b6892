//! `telemetry migrate [--create-database]`.

use anyhow::Context;
use telemetry_shared::db::{connect_one, migrate, with_database, ConnInfo};

use super::DbArgs;

/// Applies pending migrations and says which; with `create`, first creates the database the
/// URL names when it does not exist (connecting to `postgres` on the same server).
pub async fn run(db: &DbArgs, create: bool) -> anyhow::Result<()> {
    let url = db.url()?;
    if create {
        let info: ConnInfo = url.parse()?;
        let name = info
            .pg
            .get_dbname()
            .context("the URL names no database")?
            .to_string();
        let admin = connect_one(&with_database(url, "postgres")).await?;
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await?
            .is_some();
        if !exists {
            admin
                .batch_execute(&format!(
                    "CREATE DATABASE \"{}\"",
                    name.replace('"', "\"\"")
                ))
                .await?;
            eprintln!("created database {name}");
        }
    }
    let mut client = connect_one(url).await?;
    let applied = migrate(&mut client).await?;
    if applied.is_empty() {
        eprintln!("database schema is up to date");
    }
    for m in applied {
        eprintln!("applied migration V{}__{}", m.version, m.name);
    }
    Ok(())
}
