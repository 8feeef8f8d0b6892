//! The shared write machinery and the `llm_calls` table, which several features write: the
//! batch upsert (binary COPY fast path, `ON CONFLICT` fallback, one-by-one isolation of a
//! refused record), counts, USD amounts, stored costs and the daily budget. Each feature's own
//! tables are written by its `store` module (`github::store`, `http::store`,
//! `jsonl::store`, `ingest::store`, `fleet`, `coverage`), never from here. Every function takes
//! a client, so callers choose the connection (pooled, single, or inside a transaction).

mod budget;
mod call_costs;
mod llm_calls;
mod llm_calls_columns;
mod llm_calls_copy;
mod numeric;

pub use budget::{daily_budget, set_daily_budget};
pub use call_costs::{stored_cost, stored_cost_of_spilled, StoredCost};
pub use llm_calls::{
    upsert_llm_calls, upsert_llm_calls_each, upsert_llm_calls_on_conflict, UpsertCounts,
};
pub use numeric::Usd;
