//! Errors at the database boundary, classified retryable (try again later) or not.

/// A database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The connection string could not be understood.
    #[error("invalid database connection string: {0}")]
    BadConnectionString(String),
    /// TLS could not be set up (bad root certificate file, ...).
    #[error("database TLS setup failed: {0}")]
    Tls(String),
    /// No connection could be made or the pool gave none.
    #[error("cannot connect to the database: {0}")]
    Unavailable(String),
    /// A statement failed.
    #[error("database error: {}", describe(.0))]
    Query(#[from] tokio_postgres::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl DbError {
    /// True when retrying later may succeed (connection lost, server shutting down,
    /// serialization failure); false for mistakes that will fail again.
    pub fn is_retryable(&self) -> bool {
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(e) => match e.code() {
                // Class 08 connection exceptions, 40 transaction rollback, 53 resources,
                // 57P0x operator intervention (shutdown, crash recovery).
                Some(code) => {
                    let c = code.code();
                    c.starts_with("08")
                        || c.starts_with("40")
                        || c.starts_with("53")
                        || c.starts_with("57P")
                }
                // No SQLSTATE: the connection itself broke.
                None => e.is_closed() || e.as_db_error().is_none(),
            },
            _ => false,
        }
    }

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
        match e {
            deadpool_postgres::PoolError::Backend(e) => DbError::from_connect(e),
            other => DbError::Unavailable(other.to_string()),
        }
    }
}

impl DbError {
    /// Wraps an error from establishing a connection.
    pub(crate) fn from_connect(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            // The server answered (bad password, unknown database): not transient.
            Some(db) => DbError::BadConnectionString(db.message().to_string()),
            None => DbError::Unavailable(flatten(&e)),
        }
    }
}

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
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({}; SQLSTATE {})", db.message(), d, db.code().code()),
            None => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        },
        None => flatten(e),
    }
}
