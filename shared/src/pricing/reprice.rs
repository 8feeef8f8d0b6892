//! `telemetry reprice`: recomputes the cost of stored calls from the prices in force. It
//! walks `llm_calls` by id in batches, each its own short statement (no long locks), and
//! updates a call only when its cost, status or price version changes, and only if nobody
//! changed the row since it was read. Calls whose cost came from the source keep it.
//! Running it twice changes nothing the second time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{GenericClient, Row};

use super::book::PriceBook;
use super::normalize_model;
use crate::db::DbError;
use crate::model::{Attribution, CallSource, Cost, CostStatus, DedupKey, LlmCall, Tokens, Tool};
use crate::store::Usd;

/// Calls read per batch.
pub const REPRICE_BATCH: i64 = 5_000;

/// Which calls to reprice.
#[derive(Debug, Clone, Default)]
pub struct RepriceFilter {
    /// Only calls at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only calls of this model (compared after normalisation, so dated names match).
    pub model: Option<String>,
    /// Count what would change, write nothing.
    pub dry_run: bool,
}

/// What a reprice changed (or would change).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RepriceReport {
    /// Calls that matched the filter.
    pub examined: u64,
    /// Calls whose cost, status or price version changed.
    pub changed: u64,
    /// Calls already priced as the table prices them.
    pub unchanged: u64,
    /// Calls whose cost came from the source: kept.
    pub kept_from_source: u64,
    /// Calls no table prices (their cost stays unknown).
    pub unpriced: u64,
    /// Calls unpriced before, priced now.
    pub newly_priced: u64,
    /// Calls changed between reading and writing by another writer: left as they were.
    pub raced: u64,
    /// USD of the changed calls before (their unpriced ones count nothing).
    pub before_usd: f64,
    /// USD of the changed calls after.
    pub after_usd: f64,
    /// Per stored model name: calls changed and USD moved.
    pub by_model: BTreeMap<String, ModelChange>,
}

/// One model's share of a reprice.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ModelChange {
    /// Calls changed.
    pub changed: u64,
    /// USD after minus before.
    pub delta_usd: f64,
}

struct Change {
    id: i64,
    old_hash: i64,
    new_hash: i64,
    cost: Cost,
}

/// Reprices the calls `filter` selects with `book`.
pub async fn reprice(
    client: &impl GenericClient,
    book: &PriceBook,
    filter: &RepriceFilter,
) -> Result<RepriceReport, DbError> {
    let mut report = RepriceReport::default();
    let wanted = filter.model.as_deref().map(normalize_model);
    let (mut before, mut after) = (0i128, 0i128);
    let mut after_id = 0i64;
    loop {
        let rows = client
            .query(
                "SELECT id, content_hash, source, timestamp, model, prompt_name, phase,
                        input_tokens, cache_read_tokens, cache_write_tokens,
                        cache_write_1h_tokens, output_tokens, estimated_cost::float8 AS cost,
                        cost_status, price_version, success, error_message, duration_ms,
                        session_id, notes, project_id, source_cost_usd::float8 AS source_cost,
                        repository, git_branch, user_id, tool, app_version
                 FROM llm_calls
                 WHERE id > $1 AND ($2::timestamptz IS NULL OR timestamp >= $2)
                 ORDER BY id LIMIT $3",
                &[&after_id, &filter.since, &REPRICE_BATCH],
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after_id = last.get("id");
        let mut changes = Vec::new();
        for row in &rows {
            let model: &str = row.get("model");
            if wanted
                .as_deref()
                .is_some_and(|w| normalize_model(model) != w)
            {
                continue;
            }
            report.examined += 1;
            let status: &str = row.get("cost_status");
            if status == CostStatus::FromSource.as_str() {
                report.kept_from_source += 1;
                continue;
            }
            let Some((mut call, old_version)) = call_of(row) else {
                // A source this build does not know: not ours to reprice.
                report.unchanged += 1;
                continue;
            };
            let old = call.cost.clone();
            call.cost = book.cost(model, &call.tokens, call.source_cost_usd);
            if call.cost.status == CostStatus::UnknownModel {
                report.unpriced += 1;
            }
            if call.cost.usd == old.usd
                && call.cost.status == old.status
                && call.cost.price_version == old_version.as_deref()
            {
                report.unchanged += 1;
                continue;
            }
            if old.status == CostStatus::UnknownModel && call.cost.usd.is_some() {
                report.newly_priced += 1;
            }
            let (b, a) = (units(old.usd), units(call.cost.usd));
            before += b;
            after += a;
            let m = report.by_model.entry(model.to_string()).or_default();
            m.changed += 1;
            m.delta_usd = ((m.delta_usd * 1e8).round() + (a - b) as f64) / 1e8;
            changes.push(Change {
                id: row.get("id"),
                old_hash: row.get("content_hash"),
                new_hash: call.content_hash(),
                cost: call.cost,
            });
        }
        report.changed += changes.len() as u64;
        if !filter.dry_run && !changes.is_empty() {
            let written = write(client, &changes).await?;
            report.raced += changes.len() as u64 - written;
            report.changed -= changes.len() as u64 - written;
        }
    }
    report.before_usd = before as f64 / 1e8;
    report.after_usd = after as f64 / 1e8;
    Ok(report)
}

fn units(usd: Option<f64>) -> i128 {
    usd.map_or(0, |u| (u * 1e8).round() as i128)
}

/// One statement per batch; a row whose hash moved since it was read is someone else's
/// newer write and is left alone.
async fn write(client: &impl GenericClient, changes: &[Change]) -> Result<u64, DbError> {
    let ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
    let old: Vec<i64> = changes.iter().map(|c| c.old_hash).collect();
    let new: Vec<i64> = changes.iter().map(|c| c.new_hash).collect();
    let cost: Vec<Option<Usd>> = changes
        .iter()
        .map(|c| c.cost.usd.map(Usd::from_f64))
        .collect();
    let status: Vec<&str> = changes.iter().map(|c| c.cost.status.as_str()).collect();
    let version: Vec<Option<&str>> = changes.iter().map(|c| c.cost.price_version).collect();
    let n = client
        .execute(
            "UPDATE llm_calls t SET estimated_cost = u.c, cost_status = u.cs,
                 price_version = u.pv, content_hash = u.h, updated_at = now()
             FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::numeric[], $5::text[],
                         $6::text[]) AS u(id, old, h, c, cs, pv)
             WHERE t.id = u.id AND t.content_hash = u.old",
            &[&ids, &old, &new, &cost, &status, &version],
        )
        .await?;
    Ok(n)
}

