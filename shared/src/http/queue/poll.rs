//! The consumer as a loop over a polled queue (`telemetry serve` in queued mode; Lambda
//! polls for the queue-consume function): receive, store, delete what was stored. A message
//! handed back is left on the queue; SQS delivers it again after its visibility timeout.

use std::time::Duration;

use chrono::Utc;

use super::consume::{consume, ConsumeReport};
use super::sqs::{QueueError, SqsQueue};
use crate::db::Pool;

/// One receive (up to 10 messages, waiting up to `wait`), stored, and the stored deleted.
pub async fn consume_once(
    queue: &SqsQueue,
    pool: &Pool,
    wait: Duration,
) -> Result<ConsumeReport, QueueError> {
    let received = queue.receive(10, wait).await?;
    if received.is_empty() {
        return Ok(ConsumeReport::default());
    }
    let deliveries: Vec<_> = received.iter().map(|r| r.delivery.clone()).collect();
    let report = consume(pool, &deliveries, Utc::now()).await;
    let done: Vec<&str> = received
        .iter()
        .filter(|r| !report.failed.contains(&r.delivery.id))
        .map(|r| r.receipt.as_str())
        .collect();
    queue.delete(&done).await?;
    Ok(report)
}

/// [`consume_once`] until the task is dropped, pausing a second after a queue error.
pub async fn consume_forever(queue: SqsQueue, pool: Pool) {
    loop {
        match consume_once(&queue, &pool, Duration::from_secs(10)).await {
            Ok(r) if r.messages > 0 => tracing::info!(
                messages = r.messages,
                accepted = r.accepted,
                duplicate = r.duplicate,
                rejected = r.rejected,
                failed = r.failed.len(),
                "queued batches consumed"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("ingest queue: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
