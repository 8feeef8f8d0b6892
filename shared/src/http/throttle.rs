//! Public tokens' limits. One token ships inside a CLI that every user runs, so its events are
//! limited per install (the events' `distinct_id`, `PUBLIC_INSTALL_EVENTS_PER_MINUTE`) and,
//! much higher, per token (`PUBLIC_TOKEN_EVENTS_PER_MINUTE`). Only accepted events count: a
//! request reserves its events, gives them all back when a limit is passed (429 with
//! `Retry-After`, the rest of the minute), and once stored gives back its duplicates and the
//! events the database refused. Reserving first keeps concurrent requests of one install
//! from passing its limit together.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use http::StatusCode;
use serde_json::json;

use super::app::HttpIngest;
use super::auth::Caller;
use super::response::ApiError;
use super::store::usage::add_usage;
use crate::db::DbError;

/// Events reserved by one request, per install.
#[derive(Debug)]
pub(super) struct Reservation {
    key_id: i64,
    window: DateTime<Utc>,
    installs: BTreeMap<String, i32>,
    total: i32,
}

/// Events per install: `distinct_ids` counted.
pub(super) fn per_install<'a>(
    distinct_ids: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, i32> {
    let mut out: BTreeMap<String, i32> = BTreeMap::new();
    for d in distinct_ids {
        *out.entry(d.to_string()).or_default() += 1;
    }
    out
}

fn pairs(m: &BTreeMap<String, i32>, sign: i32) -> Vec<(String, i32)> {
    m.iter().map(|(d, n)| (d.clone(), sign * n)).collect()
}

impl Reservation {
    /// Reserves `total` events of public token `caller` (`installs` of them per install;
    /// empty: the token's ceiling only), or answers 429 having reserved nothing.
    pub(super) async fn take(
        api: &HttpIngest,
        caller: &Caller,
        installs: BTreeMap<String, i32>,
        total: usize,
        now: DateTime<Utc>,
    ) -> Result<Reservation, ApiError> {
        let window = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
        let total = i32::try_from(total).unwrap_or(i32::MAX);
        let client = api.pool.get().await.map_err(DbError::from)?;
        let used = add_usage(
            &**client,
            caller.key_id,
            window,
            total,
            &pairs(&installs, 1),
        )
        .await?;
        let token_limit = i64::from(api.config.public_events_per_minute);
        let install_limit = i64::from(api.config.install_events_per_minute);
        let over = if used.token > token_limit {
            Some((
                format!("this public token may post {token_limit} events per minute across its installs"),
                "token",
                token_limit,
            ))
        } else {
            used.busiest
                .filter(|(_, n)| *n > install_limit)
                .map(|(d, _)| {
                    (
                        format!("each install may post {install_limit} events per minute with this public token (distinct_id {d:?} is over)"),
                        "install",
                        install_limit,
                    )
                })
        };
        let Some((message, scope, limit)) = over else {
            return Ok(Reservation {
                key_id: caller.key_id,
                window,
                installs,
                total,
            });
        };
        add_usage(
            &**client,
            caller.key_id,
            window,
            -total,
            &pairs(&installs, -1),
        )
        .await?;
        let wait = (window + TimeDelta::minutes(1) - now).num_seconds().max(1);
        Err(
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
                .details(json!({"limit_per_minute": limit, "scope": scope}))
                .retry_after(u64::try_from(wait).unwrap_or(60)),
        )
    }

    /// Keeps only `accepted` of a reservation made for the token alone counted, giving the
    /// rest back.
    pub(super) async fn settle_total(self, api: &HttpIngest, accepted: usize) {
        let total = self.total - i32::try_from(accepted).unwrap_or(i32::MAX);
        self.give_back(api, total, BTreeMap::new()).await;
    }

    /// Keeps only the `accepted` events (per install) counted, giving the rest back.
    pub(super) async fn settle(self, api: &HttpIngest, accepted: &BTreeMap<String, i32>) {
        let back: BTreeMap<String, i32> = self
            .installs
            .iter()
            .map(|(d, n)| (d.clone(), n - accepted.get(d).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let total = self.total - accepted.values().sum::<i32>();
        self.give_back(api, total, back).await;
    }

    /// Gives `total` events back to the token and `back` to their installs. A refund the
    /// database refuses is logged: it costs the install some of its minute, never data.
    async fn give_back(self, api: &HttpIngest, total: i32, back: BTreeMap<String, i32>) {
        if total <= 0 && back.is_empty() {
            return;
        }
        let refunded = async {
            let client = api.pool.get().await.map_err(DbError::from)?;
            add_usage(
                &**client,
                self.key_id,
                self.window,
                -total.max(0),
                &pairs(&back, -1),
            )
            .await
        }
        .await;
        if let Err(e) = refunded {
            tracing::warn!("could not give back a public token's unaccepted events: {e}");
        }
    }
}
