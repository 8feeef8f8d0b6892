//! The relay as the functions run it at the end of an invocation: configured from
//! `EVENT_BUS_NAME` at cold start, logged, and never failing the invocation (the data is
//! committed; an event not published now is published by the next relay).

use std::time::Duration;

use tokio::time::Instant;

use super::{relay, EventBridgeBus, RelayReport};
use crate::db::Pool;

/// Timeouts of PutEvents calls: a bus that refuses connections or never answers costs
/// seconds, not the SDK's defaults (no operation timeout at all).
pub fn bus_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// Publishes outbox events after an invocation, when a bus is configured.
pub struct Relayer {
    pool: Pool,
    bus: Option<EventBridgeBus>,
}

impl Relayer {
    /// With `EVENT_BUS_NAME` set, an EventBridge client from `aws` when the caller already
    /// loaded the AWS configuration, else from one loaded now (`AWS_ENDPOINT_URL` points it
    /// at a local stand-in); without it, relaying is off and nothing is loaded.
    pub async fn from_env(pool: Pool, aws: Option<&aws_config::SdkConfig>) -> Self {
        let bus = match std::env::var("EVENT_BUS_NAME") {
            Ok(name) if !name.trim().is_empty() => {
                let loaded;
                let aws = match aws {
                    Some(aws) => aws,
                    None => {
                        loaded = crate::config::load_aws().await;
                        &loaded
                    }
                };
                let conf = aws_sdk_eventbridge::config::Builder::from(aws)
                    .timeout_config(bus_timeouts())
                    .build();
                let client = aws_sdk_eventbridge::Client::from_conf(conf);
                Some(EventBridgeBus::new(client, name))
            }
            _ => None,
        };
        Self { pool, bus }
    }

    /// True when a bus is configured.
    pub fn enabled(&self) -> bool {
        self.bus.is_some()
    }

    /// Relays for at most `budget` (and never past `deadline`); logs what happened.
    pub async fn run(&self, budget: Duration, deadline: Option<Instant>) -> Option<RelayReport> {
        let bus = self.bus.as_ref()?;
        let until = Instant::now() + budget;
        let until = deadline.map_or(until, |d| d.min(until));
        match relay(&self.pool, bus, Some(until)).await {
            Ok(report) => {
                metrics::counter!(crate::emf::name::OUTBOX_PUBLISHED).increment(report.published);
                if let Ok(client) = self.pool.get().await {
                    if let Ok(lag) = super::lag_seconds(&**client).await {
                        metrics::gauge!(crate::emf::name::OUTBOX_LAG).set(lag);
                    }
                }
                if report.error.is_some() {
                    tracing::warn!(?report, "outbox relay left events undelivered");
                } else if report.published > 0 {
                    tracing::info!(
                        published = report.published,
                        pending = report.pending,
                        "outbox relayed"
                    );
                }
                Some(report)
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay failed; the next relay retries");
                None
            }
        }
    }
}
