//! LLM calls to `POST {endpoint}/ingest/llm-calls` with a project's secret key, in bounded
//! batches (`telemetry push` is built on it). A batch is retried after the `Retry-After` the
//! server gives (429, 503), within a time budget; what cannot be delivered is reported as
//! such, for the caller to send again next time. The server's keys make a re-send harmless.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Calls per request at most (the API's default `HTTP_MAX_EVENTS`).
pub const MAX_CALLS: usize = 100;

/// What became of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallsOutcome {
    /// Delivered: the server stored or already had each call, or refused some for good.
    Delivered {
        /// New rows.
        inserted: u64,
        /// Rows changed.
        updated: u64,
        /// Already stored.
        duplicate: u64,
        /// Refused for good, with the index in the batch and the reason.
        rejected: Vec<(usize, String)>,
    },
    /// Not delivered (no answer, a 5xx, 429 past the budget, a key problem): send again later.
    Failed(String),
}

/// A sender of call batches for one key.
pub struct CallSender {
    url: String,
    key: String,
    client: reqwest::Client,
    /// Time one batch may spend waiting for `Retry-After` in all.
    pub retry_budget: Duration,
}

impl CallSender {
    /// A sender to `{endpoint}/ingest/llm-calls` with `key`; `None` when no HTTP client can
    /// be built.
    pub fn new(endpoint: &str, key: &str, timeout: Duration) -> Option<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build().ok()?;
        Some(Self {
            url: format!("{}/ingest/llm-calls", endpoint.trim_end_matches('/')),
            key: key.to_string(),
            client,
            retry_budget: Duration::from_secs(20),
        })
    }

    /// Sends `calls` (at most [`MAX_CALLS`]) as one batch, retrying after `Retry-After`.
    pub async fn send(&self, calls: &[Value]) -> CallsOutcome {
        let started = Instant::now();
        loop {
            let wait = match self.once(calls).await {
                Attempt::Done(outcome) => return outcome,
                Attempt::RetryAfter(wait, why) => {
                    if started.elapsed() + wait > self.retry_budget {
                        return CallsOutcome::Failed(format!(
                            "{why}; retry after {wait:?} is past the budget"
                        ));
                    }
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(&self, calls: &[Value]) -> Attempt {
        let resp = match self
            .client
            .post(&self.url)
            .bearer_auth(&self.key)
            .json(&json!({ "calls": calls }))
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Attempt::Done(CallsOutcome::Failed(format!("not sent: {e}"))),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        match status {
            202 | 207 => Attempt::Done(delivered(&body, &body["results"])),
            // Every call refused for its content: delivered, each one rejected.
            400 if body["error"] == "invalid_batch" && body["details"]["results"].is_array() => {
                Attempt::Done(delivered(&json!({}), &body["details"]["results"]))
            }
            429 | 503 => Attempt::RetryAfter(
                Duration::from_secs(retry_after.unwrap_or(5).clamp(1, 60)),
                format!("HTTP {status}"),
            ),
            _ => Attempt::Done(CallsOutcome::Failed(format!(
                "HTTP {status}: {}",
                body["message"].as_str().unwrap_or("no message")
            ))),
        }
    }
}

enum Attempt {
    Done(CallsOutcome),
    RetryAfter(Duration, String),
}

fn delivered(summary: &Value, results: &Value) -> CallsOutcome {
    let n = |k: &str| summary[k].as_u64().unwrap_or(0);
    let rejected = results
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| r["status"] == "rejected")
                .map(|r| {
                    (
                        r["index"].as_u64().unwrap_or(0) as usize,
                        r["reason"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    CallsOutcome::Delivered {
        inserted: n("inserted"),
        updated: n("updated"),
        duplicate: n("duplicate"),
        rejected,
    }
}
