//! The queue port: send a batch's messages, receive, delete, on SQS through the real
//! `aws-sdk-sqs` client (moto in tests, `AWS_ENDPOINT_URL`).

use std::time::Duration;

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use futures_util::future::try_join_all;

use super::consume::Delivery;

/// A queue operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The queue could not be reached, or asked us to slow down: retry.
    #[error("the ingest queue is unavailable ({op}): {message}")]
    Unavailable {
        /// The operation.
        op: &'static str,
        /// What the SDK said.
        message: String,
    },
    /// The queue refused the call (no such queue, access denied, too large): retrying the
    /// same call will not help.
    #[error("the ingest queue refused {op}: {message}")]
    Refused {
        /// The operation.
        op: &'static str,
        /// What SQS said.
        message: String,
    },
    /// A batch could not be written as a message.
    #[error("a queued batch could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

impl QueueError {
    /// True when the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, QueueError::Unavailable { .. })
    }

    fn of<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
        op: &'static str,
        e: SdkError<E, R>,
    ) -> Self {
        const RETRY: [&str; 5] = [
            "RequestThrottled",
            "ThrottlingException",
            "InternalError",
            "ServiceUnavailable",
            "KmsThrottled",
        ];
        match &e {
            SdkError::ServiceError(s) if !RETRY.contains(&s.err().code().unwrap_or_default()) => {
                QueueError::Refused {
                    op,
                    message: format!(
                        "{}: {}",
                        s.err().code().unwrap_or("error"),
                        s.err().message().unwrap_or_default()
                    ),
                }
            }
            _ => QueueError::Unavailable {
                op,
                message: aws_sdk_sqs::error::DisplayErrorContext(&e).to_string(),
            },
        }
    }
}

/// Timeouts of queue calls: a queue that never answers costs seconds, not a request's life.
fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(25))
        .operation_timeout(Duration::from_secs(30))
        .build()
}

/// One SQS queue, by URL.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    /// The queue at `url` through `client`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// The queue at `url` with a client built from `aws` (built once, at cold start).
    pub fn from_config(aws: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        let conf = aws_sdk_sqs::config::Builder::from(aws)
            .timeout_config(timeouts())
            .build();
        Self::new(aws_sdk_sqs::Client::from_conf(conf), url)
    }

    /// Sends `bodies`, all of them or an error (some may have been sent: their events'
    /// keys make the client's re-send store them once).
    pub async fn send(&self, bodies: Vec<String>) -> Result<(), QueueError> {
        try_join_all(bodies.into_iter().map(|b| async move {
            self.client
                .send_message()
                .queue_url(&self.url)
                .message_body(b)
                .send()
                .await
                .map_err(|e| QueueError::of("SendMessage", e))
        }))
        .await
        .map(|_| ())
    }

    /// Up to `max` (1-10) messages, waiting up to `wait` for the first.
    pub async fn receive(&self, max: i32, wait: Duration) -> Result<Vec<Received>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20))
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| QueueError::of("ReceiveMessage", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| Received {
                delivery: Delivery {
                    sent_at_ms: m
                        .attributes
                        .as_ref()
                        .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
                        .and_then(|v| v.parse().ok()),
                    id: m.message_id.unwrap_or_default(),
                    body: m.body.unwrap_or_default(),
                },
                receipt: m.receipt_handle.unwrap_or_default(),
            })
            .collect())
    }

    /// Deletes the messages received with these receipt handles.
    pub async fn delete(&self, handles: &[&str]) -> Result<(), QueueError> {
        for chunk in handles.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(*handle)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| QueueError::Refused {
                    op: "DeleteMessageBatch",
                    message: e.to_string(),
                })?;
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::of("DeleteMessageBatch", e))?;
            if let Some(f) = out.failed.first() {
                // Not deleted: delivered again later, and stored once by its keys.
                tracing::warn!(
                    id = f.id,
                    code = f.code,
                    "a consumed message was not deleted"
                );
            }
        }
        Ok(())
    }
}

/// A message received by polling: its content and the handle that deletes it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The message.
    pub delivery: Delivery,
    /// Its receipt handle.
    pub receipt: String,
}
