//! Writes to the database: batch upserts and ingestion bookkeeping, each a function taking
//! a client so callers choose the connection (pooled, single, or inside a transaction).

mod agent;
mod budget;
mod call_costs;
pub mod events;
pub mod github_sync;
mod ingest_runs;
pub mod keys;
mod llm_calls;
mod llm_calls_columns;
mod llm_calls_copy;
mod numeric;
mod workflow_runs;

pub use agent::upsert_agent_records;
pub use budget::{daily_budget, set_daily_budget};
pub use call_costs::{stored_cost, StoredCost};
pub use ingest_runs::{
    finish_ingest_run, mark_abandoned_runs, record_progress, start_ingest_run, IngestRunOutcome,
    STALE_AFTER_MINUTES,
};
pub use llm_calls::{
    upsert_llm_calls, upsert_llm_calls_each, upsert_llm_calls_on_conflict, UpsertCounts,
};
pub use numeric::Usd;
pub use workflow_runs::{upsert_workflow_runs, upsert_workflow_runs_each, RunCounts};
