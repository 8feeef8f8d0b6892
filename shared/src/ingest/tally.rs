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
use crate::store::stored_cost;

/// Distinct unknown model names kept for the report.
const MAX_UNKNOWN_MODELS: usize = 50;

/// Costs of the calls an ingestion wrote.
pub(super) enum CostTally {
    /// Keys of the stored calls, costed from the database at the end.
    ReadBack(HashSet<DedupKey>),
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
            _ => CostTally::ReadBack(HashSet::new()),
        }
    }

    /// Counts `call`, which the database stored.
    pub(super) fn add(&mut self, call: &LlmCall) {
        match self {
            CostTally::ReadBack(keys) => {
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
            CostTally::ReadBack(keys) => {
                let keys: Vec<DedupKey> = keys.into_iter().collect();
                let c = stored_cost(client, &keys, MAX_UNKNOWN_MODELS).await?;
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
