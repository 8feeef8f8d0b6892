//! Test support: a fresh PostgreSQL database per test, migrated from empty, dropped after.
//!
//! The server comes from `DATABASE_URL` (what `scripts/test` exports), defaulting to the
//! local `postgres://postgres@127.0.0.1:5432/postgres`. Tests never share a database.

pub mod apigw;
pub mod bus;
pub mod fake_pg;
pub mod github;
pub mod http_api;
pub mod lambda;
mod moto;
pub mod openapi;
pub mod otlp;
pub mod prune;
pub mod queue;
pub mod s3;

use std::sync::atomic::{AtomicU32, Ordering};

pub use moto::Moto;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A loopback port nothing listens on (at the moment of asking).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on loopback `port`; panics naming `what`.
pub fn wait_for_port(port: u16, timeout: Duration, what: &str) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub use telemetry_shared::db::with_database;
use telemetry_shared::db::{connect_one, make_pool, migrate, Pool, Workload};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The admin connection string tests create their databases with.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

/// A migrated, empty database owned by one test.
pub struct TestDb {
    /// Its name.
    pub name: String,
    /// Connection string to it.
    pub url: String,
    /// A pool on it.
    pub pool: Pool,
}

impl TestDb {
    /// Creates and migrates a database named after `label` plus a unique suffix.
    pub async fn new(label: &str) -> TestDb {
        let name = format!(
            "t_{}_{}_{}",
            label
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(30)
                .collect::<String>(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
        .to_lowercase();
        let admin = connect_one(&admin_url())
            .await
            .expect("connect to the test PostgreSQL server (is DATABASE_URL right?)");
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin
                .batch_execute(&sql)
                .await
                .expect("create test database");
        }
        let url = with_database(&admin_url(), &name);
        let mut client = connect_one(&url).await.expect("connect to test database");
        migrate(&mut client)
            .await
            .expect("migrations apply to an empty database");
        let pool = make_pool(&url, 4, Workload::Interactive).expect("pool");
        TestDb { name, url, pool }
    }

    /// One pooled client.
    pub async fn client(&self) -> deadpool_postgres::Object {
        self.pool.get().await.expect("pooled connection")
    }

    /// `SELECT count(*)` of a table.
    pub async fn count(&self, table: &str) -> i64 {
        self.client()
            .await
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count")
            .get(0)
    }

    /// The status of the latest `ingest_runs` row (`succeeded`, `failed`, `running`).
    pub async fn last_ingest_status(&self) -> String {
        self.client()
            .await
            .query_one(
                "SELECT status FROM ingest_runs ORDER BY id DESC LIMIT 1",
                &[],
            )
            .await
            .expect("an ingest run")
            .get(0)
    }

    /// Closes the pool and drops the database.
    pub async fn drop_db(self) {
        self.pool.close();
        if let Ok(admin) = connect_one(&admin_url()).await {
            let _ = admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .await;
        }
    }
}
