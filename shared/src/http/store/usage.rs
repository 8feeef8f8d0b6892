//! The per-minute counters of public tokens (`api_key_usage`) and of each install posting
//! with one (`api_install_usage`): a reservation adds to both in one statement and says how
//! far each got; a refund (negative amounts) gives events back.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::db::DbError;

/// The counters after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The token's events this minute.
    pub token: i64,
    /// The busiest install of the request and its events this minute.
    pub busiest: Option<(String, i64)>,
}

/// Adds `total` to key `key_id`'s counter and each `(distinct_id, events)` of `installs`
/// (sorted by id, so concurrent requests lock rows in one order) to its install's, for the
/// minute starting at `window`; negative amounts give events back.
pub async fn add_usage(
    client: &impl GenericClient,
    key_id: i64,
    window: DateTime<Utc>,
    total: i32,
    installs: &[(String, i32)],
) -> Result<Usage, DbError> {
    let mut sorted: Vec<&(String, i32)> = installs.iter().collect();
    sorted.sort();
    let ids: Vec<&str> = sorted.iter().map(|(d, _)| d.as_str()).collect();
    let counts: Vec<i32> = sorted.iter().map(|(_, n)| *n).collect();
    let row = client
        .query_one(
            "WITH used AS (UPDATE api_keys SET last_used_at = now() WHERE id = $1),
             token AS (
                INSERT INTO api_key_usage (key_id, window_start, events) VALUES ($1, $2, $3)
                ON CONFLICT (key_id, window_start)
                DO UPDATE SET events = api_key_usage.events + EXCLUDED.events
                RETURNING events),
             installs AS (
                INSERT INTO api_install_usage (key_id, window_start, distinct_id, events)
                SELECT $1, $2, d, n FROM unnest($4::text[], $5::int4[]) AS x(d, n)
                ON CONFLICT (key_id, window_start, distinct_id)
                DO UPDATE SET events = api_install_usage.events + EXCLUDED.events
                RETURNING distinct_id, events)
             SELECT (SELECT events FROM token)::int8 AS token,
                    (SELECT distinct_id FROM installs ORDER BY events DESC, distinct_id LIMIT 1)
                        AS busiest,
                    (SELECT max(events) FROM installs)::int8 AS busiest_events",
            &[&key_id, &window, &total, &ids, &counts],
        )
        .await?;
    let busiest: Option<String> = row.get("busiest");
    let busiest_events: Option<i64> = row.get("busiest_events");
    Ok(Usage {
        token: row.get("token"),
        busiest: busiest.zip(busiest_events),
    })
}
