//! Connection pool (deadpool) and single connections, both over rustls, each bounded in time:
//! connecting (the whole handshake, not only TCP) within `connect_timeout`, and every
//! statement within the job's statement timeout, so a server that accepts and never answers
//! costs a clear "timed out" error instead of a hang.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::flatten;
use super::{tls, ConnInfo, DbError};

/// The pool type used everywhere.
pub type Pool = deadpool_postgres::Pool;

/// `connect_timeout` when the connection string names none (libpq waits forever).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a pool is for, which bounds how long it may wait on the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// http-ingest: answers within API Gateway's 30 s and the function's 10 s.
    Request,
    /// File ingestion (s3-ingest, `telemetry ingest`): COPY batches of thousands of rows.
    Ingest,
    /// github-sync and the outbox relay: small statements between HTTP calls.
    Sync,
    /// prune: batched deletes that must not queue behind another transaction's locks.
    Prune,
    /// Reports and other CLI commands.
    Interactive,
}

impl Workload {
    /// Upper bound for one statement (the server cancels it with SQLSTATE 57014).
    pub fn statement_timeout(self) -> Duration {
        Duration::from_secs(match self {
            Workload::Request => 5,
            Workload::Ingest => 120,
            Workload::Sync => 30,
            // An archive part streams up to a million rows in one statement.
            Workload::Prune => 300,
            Workload::Interactive => 300,
        })
    }

    /// Upper bound for waiting on a row or table lock (SQLSTATE 55P03), when shorter than the
    /// statement timeout.
    pub fn lock_timeout(self) -> Option<Duration> {
        match self {
            Workload::Prune => Some(Duration::from_secs(5)),
            _ => None,
        }
    }

    /// Upper bound for connecting: `connect_timeout` from the URL (default 10 s), capped for
    /// requests so that a silent server still leaves time to answer 503.
    fn connect_timeout(self, from_url: Option<Duration>) -> Duration {
        let t = from_url.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        match self {
            Workload::Request => t.min(Duration::from_secs(3)),
            _ => t,
        }
    }
}

/// Builds a pool of at most `size` connections for `workload`. Connections are made lazily;
/// call [`Pool::get`] once to fail fast on a bad URL or unreachable server.
pub fn make_pool(database_url: &str, size: usize, workload: Workload) -> Result<Pool, DbError> {
    let mut info = ConnInfo::from_str(database_url)?;
    let connect = workload.connect_timeout(info.pg.get_connect_timeout().copied());
    info.pg.connect_timeout(connect);
    add_session_timeouts(&mut info.pg, workload);
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
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(connect))
        .wait_timeout(Some(connect))
        .recycle_timeout(Some(connect))
        .build()
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// Opens one connection outside any pool (migrations, COPY benchmarks), within
/// `connect_timeout` (default 10 s); the connection task is spawned on the current runtime.
/// No statement timeout: migrations may build indexes for longer.
pub async fn connect_one(database_url: &str) -> Result<tokio_postgres::Client, DbError> {
    let info = ConnInfo::from_str(database_url)?;
    let limit = info
        .pg
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let tls = MakeRustlsConnect::new(tls::client_config(&info)?);
    let (client, conn) = tokio::time::timeout(limit, info.pg.connect(tls))
        .await
        .map_err(|_| {
            DbError::Timeout(format!(
                "the database server did not complete the connection within {} s (connect_timeout)",
                limit.as_secs()
            ))
        })?
        .map_err(DbError::from_connect)?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!(error = %flatten(&e), "database connection closed");
        }
    });
    Ok(client)
}

/// Sets `statement_timeout` (and `lock_timeout`) for every session of the pool, unless the
/// connection string's `options` already sets them.
fn add_session_timeouts(pg: &mut tokio_postgres::Config, workload: Workload) {
    let mut options = pg.get_options().unwrap_or("").to_string();
    let mut set = |name: &str, value: Duration| {
        if !options.contains(name) {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str(&format!("-c {name}={}", value.as_millis()));
        }
    };
    set("statement_timeout", workload.statement_timeout());
    if let Some(lock) = workload.lock_timeout() {
        set("lock_timeout", lock);
    }
    pg.options(&options);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_timeouts_are_added_unless_the_url_sets_them() {
        let mut pg = tokio_postgres::Config::new();
        add_session_timeouts(&mut pg, Workload::Prune);
        assert_eq!(
            pg.get_options(),
            Some("-c statement_timeout=300000 -c lock_timeout=5000")
        );
        let mut pg = tokio_postgres::Config::new();
        pg.options("-c statement_timeout=1");
        add_session_timeouts(&mut pg, Workload::Request);
        assert_eq!(pg.get_options(), Some("-c statement_timeout=1"));
    }

    #[test]
    fn requests_cap_the_connect_timeout() {
        assert_eq!(
            Workload::Request.connect_timeout(None),
            Duration::from_secs(3)
        );
        assert_eq!(
            Workload::Ingest.connect_timeout(None),
            DEFAULT_CONNECT_TIMEOUT
        );
        assert_eq!(
            Workload::Ingest.connect_timeout(Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }
}
