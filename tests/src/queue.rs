//! An ingest queue on moto for the queued mode: the queue and its dead-letter queue, with a
//! 1-second visibility timeout and `maxReceiveCount` 2, so that a message handed back comes
//! back at once and is dead-lettered on its third receive, as SQS does it.

use aws_sdk_sqs::types::QueueAttributeName;
use telemetry_shared::http::queue::SqsQueue;

use crate::Moto;

/// The ARN of the queue at `url`.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("queue arn")
}

/// The queue, its dead-letter queue, and a real SQS client on moto.
pub struct TestQueue {
    /// The client.
    pub sqs: aws_sdk_sqs::Client,
    /// The ingest queue.
    pub url: String,
    /// Its dead-letter queue.
    pub dlq_url: String,
}

impl TestQueue {
    /// Creates `name` and `name-dlq` on `moto`.
    pub async fn create(moto: &Moto, name: &str) -> TestQueue {
        Self::with_visibility(moto, name, 1).await
    }

    /// [`TestQueue::create`] with a visibility timeout of `seconds` (a benchmark's consumer
    /// must delete what it stored before the message comes back).
    pub async fn with_visibility(moto: &Moto, name: &str, seconds: u32) -> TestQueue {
        let sqs = moto.sqs();
        let dlq_url = sqs
            .create_queue()
            .queue_name(format!("{name}-dlq"))
            .send()
            .await
            .expect("dead-letter queue")
            .queue_url
            .expect("url");
        let dlq_arn = queue_arn(&sqs, &dlq_url).await;
        let url = sqs
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string())
            .attributes(
                QueueAttributeName::RedrivePolicy,
                serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
                    .to_string(),
            )
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("url");
        TestQueue { sqs, url, dlq_url }
    }

    /// The port the API and the consumer use.
    pub fn queue(&self) -> SqsQueue {
        SqsQueue::new(self.sqs.clone(), &self.url)
    }

    /// Sends `body` as it is (what anything allowed `sqs:SendMessage` can do); its id.
    pub async fn send_raw(&self, body: &str) -> String {
        self.sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .expect("send")
            .message_id
            .expect("id")
    }

    /// Messages in `url`, visible and in flight.
    pub async fn depth(&self, url: &str) -> i64 {
        let a = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("attributes")
            .attributes
            .unwrap_or_default();
        [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .filter_map(|k| a.get(k).and_then(|v| v.parse::<i64>().ok()))
        .sum()
    }

    /// Bodies of the messages in the dead-letter queue (received, left there).
    pub async fn dead_letters(&self) -> Vec<String> {
        self.sqs
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.body)
            .collect()
    }
}
