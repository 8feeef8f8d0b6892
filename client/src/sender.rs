//! Sending a batch to the telemetry API (`POST {endpoint}/ingest`).

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::spool::Entry;

/// A send gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The longest `Retry-After` honoured (a server asking for more is asked again after this).
const MAX_RETRY_AFTER_SECS: u64 = 3_600;

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// The server took it (202), or stored the valid events and rejected the rest for good
    /// (207): either way the batch is done.
    Stored,
    /// The server refused the content itself (400, 413, 422): sending it again cannot help.
    Refused,
    /// The server asked to come back later (429, `Retry-After`): nothing was refused, the
    /// events wait in the spool, and no batch is sent before then.
    Throttled {
        /// How long the server asked to wait.
        retry_after: Duration,
    },
    /// Not delivered (no answer, 5xx, a key problem): try again next time.
    Failed,
}

/// Where batches go (a port, so CLIs can test their wiring without a server).
pub trait TelemetrySender: Send + Sync {
    /// Sends `entries` as one batch with `distinct_id`.
    fn send_batch(
        &self,
        entries: &[Entry],
        distinct_id: &str,
    ) -> impl Future<Output = SendOutcome> + Send;
}

/// Sends over HTTPS with a 5-second timeout. The endpoint is the API base with a public token
/// in the path (`https://HOST/p/tp_...`), or the base with a secret key (`Bearer`).
pub struct HttpSender {
    url: String,
    key: Option<String>,
    client: reqwest::Client,
}

impl HttpSender {
    /// A sender to `{endpoint}/ingest`; `None` when no HTTP client can be built.
    pub fn new(endpoint: &str, key: Option<String>) -> Option<Self> {
        let client = reqwest::Client::builder().timeout(TIMEOUT).build().ok()?;
        Some(Self {
            url: format!("{}/ingest", endpoint.trim_end_matches('/')),
            key,
            client,
        })
    }
}

impl TelemetrySender for HttpSender {
    async fn send_batch(&self, entries: &[Entry], distinct_id: &str) -> SendOutcome {
        let batch: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({"event": e.event, "distinct_id": distinct_id, "properties": e.properties,
                       "timestamp": e.started_at, "insert_id": e.id})
            })
            .collect();
        let mut req = self
            .client
            .post(&self.url)
            .json(&json!({"batch": batch, "sent_at": Utc::now()}));
        if let Some(key) = &self.key {
            req = req.bearer_auth(key);
        }
        match req.send().await {
            Ok(r) => match r.status().as_u16() {
                202 | 207 => SendOutcome::Stored,
                status @ (400 | 413 | 422) => {
                    tracing::debug!(status, url = %self.url, "telemetry batch refused");
                    SendOutcome::Refused
                }
                429 => {
                    let secs = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .unwrap_or(60);
                    tracing::debug!(secs, url = %self.url, "telemetry batch throttled");
                    SendOutcome::Throttled {
                        retry_after: Duration::from_secs(secs.clamp(1, MAX_RETRY_AFTER_SECS)),
                    }
                }
                status => {
                    tracing::debug!(status, url = %self.url, "telemetry batch not taken");
                    SendOutcome::Failed
                }
            },
            Err(e) => {
                tracing::debug!(error = %e, url = %self.url, "telemetry batch not sent");
                SendOutcome::Failed
            }
        }
    }
}
