//! What stored calls cost: the figure an ingestion reports is read back from the rows it
//! stored, so a streamed response written as several lines counts once, at its final size.

use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::model::DedupKey;

/// Keys looked up per statement.
const CHUNK: usize = 50_000;

/// The cost of a set of stored calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredCost {
    /// USD of the calls with a cost (priced, or from the source), rounded to 8 decimals.
    pub usd: f64,
    /// Calls whose model has no price (not in `usd`).
    pub unpriced: u64,
    /// Their distinct model names, at most `max_models`, sorted.
    pub unknown_models: Vec<String>,
}

/// What the stored rows of `keys` cost now.
pub async fn stored_cost(
    client: &impl GenericClient,
    keys: &[DedupKey],
    max_models: usize,
) -> Result<StoredCost, DbError> {
    let mut out = StoredCost::default();
    // Cents of cents: summed as integers so that chunking cannot drift the total.
    let mut units: i128 = 0;
    let mut models = std::collections::BTreeSet::new();
    for chunk in keys.chunks(CHUNK) {
        let arr: Vec<&[u8]> = chunk.iter().map(|k| k.0.as_slice()).collect();
        let row = client
            .query_one(
                "SELECT coalesce(sum(estimated_cost) * 100000000, 0)::int8 AS units,
                        count(*) FILTER (WHERE cost_status = 'unknown_model') AS unpriced,
                        coalesce(array_agg(DISTINCT model)
                            FILTER (WHERE cost_status = 'unknown_model'), '{}') AS models
                 FROM llm_calls WHERE dedup_key = ANY($1::bytea[])",
                &[&arr],
            )
            .await?;
        units += i128::from(row.get::<_, i64>("units"));
        out.unpriced += row.get::<_, i64>("unpriced") as u64;
        for m in row.get::<_, Vec<String>>("models") {
            if models.len() < max_models {
                models.insert(m);
            }
        }
    }
    out.usd = units as f64 / 1e8;
    out.unknown_models = models.into_iter().collect();
    Ok(out)
}

/// What the stored rows of the keys in the connection's temporary `ingest_run_keys` cost now
/// (an ingestion with more calls than it keeps in memory).
pub async fn stored_cost_of_spilled(
    client: &impl GenericClient,
    max_models: usize,
) -> Result<StoredCost, DbError> {
    let row = client
        .query_one(
            "SELECT coalesce(sum(c.estimated_cost) * 100000000, 0)::int8 AS units,
                    count(*) FILTER (WHERE c.cost_status = 'unknown_model') AS unpriced,
                    coalesce((array_agg(DISTINCT c.model)
                        FILTER (WHERE c.cost_status = 'unknown_model'))[1:$1], '{}') AS models
             FROM ingest_run_keys k JOIN llm_calls c ON c.dedup_key = k.k",
            &[&(max_models as i32)],
        )
        .await?;
    Ok(StoredCost {
        usd: i128::from(row.get::<_, i64>("units")) as f64 / 1e8,
        unpriced: row.get::<_, i64>("unpriced") as u64,
        unknown_models: row.get("models"),
    })
}
