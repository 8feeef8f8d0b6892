//! An EventBridge bus on moto with a rule that forwards every `telemetry.*` event to an SQS
//! queue, so tests can read what the relay published, as a consumer would receive it.

use serde_json::Value;
use telemetry_shared::outbox::{BusEntry, BusError, EventBridgeBus, EventBus};

use crate::{Moto, TestDb};

/// The types of every outbox event of `db`, in id order.
pub async fn outbox_types(db: &TestDb) -> Vec<String> {
    let mut client = db.client().await;
    telemetry_shared::outbox::after(&mut **client, 0, None, 10_000)
        .await
        .expect("outbox")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// A bus and the queue its events land in.
pub struct BusSink {
    /// The bus name (`EVENT_BUS_NAME`).
    pub name: String,
    /// The real EventBridge client.
    pub eventbridge: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl BusSink {
    /// Creates bus `name`, a queue, and the rule between them.
    pub async fn create(moto: &Moto, name: &str) -> BusSink {
        let eventbridge = moto.eventbridge();
        let sqs = moto.sqs();
        eventbridge
            .create_event_bus()
            .name(name)
            .send()
            .await
            .expect("bus");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{name}-sink"))
            .send()
            .await
            .expect("queue")
            .queue_url()
            .expect("queue url")
            .to_string();
        let arn = crate::queue::queue_arn(&sqs, &queue_url).await;
        eventbridge
            .put_rule()
            .name("all-telemetry")
            .event_bus_name(name)
            .event_pattern(r#"{"source": [{"prefix": "telemetry."}]}"#)
            .send()
            .await
            .expect("rule");
        eventbridge
            .put_targets()
            .rule("all-telemetry")
            .event_bus_name(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("sink")
                    .arn(arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");
        BusSink {
            name: name.to_string(),
            eventbridge,
            sqs,
            queue_url,
        }
    }

    /// The relay's adapter on this bus.
    pub fn bus(&self) -> EventBridgeBus {
        EventBridgeBus::new(self.eventbridge.clone(), &self.name)
    }

    /// Every event delivered so far (EventBridge envelopes), consumed from the queue.
    pub async fn drain(&self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            let messages = got.messages();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                out.push(serde_json::from_str(m.body().unwrap_or("null")).expect("json body"));
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
}

/// A bus in front of a real one that fails chosen entries: those whose detail contains one of
/// `fail` fail on their first `times` tries with a throttling error, the rest go through.
pub struct FlakyBus<B> {
    /// The real bus.
    pub inner: B,
    /// Substrings of details to fail.
    pub fail: Vec<String>,
    /// Tries that fail per matching entry (`u32::MAX`: always).
    pub times: u32,
    /// The per-entry error answered (throttling unless [`FlakyBus::rejecting_with`]).
    pub error: String,
    tries: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl<B> FlakyBus<B> {
    /// Fails entries matching `fail` `times` times each.
    pub fn new(inner: B, fail: Vec<String>, times: u32) -> Self {
        Self {
            inner,
            fail,
            times,
            error: "ThrottlingException: Rate exceeded".into(),
            tries: Default::default(),
        }
    }

    /// Answers `error` (`code: message`) for the failing entries instead of throttling.
    pub fn rejecting_with(mut self, error: &str) -> Self {
        self.error = error.into();
        self
    }
}

impl<B: EventBus> EventBus for FlakyBus<B> {
    async fn put(&self, entries: &[BusEntry]) -> Result<Vec<Option<String>>, BusError> {
        let mut failing = vec![false; entries.len()];
        {
            let mut tries = self.tries.lock().expect("lock");
            for (i, e) in entries.iter().enumerate() {
                if let Some(f) = self.fail.iter().find(|f| e.detail.contains(f.as_str())) {
                    let n = tries.entry(f.clone()).or_default();
                    if *n < self.times {
                        *n += 1;
                        failing[i] = true;
                    }
                }
            }
        }
        let pass: Vec<BusEntry> = entries
            .iter()
            .zip(&failing)
            .filter(|(_, f)| !**f)
            .map(|(e, _)| e.clone())
            .collect();
        let mut results = if pass.is_empty() {
            Vec::new()
        } else {
            self.inner.put(&pass).await?
        };
        results.reverse();
        Ok(failing
            .iter()
            .map(|f| {
                if *f {
                    Some(self.error.clone())
                } else {
                    results.pop().unwrap_or(Some("missing result".into()))
                }
            })
            .collect())
    }
}
