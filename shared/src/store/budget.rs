//! The daily LLM cost budget (`llm_budget`): a write that takes a day's cost from under the
//! budget to at or over it writes one `llm_budget_exceeded` outbox event for that UTC day, in
//! the write's transaction. Re-ingesting old data that changes nothing, or a day that was over
//! the budget before the write, announces nothing.

use chrono::NaiveDate;
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::model::LlmCall;
use crate::outbox::{BroadcastLevel, EventKind};

/// The days of a batch with their cost before the write (exact, as text); `None` when no
/// budget is set, so that nothing is summed.
pub(crate) struct CostsBefore {
    days: Vec<NaiveDate>,
    costs: Vec<Option<String>>,
}

/// Reads the cost of each day of `calls` before they are written (see [`CostsBefore`]).
pub(crate) async fn costs_before(
    client: &impl GenericClient,
    calls: &[&LlmCall],
) -> Result<Option<CostsBefore>, DbError> {
    let mut days: Vec<NaiveDate> = calls.iter().map(|c| c.timestamp.date_naive()).collect();
    days.sort_unstable();
    days.dedup();
    let rows = client
        .query(
            "SELECT day, (SELECT sum(estimated_cost)::text FROM llm_calls
                          WHERE timestamp >= day::timestamp AT TIME ZONE 'UTC'
                            AND timestamp < (day + 1)::timestamp AT TIME ZONE 'UTC') AS cost
             FROM unnest($1::date[]) AS day
             -- An initplan: without a budget no day's cost is ever summed.
             WHERE EXISTS (SELECT 1 FROM llm_budget WHERE scope = 'daily')",
            &[&days],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(CostsBefore {
        days: rows.iter().map(|r| r.get("day")).collect(),
        costs: rows.iter().map(|r| r.get("cost")).collect(),
    }))
}

/// Writes the budget event for each day of `before` that this write took from under the
/// budget to at or over it (once per day: the event's key is the day).
pub(crate) async fn check_daily_budget(
    client: &impl GenericClient,
    before: &CostsBefore,
) -> Result<(), DbError> {
    client
        .execute(
            "WITH budget AS (SELECT usd FROM llm_budget WHERE scope = 'daily'),
                  costs AS (SELECT d.day, coalesce(d.before::numeric, 0) AS before,
                               (SELECT sum(estimated_cost) FROM llm_calls
                                WHERE timestamp >= d.day::timestamp AT TIME ZONE 'UTC'
                                  AND timestamp < (d.day + 1)::timestamp AT TIME ZONE 'UTC') AS cost
                            FROM unnest($1::date[], $2::text[]) AS d(day, before))
             INSERT INTO outbox_events (type, source, broadcast_level, payload, dedup_key)
             SELECT $3::text, $4::text, $5::text,
                 jsonb_build_object('day', c.day, 'cost_usd', c.cost, 'budget_usd', b.usd),
                 $3::text || ':' || c.day
             FROM costs c CROSS JOIN budget b
             WHERE c.cost >= b.usd AND c.before < b.usd
             ON CONFLICT (dedup_key) DO NOTHING",
            &[
                &before.days,
                &before.costs,
                &EventKind::LlmBudgetExceeded,
                &EventKind::LlmBudgetExceeded.source(),
                &BroadcastLevel::Alert,
            ],
        )
        .await?;
    Ok(())
}

/// The daily budget in USD, if set.
pub async fn daily_budget(client: &impl GenericClient) -> Result<Option<f64>, DbError> {
    let row = client
        .query_opt(
            "SELECT usd::float8 FROM llm_budget WHERE scope = 'daily'",
            &[],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Sets (`Some`) or clears (`None`) the daily budget.
pub async fn set_daily_budget(
    client: &impl GenericClient,
    usd: Option<f64>,
) -> Result<(), DbError> {
    match usd {
        Some(usd) => client
            .execute(
                "INSERT INTO llm_budget (scope, usd) VALUES ('daily', $1::float8::numeric(14, 2))
                     ON CONFLICT (scope) DO UPDATE SET usd = EXCLUDED.usd, updated_at = now()",
                &[&usd],
            )
            .await?,
        None => client.execute("DELETE FROM llm_budget", &[]).await?,
    };
    Ok(())
}
