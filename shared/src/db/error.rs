//! Errors at the database boundary, classified retryable (try again later) or not.

use crate::failure::Retryable;

/// A database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The connection string could not be understood.
    #[error("invalid database connection string: {0}")]
    BadConnectionString(String),
    /// TLS could not be set up (bad root certificate file, ...).
    #[error("database TLS setup failed: {0}")]
    Tls(String),
    /// No connection could be made or the pool gave none (refused, starting up, shutting
    /// down, too many connections): transient.
    #[error("cannot connect to the database: {0}")]
    Unavailable(String),
    /// The server did not answer within the budget (`connect_timeout`, the pool's wait, a
    /// statement timeout): transient.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The database named in the connection string does not exist.
    #[error("database {0:?} does not exist; create it with `telemetry migrate --create-database`")]
    NoSuchDatabase(String),
    /// The server refused the login (unknown role, wrong password, not allowed by pg_hba).
    #[error("the database refused the login: {0}")]
    LoginRefused(String),
    /// A statement failed.
    #[error("database error: {}", describe(.0))]
    Query(#[from] tokio_postgres::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl Retryable for DbError {
    /// True when retrying later may succeed (connection lost, server shutting down,
    /// serialization failure); false for mistakes that will fail again.
    fn is_retryable(&self) -> bool {
        match self {
            DbError::Unavailable(_) | DbError::Timeout(_) => true,
            DbError::Query(e) => match e.code() {
                // Class 08 connection exceptions, 40 transaction rollback, 53 resources,
                // 57P0x operator intervention (shutdown, crash recovery).
                Some(code) => {
                    let c = code.code();
                    c.starts_with("08")
                        || c.starts_with("40")
                        || c.starts_with("53")
                        || c.starts_with("57P")
                        || c == STATEMENT_TIMEOUT
                        || c == LOCK_TIMEOUT
                }
                // No SQLSTATE: the connection itself broke.
                None => e.is_closed() || e.as_db_error().is_none(),
            },
            _ => false,
        }
    }

    fn boundary(&self) -> &'static str {
        "Database"
    }
}

impl DbError {
    /// True when the server refused a value (SQLSTATE class 22 data exception or 23
    /// integrity constraint violation): the fault of one record, not of the batch.
    pub fn is_data_error(&self) -> bool {
        match self {
            DbError::Query(e) => e
                .code()
                .is_some_and(|c| c.code().starts_with("22") || c.code().starts_with("23")),
            _ => false,
        }
    }

    /// True when the server rolled the transaction back because it collided with another
    /// (SQLSTATE 40P01 deadlock, 40001 serialization failure): nothing of it was kept, and
    /// the same transaction run again normally succeeds.
    pub fn is_collision(&self) -> bool {
        match self {
            DbError::Query(e) => e
                .code()
                .is_some_and(|c| matches!(c.code(), "40P01" | "40001")),
            _ => false,
        }
    }

    /// The server's own words for a statement's failure, else the whole error.
    pub fn server_message(&self) -> String {
        match self {
            DbError::Query(e) => describe(e),
            other => other.to_string(),
        }
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::{PoolError, TimeoutType};
        match e {
            PoolError::Backend(e) => DbError::from_connect(e),
            PoolError::Timeout(TimeoutType::Wait) => {
                DbError::Timeout("no pooled connection became free in time".into())
            }
            PoolError::Timeout(_) => DbError::Timeout(
                "the database server did not complete the connection within connect_timeout".into(),
            ),
            other => DbError::Unavailable(other.to_string()),
        }
    }
}

impl DbError {
    /// Wraps an error from establishing a connection: the server's SQLSTATE tells a missing
    /// database or role (fails again) from a server starting up, shutting down or full
    /// (transient).
    pub(crate) fn from_connect(e: tokio_postgres::Error) -> Self {
        let Some(db) = e.as_db_error() else {
            let text = flatten(&e);
            return if text.contains("timeout") || text.contains("timed out") {
                DbError::Timeout(text)
            } else {
                DbError::Unavailable(text)
            };
        };
        let message = db.message().to_string();
        match db.code().code() {
            // invalid_catalog_name: the message is `database "x" does not exist`.
            "3D000" => DbError::NoSuchDatabase(
                message
                    .split('"')
                    .nth(1)
                    .map_or_else(|| message.clone(), str::to_string),
            ),
            // invalid_authorization_specification (unknown role, pg_hba) and
            // invalid_password.
            "28000" | "28P01" => DbError::LoginRefused(message),
            code if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") => {
                DbError::Unavailable(format!("{message} (SQLSTATE {code})"))
            }
            code => DbError::BadConnectionString(format!("{message} (SQLSTATE {code})")),
        }
    }
}

/// SQLSTATE of a statement cancelled by `statement_timeout` (query_canceled).
const STATEMENT_TIMEOUT: &str = "57014";
/// SQLSTATE of a lock not granted within `lock_timeout` (lock_not_available).
const LOCK_TIMEOUT: &str = "55P03";

/// Any error with its chain of causes on one line ("error connecting: Connection refused").
pub fn flatten(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

/// The server's message (and detail) when there is one: tokio-postgres displays only "db error".
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) if db.code().code() == STATEMENT_TIMEOUT || db.code().code() == LOCK_TIMEOUT => {
            format!(
                "timed out: {} (SQLSTATE {})",
                db.message(),
                db.code().code()
            )
        }
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({}; SQLSTATE {})", db.message(), d, db.code().code()),
            None => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        },
        None => flatten(e),
    }
}
