//! Buffered ingest (`IngestMode=queued`): http-ingest authenticates and validates a batch,
//! puts its valid events on an SQS queue and answers 202; a consumer (the queue-consume
//! function, or `telemetry serve`'s background task) writes them through the same path as
//! the direct mode ([`crate::http::store::write`]), one transaction per project with its
//! outbox event. Exactly once comes from the events' keys: a message delivered twice stores
//! its events once. A message that cannot be read is handed back, and after the queue's
//! `maxReceiveCount` deliveries SQS moves it to the dead-letter queue.

mod consume;
mod message;
mod poll;
mod sqs;

pub use consume::{consume, ConsumeReport, Delivery};
pub use message::{bodies, EventsMessage, FORMAT, MAX_MESSAGE_BYTES};
pub use poll::{consume_forever, consume_once};
pub use sqs::{QueueError, SqsQueue};
