//! Batch upsert of LLM calls: one `INSERT ... SELECT FROM UNNEST(...) ON CONFLICT` statement
//! per batch. Rows already stored with identical values are left untouched (no write, no
//! WAL), so a re-ingest of the same file costs little more than reading it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::model::LlmCall;

/// What one upsert did; `inserted + updated + duplicates` equals the rows passed in.
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

const UPSERT: &str = "
WITH up AS (
    INSERT INTO llm_calls AS t (
        dedup_key, source, timestamp, model, prompt_name, phase,
        input_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
        estimated_cost, cost_status, price_version,
        success, error_message, duration_ms, session_id, notes)
    SELECT k, s, ts, m, pn, ph, it, cr, cw, ot, c::numeric(14, 8), cs, pv, ok, em, d, sid, n
    FROM UNNEST($1::bytea[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                $7::int4[], $8::int4[], $9::int4[], $10::int4[],
                $11::float8[], $12::text[], $13::text[],
                $14::bool[], $15::text[], $16::int4[], $17::text[], $18::text[])
         AS u(k, s, ts, m, pn, ph, it, cr, cw, ot, c, cs, pv, ok, em, d, sid, n)
    ON CONFLICT (dedup_key) DO UPDATE SET
        timestamp = EXCLUDED.timestamp, model = EXCLUDED.model,
        prompt_name = EXCLUDED.prompt_name, phase = EXCLUDED.phase,
        input_tokens = EXCLUDED.input_tokens, cache_read_tokens = EXCLUDED.cache_read_tokens,
        cache_write_tokens = EXCLUDED.cache_write_tokens, output_tokens = EXCLUDED.output_tokens,
        estimated_cost = EXCLUDED.estimated_cost, cost_status = EXCLUDED.cost_status,
        price_version = EXCLUDED.price_version, success = EXCLUDED.success,
        error_message = EXCLUDED.error_message, duration_ms = EXCLUDED.duration_ms,
        session_id = EXCLUDED.session_id, notes = EXCLUDED.notes, updated_at = now()
    WHERE (t.timestamp, t.model, t.prompt_name, t.phase, t.input_tokens, t.cache_read_tokens,
           t.cache_write_tokens, t.output_tokens, t.estimated_cost, t.cost_status,
           t.price_version, t.success, t.error_message, t.duration_ms, t.session_id, t.notes)
      IS DISTINCT FROM
          (EXCLUDED.timestamp, EXCLUDED.model, EXCLUDED.prompt_name, EXCLUDED.phase,
           EXCLUDED.input_tokens, EXCLUDED.cache_read_tokens, EXCLUDED.cache_write_tokens,
           EXCLUDED.output_tokens, EXCLUDED.estimated_cost, EXCLUDED.cost_status,
           EXCLUDED.price_version, EXCLUDED.success, EXCLUDED.error_message,
           EXCLUDED.duration_ms, EXCLUDED.session_id, EXCLUDED.notes)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";

/// Upserts `calls` in one statement (atomic on its own; callers may wrap it in a larger
/// transaction). A key repeated within `calls` keeps its last row; the earlier ones count as
/// duplicates, because PostgreSQL refuses to touch one row twice in a statement.
pub async fn upsert_llm_calls(
    client: &impl GenericClient,
    calls: &[LlmCall],
) -> Result<UpsertCounts, DbError> {
    if calls.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let mut last: HashMap<[u8; 16], usize> = HashMap::with_capacity(calls.len());
    for (i, c) in calls.iter().enumerate() {
        last.insert(c.dedup_key.0, i);
    }
    let batch: Vec<&LlmCall> = calls
        .iter()
        .enumerate()
        .filter(|(i, c)| last.get(&c.dedup_key.0) == Some(i))
        .map(|(_, c)| c)
        .collect();
    let in_batch_dups = (calls.len() - batch.len()) as u64;

    let col = |f: fn(&LlmCall) -> Option<String>| batch.iter().map(|c| f(c)).collect::<Vec<_>>();
    let int = |f: fn(&LlmCall) -> i32| batch.iter().map(|c| f(c)).collect::<Vec<i32>>();
    let keys: Vec<&[u8]> = batch.iter().map(|c| c.dedup_key.0.as_slice()).collect();
    let sources: Vec<&str> = batch.iter().map(|c| c.source.as_str()).collect();
    let ts: Vec<DateTime<Utc>> = batch.iter().map(|c| c.timestamp).collect();
    let models: Vec<&str> = batch.iter().map(|c| c.model.as_str()).collect();
    let prompt = col(|c| c.prompt_name.clone());
    let phase = col(|c| c.phase.clone());
    // Token counts are validated to fit i32 by every parser.
    let input = int(|c| c.tokens.input as i32);
    let read = int(|c| c.tokens.cache_read as i32);
    let write = int(|c| c.tokens.cache_write as i32);
    let output = int(|c| c.tokens.output as i32);
    let cost: Vec<Option<f64>> = batch.iter().map(|c| c.cost.usd).collect();
    let status: Vec<&str> = batch.iter().map(|c| c.cost.status.as_str()).collect();
    let version: Vec<Option<&str>> = batch.iter().map(|c| c.cost.price_version).collect();
    let success: Vec<Option<bool>> = batch.iter().map(|c| c.success).collect();
    let error = col(|c| c.error_message.clone());
    let duration: Vec<Option<i32>> = batch
        .iter()
        .map(|c| c.duration_ms.map(|d| d.min(i32::MAX as u32) as i32))
        .collect();
    let session = col(|c| c.session_id.clone());
    let notes = col(|c| c.notes.clone());

    let stmt = client.prepare(UPSERT).await?;
    let row = client
        .query_one(
            &stmt,
            &[
                &keys, &sources, &ts, &models, &prompt, &phase, &input, &read, &write, &output,
                &cost, &status, &version, &success, &error, &duration, &session, &notes,
            ],
        )
        .await?;
    let inserted = row.get::<_, i64>(0) as u64;
    let updated = row.get::<_, i64>(1) as u64;
    Ok(UpsertCounts {
        inserted,
        updated,
        duplicates: batch.len() as u64 - inserted - updated + in_batch_dups,
    })
}
