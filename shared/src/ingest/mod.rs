//! Ingestion drivers: read a source, write it in bounded batches, account for every record.

mod csv_file;
mod error;
mod report;

pub use csv_file::{ingest_usage_csv, IngestOptions, Progress, SourceInfo};
pub use error::IngestError;
pub use report::{IngestReport, RejectedRow, MAX_REPORTED_REJECTS};
