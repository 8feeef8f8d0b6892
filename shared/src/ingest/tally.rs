//! The cost an ingestion reports: the cost of what it stored.
//!
//! - JSONL can hold one call several times (a Claude Code response streamed as several lines,
//!   an agent record re-sent with its `call_id`), and the stored row is the last or largest
//!   of them: the keys are kept and the cost is read back from the rows at the end.
//! - usage.csv rows are never merged (each row's key includes its occurrence), and a row
//!   stored unchanged has the same cost (the content hash covers it): the parsed costs of the
//!   rows written are summed as they go, so a 1 GB file keeps no key set in memory.

use std::collections::{BTreeSet, HashSet};

use tokio_postgres::GenericClient;

use super::format::Format;
use super::IngestReport;
use crate::db::DbError;
use crate::model::{CostStatus, DedupKey, LlmCall};
use crate::store::{stored_cost, stored_cost_of_spilled};

/// Keys of stored calls held in memory before they move to a temporary table (16 bytes each,
/// about 4 MB with the set's overhead).
pub(super) const KEYS_IN_MEMORY: usize = 100_000;

/// Distinct unknown model names kept for the report.
const MAX_UNKNOWN_MODELS: usize = 50;

/// Costs of the calls an ingestion wrote.
pub(super) enum CostTally {
    /// Keys of the stored calls, costed from the database at the end. Past `limit` keys
    /// they move to a temporary table on the writer's connection, so memory stays bounded
    /// whatever the number of calls.
    ReadBack {
        keys: HashSet<DedupKey>,
        limit: usize,
        spilled: bool,
    },
    /// Costs summed as written, in units of 10^-8 USD.
    Summed {
        units: i128,
        unpriced: u64,
        unknown: BTreeSet<String>,
    },
}

impl CostTally {
    /// The tally for a file of `format`.
    pub(super) fn for_format(format: Format) -> Self {
        match format {
            Format::UsageCsv => CostTally::Summed {
                units: 0,
                unpriced: 0,
                unknown: BTreeSet::new(),
            },
            _ => CostTally::ReadBack {
                keys: HashSet::new(),
                limit: KEYS_IN_MEMORY,
                spilled: false,
            },
        }
    }

    /// At most `limit` keys in memory before they spill (see [`CostTally::ReadBack`]).
    pub(super) fn keys_in_memory(mut self, limit: usize) -> Self {
        if let CostTally::ReadBack { limit: l, .. } = &mut self {
            *l = limit.max(1);
        }
        self
    }

    /// Moves the keys held to the temporary table once there are `limit` of them.
    pub(super) async fn spill_if_full(
        &mut self,
        client: &impl GenericClient,
    ) -> Result<(), DbError> {
        match self {
            CostTally::ReadBack {
                keys,
                limit,
                spilled,
            } if keys.len() >= *limit => spill(client, keys, spilled).await,
            _ => Ok(()),
        }
    }

    /// Counts `call`, which the database stored.
    pub(super) fn add(&mut self, call: &LlmCall) {
        match self {
            CostTally::ReadBack { keys, .. } => {
                keys.insert(call.dedup_key);
            }
            CostTally::Summed {
                units,
                unpriced,
                unknown,
            } => match (call.cost.status, call.cost.usd) {
                (CostStatus::UnknownModel, _) | (_, None) => {
                    *unpriced += 1;
                    if unknown.len() < MAX_UNKNOWN_MODELS {
                        unknown.insert(call.model.clone());
                    }
                }
                (_, Some(usd)) => *units += (usd * 1e8).round() as i128,
            },
        }
    }

    /// Writes the cost, unpriced count and unknown models into `report`.
    pub(super) async fn finish(
        self,
        client: &impl GenericClient,
        report: &mut IngestReport,
    ) -> Result<(), DbError> {
        match self {
            CostTally::ReadBack {
                mut keys,
                spilled: false,
                ..
            } => {
                let keys: Vec<DedupKey> = keys.drain().collect();
                let c = stored_cost(client, &keys, MAX_UNKNOWN_MODELS).await?;
                report.cost_usd = c.usd;
                report.unpriced_rows = c.unpriced;
                report.unknown_models = c.unknown_models;
            }
            CostTally::ReadBack {
                mut keys,
                mut spilled,
                ..
            } => {
                spill(client, &mut keys, &mut spilled).await?;
                let c = stored_cost_of_spilled(client, MAX_UNKNOWN_MODELS).await;
                // Dropped whatever the outcome: the connection goes back to a pool.
                client
                    .batch_execute("DROP TABLE IF EXISTS pg_temp.ingest_run_keys")
                    .await?;
                let c = c?;
                report.cost_usd = c.usd;
                report.unpriced_rows = c.unpriced;
                report.unknown_models = c.unknown_models;
            }
            CostTally::Summed {
                units,
                unpriced,
                unknown,
            } => {
                report.cost_usd = units as f64 / 1e8;
                report.unpriced_rows = unpriced;
                report.unknown_models = unknown.into_iter().collect();
            }
        }
        Ok(())
    }
}

/// Moves `keys` into the connection's temporary `ingest_run_keys` (created on first use).
async fn spill(
    client: &impl GenericClient,
    keys: &mut HashSet<DedupKey>,
    spilled: &mut bool,
) -> Result<(), DbError> {
    if !*spilled {
        client
            .batch_execute(
                "DROP TABLE IF EXISTS pg_temp.ingest_run_keys;
                 CREATE TEMP TABLE ingest_run_keys (k bytea PRIMARY KEY)",
            )
            .await?;
        *spilled = true;
    }
    let arr: Vec<&[u8]> = keys.iter().map(|k| k.0.as_slice()).collect();
    client
        .execute(
            "INSERT INTO ingest_run_keys SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING",
            &[&arr],
        )
        .await?;
    keys.clear();
    Ok(())
}
