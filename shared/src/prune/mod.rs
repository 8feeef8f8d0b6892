//! Retention (`prune`): every table has a stated retention; archived tables are written to
//! S3 as gzip JSONL (one object per table and month, readable by s3-ingest) before any row
//! is deleted, deletes are batched so ingestion never waits on them, and a run stops before
//! its deadline and resumes the next night.

mod archive;
mod config;
mod job;
mod policy;
mod report;
mod run;

pub use archive::{parse_archived, restore_rows, ArchivedRow, ARCHIVED_KIND};
pub use config::{PruneConfig, PruneConfigError};
pub use job::Action;
pub use policy::{Retention, RetentionPlan, TablePolicy, POLICIES};
pub use report::{PruneReport, TableReport};
pub use run::{prune, PruneRequest};
