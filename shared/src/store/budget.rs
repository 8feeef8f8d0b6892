//! The daily LLM cost budget (`llm_budget`): crossing it writes one `llm_budget_exceeded`
//! outbox event per UTC day, in the transaction of the calls that crossed it.

use chrono::NaiveDate;
use tokio_postgres::GenericClient;

use crate::db::DbError;
use crate::model::LlmCall;

/// Writes the budget event for each day of `calls` whose cost has reached the budget (no-op
/// when no budget is set or the day's event exists).
pub(crate) async fn check_daily_budget(
    client: &impl GenericClient,
    calls: &[&LlmCall],
) -> Result<(), DbError> {
    let mut days: Vec<NaiveDate> = calls.iter().map(|c| c.timestamp.date_naive()).collect();
    days.sort_unstable();
    days.dedup();
    client
        .execute(
            "WITH budget AS (SELECT usd FROM llm_budget WHERE scope = 'daily'),
                  -- An initplan: without a budget no day's cost is ever summed.
                  days AS (SELECT day FROM unnest($1::date[]) AS day
                           WHERE EXISTS (SELECT 1 FROM budget)
                             AND NOT EXISTS (SELECT 1 FROM outbox_events
                                             WHERE dedup_key = 'llm_budget_exceeded:' || day)),
                  costs AS (SELECT day, (SELECT sum(estimated_cost) FROM llm_calls
                                         WHERE timestamp >= day::timestamp AT TIME ZONE 'UTC'
                                           AND timestamp < (day + 1)::timestamp AT TIME ZONE 'UTC') AS cost
                            FROM days)
             INSERT INTO outbox_events (type, source, broadcast_level, payload, dedup_key)
             SELECT 'llm_budget_exceeded', 'telemetry.llm', 'alert',
                 jsonb_build_object('day', c.day, 'cost_usd', c.cost, 'budget_usd', b.usd),
                 'llm_budget_exceeded:' || c.day
             FROM costs c CROSS JOIN budget b
             WHERE c.cost >= b.usd
             ON CONFLICT (dedup_key) DO NOTHING",
            &[&days],
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
