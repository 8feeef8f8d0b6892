//! Ingestion drivers: read a source, write it in bounded batches, account for every record.

mod coverage;
mod error;
mod format;
mod parse;
mod pipeline;
mod report;
mod store;
mod tally;
mod tree;
mod write;

pub use coverage::target_from_path;
pub use error::IngestError;
pub use format::{FileKind, Format};
pub use pipeline::{
    ingest_file, ingest_usage_csv, IngestOptions, Progress, RejectSink, SourceInfo,
};
pub use report::{IngestReport, RejectedRow, MAX_REPORTED_REJECTS};
pub use store::{
    finish_ingest_run, mark_abandoned_runs, record_progress, start_ingest_run, IngestRunOutcome,
    STALE_AFTER_MINUTES,
};
pub use tree::{
    default_trees, expand, ingest_tree, is_log_name, read_new_calls, FileReport, FileStatus,
    NewCalls, ReadMark, Tree, TreeOptions, TreeReport, WalkError, MAX_REJECTS_PER_FILE,
};
