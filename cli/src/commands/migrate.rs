//! `telemetry migrate`.

use telemetry_shared::db::{connect_one, migrate};

use super::DbArgs;

/// Applies pending migrations and says which.
pub async fn run(db: &DbArgs) -> anyhow::Result<()> {
    let mut client = connect_one(db.url()?).await?;
    let applied = migrate(&mut client).await?;
    if applied.is_empty() {
        eprintln!("database schema is up to date");
    }
    for m in applied {
        eprintln!("applied migration V{}__{}", m.version, m.name);
    }
    Ok(())
}
