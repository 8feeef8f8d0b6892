//! Errors of the ingestion boundary, classified retryable or not.

use crate::csv::HeaderError;
use crate::db::DbError;
use crate::failure::Retryable;

/// An ingestion stopped before accounting for every record.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file is not usable as a whole (no header, missing columns, corrupt), or reading it
    /// broke off (see [`IngestError::is_retryable`]).
    #[error("{0}")]
    Unreadable(#[from] HeaderError),
    /// The database refused or was unreachable; batches before `lines` were committed.
    #[error("{}{source}", lines.map(|(a, b)| format!("batch of lines {a}-{b} was rolled back: ")).unwrap_or_default())]
    Database {
        /// The underlying error.
        source: DbError,
        /// First and last line of the batch that failed, when one was being written.
        lines: Option<(u64, u64)>,
    },
    /// A team's price in `model_prices` cannot be read: no call is priced from a table
    /// known to be wrong.
    #[error("the price overrides cannot be used: {0}")]
    Prices(String),
}

impl Retryable for IngestError {
    /// True when the same ingestion may succeed later (database down, not a bad file).
    fn is_retryable(&self) -> bool {
        match self {
            IngestError::Unreadable(HeaderError::Io(_)) => true,
            IngestError::Unreadable(_) => false,
            IngestError::Database { source, .. } => source.is_retryable(),
            IngestError::Prices(_) => false,
        }
    }

    fn boundary(&self) -> &'static str {
        "Ingest"
    }
}

impl From<DbError> for IngestError {
    fn from(source: DbError) -> Self {
        IngestError::Database {
            source,
            lines: None,
        }
    }
}

impl From<crate::pricing::OverrideError> for IngestError {
    fn from(e: crate::pricing::OverrideError) -> Self {
        match e {
            crate::pricing::OverrideError::Db(source) => source.into(),
            other => IngestError::Prices(other.to_string()),
        }
    }
}
