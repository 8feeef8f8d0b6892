//! Writes to the database: batch upserts and ingestion bookkeeping, each a function taking
//! `&impl GenericClient` so callers choose the transaction.

mod ingest_runs;
mod llm_calls;

pub use ingest_runs::{finish_ingest_run, start_ingest_run, IngestRunOutcome};
pub use llm_calls::{upsert_llm_calls, UpsertCounts};
