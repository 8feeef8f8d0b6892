//! Ingestion drivers: read a source, write it in bounded batches, account for every record.

mod coverage;
mod error;
mod format;
mod parse;
mod pipeline;
mod report;
mod tally;
mod write;

pub use coverage::target_from_path;
pub use error::IngestError;
pub use format::{FileKind, Format};
pub use pipeline::{
    ingest_file, ingest_usage_csv, IngestOptions, Progress, RejectSink, SourceInfo,
};
pub use report::{IngestReport, RejectedRow, MAX_REPORTED_REJECTS};