/// The stored call as the writer built it (for its content hash) and its price version, or
/// `None` for a source this build does not know.
fn call_of(row: &Row) -> Option<(LlmCall, Option<String>)> {
    let source = match row.get::<_, &str>("source") {
        "usage_csv" => CallSource::UsageCsv,
        "agent_log" => CallSource::AgentLog,
        "claude_code" => CallSource::ClaudeCode,
        "codex" => CallSource::Codex,
        "otlp" => CallSource::Otlp,
        _ => return None,
    };
    let count = |c: &str| row.get::<_, i32>(c).max(0) as u32;
    let status = match row.get::<_, &str>("cost_status") {
        "priced" => CostStatus::Priced,
        "unknown_model" => CostStatus::UnknownModel,
        _ => CostStatus::FromSource,
    };
    let version: Option<String> = row.get("price_version");
    let call = LlmCall {
        dedup_key: DedupKey([0; 16]),
        source,
        timestamp: row.get("timestamp"),
        model: row.get("model"),
        prompt_name: row.get("prompt_name"),
        phase: row.get("phase"),
        tokens: Tokens {
            input: count("input_tokens"),
            cache_read: count("cache_read_tokens"),
            cache_write: count("cache_write_tokens"),
            cache_write_1h: count("cache_write_1h_tokens"),
            output: count("output_tokens"),
        },
        cost: Cost {
            usd: row.get("cost"),
            status,
            // Returned beside the call: a `Cost` holds only versions of tables in memory.
            price_version: None,
        },
        source_cost_usd: row.get("source_cost"),
        success: row.get("success"),
        error_message: row.get("error_message"),
        duration_ms: row
            .get::<_, Option<i32>>("duration_ms")
            .map(|d| d.max(0) as u32),
        session_id: row.get("session_id"),
        worker_id: None,
        task_id: None,
        notes: row.get("notes"),
        project_id: row.get("project_id"),
        attribution: Attribution {
            tool: row.get::<_, Option<&str>>("tool").and_then(Tool::parse),
            repository: row.get("repository"),
            git_branch: row.get("git_branch"),
            user_id: row.get("user_id"),
            app_version: row.get("app_version"),
            cwd: None,
        },
    };
    Some((call, version))
}
