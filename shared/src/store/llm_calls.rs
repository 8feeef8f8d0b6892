//! Batch upsert of LLM calls. The fast path (see `llm_calls_copy`) COPYs new calls and
//! updates only changed ones; when a concurrent writer stored one of the batch's keys in the
//! meantime, the batch is redone with a single `INSERT ... ON CONFLICT` statement.

use std::collections::HashMap;

use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

use super::budget::{check_daily_budget, costs_before};
use super::llm_calls_columns::{
    set_all, usage_never_shrinks, CallColumns, COLUMN_LIST, UNNEST_ARGS,
};
use super::llm_calls_copy::copy_upsert;
use crate::db::DbError;
use crate::model::LlmCall;

/// What one upsert did; `inserted + updated + duplicates` equals the calls passed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertCounts {
    /// New rows.
    pub inserted: u64,
    /// Existing rows whose values changed.
    pub updated: u64,
    /// Rows already stored with the same values, or repeated within the batch.
    pub duplicates: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.duplicates += o.duplicates;
    }
}

/// The calls to write: a key repeated within the batch keeps its last occurrence (a later
/// line is the newer version), and the earlier ones are counted as duplicates. A Claude Code
/// response keeps its largest usage instead, as the stored row does ([`usage_never_shrinks`]):
/// a batch merging several files' lines then stores the same whatever their order.
fn last_per_key(calls: &[LlmCall]) -> (Vec<&LlmCall>, u64) {
    let mut last: HashMap<[u8; 16], usize> = HashMap::with_capacity(calls.len());
    for (i, c) in calls.iter().enumerate() {
        match last.entry(c.dedup_key.0) {
            std::collections::hash_map::Entry::Occupied(mut kept) => {
                let k = &calls[*kept.get()];
                let shrinks = c.source == crate::model::CallSource::ClaudeCode
                    && c.tokens.total() < k.tokens.total();
                if !shrinks {
                    kept.insert(i);
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }
    let batch: Vec<&LlmCall> = calls
        .iter()
        .enumerate()
        .filter(|(i, c)| last.get(&c.dedup_key.0) == Some(i))
        .map(|(_, c)| c)
        .collect();
    let dropped = (calls.len() - batch.len()) as u64;
    (batch, dropped)
}

/// Upserts `calls` atomically (one transaction, or a savepoint when `client` is already in
/// one). Rows already stored with identical values are not written at all. A day whose cost
/// reaches the daily budget gets its `llm_budget_exceeded` outbox event in that transaction.
pub async fn upsert_llm_calls(
    client: &mut impl GenericClient,
    calls: &[LlmCall],
) -> Result<UpsertCounts, DbError> {
    if calls.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let (batch, in_batch_dups) = last_per_key(calls);
    let _span = crate::xray::database("upsert_llm_calls");
    let tx = client.transaction().await?;
    let before = costs_before(&tx, &batch).await?;
    let mut counts = match copy_upsert(&tx, &batch).await {
        Ok(c) => {
            announce_budget(&tx, &c, before.as_ref()).await?;
            tx.commit().await?;
            c
        }
        Err(DbError::Query(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            // A concurrent writer inserted one of our keys after we looked: redo the batch
            // with a statement that arbitrates conflicts row by row.
            tx.rollback().await?;
            let tx = client.transaction().await?;
            let before = costs_before(&tx, &batch).await?;
            let c = on_conflict(&tx, &batch).await?;
            announce_budget(&tx, &c, before.as_ref()).await?;
            tx.commit().await?;
            c
        }
        Err(e) => return Err(e),
    };
    counts.duplicates += in_batch_dups;
    Ok(counts)
}

/// The same upsert as one `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed` statement.
/// Slower than [`upsert_llm_calls`] for new rows, but safe under any concurrency.
pub async fn upsert_llm_calls_on_conflict(
    client: &impl GenericClient,
    calls: &[LlmCall],
) -> Result<UpsertCounts, DbError> {
    let (batch, in_batch_dups) = last_per_key(calls);
    let before = costs_before(client, &batch).await?;
    let mut counts = on_conflict(client, &batch).await?;
    announce_budget(client, &counts, before.as_ref()).await?;
    counts.duplicates += in_batch_dups;
    Ok(counts)
}

/// The budget check after a write: only new or changed calls can move a day's cost, and
/// only with a budget set is anything summed.
async fn announce_budget(
    client: &impl GenericClient,
    written: &UpsertCounts,
    before: Option<&super::budget::CostsBefore>,
) -> Result<(), DbError> {
    match before {
        Some(before) if written.inserted + written.updated > 0 => {
            check_daily_budget(client, before).await
        }
        _ => Ok(()),
    }
}

async fn on_conflict(
    client: &impl GenericClient,
    batch: &[&LlmCall],
) -> Result<UpsertCounts, DbError> {
    if batch.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let shrink = usage_never_shrinks(
        "EXCLUDED.input_tokens::int8 + EXCLUDED.cache_read_tokens \
         + EXCLUDED.cache_write_tokens + EXCLUDED.output_tokens",
    );
    let sql = format!(
        "WITH up AS (
            INSERT INTO llm_calls AS t ({columns})
            SELECT * FROM {unnest}
            ON CONFLICT (dedup_key) DO UPDATE SET {set}
            WHERE t.content_hash <> EXCLUDED.content_hash AND {shrink}
            RETURNING (xmax = 0) AS inserted)
         SELECT count(*) FILTER (WHERE inserted) AS inserted,
                count(*) FILTER (WHERE NOT inserted) AS updated FROM up",
        columns = *COLUMN_LIST,
        unnest = *UNNEST_ARGS,
        set = set_all(|column, _| format!("EXCLUDED.{column}")),
    );
    let cols = CallColumns::new(batch);
    let row = client.query_one(&sql, &cols.params()).await?;
    let inserted = row.get::<_, i64>("inserted") as u64;
    let updated = row.get::<_, i64>("updated") as u64;
    Ok(UpsertCounts {
        inserted,
        updated,
        duplicates: batch.len() as u64 - inserted - updated,
    })
}

/// [`upsert_llm_calls`] one call at a time, each in a savepoint of `tx`: for each, what it
/// wrote, or the database's refusal. For a batch the database refused as a whole on one
/// call's data, so that the others still land.
pub async fn upsert_llm_calls_each(
    tx: &mut tokio_postgres::Transaction<'_>,
    calls: &[LlmCall],
) -> Result<Vec<Result<UpsertCounts, DbError>>, DbError> {
    let mut out = Vec::with_capacity(calls.len());
    for call in calls {
        match upsert_llm_calls(tx, std::slice::from_ref(call)).await {
            Ok(c) => out.push(Ok(c)),
            // The savepoint `upsert_llm_calls` opened was rolled back on drop.
            Err(err) if err.is_data_error() => out.push(Err(err)),
            Err(err) => return Err(err),
        }
    }
    Ok(out)
}
