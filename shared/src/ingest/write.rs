//! Writing one batch: all its records in one transaction. When the database still refuses a
//! value (SQLSTATE class 22 or 23: what the column checks missed), the batch is halved until
//! the refused record is alone; it is rejected with its line and the database's reason, and
//! every other record is stored. A batch another writer's collided with (a deadlock) is
//! written again. Any other error stops the ingestion, and says which lines were not
//! committed.

use tokio_postgres::Client;

use super::parse::RecordsView;
use super::RejectedRow;
use crate::db::DbError;
use crate::fleet::{counts, upsert_briefings, upsert_jobs, BriefingRecord, FleetRecord, JobRecord};
use crate::jsonl::upsert_agent_records;
use crate::prune::restore_rows;
use crate::store::{upsert_llm_calls, UpsertCounts};

/// What a batch's write stored, and the records the database refused.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub counts: UpsertCounts,
    pub rejects: Vec<RejectedRow>,
}

/// A write stopped by an error that is not about one record's data.
#[derive(Debug)]
pub(super) struct WriteFailure {
    /// What was committed before it.
    pub written: Written,
    pub source: DbError,
    /// The first and last line not committed.
    pub lines: Option<(u64, u64)>,
}

/// Writes `records`, isolating any record the database refuses (see the module docs).
pub(super) async fn write_batch(
    client: &mut Client,
    records: RecordsView<'_>,
) -> Result<Written, WriteFailure> {
    let _span = crate::xray::database("write_batch");
    let mut written = Written::default();
    // Depth-first, first half first, so records are written in line order.
    let mut pending = vec![records];
    while let Some(part) = pending.pop() {
        if part.is_empty() {
            continue;
        }
        match write_retrying(client, part).await {
            Ok(c) => written.counts += c,
            Err(e) if e.is_data_error() && part.len() == 1 => {
                let line = part.line_range().map_or(0, |(first, _)| first);
                written.rejects.push(RejectedRow {
                    line,
                    reason: format!("refused by the database: {}", e.server_message()),
                    raw: None,
                });
            }
            Err(e) if e.is_data_error() => {
                let (first, second) = part.halve();
                pending.push(second);
                pending.push(first);
            }
            Err(source) => {
                let first = part.line_range().map(|(a, _)| a);
                let last = pending
                    .iter()
                    .chain(std::iter::once(&part))
                    .filter_map(|p| p.line_range().map(|(_, b)| b))
                    .max();
                return Err(WriteFailure {
                    written,
                    source,
                    lines: first.zip(last),
                });
            }
        }
    }
    Ok(written)
}

/// Times a batch that collided with another writer's (a deadlock between two ingests of the
/// same records) is run again before the collision stops the ingestion.
const COLLISION_RETRIES: u32 = 5;

/// [`write_once`], run again after a short wait when another writer's transaction collided
/// with it: the server rolled it back whole, so running it again stores each record once.
async fn write_retrying(client: &mut Client, r: RecordsView<'_>) -> Result<UpsertCounts, DbError> {
    let mut attempt = 0;
    loop {
        match write_once(client, r).await {
            Err(e) if e.is_collision() && attempt < COLLISION_RETRIES => {
                attempt += 1;
                tracing::info!(attempt, error = %e.server_message(), "batch collided; writing it again");
                // Staggered by attempt so the two writers do not meet again at once.
                tokio::time::sleep(std::time::Duration::from_millis(20 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}

/// Every record of `r` in one transaction.
async fn write_once(client: &mut Client, r: RecordsView<'_>) -> Result<UpsertCounts, DbError> {
    let mut tx = client.transaction().await?;
    let mut written = upsert_llm_calls(&mut tx, r.calls.items).await?;
    written += upsert_agent_records(&mut tx, r.agent.items).await?;
    if !r.fleet.items.is_empty() {
        let mut briefings: Vec<BriefingRecord> = Vec::new();
        let mut jobs: Vec<JobRecord> = Vec::new();
        for record in r.fleet.items {
            match record {
                FleetRecord::Briefing(b) => briefings.push(b.clone()),
                FleetRecord::Job(j) => jobs.push(j.clone()),
            }
        }
        written += counts(&upsert_briefings(&tx, &briefings).await?);
        written += counts(&upsert_jobs(&tx, &jobs).await?);
    }
    if !r.archived.items.is_empty() {
        written += restore_rows(&tx, r.archived.items).await?;
    }
    tx.commit().await?;
    Ok(written)
}
