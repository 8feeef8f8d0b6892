//! Connection pool (deadpool) and single connections, both over rustls.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::flatten;
use super::{tls, ConnInfo, DbError};

/// The pool type used everywhere.
pub type Pool = deadpool_postgres::Pool;

/// Builds a pool of at most `size` connections. Connections are made lazily; call
/// [`Pool::get`] once to fail fast on a bad URL or unreachable server.
pub fn make_pool(database_url: &str, size: usize) -> Result<Pool, DbError> {
    let info = ConnInfo::from_str(database_url)?;
    let tls = MakeRustlsConnect::new(tls::client_config(&info)?);
    let manager = Manager::from_config(
        info.pg,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// Opens one connection outside any pool (migrations, COPY benchmarks); the connection
/// task is spawned on the current runtime.
pub async fn connect_one(database_url: &str) -> Result<tokio_postgres::Client, DbError> {
    let info = ConnInfo::from_str(database_url)?;
    let tls = MakeRustlsConnect::new(tls::client_config(&info)?);
    let (client, conn) = info.pg.connect(tls).await.map_err(DbError::from_connect)?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!(error = %flatten(&e), "database connection closed");
        }
    });
    Ok(client)
}
