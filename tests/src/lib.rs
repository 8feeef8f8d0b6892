//! Test support: a fresh PostgreSQL database per test, migrated from empty, dropped after.
//!
//! The server comes from `DATABASE_URL` (what `scripts/test` exports), defaulting to the
//! local `postgres://postgres@127.0.0.1:5432/postgres`. Tests never share a database.

use std::sync::atomic::{AtomicU32, Ordering};

use telemetry_shared::db::{connect_one, make_pool, migrate, Pool};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The admin connection string tests create their databases with.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
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
        let pool = make_pool(&url, 4).expect("pool");
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

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_keeping_parameters() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
