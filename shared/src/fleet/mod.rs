//! Briefings and job history (design seed 003): records, parsing, and upserts that write
//! their outbox events in the same transaction.

mod records;
mod store;

pub use records::{parse_briefing, parse_job, BriefingRecord, JobRecord};
pub use store::{counts, upsert_briefings, upsert_jobs, Written};

/// A briefing or a job, as read from JSONL.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetRecord {
    /// A briefing.
    Briefing(BriefingRecord),
    /// A job.
    Job(JobRecord),
}
