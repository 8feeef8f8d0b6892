//! S3 ingestion: notifications (direct or through EventBridge) name objects; each object is
//! streamed through the file pipeline exactly once per version, with a manifest, a report
//! row and a rejects file written back to the bucket.

mod event;
mod handler;
mod key;
mod manifest;
mod metrics;

pub use crate::objects::{ObjectStore, S3ObjectStore, StoreError, StoredObject, Version};
pub use event::{parse_notification, Notice, ObjectRef};
pub use handler::{
    EventReport, ObjectOutcome, OutcomeStatus, S3Ingest, S3IngestConfig, S3IngestError,
};
pub use key::decode_key;
pub use manifest::ObjectStatus;
