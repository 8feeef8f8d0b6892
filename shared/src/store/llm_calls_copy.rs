//! The fast upsert path: look up the batch's keys (an index-only read of the covering unique
//! index gives each stored call's content hash), binary-COPY the new calls, and update only
//! the calls whose hash changed. Unchanged calls cost one index probe and no write.

use std::collections::HashMap;

use futures_util::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::llm_calls::UpsertCounts;
use super::llm_calls_columns::{
    i32_of, set_all, usage_never_shrinks, CallColumns, COLUMN_LIST, UNNEST_ARGS,
};
use super::Usd;
use crate::db::DbError;
use crate::model::LlmCall;

/// Binary COPY types, in the order of the column list.
const COPY_TYPES: [Type; 29] = [
    Type::BYTEA,
    Type::INT8,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::INT4,
    Type::INT4,
    Type::INT4,
    Type::NUMERIC,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::NUMERIC,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

/// Runs the fast path inside the caller's transaction. A unique violation from the COPY
/// means another writer got there first; the caller rolls back and takes the slow path.
pub(super) async fn copy_upsert(
    client: &impl GenericClient,
    batch: &[&LlmCall],
) -> Result<UpsertCounts, DbError> {
    let started = std::time::Instant::now();
    let keys: Vec<&[u8]> = batch.iter().map(|c| c.dedup_key.0.as_slice()).collect();
    // The key range bounds the look-up: keys start with the timestamp, so a batch's range is
    // narrow, and without it the planner prices thousands of probes above a sequential scan.
    let (lo, hi) = (keys.iter().min(), keys.iter().max());
    // New data (a file's appended rows) usually has nothing stored in its key range: one
    // index descent answers that, and spares sorting and probing every key.
    let any_stored: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM llm_calls WHERE dedup_key BETWEEN $1 AND $2)",
            &[&lo, &hi],
        )
        .await?
        .get(0);
    let stored: HashMap<Vec<u8>, i64> = if !any_stored {
        HashMap::new()
    } else {
        client
            .query(
                "SELECT dedup_key, content_hash FROM llm_calls
                 WHERE dedup_key BETWEEN $2 AND $3 AND dedup_key = ANY($1::bytea[])",
                &[&keys, &lo, &hi],
            )
            .await?
            .into_iter()
            .map(|r| (r.get("dedup_key"), r.get("content_hash")))
            .collect()
    };

    let mut new = Vec::new();
    let mut changed = Vec::new();
    let mut duplicates = 0u64;
    for c in batch {
        let hash = c.content_hash();
        match stored.get(c.dedup_key.0.as_slice()) {
            None => new.push((*c, hash)),
            Some(h) if *h == hash => duplicates += 1,
            Some(_) => changed.push(*c),
        }
    }

    let probed = started.elapsed();
    let inserted = if new.is_empty() {
        0
    } else {
        copy_new(client, &new).await?
    };
    let copied = started.elapsed();
    let updated = if changed.is_empty() {
        0
    } else {
        let cols = CallColumns::new(&changed);
        client
            .execute(
                &format!(
                    "UPDATE llm_calls t SET {}
                     FROM {}
                     WHERE t.dedup_key = u.k AND t.content_hash <> u.h AND {}",
                    set_all(|_, alias| format!("u.{alias}")),
                    *UNNEST_ARGS,
                    usage_never_shrinks("u.it::int8 + u.cr + u.cw + u.ot")
                ),
                &cols.params(),
            )
            .await?
    };
    // A row changed between our look-up and the update is someone else's newer write.
    let raced = changed.len() as u64 - updated;
    tracing::debug!(
        rows = batch.len(),
        inserted,
        updated,
        duplicates,
        probe_ms = probed.as_millis() as u64,
        copy_ms = (copied - probed).as_millis() as u64,
        update_ms = (started.elapsed() - copied).as_millis() as u64,
        "llm_calls batch written"
    );
    Ok(UpsertCounts {
        inserted,
        updated,
        duplicates: duplicates + raced,
    })
}

async fn copy_new(client: &impl GenericClient, calls: &[(&LlmCall, i64)]) -> Result<u64, DbError> {
    let copy = format!(
        "COPY llm_calls ({}) FROM STDIN (FORMAT binary)",
        *COLUMN_LIST
    );
    let sink = client.client().copy_in(&copy).await?;
    let writer = BinaryCopyInWriter::new(sink, &COPY_TYPES);
    pin_mut!(writer);
    for (c, hash) in calls {
        let t = &c.tokens;
        writer
            .as_mut()
            .write(&[
                &c.dedup_key.0.as_slice(),
                hash,
                &c.source.as_str(),
                &c.timestamp,
                &c.model,
                &c.prompt_name,
                &c.phase,
                &i32_of(t.input),
                &i32_of(t.cache_read),
                &i32_of(t.cache_write),
                &i32_of(t.output),
                &c.cost.usd.map(Usd::from_f64),
                &c.cost.status.as_str(),
                &c.cost.price_version,
                &c.success,
                &c.error_message,
                &c.duration_ms.map(i32_of),
                &c.session_id,
                &c.notes,
                &c.worker_id,
                &c.task_id,
                &c.project_id,
                &i32_of(t.cache_write_1h),
                &c.source_cost_usd.map(Usd::from_f64),
                &c.tool().as_str(),
                &c.attribution.repository,
                &c.attribution.git_branch,
                &c.attribution.user_id,
                &c.attribution.app_version,
            ])
            .await?;
    }
    Ok(writer.finish().await?)
}
